"""The delayed-feedback protocol: the adversarial protocol with oblivious delays (either feedback).

The environment carries the delay sequence (``delays [K]``, the ``delayed-adversarial`` family):
drawn from the environment seed, shared by every seed of a batch, never shown to the learner.
The feedback of episode k arrives at the end of episode ``k + d_k``, several items may arrive at
once and those due after episode K never arrive (Jin et al. 2022; Lancewicki, Rosenberg,
Sotnikov 2023). Metric as in the adversarial protocol; the frame adds the delay incurred by each
checkpoint, ``delay_incurred = D_k = sum_{j<=k} min(d_j, k - j)``, and per cell ``run.D`` (total
delay ``D = sum_k d_k``) and ``run.D_K`` (delay incurred within the run).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from rltheory.experiments.protocols import Job, Metric, register_protocol
from rltheory.experiments.protocols.adversarial import DEFINITION, REGRET, AdversarialProtocol

DELAY_INCURRED = "delay_incurred"
TOTAL_DELAY = "run.D"
INCURRED_DELAY = "run.D_K"


@register_protocol
class DelayedProtocol(AdversarialProtocol):
    """Adversarial losses whose feedback arrives with oblivious, unknown delays."""

    name = "delayed"
    summary = "adversarial losses with delayed feedback; exact regret vs the best fixed policy"
    requires = frozenset({"adversarial", "delayed"})
    metric = Metric(
        name="delayed_regret",
        column=REGRET,
        cumulative=None,
        label="regret vs best fixed policy",
        definition=DEFINITION + "; the feedback of episode k arrives at the end of episode "
        "k + d_k (never, if that is after episode K)",
    )
    columns: ClassVar[dict[str, str]] = {
        **AdversarialProtocol.columns,
        DELAY_INCURRED: "delay incurred by the checkpoint: D_k = sum_{j<=k} min(d_j, k - j)",
        TOTAL_DELAY: "total delay D = sum_k d_k of the environment's delay sequence",
        INCURRED_DELAY: "delay incurred within the run, D_K = sum_k min(d_k, K - k)",
    }

    def delays(self, job: Job) -> np.ndarray | None:
        return job.model.delays

    def run(self, job: Job) -> pd.DataFrame:
        run, *played = self.play(job)
        frame = self._frame(job, run, *played)
        frame[DELAY_INCURRED] = np.tile(run.incurred_at, len(job.seeds)).astype(np.int64)
        frame[TOTAL_DELAY] = float(run.total_delay)
        frame[INCURRED_DELAY] = float(run.incurred_delay)
        return frame

    def quantities(self, x: np.ndarray, params: Mapping[str, Any]) -> dict[str, Any]:
        """``K``, ``T = K H``, and ``D`` = the delay incurred within the run (``run.D_K``)."""
        out = super().quantities(x, params)
        if "D_K" in params:
            out["D"] = float(params["D_K"])
        return out
