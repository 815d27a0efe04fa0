"""Tabular policy optimization for adversarial MDPs with (delayed) bandit feedback.

One learner, :class:`PolicyOptimization`, with three registered configurations:

- ``po-bandit`` (Luo, Wei, Lee, NeurIPS 2021, "Policy Optimization in Adversarial MDPs: Improved
  Exploration via Dilated Bonuses"): exponential weights per state on
  ``Q_hat_h(s,a) = L_h 1{(s_h,a_h) = (s,a)} / (u_bar_h(s) pi_h(a|s) + gamma)`` (the
  importance-weighted realized cost-to-go) minus the dilated bonus ``B``
  (:func:`rltheory.algos._po.dilated_bonus`), ``pi_{k+1} ∝ pi_k exp(-eta (Q_hat - B))``. On late
  feedback it is "PO with delays": the item of episode j is weighted by the occupancy of the
  policy that played it, ``pi_j``, and used as soon as it arrives.
- ``po-shani`` (Shani, Efroni, Rosenberg, Mannor, ICML 2020, optimistic PO): the per-step
  importance-weighted cost ``c_hat`` evaluated by an optimistic model backup
  (:func:`rltheory.algos._po.optimistic_backup`, optimism over the L1 set instead of an additive
  bonus), truncated to ``[0, H - h]``, step ``t_K = sqrt(2 log A / (H² K))``.
- ``dapo`` (Lancewicki, Rosenberg, Sotnikov, ICML 2023, delay-adapted PO), a RECONSTRUCTION:
  the item of episode j arriving at the end of episode k uses the delay-adapted denominator
  ``max{u_bar^{pi_j}_h(s) pi_j(a|s), u_bar^{pi_k}_h(s) pi_k(a|s)} + gamma`` (Jin et al. 2022's
  estimator, as remembered), skips items whose observed delay ``k - j`` exceeds a threshold
  (``skip = "threshold"`` with ``skip_threshold``, or ``"doubling"``: ``skip_scale · sqrt(D_hat)``
  with ``D_hat`` the delay incurred so far rounded up to a power of two, which the learner
  observes as the count of outstanding episodes), learns transitions from every arriving
  trajectory, skipped ones included, and keeps the policies of outstanding episodes.

Per update (end of episode k, arrivals F_k): (1) add every arriving trajectory to the per-step
transition counts; (2) form ``P_hat`` and the L1 radii; (3) upper/lower occupancy bounds of
``pi_k`` and of each kept ``pi_j`` (:func:`rltheory.algos._occupancy.occupancy_bounds`); (4) one
estimate per kept item and one bonus ``B_k`` (with ``pi_k``) per kept item; (5)
``logits -= eta sum_j (Q_hat_j - B_k)``. No arrivals: no change. Zero delays make ``dapo`` and
``po-bandit`` identical (the max of two equal numbers), which a test checks bit for bit.

UNVERIFIED choices (none of the three papers' algorithm boxes could be read): the estimator and
bonus forms above [M]; the defaults ``eta = sqrt(log A / (S A H² K))`` and ``gamma = 2 eta H``
[M]; the L1 confidence set and its radius (see :mod:`rltheory.algos._occupancy`) [D]; the
confidence set refreshed every episode rather than in doubling epochs [D]; one bonus per kept
item computed with the current policy [M]; DAPO's skipping rule and doubling schedule [D]; the
"PO with delays" baseline's time-of-play weighting [D].
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rltheory.algos._occupancy import empirical_kernel, l1_radius, occupancy_bounds
from rltheory.algos._po import (
    dilated_bonus,
    importance_weighted_cost,
    importance_weighted_q,
    optimistic_backup,
    softmax_policy,
)
from rltheory.algos.po_events import PO_MONITOR
from rltheory.algos.protocols import AdversarialAlgorithm, Feedback, Problem
from rltheory.algos.registry import register
from rltheory.algos.ucbvi import transition_counts

ESTIMATORS = ("importance-weighted", "model-backup")
BONUSES = ("dilated", "none")
DENOMINATORS = ("play", "max")
SKIPS = ("off", "threshold", "doubling")

UNVERIFIED = (
    "unverified [M]: estimator/bonus forms, eta and gamma defaults; ours [D]: L1 confidence set, "
    "per-episode confidence refresh"
)


@dataclass(frozen=True)
class POConfig:
    """Hyperparameters (see the module docstring for which are unverified).

    ``eta``/``gamma`` None: the defaults of the estimator (module docstring). ``delta``: the
    confidence level in the L1 radius. ``denominator``: ``"play"`` (occupancy of the policy that
    played the item) or ``"max"`` (DAPO's max of play time and current time).
    ``radius_scale`` multiplies the L1 radius (1 = the stated radius; smaller values are a
    practical deviation that tightens the occupancy bounds).
    """

    eta: float | None = None
    gamma: float | None = None
    delta: float = 0.1
    estimator: str = "importance-weighted"
    bonus: str = "dilated"
    denominator: str = "play"
    skip: str = "off"
    skip_threshold: float = math.inf
    skip_scale: float = 1.0
    truncate: bool = False
    radius_scale: float = 1.0

    def __post_init__(self) -> None:
        for name, allowed in (
            ("estimator", ESTIMATORS),
            ("bonus", BONUSES),
            ("denominator", DENOMINATORS),
            ("skip", SKIPS),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(
                    f"parameter '{name}' must be one of {', '.join(allowed)}, "
                    f"got {getattr(self, name)!r}"
                )
        for name in ("eta", "gamma"):
            value = getattr(self, name)
            if value is not None and not value >= 0:
                raise ValueError(f"parameter '{name}' must be >= 0, got {value}")
        if not 0 < self.delta < 1:
            raise ValueError(f"parameter 'delta' must lie in (0, 1), got {self.delta}")
        if not self.radius_scale >= 0:
            raise ValueError(f"parameter 'radius_scale' must be >= 0, got {self.radius_scale}")
        if not self.skip_threshold >= 0 or not self.skip_scale > 0:
            raise ValueError("parameters 'skip_threshold' >= 0 and 'skip_scale' > 0 required")


def default_eta(config: POConfig, problem: Problem) -> float:
    """``eta`` as configured, else ``sqrt(log A / (S A H² K))`` (importance-weighted, [M]) or
    Shani et al.'s ``t_K = sqrt(2 log A / (H² K))`` (model backup)."""
    if config.eta is not None:
        return float(config.eta)
    s, a, h, k = problem.n_states, problem.n_actions, problem.horizon, problem.n_episodes
    log_a = math.log(max(a, 2))
    if config.estimator == "model-backup":
        return math.sqrt(2.0 * log_a / (h * h * k))
    return math.sqrt(log_a / (s * a * h * h * k))


def skip_threshold(config: POConfig, incurred_delay: int) -> float:
    """Largest observed delay still used: ``inf`` (off), ``skip_threshold``, or
    ``skip_scale · sqrt(D_hat)`` with ``D_hat = 2^ceil(log2 max(1, incurred))`` (doubling) [D]."""
    if config.skip == "off":
        return math.inf
    if config.skip == "threshold":
        return config.skip_threshold
    guess = 2 ** math.ceil(math.log2(max(1, incurred_delay)))
    return config.skip_scale * math.sqrt(guess)


class PolicyOptimization(AdversarialAlgorithm):
    """Exponential-weights policy optimization with bandit feedback (module docstring)."""

    Config = POConfig

    def __init__(self, problem: Problem, config: POConfig, rngs: Sequence[np.random.Generator]):
        super().__init__(problem, config, rngs)
        p = problem
        self.eta = default_eta(config, p)
        self.gamma = 2.0 * self.eta * p.horizon if config.gamma is None else float(config.gamma)
        shape = (self.n_seeds, p.horizon, p.n_states, p.n_actions)
        self.logits = np.zeros(shape)
        self.counts = np.zeros((*shape, p.n_states), dtype=np.int64)
        self.played: dict[int, np.ndarray] = {}
        self.arrived = 0
        self.incurred_delay = 0
        self.used = 0
        self.skipped = 0

    def policy(self) -> np.ndarray:
        return softmax_policy(self.logits)

    def confidence_set(self, scale: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The L1 transition set from the counts so far: ``P_hat [B, H, S, A, S]`` and the radii
        ``[B, H, S, A]`` at ``scale`` (default ``config.radius_scale``)."""
        p = self.problem
        scale = self.config.radius_scale if scale is None else scale
        radius = l1_radius(
            self.counts.sum(-1), p.n_states, p.n_actions, p.horizon, p.n_episodes,
            self.config.delta, scale,
        )  # fmt: skip
        return empirical_kernel(self.counts), radius

    def update(self, arrivals: Sequence[Feedback]) -> None:
        arrivals = self.checked_arrivals(arrivals)
        k = self.episode - 1
        p = self.problem
        current = softmax_policy(self.logits)
        self.played[k] = current
        self.arrived += len(arrivals)
        self.incurred_delay += (k + 1) - self.arrived  # outstanding feedback after episode k
        for item in arrivals:  # transitions from every arriving trajectory, skipped or not
            self.counts += transition_counts(
                np.asarray(item.states), np.asarray(item.actions), p.n_states, p.n_actions, False
            )
        threshold = skip_threshold(self.config, self.incurred_delay)
        kept = [item for item in arrivals if k - item.episode <= threshold]
        played = {item.episode: self.played.pop(item.episode) for item in arrivals}
        self.used += len(kept)
        self.skipped += len(arrivals) - len(kept)
        if not kept:
            return
        p_hat, radius = self.confidence_set()
        stack = np.stack([current, *(played[item.episode] for item in kept)], axis=1)
        upper, lower = occupancy_bounds(
            stack, p_hat[:, None], radius[:, None], p.initial_distribution
        )
        signal = np.zeros_like(self.logits)
        upper_now = upper[:, 0, ..., None] * current
        for i, item in enumerate(kept, start=1):
            upper_sa = upper[:, i, ..., None] * played[item.episode]
            if self.config.denominator == "max":
                upper_sa = np.maximum(upper_sa, upper_now)
            signal += self._estimate(item, upper_sa + self.gamma, current, p_hat, radius)
        if self.config.bonus == "dilated":
            bonus = dilated_bonus(current, upper[:, 0], lower[:, 0], p_hat, radius, self.gamma)
            signal -= len(kept) * bonus
        self.logits -= self.eta * signal

    def _estimate(
        self,
        item: Feedback,
        denominator: np.ndarray,
        current: np.ndarray,
        p_hat: np.ndarray,
        radius: np.ndarray,
    ) -> np.ndarray:
        states, actions = np.asarray(item.states), np.asarray(item.actions)
        losses = np.asarray(item.losses, dtype=float)
        if self.config.estimator == "importance-weighted":
            return importance_weighted_q(states, actions, losses, denominator)
        cost = importance_weighted_cost(states, actions, losses, denominator)
        return optimistic_backup(cost, current, p_hat, radius, self.config.truncate)


@register(
    "po-bandit",
    citation="Luo, Wei, Lee 2021 (NeurIPS), dilated bonuses; " + UNVERIFIED,
    summary="tabular PO, bandit feedback: exp. weights on importance-weighted cost-to-go "
    "minus dilated bonus; late feedback weighted by its playing policy",
    monitor=PO_MONITOR,
)
class POBandit(PolicyOptimization):
    """Policy optimization with dilated bonuses (Luo, Wei, Lee 2021); see the module docstring."""


@dataclass(frozen=True)
class ShaniConfig(POConfig):
    """Shani et al. 2020 defaults: model-backup estimator, optimism in the backup, truncation."""

    estimator: str = "model-backup"
    bonus: str = "none"
    truncate: bool = True


@register(
    "po-shani",
    citation="Shani, Efroni, Rosenberg, Mannor 2020 (ICML), optimistic PO; estimator choice and "
    "optimism over the L1 set are ours [D]; " + UNVERIFIED,
    summary="optimistic tabular PO: importance-weighted cost, optimistic model backup, KL step",
    monitor=PO_MONITOR,
)
class POShani(PolicyOptimization):
    """Optimistic policy optimization (Shani et al. 2020); see the module docstring."""

    Config = ShaniConfig


@dataclass(frozen=True)
class DAPOConfig(POConfig):
    """DAPO defaults: delay-adapted denominator and doubling skipping (reconstruction)."""

    denominator: str = "max"
    skip: str = "doubling"


@register(
    "dapo",
    citation="Lancewicki, Rosenberg, Sotnikov 2023 (ICML), RECONSTRUCTION (only the abstract "
    "verified): delay-adapted max{u_j, u_k} denominator [M], skipping by a doubling rule on "
    "observed delays [D]; " + UNVERIFIED,
    summary="delay-adapted PO: max-of-occupancies estimator, skipping of large observed delays, "
    "transitions from all arrivals",
    monitor=PO_MONITOR,
)
class DAPO(PolicyOptimization):
    """Delay-adapted policy optimization (reconstruction); see the module docstring."""

    Config = DAPOConfig
