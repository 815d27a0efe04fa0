"""Theoretical bounds as objects (see :mod:`rltheory.bounds.base`); the catalogue registers them.

Importing this package imports every public module in it, so each module's
``register_bound(...)`` runs.
"""

from rltheory._discovery import import_public_modules
from rltheory.bounds.base import (
    Bound,
    UnknownBoundError,
    bounds,
    bounds_for,
    get_bound,
    register_bound,
)

import_public_modules(__name__, __path__)

__all__ = ["Bound", "UnknownBoundError", "bounds", "bounds_for", "get_bound", "register_bound"]
