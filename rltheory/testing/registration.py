"""Temporary registrations for tests: everything registered inside the block is removed after.

::

    from rltheory.testing import scoped_registrations

    with scoped_registrations():
        register_family("test-two-state", gym_name="TestTwoState", citation="test")(builder)
        gymnasium.make("rltheory/TestTwoState-v0")  # registered with the family
    # the family and its gymnasium id are gone; built-in entries are untouched

The pytest fixture ``registrations`` in ``tests/conftest.py`` wraps a test in this block.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from rltheory import _registry

BUILT_IN_PACKAGES = ("rltheory.envs", "rltheory.algos", "rltheory.bounds")
"""Packages whose import registers the built-in entries (imported before the scope opens)."""

PLAIN_CATALOGUES = (
    ("rltheory.bounds.base", "_BOUNDS"),
    ("rltheory.experiments.protocols", "_PROTOCOLS"),
)
"""Catalogues still kept as plain dicts (no side effects): snapshot and restored as dicts.
A catalogue converted to :class:`rltheory._registry.Registry` is scoped as a Registry instead."""


@contextmanager
def _restored(catalogue: dict) -> Iterator[None]:
    before = dict(catalogue)
    try:
        yield
    finally:
        catalogue.clear()
        catalogue.update(before)


@contextmanager
def scoped_registrations() -> Iterator[None]:
    """Every :class:`rltheory._registry.Registry` (families with their gymnasium ids,
    algorithms, ...) and every catalogue of :data:`PLAIN_CATALOGUES` (bounds, protocols) is
    restored on exit: ids added inside the block are removed, entries removed or replaced inside
    it are put back."""
    for package in BUILT_IN_PACKAGES:
        importlib.import_module(package)
    dicts = [getattr(importlib.import_module(module), name) for module, name in PLAIN_CATALOGUES]
    with ExitStack() as stack:
        for catalogue in dicts:
            if isinstance(catalogue, dict):
                stack.enter_context(_restored(catalogue))
        stack.enter_context(_registry.scoped_registrations())
        yield
