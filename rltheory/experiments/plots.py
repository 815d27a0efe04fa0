"""Figures of summarised results (matplotlib, no pyplot state): regret against episodes with
jackknife-t bands and bounds, a log-log panel with fitted exponents, and regret against a swept
parameter. Inputs come from :mod:`rltheory.experiments.analysis`; nothing is recomputed here."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from rltheory.experiments.analysis import CurveSummary
from rltheory.experiments.rates import RateSummary

FORMATS = ("png", "pdf")
LINESTYLES = {
    "upper": ("--", (0, (1, 1.5)), (0, (6, 2, 1, 2))),
    "lower": (":", (0, (3, 3))),
}
"""Dash patterns per bound kind; an algorithm's second (third) bound of a kind takes the next."""


def save_figure(figure: Figure, stem: Path) -> list[Path]:
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    for extension in FORMATS:
        path = stem.with_suffix(f".{extension}")
        figure.savefig(path, dpi=120)
        paths.append(path)
    return paths


def _exponent_text(summary: CurveSummary | RateSummary) -> str:
    """Measured slope beside the main bound's slope over the same points and its leading
    exponent, naming the theorem (and saying when the model's assumptions void it)."""
    proven = summary.proven if isinstance(summary, RateSummary) else summary.proven_exponent
    exponent, local = summary.exponent.format(2), summary.bound_slope
    if proven is None:
        return f"slope {exponent} (no bound)"
    here = "" if local is None or not np.isfinite(local) else f"slope here {local:.2f}, "
    void = f"; void: model violates {summary.voided}" if summary.voided else ""
    return f"slope {exponent} ({summary.bound_name}: {here}leading {proven:g}{void})"


def regret_figure(
    summaries: Sequence[CurveSummary],
    title: str,
    stem: Path,
    kinds: Sequence[str],
    confidence: float,
    labels: tuple[str, str] = ("episode K", "cumulative pseudo-regret"),
) -> list[Path]:
    """The protocol's bounded metric against its axis (``labels`` = (x label, y label)) for the
    algorithms of one environment configuration: seed mean with its jackknife-t band and the
    (1 - p)-quantile over seeds (what a high-probability bound bounds); each bound with a stated
    constant (the axis is clipped to the data: an off-scale bound is marked by an arrow with its
    level at the last point); a log-log panel with the exponent fitted on the tail (dash-dot,
    extended over the whole axis so it shows where the data leave it) beside the proven one; and
    a ratio panel, the mean over each constant-free bound's shape (flat ⇔ the rate matches; it
    replaces drawing a shape with a fitted constant through the data).
    Writes PNG and PDF at ``stem``."""
    ratios = any(curve.ratios for curve in summaries)
    panels = [
        k
        for k in ("regret_vs_episodes", "loglog", "bound_ratio")
        if k in kinds and (ratios or k != "bound_ratio")
    ]
    figure = Figure(figsize=(6.4 * len(panels), 7.6), layout="constrained")
    axes = figure.subplots(1, len(panels), squeeze=False)[0]
    colors = [f"C{i % 10}" for i in range(len(summaries))]
    for ax, panel in zip(axes, panels, strict=True):
        if panel == "bound_ratio":
            _ratio_panel(ax, summaries, colors, labels[0])
            continue
        log = panel == "loglog"
        data = np.concatenate([np.r_[c.high, c.quantile] for c in summaries])
        low, top = _data_range(data, log)
        marked = 0
        for color, curve in zip(colors, summaries, strict=True):
            _curve(ax, curve, color, log)
            seen = {"upper": 0, "lower": 0}
            for bound in curve.bounds:
                styles = LINESTYLES[bound.bound.kind]
                style = styles[seen[bound.bound.kind] % len(styles)]
                seen[bound.bound.kind] += 1
                ax.plot(
                    curve.x,
                    bound.values,
                    color=color,
                    linestyle=style,
                    label=f"{curve.label}: {bound.short_label}",
                )
                if bound.values[-1] > top:  # off the clipped axis: mark its level
                    marked += 1
                    ax.annotate(
                        f"↑ {bound.bound.theorem}: {bound.values[-1]:.3g} at "
                        f"{curve.quantity} = {curve.x[-1]:g}",
                        xy=(curve.x[-1], top),
                        xytext=(0.97, 1.0 - 0.06 * marked),
                        textcoords="axes fraction",
                        ha="right",
                        va="top",
                        fontsize="x-small",
                        color=color,
                        arrowprops={"arrowstyle": "->", "color": color},
                    )
        ax.set_xlabel(labels[0])
        ax.set_ylabel(labels[1])
        if log:
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_title("log-log; tail fit (dash-dot) extended over the whole axis")
        else:
            ax.set_title(f"mean, {confidence:.0%} Student-t band; dotted: (1-p)-quantile")
        ax.set_ylim(low, top)
        ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(0.0, -0.12))
    figure.suptitle(title, fontsize="medium")
    return save_figure(figure, stem)


def _data_range(data: np.ndarray, log: bool) -> tuple[float, float]:
    """Axis limits that show the data (bounds far above it do not flatten it)."""
    finite = data[np.isfinite(data)]
    top = float(finite.max()) if finite.size else 1.0
    if not log:
        return 0.0, 1.3 * top if top > 0 else 1.0
    positive = finite[finite > 0]
    bottom = float(positive.min()) / 2 if positive.size else 1e-3
    return bottom, 3.0 * top if top > 0 else 1.0


def _curve(ax, curve: CurveSummary, color: str, log: bool) -> None:
    """Mean, band and (1-p)-quantile of one curve; on the log-log panel also its tail fit."""
    label = f"{curve.label} ({curve.n_seeds} seeds)"
    if log:
        label = f"{curve.label}: " + _exponent_text(curve)
    ax.plot(curve.x, curve.mean, color=color, label=label)
    ax.fill_between(curve.x, curve.low, curve.high, color=color, alpha=0.2, lw=0)
    if curve.quantile is not None:
        ax.plot(
            curve.x,
            curve.quantile,
            color=color,
            linestyle=":",
            lw=1,
            label=f"{curve.label}: {curve.quantile_level:g}-quantile over "
            f"{curve.n_seeds} seeds"
            + (
                " (= the max: too few seeds)"
                if curve.n_seeds < 1 / (1 - curve.quantile_level)
                else ""
            ),
        )
    if log and np.isfinite(curve.exponent.estimate):
        tail = curve.x >= curve.tail_start
        slope = curve.exponent.estimate
        anchor = np.exp(np.mean(np.log(curve.mean[tail]) - slope * np.log(curve.x[tail])))
        ax.plot(curve.x, anchor * curve.x**slope, color=color, linestyle="-.", lw=1.6)


def _ratio_panel(ax, summaries: Sequence[CurveSummary], colors: Sequence[str], x_label: str):
    """Mean over each constant-free bound's shape, scaled to 1 on the tail (log x)."""
    for color, curve in zip(colors, summaries, strict=True):
        for i, ratio in enumerate(curve.ratios):
            ax.plot(
                curve.x,
                ratio.ratio,
                color=color,
                linestyle=("-", "--", ":")[i % 3],
                label=f"{curve.label}: {ratio.label}",
            )
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(x_label)
    ax.set_ylabel("mean / (C × bound shape), C fitted on the tail")
    ax.set_title("ratio to the bound's shape: flat ⇔ the rate matches")
    ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(0.0, -0.12))


def rate_figure(
    rates: Sequence[RateSummary],
    title: str,
    stem: Path,
    y_label: str = "cumulative pseudo-regret at the last episode",
) -> list[Path]:
    """The final bounded metric against a swept quantity (log-log) with jackknife-t bands and the
    fitted exponent beside the proven one. Writes PNG and PDF at ``stem``."""
    figure = Figure(figsize=(7.2, 6.0), layout="constrained")
    ax = figure.subplots()
    for i, rate in enumerate(rates):
        color = f"C{i % 10}"
        name = rate.label if len({r.group for r in rates}) == 1 else f"{rate.label}, {rate.group}"
        ax.plot(
            rate.x,
            rate.mean,
            "o-",
            color=color,
            label=textwrap.fill(f"{name}: " + _exponent_text(rate), 90),
        )
        ax.fill_between(rate.x, rate.low, rate.high, color=color, alpha=0.2, lw=0)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())
    quantity = rates[0].quantity if rates else ""
    ax.set_xlabel(quantity)
    ax.set_ylabel(y_label)
    ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(0.0, -0.12))
    figure.suptitle(title, fontsize="medium")
    return save_figure(figure, stem)
