"""Environment-family registry: named builders of exact models.

A family is a function ``builder(rng, **params) -> model`` decorated with
:func:`register_family`. Its keyword parameters (all with defaults) are the family's parameters;
``rng`` is the ``numpy.random.Generator`` every random draw of the construction comes from
(deterministic families ignore it). Each family is also a gymnasium environment
``rltheory/<GymName>-v0`` (see :mod:`rltheory.envs.gym`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from rltheory._names import unknown_id_message, unknown_params_message


class UnknownEnvironmentError(LookupError):
    """An environment id that is not registered; the message lists the closest known ids."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class FamilyEntry:
    """A registered environment family.

    ``id`` (kebab-case, used in specs), ``gym_name`` (``rltheory/<gym_name>-v0``), ``builder``,
    ``defaults`` (parameter name -> default), ``citation`` and ``summary`` (one line).
    """

    id: str
    gym_name: str
    builder: Callable[..., Any]
    defaults: dict[str, Any]
    citation: str
    summary: str

    @property
    def gym_id(self) -> str:
        return f"rltheory/{self.gym_name}-v0"

    def check_params(self, params: dict[str, Any]) -> None:
        """Raise ``TypeError`` naming unknown parameters (with the closest accepted names)."""
        message = unknown_params_message(params, self.defaults, f"environment '{self.id}'")
        if message:
            raise TypeError(message)

    def build(self, rng: np.random.Generator | None = None, **params: Any) -> Any:
        """Build the model; ``rng`` defaults to ``numpy.random.default_rng(0)``. The model's
        violations of the theorems' normalisations are recorded in
        ``metadata["assumption_violations"]`` (:mod:`rltheory.envs.assumptions`)."""
        from rltheory.envs.assumptions import check_assumptions

        self.check_params(params)
        model = self.builder(np.random.default_rng(0) if rng is None else rng, **params)
        metadata = getattr(model, "metadata", None)
        if isinstance(metadata, dict):
            metadata["assumption_violations"] = check_assumptions(model)
        return model


_FAMILIES: dict[str, FamilyEntry] = {}


def register_family(
    id: str, *, gym_name: str, citation: str, summary: str = ""
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator registering ``builder(rng, **params)`` as family ``id``."""

    def decorate(builder: Callable[..., Any]) -> Callable[..., Any]:
        if id in _FAMILIES and _FAMILIES[id].builder is not builder:
            raise ValueError(f"environment id '{id}' is already registered")
        signature = inspect.signature(builder)
        names = list(signature.parameters)
        if not names or names[0] != "rng":
            raise TypeError(f"family builder {builder.__name__} must take `rng` first")
        defaults = {}
        for name in names[1:]:
            parameter = signature.parameters[name]
            if parameter.default is inspect.Parameter.empty:
                raise TypeError(f"parameter '{name}' of family '{id}' needs a default")
            defaults[name] = parameter.default
        doc = (builder.__doc__ or "").strip().splitlines()
        _FAMILIES[id] = FamilyEntry(
            id, gym_name, builder, defaults, citation, summary or (doc[0] if doc else "")
        )
        return builder

    return decorate


def _ensure_loaded() -> None:
    import rltheory.envs  # noqa: F401  (importing the package registers built-in families)


def get_family(id: str) -> FamilyEntry:
    """The family registered under ``id`` (also accepts its gymnasium id)."""
    _ensure_loaded()
    if id in _FAMILIES:
        return _FAMILIES[id]
    for entry in _FAMILIES.values():
        if id == entry.gym_id:
            return entry
    raise UnknownEnvironmentError(unknown_id_message("environment", id, _FAMILIES))


def families() -> list[FamilyEntry]:
    """All registered families, sorted by id."""
    _ensure_loaded()
    return [_FAMILIES[key] for key in sorted(_FAMILIES)]


def make_model(id: str, rng: np.random.Generator | None = None, **params: Any) -> Any:
    """Build the exact model of family ``id`` with ``params`` (validated)."""
    return get_family(id).build(rng, **params)
