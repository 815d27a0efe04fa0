"""Package auto-import: importing a registry package imports its public modules, so each
module's registration decorator runs and adding an item is one new file."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable


def import_public_modules(package: str, path: Iterable[str]) -> None:
    """Import every module of ``package`` (found on ``path``) whose name has no leading ``_``."""
    for module in pkgutil.iter_modules(path):
        if not module.name.startswith("_"):
            importlib.import_module(f"{package}.{module.name}")
