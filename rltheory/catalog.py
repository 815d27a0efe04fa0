"""What ``rltheory list`` prints: protocols, algorithms with their parameters (default and
meaning), environment families, transforms, delay processes and bounds; ``rltheory list ID``
details one algorithm or environment.

A parameter's meaning comes from the field's metadata (``field(metadata={"doc": "..."})``), else
from the first ````name``: text`` entry for it in the docstrings of the algorithm's config class
(and its bases), of the algorithm class, or of its module.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import sys
import textwrap
from collections.abc import Iterable
from typing import Any

WIDTH = 100


class UnknownNameError(LookupError):
    """``rltheory list NAME`` with a name that is neither an algorithm nor an environment."""

    def __str__(self) -> str:
        return str(self.args[0])


_NAME = r"``(\w+)``(?:\s*\([^)]*\))?\s*:"
_END = r"(?=[;.]?\s*(?:-\s*)?``\w+``(?:\s*\([^)]*\))?\s*:|\n\s*-\s|\n\s*\n|\Z)"
_ENTRIES = (
    re.compile(_NAME + r"\s*(.+?)" + _END, re.S),  # ``name``: meaning
    re.compile(r"^\s*-\s*``(\w+)``\s+(.+?)" + _END, re.S | re.M),  # - ``name`` does this
)


def _docs(sources: Iterable[Any]) -> dict[str, str]:
    """``name -> text`` of every ````name``: text`` entry in the docstrings of ``sources``
    (the first source naming a parameter wins)."""
    found: dict[str, str] = {}
    for source in sources:
        doc = inspect.getdoc(source) or ""
        for pattern in _ENTRIES:
            for name, text in pattern.findall(doc):
                found.setdefault(name, " ".join(text.split()).rstrip(";. "))
    return found


def parameters(entry: Any) -> list[tuple[str, Any, str]]:
    """``(name, default, meaning)`` for each config field of the algorithm ``entry``."""
    config = entry.config
    sources = [c for c in config.__mro__ if c is not object]
    sources += [entry.cls, sys.modules.get(entry.cls.__module__)]
    docs = _docs(s for s in sources if s is not None)
    rows = []
    for field in dataclasses.fields(config):
        meaning = field.metadata.get("doc") or docs.get(field.name, "")
        if field.default is not dataclasses.MISSING:
            default = field.default
        elif field.default_factory is not dataclasses.MISSING:
            default = field.default_factory()
        else:
            default = "(required)"
        rows.append((field.name, default, meaning))
    return rows


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ")


def _parameter_lines(entry: Any, indent: str) -> list[str]:
    rows = parameters(entry)
    if not rows:
        return [f"{indent}(no parameters)"]
    lines = []
    for name, default, meaning in rows:
        head = f"{name} = {default!r}"
        lines += _wrap(f"{head}: {meaning}" if meaning else head, indent)
    return lines


def _first_line(obj: Any) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.splitlines()[0] if doc else ""


def overview() -> list[str]:
    """The lines of ``rltheory list``."""
    from rltheory.algos import entries
    from rltheory.bounds import bounds
    from rltheory.envs import families
    from rltheory.envs.delays import DELAY_KINDS
    from rltheory.envs.transforms import TRANSFORMS
    from rltheory.experiments.protocols import protocols

    lines = ["Protocols (spec keys; axis; metric; required structure):"]
    for p in protocols():
        requires = ", ".join(sorted(p.requires)) or "-"
        lines += _wrap(f"{p.name}: {p.summary}", "  ")
        lines += _wrap(
            f"keys {', '.join(p.keys)}; axis {p.axis.label}; metric {p.metric.name}; "
            f"requires {requires}",
            "    ",
        )
    lines += ["", "Algorithms (parameter = default: meaning; `rltheory list ID` for details):"]
    for e in entries():
        requires = ", ".join(sorted(e.requires)) or "-"
        lines += _wrap(f"{e.id} [{e.protocol}; requires {requires}]: {e.summary}", "  ")
        lines += _parameter_lines(e, "    ")
    lines += ["", "Environments (parameter = default):"]
    for f in families():
        lines += _wrap(f"{f.id} ({f.gym_id}): {f.summary}", "  ")
        params = ", ".join(f"{k} = {v!r}" for k, v in f.defaults.items()) or "(no parameters)"
        lines += _wrap(params, "    ")
    lines += ["", 'Transforms (an environment\'s transforms = ["..."]):']
    for name, fn in sorted(TRANSFORMS.items()):
        lines += _wrap(f"{name}: {_first_line(fn)}", "  ")
    lines += ["", "Delay processes (rltheory.envs.delays; kind: parameter = default):"]
    for kind, params in DELAY_KINDS.items():
        lines += _wrap(f"{kind}: " + ", ".join(f"{k} = {v!r}" for k, v in params.items()), "  ")
    lines += ["", "Bounds (id [kind] algorithms: formula):"]
    for b in bounds():
        algorithms = ", ".join(b.algorithms) or "-"
        assumes = f" (assumes {', '.join(b.assumes)})" if b.assumes else ""
        lines += _wrap(f"{b.id} [{b.kind}] {algorithms}: {b.formula}{assumes}", "  ")
    return lines


def _assumption_lines(family: Any) -> list[str]:
    """The theorems' normalisations checked on the family's default build (each build records
    its own in ``metadata["assumption_violations"]``)."""
    from rltheory.envs.assumptions import describe_violations

    try:
        model = family.build(0)
    except (TypeError, ValueError) as error:
        return [f"  theory assumptions: not checked (default build failed: {error})"]
    violations = getattr(model, "metadata", {}).get("assumption_violations", {})
    if not violations:
        return ["  theory assumptions at the defaults: all checked ones hold"]
    return ["  theory assumptions violated at the defaults:"] + [
        line for text in describe_violations(violations) for line in _wrap(text, "    ")
    ]


def details(name: str) -> list[str]:
    """The lines of ``rltheory list NAME``: an algorithm (citation, protocol, requirements,
    bounds, parameters) or an environment family (citation, gym id, parameters). Raises
    :class:`UnknownNameError` with the closest names for an unknown one."""
    from rltheory._names import unknown_id_message
    from rltheory.algos import entries
    from rltheory.bounds import bounds
    from rltheory.envs import families

    algorithms = {e.id: e for e in entries()}
    envs = {f.id: f for f in families()}
    if name in algorithms:
        e = algorithms[name]
        lines = [f"{e.id}: {e.summary}"]
        lines += _wrap(f"citation: {e.citation}", "  ")
        lines += [f"  protocol: {e.protocol}", f"  class: {e.cls.__module__}.{e.cls.__name__}"]
        lines += [f"  requires: {', '.join(sorted(e.requires)) or '-'}"]
        if e.monitor is not None:
            lines += _wrap(f"proof event (monitored at checkpoints): {e.monitor.lemma}", "  ")
        lines.append("  bounds:")
        linked = [b for b in bounds() if e.id in b.algorithms]
        for b in linked:
            assumes = f"; assumes {', '.join(b.assumes)}" if b.assumes else ""
            lines += _wrap(f"{b.id} [{b.kind}]: {b.formula} ({b.citation}{assumes})", "    ")
        if not linked:
            lines.append("    none registered")
        return [*lines, "  parameters (name = default: meaning):", *_parameter_lines(e, "    ")]
    if name in envs:
        f = envs[name]
        lines = [f"{f.id}: {f.summary}", *_wrap(f"citation: {f.citation}", "  ")]
        lines += [f"  gymnasium id: {f.gym_id}", "  parameters (name = default):"]
        lines += [f"    {k} = {v!r}" for k, v in f.defaults.items()] or ["    (none)"]
        return lines + _assumption_lines(f)
    raise UnknownNameError(
        unknown_id_message("algorithm or environment", name, [*algorithms, *envs])
    )
