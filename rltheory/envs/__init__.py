"""Environment families built on :mod:`rltheory.mdp`, their registry, and gymnasium wrappers.

Importing this package imports every public module in it, so each ``@register_family`` runs.
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

# After every family module is imported: gymnasium ids for all families, and the batched rollout.
from rltheory.envs.gym import register_gym_envs  # noqa: E402
from rltheory.mdp import Trajectories, rollout  # noqa: E402

register_gym_envs()
__all__ += ["Trajectories", "register_gym_envs", "rollout"]
