"""Coverage diagnostics of an offline dataset (computed from its ridge statistics).

- :func:`min_eigenvalue_coverage`: ``lambda_min(Lambda_h) / K`` per seed and step; bounded away
  from 0 under full coverage, ~0 when some feature direction is never visited;
- :func:`uncertainty_term`: ``sum_h E_{(s,a) ~ d^pi_h}[sum_i ||phi_i(s,a) 1_i||_{Lambda_h^{-1}}]``,
  the uncertainty function of Tang, Liu, Xu 2025, Theorem 5.2, evaluated along ``pi`` (normally
  the robust optimal policy) in the **nominal** model -- the theorem takes a sup over robustly
  admissible kernels, so this is a lower proxy for it.
"""

from __future__ import annotations

import numpy as np

from rltheory.algos._pessimism import StepStatistics, penalty
from rltheory.mdp import FiniteHorizonMDP, occupancy


def min_eigenvalue_coverage(statistics: StepStatistics) -> np.ndarray:
    """``lambda_min(Lambda_h) / K`` ``[B, H]``."""
    return np.linalg.eigvalsh(statistics.gram)[..., 0] / statistics.n_data


def uncertainty_term(
    model: FiniteHorizonMDP, policy: np.ndarray, statistics: StepStatistics
) -> np.ndarray:
    """``[B]``: ``sum_h E_{d^pi_h}[sum_i |phi_i| sqrt([Lambda_h^{-1}]_ii)]`` under ``model``."""
    widths = penalty(model.features, statistics.gram_inverse, 1.0, "d-rectangular")  # [B,H,S,A]
    occupancy_measure = occupancy(model, policy)  # [H, S, A] (or batched like the policy)
    return np.einsum("...hsa,bhsa->b", occupancy_measure, widths)
