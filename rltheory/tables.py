"""Result tables for a terminal: every line fits :data:`WIDTH` columns (long cells are cut with
``…``; the full tables are in the report's ``summary.md`` and ``summary.html``)."""

from __future__ import annotations

import textwrap

import pandas as pd

WIDTH = 100
MIN_COLUMN = 8


def fit(frame: pd.DataFrame, width: int = WIDTH) -> list[str]:
    """The lines of ``frame`` as a left-aligned text table at most ``width`` characters wide:
    the widest columns are cut first, none below :data:`MIN_COLUMN` characters."""
    columns = [str(c) for c in frame.columns]
    cells = [[str(v) for v in row] for row in frame.itertuples(index=False)]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    while sum(widths) + 2 * (len(widths) - 1) > width and max(widths) > MIN_COLUMN:
        widest = widths.index(max(widths))
        widths[widest] -= 1

    def cut(text: str, n: int) -> str:
        return text if len(text) <= n else text[: n - 1] + "…"

    def line(values: list[str]) -> str:
        return "  ".join(cut(v, n).ljust(n) for v, n in zip(values, widths, strict=True)).rstrip()

    return [line(columns), *(line(r) for r in cells)]


def print_summary(summary: pd.DataFrame, width: int = WIDTH) -> None:
    """The report's summary table: one block per setting, the bounds drawn listed below it."""
    if summary.empty:
        print("(no curves)")
        return
    hidden = {"setting", "algorithm", "bounds"}
    for setting, group in summary.groupby("setting", sort=False):
        for text in textwrap.wrap(str(setting), width):
            print(text)
        shown = group[[c for c in group.columns if c not in hidden]]
        for text in fit(shown, width - 2):
            print("  " + text)
        for label, bounds in zip(group["label"], group["bounds"], strict=True):
            for text in textwrap.wrap(
                f"bounds of {label}: {bounds}", width, initial_indent="  ", subsequent_indent="    "
            ):
                print(text)
        print()


def print_rates(rates: pd.DataFrame, width: int = WIDTH) -> None:
    """The table of rates in swept parameters."""
    print("Rates in swept parameters:")
    for text in fit(rates, width):
        print(text)
