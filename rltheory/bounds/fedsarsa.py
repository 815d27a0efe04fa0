"""The FedSARSA error bound (Zhang, Wang, Mitra, Anderson, ICLR 2024, main theorem as shown on
the authors' poster) and the fitted decomposition drawn beside measured curves.

Theorem (verbatim form): for each agent i, ``E||theta~_T - theta*^(i)||²`` is
``Õ((K² + tau⁵)/((1-gamma)² T²) + tau/(N T) + Lambda²(eps_p, eps_r)/H²)``
with K local steps and T total iterations. The constants are not given; tau (presumably a
mixing time), H and Lambda are not defined in what could be read, and the theorem's step-size
schedule is not known (the bound is for the decaying step with the averaged iterate theta~_T,
the authors' code's ``alpha_t = 1/(1/alpha_0 + t)``). The shape drawn takes tau = 1 and leaves
out the heterogeneity floor Lambda²/H² (T-independent and undefined): it is a shape with a
fitted constant, not a bound.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import scipy.optimize

from rltheory.bounds.base import Bound, register_bound

ZHANG2024 = (
    "Zhang, Wang, Mitra, Anderson. Finite-Time Analysis of On-Policy Heterogeneous Federated "
    "Reinforcement Learning. ICLR 2024 (arXiv:2401.15273), main theorem (poster form)"
)


def fedsarsa_shape(q: Mapping[str, Any]) -> np.ndarray:
    """``K²/((1-gamma)² T²) + 1/(N T)``: the theorem's T-dependent terms with tau = 1."""
    steps = np.asarray(q["T"], dtype=float)
    k, n, gamma = float(q["K"]), float(q["N"]), float(q["gamma"])
    return k**2 / ((1.0 - gamma) ** 2 * steps**2) + 1.0 / (n * steps)


FEDSARSA_ZHANG2024 = register_bound(
    Bound(
        id="fedsarsa-zhang2024",
        kind="upper",
        quantity="E||theta~_T - theta*^(i)||^2 (weighted-average iterate, decaying step)",
        formula="Õ((K² + τ⁵)/((1−γ)² T²) + τ/(N T) + Λ²(ε_p, ε_r)/H²), drawn with τ = 1, no Λ term",
        exponents={"T": -1.0, "N": -1.0},
        citation=ZHANG2024,
        shape=fedsarsa_shape,
        requires=("T", "K", "N", "gamma"),
        algorithms=("fedsarsa",),
        notes=(
            "constants not given; tau, H, Lambda undefined in the readable source [M]; the "
            "heterogeneity floor Lambda²/H² is not drawn; step schedule of the theorem "
            "unverified (the authors' code's decaying schedule is required)"
        ),
        conditions={"schedule": "decaying"},
    )
)


def fit_error_terms(
    steps: np.ndarray, agents: np.ndarray, local_steps: np.ndarray, mse: np.ndarray
) -> dict[str, float]:
    """The FIT ``mse ≈ c1/(N T) + c2 K²/T² + c3`` (non-negative least squares in relative
    error, so every point weighs alike): ``{"c1", "c2", "c3", "rmse_relative"}``. A fit of the
    theorem's shape to data, not a bound."""
    t, n, k, y = (np.asarray(v, dtype=float).ravel() for v in (steps, agents, local_steps, mse))
    design = np.stack([1.0 / (n * t), k**2 / t**2, np.ones_like(t)], axis=1) / y[:, None]
    coefficients, _ = scipy.optimize.nnls(design, np.ones_like(y))
    relative = design @ coefficients - 1.0
    c1, c2, c3 = (float(c) for c in coefficients)
    return {"c1": c1, "c2": c2, "c3": c3, "rmse_relative": float(np.sqrt(np.mean(relative**2)))}
