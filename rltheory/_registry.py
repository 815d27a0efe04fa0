"""One catalogue type for every registry (environment families, algorithms, bounds, protocols).

A :class:`Registry` maps ids to entries. Adding an entry can have a side effect that must happen
in the same act (a family's gymnasium id: ``on_add``) and be undone with it (``on_remove``).
:meth:`Registry.scoped` (and :func:`scoped_registrations` over every registry at once) removes
whatever was registered inside the ``with`` block, side effects included, so a test that
registers a fixture family or algorithm leaves the process as it found it.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Generic, TypeVar

from rltheory._names import unknown_id_message

T = TypeVar("T")

_ALL: weakref.WeakSet[Registry] = weakref.WeakSet()


class Registry(Generic[T]):
    """Entries of one ``kind`` ("environment", "algorithm", ...) keyed by id.

    ``error`` is the ``LookupError`` subclass :meth:`get` raises for an unknown id (its message
    lists the closest ids); ``on_add(entry)`` runs after an entry is stored, ``on_remove(entry)``
    before it is dropped; ``load()`` registers the built-in entries (importing their package), so
    :meth:`scoped` never mistakes a first import inside the block for a temporary registration.
    """

    def __init__(
        self,
        kind: str,
        error: type[LookupError] = LookupError,
        on_add: Callable[[T], None] | None = None,
        on_remove: Callable[[T], None] | None = None,
        load: Callable[[], None] | None = None,
    ):
        self.kind = kind
        self.error = error
        self._on_add = on_add
        self._on_remove = on_remove
        self._load = load
        self._entries: dict[str, T] = {}
        _ALL.add(self)

    def __contains__(self, id: object) -> bool:
        return id in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def ids(self) -> list[str]:
        """Registered ids, sorted."""
        return sorted(self._entries)

    def values(self) -> list[T]:
        """Entries sorted by id."""
        return [self._entries[key] for key in sorted(self._entries)]

    def peek(self, id: str) -> T | None:
        """The entry under ``id``, or None (no error, no loading)."""
        return self._entries.get(id)

    def get(self, id: str) -> T:
        """The entry under ``id``; an unknown id raises ``self.error`` with close names."""
        try:
            return self._entries[id]
        except KeyError:
            raise self.error(unknown_id_message(self.kind, id, self._entries)) from None

    def add(self, id: str, entry: T) -> T:
        """Store ``entry`` under a new ``id`` and run ``on_add`` (callers check duplicates)."""
        if id in self._entries:
            raise ValueError(f"{self.kind} id '{id}' is already registered")
        self._entries[id] = entry
        if self._on_add is not None:
            try:
                self._on_add(entry)
            except BaseException:
                del self._entries[id]
                raise
        return entry

    def remove(self, id: str) -> T:
        """Drop ``id`` (running ``on_remove``) and return its entry."""
        entry = self.get(id)
        if self._on_remove is not None:
            self._on_remove(entry)
        del self._entries[id]
        return entry

    @contextmanager
    def scoped(self) -> Iterator[Registry[T]]:
        """Inside the block, registrations are temporary: on exit every id added is removed and
        every entry removed or replaced is put back (with its side effects)."""
        if self._load is not None:
            self._load()
        before = dict(self._entries)
        try:
            yield self
        finally:
            for id in list(self._entries):
                if before.get(id) is not self._entries[id]:
                    self.remove(id)
            for id, entry in before.items():
                if id not in self._entries:
                    self.add(id, entry)


def registries() -> list[Registry]:
    """Every live registry (families, algorithms, and any later ones)."""
    return list(_ALL)


@contextmanager
def scoped_registrations(*scoped: Registry) -> Iterator[None]:
    """:meth:`Registry.scoped` over ``scoped`` (default: every registry) at once."""
    with ExitStack() as stack:
        for registry in scoped or registries():
            stack.enter_context(registry.scoped())
        yield
