"""Experiment specs: TOML files validated into frozen dataclasses and expanded into cells.

A spec names one or more environments (``[env]`` or ``[[env]]``: family id, ``params``, instance
``seed``, optional ``transforms``), a list of algorithms (``[[algorithms]]``: id, ``params``,
optional ``label``), the number of episodes K, seeds, a base seed, checkpoints and plot options.
A list value of a parameter means "sweep this"; several swept parameters give their product.

Every error is located (file and key path, e.g. ``algorithms[1].params.cc``) and all of them are
collected and raised together as one :class:`SpecError` before any work starts: unknown ids and
parameters come with the closest known names, values are type-checked against the defaults, each
environment is built and each algorithm checked against the structure it needs.

The spec expands into :class:`Cell` records (environment configuration × algorithm variant × seed
batch). Seed ``i`` of a spec is ``SeedSequence(entropy=base_seed, spawn_key=(i,))``, so a cell's
numbers do not depend on how seeds are batched, on the backend, or on the order of execution.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import itertools
import json
import tomllib
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rltheory._names import did_you_mean
from rltheory.algos import StructureMismatchError, UnknownAlgorithmError
from rltheory.algos import get as get_algorithm
from rltheory.envs import UnknownEnvironmentError, get_family

TOP_LEVEL_KEYS = (
    "name",
    "description",
    "episodes",
    "seeds",
    "base_seed",
    "seed_batch",
    "checkpoints",
    "imports",
    "env",
    "algorithms",
    "plots",
)
ENV_KEYS = ("id", "params", "seed", "transforms")
ALGORITHM_KEYS = ("id", "params", "label")
CHECKPOINT_KEYS = ("spacing", "count")
CHECKPOINT_SPACINGS = ("log", "linear")
PLOT_KINDS = ("regret_vs_episodes", "loglog", "regret_vs_param")
PLOT_KEYS = ("kinds", "tail", "confidence", "resamples", "bootstrap_seed")
DEFAULT_CHECKPOINTS = 40
SUPPORTED_PROTOCOLS = ("online",)


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


def _as_sweep(value: Any, default: Any) -> tuple[Any, ...]:
    """The values of a parameter: a list is a sweep, unless the parameter's own default is a
    sequence and the list is flat (then the list is a single value)."""
    if isinstance(value, list):
        if isinstance(default, list | tuple) and not any(isinstance(v, list) for v in value):
            return (tuple(value),)
        return tuple(tuple(v) if isinstance(v, list) else v for v in value)
    return (value,)


_TYPE_CHECKS: dict[type, tuple[Any, str]] = {
    bool: (lambda v: isinstance(v, bool), "true or false"),
    int: (lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer"),
    float: (lambda v: isinstance(v, int | float) and not isinstance(v, bool), "a number"),
    str: (lambda v: isinstance(v, str), "a string"),
    tuple: (lambda v: isinstance(v, tuple), "a list"),
}


def _type_problem(value: Any, default: Any, annotation: Any = None) -> str | None:
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


@dataclass(frozen=True)
class CheckpointSpec:
    """Which episodes are logged: ``spacing`` ("log" or "linear") with ``count`` points, or the
    explicit ``episodes``. The last episode K is always included."""

    spacing: str = "log"
    count: int = DEFAULT_CHECKPOINTS
    episodes: tuple[int, ...] = ()

    def resolve(self, n_episodes: int) -> tuple[int, ...]:
        """Sorted 1-based checkpoint episodes in ``[1, K]``, always ending with K."""
        if self.episodes:
            points = np.array([k for k in self.episodes if k <= n_episodes], dtype=np.int64)
        elif self.spacing == "log":
            points = np.rint(np.geomspace(1, n_episodes, self.count)).astype(np.int64)
        else:
            points = np.rint(np.linspace(1, n_episodes, self.count)).astype(np.int64)
        return tuple(int(k) for k in np.unique(np.append(points, n_episodes)))

    def to_dict(self) -> dict[str, Any]:
        if self.episodes:
            return {"episodes": list(self.episodes)}
        return {"spacing": self.spacing, "count": self.count}


@dataclass(frozen=True)
class EnvironmentSpec:
    """An environment family with parameter values (each a tuple: more than one = a sweep)."""

    id: str
    params: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    seed: tuple[int, ...] = (0,)
    transforms: tuple[str, ...] = ()

    def configurations(self) -> list[EnvironmentConfig]:
        names = list(self.params)
        configs = []
        for seed in self.seed:
            for values in itertools.product(*(self.params[n] for n in names)):
                configs.append(
                    EnvironmentConfig(
                        self.id, dict(zip(names, values, strict=True)), seed, self.transforms
                    )
                )
        return configs

    def swept(self) -> list[str]:
        names = [n for n, values in self.params.items() if len(values) > 1]
        return names + (["seed"] if len(self.seed) > 1 else [])

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "params": {k: list(v) for k, v in self.params.items()},
            "seed": list(self.seed),
            "transforms": list(self.transforms),
        }


@dataclass(frozen=True)
class EnvironmentConfig:
    """One environment instance: family id, parameter values, instance seed, transforms."""

    id: str
    params: Mapping[str, Any]
    seed: int
    transforms: tuple[str, ...] = ()

    def build(self) -> Any:
        """The exact model; its random draws come from ``default_rng(seed)`` (the instance seed),
        the same for every algorithm and every learning seed."""
        model = get_family(self.id).build(np.random.default_rng(self.seed), **self.params)
        if self.transforms:
            from rltheory.envs.transforms import TRANSFORMS

            for name in self.transforms:
                model = TRANSFORMS[name](model)
        return model

    def describe(self) -> str:
        parts = [f"{k}={v}" for k, v in self.params.items()] + [f"seed={self.seed}"]
        parts += [f"+{t}" for t in self.transforms]
        return f"{self.id}(" + ", ".join(parts) + ")"


@dataclass(frozen=True)
class AlgorithmSpec:
    """An algorithm with parameter values (tuples: more than one = a sweep) and a label."""

    id: str
    label: str
    params: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)

    def variants(self) -> list[tuple[str, dict[str, Any]]]:
        """``(label, params)`` per point of the sweep; swept values are appended to the label."""
        names = list(self.params)
        swept = [n for n in names if len(self.params[n]) > 1]
        variants = []
        for values in itertools.product(*(self.params[n] for n in names)):
            params = dict(zip(names, values, strict=True))
            suffix = ", ".join(f"{n}={params[n]}" for n in swept)
            variants.append((f"{self.label} [{suffix}]" if suffix else self.label, params))
        return variants

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "params": {k: list(v) for k, v in self.params.items()},
        }


@dataclass(frozen=True)
class PlotSpec:
    """Which plots to make and how: exponents are fitted on episodes ``>= tail · K``; bands and
    intervals are ``confidence`` bootstrap intervals over seeds with ``resamples`` resamples
    drawn from ``default_rng(bootstrap_seed)``."""

    kinds: tuple[str, ...] = PLOT_KINDS
    tail: float = 0.1
    confidence: float = 0.95
    resamples: int = 2000
    bootstrap_seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "kinds": list(self.kinds)}


@dataclass(frozen=True)
class Cell:
    """One unit of work: an environment configuration, an algorithm variant, a batch of seeds."""

    env: EnvironmentConfig
    algorithm: str
    label: str
    algo_params: Mapping[str, Any]
    seeds: tuple[int, ...]
    base_seed: int
    episodes: int
    checkpoints: tuple[int, ...]
    imports: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "env": {
                "id": self.env.id,
                "params": _jsonable(self.env.params),
                "seed": self.env.seed,
                "transforms": list(self.env.transforms),
            },
            "algorithm": self.algorithm,
            "label": self.label,
            "algo_params": _jsonable(self.algo_params),
            "seeds": list(self.seeds),
            "base_seed": self.base_seed,
            "episodes": self.episodes,
            "checkpoints": list(self.checkpoints),
            "imports": list(self.imports),
        }

    @property
    def key(self) -> str:
        """Content hash of the cell (names its result file)."""
        return _digest(self.to_dict())[:16]

    def seed_sequences(self) -> list[np.random.SeedSequence]:
        """Seed ``i`` is ``SeedSequence(entropy=base_seed, spawn_key=(i,))``, independent of
        batching (equal to the i-th child of ``SeedSequence(base_seed).spawn``)."""
        return [np.random.SeedSequence(entropy=self.base_seed, spawn_key=(i,)) for i in self.seeds]


@dataclass(frozen=True)
class ExperimentSpec:
    """A validated experiment spec (see the module docstring for the TOML layout)."""

    name: str
    episodes: int
    seeds: int
    environments: tuple[EnvironmentSpec, ...]
    algorithms: tuple[AlgorithmSpec, ...]
    description: str = ""
    base_seed: int = 0
    seed_batch: int | None = None
    checkpoints: CheckpointSpec = CheckpointSpec()
    imports: tuple[str, ...] = ()
    plots: PlotSpec = PlotSpec()

    def run_dict(self) -> dict[str, Any]:
        """Everything that determines the numbers (hashed into :attr:`hash`)."""
        return {
            "episodes": self.episodes,
            "seeds": self.seeds,
            "base_seed": self.base_seed,
            "seed_batch": self.batch_size,
            "checkpoints": list(self.checkpoints.resolve(self.episodes)),
            "imports": list(self.imports),
            "env": [e.to_dict() for e in self.environments],
            "algorithms": [a.to_dict() for a in self.algorithms],
        }

    def to_dict(self) -> dict[str, Any]:
        """The full spec as TOML-compatible data; :func:`spec_from_dict` inverts it."""
        out = {"name": self.name, "description": self.description, **self.run_dict()}
        out["checkpoints"] = self.checkpoints.to_dict()
        out["plots"] = self.plots.to_dict()
        return out

    @property
    def hash(self) -> str:
        """SHA-256 of :meth:`run_dict` (name, description and plot options do not change it)."""
        return _digest(self.run_dict())

    @property
    def batch_size(self) -> int:
        return self.seeds if self.seed_batch is None else min(self.seed_batch, self.seeds)

    def swept_env_params(self) -> list[str]:
        return sorted({n for e in self.environments for n in e.swept()})

    def with_overrides(
        self, *, seeds: int | None = None, episodes: int | None = None
    ) -> ExperimentSpec:
        """A copy with ``seeds`` and/or ``episodes`` replaced (command-line overrides)."""
        problems = []
        if seeds is not None and (isinstance(seeds, bool) or seeds < 1):
            problems.append(("--seeds", f"must be a positive integer, got {seeds}"))
        if episodes is not None and (isinstance(episodes, bool) or episodes < 1):
            problems.append(("--episodes", f"must be a positive integer, got {episodes}"))
        if problems:
            raise SpecError("command line", problems)
        return dataclasses.replace(
            self,
            seeds=self.seeds if seeds is None else seeds,
            episodes=self.episodes if episodes is None else episodes,
        )

    def cells(self) -> list[Cell]:
        """All cells: environment configurations × algorithm variants × seed batches."""
        checkpoints = self.checkpoints.resolve(self.episodes)
        batches = [
            tuple(range(start, min(start + self.batch_size, self.seeds)))
            for start in range(0, self.seeds, self.batch_size)
        ]
        cells = []
        for env in self.environments:
            for config in env.configurations():
                for algorithm in self.algorithms:
                    for label, params in algorithm.variants():
                        for seeds in batches:
                            cells.append(
                                Cell(
                                    config,
                                    algorithm.id,
                                    label,
                                    params,
                                    seeds,
                                    self.base_seed,
                                    self.episodes,
                                    checkpoints,
                                    self.imports,
                                )
                            )
        return cells


def _jsonable(params: Mapping[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}


def _digest(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def available_transforms() -> list[str]:
    """Names of the model transforms in :mod:`rltheory.envs.transforms` (empty if absent)."""
    try:
        from rltheory.envs.transforms import TRANSFORMS
    except ImportError:
        return []
    return sorted(TRANSFORMS)


def import_plugins(modules: Sequence[str]) -> None:
    """Import the modules a spec names (they register extra families or algorithms)."""
    for module in modules:
        importlib.import_module(module)


def load_spec(path: str | Path) -> ExperimentSpec:
    """Read and validate a TOML spec; raises :class:`SpecError` listing every located problem."""
    path = Path(path)
    if not path.is_file():
        raise SpecError(str(path), [("", "no such spec file")])
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise SpecError(str(path), [("", f"invalid TOML: {error}")]) from None
    return spec_from_dict(data, source=str(path), default_name=path.stem)


def spec_from_dict(
    data: Mapping[str, Any], *, source: str = "<spec>", default_name: str = "experiment"
) -> ExperimentSpec:
    """Validate parsed TOML data into an :class:`ExperimentSpec` (see :func:`load_spec`)."""
    return _Validator(source).spec(data, default_name)


class _Validator:
    """Collects located problems while building the spec's dataclasses."""

    def __init__(self, source: str):
        self.source = source
        self.problems: list[tuple[str, str]] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append((path, message))

    def keys(self, table: Any, path: str, allowed: Sequence[str], what: str) -> bool:
        if not isinstance(table, Mapping):
            self.fail(path, f"expected a table for {what}, got {type(table).__name__}")
            return False
        for key in table:
            if key not in allowed:
                self.fail(
                    f"{path}.{key}" if path else key,
                    f"unknown key '{key}' in {what}{did_you_mean(key, allowed)}; "
                    f"accepted: {', '.join(allowed)}",
                )
        return True

    def integer(self, data: Mapping[str, Any], key: str, default: Any, minimum: int) -> Any:
        value = data.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, f"expected an integer, got {type(value).__name__} {value!r}")
            return default
        if value < minimum:
            self.fail(key, f"must be >= {minimum}, got {value}")
            return default
        return value

    def spec(self, data: Mapping[str, Any], default_name: str) -> ExperimentSpec:
        self.keys(data, "", TOP_LEVEL_KEYS, "the spec")
        for key in ("episodes", "seeds", "env", "algorithms"):
            if key not in data:
                self.fail(key, "missing (required)")
        imports = self.imports(data.get("imports", []))
        episodes = self.integer(data, "episodes", 1, 1)
        seeds = self.integer(data, "seeds", 1, 1)
        base_seed = self.integer(data, "base_seed", 0, 0)
        seed_batch = self.integer(data, "seed_batch", None, 1)
        checkpoints = self.checkpoints(data.get("checkpoints", DEFAULT_CHECKPOINTS))
        plots = self.plots(data.get("plots", {}))
        environments = self.environments(data.get("env", []))
        algorithms = self.algorithms(data.get("algorithms", []))
        name = data.get("name", default_name)
        description = data.get("description", "")
        for key, value in (("name", name), ("description", description)):
            if not isinstance(value, str):
                self.fail(key, f"expected a string, got {type(value).__name__}")
        if not self.problems:
            self.structures(environments, algorithms, episodes)
        if self.problems:
            raise SpecError(self.source, self.problems)
        return ExperimentSpec(
            name=name,
            description=description,
            episodes=episodes,
            seeds=seeds,
            base_seed=base_seed,
            seed_batch=seed_batch,
            checkpoints=checkpoints,
            imports=imports,
            environments=tuple(environments),
            algorithms=tuple(algorithms),
            plots=plots,
        )

    def imports(self, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail("imports", "expected a list of module names")
            return ()
        for i, module in enumerate(value):
            try:
                importlib.import_module(module)
            except ImportError as error:
                self.fail(f"imports[{i}]", f"cannot import module '{module}': {error}")
        return tuple(value)

    def checkpoints(self, value: Any) -> CheckpointSpec:
        if isinstance(value, int) and not isinstance(value, bool):
            if value < 1:
                self.fail("checkpoints", f"must be >= 1, got {value}")
                return CheckpointSpec()
            return CheckpointSpec(count=value)
        if isinstance(value, list):
            if not value or not all(
                isinstance(k, int) and not isinstance(k, bool) and k >= 1 for k in value
            ):
                self.fail("checkpoints", "an explicit list must hold positive episode numbers")
                return CheckpointSpec()
            return CheckpointSpec(episodes=tuple(sorted(set(value))))
        if not self.keys(value, "checkpoints", CHECKPOINT_KEYS, "checkpoints"):
            return CheckpointSpec()
        spacing = value.get("spacing", "log")
        if spacing not in CHECKPOINT_SPACINGS:
            self.fail(
                "checkpoints.spacing",
                f"unknown spacing {spacing!r}{did_you_mean(str(spacing), CHECKPOINT_SPACINGS)}; "
                f"accepted: {', '.join(CHECKPOINT_SPACINGS)}",
            )
            spacing = "log"
        count = value.get("count", DEFAULT_CHECKPOINTS)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            self.fail("checkpoints.count", f"expected a positive integer, got {count!r}")
            count = DEFAULT_CHECKPOINTS
        return CheckpointSpec(spacing=spacing, count=count)

    def plots(self, value: Any) -> PlotSpec:
        if not self.keys(value, "plots", PLOT_KEYS, "plots"):
            return PlotSpec()
        defaults = PlotSpec()
        kinds = value.get("kinds", list(defaults.kinds))
        if not isinstance(kinds, list):
            self.fail("plots.kinds", "expected a list of plot kinds")
            kinds = list(defaults.kinds)
        for i, kind in enumerate(kinds):
            if kind not in PLOT_KINDS:
                self.fail(
                    f"plots.kinds[{i}]",
                    f"unknown plot kind {kind!r}{did_you_mean(str(kind), PLOT_KINDS)}; "
                    f"accepted: {', '.join(PLOT_KINDS)}",
                )
        options = {}
        for key, low, high in (("tail", 0.0, 1.0), ("confidence", 0.0, 1.0)):
            option = value.get(key, getattr(defaults, key))
            if isinstance(option, bool) or not isinstance(option, int | float):
                self.fail(f"plots.{key}", f"expected a number, got {type(option).__name__}")
            elif not low < option < high:
                self.fail(f"plots.{key}", f"must lie in ({low}, {high}), got {option}")
            else:
                options[key] = float(option)
        for key in ("resamples", "bootstrap_seed"):
            option = value.get(key, getattr(defaults, key))
            if isinstance(option, bool) or not isinstance(option, int) or option < 0:
                self.fail(f"plots.{key}", f"expected a non-negative integer, got {option!r}")
            else:
                options[key] = option
        return dataclasses.replace(
            defaults, kinds=tuple(k for k in kinds if k in PLOT_KINDS), **options
        )

    def environments(self, value: Any) -> list[EnvironmentSpec]:
        if isinstance(value, Mapping):
            tables = [("env", value)]
        elif isinstance(value, list) and value:
            tables = [(f"env[{i}]", table) for i, table in enumerate(value)]
        else:
            if value != []:
                self.fail("env", "expected a table [env] or an array of tables [[env]]")
            return []
        return [spec for spec in (self.environment(p, t) for p, t in tables) if spec]

    def environment(self, path: str, table: Any) -> EnvironmentSpec | None:
        if not self.keys(table, path, ENV_KEYS, "an environment"):
            return None
        env_id = table.get("id")
        if not isinstance(env_id, str):
            self.fail(f"{path}.id", "missing environment id (a string)")
            return None
        try:
            family = get_family(env_id)
        except UnknownEnvironmentError as error:
            self.fail(f"{path}.id", str(error))
            return None
        params = self.params(
            table.get("params", {}),
            f"{path}.params",
            family.defaults,
            {},
            f"environment '{env_id}'",
        )
        seeds = _as_sweep(table.get("seed", 0), 0)
        for seed in seeds:
            if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
                self.fail(f"{path}.seed", f"expected a non-negative integer, got {seed!r}")
        transforms = table.get("transforms", [])
        if not isinstance(transforms, list) or not all(isinstance(t, str) for t in transforms):
            self.fail(f"{path}.transforms", "expected a list of transform names")
            transforms = []
        else:
            known = available_transforms()
            for i, name in enumerate(transforms):
                if name not in known:
                    self.fail(
                        f"{path}.transforms[{i}]",
                        f"unknown transform '{name}'{did_you_mean(name, known)}; "
                        f"accepted: {', '.join(known) or '(none available)'}",
                    )
        return EnvironmentSpec(env_id, params, seeds, tuple(transforms))

    def algorithms(self, value: Any) -> list[AlgorithmSpec]:
        if not isinstance(value, list) or not value:
            if value != []:
                self.fail("algorithms", "expected an array of tables [[algorithms]]")
            return []
        specs = []
        for i, table in enumerate(value):
            spec = self.algorithm(f"algorithms[{i}]", table)
            if spec is not None:
                specs.append((i, spec))
        seen: dict[str, int] = {}
        for i, spec in specs:
            if spec.label in seen:
                self.fail(
                    f"algorithms[{i}].label",
                    f"label '{spec.label}' is already used by algorithms[{seen[spec.label]}]; "
                    "give each entry a distinct label",
                )
            seen.setdefault(spec.label, i)
        return [spec for _, spec in specs]

    def algorithm(self, path: str, table: Any) -> AlgorithmSpec | None:
        if not self.keys(table, path, ALGORITHM_KEYS, "an algorithm"):
            return None
        algo_id = table.get("id")
        if not isinstance(algo_id, str):
            self.fail(f"{path}.id", "missing algorithm id (a string)")
            return None
        try:
            entry = get_algorithm(algo_id)
        except UnknownAlgorithmError as error:
            self.fail(f"{path}.id", str(error))
            return None
        if entry.protocol not in SUPPORTED_PROTOCOLS:
            self.fail(
                f"{path}.id",
                f"algorithm '{algo_id}' follows the {entry.protocol} protocol; the runner "
                f"supports: {', '.join(SUPPORTED_PROTOCOLS)}",
            )
            return None
        label = table.get("label", algo_id)
        if not isinstance(label, str) or not label:
            self.fail(f"{path}.label", "expected a non-empty string")
            label = algo_id
        fields = dataclasses.fields(entry.config)
        defaults = {
            f.name: f.default if f.default is not dataclasses.MISSING else None for f in fields
        }
        try:
            hints = typing.get_type_hints(entry.config)
        except (NameError, TypeError):
            hints = {}
        params = self.params(
            table.get("params", {}), f"{path}.params", defaults, hints, f"algorithm '{algo_id}'"
        )
        spec = AlgorithmSpec(algo_id, label, params)
        for _, values in spec.variants():
            try:
                entry.make_config(**values)
            except (TypeError, ValueError) as error:
                self.fail(f"{path}.params", f"{error}")
                break
        return spec

    def params(
        self,
        table: Any,
        path: str,
        defaults: Mapping[str, Any],
        hints: Mapping[str, Any],
        what: str,
    ) -> dict[str, tuple[Any, ...]]:
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
            values = _as_sweep(raw, defaults[name])
            if not values:
                self.fail(f"{path}.{name}", "an empty list sweeps over nothing")
                continue
            for value in values:
                problem = _type_problem(value, defaults[name], hints.get(name))
                if problem:
                    self.fail(f"{path}.{name}", problem)
                    break
            else:
                params[name] = values
        return params

    def structures(
        self,
        environments: Sequence[EnvironmentSpec],
        algorithms: Sequence[AlgorithmSpec],
        episodes: int,
    ) -> None:
        """Build every environment configuration and check each algorithm's requirements."""
        single = len(environments) == 1
        for i, env in enumerate(environments):
            path = "env" if single else f"env[{i}]"
            for config in env.configurations():
                try:
                    model = config.build()
                except (TypeError, ValueError) as error:
                    self.fail(f"{path}.params", f"{config.describe()}: {error}")
                    continue
                for j, algorithm in enumerate(algorithms):
                    entry = get_algorithm(algorithm.id)
                    try:
                        entry.check_compatible(model, where=f"environment {config.describe()}")
                    except StructureMismatchError as error:
                        self.fail(f"algorithms[{j}].id", str(error))
