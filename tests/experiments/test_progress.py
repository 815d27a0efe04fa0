"""Progress inside cells (in-process and across processes), plain lines without a terminal, a
tqdm bar with one, and result tables that fit 100 columns."""

from __future__ import annotations

import io
import os
import select

import pandas as pd
import pytest

from rltheory.experiments import load_spec, runner
from rltheory.experiments import progress as P
from rltheory.experiments.report import make_report
from rltheory.tables import fit, print_rates, print_summary


def test_reporter_throttles_and_always_sends_the_end(monkeypatch):
    sent: list[tuple[str, int, int]] = []
    P.set_sink(sent.append)
    try:
        report = P.reporter("cell")
        for k in range(1, 5001):
            report(k, 5000)
    finally:
        P.set_sink(None)
    assert sent[0] == ("cell", 1, 5000) and sent[-1] == ("cell", 5000, 5000)
    assert len(sent) < 50  # 5000 calls within a few REPORT_PERIODs
    assert P.reporter("cell") is None  # nobody listens: the protocol gets no callback


def recorded(monkeypatch) -> list[tuple[str, int, int]]:
    messages: list[tuple[str, int, int]] = []
    original = P.Display.advance

    def advance(self, message):
        messages.append(message)
        original(self, message)

    monkeypatch.setattr(P.Display, "advance", advance)
    return messages


def test_progress_inside_cells_reaches_the_driver(write_spec, tmp_path, monkeypatch):
    """Every cell reports its episodes, in process, from pool workers (through a queue) and from
    Dask workers (worker events on a topic the client subscribes to)."""
    spec = load_spec(write_spec())
    for backend in ("inprocess", "processes", "dask"):
        messages = recorded(monkeypatch)
        runner.run_experiment(spec, tmp_path / backend, backend=backend, workers=2)
        finals = {key for key, done, total in messages if done == total == 40}
        assert finals == {cell.key for cell in spec.cells()}, backend


def test_plain_progress_lines_without_a_terminal(write_spec, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(P, "PLAIN_INTERVAL", 0.0)
    runner.run_experiment(load_spec(write_spec()), tmp_path, backend="inprocess")
    lines = capsys.readouterr().err.splitlines()
    assert any(line.startswith("toy: 0/8 cells, ") and "/320 episodes" in line for line in lines)
    assert lines[-1].startswith("toy: 8/8 cells, 320/320 episodes (100%)")
    assert "episodes/s" in lines[-1] and "\r" not in "".join(lines)


def test_terminal_bar_shows_episodes_rate_and_cells():
    stream = io.StringIO()
    display = P.Display("demo", 2, 0, {"a": 100, "b": None}, "episodes", tty=True, stream=stream)
    display.advance(("a", 50, 100))
    display.advance(("b", 10, 200))  # b's total is learned from its first message
    display.cell_finished("a")
    display.close()
    text = stream.getvalue()
    assert "demo [1/2 cells]" in text and "/300" in text and "episodes/s" in text
    assert display.line(10.0).startswith("demo: 1/2 cells, 110/300 episodes (37%)")


def test_printed_tables_fit_100_columns(write_spec, tmp_path, capsys):
    long = (
        write_spec()
        .read_text()
        .replace('id = "uniform"', 'id = "uniform"\nlabel = "' + "u" * 150 + '"')
    )
    long += "[plots]\nkinds = []\n"  # tables only: no figures to draw
    spec = load_spec(write_spec(long, "long.toml"))
    runner.run_experiment(spec, tmp_path, backend="inprocess", progress=False)
    report = make_report(tmp_path)
    assert max(len(line) for line in report.summary.to_string().splitlines()) > 100
    assert not report.figures
    print_summary(report.summary)
    print_rates(pd.DataFrame({"parameter": ["n_states"], "label": ["v" * 200], "values": ["3, 4"]}))
    lines = capsys.readouterr().out.splitlines()
    assert lines and max(len(line) for line in lines) <= 100
    assert any("…" in line for line in lines)  # the long label was cut, not wrapped
    frame = pd.DataFrame({"a": ["x" * 300], "b": ["y"]})
    assert all(len(line) <= 100 for line in fit(frame)) and fit(frame)[1].endswith("y")


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_terminal_bar_on_a_terminal_of_unknown_size():
    """A terminal reporting 0 x 0 (docker -t, some CI runners) still shows the bar (tqdm hides
    bars below a terminal's row count, and 0 rows hid it)."""
    master, slave = os.openpty()
    with os.fdopen(slave, "w") as stream:
        assert stream.isatty() and os.get_terminal_size(slave).columns == 0
        display = P.Display("pty", 1, 0, {"a": 10}, "episodes", tty=True, stream=stream)
        display.advance(("a", 5, 10))
        display.cell_finished("a")
        display.close()
        stream.flush()
        chunks = []
        while select.select([master], [], [], 0.5)[0]:
            chunks.append(os.read(master, 65536))
        text = b"".join(chunks).decode(errors="replace")
    os.close(master)
    assert "pty [1/1 cells]" in text and "10/10" in text
