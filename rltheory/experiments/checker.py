"""The located-problem collector of spec validation and its typed helpers.

Every problem is a ``(key path, message)`` pair (e.g. ``("algorithms[1].params.cc", "unknown
parameter ...")``); :meth:`Checker.raise_if_any` raises them together as one
:class:`~rltheory.experiments.errors.SpecError`. Protocols validate their own spec keys with it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from rltheory._names import did_you_mean
from rltheory.experiments.errors import SpecError

_TYPE_CHECKS: dict[type, tuple[Any, str]] = {
    bool: (lambda v: isinstance(v, bool), "true or false"),
    int: (lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer"),
    float: (lambda v: isinstance(v, int | float) and not isinstance(v, bool), "a number"),
    str: (lambda v: isinstance(v, str), "a string"),
    tuple: (lambda v: isinstance(v, tuple), "a list"),
}


def as_sweep(value: Any, default: Any) -> tuple[Any, ...]:
    """The values of a parameter: a list is a sweep, unless the parameter's own default is a
    sequence and the list is flat (then the list is a single value)."""
    if isinstance(value, list):
        if isinstance(default, list | tuple) and not any(isinstance(v, list) for v in value):
            return (tuple(value),)
        return tuple(tuple(v) if isinstance(v, list) else v for v in value)
    return (value,)


def type_problem(value: Any, default: Any, annotation: Any = None) -> str | None:
    """Why ``value`` does not fit a parameter with ``default`` (or a plain type annotation);
    None when it fits or when neither says what type is expected."""
    expected = type(default) if default is not None else annotation
    if expected is list:
        expected = tuple
    if expected not in _TYPE_CHECKS:
        return None
    check, wanted = _TYPE_CHECKS[expected]
    if check(value):
        return None
    return f"expected {wanted}, got {type(value).__name__} {value!r}"


class Checker:
    """Collects ``(key path, message)`` problems of one source (a file, "command line")."""

    def __init__(self, source: str):
        self.source = source
        self.problems: list[tuple[str, str]] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append((path, message))

    def raise_if_any(self) -> None:
        if self.problems:
            raise SpecError(self.source, self.problems)

    def keys(
        self,
        table: Any,
        path: str,
        allowed: Sequence[str],
        what: str,
        removed: Mapping[str, str] | None = None,
    ) -> bool:
        """Whether ``table`` is a mapping; each key outside ``allowed`` is a problem (a key of
        ``removed`` with the reason it was removed)."""
        if not isinstance(table, Mapping):
            self.fail(path, f"expected a table for {what}, got {type(table).__name__}")
            return False
        for key in table:
            where = f"{path}.{key}" if path else key
            if removed and key in removed:
                self.fail(where, f"key '{key}' was removed from {what}: {removed[key]}")
            elif key not in allowed:
                self.fail(
                    where,
                    f"unknown key '{key}' in {what}{did_you_mean(key, allowed)}; "
                    f"accepted: {', '.join(allowed)}",
                )
        return True

    def integer(
        self, data: Mapping[str, Any], key: str, default: Any, minimum: int, path: str = ""
    ) -> Any:
        """``data[key]`` (or ``default``) as an integer ``>= minimum``."""
        value = data.get(key, default)
        where = f"{path}.{key}" if path else key
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(where, f"expected an integer, got {type(value).__name__} {value!r}")
            return default
        if value < minimum:
            self.fail(where, f"must be >= {minimum}, got {value}")
            return default
        return value

    def choice(self, value: Any, path: str, accepted: Sequence[str], what: str) -> Any:
        """``value`` if it is one of ``accepted`` (else a problem and None)."""
        if value in accepted:
            return value
        self.fail(
            path,
            f"unknown {what} {value!r}{did_you_mean(str(value), accepted)}; "
            f"accepted: {', '.join(accepted)}",
        )
        return None

    def params(
        self,
        table: Any,
        path: str,
        defaults: Mapping[str, Any],
        hints: Mapping[str, Any],
        what: str,
        allow_nonfinite: Sequence[str] = (),
    ) -> dict[str, tuple[Any, ...]]:
        """A parameter table: known names, values typed like their defaults, lists = sweeps.
        Infinite or NaN numbers are refused unless the default is one or the name is in
        ``allow_nonfinite`` (e.g. a radius whose ``inf`` means "off")."""
        if not isinstance(table, Mapping):
            self.fail(path, f"expected a table of parameters, got {type(table).__name__}")
            return {}
        params = {}
        for name, raw in table.items():
            if name not in defaults:
                self.fail(
                    f"{path}.{name}",
                    f"unknown parameter '{name}' for {what}{did_you_mean(name, list(defaults))}; "
                    f"accepted: {', '.join(defaults) or '(none)'}",
                )
                continue
            values = as_sweep(raw, defaults[name])
            if not values:
                self.fail(f"{path}.{name}", "an empty list sweeps over nothing")
                continue
            for value in values:
                problem = type_problem(value, defaults[name], hints.get(name))
                if problem is None and not _finite_or_allowed(
                    value, defaults[name], name in allow_nonfinite
                ):
                    problem = (
                        f"must be a finite number, got {value} ({what} does not declare that it "
                        "accepts non-finite values here)"
                    )
                if problem:
                    self.fail(f"{path}.{name}", problem)
                    break
            else:
                params[name] = values
        return params


def _finite_or_allowed(value: Any, default: Any, allowed: bool) -> bool:
    if not isinstance(value, float) or math.isfinite(value) or allowed:
        return True
    return isinstance(default, float) and not math.isfinite(default)
