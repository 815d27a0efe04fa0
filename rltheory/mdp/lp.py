"""Occupancy-measure linear programs (cvxpy): an independent oracle for the planners.

Finite horizon (Puterman §6.9; Zimin & Neu 2013): maximize ``sum_h <r_h, q_h>`` over
``q_h >= 0`` with ``sum_a q_0(s, a) = mu0(s)`` and
``sum_a q_{h+1}(s', a) = sum_{s,a} q_h(s, a) P_h(s'|s, a)``. Discounted: ``sum_a q(s, a) -
gamma sum_{s',a'} P(s|s',a') q(s',a') = (1 - gamma) mu0(s)``, value ``<r, q> / (1 - gamma)``.
Dense kernels only: meant for small models in tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rltheory.mdp.models import DiscountedMDP, FiniteHorizonMDP


@dataclass(frozen=True)
class LPSolution:
    """Optimal objective and occupancy (``[H, S, A]``, or ``[S, A]`` discounted) of the LP."""

    value: float
    occupancy: np.ndarray


def occupancy_lp(
    model: FiniteHorizonMDP | DiscountedMDP,
    rewards: np.ndarray | None = None,
    *,
    minimize: bool = False,
) -> LPSolution:
    """Solve the occupancy-measure LP of ``model`` (optionally with other rewards or losses)."""
    import cvxpy as cp  # heavy: imported only where the oracle is used

    n_states, n_actions = model.n_states, model.n_actions
    dense = model.transitions.dense()
    r = model.rewards if rewards is None else np.asarray(rewards, dtype=float)
    mu0 = model.initial_distribution
    sense = cp.Minimize if minimize else cp.Maximize
    if isinstance(model, DiscountedMDP):
        q = cp.Variable((n_states, n_actions), nonneg=True)
        inflow = dense[0].reshape(n_states * n_actions, n_states).T @ cp.vec(q, order="C")
        constraints = [cp.sum(q, axis=1) - model.gamma * inflow == (1 - model.gamma) * mu0]
        problem = cp.Problem(sense(cp.sum(cp.multiply(r, q)) / (1 - model.gamma)), constraints)
        problem.solve()
        return LPSolution(float(problem.value), np.asarray(q.value))
    horizon = model.horizon
    qs = [cp.Variable((n_states, n_actions), nonneg=True) for _ in range(horizon)]
    constraints = [cp.sum(qs[0], axis=1) == mu0]
    for h in range(horizon - 1):
        kernel = dense[model.transitions.layer(h)].reshape(n_states * n_actions, n_states)
        constraints.append(cp.sum(qs[h + 1], axis=1) == kernel.T @ cp.vec(qs[h], order="C"))
    objective = sum(cp.sum(cp.multiply(r[h], qs[h])) for h in range(horizon))
    problem = cp.Problem(sense(objective), constraints)
    problem.solve()
    return LPSolution(float(problem.value), np.stack([np.asarray(q.value) for q in qs]))
