"""Suboptimality rates of robust offline RL over the dataset size ``n_data`` (K episodes).

Tang, Liu, Xu 2025 (ICML; arXiv:2411.18612), rate table under "regularized partial coverage",
read from the authors' slides: R2PVI-TV ``O~(d^2 H^2 / sqrt(K))``, R2PVI-KL
``O~(sqrt(lam) e^{H/lam} d^2 H^{3/2} / sqrt(K))``, R2PVI-chi2 ``O~(d^2 H^3 (1 + 1/lam) / sqrt(K))``,
and DRPVI (Liu & Xu 2024) ``O~(d^{3/2} H^2 / sqrt(K))`` under full coverage. The coverage
constants and log factors are not given, so the report fits the constant (``constant=None``).
The instance-dependent Theorem 5.2 bound depends on the dataset and is a column of the offline
protocol (``theorem52_bound``), not a function of named quantities.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from rltheory.bounds.base import Bound, register_bound
from rltheory.offline.metrics import r2pvi_rate

TANG2025 = "Tang, Liu, Xu 2025 (ICML, arXiv:2411.18612), rate table (regularized partial coverage)"
QUANTITY = "high-probability robust suboptimality V^{*,lam}_1 - V^{pi_hat,lam}_1"


def _rate(divergence: str):
    def shape(q: Mapping[str, Any]) -> np.ndarray:
        n_data = np.asarray(q["n_data"], dtype=float)
        lam = float(q.get("lam", 1.0))
        return r2pvi_rate(divergence, 1.0, int(q["d"]), int(q["H"]), lam) / np.sqrt(n_data)

    return shape


for _divergence, _formula, _exponents in (
    ("tv", "d^2 H^2 / sqrt(K)", {"n_data": -0.5, "d": 2.0, "H": 2.0}),
    ("kl", "sqrt(lam) e^{H/lam} d^2 H^{3/2} / sqrt(K)", {"n_data": -0.5, "d": 2.0}),
    ("chi2", "d^2 H^3 (1 + 1/lam) / sqrt(K)", {"n_data": -0.5, "d": 2.0, "H": 3.0}),
):
    register_bound(
        Bound(
            id=f"r2pvi-{_divergence}-rate",
            kind="upper",
            quantity=QUANTITY,
            formula=_formula,
            exponents=_exponents,
            citation=TANG2025,
            shape=_rate(_divergence),
            requires=("n_data", "d", "H"),
            algorithms=("r2pvi",),
            conditions={"divergence": _divergence},
            notes="constant and log factors not given; needs regularized partial coverage",
        )
    )

register_bound(
    Bound(
        id="drpvi-rate",
        kind="upper",
        quantity="high-probability robust suboptimality in the d-DRMDP (TV ball)",
        formula="d^{3/2} H^2 / sqrt(K)",
        exponents={"n_data": -0.5, "d": 1.5, "H": 2.0},
        citation="Liu & Xu 2024 (NeurIPS), as tabulated by Tang, Liu, Xu 2025 (full coverage)",
        shape=lambda q: q["d"] ** 1.5 * q["H"] ** 2 / np.sqrt(np.asarray(q["n_data"], float)),
        requires=("n_data", "d", "H"),
        algorithms=("drpvi",),
        conditions={"rho_step": None, "rho_coordinate": None},
        notes="constant and log factors not given; full coverage; one radius on all (h, i)",
    )
)
