"""Exact upper/lower occupancy bounds over an L1 transition confidence set (pure, vectorized).

Confidence set (layered, (h, s, a)-rectangular): ``P_h(.|s,a)`` lies in the simplex and within
L1 distance ``eps_h(s,a)`` of the empirical ``P_hat_h(.|s,a)``. The radius
``eps = sqrt(2 S log(S A H K / delta) / max(1, N_h(s,a)))`` (capped at 2, where the ball is the
whole simplex) is a Weissman-type choice of ours [D]; Jin, Jin, Luo, Sra, Yu (ICML 2020) use
per-entry Bernstein intervals instead, and Luo, Wei, Lee (2021) reuse theirs.

Upper occupancy bound (Jin et al. 2020, Comp-UOB): ``u_h(x) = max_{P in set} P^{pi,P}(s_h = x)``.
Because the set is rectangular, the maximum is a robust dynamic programme per target ``(h, x)``:
``W_h = e_x``, ``W_{h'}(s) = sum_a pi_{h'}(a|s) max_{p in ball(h',s,a)} <p, W_{h'+1}>`` for
``h' < h``, ``u_h(x) = <mu0, W_0>``; the lower bound replaces max by min. The inner optimum over
an L1 ball has a closed form (Jaksch, Ortner, Auer 2010, Fig. 2): move ``min(eps/2, 1 - p(top))``
of mass onto the best next state, taken from the worst states in order. No LP in the loop; the
occupancy LP over the same set (``tests/algos/test_occupancy.py``) is the oracle.

All functions broadcast over leading batch axes (seeds, stacked policies); every reduction is
along the last axis, so a batch item's numbers do not depend on the batch. Cost of
:func:`occupancy_bounds`: ``O(H² S² A S log S)`` per policy.
"""

from __future__ import annotations

import numpy as np

RADIUS_CAP = 2.0
"""An L1 ball of radius 2 around a distribution contains the whole simplex."""


def l1_radius(
    counts: np.ndarray,
    n_states: int,
    n_actions: int,
    horizon: int,
    n_episodes: int,
    delta: float,
    scale: float = 1.0,
) -> np.ndarray:
    """``eps_h(s,a) = min(2, scale sqrt(2 S log(S A H K / delta) / max(1, N_h(s,a))))`` [D]."""
    log = np.log(n_states * n_actions * horizon * n_episodes / delta)
    n = np.maximum(np.asarray(counts, dtype=float), 1.0)
    return np.minimum(RADIUS_CAP, scale * np.sqrt(2.0 * n_states * log / n))


def empirical_kernel(counts: np.ndarray) -> np.ndarray:
    """``P_hat(s'|s,a) = N(s,a,s') / N(s,a)`` from ``counts [..., S, A, S]``; unvisited rows are
    uniform (any distribution would do: their radius is 2, the whole simplex)."""
    counts = np.asarray(counts, dtype=float)
    n = counts.sum(-1, keepdims=True)
    uniform = np.full(counts.shape, 1.0 / counts.shape[-1])
    return np.divide(counts, n, out=uniform, where=n > 0)


def extreme_expectation(
    p_hat: np.ndarray, radius: np.ndarray, values: np.ndarray, *, maximize: bool = True
) -> np.ndarray:
    """``max`` (or ``min``) of ``<p, V>`` over ``{p in simplex : ||p - p_hat||_1 <= radius}``.

    ``p_hat [..., S]``, ``radius [...]`` and ``values [..., S]`` broadcast together; returns
    ``[...]``. Closed form: sort ``V``; add ``m = min(radius/2, 1 - p_hat(top))`` to the top state
    and remove ``m`` from the lowest states in increasing order of value.
    """
    values = np.asarray(values, dtype=float)
    signed = values if maximize else -values
    order = np.argsort(signed, axis=-1, kind="stable")
    shape = np.broadcast_shapes(p_hat.shape, values.shape, (*np.shape(radius), 1))
    sorted_values = np.take_along_axis(np.broadcast_to(signed, shape), order, -1)
    sorted_p = np.take_along_axis(np.broadcast_to(p_hat, shape), order, -1)
    mass = np.minimum(0.5 * np.broadcast_to(radius, shape[:-1]), 1.0 - sorted_p[..., -1])
    rest = sorted_p[..., :-1]
    before = np.cumsum(rest, axis=-1) - rest
    removed = np.clip(mass[..., None] - before, 0.0, rest)
    best = ((rest - removed) * sorted_values[..., :-1]).sum(-1)
    best = best + (sorted_p[..., -1] + mass) * sorted_values[..., -1]
    return best if maximize else -best


def occupancy_bounds(
    policy: np.ndarray, p_hat: np.ndarray, radius: np.ndarray, initial: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Upper and lower state-occupancy bounds ``(u_bar, u_low)``, each ``[..., H, S]``.

    ``policy [..., H, S, A]`` (stochastic), ``p_hat [..., H, S, A, S]``, ``radius [..., H, S, A]``
    (leading axes broadcast), ``initial [S]`` the known initial distribution. The state-action
    bounds are ``u(s) pi_h(a|s)``. Step 0 is exact: ``u_0 = mu0``.

    One backward sweep serves every target: ``reach[..., t-1, x, s]`` holds ``W^{(t,x)}_{h+1}(s)``
    for the targets ``(t, x)`` with ``t > h``, the max-DP and the min-DP side by side (the min as
    the max of ``-W``), so the sweep costs ``H - 1`` closed-form steps.
    """
    policy = np.asarray(policy, dtype=float)
    horizon, n_states = policy.shape[-3], policy.shape[-2]
    batch = np.broadcast_shapes(policy.shape[:-3], p_hat.shape[:-4], radius.shape[:-3])
    eye = np.eye(n_states)
    # [..., 2, H-1, x, s]: signed reach values, +W for the upper DP and -W for the lower one.
    reach = np.zeros((*batch, 2, horizon - 1, n_states, n_states))
    for h in range(horizon - 2, -1, -1):
        reach[..., 0, h, :, :], reach[..., 1, h, :, :] = eye, -eye  # targets at step t = h + 1
        active = reach[..., h:, :, :]
        q = extreme_expectation(
            p_hat[..., None, None, None, h, :, :, :],
            radius[..., None, None, None, h, :, :],
            active[..., None, None, :],
        )  # [..., 2, H-1-h, x, s, a]
        reach[..., h:, :, :] = (q * policy[..., None, None, None, h, :, :]).sum(-1)
    signed = (reach * initial).sum(-1)  # [..., 2, H-1, x]
    first = np.broadcast_to(initial, (*batch, 1, n_states))
    upper = np.concatenate([first, signed[..., 0, :, :]], axis=-2)
    lower = np.concatenate([first, -signed[..., 1, :, :]], axis=-2)
    return upper, lower
