"""Oblivious adversarial loss sequences over a linear MDP, with exact regret.

Setting (Cassel & Rosenberg 2024 §2): fixed
dynamics ``P_h(x'|x,a) = <phi(x,a), psi_h(x')>`` and a loss sequence
``l^k_h(x,a) = <phi(x,a), theta^k_h>``, ``k = 0..K-1`` (0-based), fixed before the run.

SIGN CONVENTION: losses are *minimized*. ``V^{k,pi}_1`` is the expected loss-to-go of ``pi``
under ``l^k``, and the regret after ``K`` episodes is
``R_K = sum_k V^{k,pi_k}_1(x_1) - min_pi sum_k V^{k,pi}_1(x_1)``. The gymnasium environment of
an :class:`AdversarialMDP` returns the reward ``-l^k_h(x,a)`` (in ``[-1, 0]``) so that gymnasium's
"maximize the return" convention holds; :meth:`AdversarialMDP.episode_rewards` is that table.

Generator (§4.4, ours): ``phi(x,a)`` on the simplex and every ``psi_{h,i}`` a distribution (the
random simplex linear MDP of :func:`rltheory.envs.linear.random_linear`, time-inhomogeneous), and
``theta^k_h in [0,1]^d``, so every loss lies in [0, 1] and ``||theta^k_h|| <= sqrt(d)``.
Sequence kinds (all pre-generated from the rng):

- ``"iid"``: ``theta^k_h ~ U[0,1]^d`` independently (every coordinate has mean 1/2);
- ``"stochastic"``: a fixed mean ``theta_bar ~ U[0,1]^{H x d}``, then
  ``theta^k_{h,i} ~ Bernoulli(theta_bar_{h,i})`` independently (the stochastic special case: the
  best fixed policy in expectation is the optimal policy of ``theta_bar``);
- ``"piecewise"``: two vectors ``theta^(0), theta^(1) ~ U[0,1]^{H x d}``, swapped every
  ``switch_every`` episodes (episode ``k`` uses ``theta^((k // switch_every) mod 2)``);
- ``"drifting"``: ``theta^k_{h,i} = 1/2 + 1/2 cos(2 pi k / period + phase_{h,i})``, phases
  ``~ U[0, 2 pi)``;
- ``"anti-greedy"`` (follow-the-leader killer): a random half ``I`` of the feature coordinates;
  blocks of ``switch_every`` episodes with ``theta = 1_I / 2`` in the first block, then
  ``1_{I^c}``, ``1_I``, ``1_{I^c}``, ... alternately (with ``switch_every = 1`` the leader of the
  cumulative loss is always the group about to be charged).

Exact metrics (pure functions): :func:`episode_values`, :func:`hindsight_comparator`,
:func:`prefix_hindsight_values`, :func:`adversarial_regret`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rltheory.envs import _common, sizes
from rltheory.envs.linear import random_linear
from rltheory.envs.registry import register_family
from rltheory.mdp._validation import as_float_array, check_unit_interval, freeze
from rltheory.mdp.models import FiniteHorizonMDP
from rltheory.mdp.planning import Solution, best_in_hindsight, evaluate, initial_value

LOSS_KINDS = ("iid", "stochastic", "piecewise", "drifting", "anti-greedy")
"""Kinds of oblivious loss sequences (see the module docstring)."""


@dataclass(frozen=True, eq=False)
class AdversarialMDP:
    """Linear-MDP dynamics with an oblivious loss sequence ``l^k_h = phi theta^k_h``.

    ``dynamics`` is a :class:`FiniteHorizonMDP` with features ``phi [S, A, d]`` (its own rewards
    are not used: set them to zero); ``loss_parameters`` is ``theta [K, H, d]``; ``delays``
    (``int [K]``, optional) is the oblivious delay sequence of the delayed-feedback protocol
    (the feedback of episode k arrives at the end of episode ``k + d_k``). On construction
    the losses ``[K, H, S, A]`` are computed and checked to lie in [0, 1]. Losses are minimized;
    the gymnasium reward is ``-loss`` (module docstring).
    """

    dynamics: FiniteHorizonMDP
    loss_parameters: np.ndarray
    name: str = ""
    metadata: dict = field(default_factory=dict)
    delays: np.ndarray | None = None
    losses: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.dynamics, FiniteHorizonMDP) or self.dynamics.features is None:
            raise TypeError("dynamics must be a FiniteHorizonMDP with linear-MDP features phi")
        theta = as_float_array(self.loss_parameters, "loss_parameters")
        horizon, dim = self.dynamics.horizon, self.dynamics.dim
        if theta.ndim != 3 or theta.shape[1:] != (horizon, dim) or theta.shape[0] < 1:
            raise ValueError(
                f"loss_parameters must have shape [K, H, d] = [K, {horizon}, {dim}] with K >= 1, "
                f"got {theta.shape}"
            )
        if self.delays is not None:
            delays = np.asarray(self.delays)
            if delays.shape != (theta.shape[0],) or not np.issubdtype(delays.dtype, np.integer):
                raise ValueError(
                    f"delays must be an integer array of shape [K] = [{theta.shape[0]}], got "
                    f"{delays.dtype} {delays.shape}"
                )
            if delays.size and delays.min() < 0:
                raise ValueError(f"delays must be >= 0; delays[{int(delays.argmin())}] < 0")
            object.__setattr__(self, "delays", freeze(delays.astype(np.int64)))
        losses = np.einsum("sad,khd->khsa", self.dynamics.features, theta)
        check_unit_interval(losses, "losses")
        # <phi, theta> of simplex features and theta = 1 can round to 1 + 2^-52: clip the rounding.
        object.__setattr__(self, "loss_parameters", freeze(theta))
        object.__setattr__(self, "losses", freeze(np.clip(losses, 0.0, 1.0)))

    @property
    def structures(self) -> frozenset[str]:
        """Structure tags it offers (``rltheory.algos.protocols.structures_of``): a loss sequence
        over finite linear-MDP dynamics (plus ``"mixture"`` when the kernel is a linear mixture),
        not fixed mean rewards (so not "finite-horizon")."""
        tags = {"adversarial", "features", "tabular"}
        if self.delays is not None:
            tags.add("delayed")
        if self.dynamics.mixture_basis is not None:
            tags.add("mixture")
        return frozenset(tags)

    @property
    def n_states(self) -> int:
        return self.dynamics.n_states

    @property
    def n_actions(self) -> int:
        return self.dynamics.n_actions

    @property
    def horizon(self) -> int:
        return self.dynamics.horizon

    @property
    def n_episodes(self) -> int:
        """K, the length of the loss sequence."""
        return self.loss_parameters.shape[0]

    @property
    def dim(self) -> int:
        return self.dynamics.dim

    @property
    def features(self) -> np.ndarray:
        return self.dynamics.features

    @property
    def initial_distribution(self) -> np.ndarray:
        return self.dynamics.initial_distribution

    def episode_rewards(self, episode: int) -> np.ndarray:
        """Gymnasium reward table of episode ``k``: ``-l^k`` ``[H, S, A]`` (losses minimized)."""
        if not 0 <= episode < self.n_episodes:
            raise IndexError(
                f"episode {episode} out of range: the loss sequence has K={self.n_episodes} "
                "episodes"
            )
        return -self.losses[episode]


def loss_sequence(
    kind: str,
    rng: np.random.Generator,
    n_episodes: int,
    horizon: int,
    dim: int,
    *,
    switch_every: int = 20,
    period: int = 50,
) -> np.ndarray:
    """Loss parameters ``theta [K, H, d]`` in ``[0, 1]`` of an oblivious sequence of ``kind``."""
    if kind not in LOSS_KINDS:
        raise ValueError(
            f"unknown loss sequence kind {kind!r}; known kinds: {', '.join(LOSS_KINDS)}"
        )
    n_episodes = _common.integer("n_episodes", n_episodes)
    horizon = _common.integer("horizon", horizon)
    dim = _common.integer("dim", dim)
    switch_every = _common.integer("switch_every", switch_every)
    period = _common.integer("period", period)
    episodes = np.arange(n_episodes)
    if kind == "iid":
        return rng.uniform(0.0, 1.0, size=(n_episodes, horizon, dim))
    if kind == "stochastic":
        mean = rng.uniform(0.0, 1.0, size=(horizon, dim))
        return (rng.random((n_episodes, horizon, dim)) < mean).astype(float)
    if kind == "piecewise":
        pair = rng.uniform(0.0, 1.0, size=(2, horizon, dim))
        return pair[(episodes // switch_every) % 2]
    if kind == "drifting":
        phase = rng.uniform(0.0, 2.0 * np.pi, size=(horizon, dim))
        angle = 2.0 * np.pi * episodes[:, None, None] / period + phase
        return 0.5 + 0.5 * np.cos(angle)
    if dim < 2:  # anti-greedy
        raise ValueError(f"kind 'anti-greedy' needs dim >= 2 (two feature groups), got {dim}")
    group = np.zeros(dim)
    group[rng.permutation(dim)[: dim // 2]] = 1.0
    block = episodes // switch_every
    odd, first = (block % 2 == 1)[:, None], (block == 0)[:, None]
    charged = np.where(first, 0.5 * group, np.where(odd, 1.0 - group, group))  # [K, d]
    return np.broadcast_to(charged[:, None, :], (n_episodes, horizon, dim)).copy()


@register_family(
    "adversarial-linear",
    gym_name="AdversarialLinear",
    citation="Cassel & Rosenberg 2024 §2 (protocol); the loss-sequence generator is ours",
    summary="oblivious loss sequence (iid/stochastic/piecewise/drifting/anti-greedy), linear MDP",
    memory=sizes.adversarial_linear,
)
def adversarial_linear(
    rng: np.random.Generator,
    *,
    n_states: int = 10,
    n_actions: int = 3,
    dim: int = 4,
    horizon: int = 5,
    n_episodes: int = 200,
    kind: str = "piecewise",
    switch_every: int = 20,
    period: int = 50,
) -> AdversarialMDP:
    """Random simplex linear dynamics (time-inhomogeneous, start state 0) and ``K`` losses.

    Draw order: the dynamics of :func:`~rltheory.envs.linear.random_linear` (its reward draw is
    discarded), then the loss sequence of :func:`loss_sequence`.
    """
    if kind not in LOSS_KINDS:  # fail before drawing anything
        raise ValueError(f"parameter 'kind' must be one of {', '.join(LOSS_KINDS)}, got {kind!r}")
    base = random_linear(
        rng, n_states=n_states, n_actions=n_actions, dim=dim, horizon=horizon, homogeneous=False
    )
    dynamics = base.with_rewards(np.zeros_like(base.rewards), name=f"{base.name} dynamics")
    theta = loss_sequence(
        kind, rng, n_episodes, horizon, dim, switch_every=switch_every, period=period
    )
    return AdversarialMDP(
        dynamics,
        theta,
        name=f"adversarial-linear({kind}, S={n_states}, A={n_actions}, d={dim}, H={horizon}, "
        f"K={n_episodes})",
        metadata={"kind": kind, "switch_every": switch_every, "period": period},
    )


def episode_values(adv: AdversarialMDP, policies: np.ndarray) -> np.ndarray:
    """Exact ``V^{k,pi_k}_1 = E_{x_1 ~ mu0} V^{k,pi_k}_1(x_1)`` under the losses ``l^k``.

    ``policies [..., K, H, S]`` (ints) or ``[..., K, H, S, A]`` (floats), one policy per episode;
    any batch that broadcasts against ``[K]`` works (a single policy ``[H, S]`` gives its loss in
    every episode). Returns ``[..., K]``. Exact backward evaluation, batched (memory
    ``O(batch · H · S · A)``).
    """
    values = evaluate(adv.dynamics, policies, rewards=adv.losses)
    return initial_value(adv.dynamics, values)


def hindsight_comparator(adv: AdversarialMDP) -> Solution:
    """Best fixed policy in hindsight: one minimizing backward induction on ``L = sum_k l^k``.

    ``min_pi sum_k V^{k,pi}_1 = min_pi V^pi_1(L)`` because ``V^{k,pi}_1 = <q^pi, l^k>`` is linear
    in the loss. ``v`` is the summed loss-to-go; ``policy [H, S]`` the comparator.
    """
    return best_in_hindsight(adv.dynamics, adv.losses)


def prefix_hindsight_values(adv: AdversarialMDP, ends: np.ndarray | None = None) -> np.ndarray:
    """``min_pi sum_{j <= k} V^{j,pi}_1`` for every prefix ``k`` (``[K]``), or for the prefixes
    ending at the 0-based episodes ``ends`` (``[len(ends)]``).

    One minimizing backward induction on the prefix sums ``sum_{j<=k} l^j``, batched over ``k``.
    """
    cumulative = np.cumsum(adv.losses, axis=0)  # [K, H, S, A]
    if ends is not None:
        ends = np.asarray(ends, dtype=np.int64)
        if ends.ndim != 1 or (ends.size and (ends.min() < 0 or ends.max() >= adv.n_episodes)):
            raise ValueError(
                f"ends must be a 1-d array of episodes in [0, {adv.n_episodes}), got {ends}"
            )
        cumulative = cumulative[ends]
    transitions = adv.dynamics.transitions
    v_next = np.zeros((cumulative.shape[0], adv.n_states))
    for h in range(adv.horizon - 1, -1, -1):
        v_next = (cumulative[:, h] + transitions.expect(v_next, h)).min(-1)
    return v_next @ adv.initial_distribution


def adversarial_regret(
    adv: AdversarialMDP, policies: np.ndarray, *, anytime: bool = False
) -> np.ndarray:
    """Exact cumulative regret ``[..., K]`` of the policies played in episodes ``0..k``.

    Default: against the best fixed policy in hindsight over all K episodes,
    ``R_k = sum_{j<=k} (V^{j,pi_j}_1 - V^{j,pi*}_1)``, so ``R_{K-1}`` is the regret of the run and
    the comparator's own regret is 0 at every ``k``. With ``anytime=True`` the comparator is
    re-optimized on each prefix, ``R_k = sum_{j<=k} V^{j,pi_j}_1 - min_pi sum_{j<=k} V^{j,pi}_1``
    (the regret of a ``k+1``-episode game; pointwise ``>=`` the default, equal at ``k = K-1``).
    ``policies`` as in :func:`episode_values`.
    """
    policies = np.asarray(policies)
    learner = np.cumsum(episode_values(adv, policies), axis=-1)
    if anytime:
        return learner - prefix_hindsight_values(adv)
    comparator = hindsight_comparator(adv).policy
    if np.issubdtype(policies.dtype, np.floating):
        comparator = np.eye(adv.n_actions)[comparator]
    # Evaluate the comparator in the learner's batch shape: identical arithmetic, so a learner
    # that plays the comparator has regret exactly 0.
    same_shape = np.broadcast_to(comparator, np.broadcast_shapes(policies.shape, comparator.shape))
    return learner - np.cumsum(episode_values(adv, same_shape), axis=-1)
