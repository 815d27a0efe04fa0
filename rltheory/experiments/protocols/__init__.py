"""Protocol registry: one module per protocol, each registering one :class:`Protocol` object.

Importing this package imports its public modules (so each ``@register_protocol`` runs); plugin
modules named in a spec's ``imports`` may register more. The runner, the spec validator and the
report look protocols up here by the name an algorithm declares and never branch on it.
"""

from __future__ import annotations

from rltheory._discovery import import_public_modules
from rltheory._names import unknown_id_message
from rltheory.experiments.protocols.base import Axis, Check, Job, Metric, Protocol


class UnknownProtocolError(LookupError):
    """A protocol name that is not registered; the message lists the known ones."""

    def __str__(self) -> str:
        return str(self.args[0])


_PROTOCOLS: dict[str, Protocol] = {}


def register_protocol(cls: type[Protocol]) -> type[Protocol]:
    """Class decorator: register one instance of ``cls`` under ``cls.name``."""
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name:
        raise TypeError(f"protocol class {cls.__name__} must set a non-empty `name`")
    if name in _PROTOCOLS and type(_PROTOCOLS[name]) is not cls:
        raise ValueError(f"protocol '{name}' is already registered by {type(_PROTOCOLS[name])}")
    _PROTOCOLS[name] = cls()
    return cls


def unregister_protocol(name: str) -> None:
    """Remove protocol ``name`` (tests that register one remove it again)."""
    _PROTOCOLS.pop(name, None)


def get_protocol(name: str) -> Protocol:
    """The protocol registered under ``name``."""
    try:
        return _PROTOCOLS[name]
    except KeyError:
        raise UnknownProtocolError(unknown_id_message("protocol", name, _PROTOCOLS)) from None


def protocols() -> list[Protocol]:
    """All registered protocols, sorted by name."""
    return [_PROTOCOLS[name] for name in sorted(_PROTOCOLS)]


import_public_modules(__name__, __path__)

__all__ = [
    "Axis",
    "Check",
    "Job",
    "Metric",
    "Protocol",
    "UnknownProtocolError",
    "get_protocol",
    "protocols",
    "register_protocol",
    "unregister_protocol",
]
