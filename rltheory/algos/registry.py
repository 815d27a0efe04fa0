"""Algorithm registry: a decorator in each algorithm's module, plus entry points for plugins.

``@register("lsvi-ucb", requires=("features",), citation="...")`` on an algorithm class stores an
:class:`AlgorithmEntry`; ``get(id)`` returns it (unknown ids raise :class:`UnknownAlgorithmError`
with the closest known names). External packages register through the entry-point group
``rltheory.algorithms``: each entry point names a module (or callable) whose import registers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from rltheory._names import unknown_params_message
from rltheory._registry import Registry
from rltheory.algos.monitors import Monitor
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
    ``smoke``: hyperparameters under which the learner demonstrably learns within the few episodes
    of the conformance run (:func:`rltheory.testing.tiny_model`), e.g. a small confidence width;
    the conformance checks run at ``make_config(**smoke)`` and require the policy to change,
    unless ``learns`` is False (baselines that play one fixed policy by design).
    ``monitor``: the event its regret proof conditions on (a
    :class:`rltheory.algos.monitors.Monitor`), or None.
    """

    id: str
    cls: type
    config: type
    protocol: str
    requires: frozenset[str]
    citation: str
    summary: str = ""
    smoke: Mapping[str, Any] = field(default_factory=dict)
    learns: bool = True
    monitor: Monitor | None = None

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


_PLUGINS_LOADED = False


def register(
    id: str,
    *,
    requires: Iterable[str] = (),
    citation: str,
    summary: str = "",
    smoke: Mapping[str, Any] | None = None,
    learns: bool = True,
    config: type | None = None,
    monitor: Monitor | None = None,
) -> Callable[[type], type]:
    """Class decorator: register an algorithm under ``id`` (duplicates are an error).

    ``smoke`` (hyperparameter overrides, see :class:`AlgorithmEntry`) must name fields of the
    configuration; ``learns=False`` declares a fixed-policy baseline. ``config`` (default: the
    class's ``Config``) lets one learner class be registered under several ids, each a
    configuration of it (e.g. ``lsvi-greedy`` is LSVI with ``beta = 0``). ``monitor`` declares
    the proof event the runner checks (:mod:`rltheory.algos.monitors`)."""
    requires = frozenset(requires)
    unknown = requires - set(STRUCTURES)
    if unknown:
        raise ValueError(f"unknown structure requirement(s) {sorted(unknown)} for '{id}'")

    def decorate(cls: type) -> type:
        known = _REGISTRY.peek(id)
        if known is not None:
            if known.cls is cls:
                return cls
            raise ValueError(f"algorithm id '{id}' is already registered by {known.cls}")
        config_cls = getattr(cls, "Config", None) if config is None else config
        if config_cls is None or not dataclasses.is_dataclass(config_cls):
            raise TypeError(f"{cls.__name__} must define a dataclass `Config` of hyperparameters")
        protocol = getattr(cls, "protocol", None)
        if not isinstance(protocol, str) or not protocol:
            raise TypeError(f"{cls.__name__}.protocol must name a protocol (e.g. 'online')")
        entry = AlgorithmEntry(
            id,
            cls,
            config_cls,
            protocol,
            requires,
            citation,
            summary or _first_line(cls),
            dict(smoke or {}),
            learns,
            monitor,
        )
        entry.make_config(**entry.smoke)  # unknown smoke names are an error here, not later
        _REGISTRY.add(id, entry)
        if "algorithm_id" not in vars(cls):  # a class registered under several ids: the first
            cls.algorithm_id = id
        return cls

    return decorate


def unregister(id: str) -> None:
    """Remove algorithm ``id`` if registered (tests: prefer
    :func:`rltheory.testing.scoped_registrations`, which also restores what a test removed)."""
    if id in _REGISTRY:
        _REGISTRY.remove(id)


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


_REGISTRY: Registry[AlgorithmEntry] = Registry(
    "algorithm", UnknownAlgorithmError, load=_ensure_loaded
)


def get(id: str) -> AlgorithmEntry:
    """The entry registered under ``id``."""
    _ensure_loaded()
    return _REGISTRY.get(id)


def entries() -> list[AlgorithmEntry]:
    """All registered entries, sorted by id."""
    _ensure_loaded()
    return _REGISTRY.values()
