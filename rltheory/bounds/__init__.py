"""Theoretical bounds as objects (see :mod:`rltheory.bounds.base`); the catalogue registers them.

Importing this package imports every public module in it, so each module's
``register_bound(...)`` runs.
"""

import importlib
import pkgutil

from rltheory.bounds.base import (
    Bound,
    UnknownBoundError,
    bounds,
    bounds_for,
    get_bound,
    register_bound,
)

for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_") and _module.name != "base":
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["Bound", "UnknownBoundError", "bounds", "bounds_for", "get_bound", "register_bound"]
