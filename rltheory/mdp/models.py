"""Exact MDP models: finite-horizon (time-homogeneous or not) and discounted.

A model is immutable ground truth: planning, regret accounting and the conformance checks use it;
learners only see what :class:`rltheory.algos.Problem` exposes. Arrays are copied on
construction and made read-only. Index convention: step ``h = 0..H-1`` in arrays is paper step
``h+1``; rewards (or losses) are mean values in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.linalg

from rltheory.mdp._validation import (
    ATOL,
    as_float_array,
    check_distribution_rows,
    check_shape,
    check_unit_interval,
    freeze,
)
from rltheory.mdp.transitions import (
    DenseTransitions,
    LinearMixtureTransitions,
    LowRankTransitions,
    TransitionOperator,
)

_DENSE_CHECK_LIMIT = 2 * 10**7
"""Largest ``L·S·A·S`` for which realizability of given features is checked on the dense kernel."""


def _as_transitions(transitions: TransitionOperator | np.ndarray) -> TransitionOperator:
    if isinstance(transitions, TransitionOperator):
        return transitions
    return DenseTransitions(transitions)


def _check_initial(mu0: object, n_states: int) -> np.ndarray:
    mu0 = as_float_array(mu0, "initial_distribution")
    check_shape(mu0, "initial_distribution", shape=(n_states,))
    check_distribution_rows(mu0, "initial_distribution")
    return freeze(mu0)


def _check_features(
    features: object, transitions: TransitionOperator, rewards: np.ndarray, realizable: bool
) -> np.ndarray | None:
    """Validate ``phi [S, A, d]`` and, when ``realizable``, that it realizes kernel and rewards.

    Linear-MDP realizability (Jin et al. 2020, Assumption A): every row ``P_h(.|s,a)`` and every
    reward vector ``r_h`` must be linear in ``phi(s,a)``; we project onto the column span of the
    ``[S·A, d]`` feature matrix and report the worst residual.
    """
    if features is None:
        if isinstance(transitions, LowRankTransitions):
            return transitions.phi
        return None
    phi = as_float_array(features, "features")
    check_shape(phi, "features", ndim=3)
    n_states, n_actions = transitions.n_states, transitions.n_actions
    if phi.shape[:2] != (n_states, n_actions):
        raise ValueError(
            f"features must have shape [S, A, d] = [{n_states}, {n_actions}, d], got {phi.shape}"
        )
    if not realizable:
        return freeze(phi)
    matrix = phi.reshape(n_states * n_actions, -1)
    # Orthonormal basis of the feature span by column-pivoted (rank-revealing) QR: plain QR of a
    # rank-deficient matrix returns columns outside the span and accepts unrealizable features.
    q, r, _ = scipy.linalg.qr(matrix, mode="economic", pivoting=True)
    pivots = np.abs(np.diag(r))
    tolerance = max(matrix.shape) * np.finfo(float).eps * (pivots[0] if pivots.size else 0.0)
    projector_basis = q[:, : int(np.count_nonzero(pivots > tolerance))]

    def residual(target: np.ndarray) -> np.ndarray:
        return target - projector_basis @ (projector_basis.T @ target)

    if isinstance(transitions, LowRankTransitions):
        if not np.array_equal(transitions.phi, phi):
            # P_h = phi_T mu_h is realizable iff phi_T's columns lie in span(features) (mu full-rank
            # aside); check the factor, which is exact and O(S·A·d²).
            bad = residual(transitions.phi.reshape(n_states * n_actions, -1))
            if np.abs(bad).max() > 1e-7:
                row = int(np.abs(bad).max(axis=1).argmax())
                raise ValueError(
                    "features do not reproduce the claimed transitions: the kernel's factor phi "
                    f"leaves the feature span at (s={row // n_actions}, a={row % n_actions})"
                )
    elif transitions.n_layers * n_states**2 * n_actions <= _DENSE_CHECK_LIMIT:
        dense = transitions.dense()
        for layer in range(transitions.n_layers):
            bad = np.abs(residual(dense[layer].reshape(n_states * n_actions, n_states)))
            if bad.max() > 1e-7:
                row = int(bad.max(axis=1).argmax())
                raise ValueError(
                    "features do not reproduce the claimed transitions: P_h(.|s,a) is not linear "
                    f"in phi(s,a) at (h={layer}, s={row // n_actions}, a={row % n_actions}), "
                    f"residual {bad.max():.3g}"
                )
    bad = np.abs(residual(rewards.reshape(rewards.shape[0], -1).T))
    if bad.max() > 1e-7:
        row, h = np.unravel_index(int(bad.argmax()), bad.shape)
        raise ValueError(
            "features do not reproduce the rewards: r_h(s,a) is not linear in phi(s,a) at "
            f"(h={h}, s={row // n_actions}, a={row % n_actions}), residual {bad.max():.3g}"
        )
    return freeze(phi)


class _Sizes:
    """Sizes every model exposes: ``n_states``, ``n_actions`` and the feature dimension."""

    transitions: TransitionOperator
    features: np.ndarray | None

    @property
    def n_states(self) -> int:
        return self.transitions.n_states

    @property
    def n_actions(self) -> int:
        return self.transitions.n_actions

    @property
    def dim(self) -> int | None:
        """Feature dimension d (None without features)."""
        return None if self.features is None else self.features.shape[-1]


@dataclass(frozen=True, eq=False)
class FiniteHorizonMDP(_Sizes):
    """Episodic MDP ``(S, A, H, P, r, mu0)`` with rewards ``r [H, S, A]`` in [0, 1].

    ``transitions`` is a :class:`TransitionOperator` (or a dense ``[L, S, A, S]`` array) with one
    layer (time-homogeneous) or H layers. ``features`` (``phi [S, A, d]``) is set when the model is
    a linear MDP; it defaults to the low-rank factor of a :class:`LowRankTransitions` kernel.
    ``reward_parameters`` (``theta [H, d]``, optional) records ``r_h = <phi, theta_h>``.
    With ``realizable=True`` (a linear MDP) the features must reproduce kernel and rewards; with
    ``realizable=False`` they are only a feature map (misspecified or function-approximation
    settings) and are not checked against the model.
    """

    transitions: TransitionOperator
    rewards: np.ndarray
    initial_distribution: np.ndarray
    features: np.ndarray | None = None
    reward_parameters: np.ndarray | None = None
    realizable: bool = True
    name: str = ""
    metadata: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        transitions = _as_transitions(self.transitions)
        object.__setattr__(self, "transitions", transitions)
        rewards = as_float_array(self.rewards, "rewards")
        if rewards.ndim == 2:
            raise ValueError(
                f"rewards must have shape [H, S, A]; got {rewards.shape} (for a time-homogeneous "
                "reward, repeat it over H with np.broadcast_to)"
            )
        check_shape(rewards, "rewards", ndim=3)
        horizon = rewards.shape[0]
        if rewards.shape[1:] != (transitions.n_states, transitions.n_actions):
            raise ValueError(
                f"rewards must have shape [H, S, A] = [H, {transitions.n_states}, "
                f"{transitions.n_actions}] to match the transitions, got {rewards.shape}"
            )
        if transitions.n_layers not in (1, horizon):
            raise ValueError(
                f"transitions have {transitions.n_layers} layers; expected 1 (time-homogeneous) "
                f"or H={horizon}"
            )
        check_unit_interval(rewards, "rewards")
        object.__setattr__(self, "rewards", freeze(rewards))
        object.__setattr__(
            self,
            "initial_distribution",
            _check_initial(self.initial_distribution, transitions.n_states),
        )
        object.__setattr__(
            self, "features", _check_features(self.features, transitions, rewards, self.realizable)
        )
        if self.reward_parameters is not None:
            theta = as_float_array(self.reward_parameters, "reward_parameters")
            if self.features is None or theta.shape != (horizon, self.features.shape[-1]):
                raise ValueError(
                    f"reward_parameters must have shape [H, d] and need features; got {theta.shape}"
                )
            implied = np.einsum("sad,hd->hsa", self.features, theta)
            gap = np.abs(implied - rewards)
            if gap.max() > 1e-8:
                h, s, a = np.unravel_index(int(gap.argmax()), gap.shape)
                raise ValueError(
                    f"reward_parameters do not reproduce rewards: <phi(s,a), theta_h> differs by "
                    f"{gap.max():.3g} at (h={h}, s={s}, a={a})"
                )
            object.__setattr__(self, "reward_parameters", freeze(theta))

    @property
    def horizon(self) -> int:
        return self.rewards.shape[0]

    @property
    def time_homogeneous(self) -> bool:
        """True when the kernel and the rewards do not depend on the step."""
        return self.transitions.n_layers == 1 and bool(np.all(self.rewards == self.rewards[0]))

    @property
    def mixture_basis(self) -> np.ndarray | None:
        """``psi [S, A, S, d]`` when the kernel is a linear mixture, else None."""
        t = self.transitions
        return t.basis if isinstance(t, LinearMixtureTransitions) else None

    def with_rewards(self, rewards: np.ndarray, name: str | None = None) -> FiniteHorizonMDP:
        """The same dynamics with other rewards (validated; features must still realize them)."""
        return FiniteHorizonMDP(
            self.transitions,
            rewards,
            self.initial_distribution,
            features=self.features,
            realizable=self.realizable,
            name=self.name if name is None else name,
            metadata=dict(self.metadata),
        )


@dataclass(frozen=True, eq=False)
class DiscountedMDP(_Sizes):
    """Infinite-horizon discounted MDP ``(S, A, P, r, gamma, mu0)`` with rewards ``r [S, A]``.

    Rewards lie in ``[0, reward_bound]`` (``R``; 1 by default, as for finite-horizon models).
    The kernel must be time-homogeneous (one layer). Several models may share S, A and features
    (federated families: heterogeneous perturbed copies of one MDP). ``realizable`` has the same
    meaning as for :class:`FiniteHorizonMDP`; function-approximation settings pass False (the
    features are then only a feature map and need not realize the kernel or the rewards).
    """

    transitions: TransitionOperator
    rewards: np.ndarray
    gamma: float
    initial_distribution: np.ndarray
    features: np.ndarray | None = None
    realizable: bool = True
    name: str = ""
    metadata: dict = field(default_factory=dict)
    reward_bound: float = 1.0

    def __post_init__(self) -> None:
        transitions = _as_transitions(self.transitions)
        object.__setattr__(self, "transitions", transitions)
        if not 0.0 < float(self.reward_bound) < float("inf"):
            raise ValueError(f"reward_bound must be positive and finite, got {self.reward_bound}")
        object.__setattr__(self, "reward_bound", float(self.reward_bound))
        if transitions.n_layers != 1:
            raise ValueError(
                f"a discounted MDP needs a time-homogeneous kernel; got {transitions.n_layers} "
                "layers"
            )
        if not 0.0 <= float(self.gamma) < 1.0:
            raise ValueError(f"gamma must lie in [0, 1), got {self.gamma}")
        object.__setattr__(self, "gamma", float(self.gamma))
        rewards = as_float_array(self.rewards, "rewards")
        check_shape(rewards, "rewards", shape=(transitions.n_states, transitions.n_actions))
        check_unit_interval(rewards, "rewards", self.reward_bound)
        object.__setattr__(self, "rewards", freeze(rewards))
        object.__setattr__(
            self,
            "initial_distribution",
            _check_initial(self.initial_distribution, transitions.n_states),
        )
        object.__setattr__(
            self,
            "features",
            _check_features(self.features, transitions, rewards[None], self.realizable),
        )


__all__ = ["ATOL", "DiscountedMDP", "FiniteHorizonMDP"]
