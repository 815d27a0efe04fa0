"""Errors the command line reports as one message (exit status 2) instead of a traceback."""

from __future__ import annotations

from collections.abc import Sequence


class UsageError(ValueError):
    """A request that cannot be carried out as given (bad option combination, missing extra)."""


class SpecError(ValueError):
    """One or more located problems in a spec; ``problems`` lists ``(key path, message)``."""

    def __init__(self, source: str, problems: Sequence[tuple[str, str]]):
        self.source = source
        self.problems = list(problems)
        lines = [
            f"{source}: {path}: {message}" if path else f"{source}: {message}"
            for path, message in self.problems
        ]
        super().__init__("\n".join(lines))
