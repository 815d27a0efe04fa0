"""Tables inside the hand-written notes (``benchmarks/notes/*.md``), rendered from results JSON.

A notes file keeps its prose (commands, explanations) and marks where a measured table goes
with ``<!-- table: NAME.json -->``; :func:`render_notes` replaces each marker with the table
rendered from ``benchmarks/results/NAME.json``, so no measured figure is typed by hand.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from _harness import RESULTS

MARKER = re.compile(r"<!-- table: ([\w.-]+\.json) -->")
R2PVI_NAMES = {"R2PVI_TV": "R2PVI-TV", "R2PVI_KL": "R2PVI-KL", "R2PVI_xi2": "R2PVI-chi2",
               "DRVI_L": "DRVI-L"}  # fmt: skip


def r2pvi_vs_authors(doc: dict) -> list[str]:
    """One row per (case, algorithm): median times, median and min ratio, agreement, load."""
    lines = [
        "| case | algorithm | ours (s) | theirs (s) | ratio | agreement | load | date |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in doc["rows"]:
        case = f"put K={row['n']}, d={row['d']}"
        if row["env"] == "sim":
            case = f"simulated K={row['n']}"
        ours = sorted(row["ours_s"])[len(row["ours_s"]) // 2]
        theirs = sorted(row["theirs_s"])[len(row["theirs_s"]) // 2]
        agreement = row["policy_agreement"]
        lines.append(
            f"| {case} | {R2PVI_NAMES.get(row['algorithm'], row['algorithm'])} | {ours:.4f} | "
            f"{theirs:.3g} | {row['ratio_median']:.0f}x ({row['ratio_min']:.0f}x) | "
            f"{'n/a' if agreement is None else f'{agreement:.2f}'} | {row['load'][0]:.1f} | "
            f"{row['date']} |"
        )
    return lines


TABLES = {"r2pvi_vs_authors.json": r2pvi_vs_authors}


def render_notes(path: Path) -> str:
    """The notes file with every table marker replaced by its rendered table."""

    def table(match: re.Match) -> str:
        name = match.group(1)
        results = RESULTS / name
        if not results.exists():
            return f"No results file `{name}` yet."
        return "\n".join(TABLES[name](json.loads(results.read_text())))

    return MARKER.sub(table, path.read_text()).strip()
