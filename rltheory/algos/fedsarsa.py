"""FedSARSA (Zhang, Wang, Mitra, Anderson, ICLR 2024) and projected linear SARSA (Zhang, Tachet
des Combes, Laroche, ICML 2023), batched over B seeds and N agents.

Local step (poster's Algorithm 1, SARSA, line 9; ``g_t = phi(s_t,a_t) Delta_t``)::

    a_{t+1} ~ pi_{theta_t^i}(.|s_{t+1})                  on-policy, the agent's LOCAL parameter
    Delta_t = r_t + gamma phi(s_{t+1},a_{t+1})^T theta_t^i - phi(s_t,a_t)^T theta_t^i
    theta_{t+1}^i = proj(theta_t^i + alpha_t Delta_t phi(s_t,a_t))

Server round every K local steps (FedSARSA): ``theta-bar = (1/N) sum_i theta^i``, optionally
projected, broadcast to every agent; the chains continue (never reset). ``pi_theta = Gamma(theta)``
is the softmax ``exp(phi^T theta / tau)`` with Lipschitz constant ``C = max_s D_s/(4 tau)``
(:func:`rltheory.mdp.sarsa.lipschitz_constant`).

Choices NOT verified in the paper (Algorithm 1 of FedSARSA was not readable):

- projection placement [M]: ``projection="server"`` (after averaging; a secondary summary [S])
  or ``"local"`` (every local iterate, as in the poster's single-agent SARSA); the authors'
  code never projects, hence the default radius ``inf`` (off);
- step-size schedule of the theorem [M]: ``schedule="decaying"`` uses the authors' code,
  ``alpha_t = 1/(1/alpha_0 + t)`` with the weighted average ``theta~_t ∝ sum_s theta_s/alpha_s``
  (weights ``1/alpha_0 + s``; ``fedsarsa.m`` also counts ``theta_0`` twice);
- tau (mixing time) and Lambda of the bound are not defined in what could be read [M];
- ``action_draw="redraw"`` mirrors ``fedsarsa.m``, which redraws a_t at every step instead of
  carrying a_{t+1} over (same stationary law, other noise correlations) [V-code].
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rltheory.algos._softmax import SoftmaxSampler
from rltheory.algos.protocols import FederatedAlgorithm, Problem
from rltheory.algos.registry import register
from rltheory.mdp.continuing import UniformStream
from rltheory.mdp.sarsa import lipschitz_constant

SCHEDULES = ("constant", "decaying")
PLACEMENTS = ("server", "local")
ACTION_DRAWS = ("carry", "redraw")

# --- numerical core (pure functions on arrays) ---------------------------------------------------


def step_size(t: int, alpha0: float, schedule: str) -> float:
    """``alpha_t``: ``alpha_0`` (constant) or ``1/(1/alpha_0 + t)`` (decaying), t = 0, 1, ..."""
    return alpha0 if schedule == "constant" else 1.0 / (1.0 / alpha0 + t)


def project(theta: np.ndarray, radius: float) -> np.ndarray:
    """``proj_{2,R}(theta) = theta min(1, R/||theta||_2)`` along the last axis."""
    if np.isinf(radius):
        return theta
    norm = np.linalg.norm(theta, axis=-1, keepdims=True)
    return theta * np.minimum(1.0, radius / np.maximum(norm, np.finfo(float).tiny))


def sarsa_update(
    theta: np.ndarray,
    phi_now: np.ndarray,
    reward: np.ndarray,
    phi_next: np.ndarray,
    alpha: float,
    gamma: float,
) -> np.ndarray:
    """``theta + alpha Delta phi(s_t,a_t)`` with the TD error ``Delta`` (module docstring);
    all arrays ``[..., d]`` (rewards ``[...]``)."""
    delta = reward + gamma * (phi_next * theta).sum(-1) - (phi_now * theta).sum(-1)
    return theta + alpha * delta[..., None] * phi_now


def projection_expected_inactive(radius: float, fixed_points: np.ndarray) -> bool:
    """Proof-event monitor: whether the projection should never act.

    Zhang, Tachet des Combes, Laroche (2023) show projected SARSA converges to a region much
    smaller than the projection ball when rewards are small; the radius of that region was not
    read, so the monitor uses ``R >= 2 max_i ||theta*^(i)||_2`` as the condition [D]. A run under
    this condition with a projection that changed an iterate is flagged.
    """
    return bool(radius >= 2.0 * np.linalg.norm(fixed_points, axis=-1).max())


def server_average(theta: np.ndarray) -> np.ndarray:
    """``theta-bar = (1/N) sum_i theta^i`` broadcast back to every agent (``[B, N, d]``)."""
    return np.broadcast_to(theta.mean(axis=1, keepdims=True), theta.shape).copy()


# --- learners -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SarsaConfig:
    """Hyperparameters (defaults: the authors' Figure 1 run, except the radius, see module doc).

    ``temperature`` tau of the softmax (authors' inverse temperature L = 0.01, so tau = 100);
    ``step_size`` alpha_0; ``schedule`` constant | decaying; ``projection_radius`` R of
    ``proj_{2,R}`` (inf = off); ``projection`` placement server | local [M];
    ``action_draw`` carry | redraw; ``theta0`` the initial value of every coordinate.
    """

    temperature: float = 100.0
    step_size: float = 0.01
    schedule: str = "constant"
    projection_radius: float = float("inf")
    projection: str = "server"
    action_draw: str = "carry"
    theta0: float = 0.0

    def __post_init__(self) -> None:
        for name, value, allowed in (
            ("schedule", self.schedule, SCHEDULES),
            ("projection", self.projection, PLACEMENTS),
            ("action_draw", self.action_draw, ACTION_DRAWS),
        ):
            if value not in allowed:
                raise ValueError(f"{name} must be one of {list(allowed)}, got {value!r}")
        if not self.temperature > 0:
            raise ValueError(f"temperature must be > 0 (inf = uniform), got {self.temperature}")
        if not 0 < self.step_size <= 1:
            raise ValueError(f"step_size must lie in (0, 1], got {self.step_size}")
        if not self.projection_radius > 0:
            raise ValueError(f"projection_radius must be > 0, got {self.projection_radius}")


class _Sarsa(FederatedAlgorithm):
    """N linear-SARSA agents, each on its own chain; ``communicate`` turns on server rounds."""

    Config = SarsaConfig
    communicate = True

    def __init__(
        self, problems: Sequence[Problem], config: SarsaConfig, rngs: Sequence[np.random.Generator]
    ):
        super().__init__(problems, config, rngs)
        first = self.problems[0]
        if first.features is None or first.gamma is None:
            raise ValueError(f"{type(self).__name__} needs discounted problems with features")
        self.features, self.gamma = first.features, float(first.gamma)
        self.sampler = SoftmaxSampler(self.features, config.temperature)
        shape = (self.n_seeds, self.n_agents, self.features.shape[-1])
        self.theta = np.full(shape, float(config.theta0))
        self.lipschitz = lipschitz_constant(self.features, config.temperature)
        width = self.n_agents * (2 if config.action_draw == "redraw" else 1)
        self.stream = UniformStream(self.rngs, width)
        self.t = 0
        self.next_actions: np.ndarray | None = None
        self._pending: np.ndarray | None = None  # redraw mode: the uniforms of a_{t+1}
        first_weight = 1.0 / config.step_size  # weighted average: theta_s weighted 1/alpha_s
        self.average, self.weight = first_weight * self.theta, first_weight
        self.projection_active = 0  # how many projections changed an iterate (monitor)

    def _draw(self, states: np.ndarray, u: np.ndarray) -> np.ndarray:
        return self.sampler.draw(self.theta, states, u)  # a ~ pi_{theta^i}(.|s), one uniform

    def act(self, states: np.ndarray) -> np.ndarray:
        if self.next_actions is not None and self.config.action_draw == "carry":
            return self.next_actions
        u = self.stream.next()
        self._pending = u[:, self.n_agents :]
        return self._draw(states, u[:, : self.n_agents])

    def observe(self, states, actions, rewards, next_states) -> None:
        cfg = self.config
        u = self._pending if cfg.action_draw == "redraw" else self.stream.next()
        next_actions = self._draw(next_states, u)  # a_{t+1} ~ pi_{theta_t^i}: local parameter
        alpha = step_size(self.t, cfg.step_size, cfg.schedule)
        theta = sarsa_update(
            self.theta,
            self.features[states, actions],
            rewards,
            self.features[next_states, next_actions],
            alpha,
            self.gamma,
        )
        if cfg.projection == "local" or not self.communicate:
            theta = self._project(theta)
        self.theta, self.next_actions, self.t = theta, next_actions, self.t + 1
        if cfg.schedule == "decaying":
            weight = 1.0 / step_size(self.t, cfg.step_size, cfg.schedule)
            self.average = self.average + weight * self.theta
            self.weight += weight

    def _project(self, theta: np.ndarray) -> np.ndarray:
        projected = project(theta, self.config.projection_radius)
        self.projection_active += int(np.count_nonzero(np.any(projected != theta, axis=-1)))
        return projected

    def aggregate(self) -> None:
        if not self.communicate:
            return
        theta = server_average(self.theta)
        self.theta = self._project(theta) if self.config.projection == "server" else theta

    def output(self) -> np.ndarray:
        """The current iterate (constant step) or the weighted average ``theta~`` (decaying
        step): of the agents' mean iterate for FedSARSA (the server's view), per agent without
        communication."""
        if self.config.schedule == "constant":
            return self.theta
        average = self.average / self.weight
        if not self.communicate:
            return average
        return np.broadcast_to(average.mean(axis=1, keepdims=True), average.shape).copy()


_UNVERIFIED = (
    " Unverified choices: projection placement (server or local) [M], the theorem's step-size "
    "schedule (the authors' code's 1/(1/alpha0 + t) with weighted averaging is used) [M], the "
    "bound's tau and Lambda [M]."
)


@register(
    "fedsarsa",
    requires=("discounted",),
    citation=(
        "Zhang, Wang, Mitra, Anderson 2024 (ICLR), arXiv:2401.15273, FedSARSA; authors' "
        "fedsarsa.m (zcysxy/FedSarsa-code)." + _UNVERIFIED
    ),
    summary="FedSARSA: N on-policy linear-SARSA agents, server averaging every K local steps",
)
class FedSARSA(_Sarsa):
    """FedSARSA: local on-policy SARSA steps, server averaging every K steps (module docstring)."""


@dataclass(frozen=True)
class ProjectedSarsaConfig(SarsaConfig):
    """As :class:`SarsaConfig`; the projection is applied to every iterate (local)."""

    projection: str = "local"


@register(
    "sarsa-linear",
    requires=("discounted",),
    citation=(
        "Zhang, Tachet des Combes, Laroche 2023 (ICML), projected linear SARSA; radius R of "
        "proj_{2,R} a parameter (inf = off). Run per agent with no communication." + _UNVERIFIED
    ),
    summary="projected linear SARSA, one independent learner per agent (no server rounds)",
)
class ProjectedSARSA(_Sarsa):
    """Projected linear SARSA on every agent's chain, independently (no aggregation)."""

    Config = ProjectedSarsaConfig
    communicate = False
