"""Pure numerical cores of value-targeted regression on linear mixture MDPs (batched over seeds).

Notation (Ayoub et al. 2020; Zhou & Gu 2022): known basis ``phi(s'|s,a) in R^d``, unknown
``theta*`` with ``P(s'|s,a) = <phi(s'|s,a), theta*>``; the integration map
``phi_V(s,a) = sum_s' phi(s'|s,a) V(s')`` turns a value function into a regressor, and
``E[V(s') | s, a] = <phi_V(s,a), theta*>``. Level ``m`` of HF-UCRL-VTR+ regresses ``V^(2^m)(s')``
on ``phi_{V^(2^m)}``. Values live in [0, 1] (total reward <= 1).

Every product is a stack of per-seed matrix products, so seed b's numbers are bit-identical
whether it runs alone or in a batch (see :mod:`rltheory.algos._linalg`). Arrays: ``B`` seeds,
``M`` levels, ``S`` states, ``A`` actions, ``d`` the mixture dimension.
"""

from __future__ import annotations

import math

import numpy as np

from rltheory.algos._linalg import sherman_morrison


def integration_matrix(basis: np.ndarray) -> np.ndarray:
    """``basis [S, A, S', d]`` rearranged as ``[S', S·A·d]``: ``V @ it`` is ``phi_V`` flattened."""
    n_states, n_actions, n_next, d = basis.shape
    return np.ascontiguousarray(np.moveaxis(basis, 2, 0).reshape(n_next, n_states * n_actions * d))


def integrate(psi_t: np.ndarray, values: np.ndarray, dim: int) -> np.ndarray:
    """``phi_V(s,a)`` for every (s,a) and seed: ``values [B, S]`` -> ``[B, S·A, d]``.

    One contraction per seed (``[1, S'] @ [S', S·A·d]``), ``psi_t`` from :func:`integration_matrix`.
    """
    flat = (values[:, None, :] @ psi_t)[:, 0]
    return flat.reshape(values.shape[0], -1, dim)


def elliptical_norms(vectors: np.ndarray, inverse: np.ndarray) -> np.ndarray:
    """``||x||_{Sigma^{-1}} = sqrt(x^T Sigma^{-1} x)`` for ``vectors [..., n, d]`` and
    ``inverse [..., d, d]`` (rounding can make the form a hair negative: 0)."""
    left = vectors @ inverse
    return np.sqrt(np.maximum((left * vectors).sum(-1), 0.0))


def optimistic_plan(
    psi_t: np.ndarray,
    rewards: np.ndarray,
    theta: np.ndarray,
    inverse: np.ndarray,
    beta: np.ndarray,
    unclipped: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Optimistic backward pass with the frozen level-0 estimator (Zhou & Gu 2022, Alg. 1;
    Ayoub et al. 2020 with the ellipsoid maximised in closed form)::

        Q_h(s,a) = clip_[0,1]( r_h(s,a) + <theta_hat, phi_{V_{h+1}}(s,a)>
                               + beta ||phi_{V_{h+1}}(s,a)||_{Sigma_hat^{-1}} ),   V_{H+1} = 0
        V_h(s)   = max_a Q_h(s,a)

    ``rewards [H, S, A]`` in total-reward-<=-1 units; per seed and group ``theta [B, G, d]``,
    ``inverse [B, G, d, d]`` (``Sigma_hat^{-1}``) and ``beta [B, G]``: step h uses group 0 when
    G = 1 (pooled) and group h when G = H. Returns ``(q [B, H, S, A], v [B, H+1, S])``; given
    ``unclipped`` (like ``q``), the sums before the clip are written there (a key for breaking the
    ties that the clip at 1 makes: every maximizer of it maximizes ``q``).
    """
    horizon, n_states, n_actions = rewards.shape
    n_seeds, n_groups, dim = theta.shape
    q = np.empty((n_seeds, horizon, n_states, n_actions))
    v = np.zeros((n_seeds, horizon + 1, n_states))
    flat_rewards = rewards.reshape(horizon, -1)
    for h in range(horizon - 1, -1, -1):
        g = 0 if n_groups == 1 else h
        f = integrate(psi_t, v[:, h + 1], dim)  # [B, S·A, d]
        mean = (f @ theta[:, g, :, None])[..., 0]
        bonus = beta[:, g, None] * elliptical_norms(f, inverse[:, g])
        total = (flat_rewards[h] + mean + bonus).reshape(n_seeds, n_states, n_actions)
        if unclipped is not None:
            unclipped[:, h] = total
        q[:, h] = np.clip(total, 0.0, 1.0)
        v[:, h] = q[:, h].max(-1)
    return q, v


def greedy(q: np.ndarray, keys: np.ndarray | None = None) -> np.ndarray:
    """``argmax_a q[..., a]``: the lowest maximizing index, or (``keys`` like ``q``) the maximizer
    with the largest key (uniform keys: a uniform choice among exact ties; the unclipped sums of
    :func:`optimistic_plan`: the largest optimistic value before the clip)."""
    if keys is None:
        return q.argmax(-1)
    return np.where(q == q.max(-1, keepdims=True), keys, -1.0).argmax(-1)


def moment_regressors(
    basis_sa: np.ndarray, v_next: np.ndarray, n_levels: int
) -> tuple[np.ndarray, np.ndarray]:
    """Powers ``V^(2^m)`` ``[B, M, S]`` (:func:`value_powers`) and the regressors
    ``phi_{V^(2^m)}(s_h, a_h)`` ``[B, M, d]`` from ``basis_sa = phi(.|s_h, a_h) [B, S, d]``."""
    powers = value_powers(v_next, n_levels)
    return powers, powers @ basis_sa


def value_powers(values: np.ndarray, n_levels: int) -> np.ndarray:
    """``V^(2^m)`` for ``m < M``: ``values [..., S]`` -> ``[..., M, S]`` (one elementwise ``pow``;
    level 0 is ``V`` itself exactly)."""
    exponents = 2.0 ** np.arange(n_levels)
    return np.power(values[..., None, :], exponents[:, None])


def predictions(regressors: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """``<phi_m, theta_hat_m>`` for ``regressors [B, M, d]`` and ``theta [B, M, d]``: ``[B, M]``."""
    return (regressors[..., None, :] @ theta[..., :, None])[..., 0, 0]


def level_norms(regressors: np.ndarray, inverse: np.ndarray) -> np.ndarray:
    """``||phi_m||_{Sigma_m^{-1}}`` for ``regressors [B, M, d]``, ``inverse [B, M, d, d]``."""
    return elliptical_norms(regressors[..., None, :], inverse)[..., 0]


def home_variances(
    regressors: np.ndarray,
    theta: np.ndarray,
    frozen_inverse: np.ndarray,
    running_inverse: np.ndarray,
    beta: np.ndarray,
    xi: float,
    gamma: float,
) -> np.ndarray:
    """Weights ``sigma_bar^2_m`` of the high-order moment estimator (HOME; Zhou & Gu 2022, as
    reproduced in Zhao et al. 2023, Alg. 5), ``[B, M]``::

        Vbar_m   = [<phi_{m+1}, theta_hat_{m+1}>]_[0,1] - [<phi_m, theta_hat_m>]^2_[0,1]
        E_m      = min(1, 2 beta ||phi_m||_{Sigma_hat_m^{-1}}) + min(1, beta ||phi_{m+1}||_{...})
        sigma2_m = max(Vbar_m + E_m, xi^2, gamma^2 ||phi_m||_{Sigma_tilde_m^{-1}})    m < M-1
        sigma2_M-1 = max(1, xi^2, gamma^2 ||phi_{M-1}||_{Sigma_tilde_{M-1}^{-1}})

    ``Sigma_hat`` is the matrix frozen at the start of the episode (``frozen_inverse``),
    ``Sigma_tilde`` the running one including this episode's earlier steps (``running_inverse``);
    gamma^2 multiplies the norm itself, not its square.
    """
    running = level_norms(regressors, running_inverse)
    variance = np.ones(regressors.shape[:2])  # the top level's variance bound
    if regressors.shape[1] > 1:
        variance[:, :-1] = variance_upper_estimate(regressors, theta, frozen_inverse, beta)
    return weight_floor(variance, running, xi, gamma)


def weight_floor(variance: np.ndarray, running_norm: np.ndarray, xi: float, gamma: float):
    """``sigma_bar^2 = max(variance, xi^2, gamma^2 ||phi||_{Sigma_tilde^{-1}})``: the variance- and
    uncertainty-aware weight of Zhou & Gu 2022 (with a known variance it is their weighted
    linear-bandit estimator)."""
    return np.maximum(np.maximum(variance, xi * xi), gamma * gamma * running_norm)


def variance_upper_estimate(
    regressors: np.ndarray, theta: np.ndarray, frozen_inverse: np.ndarray, beta: np.ndarray
) -> np.ndarray:
    """``Vbar_m + E_m`` for ``m < M-1`` (:func:`home_variances`): ``[..., M-1]``.

    On the event ``||theta_hat_m - theta*||_{Sigma_hat_m} <= beta`` for all m it upper-bounds
    ``Var[V^(2^m)(s')]`` exactly (``[x]_[0,1]`` is 1-Lipschitz and ``|a^2-b^2| <= 2|a-b|`` on
    [0,1]).
    """
    pred = np.clip(predictions(regressors, theta), 0.0, 1.0)
    width = beta[..., None] * level_norms(regressors, frozen_inverse)
    vbar = pred[..., 1:] - pred[..., :-1] ** 2
    error = np.minimum(1.0, 2.0 * width[..., :-1]) + np.minimum(1.0, width[..., 1:])
    return vbar + error


def weighted_update(
    gram: np.ndarray,
    inverse: np.ndarray,
    target: np.ndarray,
    log_det: np.ndarray,
    regressors: np.ndarray,
    values: np.ndarray,
    sigma2: np.ndarray,
) -> None:
    """One weighted ridge step per seed and level, in place (O(d^2) each, Sherman–Morrison)::

        Sigma_m += phi_m phi_m^T / sigma2_m,   b_m += phi_m y_m / sigma2_m,
        log det Sigma_m += log(1 + phi_m^T Sigma_m^{-1} phi_m / sigma2_m)

    ``gram``/``inverse [B, M, d, d]``, ``target [B, M, d]``, ``log_det [B, M]``,
    ``regressors [B, M, d]``, ``values`` (targets ``y``) and ``sigma2 [B, M]``.
    """
    u = regressors / np.sqrt(sigma2)[..., None]
    gram += u[..., :, None] * u[..., None, :]
    new_inverse, _, den = sherman_morrison(inverse, u)
    inverse[...] = new_inverse
    target += regressors * (values / sigma2)[..., None]
    log_det += np.log(den)


def hoeffding_radius(
    log_det_ratio: np.ndarray, delta: float, lam: float, norm_bound: float, noise: float = 0.5
) -> np.ndarray:
    """``R sqrt(2 log(1/delta) + log(det Sigma / lam^d)) + sqrt(lam) B`` (Abbasi-Yadkori, Pál,
    Szepesvári 2011, Thm 2): value targets in [0, 1] are ``R = 1/2``-sub-Gaussian around their mean.
    """
    width = noise * np.sqrt(2.0 * math.log(1.0 / delta) + log_det_ratio)
    return width + math.sqrt(lam) * norm_bound


def bernstein_radius(
    k: int,
    *,
    dim: int,
    horizon: int,
    xi: float,
    gamma: float,
    lam: float,
    norm_bound: float,
    delta: float,
) -> float:
    """``beta_k = 12 sqrt(d eta_k tau_k) + 30 tau_k / gamma^2 + sqrt(lam) B`` with
    ``eta_k = log(1 + k H / (xi^2 d lam))`` and
    ``tau_k = log(32 (log(gamma^2/xi) + 1) k^2 H^2 / delta)`` (Zhao et al. 2023 Thm, the
    variance-aware radius of Zhou & Gu 2022; episode k is 1-based). ``log(gamma^2/xi)`` is floored
    at 0 (our guard for ``gamma^2 < xi``, outside the papers' parameter range).
    """
    if not gamma > 0:
        raise ValueError("the Bernstein radius needs gamma > 0 (it divides by gamma^2)")
    eta = math.log(1.0 + k * horizon / (xi * xi * dim * lam))
    peel = max(math.log(gamma * gamma / xi), 0.0)
    tau = math.log(32.0 * (peel + 1.0) * k * k * horizon * horizon / delta)
    return 12.0 * math.sqrt(dim * eta * tau) + 30.0 * tau / gamma**2 + math.sqrt(lam) * norm_bound
