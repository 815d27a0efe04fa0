"""Heterogeneous federated models: N discounted MDPs sharing S, A, gamma and features.

Agent ``i`` has ``M^(i) = (S, A, r^(i), P^(i), gamma)`` (Zhang, Wang, Mitra, Anderson, ICLR 2024,
"Finite-Time Analysis of On-Policy Heterogeneous Federated Reinforcement Learning", setting);
rewards lie in ``[0, R]``. :class:`FederatedMDP` holds the N validated
:class:`~rltheory.mdp.DiscountedMDP` and a stacked view of their kernels
(:class:`StackedKernels`) on which every exact computation and the continuing sampler are
vectorized over agents. Heterogeneity follows the paper's definitions:

- ``eps_p = max_{i,j} sup_{s,a} ||P^(i)(.|s,a) - P^(j)(.|s,a)||_TV`` (the sup over (s,a) is the
  natural reading; the paper writes ``||P^(i) - P^(j)||_TV`` without saying) [D];
- ``eps_r = max_{i,j} ||r^(i) - r^(j)||_inf / R``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from rltheory.mdp._validation import freeze
from rltheory.mdp.circulant import CirculantTransitions
from rltheory.mdp.models import DiscountedMDP
from rltheory.mdp.transitions import DenseTransitions, _RowSampler


class StackedKernels:
    """The kernels of N agents as one array: ``base [N, S, S]`` (all circulant) or
    ``dense [N, S, A, S]``. Methods take a trailing agent axis ``[..., N, ...]``."""

    def __init__(self, transitions: list, n_actions: int):
        self.n_agents, self.n_actions = len(transitions), n_actions
        self.n_states = transitions[0].n_states
        if all(isinstance(t, CirculantTransitions) for t in transitions):
            self.kind = "circulant"
            self.arrays = freeze(np.stack([t.base for t in transitions]))
        else:
            self.kind = "dense"
            self.arrays = freeze(np.stack([t.dense()[0] for t in transitions]))
        self._sampler = _RowSampler(self.arrays.reshape(-1, self.n_states))

    def dense(self) -> np.ndarray:
        """``P [N, S, A, S']`` (small models and tests only)."""
        if self.kind == "dense":
            return self.arrays
        s, a = np.arange(self.n_states), np.arange(self.n_actions)
        return self.arrays[:, :, (s[None, :] - a[:, None]) % self.n_states]

    def expect(self, values: np.ndarray) -> np.ndarray:
        """``(P^(i) V_i)(s, a)`` for ``values [..., N, S]``: ``[..., N, S, A]``."""
        if self.kind == "dense":
            return np.einsum("nsat,...nt->...nsa", self.arrays, values)
        shifted = (np.arange(self.n_states)[:, None] + np.arange(self.n_actions)) % self.n_states
        return np.matmul(self.arrays, values[..., shifted])

    def push(self, weights: np.ndarray) -> np.ndarray:
        """``sum_{s,a} w_i(s,a) P^(i)(s'|s,a)`` for ``weights [..., N, S, A]``: ``[..., N, S']``."""
        if self.kind == "dense":
            return np.einsum("nsat,...nsa->...nt", self.arrays, weights)
        m = np.matmul(np.swapaxes(weights, -1, -2), self.arrays)  # [..., N, A, S]
        columns = (np.arange(self.n_states)[:, None] - np.arange(self.n_actions)) % self.n_states
        return m[..., np.arange(self.n_actions), columns].sum(-1)

    def state_kernel(self, policy: np.ndarray) -> np.ndarray:
        """``P^(i)_pi(s'|s) = sum_a pi_i(a|s) P^(i)(s'|s,a)`` for ``policy [..., N, S, A]``.

        Circulant kernels: the circular convolution of ``base[s]`` with ``pi(.|s)``, by FFT.
        """
        if self.kind == "dense":
            return np.einsum("...nsa,nsat->...nst", policy, self.arrays)
        pad = np.zeros((*policy.shape[:-1], self.n_states))
        pad[..., : self.n_actions] = policy
        spectrum = np.fft.rfft(self.arrays, axis=-1) * np.fft.rfft(pad, axis=-1)
        return np.fft.irfft(spectrum, n=self.n_states, axis=-1)

    def sample(self, states: np.ndarray, actions: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Next states ``s'_i ~ P^(i)(.|s_i, a_i)`` for ``states, actions, u [..., N]``
        (agent axis last), one uniform per draw (inverse CDF)."""
        agents = np.arange(self.n_agents)
        if self.kind == "dense":
            rows = (agents * self.n_states + states) * self.n_actions + actions
            return self._sampler(rows, u)
        column = self._sampler(agents * self.n_states + states, u)
        return (column + actions) % self.n_states

    def averaged(self) -> StackedKernels:
        """The kernel of the averaged MDP ``P-bar = (1/N) sum_i P^(i)`` (one agent)."""
        mean = self.arrays.mean(axis=0)
        if self.kind == "circulant":
            return StackedKernels([CirculantTransitions(mean, self.n_actions)], self.n_actions)
        return StackedKernels([DenseTransitions(mean)], self.n_actions)

    def max_pairwise_tv(self) -> float:
        """``max_{i,j} sup_{s,a} TV(P^(i)(.|s,a), P^(j)(.|s,a))`` (shift-invariant for
        circulant kernels, so the sup over a is the sup over the base rows)."""
        p = self.arrays
        # One agent against all at a time: [N, S(, A)] temporaries instead of [N, N, S(, A), S].
        return max(float(0.5 * np.abs(p[i] - p).sum(-1).max()) for i in range(self.n_agents))


@dataclass(frozen=True, eq=False)
class FederatedMDP:
    """N discounted MDPs sharing S, A, gamma, features and initial distribution.

    ``agents`` are the per-agent models; ``agent`` selects the one :attr:`dynamics` exposes
    (one agent's MDP per gymnasium environment). Derived, read-only: ``rewards [N, S, A]``,
    ``kernels`` (:class:`StackedKernels`), ``features [S, A, d]``, ``gamma``, ``reward_bound``.
    """

    structures: ClassVar[tuple[str, ...]] = (
        "heterogeneous",
        "discounted",
        "tabular",
        "time-homogeneous",
    )
    agents: tuple[DiscountedMDP, ...]
    agent: int = 0
    name: str = ""
    metadata: dict = field(default_factory=dict)
    rewards: np.ndarray = field(init=False)
    kernels: StackedKernels = field(init=False)

    def __post_init__(self) -> None:
        agents = tuple(self.agents)
        if not agents or not all(isinstance(m, DiscountedMDP) for m in agents):
            raise TypeError("agents must be a non-empty sequence of DiscountedMDP")
        first = agents[0]
        if first.features is None:
            raise ValueError("agents[0] has no features: a federated model needs a shared phi")
        for i, m in enumerate(agents[1:], start=1):
            for what, mine, theirs in (
                ("n_states", m.n_states, first.n_states),
                ("n_actions", m.n_actions, first.n_actions),
                ("gamma", m.gamma, first.gamma),
                ("reward_bound", m.reward_bound, first.reward_bound),
            ):
                if mine != theirs:
                    raise ValueError(
                        f"agents[{i}].{what} = {mine} differs from agents[0]: {theirs}"
                    )
            for what in ("features", "initial_distribution"):
                if m.features is None or not np.array_equal(getattr(m, what), getattr(first, what)):
                    raise ValueError(
                        f"agents[{i}].{what} differs from agents[0]'s (must be shared)"
                    )
        if not 0 <= int(self.agent) < len(agents):
            raise ValueError(f"agent must lie in [0, {len(agents)}), got {self.agent}")
        object.__setattr__(self, "agents", agents)
        object.__setattr__(self, "agent", int(self.agent))
        object.__setattr__(self, "rewards", freeze(np.stack([m.rewards for m in agents])))
        kernels = StackedKernels([m.transitions for m in agents], first.n_actions)
        object.__setattr__(self, "kernels", kernels)

    @property
    def dynamics(self) -> DiscountedMDP:
        """The MDP of agent :attr:`agent` (what a gymnasium environment steps)."""
        return self.agents[self.agent]

    @property
    def n_agents(self) -> int:
        return len(self.agents)

    @property
    def n_states(self) -> int:
        return self.agents[0].n_states

    @property
    def n_actions(self) -> int:
        return self.agents[0].n_actions

    @property
    def features(self) -> np.ndarray:
        return self.agents[0].features

    @property
    def dim(self) -> int:
        return self.features.shape[-1]

    @property
    def gamma(self) -> float:
        return self.agents[0].gamma

    @property
    def reward_bound(self) -> float:
        return self.agents[0].reward_bound

    @property
    def initial_distribution(self) -> np.ndarray:
        return self.agents[0].initial_distribution

    def heterogeneity(self) -> dict[str, float]:
        """Realised ``eps_p`` (max pairwise sup TV of kernels) and ``eps_r`` (max pairwise
        sup-norm reward gap divided by R), the paper's definitions (module docstring)."""
        r = self.rewards
        gap = (r.max(axis=0) - r.min(axis=0)).max()  # max_{i,j} |r_i - r_j| at each (s, a)
        return {
            "eps_p": self.kernels.max_pairwise_tv(),
            "eps_r": float(gap) / self.reward_bound,
        }

    def averaged(self) -> FederatedMDP:
        """The averaged MDP ``(P-bar, r-bar)`` as a one-agent federated model."""
        first = self.agents[0]
        kernel = self.kernels.averaged()
        transitions = (
            CirculantTransitions(kernel.arrays[0], self.n_actions)
            if kernel.kind == "circulant"
            else kernel.arrays[0]
        )
        model = DiscountedMDP(
            transitions,
            self.rewards.mean(axis=0),
            self.gamma,
            first.initial_distribution,
            features=first.features,
            realizable=False,
            name=f"average of {self.name or 'agents'}",
            reward_bound=self.reward_bound,
        )
        return FederatedMDP((model,), name=model.name)


__all__ = ["FederatedMDP", "StackedKernels"]
