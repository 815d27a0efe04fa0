"""Algorithm registry: a decorator in each algorithm's module, plus entry points for plugins.

``@register("lsvi-ucb", requires=("features",), citation="...")`` on an algorithm class stores an
:class:`AlgorithmEntry`; ``get(id)`` returns it (unknown ids raise :class:`UnknownAlgorithmError`
with the closest known names). External packages register through the entry-point group
``rltheory.algorithms``: each entry point names a module (or callable) whose import registers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from rltheory._names import unknown_id_message, unknown_params_message
from rltheory.algos.protocols import STRUCTURES, missing_structures

ENTRY_POINT_GROUP = "rltheory.algorithms"


class UnknownAlgorithmError(LookupError):
    """An algorithm id that is not registered; the message lists the closest known ids."""

    def __str__(self) -> str:  # LookupError would print the repr of the message
        return str(self.args[0])


class StructureMismatchError(ValueError):
    """An algorithm asked for structure (features, mixture basis, ...) the environment lacks."""


@dataclass(frozen=True)
class AlgorithmEntry:
    """What the registry knows about an algorithm.

    ``id`` (kebab-case), ``cls`` (the learner class), ``config`` (frozen dataclass of
    hyperparameters with the paper's defaults), ``protocol`` (the name of a protocol registered in
    :mod:`rltheory.experiments.protocols`, e.g. online, offline, federated),
    ``requires`` (structure tags, see :data:`rltheory.algos.protocols.STRUCTURES`), ``citation``
    and ``summary`` (one line). Its bounds name it (``rltheory.bounds.bounds_for(id)``).
    """

    id: str
    cls: type
    config: type
    protocol: str
    requires: frozenset[str]
    citation: str
    summary: str = ""

    def check_compatible(self, model: Any, where: str = "environment") -> None:
        """Raise :class:`StructureMismatchError` if ``model`` lacks a required structure."""
        missing = missing_structures(self.requires, model)
        if missing:
            details = "; ".join(missing)
            raise StructureMismatchError(
                f"algorithm '{self.id}' needs {details}, which the {where} does not provide"
            )

    def make_config(self, **params: Any) -> Any:
        """The config dataclass with ``params`` overriding defaults; unknown names are an error."""
        names = [f.name for f in dataclasses.fields(self.config)]
        message = unknown_params_message(params, names, f"algorithm '{self.id}'")
        if message:
            raise TypeError(message)
        return self.config(**params)


_REGISTRY: dict[str, AlgorithmEntry] = {}
_PLUGINS_LOADED = False


def register(
    id: str,
    *,
    requires: Iterable[str] = (),
    citation: str,
    summary: str = "",
) -> Callable[[type], type]:
    """Class decorator: register an algorithm under ``id`` (duplicates are an error)."""
    requires = frozenset(requires)
    unknown = requires - set(STRUCTURES)
    if unknown:
        raise ValueError(f"unknown structure requirement(s) {sorted(unknown)} for '{id}'")

    def decorate(cls: type) -> type:
        if id in _REGISTRY and _REGISTRY[id].cls is not cls:
            raise ValueError(f"algorithm id '{id}' is already registered by {_REGISTRY[id].cls}")
        config = getattr(cls, "Config", None)
        if config is None or not dataclasses.is_dataclass(config):
            raise TypeError(f"{cls.__name__} must define a dataclass `Config` of hyperparameters")
        protocol = getattr(cls, "protocol", None)
        if not isinstance(protocol, str) or not protocol:
            raise TypeError(f"{cls.__name__}.protocol must name a protocol (e.g. 'online')")
        _REGISTRY[id] = AlgorithmEntry(
            id, cls, config, protocol, requires, citation, summary or _first_line(cls)
        )
        cls.algorithm_id = id
        return cls

    return decorate


def unregister(id: str) -> None:
    """Remove algorithm ``id`` (tests that register one remove it again)."""
    _REGISTRY.pop(id, None)


def _first_line(cls: type) -> str:
    return (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""


def load_plugins() -> None:
    """Import every entry point of the group ``rltheory.algorithms`` (once)."""
    global _PLUGINS_LOADED
    if _PLUGINS_LOADED:
        return
    _PLUGINS_LOADED = True
    for point in entry_points(group=ENTRY_POINT_GROUP):
        point.load()


def _ensure_loaded() -> None:
    import rltheory.algos  # noqa: F401  (importing the package registers built-in algorithms)

    load_plugins()


def get(id: str) -> AlgorithmEntry:
    """The entry registered under ``id``."""
    _ensure_loaded()
    try:
        return _REGISTRY[id]
    except KeyError:
        raise UnknownAlgorithmError(unknown_id_message("algorithm", id, _REGISTRY)) from None


def entries() -> list[AlgorithmEntry]:
    """All registered entries, sorted by id."""
    _ensure_loaded()
    return [_REGISTRY[key] for key in sorted(_REGISTRY)]
