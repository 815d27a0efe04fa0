"""Algorithms: protocols, the registry, and one module per algorithm (or family).

Importing this package imports every public module in it, so each module's ``@register``
decorator runs: adding an algorithm is one new file.
"""

from rltheory._discovery import import_public_modules
from rltheory.algos.protocols import (
    STRUCTURES,
    AdversarialAlgorithm,
    FederatedAlgorithm,
    Feedback,
    OfflineAlgorithm,
    OnlineAlgorithm,
    Problem,
    missing_structures,
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

import_public_modules(__name__, __path__)

__all__ = [
    "STRUCTURES",
    "AdversarialAlgorithm",
    "AlgorithmEntry",
    "FederatedAlgorithm",
    "Feedback",
    "OfflineAlgorithm",
    "OnlineAlgorithm",
    "Problem",
    "StructureMismatchError",
    "UnknownAlgorithmError",
    "entries",
    "get",
    "missing_structures",
    "register",
    "structures_of",
]
