"""Theoretical bounds as objects: formula, exponents, quantity bounded, constant, citation.

A :class:`Bound` is a function of named quantities: ``shape(q)`` reads the run's quantities
from the mapping ``q`` — the axis quantity of the protocol as an array (episodes ``K``, steps
``T = K H``, rounds, dataset size ``n_data``, ...) and scalars (``d``, ``H``, ``S``, ``A``,
``gamma``, ``N``, total delay ``D``, hyperparameters as run such as ``beta``) — so the report
draws it on whichever axis a protocol uses (:meth:`rltheory.experiments.protocols.Protocol.
quantities` builds ``q``). When the paper gives the constant, ``value`` multiplies it in; when it
does not (``constant is None``) the shape is only compared up to a constant.

Bounds name the algorithms they cover (``algorithms``, ids as strings); the first applicable
upper bound listed for an algorithm is its main bound. Bounds never import algorithm code.
"""

from __future__ import annotations

import re
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
    """A regret (or suboptimality, or error) bound as a function of named quantities.

    ``shape(q)`` returns the formula without its absolute constant, as an array like the axis
    quantity in ``q``; ``exponents`` are the growth exponents the formula proves in those
    quantities (e.g. ``{"K": 0.5, "d": 1.5, "H": 2.0}``, logs ignored); ``quantity`` says what is
    bounded (e.g. "high-probability pseudo-regret"); ``requires`` lists the quantity names
    ``shape`` reads; ``constant`` is the paper's constant, or None when the paper gives none.
    ``conditions`` are hyperparameter values of the run the theorem assumes (e.g.
    ``{"bonus": "bernstein"}``; a run without the parameter is taken to satisfy it) and
    ``applies_if`` a predicate on ``q`` for structural conditions (e.g. a tabular instance,
    d = S A), described in ``applies_text``. ``constant_source`` says whose ``constant`` it is:
    ``"paper"`` (printed in the paper) or ``"project"`` (this project's own derivation, e.g. an
    explicit envelope composed from the proof's lemmas). ``assumes`` lists the normalisations
    the theorem relies on (ids of :data:`rltheory.envs.assumptions.ASSUMPTIONS`); a model that
    violates one voids the bound (the report does not draw it).
    """

    id: str
    kind: Literal["upper", "lower"]
    quantity: str
    formula: str
    exponents: Mapping[str, float]
    citation: str
    shape: Callable[[Mapping[str, Any]], np.ndarray]
    requires: tuple[str, ...] = ()
    constant: float | None = None
    algorithms: tuple[str, ...] = ()
    notes: str = ""
    conditions: Mapping[str, Any] = field(default_factory=dict)
    applies_if: Callable[[Mapping[str, Any]], bool] | None = None
    applies_text: str = ""
    constant_source: Literal["paper", "project"] = "paper"
    assumes: tuple[str, ...] = ()

    @property
    def constant_given(self) -> bool:
        return self.constant is not None

    @property
    def theorem(self) -> str:
        """Short name of the result: first author, year and the theorem (or lemma) cited, e.g.
        ``"Jin et al. 2020, Theorem 3.1"`` (the citation's first author and year, and its first
        "Theorem/Thm/Lemma(s)/§ <number>")."""
        first = self.citation.split(",")[0].split(".")[0].strip()
        authors = self.citation.split(".")[0]
        name = first.split()[-1] if first else self.id
        if authors.count(",") or " and " in authors or "&" in authors:
            name += " et al."
        year = re.search(r"\b(19|20)\d\d\b", self.citation)
        found = re.search(r"(Theorem|Thm|Lemmas?|§)\s*[\w.]+(-[\w.]+)?", self.citation)
        where = found.group(0) if found else ""
        return ", ".join(p for p in (f"{name} {year.group(0)}" if year else name, where) if p)

    def missing(self, q: Mapping[str, Any]) -> list[str]:
        """Quantities the shape needs that ``q`` lacks."""
        return [name for name in self.requires if name not in q]

    def applies(self, q: Mapping[str, Any]) -> bool:
        """Whether the run (its quantities and hyperparameters ``q``) meets the theorem's
        conditions."""
        if not all(q.get(key, value) == value for key, value in self.conditions.items()):
            return False
        return self.applies_if is None or bool(self.applies_if(q))

    def shape_at(self, q: Mapping[str, Any]) -> np.ndarray:
        """The formula without its constant at the quantities ``q``."""
        missing = self.missing(q)
        if missing:
            raise ValueError(f"bound '{self.id}' needs quantities {missing}; got {sorted(q)}")
        return np.asarray(self.shape(q), dtype=float)

    def value(self, q: Mapping[str, Any]) -> np.ndarray:
        """The bound with the paper's constant; an error when the paper gives none."""
        if self.constant is None:
            raise ValueError(
                f"bound '{self.id}' has no constant in the paper: use shape_at() and fit one"
            )
        return self.constant * self.shape_at(q)


_BOUNDS: dict[str, Bound] = {}


def register_bound(bound: Bound) -> Bound:
    """Add ``bound`` to the catalogue (duplicate ids are an error)."""
    if bound.id in _BOUNDS and _BOUNDS[bound.id] is not bound:
        raise ValueError(f"bound id '{bound.id}' is already registered")
    _BOUNDS[bound.id] = bound
    return bound


def unregister_bound(id: str) -> None:
    """Remove bound ``id`` (tests that register one remove it again)."""
    _BOUNDS.pop(id, None)


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
    """Upper and lower bounds that name ``algorithm_id`` among their ``algorithms``, in
    registration order (an algorithm's main theorem first)."""
    _ensure_loaded()
    return [b for b in _BOUNDS.values() if algorithm_id in b.algorithms]


def _ensure_loaded() -> None:
    import rltheory.bounds  # noqa: F401  (importing the package registers the catalogue)
