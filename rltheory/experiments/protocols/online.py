"""The online episodic protocol (Jin et al. 2020, §2): K episodes; before each the learner
commits to ``pi_k``, the environment rolls it out once per seed and the learner receives the
trajectories. Metric: the exact pseudo-regret ``V*_1(s_1^k) - V^{pi_k}_1(s_1^k)`` of every
episode, computed on the model by backward induction, never from sampled returns.

Spec keys: ``episodes`` (K, or a list of K values: one run per K, a minimax-rate sweep) and
``checkpoints`` (a count of log-spaced points, a table ``{spacing = "log" | "linear", count = N}``,
or an explicit list of episodes; the last episode K is always logged); ``tie`` (a table
``{<env parameter> = "episodes"}``: that parameter of every environment is set to each run's K,
for K-dependent hard instances such as ``zgs-hard``'s ``n_episodes``); ``monitor`` (default true:
evaluate the algorithm's proof event, :mod:`rltheory.algos.monitors`, on the model at
checkpoints) and ``monitor_stride`` (evaluate at every n-th checkpoint and the last; default 1).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from rltheory.algos.protocols import OnlineAlgorithm
from rltheory.envs.assumptions import check_assumptions
from rltheory.experiments.loops import run_online, seed_generators
from rltheory.experiments.protocols import Axis, Job, Metric, Protocol, register_protocol
from rltheory.experiments.protocols.base import ENV_PARAMS, SEED, WALL_TIME, with_steps

__all__ = [
    "BETA_RUN",
    "CUMULATIVE_REGRET",
    "EPISODE",
    "MONITOR_PREFIX",
    "REGRET",
    "SEED",
    "WALL_TIME",
    "OnlineProtocol",
]
from rltheory.experiments.checker import Checker
from rltheory.mdp import optimal

EPISODE = "episode"
REGRET = "regret"
CUMULATIVE_REGRET = "cumulative_regret"
BETA_RUN = "run.beta"
MONITOR_PREFIX = "monitor."
VIOLATED = "assumptions.violated"
TIEABLE = ("episodes",)
"""Settings an environment parameter can be tied to (``tie = {n_episodes = "episodes"}``)."""
CHECKPOINT_KEYS = ("spacing", "count")
CHECKPOINT_SPACINGS = ("log", "linear")
DEFAULT_CHECKPOINTS = 40


def resolve_checkpoints(checkpoints: Any, n_episodes: int) -> list[int]:
    """Sorted 1-based checkpoint episodes in ``[1, K]``, always ending with K, from the
    canonical ``checkpoints`` setting (an explicit list, or ``{"spacing", "count"}``)."""
    if isinstance(checkpoints, list):
        points = np.array(checkpoints, dtype=np.int64)
    elif checkpoints["spacing"] == "log":
        points = np.rint(np.geomspace(1, n_episodes, checkpoints["count"])).astype(np.int64)
    else:
        points = np.rint(np.linspace(1, n_episodes, checkpoints["count"])).astype(np.int64)
    return [int(k) for k in np.unique(np.append(points, n_episodes))]


def checkpoint_setting(value: Any, check: Checker, n_episodes: int | None) -> Any:
    """The canonical checkpoint setting of a spec value (problems located at
    ``checkpoints``): a sorted list of distinct episodes in [1, K], or
    ``{"spacing", "count"}``."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            check.fail("checkpoints", f"must be >= 1, got {value}")
        return {"spacing": "log", "count": max(int(value), 1)}
    if isinstance(value, list):
        if not value or not all(
            isinstance(k, int) and not isinstance(k, bool) and k >= 1 for k in value
        ):
            check.fail("checkpoints", "an explicit list must hold positive episode numbers")
            return {"spacing": "log", "count": DEFAULT_CHECKPOINTS}
        late = sorted(k for k in value if n_episodes is not None and k > n_episodes)
        if late:
            check.fail(
                "checkpoints", f"episodes {late} lie beyond the last episode K = {n_episodes}"
            )
        return sorted(set(value))
    if not check.keys(value, "checkpoints", CHECKPOINT_KEYS, "checkpoints"):
        return {"spacing": "log", "count": DEFAULT_CHECKPOINTS}
    spacing = value.get("spacing", "log")
    if check.choice(spacing, "checkpoints.spacing", CHECKPOINT_SPACINGS, "spacing") is None:
        spacing = "log"
    count = value.get("count", DEFAULT_CHECKPOINTS)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        check.fail("checkpoints.count", f"expected a positive integer, got {count!r}")
        count = DEFAULT_CHECKPOINTS
    return {"spacing": spacing, "count": count}


def episodes_setting(value: Any, check: Checker) -> int | list[int]:
    """K as an integer, or a sorted list of distinct K values (a sweep, located at
    ``episodes``)."""
    if isinstance(value, list):
        if not value or not all(isinstance(k, int) and not isinstance(k, bool) for k in value):
            check.fail("episodes", f"a sweep must be a list of positive integers, got {value!r}")
            return 1
        if min(value) < 1:
            check.fail("episodes", f"must be >= 1, got {min(value)}")
        values = sorted(set(value))
        return values if len(values) > 1 else values[0]
    return check.integer({"episodes": value}, "episodes", 1, 1)


def tie_setting(value: Any, check: Checker) -> dict[str, str]:
    """``{env parameter: setting}`` of the ``tie`` table (each setting one of :data:`TIEABLE`);
    whether every environment takes the parameter is checked with the environments
    (:func:`rltheory.experiments.compat.check_compatibility`)."""
    if not isinstance(value, Mapping):
        check.fail("tie", f'expected a table {{<env parameter> = "episodes"}}, got {value!r}')
        return {}
    out = {}
    for name, source in value.items():
        if check.choice(source, f"tie.{name}", TIEABLE, "setting to tie to") is not None:
            out[str(name)] = source
    return out


def monitor_settings(data: Mapping[str, Any], check: Checker) -> dict[str, Any]:
    """The ``monitor`` (bool, default true) and ``monitor_stride`` (>= 1, default 1) settings."""
    monitor = data.get("monitor", True)
    if not isinstance(monitor, bool):
        check.fail("monitor", f"expected true or false, got {monitor!r}")
        monitor = True
    return {"monitor": monitor, "monitor_stride": check.integer(data, "monitor_stride", 1, 1)}


class MonitorRecorder:
    """Evaluates a job's proof-event monitor at its monitored checkpoints: ``values[key]`` is
    ``[B, n_checkpoints]``, NaN where not evaluated (every ``monitor_stride``-th checkpoint
    and the last are). One ``solve(model)`` per run (the monitor's ``optimum``; None without
    ``solve``), one monitor call per monitored checkpoint. Shared by the online and the
    adversarial protocols."""

    def __init__(
        self,
        monitor: Any,
        model: Any,
        optimum: Any,
        checkpoints: Sequence[int],
        n_seeds: int,
        stride: int,
    ):
        checkpoints = list(checkpoints)
        watched = set(checkpoints[stride - 1 :: stride]) | {checkpoints[-1]}
        self.position = {k: i for i, k in enumerate(checkpoints) if k in watched}
        self.model, self.monitor, self.optimum = model, monitor, optimum
        self.shape = (n_seeds, len(checkpoints))
        self.values: dict[str, np.ndarray] = {}

    @classmethod
    def for_job(
        cls,
        job: Job,
        n_seeds: int,
        checkpoints: Sequence[int],
        model: Any,
        solve: Callable[[Any], Any] | None = None,
    ) -> MonitorRecorder | None:
        """A recorder of ``model`` (what the monitor sees) when the algorithm declares a monitor
        and the run point monitors (``monitor`` not false, ``monitor_stride`` >= 1)."""
        stride = int(job.settings.get("monitor_stride", 1))
        monitor = getattr(job.entry, "monitor", None)
        if monitor is None or stride < 1 or not job.settings.get("monitor", True):
            return None
        optimum = None if solve is None else solve(model)
        return cls(monitor, model, optimum, checkpoints, n_seeds, stride)

    def __call__(self, episode: int, learner: Any) -> None:
        """Record the monitor for ``learner``'s state after ``episode`` episodes (nothing when
        the monitor does not apply to this model and learner)."""
        if episode not in self.position:
            return
        applies = self.monitor.applies
        if applies is not None and not applies(self.model, learner):
            return
        for key, value in self.monitor.evaluate(self.model, learner, self.optimum).items():
            column = self.values.setdefault(key, np.full(self.shape, np.nan))
            column[:, self.position[episode]] = value

    def columns(self) -> dict[str, np.ndarray]:
        """``{monitor.<key>: values [B * n_checkpoints]}`` (seed-major, like the tidy frame)."""
        return {MONITOR_PREFIX + key: values.ravel() for key, values in self.values.items()}


MONITOR_COLUMNS = {
    MONITOR_PREFIX + "event": "1 if the algorithm's proof event (its Monitor's lemma) held at "
    "every (h, s, a) for the learner's state after the episodes up to the checkpoint, else 0; "
    "NaN where not monitored",
    MONITOR_PREFIX + "fail_fraction": "fraction of the (h, s, a) where the event failed",
    MONITOR_PREFIX + "worst_ratio": "max over (h, s, a) of |deviation| / confidence radius "
    "(the event holds iff <= 1)",
    MONITOR_PREFIX + "optimism": "1 if the optimism (or pessimism) the proof derives from the "
    "event held, else 0",
}
"""Descriptions of the monitor columns (:data:`rltheory.algos.monitors.KEYS`) for the manifest."""


@register_protocol
class OnlineProtocol(Protocol):
    """Online episodic RL with stochastic transitions and fixed mean rewards."""

    name = "online"
    summary = "K episodes of play; exact per-episode pseudo-regret against V*"
    learner = OnlineAlgorithm
    requires = frozenset({"finite-horizon"})
    keys = ("episodes", "checkpoints", "tie", "monitor", "monitor_stride")
    unit = "episodes"
    axis = Axis(EPISODE, "K", "episode K")
    metric = Metric(
        name="pseudo_regret",
        column=REGRET,
        cumulative=CUMULATIVE_REGRET,
        label="cumulative pseudo-regret",
        definition=(
            "pseudo-regret V*_1(s_1^k) - V^{pi_k}_1(s_1^k) of the policy played in episode k, at "
            "the realized initial state, computed exactly by backward induction on the known "
            "model, in the model's reward units (per-step rewards in [0,1], so at most H per "
            "episode)"
        ),
    )
    columns: ClassVar[dict[str, str]] = {
        REGRET: "the metric of the episode at the checkpoint (one episode, not averaged)",
        CUMULATIVE_REGRET: "sum of the metric over episodes 1..episode",
        WALL_TIME: "seconds since the cell's learner started, when the checkpoint was reached "
        "(one learner runs all seeds of a cell)",
        EPISODE: "1-based episode index k of the checkpoint",
        BETA_RUN: "the bonus scale beta the learner used, where it exposes one",
        VIOLATED: "ids of the theorems' normalisations the model violates, comma-separated "
        "(rltheory.envs.assumptions; empty when all hold)",
        **MONITOR_COLUMNS,
    }

    def settings(self, data: Mapping[str, Any], check: Checker) -> dict[str, Any]:
        if "episodes" not in data:
            check.fail("episodes", "missing (required)")
        episodes = episodes_setting(data.get("episodes", 1), check)
        largest = max(episodes) if isinstance(episodes, list) else episodes
        checkpoints = checkpoint_setting(
            data.get("checkpoints", DEFAULT_CHECKPOINTS), check, largest
        )
        return {
            "episodes": episodes,
            "checkpoints": checkpoints,
            "tie": tie_setting(data.get("tie", {}), check),
            **monitor_settings(data, check),
        }

    def points(self, settings: Mapping[str, Any]) -> list[dict[str, Any]]:
        """One point per K (``episodes`` a list: a sweep); tied environment parameters go into
        the point's ``env_params`` (:data:`rltheory.experiments.protocols.base.ENV_PARAMS`)."""
        sweep = settings["episodes"]
        points = []
        for episodes in sweep if isinstance(sweep, list) else [sweep]:
            checkpoints = settings["checkpoints"]
            if isinstance(checkpoints, list):
                checkpoints = [k for k in checkpoints if k <= episodes]
            point = {
                "episodes": episodes,
                "checkpoints": resolve_checkpoints(checkpoints, episodes),
                "monitor_stride": settings.get("monitor_stride", 1)
                if settings.get("monitor", True)
                else 0,
            }
            tie = settings.get("tie", {})
            if tie:
                point[ENV_PARAMS] = {name: point[source] for name, source in tie.items()}
            points.append(point)
        return points

    def steps(self, point: Mapping[str, Any]) -> int:
        return int(point["episodes"])

    def memory(self, point: Mapping[str, Any], n_seeds: int, size: Any) -> int:
        """Regret, returns and initial states ``[B, K]``, the clock ``[K]``, the tidy frame, and
        the exact evaluation of B policies (``[B, H, S, A]`` values and policies, ``V*``)."""
        k, points = int(point["episodes"]), len(point["checkpoints"])
        arrays = 3 * n_seeds * k + k + 8 * n_seeds * points
        evaluation = 3 * n_seeds * size.H * size.S * size.A + 2 * size.H * size.S * size.A
        return 8 * (arrays + evaluation)

    def run(self, job: Job) -> pd.DataFrame:
        n_episodes = int(job.settings["episodes"])
        env_rngs, algo_rngs = seed_generators(job.seeds)
        start = time.perf_counter()
        algorithm = job.entry.cls(self.problem(job), job.config, algo_rngs)
        elapsed = np.empty(n_episodes)

        def clock(k: int, _algorithm: Any) -> None:
            elapsed[k] = time.perf_counter() - start
            if job.progress is not None:
                job.progress(k + 1, n_episodes)

        index = np.asarray(job.settings["checkpoints"]) - 1
        n_seeds, n_points = len(job.seeds), index.size
        watch = MonitorRecorder.for_job(
            job, n_seeds, job.settings["checkpoints"], job.model, optimal
        )

        def checkpoint(k: int, learner: Any) -> None:
            clock(k, learner)
            if watch is not None:
                watch(k + 1, learner)

        run = run_online(job.model, algorithm, n_episodes, env_rngs, callback=checkpoint)
        frame = pd.DataFrame(
            {
                SEED: np.repeat(np.asarray(job.seed_ids, dtype=np.int64), n_points),
                EPISODE: np.tile(index + 1, n_seeds).astype(np.int64),
                REGRET: run.regret[:, index].ravel(),
                CUMULATIVE_REGRET: run.cumulative_regret[:, index].ravel(),
                WALL_TIME: np.tile(elapsed[index], n_seeds),
            }
        )
        if watch is not None:
            frame = frame.assign(**watch.columns())
        frame[VIOLATED] = ",".join(sorted(check_assumptions(job.model)))
        beta = getattr(algorithm, "beta", None)
        if beta is not None:
            beta = np.asarray(beta, dtype=float)
            if beta.size == 1:
                frame[BETA_RUN] = float(beta.ravel()[0])  # a [1] array (one seed) too
            elif beta.shape == (n_seeds,):
                frame[BETA_RUN] = np.repeat(beta, n_points)
        return frame

    def quantities(self, x: np.ndarray, params: Mapping[str, Any]) -> dict[str, Any]:
        """``K`` at the axis, and ``T = K H`` steps when H is known."""
        return with_steps(super().quantities(x, params))

    def conformance(self):
        from rltheory.testing.online_checks import ALGORITHM_CHECKS

        return ALGORITHM_CHECKS
