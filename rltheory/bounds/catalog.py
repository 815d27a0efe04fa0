"""Bounds of the LSVI family (Jin et al. 2020) and the lower bounds plotted beside them.

Units: per-step rewards in [0, 1] (V in [0, H]), ``T = K H`` steps, regret = pseudo-regret
``sum_k V*_1(x_1^k) - V^{pi_k}_1(x_1^k)``. Quantities read from ``q``: episodes ``K`` (an array
along the axis), ``d``, ``H``, ``S``, ``A``, ``p`` (failure probability), ``beta`` (the bonus
scale actually run), with ``iota(K) = log(2 d K H / p)``.

Verification: Jin et al.'s Thm 3.1 and §5 lower bound were read in the paper text; the envelope
is this project's own composition of Lemma B.6, eqs (17)-(18) and Azuma-Hoeffding (its constant
is ours, not the paper's); the Zhou-Gu-Szepesvári rate Omega(dH sqrt T) was read in the
abstract, but its constant and conditions are unverified recollections, so the constant is left
as None.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from rltheory.bounds.base import Bound, register_bound

JIN2020 = (
    "Jin, Yang, Wang, Jordan. Provably Efficient Reinforcement Learning with Linear Function "
    "Approximation. COLT 2020 (arXiv:1907.05388), Algorithm 1"
)

LSVI_FAMILY = ("lsvi-ucb", "lsvi-greedy", "lsvi-eps-greedy")
HIGH_PROBABILITY = "high-probability pseudo-regret sum_k V*_1(x_1^k) - V^{pi_k}_1(x_1^k), T = K H"
MINIMAX = (
    "minimax expected pseudo-regret: for every algorithm some instance of the class forces at "
    "least this much (worst case over the class, not a per-instance guarantee)"
)


def _positive(q: Mapping[str, Any], name: str, bound_id: str) -> float:
    value = float(q[name])
    if not value > 0:
        raise ValueError(f"bound '{bound_id}': parameter {name} must be > 0, got {value}")
    return value


def _iota(episodes: np.ndarray, d: float, horizon: float, p: float, bound_id: str) -> np.ndarray:
    """``iota = log(2 d T / p)`` with ``T = K H`` (Jin et al. Thm 3.1)."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"bound '{bound_id}': p must be in (0, 1), got {p}")
    return np.log(2.0 * d * episodes * horizon / p)


def jin2020_shape(q: Mapping[str, Any]) -> np.ndarray:
    """``sqrt(d³ H³ T iota²)``, ``T = K H`` (Thm 3.1 without its absolute constant)."""
    episodes = np.asarray(q["K"], dtype=float)
    d = _positive(q, "d", "lsvi-ucb-jin2020")
    horizon = _positive(q, "H", "lsvi-ucb-jin2020")
    iota = _iota(episodes, d, horizon, float(q["p"]), "lsvi-ucb-jin2020")
    return np.sqrt(d**3 * horizon**3 * episodes * horizon) * iota


def runs_in_unit_total_reward(q: Mapping[str, Any]) -> bool:
    """LSVI-UCB configured for total-reward <= 1 units: its Q clipped at 1 (``clip = 1``)."""
    return q.get("clip") == 1.0


def per_step_units(q: Mapping[str, Any]) -> bool:
    """Not an LSVI-UCB run in total-reward <= 1 units: per-step bounds apply."""
    return not runs_in_unit_total_reward(q)


def envelope_shape(q: Mapping[str, Any]) -> np.ndarray:
    """``2 H sqrt(2 T log(4/p)) + 2 beta H sqrt(2 d K log(1 + K))`` for the beta run."""
    episodes = np.asarray(q["K"], dtype=float)
    d = _positive(q, "d", "lsvi-ucb-envelope")
    horizon = _positive(q, "H", "lsvi-ucb-envelope")
    p = float(q["p"])
    if not 0.0 < p < 1.0:
        raise ValueError(f"bound 'lsvi-ucb-envelope': p must be in (0, 1), got {p}")
    beta = float(q["beta"])
    martingale = 2.0 * horizon * np.sqrt(2.0 * episodes * horizon * np.log(4.0 / p))
    potential = 2.0 * beta * horizon * np.sqrt(2.0 * d * episodes * np.log1p(episodes))
    return martingale + potential


def linear_mixture_lower_shape(q: Mapping[str, Any]) -> np.ndarray:
    """``d H sqrt(T) = d sqrt(H³ K)``."""
    episodes = np.asarray(q["K"], dtype=float)
    d = _positive(q, "d", "linear-mixture-lower-zgs2021")
    horizon = _positive(q, "H", "linear-mixture-lower-zgs2021")
    return d * np.sqrt(horizon**3 * episodes)


def tabular_lower_shape(q: Mapping[str, Any]) -> np.ndarray:
    """``sqrt(H² S A T) = sqrt(H³ S A K)``."""
    episodes = np.asarray(q["K"], dtype=float)
    n_states = _positive(q, "S", "tabular-lower")
    n_actions = _positive(q, "A", "tabular-lower")
    horizon = _positive(q, "H", "tabular-lower")
    return np.sqrt(horizon**3 * n_states * n_actions * episodes)


def linear_mdp_lower_shape(q: Mapping[str, Any]) -> np.ndarray:
    """``sqrt(d H² T) = sqrt(d H³ K)``."""
    episodes = np.asarray(q["K"], dtype=float)
    d = _positive(q, "d", "linear-mdp-lower-jin2020")
    horizon = _positive(q, "H", "linear-mdp-lower-jin2020")
    return np.sqrt(d * horizon**3 * episodes)


LSVI_UCB_JIN2020 = register_bound(
    Bound(
        id="lsvi-ucb-jin2020",
        kind="upper",
        quantity=HIGH_PROBABILITY + ", w.p. >= 1 - p, initial states arbitrary",
        formula="O(sqrt(d^3 H^3 T iota^2)), T = K H, iota = log(2 d T / p)",
        exponents={"K": 0.5, "d": 1.5, "H": 2.0},
        citation=JIN2020.replace("Algorithm 1", "Theorem 3.1"),
        shape=jin2020_shape,
        requires=("K", "d", "H", "p"),
        constant=None,
        algorithms=("lsvi-ucb",),
        assumes=("jin-linear-mdp",),
        applies_if=per_step_units,
        applies_text="per-step rewards in [0, 1] (a run with clip = 1 is in total-reward <= 1 "
        "units: lsvi-ucb-jin2020-unit-reward)",
        notes=(
            "constant not given: Thm 3.1 holds for lam = 1 and beta = c d H sqrt(iota) with an "
            "unspecified absolute c, and O() hides another unspecified constant; plot the shape "
            "with a fitted constant. Equals d^1.5 H^2 sqrt(K) iota; exponents ignore logs."
        ),
    )
)

LSVI_UCB_ENVELOPE = register_bound(
    Bound(
        id="lsvi-ucb-envelope",
        kind="upper",
        quantity=HIGH_PROBABILITY + ", on Jin et al.'s good event only",
        formula="2 H sqrt(2 T log(4/p)) + 2 beta H sqrt(2 d K log(1 + K)), T = K H",
        exponents={"K": 0.5, "d": 0.5, "H": 1.5},
        citation=JIN2020.replace(
            "Algorithm 1", "Lemmas B.5-B.6 and eqs (17)-(18), with Azuma-Hoeffding"
        ),
        shape=envelope_shape,
        requires=("K", "d", "H", "p", "beta"),
        constant=1.0,
        constant_source="project",
        assumes=("jin-linear-mdp",),
        algorithms=("lsvi-ucb",),
        applies_if=per_step_units,
        applies_text="per-step rewards in [0, 1] (its martingale term is in per-step value units)",
        notes=(
            "this project's own constant, not the paper's: the explicit envelope computed for the "
            "beta actually run (recorded per cell as run.beta). Valid only on the good event, "
            "i.e. only if beta >= c_beta d H sqrt(iota) "
            "for the proof's unknown c_beta; otherwise a shape reference. Assumes lam = 1 and "
            "||phi|| <= 1 (eq 17). Exponents at fixed beta (the martingale term gives H^1.5); "
            "with beta = c d H sqrt(iota) it becomes d^1.5 H^2 sqrt(K) iota, as Thm 3.1."
        ),
    )
)

LINEAR_MIXTURE_LOWER = register_bound(
    Bound(
        id="linear-mixture-lower-zgs2021",
        kind="lower",
        quantity=MINIMAX + " (time-inhomogeneous linear mixture MDPs)",
        formula="Omega(d H sqrt(T)) = Omega(d sqrt(H^3 K)), T = K H",
        exponents={"K": 0.5, "d": 1.0, "H": 1.5},
        citation=(
            "Zhou, Gu, Szepesvári. Nearly minimax optimal reinforcement learning for linear "
            "mixture Markov decision processes. COLT 2021 (arXiv:2012.08507), lower bound"
        ),
        shape=linear_mixture_lower_shape,
        requires=("K", "d", "H"),
        constant=None,
        algorithms=LSVI_FAMILY,
        notes=(
            "rate read in the abstract; the constant 1/(1600 sqrt 3) and the conditions "
            "(d >= 4, H >= 3, K >= max{(d-1)^2 H / 2, ...}) are unverified recollections, so "
            "constant is None. Proven for linear mixture MDPs; its hard instance is also a linear "
            "MDP of dimension about d, and He et al. 2023 (LSVI-UCB++) call O~(d sqrt(H^3 K)) "
            "minimax optimal for linear MDPs."
        ),
    )
)

TABULAR_LOWER = register_bound(
    Bound(
        id="tabular-lower",
        kind="lower",
        quantity=MINIMAX + " (tabular MDPs with step-dependent transitions)",
        formula="Omega(sqrt(H^2 S A T)) = Omega(sqrt(H^3 S A K)), T = K H",
        exponents={"K": 0.5, "S": 0.5, "A": 0.5, "H": 1.5},
        citation=JIN2020.replace("Algorithm 1", "p. 7, quoting the tabular minimax rate"),
        shape=tabular_lower_shape,
        requires=("K", "S", "A", "H"),
        constant=None,
        algorithms=LSVI_FAMILY,
        notes=(
            "applies on tabular instances only (one-hot features, d = S A). It is the rate for "
            "step-dependent kernels; for a stationary kernel (UCBVI's setting) the minimax rate is "
            "sqrt(H S A T) (Azar et al. 2017, abstract), so this object is not listed for 'ucbvi'."
        ),
        applies_if=lambda q: "d" in q and float(q["d"]) == float(q["S"]) * float(q["A"]),
        applies_text="tabular instances (one-hot features, d = S A)",
    )
)

LINEAR_MDP_LOWER = register_bound(
    Bound(
        id="linear-mdp-lower-jin2020",
        kind="lower",
        quantity=MINIMAX + " (linear MDPs with step-dependent transitions)",
        formula="Omega(sqrt(d H^2 T)) = Omega(sqrt(d H^3 K)), T = K H",
        exponents={"K": 0.5, "d": 0.5, "H": 1.5},
        citation=JIN2020.replace("Algorithm 1", "§5 (reduction from the tabular lower bound)"),
        shape=linear_mdp_lower_shape,
        requires=("K", "d", "H"),
        constant=None,
        algorithms=LSVI_FAMILY,
        notes=(
            "constant not given. Jin et al. attribute the sqrt(dH) gap to Thm 3.1 to their "
            "Hoeffding-type bonus; the sharper Omega(d H sqrt(T)) is linear-mixture-lower-zgs2021."
        ),
    )
)

TABULAR_LOWER_STATIONARY = register_bound(
    Bound(
        id="tabular-lower-stationary",
        kind="lower",
        quantity=MINIMAX + " (tabular MDPs with one stationary kernel)",
        formula="Omega(sqrt(H S A T)) = Omega(H sqrt(S A K)), T = K H",
        exponents={"K": 0.5, "S": 0.5, "A": 0.5, "H": 1.0},
        citation=(
            "Jaksch, Ortner, Auer, JMLR 2010, Thm 5, in the episodic form of Osband & Van Roy "
            "(arXiv:1608.02732); the bound UCBVI matches (Azar, Osband, Munos, ICML 2017, abstract)"
        ),
        shape=lambda q: (
            tabular_lower_shape(q) / np.sqrt(_positive(q, "H", "tabular-lower-stationary"))
        ),
        requires=("K", "S", "A", "H"),
        constant=None,
        algorithms=("ucbvi",),
        notes=(
            "constant not given here. With step-dependent kernels the effective state count is "
            "H S and the rate becomes tabular-lower's sqrt(H^2 S A T)."
        ),
    )
)
