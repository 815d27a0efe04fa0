"""Proof-event monitors in the report: how often the event a regret proof conditions on held.

Reads the ``monitor.*`` columns the online and adversarial protocols write
(:mod:`rltheory.algos.monitors`).
A theorem's statement is "with probability at least 1 - p the event holds at every k, h, s, a
simultaneously", so the headline statistic is the fraction of seeds in which the event held at
every monitored checkpoint, with an exact (Clopper–Pearson) binomial interval, held against
``1 - p``; the per-checkpoint rate (over seeds and checkpoints) is given beside it. Runs at the
monitor's theory constants must reach ``1 - p``; runs at tuned constants show how often the
hypothesis fails while regret is lower.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

from rltheory.algos import get as get_algorithm
from rltheory.algos.monitors import Monitor
from rltheory.experiments import results as R
from rltheory.experiments.intervals import Interval
from rltheory.experiments.plots import save_figure
from rltheory.experiments.protocols.base import SEED

PREFIX = "monitor."
EVENT, OPTIMISM, RATIO, FAILED = (
    PREFIX + k for k in ("event", "optimism", "worst_ratio", "fail_fraction")
)


def binomial_interval(successes: int, trials: int, confidence: float) -> Interval:
    """Fraction ``successes / trials`` with its exact Clopper–Pearson interval."""
    if trials == 0:
        return Interval(np.nan)
    ci = stats.binomtest(successes, trials).proportion_ci(confidence, method="exact")
    return Interval(successes / trials, float(ci.low), float(ci.high))


def at_theory_constants(monitor: Monitor, params: Mapping[str, Any]) -> tuple[bool, str]:
    """Whether a run with config ``params`` (names without prefix) used the monitor's theory
    constants, and the constants run as text (``"theory (c=1)"``, ``"tuned (c=0.03)"``)."""
    run, theory = [], True
    for name, expected in monitor.theory.items():
        value = params.get(name)
        unset = value is None or (isinstance(value, float) and np.isnan(value))
        theory &= unset if expected is None else (not unset and float(value) == float(expected))
        if not unset:
            run.append(f"{name}={value:g}" if isinstance(value, int | float) else f"{name}={value}")
    return theory, ("theory" if theory else "tuned") + (f" ({', '.join(run)})" if run else "")


def config_values(rows: pd.DataFrame) -> dict[str, Any]:
    """The algorithm config of one curve's rows (``algo.<name>`` columns, names unprefixed)."""
    first = rows.iloc[0]
    return {c.removeprefix(R.ALGO_PREFIX): first[c] for c in rows if c.startswith(R.ALGO_PREFIX)}


def constants_by_curve(frame: pd.DataFrame) -> dict[tuple[str, str], str]:
    """``(setting, label) -> constants run`` for curves of algorithms declaring a monitor."""
    out = {}
    for (setting, label), rows in frame.groupby([R.SETTING, R.LABEL], sort=True):
        monitor = get_algorithm(str(rows[R.ALGORITHM].iloc[0])).monitor
        if monitor is not None:
            out[setting, label] = at_theory_constants(monitor, config_values(rows))[1]
    return out


@dataclass(frozen=True)
class MonitorSummary:
    """The monitor columns of one curve (setting, label)."""

    setting: str
    label: str
    algorithm: str
    lemma: str
    theory: bool
    event_uses_constants: bool
    constants: str
    target: float | None
    n_seeds: int
    x: np.ndarray
    held_all: Interval
    optimism_all: Interval
    per_checkpoint: float
    rate: np.ndarray
    optimism_rate: np.ndarray
    ratio_median: np.ndarray
    ratio_max: np.ndarray
    fail_fraction_final: float

    @property
    def verdict(self) -> str:
        """The measured fraction against ``1 - p`` where the lemma guarantees it (its interval
        reaches ``1 - p``: consistent), else how often the hypothesis failed."""
        if self.target is None or not np.isfinite(self.held_all.estimate):
            return "n/a"
        failed = 1 - self.held_all.estimate
        if not self.theory and self.event_uses_constants:
            return f"tuned constants: no guarantee (event failed in {failed:.0%} of seeds)"
        verdict = "consistent with" if self.held_all.high >= self.target else "BELOW"
        text = f"event {verdict} >= 1-p = {self.target:g}"
        if not self.theory:
            optimism = 1 - self.optimism_all.estimate
            text += (
                f" (the event does not use the constants); tuned constants: optimism not "
                f"guaranteed (failed in {optimism:.0%} of seeds)"
            )
        return text


def monitor_summaries(frame: pd.DataFrame, axis: str, confidence: float) -> list[MonitorSummary]:
    """One :class:`MonitorSummary` per (setting, label) whose rows carry monitor columns."""
    if EVENT not in frame:
        return []
    out = []
    for (setting, label), rows in frame.groupby([R.SETTING, R.LABEL], sort=True):
        rows = rows[rows[EVENT].notna()]
        if rows.empty:
            continue
        algorithm = str(rows[R.ALGORITHM].iloc[0])
        monitor = get_algorithm(algorithm).monitor
        if monitor is None:
            continue
        theory, constants = at_theory_constants(monitor, config_values(rows))
        p = rows.iloc[0].get(R.ALGO_PREFIX + monitor.probability)
        target = None if p is None or pd.isna(p) else 1.0 - float(p)
        event = _pivot(rows, axis, EVENT)
        optimism = _pivot(rows, axis, OPTIMISM)
        ratio = _pivot(rows, axis, RATIO)
        n_seeds = event.shape[0]
        held = int(np.all(event == 1.0, axis=1).sum())
        optimistic = int(np.all(optimism == 1.0, axis=1).sum())
        out.append(
            MonitorSummary(
                setting,
                label,
                algorithm,
                monitor.lemma,
                theory,
                monitor.event_uses_constants,
                constants,
                target,
                n_seeds,
                event.columns.to_numpy(),
                binomial_interval(held, n_seeds, confidence),
                binomial_interval(optimistic, n_seeds, confidence),
                float(event.to_numpy().mean()),
                event.to_numpy().mean(axis=0),
                optimism.to_numpy().mean(axis=0),
                np.median(ratio.to_numpy(), axis=0),
                ratio.to_numpy().max(axis=0),
                float(_pivot(rows, axis, FAILED).to_numpy()[:, -1].mean()),
            )
        )
    return out


def _pivot(rows: pd.DataFrame, axis: str, column: str) -> pd.DataFrame:
    return rows.pivot_table(index=SEED, columns=axis, values=column, aggfunc="first")


def monitor_table(summaries: Sequence[MonitorSummary]) -> pd.DataFrame:
    """One row per curve: the event, the constants run, the fraction of seeds in which it held at
    every monitored checkpoint [binomial CI] against 1 - p, the per-checkpoint rate, optimism."""
    rows = []
    for m in summaries:
        rows.append(
            {
                "setting": m.setting,
                "label": m.label,
                "constants": m.constants,
                "seeds": m.n_seeds,
                "checkpoints": m.x.size,
                "event held at every checkpoint: fraction of seeds [CI]": m.held_all.format(3),
                "target 1-p": "n/a" if m.target is None else f"{m.target:g}",
                "per-checkpoint rate": f"{m.per_checkpoint:.3g}",
                "optimism at every checkpoint [CI]": m.optimism_all.format(3),
                "worst |dev|/radius": f"{np.nanmax(m.ratio_max):.3g}",
                "failed (h,s,a) at last checkpoint": f"{m.fail_fraction_final:.3g}",
                "verdict": m.verdict,
            }
        )
    return pd.DataFrame(rows)


def monitor_figure(
    summaries: Sequence[MonitorSummary], title: str, stem: Path, x_label: str
) -> list[Path]:
    """Per checkpoint: the fraction of seeds in which the event held (solid) and optimism held
    (dashed), against 1 - p (dotted); and the worst normalised deviation (median over seeds,
    max dotted) against the radius 1, log scale."""
    figure = Figure(figsize=(12.8, 5.4), layout="constrained")
    left, right = figure.subplots(1, 2)
    for i, m in enumerate(summaries):
        color = f"C{i % 10}"
        name = f"{m.label} [{m.constants}]"
        left.plot(m.x, m.rate, color=color, label=f"{name}: event")
        left.plot(m.x, m.optimism_rate, color=color, linestyle="--", label=f"{name}: optimism")
        if m.target is not None:
            left.axhline(m.target, color=color, linestyle=":", lw=1)
        finite = np.isfinite(m.ratio_median) & (m.ratio_median > 0)
        right.plot(m.x[finite], m.ratio_median[finite], color=color, label=name)
        top = np.isfinite(m.ratio_max) & (m.ratio_max > 0)
        right.plot(m.x[top], m.ratio_max[top], color=color, linestyle=":", lw=1)
    right.axhline(1.0, color="k", lw=0.8)
    right.annotate(
        "radius (event holds below)",
        (0.01, 1.0),
        xycoords=("axes fraction", "data"),
        fontsize="x-small",
        va="bottom",
    )
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_xlabel(x_label)
    left.set_ylim(-0.03, 1.05)
    left.set_ylabel("fraction of seeds (dotted: 1 - p)")
    left.set_title("proof event and optimism held at the checkpoint")
    right.set_yscale("log")
    right.set_ylabel("max over (h,s,a) of |deviation| / radius")
    right.set_title("worst normalised deviation (median over seeds; max dotted)")
    left.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(0.0, -0.12))
    right.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(0.0, -0.12))
    lemmas = "\n".join(
        textwrap.shorten(f"{a}: {lemma}", 190) for a, lemma in lemma_map(summaries).items()
    )
    figure.suptitle(f"{title}\n{lemmas}", fontsize="x-small")
    return save_figure(figure, stem)


def lemma_lines(summaries: Sequence[MonitorSummary]) -> list[str]:
    """One line per distinct monitored event (algorithm: lemma)."""
    return [f"- `{algorithm}`: {lemma}." for algorithm, lemma in lemma_map(summaries).items()]


def lemma_map(summaries: Sequence[MonitorSummary]) -> dict[str, str]:
    """``algorithm -> lemma`` of the monitored curves, in order."""
    return {m.algorithm: m.lemma for m in summaries}
