"""Shared input checks for the model layer: every failure names the array and the index."""

from __future__ import annotations

import numpy as np

ATOL = 1e-9
"""Tolerance for 'sums to one' and 'lies in [0, 1]' checks."""


def as_float_array(value: object, name: str) -> np.ndarray:
    """A float64 copy of ``value`` (copying at the boundary: callers' arrays are never aliased)."""
    try:
        array = np.array(value, dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be a numeric array: {err}") from None
    if not np.all(np.isfinite(array)):
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        raise ValueError(f"{name} has a non-finite entry at index {index}")
    return array


def check_shape(array: np.ndarray, name: str, *, ndim: int | None = None, shape=None) -> None:
    """Raise ``ValueError`` naming ``name`` unless the array has the expected rank/shape."""
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} axes, got shape {array.shape}")
    if shape is not None and tuple(array.shape) != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {array.shape}")


def check_distribution_rows(p: np.ndarray, name: str) -> None:
    """Every row along the last axis is a probability vector (non-negative, sums to 1)."""
    if p.size and p.min() < -ATOL:
        index = tuple(int(i) for i in np.unravel_index(p.argmin(), p.shape))
        raise ValueError(f"{name} has a negative probability {p[index]:.3g} at index {index}")
    sums = p.sum(axis=-1)
    if p.ndim == 1:  # a single distribution: argwhere on a 0-d array would find nothing
        if abs(sums - 1.0) > 1e-6:
            raise ValueError(f"{name} is not stochastic: it sums to {sums:.6g}, not 1")
        return
    bad = np.argwhere(np.abs(sums - 1.0) > 1e-6)
    if bad.size:
        index = tuple(int(i) for i in bad[0])
        raise ValueError(
            f"{name} is not stochastic: the row at index {index} sums to {sums[index]:.6g}, not 1"
        )


def check_unit_interval(x: np.ndarray, name: str, high: float = 1.0) -> None:
    """All entries lie in [0, high] (the unit interval by default)."""
    bad = np.argwhere((x < -ATOL * high) | (x > high * (1 + ATOL)))
    if bad.size:
        index = tuple(int(i) for i in bad[0])
        raise ValueError(f"{name} must lie in [0, {high:g}]; {name}{list(index)} = {x[index]:.6g}")


def freeze(array: np.ndarray) -> np.ndarray:
    """Mark an owned array read-only so models stay immutable."""
    array.flags.writeable = False
    return array
