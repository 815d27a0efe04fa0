"""Regret bounds for adversarial MDPs with (delayed) bandit or full-information feedback.

Units: per-step losses in [0, 1]; regret against the best fixed policy in hindsight,
``sum_k V^{k,pi_k}_1 - min_pi sum_k V^{k,pi}_1``. Quantities: ``K`` (episodes, the axis), ``S``,
``A``, ``H``, ``T = K H``, ``D`` (the delay incurred within the run, ``run.D_K`` of the delayed
protocol) and ``mixture_dim`` (the linear-mixture dimension, ``run.mixture_dim``).

Verification: the rates of Jin et al. 2022, Lancewicki, Rosenberg, Mansour 2022, Shani et al.
2020 and Cai et al. 2020 were read in their abstracts; Luo, Wei, Lee 2021's tabular rate
``O~(H² S sqrt(A K))`` is remembered (its abstract states ``O~(sqrt K)`` only). No paper's
constant is used: every bound is a shape drawn with a fitted constant. DAPO's own bound is
unverified: ``dapo-fitted-shape`` is ``sqrt K + sqrt D``, whose two coefficients the delay
experiment fits separately (``rltheory.experiments.delay_fit``), marked "exponents unverified".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from rltheory.bounds.base import Bound, register_bound

REGRET = "expected regret against the best fixed policy in hindsight, oblivious losses in [0,1]"
DELAYED = REGRET + ", delayed feedback with total delay D"


def _k(q: Mapping[str, Any]) -> np.ndarray:
    return np.asarray(q["K"], dtype=float)


def jin2022_shape(q: Mapping[str, Any]) -> np.ndarray:
    """``sqrt(K + D)`` (Jin et al. 2022, abstract; H, S, A factors not verified: omitted)."""
    return np.sqrt(_k(q) + float(q["D"]))


def sqrt_k_plus_sqrt_d(q: Mapping[str, Any]) -> np.ndarray:
    """``sqrt K + sqrt D``."""
    return np.sqrt(_k(q)) + np.sqrt(float(q["D"]))


def two_thirds_shape(q: Mapping[str, Any]) -> np.ndarray:
    """``K^{2/3} + D^{2/3}`` (Lancewicki, Rosenberg, Mansour 2022, bandit feedback)."""
    return _k(q) ** (2.0 / 3.0) + float(q["D"]) ** (2.0 / 3.0)


def luo2021_shape(q: Mapping[str, Any]) -> np.ndarray:
    """``H² S sqrt(A K)``."""
    return float(q["H"]) ** 2 * float(q["S"]) * np.sqrt(float(q["A"]) * _k(q))


def shani2020_shape(q: Mapping[str, Any]) -> np.ndarray:
    """``sqrt(S² A H⁴) K^{2/3}`` (adversarial costs, bandit feedback, unknown P)."""
    s, a, h = (float(q[name]) for name in ("S", "A", "H"))
    return np.sqrt(s * s * a * h**4) * _k(q) ** (2.0 / 3.0)


def oppo_shape(q: Mapping[str, Any]) -> np.ndarray:
    """``sqrt(d² H³ T)`` with ``T = K H`` and d the mixture dimension."""
    d, h = float(q["mixture_dim"]), float(q["H"])
    return np.sqrt(d * d * h**3 * _k(q) * h)


DAPO_FITTED = register_bound(
    Bound(
        id="dapo-fitted-shape",
        kind="upper",
        quantity=DELAYED + ", bandit feedback, unknown transitions",
        formula="a sqrt K + b sqrt D_K (exponents unverified)",
        exponents={"K": 0.5, "D": 0.5},
        citation="Lancewicki, Rosenberg, Sotnikov, ICML 2023: only the abstract verified "
        "('near-optimal'); the shape is our reading, exponents unverified",
        shape=sqrt_k_plus_sqrt_d,
        requires=("K", "D"),
        algorithms=("dapo",),
        notes="exponents unverified: the report draws sqrt K + sqrt D with one fitted constant; "
        "the delay experiment fits a and b separately against D_K at each checkpoint",
    )
)

LUO2021 = register_bound(
    Bound(
        id="po-dilated-luo2021",
        kind="upper",
        quantity=REGRET + ", bandit feedback, unknown transitions, no delay",
        formula="O~(H^2 S sqrt(A K))",
        exponents={"K": 0.5, "H": 2.0, "S": 1.0, "A": 0.5},
        citation="Luo, Wei, Lee, NeurIPS 2021 (abstract: O~(sqrt K); the H, S, A factors are "
        "remembered, unverified)",
        shape=luo2021_shape,
        requires=("K", "H", "S", "A"),
        algorithms=("po-bandit", "dapo"),
    )
)

SHANI2020 = register_bound(
    Bound(
        id="po-optimistic-shani2020",
        kind="upper",
        quantity=REGRET + ", bandit feedback, unknown transitions, adversarial costs",
        formula="O~(sqrt(S^2 A H^4) K^{2/3})",
        exponents={"K": 2.0 / 3.0, "S": 1.0, "A": 0.5, "H": 2.0},
        citation="Shani, Efroni, Rosenberg, Mannor, ICML 2020 (abstract)",
        shape=shani2020_shape,
        requires=("K", "S", "A", "H"),
        algorithms=("po-shani",),
    )
)

OPPO2020 = register_bound(
    Bound(
        id="oppo-cai2020",
        kind="upper",
        quantity=REGRET + ", full information, linear mixture kernel, T = K H",
        formula="O~(sqrt(d^2 H^3 T))",
        exponents={"K": 0.5, "mixture_dim": 1.0, "H": 2.0},
        citation="Cai, Yang, Jin, Wang, ICML 2020 (abstract)",
        shape=oppo_shape,
        requires=("K", "H", "mixture_dim"),
        algorithms=("oppo",),
        notes="d is the mixture dimension; earlier arXiv versions state sqrt(d^3 H^3 T)",
    )
)

JIN2022 = register_bound(
    Bound(
        id="delayed-bandit-jin2022",
        kind="upper",
        quantity=DELAYED + ", bandit feedback, unknown transitions",
        formula="O~(sqrt(K + D))",
        exponents={"K": 0.5, "D": 0.5},
        citation="Jin, Lancewicki, Luo, Mansour, Rosenberg, NeurIPS 2022 (abstract)",
        shape=jin2022_shape,
        requires=("K", "D"),
        algorithms=("dapo",),
        notes="comparator rate of a delay-adapted O-REPS method, drawn beside DAPO; its H, S, A "
        "factors were not verified and are omitted (the constant is fitted)",
    )
)

LRM2022_FULL = register_bound(
    Bound(
        id="delayed-full-information-lrm2022",
        kind="upper",
        quantity=DELAYED + ", full-information feedback",
        formula="O~(sqrt K + sqrt D)",
        exponents={"K": 0.5, "D": 0.5},
        citation="Lancewicki, Rosenberg, Mansour, AAAI 2022 (abstract)",
        shape=sqrt_k_plus_sqrt_d,
        requires=("K", "D"),
        algorithms=("oppo",),
        notes="delayed policy optimization with full information; the H, S, A factors are not in "
        "the abstract (fitted constant)",
    )
)

LRM2022_BANDIT = register_bound(
    Bound(
        id="delayed-bandit-lrm2022",
        kind="upper",
        quantity=DELAYED + ", bandit feedback (general adversarial costs)",
        formula="O~(K^{2/3} + D^{2/3})",
        exponents={"K": 2.0 / 3.0, "D": 2.0 / 3.0},
        citation="Lancewicki, Rosenberg, Mansour, AAAI 2022 (abstract)",
        shape=two_thirds_shape,
        requires=("K", "D"),
        algorithms=("dapo", "po-bandit", "po-shani"),
        notes="the previous delayed-PO rate DAPO improves on (fitted constant)",
    )
)
