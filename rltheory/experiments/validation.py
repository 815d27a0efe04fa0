"""Located-error validation of specs: every problem is collected with its key path (by a
:class:`~rltheory.experiments.checker.Checker`), then all are raised together as one
:class:`SpecError` before any work starts.

:func:`validate_spec` validates the keys every spec has (environments, algorithms, seeds,
imports, plots), picks the protocol the algorithms follow, lets it validate its own keys
(:meth:`rltheory.experiments.protocols.Protocol.settings`), and optionally runs the structure
pass (:mod:`rltheory.experiments.compat`).
"""

from __future__ import annotations

import dataclasses
import importlib
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rltheory.algos import UnknownAlgorithmError
from rltheory.algos import get as get_algorithm
from rltheory.envs import UnknownEnvironmentError, get_family
from rltheory.experiments.checker import Checker, as_sweep
from rltheory.experiments.protocols import UnknownProtocolError, get_protocol, protocols
from rltheory.experiments.spec import (
    PLOT_KINDS,
    AlgorithmSpec,
    EnvironmentSpec,
    ExperimentSpec,
    PlotSpec,
)

COMMON_KEYS = (
    "name",
    "description",
    "protocol",
    "seeds",
    "base_seed",
    "seed_batch",
    "imports",
    "env",
    "algorithms",
    "plots",
)
"""Top-level keys of every spec; each protocol adds its own (``Protocol.keys``)."""
ENV_KEYS = ("id", "params", "seed", "transforms")
ALGORITHM_KEYS = ("id", "params", "label")
PLOT_KEYS = ("kinds", "tail", "confidence")
REMOVED_PLOT_KEYS = {
    key: "intervals are now jackknife-t over seeds (deterministic, no resampling); delete it"
    for key in ("resamples", "bootstrap_seed")
}
"""Former ``[plots]`` keys of the percentile bootstrap, refused with the reason."""


def validate_spec(
    data: Mapping[str, Any],
    source: str,
    default_name: str,
    check_structures: bool,
    max_memory: int | None = None,
) -> ExperimentSpec:
    """The :class:`ExperimentSpec` of parsed TOML ``data`` (layout: :mod:`..spec`). With
    ``check_structures``, the memory estimate (limit ``max_memory`` bytes, default the memory
    available) is checked before any environment is built for the structure pass."""
    check = Checker(source)
    if not isinstance(data, Mapping):
        check.fail("", "expected a table of spec keys")
        check.raise_if_any()
    for key in ("seeds", "env", "algorithms"):
        if key not in data:
            check.fail(key, "missing (required)")
    imports = _imports(check, data.get("imports", []))
    algorithms = _algorithms(check, data.get("algorithms", []))
    protocol = _protocol(check, data.get("protocol"), algorithms)
    if protocol is not None:
        allowed = COMMON_KEYS + protocol.keys
    else:  # the protocol is unknown (its problem is reported): accept any protocol's keys
        allowed = COMMON_KEYS + tuple(k for p in protocols() for k in p.keys)
    check.keys(data, "", allowed, "the spec")
    settings = {}
    if protocol is not None:
        own = {k: v for k, v in data.items() if k in protocol.keys}
        settings = protocol.settings(own, check)
    seeds = check.integer(data, "seeds", 1, 1)
    base_seed = check.integer(data, "base_seed", 0, 0)
    seed_batch = check.integer(data, "seed_batch", None, 1)
    plots = _plots(check, data.get("plots", {}))
    environments = _environments(check, data.get("env", []))
    name = data.get("name", default_name)
    description = data.get("description", "")
    for key, value in (("name", name), ("description", description)):
        if not isinstance(value, str):
            check.fail(key, f"expected a string, got {type(value).__name__}")
    check.raise_if_any()
    spec = ExperimentSpec(
        name=name,
        description=description,
        protocol=protocol.name,
        settings=settings,
        seeds=seeds,
        base_seed=base_seed,
        seed_batch=seed_batch,
        imports=imports,
        environments=tuple(environments),
        algorithms=tuple(spec for _, spec in algorithms),
        plots=plots,
    )
    if check_structures:
        from rltheory.experiments.compat import check_compatibility
        from rltheory.experiments.memory import check_memory

        check_memory(spec, check, max_memory)
        check.raise_if_any()
        check_compatibility(spec, check)
        check.raise_if_any()
    return spec


def _protocol(check: Checker, named: Any, algorithms: list[tuple[int, AlgorithmSpec]]):
    """The spec's protocol: the ``protocol`` key, else the one its algorithms follow; each
    algorithm must follow it."""
    protocol = None
    if named is not None:
        try:
            protocol = get_protocol(named) if isinstance(named, str) else None
        except UnknownProtocolError as error:
            check.fail("protocol", str(error))
            return None
        if protocol is None:
            check.fail("protocol", f"expected a protocol name, got {type(named).__name__}")
            return None
    for i, spec in algorithms:
        entry = get_algorithm(spec.id)
        try:
            own = get_protocol(entry.protocol)
        except UnknownProtocolError as error:
            check.fail(f"algorithms[{i}].id", f"algorithm '{spec.id}': {error}")
            continue
        if protocol is None:
            protocol = own
        elif own is not protocol and not issubclass(entry.cls, protocol.learner):
            # A learner of the protocol's base class runs under it (e.g. an adversarial learner
            # under the delayed protocol, which drives the same base class).
            check.fail(
                f"algorithms[{i}].id",
                f"algorithm '{spec.id}' follows the {own.name} protocol but this spec runs the "
                f"{protocol.name} protocol; one spec runs one protocol",
            )
    if protocol is None and not algorithms and named is None:
        return get_protocol("online")  # keys are still checked against some protocol
    return protocol


def _imports(check: Checker, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        check.fail("imports", "expected a list of module names")
        return ()
    for i, module in enumerate(value):
        try:
            importlib.import_module(module)
        except ImportError as error:
            check.fail(f"imports[{i}]", f"cannot import module '{module}': {error}")
    return tuple(value)


def _plots(check: Checker, value: Any) -> PlotSpec:
    if not check.keys(value, "plots", PLOT_KEYS, "plots", removed=REMOVED_PLOT_KEYS):
        return PlotSpec()
    defaults = PlotSpec()
    kinds = value.get("kinds", list(defaults.kinds))
    if not isinstance(kinds, list):
        check.fail("plots.kinds", "expected a list of plot kinds")
        kinds = list(defaults.kinds)
    for i, kind in enumerate(kinds):
        check.choice(kind, f"plots.kinds[{i}]", PLOT_KINDS, "plot kind")
    options = {}
    for key in ("tail", "confidence"):
        option = value.get(key, getattr(defaults, key))
        if isinstance(option, bool) or not isinstance(option, int | float):
            check.fail(f"plots.{key}", f"expected a number, got {type(option).__name__}")
        elif not 0.0 < option < 1.0:
            check.fail(f"plots.{key}", f"must lie in (0.0, 1.0), got {option}")
        else:
            options[key] = float(option)
    return dataclasses.replace(
        defaults, kinds=tuple(k for k in kinds if k in PLOT_KINDS), **options
    )


def _environments(check: Checker, value: Any) -> list[EnvironmentSpec]:
    if isinstance(value, Mapping):
        tables = [("env", value)]
    elif isinstance(value, list) and value:
        tables = [(f"env[{i}]", table) for i, table in enumerate(value)]
    else:
        if value != []:
            check.fail("env", "expected a table [env] or an array of tables [[env]]")
        return []
    return [spec for spec in (_environment(check, p, t) for p, t in tables) if spec]


def _registered(
    check: Checker,
    path: str,
    table: Any,
    keys: Sequence[str],
    kind: str,
    lookup: Callable[[str], Any],
    unknown: type[Exception],
) -> tuple[str, Any] | None:
    """``(id, registry entry)`` of an environment or algorithm table (None after a located
    problem: not a table, unknown keys, no string id, an unregistered id)."""
    if not check.keys(table, path, keys, f"an {kind}"):
        return None
    item_id = table.get("id")
    if not isinstance(item_id, str):
        check.fail(f"{path}.id", f"missing {kind} id (a string)")
        return None
    try:
        return item_id, lookup(item_id)
    except unknown as error:
        check.fail(f"{path}.id", str(error))
        return None


def _environment(check: Checker, path: str, table: Any) -> EnvironmentSpec | None:
    found = _registered(
        check, path, table, ENV_KEYS, "environment", get_family, UnknownEnvironmentError
    )
    if found is None:
        return None
    env_id, family = found
    params = check.params(
        table.get("params", {}), f"{path}.params", family.defaults, {}, f"environment '{env_id}'"
    )
    seeds = as_sweep(table.get("seed", 0), 0)
    for seed in seeds:
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            check.fail(f"{path}.seed", f"expected a non-negative integer, got {seed!r}")
    transforms = table.get("transforms", [])
    if not isinstance(transforms, list) or not all(isinstance(t, str) for t in transforms):
        check.fail(f"{path}.transforms", "expected a list of transform names")
        transforms = []
    else:
        from rltheory.envs.transforms import TRANSFORMS

        for i, name in enumerate(transforms):
            check.choice(name, f"{path}.transforms[{i}]", sorted(TRANSFORMS), "transform")
    return EnvironmentSpec(env_id, params, seeds, tuple(transforms))


def _algorithms(check: Checker, value: Any) -> list[tuple[int, AlgorithmSpec]]:
    if not isinstance(value, list) or not value:
        if value != []:
            check.fail("algorithms", "expected an array of tables [[algorithms]]")
        return []
    specs = []
    for i, table in enumerate(value):
        spec = _algorithm(check, f"algorithms[{i}]", table)
        if spec is not None:
            specs.append((i, spec))
    seen: dict[str, int] = {}
    for i, spec in specs:
        if spec.label in seen:
            check.fail(
                f"algorithms[{i}].label",
                f"label '{spec.label}' is already used by algorithms[{seen[spec.label]}]; "
                "give each entry a distinct label",
            )
        seen.setdefault(spec.label, i)
    return specs


def _algorithm(check: Checker, path: str, table: Any) -> AlgorithmSpec | None:
    found = _registered(
        check, path, table, ALGORITHM_KEYS, "algorithm", get_algorithm, UnknownAlgorithmError
    )
    if found is None:
        return None
    algo_id, entry = found
    label = table.get("label", algo_id)
    if not isinstance(label, str) or not label:
        check.fail(f"{path}.label", "expected a non-empty string")
        label = algo_id
    fields = dataclasses.fields(entry.config)
    defaults = {f.name: f.default if f.default is not dataclasses.MISSING else None for f in fields}
    try:
        hints = typing.get_type_hints(entry.config)
    except (NameError, TypeError):
        hints = {}
    nonfinite = [f.name for f in fields if f.metadata.get("allow_nonfinite")]
    params = check.params(
        table.get("params", {}),
        f"{path}.params",
        defaults,
        hints,
        f"algorithm '{algo_id}'",
        allow_nonfinite=nonfinite,
    )
    spec = AlgorithmSpec(algo_id, label, params)
    for _, values in spec.variants():
        try:
            entry.make_config(**values)
        except (TypeError, ValueError) as error:
            check.fail(_culprit(entry, values, f"{path}.params"), f"{error}")
            break
    return spec


def _culprit(entry: Any, values: Mapping[str, Any], path: str) -> str:
    """``path.<name>`` of the one parameter the config refuses on its own (else ``path``: the
    refusal is about a combination)."""
    alone = []
    for name, value in values.items():
        try:
            entry.make_config(**{name: value})
        except (TypeError, ValueError):
            alone.append(name)
    return f"{path}.{alone[0]}" if len(alone) == 1 else path
