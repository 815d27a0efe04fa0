"""Experiment specs: TOML files validated into frozen dataclasses and expanded into cells.

A spec names one or more environments (``[env]`` or ``[[env]]``: family id, ``params``, instance
``seed``, optional ``transforms``), a list of algorithms (``[[algorithms]]``: id, ``params``,
optional ``label``), seeds, a base seed, plot options, and the keys of its protocol (for the
online protocol: ``episodes`` and ``checkpoints``). The protocol is the one the algorithms follow
(or the ``protocol`` key); each protocol declares its own keys (:mod:`rltheory.experiments.
protocols`). A list value of a parameter means "sweep this"; several swept parameters give their
product.

Validation (:mod:`rltheory.experiments.validation`) collects every located problem (file and key
path, e.g. ``algorithms[1].params.cc``) and raises them together as one :class:`SpecError`
before any work starts. The environment × algorithm structure pass
(:mod:`rltheory.experiments.compat`) builds every environment and is on by default when a spec
is loaded to be run, and off when results are read back.
"""

from __future__ import annotations

import dataclasses
import itertools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rltheory.experiments.cells import Cell, EnvironmentConfig, digest
from rltheory.experiments.checker import Checker
from rltheory.experiments.errors import SpecError
from rltheory.experiments.protocols import Protocol, get_protocol
from rltheory.experiments.protocols.base import ENV_PARAMS

PLOT_KINDS = ("regret_vs_episodes", "loglog", "bound_ratio", "regret_vs_param")
"""Figures: the metric against the protocol's axis, its log-log panel, its ratio to each
constant-free bound's shape, the final metric against a swept environment parameter (names kept
from the online protocol)."""


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
    """Which plots to make and how: exponents are fitted on axis points ``>= tail · x_max``;
    bands and intervals are ``confidence`` jackknife-t intervals over seeds
    (:mod:`rltheory.experiments.intervals`)."""

    kinds: tuple[str, ...] = PLOT_KINDS
    tail: float = 0.1
    confidence: float = 0.95

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "kinds": list(self.kinds)}


@dataclass(frozen=True)
class ExperimentSpec:
    """A validated experiment spec (see the module docstring for the TOML layout).

    ``settings`` are the protocol's canonical settings (its keys of the top-level table)."""

    name: str
    seeds: int
    environments: tuple[EnvironmentSpec, ...]
    algorithms: tuple[AlgorithmSpec, ...]
    protocol: str = "online"
    settings: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    base_seed: int = 0
    seed_batch: int | None = None
    imports: tuple[str, ...] = ()
    plots: PlotSpec = PlotSpec()

    @property
    def protocol_object(self) -> Protocol:
        return get_protocol(self.protocol)

    def points(self) -> list[dict[str, Any]]:
        """The protocol's run points (one per point of a sweep over its settings)."""
        return self.protocol_object.points(self.settings)

    def run_dict(self) -> dict[str, Any]:
        """Everything that determines the numbers (hashed into :attr:`hash`)."""
        return {
            "protocol": self.protocol,
            "points": self.points(),
            "seeds": self.seeds,
            "base_seed": self.base_seed,
            "seed_batch": self.batch_size,
            "imports": list(self.imports),
            "env": [e.to_dict() for e in self.environments],
            "algorithms": [a.to_dict() for a in self.algorithms],
        }

    def to_dict(self) -> dict[str, Any]:
        """The full spec as TOML-compatible data; :func:`spec_from_dict` inverts it."""
        return {
            "name": self.name,
            "description": self.description,
            "protocol": self.protocol,
            **self.settings,
            "seeds": self.seeds,
            "base_seed": self.base_seed,
            **({} if self.seed_batch is None else {"seed_batch": self.seed_batch}),
            "imports": list(self.imports),
            "env": [e.to_dict() for e in self.environments],
            "algorithms": [a.to_dict() for a in self.algorithms],
            "plots": self.plots.to_dict(),
        }

    @property
    def hash(self) -> str:
        """SHA-256 of :meth:`run_dict` (name, description and plot options do not change it)."""
        return digest(self.run_dict())

    @property
    def batch_size(self) -> int:
        return self.seeds if self.seed_batch is None else min(self.seed_batch, self.seeds)

    def swept_env_params(self) -> list[str]:
        return sorted({n for e in self.environments for n in e.swept()})

    def with_overrides(self, *, seeds: int | None = None, **settings: Any) -> ExperimentSpec:
        """A copy with ``seeds`` and/or protocol settings (e.g. ``episodes``) replaced
        (command-line overrides; None leaves a value as it is)."""
        check = Checker("command line")
        if seeds is not None and (isinstance(seeds, bool) or seeds < 1):
            check.fail("--seeds", f"must be a positive integer, got {seeds}")
        protocol = self.protocol_object
        changes = {k: v for k, v in settings.items() if v is not None}
        for key in changes:
            if key not in protocol.keys:
                check.fail(f"--{key}", f"the {protocol.name} protocol has no setting '{key}'")
        new = protocol.settings({**self.settings, **changes}, check) if changes else self.settings
        check.raise_if_any()
        return dataclasses.replace(self, seeds=self.seeds if seeds is None else seeds, settings=new)

    def cells(self) -> list[Cell]:
        """All cells: environment configurations × algorithm variants × run points × seed
        batches."""
        batches = [
            tuple(range(start, min(start + self.batch_size, self.seeds)))
            for start in range(0, self.seeds, self.batch_size)
        ]
        return [
            Cell(
                tied(config, point),
                algorithm.id,
                label,
                params,
                seeds,
                self.base_seed,
                self.protocol,
                point,
                self.imports,
            )
            for env in self.environments
            for config in env.configurations()
            for algorithm in self.algorithms
            for label, params in algorithm.variants()
            for point in self.points()
            for seeds in batches
        ]


def tied(config: EnvironmentConfig, point: dict[str, Any]) -> EnvironmentConfig:
    """``config`` with the environment parameters tied to the run ``point`` set (a point's
    ``env_params``, e.g. ``n_episodes = K`` for a K-dependent hard instance)."""
    overrides = point.get(ENV_PARAMS)
    if not overrides:
        return config
    return dataclasses.replace(config, params={**config.params, **overrides})


def load_spec(
    path: str | Path, *, check_structures: bool = True, max_memory: int | None = None
) -> ExperimentSpec:
    """Read and validate a TOML spec; raises :class:`SpecError` listing every located problem
    (``max_memory``: the per-cell memory limit in bytes, default the memory available)."""
    path = Path(path)
    if path.is_dir():
        raise SpecError(str(path), [("", "is a directory, not a spec file")])
    if not path.is_file():
        raise SpecError(str(path), [("", "no such spec file")])
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as error:
        raise SpecError(str(path), [("", f"not UTF-8 text: {error}")]) from None
    except tomllib.TOMLDecodeError as error:
        raise SpecError(str(path), [("", f"invalid TOML: {error}")]) from None
    return spec_from_dict(
        data,
        source=str(path),
        default_name=path.stem,
        check_structures=check_structures,
        max_memory=max_memory,
    )


def spec_from_dict(
    data: Mapping[str, Any],
    *,
    source: str = "<spec>",
    default_name: str = "experiment",
    check_structures: bool = True,
    max_memory: int | None = None,
) -> ExperimentSpec:
    """Validate parsed TOML data into an :class:`ExperimentSpec` (see :func:`load_spec`);
    ``check_structures`` also estimates every cell's memory (refusing what exceeds
    ``max_memory``) and then builds every environment and checks each algorithm against it."""
    from rltheory.experiments.validation import validate_spec

    return validate_spec(data, source, default_name, check_structures, max_memory)


__all__ = [
    "PLOT_KINDS",
    "AlgorithmSpec",
    "EnvironmentSpec",
    "ExperimentSpec",
    "PlotSpec",
    "load_spec",
    "spec_from_dict",
]
