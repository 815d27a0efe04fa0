"""Exact offline metrics and the bounds they are compared with, as pure functions.

- :func:`robust_suboptimality`: ``SubOpt(pi_hat, s_1, lam)``
  ``= V^{*,lam}_1(s_1) - V^{pi_hat,lam}_1(s_1)`` (Tang, Liu, Xu 2025, §3), averaged over the
  initial distribution, computed exactly on the robust model;
- :func:`perturbed_values`: the exact value ``E_{s_1} V^{pi_hat}_1(s_1)`` of each learned policy
  in each perturbed test model (the papers' "average reward vs perturbation", without episodes);
- :func:`theorem52_bound`: Theorem 5.2's ``2 beta sum_h E_{pi*}[sum_i ||phi_i 1_i||_{Lambda_h^-1}]``
  with the expectation along ``pi*`` in the nominal model, a lower proxy for the theorem's sup
  over robustly admissible kernels (see :func:`rltheory.offline.coverage.uncertainty_term`);
- :func:`r2pvi_rate`: the instance-independent rates of the paper's rate table, as shapes in the
  named quantities ``n_data`` (K), ``d``, ``H`` and ``lam`` (the constants are not given).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from rltheory.mdp import (
    FiniteHorizonMDP,
    RobustMDP,
    evaluate,
    initial_value,
    robust_evaluate,
    robust_optimal,
)


def robust_suboptimality(robust: RobustMDP, policies: np.ndarray) -> np.ndarray:
    """``E_{s_1 ~ mu0}[V^{*,lam}_1(s_1) - V^{pi,lam}_1(s_1)]`` for ``policies [B, H, S(, A)]``."""
    model = robust.nominal
    best = initial_value(model, robust_optimal(robust).v)
    return best - initial_value(model, robust_evaluate(robust, policies))


def perturbed_values(test_models: Sequence[FiniteHorizonMDP], policies: np.ndarray) -> np.ndarray:
    """``[len(test_models), B]``: exact ``E_{s_1} V^{pi_b}_1`` in every test model."""
    return np.stack([initial_value(m, evaluate(m, policies)) for m in test_models])


def theorem52_bound(beta: float, uncertainty: np.ndarray) -> np.ndarray:
    """``2 beta Phi`` with ``Phi`` the uncertainty term (Tang, Liu, Xu 2025, Theorem 5.2)."""
    return 2.0 * beta * np.asarray(uncertainty, dtype=float)


def r2pvi_rate(divergence: str, n_data: float, d: int, H: int, lam: float = 1.0) -> float:
    """Shape of the rate (Tang, Liu, Xu 2025, rate table): TV ``d^2 H^2 / sqrt(K)``, KL
    ``sqrt(lam) e^{H/lam} d^2 H^{3/2} / sqrt(K)``, chi2 ``d^2 H^3 (1 + 1/lam) / sqrt(K)``."""
    root = math.sqrt(n_data)
    if divergence == "tv":
        return d**2 * H**2 / root
    if divergence == "kl":
        return math.sqrt(lam) * math.exp(H / lam) * d**2 * H**1.5 / root
    if divergence == "chi2":
        return d**2 * H**3 * (1 + 1 / lam) / root
    raise ValueError(f"divergence must be tv, kl or chi2, got {divergence!r}")
