"""The protocol interface: what a setting declares so that the runner can drive it unnamed.

A protocol is the runner-side half of a learning setting (the learner-side half is its base
class in :mod:`rltheory.algos.protocols`). One object per protocol, registered by
:func:`rltheory.experiments.protocols.register_protocol`, declares

- ``keys``: the top-level spec keys it accepts, validated by :meth:`Protocol.settings` into a
  canonical, JSON-able mapping that validates again to itself (manifests round-trip);
- ``learner``: the base class its algorithms derive from, and :meth:`Protocol.problem`, the
  learner's view of the environment (only what the setting reveals);
- ``requires``: the structure tags it needs from every environment;
- :meth:`Protocol.run`: its interaction loop, a cell in and a tidy frame out, every metric
  computed exactly on the model;
- ``metric`` and ``columns``: its metric columns with their definitions (written into the
  manifest), and ``axis``: the x-axis of its curves (episode K, round t, dataset size N, ...);
- :meth:`Protocol.quantities`: the named quantities bounds are functions of, along that axis;
- :meth:`Protocol.conformance`: checks every algorithm of the protocol must pass.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from rltheory.algos.protocols import Problem

if TYPE_CHECKING:
    from rltheory.algos.registry import AlgorithmEntry
    from rltheory.experiments.checker import Checker

SEED = "seed"
ENV_PARAMS = "env_params"
"""Key of a run point holding environment parameters tied to it (e.g. ``{"n_episodes": K}``):
the cell expansion sets them on every environment configuration of that point."""
WALL_TIME = "wall_time"


@dataclass(frozen=True)
class Axis:
    """The x-axis of a protocol's curves: tidy ``column``, the bound ``quantity`` it is (a name
    bounds are functions of, e.g. ``"K"``) and the plot ``label``."""

    column: str
    quantity: str
    label: str


@dataclass(frozen=True)
class Metric:
    """The metric a protocol's bounds are held against.

    ``name`` is the value of the ``metric`` column; ``column`` holds the metric at each point of
    the axis and ``cumulative`` its running sum where bounds bound the sum (regret), else None
    (bounds then bound ``column`` itself, e.g. suboptimality or parameter error); ``label`` is the
    plot's y-axis label; ``definition`` the exact definition written into the manifest.
    """

    name: str
    column: str
    cumulative: str | None
    label: str
    definition: str

    @property
    def bounded(self) -> str:
        """The column bounds and fitted exponents refer to."""
        return self.cumulative or self.column


@dataclass(frozen=True)
class Job:
    """One cell as its protocol sees it: the exact ``model``, the registry ``entry`` and
    ``config`` of the algorithm, one ``SeedSequence`` per seed (``seed_ids`` are the spec's seed
    indices, for the ``seed`` column) and the cell's run point ``settings``."""

    model: Any
    entry: AlgorithmEntry
    config: Any
    seeds: Sequence[np.random.SeedSequence]
    seed_ids: Sequence[int]
    settings: Mapping[str, Any]
    progress: Callable[[int, int], None] | None = None


Check = Callable[["AlgorithmEntry"], None]
"""A conformance check: raises AssertionError when the algorithm breaks the protocol's contract."""


class Protocol(ABC):
    """Base class of protocol objects (one instance registered per protocol)."""

    name: ClassVar[str]
    summary: ClassVar[str]
    learner: ClassVar[type]
    axis: ClassVar[Axis]
    metric: ClassVar[Metric]
    columns: ClassVar[Mapping[str, str]]
    keys: ClassVar[tuple[str, ...]]
    requires: ClassVar[frozenset[str]] = frozenset()
    unit: ClassVar[str] = "steps"
    """What :meth:`steps` counts and ``Job.progress`` reports (episodes, rounds, ...)."""

    @abstractmethod
    def settings(self, data: Mapping[str, Any], check: Checker) -> dict[str, Any]:
        """Validate this protocol's keys of the spec's top-level table (problems go to
        ``check.fail`` with their key path) into canonical JSON-able settings."""

    def points(self, settings: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The run points of a spec's settings (one per point of a sweep over them), each the
        ``settings`` of one cell's :class:`Job`. Default: the settings themselves."""
        return [dict(settings)]

    def steps(self, point: Mapping[str, Any]) -> int | None:
        """How many :attr:`unit` a cell at run point ``point`` goes through (its progress total;
        None when unknown before it runs)."""
        return None

    def memory(self, point: Mapping[str, Any], n_seeds: int, size: Any) -> int:
        """Bytes of this protocol's own arrays for one cell of ``n_seeds`` seeds at ``point`` on a
        model of ``size`` (:class:`rltheory.experiments.memory.ModelSize`). Default: four float
        arrays ``[B, steps]``."""
        return 4 * 8 * n_seeds * (self.steps(point) or 1)

    def problem(self, job: Job) -> Problem:
        """The learner's view of ``job.model`` (default: sizes, features, rewards; the model
        itself only for algorithms requiring ``"model"``)."""
        return Problem.from_model(
            job.model,
            job.settings.get("episodes", 0),
            reveal_model="model" in job.entry.requires,
        )

    @abstractmethod
    def run(self, job: Job) -> pd.DataFrame:
        """Run the cell: a frame with columns ``seed``, ``axis.column``, the metric columns and
        ``wall_time`` (plus any per-row diagnostics), one row per seed and axis point."""

    def quantities(self, x: np.ndarray, params: Mapping[str, Any]) -> dict[str, Any]:
        """Named quantities at the axis values ``x`` for bounds: ``params`` (model sizes,
        hyperparameters run) plus the axis quantity. Protocols add derived ones (T = K H)."""
        return {**params, self.axis.quantity: np.asarray(x, dtype=float)}

    def conformance(self) -> tuple[Check, ...]:
        """Checks every algorithm of this protocol gets in the conformance suite."""
        return ()

    def describe(self) -> dict[str, Any]:
        """What the manifest records about the protocol."""
        return {
            "name": self.name,
            "summary": self.summary,
            "axis": {"column": self.axis.column, "quantity": self.axis.quantity},
            "metric": {
                "name": self.metric.name,
                "column": self.metric.column,
                "cumulative": self.metric.cumulative,
                "definition": self.metric.definition,
            },
            "columns": dict(self.columns),
        }


def with_steps(q: dict[str, Any]) -> dict[str, Any]:
    """``q`` with the step count ``T = K H`` added where episodes ``K`` and ``H`` are known (the
    episodic protocols' quantities)."""
    if "K" in q and "H" in q:
        q["T"] = np.asarray(q["K"], dtype=float) * float(q["H"])
    return q
