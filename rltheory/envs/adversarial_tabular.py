"""Tabular and linear-mixture adversarial MDPs: fixed unknown dynamics, oblivious loss tables.

DAPO's setting (Lancewicki, Rosenberg, Sotnikov 2023, §2; Jin et al. 2022): an episodic MDP with
S states, A actions, horizon H, **unknown but fixed** transitions P and losses ``l^k_h(s, a)`` in
[0, 1] that change adversarially between episodes, fixed before the run (oblivious adversary).
OPPO's setting (Cai, Yang, Jin, Wang 2020): the same with a linear-mixture kernel
``P_h(s'|s,a) = <psi(s'|s,a), theta_h>`` (known basis ``psi``) and full-information losses.

Both are :class:`~rltheory.envs.adversarial.AdversarialMDP` instances whose loss features are
one-hot, ``phi(s,a) = e_(s,a)`` (``d = S·A``), so the loss parameters ``theta^k_h`` are the loss
tables ``vec(l^k_h)`` themselves, and every exact metric of :mod:`rltheory.envs.adversarial`
(episode values, the best fixed policy in hindsight, regret) applies unchanged. The sequence
kinds are those of :func:`~rltheory.envs.adversarial.loss_sequence` over the ``S·A`` pairs:
``"iid"``, ``"stochastic"`` (Bernoulli losses around a fixed mean table: the stochastic special
case), ``"piecewise"``, ``"drifting"`` and ``"anti-greedy"`` (a random half of the pairs charged
in alternate blocks).
"""

from __future__ import annotations

import numpy as np

from rltheory.envs.adversarial import LOSS_KINDS, AdversarialMDP, loss_sequence
from rltheory.envs.mixture import random_mixture
from rltheory.envs.registry import register_family
from rltheory.envs.tabular import random_tabular
from rltheory.envs.transforms import one_hot_features
from rltheory.mdp.models import FiniteHorizonMDP


def _check_kind(kind: str) -> None:
    if kind not in LOSS_KINDS:  # fail before drawing anything
        raise ValueError(f"parameter 'kind' must be one of {', '.join(LOSS_KINDS)}, got {kind!r}")


def with_loss_tables(
    dynamics: FiniteHorizonMDP,
    rng: np.random.Generator,
    *,
    kind: str,
    n_episodes: int,
    switch_every: int,
    period: int,
    name: str,
) -> AdversarialMDP:
    """``dynamics`` (rewards discarded) with one-hot loss features and ``K`` loss tables.

    The loss tables ``l^k_h = theta^k_h`` (``[K, H, S·A]``) are drawn from ``rng`` by
    :func:`~rltheory.envs.adversarial.loss_sequence` with ``d = S·A``.
    """
    zero = dynamics.with_rewards(np.zeros_like(dynamics.rewards), name=f"{dynamics.name} dynamics")
    one_hot = one_hot_features(zero)
    n_pairs = dynamics.n_states * dynamics.n_actions
    theta = loss_sequence(
        kind,
        rng,
        n_episodes,
        dynamics.horizon,
        n_pairs,
        switch_every=switch_every,
        period=period,
    )
    metadata = {"kind": kind, "switch_every": switch_every, "period": period}
    return AdversarialMDP(one_hot, theta, name=name, metadata=metadata)


@register_family(
    "adversarial-tabular",
    gym_name="AdversarialTabular",
    citation="Lancewicki, Rosenberg, Sotnikov 2023 (DAPO) §2 setting; generator ours",
    summary="unknown fixed tabular P (Dirichlet rows), oblivious loss tables of a chosen kind",
)
def adversarial_tabular(
    rng: np.random.Generator,
    *,
    n_states: int = 6,
    n_actions: int = 3,
    horizon: int = 4,
    n_episodes: int = 500,
    kind: str = "piecewise",
    switch_every: int = 50,
    period: int = 100,
    homogeneous: bool = False,
    concentration: float = 1.0,
) -> AdversarialMDP:
    """Random tabular dynamics and ``K`` oblivious loss tables ``l^k [H, S, A]`` in [0, 1].

    Draw order: the model of :func:`~rltheory.envs.tabular.random_tabular` (its reward draw is
    discarded; start state 0), then the loss sequence. ``homogeneous=False`` (default) gives one
    kernel per step ``h`` (a layered MDP, as in Jin et al. 2020).
    """
    _check_kind(kind)
    base = random_tabular(
        rng,
        n_states=n_states,
        n_actions=n_actions,
        horizon=horizon,
        homogeneous=homogeneous,
        concentration=concentration,
    )
    return with_loss_tables(
        base,
        rng,
        kind=kind,
        n_episodes=n_episodes,
        switch_every=switch_every,
        period=period,
        name=f"adversarial-tabular({kind}, S={n_states}, A={n_actions}, H={horizon}, "
        f"K={n_episodes})",
    )


@register_family(
    "adversarial-mixture",
    gym_name="AdversarialMixture",
    citation="Cai, Yang, Jin, Wang 2020 (OPPO) setting: linear mixture kernel, adversarial losses",
    summary="random linear-mixture kernel (known basis psi), oblivious loss tables of a kind",
)
def adversarial_mixture(
    rng: np.random.Generator,
    *,
    n_states: int = 5,
    n_actions: int = 3,
    dim: int = 4,
    horizon: int = 4,
    n_episodes: int = 500,
    kind: str = "drifting",
    switch_every: int = 50,
    period: int = 100,
    homogeneous: bool = False,
) -> AdversarialMDP:
    """Random linear-mixture dynamics and ``K`` oblivious loss tables ``l^k [H, S, A]``.

    Draw order: the model of :func:`~rltheory.envs.mixture.random_mixture` (its reward draw is
    discarded; start state 0), then the loss sequence. The kernel keeps its mixture basis
    (``dynamics.mixture_basis``, ``[S, A, S, dim]``, with ``||phi_V|| <= 1``); the loss features
    are one-hot (``d = S·A``), so ``dim`` is the mixture dimension only.
    """
    _check_kind(kind)
    base = random_mixture(
        rng,
        n_states=n_states,
        n_actions=n_actions,
        dim=dim,
        horizon=horizon,
        homogeneous=homogeneous,
    )
    return with_loss_tables(
        base,
        rng,
        kind=kind,
        n_episodes=n_episodes,
        switch_every=switch_every,
        period=period,
        name=f"adversarial-mixture({kind}, S={n_states}, A={n_actions}, d={dim}, H={horizon}, "
        f"K={n_episodes})",
    )
