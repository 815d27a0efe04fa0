"""Bounds in horizon-free units: total reward of every trajectory <= 1 (values in [0, 1]).

Regret is the pseudo-regret ``sum_k V*_1(s_1^k) - V^{pi_k}_1(s_1^k)`` in those units; a per-step
bound (rewards in [0, 1], values in [0, H]) converts by dividing by H (every learner below is
scale-equivariant, or normalises rewards by the total-reward bound itself). ``T = K H``.
Quantities read from ``q``: episodes ``K`` (the axis array), ``d`` (the mixture dimension for
linear-mixture learners, the feature dimension for linear-MDP ones), ``H``, and the failure
probability ``delta`` (or ``p``; default 0.05). Õ hides polylog(K, H, 1/delta) factors: the
shapes below write one ``log(K H / delta)`` per Õ (our choice; the papers' exact log powers are
not verified), and no constant is given, so plots fit one.

Verification: the rates of Zhou & Gu 2022 (upper, optimality claim), Zhang, Lee, Chen, Du 2024,
Ayoub et al. 2020 and Jin et al. 2020 Thm 3.1 were read in the papers' abstracts or theorem
statements; constants and log powers were not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from rltheory.bounds.base import Bound, register_bound
from rltheory.bounds.catalog import JIN2020, runs_in_unit_total_reward

UNITS = "total reward <= 1 per trajectory"
HIGH_PROBABILITY = "high-probability pseudo-regret sum_k V*_1(s_1^k) - V^{pi_k}_1(s_1^k), " + UNITS
AYOUB2020 = (
    "Ayoub, Jia, Szepesvári, Wang, Yang. Model-based reinforcement learning with value-targeted "
    "regression. ICML 2020 (arXiv:2006.01107)"
)
ZHOUGU2022 = (
    "Zhou, Gu. Computationally efficient horizon-free reinforcement learning for linear mixture "
    "MDPs. NeurIPS 2022 (arXiv:2205.11507)"
)
ZHANG2024 = (
    "Zhang, Lee, Chen, Du. Horizon-free regret for linear Markov decision processes. ICLR 2024 "
    "(arXiv:2403.10738), Theorem 1"
)
VTR_FAMILY = ("hf-ucrl-vtr-plus", "ucrl-vtr")


def _sizes(q: Mapping[str, Any], bound_id: str) -> tuple[np.ndarray, float, float, float]:
    """``(K, d, H, delta)`` from the quantities ``q``, validated."""
    values = []
    for name in ("d", "H"):
        value = float(q[name])
        if not value > 0:
            raise ValueError(f"bound '{bound_id}': parameter {name} must be > 0, got {value}")
        values.append(value)
    delta = float(q.get("delta", q.get("p", 0.05)))
    if not 0.0 < delta < 1.0:
        raise ValueError(f"bound '{bound_id}': delta must be in (0, 1), got {delta}")
    return np.asarray(q["K"], dtype=float), values[0], values[1], delta


def _log(episodes: np.ndarray, horizon: float, delta: float) -> np.ndarray:
    return np.log(episodes * horizon / delta)


def hf_upper_shape(q: Mapping[str, Any]) -> np.ndarray:
    """``d sqrt(K) log(KH/delta) + d^2 log^2(KH/delta)`` (Õ(d sqrt K + d^2))."""
    episodes, d, horizon, delta = _sizes(q, "hf-ucrl-vtr-plus-zhougu2022")
    log = _log(episodes, horizon, delta)
    return d * np.sqrt(episodes) * log + d * d * log * log


def zhang2024_shape(q: Mapping[str, Any]) -> np.ndarray:
    """``(d^5.5 sqrt(K) + d^6.5) log(KH/delta)`` (Õ(d^5.5 sqrt K + d^6.5))."""
    episodes, d, horizon, delta = _sizes(q, "horizon-free-linear-mdp-zhang2024")
    return (d**5.5 * np.sqrt(episodes) + d**6.5) * _log(episodes, horizon, delta)


def ayoub2020_shape(q: Mapping[str, Any]) -> np.ndarray:
    """``d sqrt(H^3 T) / H = d H sqrt(K)`` times ``log(KH/delta)`` (per-step Õ(d sqrt(H^3 T)))."""
    episodes, d, horizon, delta = _sizes(q, "ucrl-vtr-ayoub2020")
    return d * horizon * np.sqrt(episodes) * _log(episodes, horizon, delta)


def jin2020_unit_shape(q: Mapping[str, Any]) -> np.ndarray:
    """``sqrt(d^3 H^3 T iota^2) / H = d^1.5 H sqrt(K) iota``, ``iota = log(2 d K H / p)``."""
    episodes, d, horizon, delta = _sizes(q, "lsvi-ucb-jin2020-unit-reward")
    return d**1.5 * horizon * np.sqrt(episodes) * np.log(2.0 * d * episodes * horizon / delta)


def horizon_free_lower_shape(q: Mapping[str, Any]) -> np.ndarray:
    """``d sqrt(K)``."""
    episodes, d, _, _ = _sizes(q, "horizon-free-lower-zhougu2022")
    return d * np.sqrt(episodes)


HF_UPPER = register_bound(
    Bound(
        id="hf-ucrl-vtr-plus-zhougu2022",
        kind="upper",
        quantity=HIGH_PROBABILITY + ", time-homogeneous linear mixture MDPs, w.p. >= 1 - delta",
        formula="O~(d sqrt(K) + d^2)",
        exponents={"K": 0.5, "d": 1.0, "H": 0.0},
        citation=ZHOUGU2022 + ", main theorem (abstract)",
        shape=hf_upper_shape,
        requires=("K", "d", "H"),
        algorithms=("hf-ucrl-vtr-plus",),
        notes=(
            "rate read in the abstract; constants and log powers not verified (shape: one "
            "log(KH/delta) per O~). Horizon-free: H enters only through logs. Holds with "
            "probability >= 1 - delta (Zhao et al. 2023's statement of the thesis variant)."
        ),
    )
)

ZHANG2024_REFERENCE = register_bound(
    Bound(
        id="horizon-free-linear-mdp-zhang2024",
        kind="upper",
        quantity=HIGH_PROBABILITY + ", time-homogeneous linear MDPs, w.p. >= 1 - delta",
        formula="O~(d^5.5 sqrt(K) + d^6.5)",
        exponents={"K": 0.5, "d": 5.5, "H": 0.0},
        citation=ZHANG2024,
        shape=zhang2024_shape,
        requires=("K", "d", "H"),
        notes=(
            "reference only: its algorithm is computationally inefficient by its authors' "
            "statement (it loops over an epsilon-net of value functions and plans over a set of "
            "models) and is not implemented here, so no algorithm lists this bound."
        ),
    )
)

UCRL_VTR_UPPER = register_bound(
    Bound(
        id="ucrl-vtr-ayoub2020",
        kind="upper",
        quantity=HIGH_PROBABILITY + ", linear mixture MDPs",
        formula="O~(d sqrt(H^3 T)) / H = O~(d H sqrt(K)), T = K H",
        exponents={"K": 0.5, "d": 1.0, "H": 1.0},
        citation=AYOUB2020 + ", abstract",
        shape=ayoub2020_shape,
        requires=("K", "d", "H"),
        algorithms=("ucrl-vtr",),
        notes=(
            "Ayoub et al. state O~(d sqrt(H^3 T)) for per-step rewards in [0,1]; divided by H "
            "for these units. The sharper per-step O~(d H sqrt(T)) of UCRL-VTR+ (Zhou, Gu, "
            "Szepesvári 2021) converts to O~(d sqrt(H K)). Constants not given."
        ),
    )
)

LSVI_UCB_UNIT = register_bound(
    Bound(
        id="lsvi-ucb-jin2020-unit-reward",
        kind="upper",
        quantity=HIGH_PROBABILITY + ", linear MDPs, w.p. >= 1 - p",
        formula="O(sqrt(d^3 H^3 T iota^2)) / H = O(d^1.5 H sqrt(K) iota), iota = log(2dT/p)",
        exponents={"K": 0.5, "d": 1.5, "H": 1.0},
        citation=JIN2020.replace("Algorithm 1", "Theorem 3.1, divided by H"),
        shape=jin2020_unit_shape,
        requires=("K", "d", "H"),
        algorithms=("lsvi-ucb",),
        applies_if=runs_in_unit_total_reward,
        applies_text="LSVI-UCB run in total-reward <= 1 units (clip = 1)",
        notes=(
            "LSVI-UCB is scale-equivariant (rewards r/H, beta/H and clip 1 give the same actions "
            "and regret/H), so Thm 3.1 in these units is the per-step bound over H: linear in H "
            "at fixed K. It replaces the per-step Theorem 3.1 as LSVI-UCB's main bound on runs "
            "with clip = 1."
        ),
    )
)

HORIZON_FREE_LOWER = register_bound(
    Bound(
        id="horizon-free-lower-zhougu2022",
        kind="lower",
        quantity=(
            "minimax expected pseudo-regret over time-homogeneous linear mixture MDPs, " + UNITS
        ),
        formula="Omega(d sqrt(K))",
        exponents={"K": 0.5, "d": 1.0, "H": 0.0},
        citation=ZHOUGU2022 + ", optimality claim and hard instance",
        shape=horizon_free_lower_shape,
        requires=("K", "d", "H"),
        algorithms=VTR_FAMILY,
        notes=(
            "Zhou & Gu call O~(d sqrt K + d^2) optimal up to logs; the hard instance is the "
            "3-state family 'hf-hard'. Constant and conditions not verified."
        ),
    )
)
