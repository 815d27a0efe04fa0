"""Learner base classes of the protocols, the learner's view (:class:`Problem`) and structure tags.

- **online episodic** (:class:`OnlineAlgorithm`): ``policy()`` returns ``pi_k`` for the next
  episode for each of B seeds, ``update(trajectories)`` receives that episode's trajectories.
  Metric: exact pseudo-regret ``V*_1(s_1^k) - V^{pi_k}_1(s_1^k)`` (Jin et al. 2020, §2), computed
  on the model by the runner, never from sampled returns.
- **offline** (:class:`OfflineAlgorithm`): ``fit(dataset)`` returns a policy. Metric: exact
  suboptimality ``V*_1 - V^{pi_hat}_1`` under the nominal (and, for robust algorithms, the
  perturbed) model.
- **federated / iterative** (:class:`FederatedAlgorithm`): rounds of local updates and server
  aggregation. Metric: exact parameter error ``||theta_t - theta*||^2`` to the fixed point, and
  the induced policy's value.
- **adversarial** (:class:`AdversarialAlgorithm`): an oblivious loss sequence over fixed unknown
  dynamics; ``policy()`` returns ``pi_k``, ``update(arrivals)`` receives the :class:`Feedback`
  items that arrive at the end of episode k (bandit: the losses along the trajectory; full
  information: also the episode's whole loss table). With **delayed** feedback an item arrives
  at the end of episode ``k + d_k``, several may arrive at once, and the delays themselves are
  never shown. Metric: exact regret against the best fixed policy in hindsight.

The runner-side half of each protocol (its spec keys, interaction loop and exact metrics) is a
registered object in :mod:`rltheory.experiments.protocols`. A learner never sees the model: the
protocol builds a :class:`Problem` holding only what the setting reveals. Every learner runs B
independent copies (one per seed) in one set of arrays,
each seed with its own ``numpy.random.Generator``, so batched and one-seed runs are identical.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from rltheory.mdp import DiscountedMDP, FiniteHorizonMDP, Trajectories

STRUCTURES: dict[str, str] = {
    "model": "the exact model itself (oracle baselines only)",
    "finite-horizon": "an episodic model with horizon H and fixed mean rewards r_h(s,a) in [0, 1]",
    "discounted": "a discounted model with factor gamma",
    "bandit": "horizon H = 1 (contextual linear bandit)",
    "tabular": "finite state and action sets with an exact kernel (visit counts estimate it)",
    "features": "linear-MDP features phi(s,a) that realize kernel and rewards",
    "feature-map": "a feature map phi(s,a), possibly misspecified (need not realize the model)",
    "mixture": "a linear-mixture basis psi(s'|s,a) (integration map V -> phi_V)",
    "time-homogeneous": "kernel and rewards that do not depend on the step h",
    "unit-total-reward": "every trajectory's total reward sum_h r_h is at most 1",
    "adversarial": "an oblivious loss sequence l^k_h(s,a) fixed before the run",
    "delayed": "an oblivious delay sequence d_k fixed before the run (delayed feedback)",
    "heterogeneous": "a family of N models sharing S, A and features (federated agents)",
    "perturbed": "a nominal model with exact perturbed test models (robust offline RL)",
    "offline-dataset": "a nominal model a behaviour policy can collect an offline dataset in",
}
"""Structure tags a protocol or an algorithm may require of an environment, and their meaning.

A model offers the tags :func:`structures_of` derives from its type and arrays, plus those it
declares itself in a ``structures`` attribute (e.g. a federated family declares
``"heterogeneous"``): new model kinds join without editing this module.
"""

STRUCTURE_HINTS: dict[str, str] = {
    "features": (
        "a tabular model gets one-hot linear-MDP features from transforms = "
        '["one-hot-features"], or use the tabular-as-linear family'
    ),
    "unit-total-reward": 'rescale rewards with transforms = ["unit-total-reward"]',
    "delayed": 'wrap an adversarial family in the "delayed-adversarial" family (delay = ...)',
    "finite-horizon": "episodic protocols need a FiniteHorizonMDP family",
}
"""How to obtain a missing structure, where the package offers a way (shown in errors)."""


@dataclass(frozen=True, eq=False)
class Problem:
    """What a learner may know about the environment, and nothing else.

    ``features [S, A, d]`` and ``mixture_basis [S, A, S, d]`` are present when the model has that
    structure, with ``mixture_dim`` d of the basis and ``norm_bound`` B >= ||theta||_2 where the
    model states it; ``rewards`` is the (known, deterministic) reward table only when the setting
    reveals it (never for adversarial losses, which the protocol reveals episode by episode);
    ``total_reward_bound`` bounds sum_h r_h along every trajectory where the model states it;
    ``model`` is only filled for algorithms that declare the ``"model"`` requirement (oracles).
    ``n_episodes`` is K, for algorithms whose parameters depend on it (e.g. iota = log(2dT/p)).
    ``initial_distribution`` (``mu0 [S]``) is set when the setting reveals it (the adversarial
    protocol: a known start state, as in Jin et al. 2020).
    """

    n_states: int
    n_actions: int
    n_episodes: int
    horizon: int | None = None
    gamma: float | None = None
    features: np.ndarray | None = None
    mixture_basis: np.ndarray | None = None
    rewards: np.ndarray | None = None
    time_homogeneous: bool = False
    mixture_dim: int | None = None
    norm_bound: float | None = None
    total_reward_bound: float | None = None
    model: Any = None
    initial_distribution: np.ndarray | None = None

    @property
    def dim(self) -> int | None:
        """Feature dimension d (None without linear-MDP features)."""
        return None if self.features is None else self.features.shape[-1]

    @classmethod
    def from_model(
        cls,
        model: Any,
        n_episodes: int,
        *,
        reveal_model: bool = False,
        reveal_rewards: bool = True,
    ) -> Problem:
        """The learner's view of ``model``: sizes, features, basis, stated bounds and (when
        ``reveal_rewards``) the reward table."""
        horizon = getattr(model, "horizon", None)
        basis = getattr(model, "mixture_basis", None)
        metadata = getattr(model, "metadata", {}) or {}
        return cls(
            n_states=model.n_states,
            n_actions=model.n_actions,
            n_episodes=int(n_episodes),
            horizon=horizon,
            gamma=getattr(model, "gamma", None),
            features=getattr(model, "features", None),
            mixture_basis=basis,
            rewards=getattr(model, "rewards", None) if reveal_rewards else None,
            time_homogeneous=bool(getattr(model, "time_homogeneous", horizon is None)),
            mixture_dim=None if basis is None else int(basis.shape[-1]),
            norm_bound=metadata.get("norm_bound"),
            total_reward_bound=metadata.get("total_reward_bound"),
            model=model if reveal_model else None,
        )


def _total_reward_bound(model: Any) -> float | None:
    """``sum_h max_{s,a} r_h(s,a)``, an upper bound on every trajectory's total reward."""
    rewards = getattr(model, "rewards", None)
    if rewards is None or getattr(model, "horizon", None) is None:
        return None
    return float(np.asarray(rewards).reshape(rewards.shape[0], -1).max(axis=1).sum())


def structures_of(model: Any) -> frozenset[str]:
    """The structure tags (keys of :data:`STRUCTURES`) a model offers: derived from its type and
    arrays, plus any it declares in a ``structures`` attribute."""
    tags = {"model", *getattr(model, "structures", ())}
    if isinstance(model, FiniteHorizonMDP):
        tags |= {"finite-horizon", "tabular"}
        if model.horizon == 1:
            tags.add("bandit")
        if model.mixture_basis is not None:
            tags.add("mixture")
        if model.time_homogeneous:
            tags.add("time-homogeneous")
        if _total_reward_bound(model) <= 1.0 + 1e-12:
            tags.add("unit-total-reward")
    elif isinstance(model, DiscountedMDP):
        tags |= {"discounted", "tabular", "time-homogeneous"}
    features = getattr(model, "features", None)
    if features is not None:
        tags.add("feature-map")
        if getattr(model, "realizable", False):
            tags.add("features")
    return frozenset(tags)


def missing_structures(required: frozenset[str], model: Any) -> list[str]:
    """Required tags the model lacks, each as ``tag (meaning)`` plus how to get it if known."""
    missing = sorted(required - structures_of(model))
    return [
        f"{tag} ({STRUCTURES.get(tag, 'unknown structure tag')})"
        + (f"; hint: {STRUCTURE_HINTS[tag]}" if tag in STRUCTURE_HINTS else "")
        for tag in missing
    ]


class OnlineAlgorithm(ABC):
    """Base class of online episodic learners, batched over B seeds.

    Subclasses set ``Config`` (a frozen dataclass of hyperparameters with the paper's defaults)
    and implement :meth:`policy` and :meth:`update`. ``rngs`` holds one generator per seed; a
    learner draws seed b's randomness only from ``rngs[b]``. ``episode`` (episodes fed in so
    far) is kept by the interaction loop, not by the learner.
    """

    protocol: ClassVar[str] = "online"
    Config: ClassVar[type]

    def __init__(self, problem: Problem, config: Any, rngs: Sequence[np.random.Generator]):
        if problem.horizon is None:
            raise ValueError(f"{type(self).__name__} needs a finite-horizon problem")
        self.problem = problem
        self.config = config
        self.rngs = list(rngs)
        self.episode = 0

    @property
    def n_seeds(self) -> int:
        return len(self.rngs)

    @abstractmethod
    def policy(self) -> np.ndarray:
        """``pi_k`` for every seed: ``int [B, H, S]`` or ``float [B, H, S, A]``."""

    @abstractmethod
    def update(self, trajectories: Trajectories) -> None:
        """Learn from episode k's trajectories (arrays ``[B, H+1]``/``[B, H]``)."""

    def checked_trajectories(
        self, trajectories: Trajectories
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(states [B, H+1], actions [B, H], rewards [B, H])`` of one episode per seed,
        validated against the problem (shapes, integer indices in range)."""
        p = self.problem
        states = np.asarray(trajectories.states)
        actions = np.asarray(trajectories.actions)
        rewards = np.asarray(trajectories.rewards, dtype=float)
        for name, array, shape in (
            ("states", states, (self.n_seeds, p.horizon + 1)),
            ("actions", actions, (self.n_seeds, p.horizon)),
            ("rewards", rewards, (self.n_seeds, p.horizon)),
        ):
            if array.shape != shape:
                raise ValueError(
                    f"trajectories.{name} must have shape {list(shape)} (one episode per seed), "
                    f"got {list(array.shape)}"
                )
        indices = (("states", states, p.n_states), ("actions", actions, p.n_actions))
        for name, array, bound in indices:
            if not np.issubdtype(array.dtype, np.integer):
                raise TypeError(f"trajectories.{name} must be integers, got {array.dtype}")
            if array.size and (array.min() < 0 or array.max() >= bound):
                raise ValueError(
                    f"trajectories.{name} outside [0, {bound}): min {array.min()}, "
                    f"max {array.max()}"
                )
        return states, actions, rewards


class OfflineAlgorithm(ABC):
    """Base class of offline learners: a dataset in, a policy out (batched over B seeds).

    The dataset holds one dataset of K episodes per seed: ``states [B, K, H+1]``,
    ``actions [B, K, H]``, ``rewards [B, K, H]``.
    """

    protocol: ClassVar[str] = "offline"
    Config: ClassVar[type]

    def __init__(self, problem: Problem, config: Any, rngs: Sequence[np.random.Generator]):
        self.problem = problem
        self.config = config
        self.rngs = list(rngs)

    @property
    def n_seeds(self) -> int:
        return len(self.rngs)

    @abstractmethod
    def fit(self, dataset: Trajectories) -> np.ndarray:
        """Return the learned policy for every seed (``[B, H, S]`` or ``[B, H, S, A]``)."""

    def checked_dataset(self, dataset: Trajectories) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(states [B, K, H+1], actions [B, K, H], rewards [B, K, H])`` validated against the
        problem (one dataset per seed, integer indices in range, finite rewards)."""
        p = self.problem
        states = np.asarray(dataset.states)
        actions = np.asarray(dataset.actions)
        rewards = np.asarray(dataset.rewards, dtype=float)
        if actions.ndim != 3 or actions.shape[0] != self.n_seeds or actions.shape[1] < 1:
            raise ValueError(
                f"dataset.actions must have shape [B={self.n_seeds}, K >= 1, H], got "
                f"{list(actions.shape)}"
            )
        n_episodes = actions.shape[1]
        for name, array, shape in (
            ("states", states, (self.n_seeds, n_episodes, p.horizon + 1)),
            ("actions", actions, (self.n_seeds, n_episodes, p.horizon)),
            ("rewards", rewards, (self.n_seeds, n_episodes, p.horizon)),
        ):
            if array.shape != shape:
                raise ValueError(
                    f"dataset.{name} must have shape {list(shape)}, got {list(array.shape)}"
                )
        for name, array, bound in (
            ("states", states, p.n_states),
            ("actions", actions, p.n_actions),
        ):
            if not np.issubdtype(array.dtype, np.integer):
                raise TypeError(f"dataset.{name} must be integers, got {array.dtype}")
            bad = np.argwhere((array < 0) | (array >= bound))
            if bad.size:
                index = tuple(int(i) for i in bad[0])
                raise ValueError(
                    f"dataset.{name}[seed, episode, step] = {array[index]} outside [0, {bound}) at "
                    f"{index}"
                )
        if not np.all(np.isfinite(rewards)):
            index = tuple(int(i) for i in np.argwhere(~np.isfinite(rewards))[0])
            raise ValueError(f"dataset.rewards is not finite at [seed, episode, step] = {index}")
        return states, actions, rewards


class FederatedAlgorithm(ABC):
    """Base class of federated learners: N agents on their own continuing chains, B seeds.

    ``problems`` holds one :class:`Problem` per agent (shared sizes, ``gamma`` and features;
    ``n_episodes`` is the total number of local steps T). The protocol drives the loop; per local
    step t, for every seed and agent at once (arrays ``[B, N]``)::

        actions = learner.act(states)                    # a_t ~ pi_{theta_t^i}(.|s_t^i)
        rewards, next_states = chains.step(actions)      # the agents' own MDPs
        learner.observe(states, actions, rewards, next_states)   # one local update
        if (t + 1) % K == 0: learner.aggregate()         # server round

    :meth:`output` is the iterate the theory bounds (``[B, N, d]``, one per agent; after
    :meth:`aggregate` all agents hold the server parameter). ``rngs[b]`` is seed b's generator.
    """

    protocol: ClassVar[str] = "federated"
    Config: ClassVar[type]

    def __init__(
        self, problems: Sequence[Problem], config: Any, rngs: Sequence[np.random.Generator]
    ):
        self.problems = list(problems)
        if not self.problems:
            raise ValueError(f"{type(self).__name__} needs one Problem per agent, got none")
        self.config = config
        self.rngs = list(rngs)

    @property
    def n_seeds(self) -> int:
        return len(self.rngs)

    @property
    def n_agents(self) -> int:
        return len(self.problems)

    @abstractmethod
    def act(self, states: np.ndarray) -> np.ndarray:
        """The actions ``a_t [B, N]`` every agent plays in its current state ``states [B, N]``."""

    @abstractmethod
    def observe(
        self,
        states: np.ndarray,
        actions: np.ndarray,
        rewards: np.ndarray,
        next_states: np.ndarray,
    ) -> None:
        """One local step from the transitions ``(s_t, a_t, r_t, s_{t+1})`` (each ``[B, N]``)."""

    @abstractmethod
    def aggregate(self) -> None:
        """A server round: aggregate the agents' parameters and broadcast the result."""

    @abstractmethod
    def output(self) -> np.ndarray:
        """The iterate the theory bounds, ``[B, N, d]``."""


@dataclass(frozen=True, eq=False)
class Feedback:
    """The feedback of episode ``episode`` for every seed, as it arrives (possibly late).

    ``states [B, H+1]``, ``actions [B, H]`` and ``losses [B, H]`` (the losses
    ``l^j_h(s_h, a_h)`` along each seed's trajectory: bandit feedback); ``loss_table [H, S, A]``
    is the whole loss ``l^j`` of that episode under full information, else None. The delay is
    not part of the item: a learner only knows when it arrives.
    """

    episode: int
    states: np.ndarray
    actions: np.ndarray
    losses: np.ndarray
    loss_table: np.ndarray | None = None


class AdversarialAlgorithm(ABC):
    """Base class of learners for adversarial (possibly delayed) episodic feedback, batched.

    ``policy()`` gives ``pi_k [B, H, S, A]`` for the next episode; ``update(arrivals)`` is
    called once at the end of every episode with the (possibly empty) list of :class:`Feedback`
    items arriving then, each tagged with the episode it came from. ``full_information = True``
    declares a learner that needs the loss tables (full-information feedback).
    """

    protocol: ClassVar[str] = "adversarial"
    full_information: ClassVar[bool] = False
    Config: ClassVar[type]

    def __init__(self, problem: Problem, config: Any, rngs: Sequence[np.random.Generator]):
        if problem.horizon is None or problem.initial_distribution is None:
            raise ValueError(
                f"{type(self).__name__} needs a finite-horizon problem with a known initial "
                "distribution"
            )
        self.problem = problem
        self.config = config
        self.rngs = list(rngs)
        self.episode = 0
        self._delivered: set[int] = set()

    @property
    def n_seeds(self) -> int:
        return len(self.rngs)

    @abstractmethod
    def policy(self) -> np.ndarray:
        """``pi_k`` for every seed: ``float [B, H, S, A]``."""

    @abstractmethod
    def update(self, arrivals: Sequence[Feedback]) -> None:
        """End of episode k: learn from the feedback items arriving now (any number, any order
        of origin); call :meth:`checked_arrivals` first."""

    def checked_arrivals(self, arrivals: Sequence[Feedback]) -> list[Feedback]:
        """Validate the arrivals of the episode that just ended and advance ``self.episode``.

        Each item must come from an episode already played and not delivered before, with
        arrays of the problem's shapes; full-information learners need ``loss_table``.
        """
        p = self.problem
        shapes = {
            "states": (self.n_seeds, p.horizon + 1),
            "actions": (self.n_seeds, p.horizon),
            "losses": (self.n_seeds, p.horizon),
        }
        for item in arrivals:
            if not 0 <= item.episode <= self.episode or item.episode in self._delivered:
                raise ValueError(
                    f"feedback of episode {item.episode} cannot arrive at the end of episode "
                    f"{self.episode} (not yet played, or already delivered)"
                )
            for name, shape in shapes.items():
                if np.shape(getattr(item, name)) != shape:
                    raise ValueError(
                        f"feedback.{name} of episode {item.episode} must have shape "
                        f"{list(shape)}, got {list(np.shape(getattr(item, name)))}"
                    )
            table = (p.horizon, p.n_states, p.n_actions)
            if self.full_information and np.shape(item.loss_table) != table:
                raise ValueError(
                    f"{type(self).__name__} needs full-information feedback: loss_table of shape "
                    f"{list(table)} for episode {item.episode}, got "
                    f"{None if item.loss_table is None else list(np.shape(item.loss_table))}"
                )
            self._delivered.add(item.episode)
        self.episode += 1
        return list(arrivals)
