"""The adversarial protocol: an oblivious loss sequence over fixed unknown dynamics.

K = the length of the environment's loss sequence (the ``n_episodes`` parameter of an adversarial
family). Before each episode the learner commits to ``pi_k``; every seed plays one episode under
``l^k``; at its end the learner receives that episode's feedback (``feedback = "bandit"``: the
trajectory and the losses along it; ``"full"``: also the whole loss table ``l^k``). Metric: the
exact regret at each checkpoint against the best fixed policy in hindsight of the prefix, and the
realized-loss regret beside it (:mod:`rltheory.experiments.adversarial_loop`).

Spec keys: ``checkpoints`` (as in the online protocol; episodes beyond K are an error at run
time, since K comes from the environment), ``feedback`` (``"bandit"``, default, or ``"full"``),
and ``monitor`` / ``monitor_stride`` as in the online protocol: the algorithm's proof event
(:mod:`rltheory.algos.monitors`) evaluated on the known dynamics at checkpoints, with no
``optimum`` (the losses change every episode), into the same ``monitor.<key>`` columns.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from rltheory.algos.protocols import AdversarialAlgorithm, Problem
from rltheory.experiments.adversarial_loop import (
    FEEDBACKS,
    AdversarialRun,
    adversarial_problem,
    run_adversarial,
)
from rltheory.experiments.checker import Checker
from rltheory.experiments.loops import seed_generators
from rltheory.experiments.protocols import Axis, Job, Metric, Protocol, register_protocol
from rltheory.experiments.protocols.base import SEED, WALL_TIME, with_steps
from rltheory.experiments.protocols.online import (
    DEFAULT_CHECKPOINTS,
    EPISODE,
    MONITOR_COLUMNS,
    MonitorRecorder,
    checkpoint_setting,
    monitor_settings,
    resolve_checkpoints,
)

REGRET = "regret"
REALIZED_REGRET = "realized_regret"
MIXTURE_DIM = "run.mixture_dim"
DEFINITION = (
    "regret sum_{j<=k} V^{j,pi_j}_1 - min_pi sum_{j<=k} V^{j,pi}_1 of the policies played in "
    "episodes 1..k against the best fixed policy in hindsight of that prefix (one minimizing "
    "backward induction on the prefix-summed losses), computed exactly on the known model; "
    "per-step losses in [0,1], so at most H per episode"
)


@register_protocol
class AdversarialProtocol(Protocol):
    """Oblivious adversarial losses with bandit or full-information feedback, no delay."""

    name = "adversarial"
    summary = "oblivious adversarial losses; exact regret vs the best fixed policy in hindsight"
    learner = AdversarialAlgorithm
    requires = frozenset({"adversarial"})
    keys: ClassVar[tuple[str, ...]] = ("checkpoints", "feedback", "monitor", "monitor_stride")
    axis = Axis(EPISODE, "K", "episode K")
    metric = Metric(
        name="adversarial_regret",
        column=REGRET,
        cumulative=None,
        label="regret vs best fixed policy",
        definition=DEFINITION,
    )
    columns: ClassVar[dict[str, str]] = {
        REGRET: "exact regret of the prefix 1..episode (already cumulative; see the definition)",
        REALIZED_REGRET: "sum of the sampled trajectory losses of episodes 1..episode minus the "
        "same comparator (for reference; not what bounds bound)",
        WALL_TIME: "seconds since the cell's learner started, when the checkpoint was reached",
        EPISODE: "1-based episode index k of the checkpoint",
        MIXTURE_DIM: "dimension d of the linear-mixture basis, when the kernel has one",
        **MONITOR_COLUMNS,
    }

    def settings(self, data: Mapping[str, Any], check: Checker) -> dict[str, Any]:
        checkpoints = checkpoint_setting(data.get("checkpoints", DEFAULT_CHECKPOINTS), check, None)
        feedback = data.get("feedback", "bandit")
        if check.choice(feedback, "feedback", FEEDBACKS, "feedback") is None:
            feedback = "bandit"
        return {"checkpoints": checkpoints, "feedback": feedback, **monitor_settings(data, check)}

    def problem(self, job: Job) -> Problem:
        return adversarial_problem(job.model)

    def delays(self, job: Job) -> np.ndarray | None:
        """The delay sequence the loop applies: none for this protocol."""
        return None

    def play(
        self, job: Job
    ) -> tuple[AdversarialRun, np.ndarray, np.ndarray, MonitorRecorder | None]:
        """Run the loop; ``(run, 1-based checkpoint episodes, wall time at each, the monitor's
        recorder or None)``."""
        n_episodes = job.model.n_episodes
        points = np.asarray(resolve_checkpoints(job.settings["checkpoints"], n_episodes))
        if points.max() > n_episodes:
            raise ValueError(
                f"checkpoints {points[points > n_episodes].tolist()} lie beyond the last episode "
                f"K = {n_episodes} of the environment's loss sequence"
            )
        env_rngs, algo_rngs = seed_generators(job.seeds)
        start = time.perf_counter()
        learner = job.entry.cls(self.problem(job), job.config, algo_rngs)
        elapsed = np.empty(n_episodes)
        watch = MonitorRecorder.for_job(job, len(job.seeds), points.tolist(), job.model.dynamics)

        def clock(k: int) -> None:
            elapsed[k] = time.perf_counter() - start
            if watch is not None:
                watch(k + 1, learner)
            if job.progress is not None:
                job.progress(k + 1, n_episodes)

        run = run_adversarial(
            job.model,
            learner,
            env_rngs,
            feedback=job.settings["feedback"],
            delays=self.delays(job),
            checkpoints=points - 1,
            callback=clock,
        )
        return run, points, elapsed[points - 1], watch

    def run(self, job: Job) -> pd.DataFrame:
        return self._frame(job, *self.play(job))

    def _frame(
        self,
        job: Job,
        run: AdversarialRun,
        points: np.ndarray,
        elapsed: np.ndarray,
        watch: MonitorRecorder | None,
    ) -> pd.DataFrame:
        n_seeds = len(job.seeds)
        frame = pd.DataFrame(
            {
                SEED: np.repeat(np.asarray(job.seed_ids, dtype=np.int64), points.size),
                EPISODE: np.tile(points, n_seeds).astype(np.int64),
                REGRET: run.regret.ravel(),
                REALIZED_REGRET: run.realized_regret.ravel(),
                WALL_TIME: np.tile(elapsed, n_seeds),
            }
        )
        if watch is not None:
            frame = frame.assign(**watch.columns())
        basis = job.model.dynamics.mixture_basis
        if basis is not None:
            frame[MIXTURE_DIM] = float(basis.shape[-1])
        return frame

    def quantities(self, x: np.ndarray, params: Mapping[str, Any]) -> dict[str, Any]:
        """``K`` at the axis, and ``T = K H`` steps when H is known."""
        return with_steps(super().quantities(x, params))

    def conformance(self):
        from rltheory.testing.adversarial_checks import ADVERSARIAL_CHECKS

        return ADVERSARIAL_CHECKS
