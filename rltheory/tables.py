"""Result tables for a terminal: every line fits :data:`WIDTH` columns (long cells are cut with
``…``; the full tables are in the report's ``summary.md`` and ``summary.html``)."""

from __future__ import annotations

import textwrap

import pandas as pd

WIDTH = 100
MIN_COLUMN = 8


def fit(frame: pd.DataFrame, width: int = WIDTH, flexible: str | None = None) -> list[str]:
    """The lines of ``frame`` as a left-aligned text table at most ``width`` characters wide:
    the ``flexible`` column (e.g. labels) is cut first, then the widest, none below
    :data:`MIN_COLUMN` characters."""
    columns = [str(c) for c in frame.columns]
    cells = [[str(v) for v in row] for row in frame.itertuples(index=False)]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    first = columns.index(flexible) if flexible in columns else None
    while sum(widths) + 2 * (len(widths) - 1) > width and max(widths) > MIN_COLUMN:
        if first is not None and widths[first] > MIN_COLUMN:
            widths[first] -= 1
            continue
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
    fitted = next(c for c in summary.columns if str(c).startswith("fit from "))
    quantity = fitted[len("fit from ") :]
    short = {
        "label": "label",
        quantity: quantity,
        "measured exponent [CI]": "exponent [CI]",
        "bound's local slope (same window)": "bound slope",
        "final value [CI]": "final [CI]",
        "time (s)": "time (s)",
    }
    for setting, group in summary.groupby("setting", sort=False):
        seeds = ", ".join(str(n) for n in dict.fromkeys(group["seeds"]))
        starts = ", ".join(str(n) for n in dict.fromkeys(group[fitted]))
        head = f"{setting}: {seeds} seed(s), exponents fitted on {quantity} >= {starts}"
        for text in textwrap.wrap(head, width, subsequent_indent="  "):
            print(text)
        shown = group[list(short)].rename(columns=short)
        for text in fit(shown, width - 2, flexible="label"):
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
