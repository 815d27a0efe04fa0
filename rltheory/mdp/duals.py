"""Per-coordinate inner problems of d-rectangular robust MDPs, solved exactly and vectorized.

A d-rectangular robust Bellman backup needs, for every coordinate ``i`` of the features, the
worst case of ``E_{mu}[V]`` over measures ``mu`` near the nominal ``mu0_{h,i}``. Every function here
solves that one-dimensional dual for all coordinates (and any batch) at once and takes

- ``weights [..., d, n]``: row ``i`` is the measure the expectation is taken under. On the exact
  model it is ``mu0_{h,i}`` over the ``n = S`` states; for a learner it is the ridge estimate
  ``hat mu_h = Lambda_h^{-1} sum_tau phi(s_h^tau, a_h^tau) e_{s_{h+1}^tau}^T`` (signed rows), so
  ``weights @ g(values)`` is the paper's ``Lambda_h^{-1} sum_tau phi_tau g(V(s_{h+1}^tau))``;
- ``values [..., n]``: ``V_{h+1}`` on the same ``n`` points;

and returns ``[..., d]``. Regularized problems (Tang, Liu, Xu 2025, Prop. 4.1 and §4):

- TV:  ``inf_mu E_mu V + lam TV(mu, mu0) = E_{mu0}[min(V, min_s V(s) + lam)]`` (eq. 4.3);
- KL:  ``inf_mu E_mu V + lam KL(mu || mu0) = -lam log E_{mu0} exp(-V / lam)`` (eq. 4.5);
- chi2: ``sup_{alpha in [V_min, V_max]} E_{mu0}[V]_alpha - Var_{mu0}[V]_alpha / (4 lam)`` (eq. 4.9),
  with ``[V]_alpha = min(V, alpha)``, ``TV = ||.||_1 / 2`` and ``chi2 = sum (mu - mu0)^2 / mu0``.

Constrained (uncertainty-set) problems of d-DRMDPs:

- TV ball (Liu & Xu 2024, DRPVI): ``inf_{TV(mu, mu0) <= rho} E_mu V
  = max_alpha E_{mu0}[V]_alpha - rho (alpha - min_s V(s))``;
- KL ball (Ma et al. 2022, DRVI-L): ``inf_{KL(mu || mu0) <= rho} E_mu V
  = sup_{alpha > 0} -alpha log E_{mu0} exp(-V / alpha) - alpha rho``.

The chi2 and TV-ball objectives are piecewise quadratic (linear) in ``alpha`` between consecutive
sorted values, so they are maximized exactly by enumerating each piece's endpoints and stationary
point (prefix sums: O(n log n + d n)), never by a generic optimizer. The KL-ball dual is concave in
``alpha`` and is maximized by a log-grid scan and a golden-section refinement to machine precision.
"""

from __future__ import annotations

import numpy as np

_GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0


def expectation(weights: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``weights @ values``: ``[..., d, n] x [..., n] -> [..., d]`` (a stack of mat-vecs)."""
    return (weights @ values[..., None])[..., 0]


def tv_regularized(
    weights: np.ndarray, values: np.ndarray, lam: float, v_min: np.ndarray | None = None
) -> np.ndarray:
    """TV dual ``E_w[min(V, v_min + lam)]``; ``v_min`` (``[...]``) defaults to ``min(values)``.

    The threshold uses the minimum of ``V`` over **all** states (the adversary may move mass
    anywhere), Tang, Liu, Xu 2025, Algorithm 2 line 4.
    """
    values = np.asarray(values, dtype=float)
    v_min = values.min(-1) if v_min is None else np.asarray(v_min, dtype=float)
    return expectation(weights, np.minimum(values, (v_min + lam)[..., None]))


def _kl_terms(weights: np.ndarray, values: np.ndarray, compress: bool = False):
    """``(w_t [n, ..., d], v_t [n, ..., 1], shift [..., d])`` for :func:`_kl_log_form`.

    The point axis goes first so that sums over it accumulate sequentially in point order: a
    point whose weights are all 0 then adds exactly 0 and changes no bit. ``compress`` drops the
    points with zero weight in every row of the batch, which is therefore exact. ``shift`` is
    the smallest value carrying nonzero weight in each row (0 for an empty row).
    """
    weights = np.asarray(weights, dtype=float)
    values = np.asarray(values, dtype=float)
    batch = np.broadcast_shapes(weights.shape[:-2], values.shape[:-1])
    weights = np.broadcast_to(weights, (*batch, *weights.shape[-2:]))
    values = np.broadcast_to(values, (*batch, values.shape[-1]))
    if compress:
        keep = np.any(weights != 0, axis=tuple(range(weights.ndim - 1)))
        weights, values = weights[..., keep], values[..., keep]
    shift = np.where(weights != 0, values[..., None, :], np.inf).min(-1)
    shift = np.where(np.isfinite(shift), shift, 0.0)
    w_t = np.ascontiguousarray(np.moveaxis(weights, -1, 0))
    v_t = np.moveaxis(values, -1, 0)[..., None]
    return w_t, v_t, shift


def _kl_log_form(terms, lam: np.ndarray, log_floor: np.ndarray | None) -> np.ndarray:
    """``-lam log max(w @ exp(-V / lam), exp(log_floor))`` per coordinate, in log space.

    ``terms`` from :func:`_kl_terms`; ``lam`` and ``log_floor`` broadcast against ``[..., d]``.
    The exponent is shifted by ``shift``, so no row underflows to 0 unless its estimate is truly
    non-positive; such a row (or one below the floor) returns ``-lam log_floor``.
    ``log_floor=None`` means no clip (the estimate must then be positive).
    """
    w_t, v_t, shift = terms
    lam = np.asarray(lam, dtype=float)
    extra = lam.ndim - shift.ndim  # leading axes of lam (e.g. a grid of alphas)
    if extra > 0:
        w_t = w_t.reshape(w_t.shape[:1] + (1,) * extra + w_t.shape[1:])
        v_t = v_t.reshape(v_t.shape[:1] + (1,) * extra + v_t.shape[1:])
    inner = (w_t * np.exp(-np.maximum(v_t - shift, 0.0) / lam)).sum(0)  # sequential over points
    keep = inner > 0
    log_estimate = np.log(np.where(keep, inner, 1.0)) - shift / lam
    if log_floor is None:
        if not np.all(keep):
            raise ValueError("KL dual needs a positive estimate E_w exp(-V/lam) without a clip")
        return -lam * log_estimate
    above = keep & (log_estimate > log_floor)
    return -lam * np.where(above, log_estimate, log_floor)


def kl_regularized(
    weights: np.ndarray, values: np.ndarray, lam: float, cap: float | None = None
) -> np.ndarray:
    """KL dual ``-lam log max(E_w exp(-V/lam), exp(-cap/lam))`` (``cap=None``: no clip).

    With ``cap = H`` this is Tang, Liu, Xu 2025, Algorithm 3 line 5 (the clip keeps the log finite
    when a ridge estimate is not positive; the true expectation is >= ``e^{-H/lam}``).
    """
    log_floor = None if cap is None else -float(cap) / float(lam)
    return _kl_log_form(_kl_terms(weights, values), np.asarray(lam, dtype=float), log_floor)


def _pieces(weights: np.ndarray, values: np.ndarray, lo: np.ndarray, hi: np.ndarray):
    """Prefix sums of ``[V]_alpha`` on the pieces between sorted values, clipped to [lo, hi].

    On piece ``k`` (``alpha`` between the ``k``-th and ``k+1``-th smallest value) the points below
    ``alpha`` contribute ``A = sum w y`` and ``C = sum w y^2``, the others ``alpha B`` and
    ``alpha^2 B`` with ``B = sum w``. Returns ``A, B, C [..., d, n+1]`` and the piece bounds
    ``left, right [..., 1, n+1]`` with ``left > right`` marking an empty piece.
    """
    weights = np.asarray(weights, dtype=float)
    values = np.asarray(values, dtype=float)
    order = np.argsort(values, axis=-1, kind="stable")
    ys = np.take_along_axis(values, order, -1)
    batch = np.broadcast_shapes(weights.shape[:-2], ys.shape[:-1])
    ws = np.take_along_axis(
        np.broadcast_to(weights, (*batch, *weights.shape[-2:])),
        np.broadcast_to(order[..., None, :], (*batch, 1, ys.shape[-1])),
        -1,
    )
    zero = np.zeros((*ws.shape[:-1], 1))
    a = np.concatenate([zero, np.cumsum(ws * ys[..., None, :], -1)], -1)
    c = np.concatenate([zero, np.cumsum(ws * ys[..., None, :] ** 2, -1)], -1)
    total = ws.sum(-1, keepdims=True)
    b = total - np.concatenate([zero, np.cumsum(ws, -1)], -1)
    edge = np.full((*ys.shape[:-1], 1), np.inf)
    lo = np.asarray(lo, dtype=float)[..., None, None]
    hi = np.asarray(hi, dtype=float)[..., None, None]
    left = np.maximum(np.concatenate([-edge, ys], -1)[..., None, :], lo)
    right = np.minimum(np.concatenate([ys, edge], -1)[..., None, :], hi)
    return a, b, c, left, right


def _bounds(values: np.ndarray, lo, hi) -> tuple[np.ndarray, np.ndarray]:
    values = np.asarray(values, dtype=float)
    lo = values.min(-1) if lo is None else np.broadcast_to(np.asarray(lo, float), values.shape[:-1])
    hi = values.max(-1) if hi is None else np.broadcast_to(np.asarray(hi, float), values.shape[:-1])
    return lo, hi


def chi2_regularized(
    weights: np.ndarray,
    values: np.ndarray,
    lam: float,
    lo: np.ndarray | float | None = None,
    hi: np.ndarray | float | None = None,
    clip: tuple[float, float] | None = None,
) -> np.ndarray:
    """chi2 dual ``sup_{alpha in [lo, hi]} z1 + z1^2/(4 lam) - z2/(4 lam)``, exactly.

    ``z1 = E_w[V]_alpha`` and ``z2 = E_w[V]_alpha^2`` (``lo``/``hi`` default to min/max of the
    values). With ``clip = (c1, c2)`` the estimates are first clipped to ``[0, c1]`` and
    ``[0, c2]`` (Tang, Liu, Xu 2025, Algorithm 4 lines 4-5 use ``(H, H^2)``). On each piece the
    unclipped objective is the quadratic ``g(alpha)`` with stationary point
    ``alpha* = (2 lam + A) / (1 - B)``; clipping adds the crossing points of ``z1`` and ``z2`` with
    the clip levels and the stationary point ``alpha = 0`` of ``-z2 / (4 lam)``. Evaluating ``g``
    at all these candidates is exact, since ``g`` is smooth between consecutive candidates.
    """
    lo, hi = _bounds(values, lo, hi)
    a, b, c, left, right = _pieces(weights, values, lo, hi)
    valid = left <= right
    c1 = np.inf if clip is None else float(clip[0])
    c2 = np.inf if clip is None else float(clip[1])
    four_lam = 4.0 * lam

    def objective(alpha: np.ndarray) -> np.ndarray:
        alpha = np.clip(alpha, left, right)
        z1 = a + b * alpha
        z2 = c + b * alpha * alpha
        if clip is not None:
            z1 = np.clip(z1, 0.0, c1)
            z2 = np.clip(z2, 0.0, c2)
        return np.where(valid, z1 + (z1 * z1 - z2) / four_lam, -np.inf)

    with np.errstate(divide="ignore", invalid="ignore"):
        candidates = [left, right, (2.0 * lam + a) / (1.0 - b)]
        if clip is not None:
            candidates += [
                np.zeros_like(a),
                -a / b,
                (c1 - a) / b,
                np.sqrt(np.maximum(-c / b, 0.0)),
                np.sqrt(np.maximum((c2 - c) / b, 0.0)),
            ]
        best = np.full(a.shape[:-1], -np.inf)
        for alpha in candidates:
            alpha = np.where(np.isfinite(alpha), alpha, left)
            np.maximum(best, objective(alpha).max(-1), out=best)
    return best


def tv_ball(
    weights: np.ndarray,
    values: np.ndarray,
    rho: np.ndarray | float,
    v_min: np.ndarray | None = None,
    lo: np.ndarray | float | None = None,
    hi: np.ndarray | float | None = None,
) -> np.ndarray:
    """TV-ball dual ``max_{alpha in [lo, hi]} E_w[V]_alpha - rho (alpha - v_min)``, exactly.

    ``rho`` is a radius per coordinate (``[d]`` or scalar) in [0, 1]; ``v_min`` defaults to
    ``min(values)``. The objective is linear on each piece, so its maximum is at a piece endpoint
    (a breakpoint ``y_tau`` or ``lo``/``hi``): Liu & Xu 2024 (DRPVI) solve the same problem.
    """
    values = np.asarray(values, dtype=float)
    lo, hi = _bounds(values, lo, hi)
    v_min = values.min(-1) if v_min is None else np.asarray(v_min, dtype=float)
    a, b, _, left, right = _pieces(weights, values, lo, hi)
    valid = left <= right
    rho = np.asarray(rho, dtype=float)[..., None]
    best = np.full(a.shape[:-1], -np.inf)
    for alpha in (left, right):
        value = a + b * alpha - rho * (alpha - v_min[..., None, None])
        np.maximum(best, np.where(valid, value, -np.inf).max(-1), out=best)
    return best


def kl_ball(
    weights: np.ndarray,
    values: np.ndarray,
    rho: np.ndarray | float,
    floor: float | None = None,
    *,
    n_grid: int = 32,
    n_refine: int = 36,
) -> np.ndarray:
    """KL-ball dual ``sup_{alpha > 0} -alpha log max(E_w e^{-V/alpha}, floor) - alpha rho``.

    ``rho > 0`` per coordinate or scalar; ``floor`` clips a ridge estimate of the expectation
    from below (None: exact weights, no clip). For a measure the objective is concave in
    ``alpha`` and its maximizer lies in ``(0, (max V - min V) / rho]``. The search scans a
    log-spaced grid over ``[1e-9 s, s / rho]`` (``s = max V - min V``) in one evaluation,
    brackets the best grid point and refines it by golden section in ``log alpha`` (one
    evaluation per step; the bracket shrinks by ``0.618^n_refine``). Without a floor the limit
    ``alpha -> 0``, the minimum of ``V`` over the support, is a candidate too.
    """
    weights = np.asarray(weights, dtype=float)
    values = np.asarray(values, dtype=float)
    rho = np.asarray(rho, dtype=float)
    if np.any(rho <= 0):
        raise ValueError(f"KL-ball radius rho must be > 0, got {rho}")
    batch = np.broadcast_shapes(weights.shape[:-1], (*values.shape[:-1], 1), rho.shape)
    spread = np.maximum(values.max(-1) - values.min(-1), 1e-12)[..., None]
    low = np.broadcast_to(np.log(1e-9 * spread), batch)
    high = np.broadcast_to(np.log(spread / rho), batch)
    log_floor = None if floor is None else float(np.log(floor))
    terms = _kl_terms(weights, values, compress=True)  # points without weight add exactly 0

    def objective(log_alpha: np.ndarray) -> np.ndarray:
        alpha = np.exp(log_alpha)
        return _kl_log_form(terms, alpha, log_floor) - alpha * rho

    grid = np.linspace(0.0, 1.0, n_grid).reshape(-1, *([1] * low.ndim))
    scores = objective(low + grid * (high - low))  # the whole grid in one evaluation
    best = scores.argmax(0)
    step = (high - low) / (n_grid - 1)
    left = low + np.maximum(best - 1, 0) * step
    right = low + np.minimum(best + 1, n_grid - 1) * step
    x1 = right - _GOLDEN * (right - left)
    x2 = left + _GOLDEN * (right - left)
    f1, f2 = objective(x1), objective(x2)
    for _ in range(n_refine):  # golden section: one new evaluation per step
        move_right = f1 < f2  # the maximum lies in [x1, right]
        left = np.where(move_right, x1, left)
        right = np.where(move_right, right, x2)
        new = np.where(
            move_right, left + _GOLDEN * (right - left), right - _GOLDEN * (right - left)
        )
        value = objective(new)
        x1, x2 = np.where(move_right, x2, new), np.where(move_right, new, x1)
        f1, f2 = np.where(move_right, f2, value), np.where(move_right, value, f1)
    best_value = np.maximum.reduce([scores.max(0), f1, f2])
    if floor is None:
        support_min = np.where(weights != 0, values[..., None, :], np.inf).min(-1)
        support_min = np.where(np.isfinite(support_min), support_min, -np.inf)
        best_value = np.maximum(best_value, support_min)
    return best_value
