"""The online episodic protocol (Jin et al. 2020, §2): K episodes; before each the learner
commits to ``pi_k``, the environment rolls it out once per seed and the learner receives the
trajectories. Metric: the exact pseudo-regret ``V*_1(s_1^k) - V^{pi_k}_1(s_1^k)`` of every
episode, computed on the model by backward induction, never from sampled returns.

Spec keys: ``episodes`` (K) and ``checkpoints`` (a count of log-spaced points, a table
``{spacing = "log" | "linear", count = N}``, or an explicit list of episodes; the last episode K
is always logged).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from rltheory.algos.protocols import OnlineAlgorithm
from rltheory.experiments.loops import run_online, seed_generators
from rltheory.experiments.protocols import Axis, Job, Metric, Protocol, register_protocol
from rltheory.experiments.protocols.base import SEED, WALL_TIME

__all__ = [
    "BETA_RUN",
    "CUMULATIVE_REGRET",
    "EPISODE",
    "REGRET",
    "SEED",
    "WALL_TIME",
    "OnlineProtocol",
]
from rltheory.experiments.checker import Checker

EPISODE = "episode"
REGRET = "regret"
CUMULATIVE_REGRET = "cumulative_regret"
BETA_RUN = "run.beta"
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


@register_protocol
class OnlineProtocol(Protocol):
    """Online episodic RL with stochastic transitions and fixed mean rewards."""

    name = "online"
    summary = "K episodes of play; exact per-episode pseudo-regret against V*"
    learner = OnlineAlgorithm
    requires = frozenset({"finite-horizon"})
    keys = ("episodes", "checkpoints")
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
    }

    def settings(self, data: Mapping[str, Any], check: Checker) -> dict[str, Any]:
        if "episodes" not in data:
            check.fail("episodes", "missing (required)")
        episodes = check.integer(data, "episodes", 1, 1)
        checkpoints = checkpoint_setting(
            data.get("checkpoints", DEFAULT_CHECKPOINTS), check, episodes
        )
        return {"episodes": episodes, "checkpoints": checkpoints}

    def points(self, settings: Mapping[str, Any]) -> list[dict[str, Any]]:
        episodes = settings["episodes"]
        return [
            {
                "episodes": episodes,
                "checkpoints": resolve_checkpoints(settings["checkpoints"], episodes),
            }
        ]

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

        run = run_online(job.model, algorithm, n_episodes, env_rngs, callback=clock)
        index = np.asarray(job.settings["checkpoints"]) - 1
        n_seeds, n_points = len(job.seeds), index.size
        frame = pd.DataFrame(
            {
                SEED: np.repeat(np.asarray(job.seed_ids, dtype=np.int64), n_points),
                EPISODE: np.tile(index + 1, n_seeds).astype(np.int64),
                REGRET: run.regret[:, index].ravel(),
                CUMULATIVE_REGRET: run.cumulative_regret[:, index].ravel(),
                WALL_TIME: np.tile(elapsed[index], n_seeds),
            }
        )
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
        out = super().quantities(x, params)
        if "H" in params:
            out["T"] = out["K"] * float(params["H"])
        return out

    def conformance(self):
        from rltheory.testing.checks import ALGORITHM_CHECKS

        return ALGORITHM_CHECKS
