"""Environment families built on :mod:`rltheory.mdp`, their registry, and gymnasium wrappers.

Importing this package imports every public module in it, so each ``@register_family`` runs.
"""

import importlib
import pkgutil

from rltheory.envs.registry import (
    FamilyEntry,
    UnknownEnvironmentError,
    families,
    get_family,
    make_model,
    register_family,
)

for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_") and _module.name != "registry":
        importlib.import_module(f"{__name__}.{_module.name}")

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
