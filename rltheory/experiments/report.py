"""``rltheory report DIR``: figures (PNG and PDF) and Markdown/HTML tables from a results
directory, after checking that every cell file belongs to the manifest's spec."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from rltheory.experiments import results as R
from rltheory.experiments.analysis import CurveSummary, summarize
from rltheory.experiments.monitoring import (
    constants_by_curve,
    lemma_lines,
    monitor_figure,
    monitor_summaries,
    monitor_table,
)
from rltheory.experiments.plots import rate_figure, regret_figure
from rltheory.experiments.protocols import Protocol
from rltheory.experiments.rates import RateSummary, episode_rates, rates

REPORT_DIR = "report"
MONITOR_TEXT = (
    "Each theorem holds on an event (a concentration inequality at every episode, step, state "
    "and action simultaneously) of probability at least 1 - p; it is evaluated exactly on the "
    "model at the monitored checkpoints, for the learner's state after the episodes so far. "
    "'Fraction of seeds' counts the seeds in which it held at every monitored checkpoint, with "
    "an exact binomial (Clopper-Pearson) interval; at the theory constants it must reach 1 - p, "
    "at tuned constants no probability is guaranteed.",
)


@dataclass(frozen=True)
class Report:
    """Paths written by :func:`make_report` and the tables it contains."""

    figures: list[Path]
    markdown: Path
    html: Path
    summary: pd.DataFrame
    rates: pd.DataFrame
    missing_cells: int
    monitors: pd.DataFrame
    skipped_cells: tuple[tuple[str, str], ...] = ()


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:80]


def summary_table(
    summaries: Sequence[CurveSummary], constants: Mapping[tuple[str, str], str] | None = None
) -> pd.DataFrame:
    """One row per (setting, label): the constants run, measured exponent ± CI beside the main
    bound's local slope over the same window (log factors included) and its leading exponent,
    final value ± CI, compute time, and the bounds drawn (or why not)."""
    rows = []
    for s in summaries:
        proven = s.proven_exponent
        rows.append(
            {
                "setting": s.setting,
                "algorithm": s.algorithm,
                "label": s.label,
                "constants": (constants or {}).get((s.setting, s.label), "-"),
                "seeds": s.n_seeds,
                s.quantity: int(s.x[-1]),
                "measured exponent [CI]": s.exponent.format(3),
                f"fit from {s.quantity}": s.tail_start,
                "bound's local slope (same window)": _number(s.bound_slope, s.voided),
                "bound's leading exponent": "n/a" if proven is None else f"{proven:g}",
                "final value [CI]": s.final.format(4),
                "final (1-p)-quantile over seeds": _quantile(s),
                "time (s)": f"{s.seconds:.3g}",
                "bounds": "; ".join(
                    [b.label for b in s.bounds]
                    + [f"ratio panel: {r.label}" for r in s.ratios]
                    + [f"not drawn: {m}" for m in s.skipped_bounds]
                )
                or "none known",
            }
        )
    return pd.DataFrame(rows)


def rate_table(rate_summaries: Sequence[RateSummary]) -> pd.DataFrame:
    """One row per swept parameter and curve: exponent of final regret in that quantity."""
    rows = []
    for r in rate_summaries:
        rows.append(
            {
                "parameter": r.parameter,
                "quantity": r.quantity,
                "other settings": r.group,
                "label": r.label,
                "values": ", ".join(f"{v:g}" for v in r.x),
                "measured exponent [CI]": r.exponent.format(3),
                "bound's slope over the same values": _number(r.bound_slope, r.voided),
                "bound's leading exponent": "n/a" if r.proven is None else f"{r.proven:g}",
            }
        )
    return pd.DataFrame(rows)


def _quantile(s: CurveSummary) -> str:
    """The last point's ``quantile_level`` quantile over seeds, with the level and seed count
    (a high-probability bound bounds this, not the mean)."""
    if s.quantile is None:
        return "n/a"
    few = " = max, too few seeds" if s.n_seeds < 1 / (1 - s.quantile_level) else ""
    return f"{s.quantile[-1]:.4g} ({s.quantile_level:g}, {s.n_seeds} seeds{few})"


def _number(value: float | None, voided: str = "") -> str:
    text = "n/a" if value is None or not pd.notna(value) else f"{value:.3g}"
    return f"{text} (void: model violates {voided})" if voided else text


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table (``|`` in cells escaped)."""
    if frame.empty:
        return "(none)\n"

    def cell(value: object) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = [
        "| " + " | ".join(cell(c) for c in frame.columns) + " |",
        "|" + "---|" * len(frame.columns),
    ]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(False)]
    return "\n".join(lines) + "\n"


def make_report(directory: str | Path) -> Report:
    """Load ``directory`` (refusing stale or mismatched files), summarise every curve, draw the
    figures the spec asks for and write ``report/summary.md`` and ``report/summary.html``."""
    directory = Path(directory)
    frame, manifest, spec = R.load_results(directory)
    protocol = spec.protocol_object
    options = spec.plots
    confidence = options.confidence
    summaries = summarize(frame, protocol, tail=options.tail, confidence=confidence)
    swept = spec.swept_env_params()
    wanted = "regret_vs_param" in options.kinds
    rate_summaries = rates(frame, protocol, swept, confidence=confidence) if wanted else []
    if isinstance(spec.settings.get("episodes"), list):  # a minimax-rate sweep over K
        tied = list(spec.settings.get("tie", {}))
        rate_summaries += episode_rates(frame, protocol, tied, confidence=confidence)
        swept = [*swept, "episodes"]
    monitors = monitor_summaries(frame, protocol.axis.column, confidence)
    labels = (protocol.axis.label, protocol.metric.label)
    out = directory / REPORT_DIR
    figures: list[Path] = []
    if {"regret_vs_episodes", "loglog", "bound_ratio"} & set(options.kinds):
        for setting in dict.fromkeys(s.setting for s in summaries):
            group = [s for s in summaries if s.setting == setting]
            figures += regret_figure(
                group,
                f"{spec.name}: {setting}",
                out / f"regret-{_slug(setting)}",
                options.kinds,
                confidence,
                labels,
            )
    for setting in dict.fromkeys(m.setting for m in monitors):
        figures += monitor_figure(
            [m for m in monitors if m.setting == setting],
            f"{spec.name}: proof events, {setting}",
            out / f"monitor-{_slug(setting)}",
            protocol.axis.label,
        )
    for parameter in swept:
        chosen = [r for r in rate_summaries if r.parameter == parameter]
        if chosen:
            figures += rate_figure(
                chosen,
                f"{spec.name}: {protocol.metric.label} vs {chosen[0].quantity}",
                out / f"rate-{_slug(parameter)}",
                f"{protocol.metric.label} at the last {protocol.axis.label}",
            )
    summary = summary_table(summaries, constants_by_curve(frame))
    rate_frame = rate_table(rate_summaries)
    monitor_frame = monitor_table(monitors)
    missing = int(frame.attrs.get("missing_cells", 0))
    markdown_path, html_path = out / "summary.md", out / "summary.html"
    skipped = tuple(frame.attrs.get("skipped_cells", ()))
    header = _header(manifest, protocol, missing, options.tail, frame.attrs.get("provenance", {}))
    header += [f"SKIPPED {name}: {reason}; re-run to recompute it." for name, reason in skipped]
    markdown = "\n".join(
        [
            f"# {spec.name}",
            "",
            *header,
            "",
            f"## {protocol.metric.label.capitalize()} against {protocol.axis.label}",
            "",
            markdown_table(summary),
            "## Rates in swept parameters",
            "",
            markdown_table(rate_frame),
            "## Proof events (monitors)",
            "",
            *MONITOR_TEXT,
            *lemma_lines(monitors),
            "",
            markdown_table(monitor_frame),
            "## Figures",
            "",
            *[f"![{p.stem}]({p.name})" for p in figures if p.suffix == ".png"],
            "",
        ]
    )
    R.atomic_write(markdown_path, lambda tmp: tmp.write_text(markdown))
    body = "".join(f"<p>{html.escape(line)}</p>\n" for line in header)
    images = "".join(
        f'<p><img src="{p.name}" style="max-width:100%"></p>\n'
        for p in figures
        if p.suffix == ".png"
    )
    page = (
        f"<!doctype html>\n<html><head><meta charset='utf-8'><link rel='icon' href='data:,'>"
        f"<title>{html.escape(spec.name)}"
        f"</title></head><body>\n<h1>{html.escape(spec.name)}</h1>\n{body}"
        f"<h2>{html.escape(protocol.metric.label.capitalize())} against "
        f"{html.escape(protocol.axis.label)}</h2>\n{summary.to_html(index=False)}\n"
        f"<h2>Rates in swept parameters</h2>\n{rate_frame.to_html(index=False)}\n"
        f"<h2>Proof events (monitors)</h2>\n<p>{html.escape(' '.join(MONITOR_TEXT))}</p>\n"
        f"{monitor_frame.to_html(index=False)}\n{images}"
        "</body></html>\n"
    )
    R.atomic_write(html_path, lambda tmp: tmp.write_text(page))
    return Report(
        figures, markdown_path, html_path, summary, rate_frame, missing, monitor_frame, skipped
    )


def _header(
    manifest: dict, protocol: Protocol, missing: int, tail: float, origins: dict[str, int]
) -> list[str]:
    metrics = manifest.get("metrics", {})
    x = protocol.axis.quantity
    lines = [
        f"Spec hash {manifest['spec_hash'][:12]}, {protocol.name} protocol, "
        f"run {manifest.get('started')} to {manifest.get('finished') or '(unfinished)'} "
        f"on {manifest.get('host', {}).get('hostname')}.",
        "Computed by: "
        + "; ".join(f"{origin} ({n} cell(s))" for origin, n in origins.items())
        + ".",
        *[f"Metric {k}: {v['definition']}." for k, v in metrics.items()],
        f"Exponents: least-squares slope of log mean {protocol.metric.label} vs log {x} on "
        f"{x} >= {tail:g} {x}_max (rates: vs the swept quantity at the last point); intervals "
        "are jackknife-t intervals over seeds (leave one seed out; Student-t for the mean).",
    ]
    if missing:
        lines.append(f"WARNING: {missing} cell(s) of the spec have not finished; re-run to resume.")
    return lines
