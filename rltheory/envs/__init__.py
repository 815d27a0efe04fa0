"""Environment families built on :mod:`rltheory.mdp`, their registry, and gymnasium wrappers.

Importing this package imports every public module in it, so each ``@register_family`` runs
(registering the family and its gymnasium id ``rltheory/<GymName>-v0`` in one act).
"""

from rltheory._discovery import import_public_modules
from rltheory.envs.registry import (
    FamilyEntry,
    UnknownEnvironmentError,
    families,
    get_family,
    make_model,
    register_family,
)

import_public_modules(__name__, __path__)

__all__ = [
    "FamilyEntry",
    "UnknownEnvironmentError",
    "families",
    "get_family",
    "make_model",
    "register_family",
]

from rltheory.mdp import Trajectories, rollout  # noqa: E402

__all__ += ["Trajectories", "rollout"]
