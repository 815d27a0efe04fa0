"""The experiment specs shipped with the package (package data, so they exist in any install).

``rltheory run quickstart`` (a name, not a path) runs ``rltheory/specs/quickstart.toml``;
``rltheory demo`` runs it and writes its report. :func:`names` lists them, :func:`path` finds one.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def names() -> list[str]:
    """Names of the shipped specs (file stems), sorted."""
    return sorted(
        p.name[:-5] for p in resources.files(__name__).iterdir() if p.name.endswith(".toml")
    )


def path(name: str) -> Path:
    """The file of shipped spec ``name`` (``quickstart`` or ``quickstart.toml``)."""
    stem = name[:-5] if name.endswith(".toml") else name
    if stem not in names():
        raise FileNotFoundError(f"no shipped spec '{name}'; shipped: {', '.join(names())}")
    return Path(str(resources.files(__name__) / f"{stem}.toml"))
