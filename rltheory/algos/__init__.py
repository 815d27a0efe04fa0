"""Algorithms: protocols, the registry, and one module per algorithm (or family).

Importing this package imports every public module in it, so each module's ``@register``
decorator runs: adding an algorithm is one new file.
"""

import importlib
import pkgutil

from rltheory.algos.protocols import (
    METRICS,
    STRUCTURES,
    FederatedAlgorithm,
    OfflineAlgorithm,
    OnlineAlgorithm,
    Problem,
    structures_of,
)
from rltheory.algos.registry import (
    AlgorithmEntry,
    StructureMismatchError,
    UnknownAlgorithmError,
    entries,
    get,
    register,
)

for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_") and _module.name not in ("protocols", "registry"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = [
    "METRICS",
    "STRUCTURES",
    "AlgorithmEntry",
    "FederatedAlgorithm",
    "OfflineAlgorithm",
    "OnlineAlgorithm",
    "Problem",
    "StructureMismatchError",
    "UnknownAlgorithmError",
    "entries",
    "get",
    "register",
    "structures_of",
]
