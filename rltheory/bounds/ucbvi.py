"""Regret bounds of UCBVI (Azar, Osband, Munos, ICML 2017, arXiv:1703.05449), one per bonus.

Both theorems bound the high-probability pseudo-regret
``Regret(K) = sum_k V*_1(x_{k,1}) - V^{pi_k}_1(x_{k,1})`` of the stationary-kernel, known-reward
tabular setting, with probability at least ``1 - delta``, ``T = K H`` and the theorem's
logarithm ``L = ln(5 H S A T / delta)`` (the algorithm's bonus uses ``ln(5 S A T / delta)``):

- Theorem 1 (UCBVI-CH): ``Regret(K) <= 20 H^{3/2} L sqrt(S A K) + 250 H^2 S^2 A L^2``, i.e.
  ``20 H L sqrt(S A T) + 250 H^2 S^2 A L^2``: leading order ``O~(H sqrt(S A T))``.
- Theorem 2 (UCBVI-BF): ``Regret(K) <= 30 H L sqrt(S A K) + 2500 H^2 S^2 A L^2
  + 4 H^{3/2} sqrt(K L)``, i.e. ``30 L sqrt(H S A T) + 2500 H^2 S^2 A L^2 + 4 H sqrt(T L)``:
  ``O~(sqrt(H S A T))`` when ``T >= H^3 S^3 A`` and ``S A >= H`` (abstract).

Verification: statements and constants read in the Lean formalization of the paper
(``prove2me/formalpedia``, ``MinimaxRegretRL.{Hoeffding,Bernstein}.ucbvi_*_regret_bound``), which
quotes arXiv:1703.05449v2, p. 5, with the printed constants; the abstract's
``O~(sqrt(HSAT) + H^2 S^2 A + H sqrt(T))`` read on the ICML talk page. The formalization notes
that the appendix does not re-derive the constant 20 (Thm 1) nor 2500 (Thm 2); we keep the
printed values. Not checked against the PDF itself.

Encoding: a :class:`~rltheory.bounds.base.Bound` stores a shape and one multiplicative
constant. We set ``constant`` to the leading term's printed constant (20 or 30) and divide the
other terms' constants by it inside ``shape``, so ``value()`` is exactly the printed bound and
``shape_at()`` keeps the relative weight of the lower-order terms. ``exponents`` are those of
the leading term (logs ignored). Parameters: ``S``, ``A``, ``H``, ``delta``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from rltheory.bounds.base import Bound, register_bound

CITATION = (
    "Azar, Osband, Munos, Minimax Regret Bounds for Reinforcement Learning, ICML 2017 "
    "(arXiv:1703.05449v2)"
)
QUANTITY = (
    "high-probability pseudo-regret sum_k V*_1(x_k1) - V^{pi_k}_1(x_k1), w.p. >= 1 - delta, "
    "stationary kernel, known rewards in [0,1], T = K H"
)
PARAMS = ("K", "S", "A", "H", "delta")


def _sizes(q: Mapping[str, Any]) -> tuple[np.ndarray, ...]:
    episodes = np.asarray(q["K"], dtype=float)
    n_states, n_actions, horizon = (float(q[name]) for name in ("S", "A", "H"))
    delta = float(q["delta"])
    if not 0.0 < delta < 1.0:
        raise ValueError(f"UCBVI bound: delta must lie in (0, 1), got {delta}")
    steps = episodes * horizon
    log = np.log(5.0 * horizon * n_states * n_actions * steps / delta)
    return n_states, n_actions, horizon, episodes, log


def hoeffding_shape(q: Mapping[str, Any]) -> np.ndarray:
    """Theorem 1 divided by 20: ``H^{3/2} L sqrt(S A K) + 12.5 H^2 S^2 A L^2``."""
    s, a, h, k, log = _sizes(q)
    return h**1.5 * log * np.sqrt(s * a * k) + (250.0 / 20.0) * h**2 * s**2 * a * log**2


def bernstein_shape(q: Mapping[str, Any]) -> np.ndarray:
    """Theorem 2 divided by 30: ``H L sqrt(S A K) + (2500 H^2 S^2 A L^2 + 4 H^{3/2}
    sqrt(K L)) / 30``."""
    s, a, h, k, log = _sizes(q)
    lower = 2500.0 * h**2 * s**2 * a * log**2 + 4.0 * h**1.5 * np.sqrt(k * log)
    return h * log * np.sqrt(s * a * k) + lower / 30.0


UCBVI_CH = register_bound(
    Bound(
        id="ucbvi-ch-azar2017",
        kind="upper",
        quantity=QUANTITY,
        formula="20 H L sqrt(S A T) + 250 H^2 S^2 A L^2, L = ln(5 H S A T / delta), T = K H",
        exponents={"K": 0.5, "S": 0.5, "A": 0.5, "H": 1.5},
        citation=f"{CITATION}, Theorem 1 (UCBVI-CH)",
        shape=hoeffding_shape,
        requires=PARAMS,
        constant=20.0,
        algorithms=("ucbvi",),
        assumes=("rewards-in-range",),
        notes=(
            "bonus='hoeffding'. value() is the printed bound; shape = bound / 20. Exponents of "
            "the leading term H^{3/2} sqrt(S A K); the lower-order term dominates until "
            "K ~ 156 H S^3 A L^2."
        ),
        conditions={"bonus": "hoeffding"},
    )
)

UCBVI_BF = register_bound(
    Bound(
        id="ucbvi-bf-azar2017",
        kind="upper",
        quantity=QUANTITY,
        formula=(
            "30 L sqrt(H S A T) + 2500 H^2 S^2 A L^2 + 4 H sqrt(T L), "
            "L = ln(5 H S A T / delta), T = K H"
        ),
        exponents={"K": 0.5, "S": 0.5, "A": 0.5, "H": 1.0},
        citation=f"{CITATION}, Theorem 2 (UCBVI-BF)",
        shape=bernstein_shape,
        requires=PARAMS,
        constant=30.0,
        algorithms=("ucbvi",),
        assumes=("rewards-in-range",),
        notes=(
            "bonus='bernstein'. value() is the printed bound; shape = bound / 30. Exponents of "
            "the leading term H sqrt(S A K) = sqrt(H S A T); the term 4 H^{3/2} sqrt(K L) grows "
            "faster in H and is lower order only when S A L >= H / 56.25 (the paper's regime is "
            "S A >= H, T >= H^3 S^3 A)."
        ),
        conditions={"bonus": "bernstein"},
    )
)
