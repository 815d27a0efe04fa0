"""Helpers shared by the family builders: parameter checks (clear errors naming the parameter;
parameters come from TOML specs) and small constructions."""

from __future__ import annotations

import numbers

import numpy as np


def integer(name: str, value: object, *, minimum: int = 1) -> int:
    """``value`` as an ``int`` >= ``minimum`` (bools rejected), else a clear error."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"parameter '{name}' must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"parameter '{name}' must be >= {minimum}, got {value}")
    return int(value)


def real(
    name: str,
    value: object,
    *,
    low: float = 0.0,
    high: float = float("inf"),
    open_low: bool = False,
) -> float:
    """``value`` as a ``float`` in ``[low, high]`` (``(low, high]`` when ``open_low``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"parameter '{name}' must be a number, got {value!r}")
    value = float(value)
    if not (low < value if open_low else low <= value) or value > high:
        interval = f"{'(' if open_low else '['}{low}, {high}]"
        raise ValueError(f"parameter '{name}' must lie in {interval}, got {value}")
    return value


def flag(name: str, value: object) -> bool:
    """``value`` as a ``bool`` (only ``True``/``False`` accepted)."""
    if not isinstance(value, bool):
        raise TypeError(f"parameter '{name}' must be true or false, got {value!r}")
    return value


def point_mass(state: int, n_states: int) -> np.ndarray:
    """The initial distribution concentrated on ``state``."""
    initial = np.zeros(n_states)
    initial[state] = 1.0
    return initial
