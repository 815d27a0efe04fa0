"""Theoretical bounds as objects: formula, exponents, quantity bounded, constant, citation.

A :class:`Bound` evaluates its *shape* (the formula without the unknown absolute constant) at an
array of episode counts K and a mapping of problem parameters (``d``, ``H``, ``S``, ``A``, ``p``,
and hyperparameters actually run such as ``beta``). When the paper gives the constant,
``value`` multiplies it in; when it does not (``constant is None``), plots draw the shape with a
fitted constant and label it "fitted".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from rltheory._names import unknown_id_message


class UnknownBoundError(LookupError):
    """A bound id that is not registered."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Bound:
    """A regret (or suboptimality, or error) bound as a function of K and problem parameters.

    ``shape(K, params)`` returns the formula without its absolute constant, as an array like K;
    ``exponents`` are the growth exponents the formula proves (e.g. ``{"K": 0.5, "d": 1.5,
    "H": 2.0}`` for LSVI-UCB in per-step units, logs ignored); ``quantity`` says what is bounded
    (e.g. "high-probability pseudo-regret"); ``requires`` lists the parameter names ``shape``
    reads; ``constant`` is the paper's constant, or None when the paper gives none.
    """

    id: str
    kind: Literal["upper", "lower"]
    quantity: str
    formula: str
    exponents: Mapping[str, float]
    citation: str
    shape: Callable[[np.ndarray, Mapping[str, Any]], np.ndarray]
    requires: tuple[str, ...] = ()
    constant: float | None = None
    algorithms: tuple[str, ...] = ()
    notes: str = ""
    metric: str = "cumulative_regret"
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def constant_given(self) -> bool:
        return self.constant is not None

    def check_params(self, params: Mapping[str, Any]) -> None:
        missing = [name for name in self.requires if name not in params]
        if missing:
            raise ValueError(
                f"bound '{self.id}' needs parameter(s) {missing}; got {sorted(params)}"
            )

    def shape_at(self, episodes: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
        """The formula without its constant at ``episodes`` (K values)."""
        self.check_params(params)
        return np.asarray(self.shape(np.asarray(episodes, dtype=float), params), dtype=float)

    def value(self, episodes: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
        """The bound with the paper's constant; an error when the paper gives none."""
        if self.constant is None:
            raise ValueError(
                f"bound '{self.id}' has no constant in the paper: use shape_at() and fit one"
            )
        return self.constant * self.shape_at(episodes, params)


_BOUNDS: dict[str, Bound] = {}


def register_bound(bound: Bound) -> Bound:
    """Add ``bound`` to the catalogue (duplicate ids are an error)."""
    if bound.id in _BOUNDS and _BOUNDS[bound.id] is not bound:
        raise ValueError(f"bound id '{bound.id}' is already registered")
    _BOUNDS[bound.id] = bound
    return bound


def get_bound(id: str) -> Bound:
    _ensure_loaded()
    try:
        return _BOUNDS[id]
    except KeyError:
        raise UnknownBoundError(unknown_id_message("bound", id, _BOUNDS)) from None


def bounds() -> list[Bound]:
    _ensure_loaded()
    return [_BOUNDS[key] for key in sorted(_BOUNDS)]


def bounds_for(algorithm_id: str) -> list[Bound]:
    """Upper and lower bounds that name ``algorithm_id`` among their ``algorithms``."""
    return [b for b in bounds() if algorithm_id in b.algorithms]


def _ensure_loaded() -> None:
    import rltheory.bounds  # noqa: F401  (importing the package registers the catalogue)
