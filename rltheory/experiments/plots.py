"""Figures of summarised results (matplotlib, no pyplot state): regret against episodes with
bootstrap bands and bounds, a log-log panel with fitted exponents, and regret against a swept
parameter. Inputs come from :mod:`rltheory.experiments.analysis`; nothing is recomputed here."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from rltheory.experiments.analysis import CurveSummary, RateSummary

FORMATS = ("png", "pdf")
LINESTYLES = {
    "upper": ("--", (0, (1, 1.5)), (0, (6, 2, 1, 2))),
    "lower": (":", (0, (3, 3))),
}
"""Dash patterns per bound kind; an algorithm's second (third) bound of a kind takes the next."""


def _save(figure: Figure, stem: Path) -> list[Path]:
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    for extension in FORMATS:
        path = stem.with_suffix(f".{extension}")
        figure.savefig(path, dpi=120)
        paths.append(path)
    return paths


def _exponent_text(exponent: str, proven: float | None) -> str:
    proven_text = "n/a" if proven is None or not np.isfinite(proven) else f"{proven:g}"
    return f"slope {exponent} (proven {proven_text})"


def regret_figure(
    summaries: Sequence[CurveSummary],
    title: str,
    stem: Path,
    kinds: Sequence[str],
    confidence: float,
    labels: tuple[str, str] = ("episode K", "cumulative pseudo-regret"),
) -> list[Path]:
    """The protocol's bounded metric against its axis (``labels`` = (x label, y label)) for the
    algorithms of one environment configuration: seed mean with its bootstrap band, each bound
    (paper constant or fitted, as labelled), and a log-log panel with the exponent fitted on the
    tail beside the proven one. Writes PNG and PDF at ``stem`` and returns their paths."""
    panels = [k for k in ("regret_vs_episodes", "loglog") if k in kinds]
    figure = Figure(figsize=(6.4 * len(panels), 7.2), layout="constrained")
    axes = figure.subplots(1, len(panels), squeeze=False)[0]
    colors = [f"C{i % 10}" for i in range(len(summaries))]
    for ax, panel in zip(axes, panels, strict=True):
        top = 0.0
        for color, curve in zip(colors, summaries, strict=True):
            label = f"{curve.label} ({curve.n_seeds} seeds)"
            if panel == "loglog":
                label = f"{curve.label}: " + _exponent_text(
                    curve.exponent.format(2), curve.proven_exponent
                )
            ax.plot(curve.x, curve.mean, color=color, label=label)
            ax.fill_between(curve.x, curve.low, curve.high, color=color, alpha=0.2, lw=0)
            top = max(top, float(np.nanmax(curve.high)))
            seen = {"upper": 0, "lower": 0}
            for bound in curve.bounds:
                styles = LINESTYLES[bound.bound.kind]
                ax.plot(
                    curve.x,
                    bound.values,
                    color=color,
                    linestyle=styles[seen[bound.bound.kind] % len(styles)],
                    label=f"{curve.label}: {bound.label}",
                )
                seen[bound.bound.kind] += 1
            if panel == "loglog" and np.isfinite(curve.exponent.estimate):
                tail = curve.x >= curve.tail_start
                k = curve.x[tail]
                anchor = np.exp(
                    np.mean(np.log(curve.mean[tail]) - curve.exponent.estimate * np.log(k))
                )
                ax.plot(
                    k,
                    anchor * k**curve.exponent.estimate,
                    color=color,
                    linestyle="-.",
                    alpha=0.6,
                    lw=1,
                )
        ax.set_xlabel(labels[0])
        if panel == "loglog":
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_title("log-log; slope fitted on the tail (dash-dot)")
        else:
            ax.set_ylim(bottom=0, top=1.3 * top if top > 0 else 1)
            ax.set_title(f"mean and {confidence:.0%} bootstrap band over seeds")
        ax.set_ylabel(labels[1])
        ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(0.0, -0.12))
    figure.suptitle(title, fontsize="medium")
    return _save(figure, stem)


def rate_figure(
    rates: Sequence[RateSummary],
    title: str,
    stem: Path,
    y_label: str = "cumulative pseudo-regret at the last episode",
) -> list[Path]:
    """The final bounded metric against a swept quantity (log-log) with bootstrap bands and the
    fitted exponent beside the proven one. Writes PNG and PDF at ``stem``."""
    figure = Figure(figsize=(6.4, 4.8), layout="constrained")
    ax = figure.subplots()
    for i, rate in enumerate(rates):
        color = f"C{i % 10}"
        name = rate.label if len({r.group for r in rates}) == 1 else f"{rate.label}, {rate.group}"
        ax.plot(
            rate.x,
            rate.mean,
            "o-",
            color=color,
            label=f"{name}: " + _exponent_text(rate.exponent.format(2), rate.proven),
        )
        ax.fill_between(rate.x, rate.low, rate.high, color=color, alpha=0.2, lw=0)
    ax.set_xscale("log")
    ax.set_yscale("log")
    quantity = rates[0].quantity if rates else ""
    ax.set_xlabel(quantity)
    ax.set_ylabel(y_label)
    ax.legend(fontsize="x-small")
    figure.suptitle(title, fontsize="medium")
    return _save(figure, stem)
