"""Environment-family registry: named builders of exact models.

A family is a function ``builder(rng, **params) -> model`` decorated with
:func:`register_family`. Its keyword parameters (all with defaults) are the family's parameters;
``rng`` is the ``numpy.random.Generator`` every random draw of the construction comes from
(deterministic families ignore it). Registering a family also registers, in the same act, the
gymnasium environment ``rltheory/<GymName>-v0`` (string entry points into
:mod:`rltheory.envs.gym`, imported only when an environment is made), so a family registered at
any time (a plugin module, a worker process) is ``gymnasium.make``-able.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gymnasium
import numpy as np

from rltheory._names import unknown_params_message
from rltheory._registry import Registry


class UnknownEnvironmentError(LookupError):
    """An environment id that is not registered; the message lists the closest known ids."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class FamilyEntry:
    """A registered environment family.

    ``id`` (kebab-case, used in specs), ``gym_name`` (``rltheory/<gym_name>-v0``), ``builder``,
    ``defaults`` (parameter name -> default), ``citation`` and ``summary`` (one line);
    ``memory``, where declared, maps the parameters to the model's sizes and bytes without
    building it (:class:`rltheory.experiments.memory.ModelSize`; else a generic estimate).
    """

    id: str
    gym_name: str
    builder: Callable[..., Any]
    defaults: dict[str, Any]
    citation: str
    summary: str
    memory: Callable[..., Any] | None = None

    @property
    def gym_id(self) -> str:
        return f"rltheory/{self.gym_name}-v0"

    def check_params(self, params: dict[str, Any]) -> None:
        """Raise ``TypeError`` naming unknown parameters (with the closest accepted names)."""
        message = unknown_params_message(params, self.defaults, f"environment '{self.id}'")
        if message:
            raise TypeError(message)

    def build(self, rng: np.random.Generator | int, **params: Any) -> Any:
        """Build the model from ``rng`` (a ``numpy.random.Generator``, or an int seed for
        ``numpy.random.default_rng(seed)``) and ``params`` (validated). The model's violations
        of the theorems' normalisations are recorded in ``metadata["assumption_violations"]``
        (:mod:`rltheory.envs.assumptions`)."""
        from rltheory.envs.assumptions import check_assumptions

        self.check_params(params)
        model = self.builder(_generator(rng, f"building environment '{self.id}'"), **params)
        metadata = getattr(model, "metadata", None)
        if isinstance(metadata, dict):
            metadata["assumption_violations"] = check_assumptions(model)
        return model


def _generator(rng: Any, where: str) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"{where} needs an explicit random source: a numpy.random.Generator or an int seed, "
        f"got {rng!r}"
    )


GYM_RESERVED = frozenset({"family", "seed", "render_mode", "num_envs"})
"""Keyword names the gymnasium entry points take for themselves; no family parameter may use one."""


def _register_gym_id(entry: FamilyEntry) -> None:
    """Register ``entry.gym_id`` with gymnasium: lazy string entry points (no import here)."""
    if entry.gym_id in gymnasium.registry:
        raise ValueError(
            f"gymnasium id '{entry.gym_id}' of environment '{entry.id}' is already registered"
        )
    gymnasium.register(
        entry.gym_id,
        entry_point="rltheory.envs.gym:make_family_env",
        vector_entry_point="rltheory.envs.vector:make_family_vector_env",
        kwargs={"family": entry.id},
    )


def _unregister_gym_id(entry: FamilyEntry) -> None:
    gymnasium.registry.pop(entry.gym_id, None)


def _ensure_loaded() -> None:
    import rltheory.envs  # noqa: F401  (importing the package registers built-in families)


_FAMILIES: Registry[FamilyEntry] = Registry(
    "environment",
    UnknownEnvironmentError,
    on_add=_register_gym_id,
    on_remove=_unregister_gym_id,
    load=_ensure_loaded,
)


def register_family(
    id: str,
    *,
    gym_name: str,
    citation: str,
    summary: str = "",
    memory: Callable[..., Any] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator registering ``builder(rng, **params)`` as family ``id`` and, in the same act,
    as the gymnasium environment ``rltheory/<gym_name>-v0`` (``memory``: see
    :class:`FamilyEntry`)."""

    def decorate(builder: Callable[..., Any]) -> Callable[..., Any]:
        known = _FAMILIES.peek(id)
        if known is not None:
            if known.builder is builder:
                return builder
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
        clash = GYM_RESERVED & set(defaults)
        if clash:
            raise ValueError(
                f"family '{id}' has parameter(s) {sorted(clash)} reserved by the gymnasium "
                f"entry points; rename them"
            )
        for other in _FAMILIES.values():
            if other.gym_name == gym_name:
                raise ValueError(
                    f"gym_name '{gym_name}' of family '{id}' is already used by '{other.id}'"
                )
        doc = (builder.__doc__ or "").strip().splitlines()
        entry = FamilyEntry(
            id, gym_name, builder, defaults, citation, summary or (doc[0] if doc else ""), memory
        )
        _FAMILIES.add(id, entry)
        return builder

    return decorate


def get_family(id: str) -> FamilyEntry:
    """The family registered under ``id`` (also accepts its gymnasium id)."""
    _ensure_loaded()
    if id not in _FAMILIES:
        for entry in _FAMILIES.values():
            if id == entry.gym_id:
                return entry
    return _FAMILIES.get(id)


def families() -> list[FamilyEntry]:
    """All registered families, sorted by id."""
    _ensure_loaded()
    return _FAMILIES.values()


def make_model(id: str, rng: np.random.Generator | int, **params: Any) -> Any:
    """Build the exact model of family ``id`` from ``rng`` (a Generator or an int seed) with
    ``params`` (validated)."""
    return get_family(id).build(rng, **params)
