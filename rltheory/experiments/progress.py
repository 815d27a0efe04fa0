"""Progress of a run inside its cells: episodes (or rounds) done, rate and time left.

A protocol's loop calls ``job.progress(done, total)`` (:class:`~rltheory.experiments.protocols.
Job`); the runner hands it a :func:`reporter` that forwards at most every
:data:`REPORT_PERIOD` seconds (and at the end of the cell) ``(cell key, done, total)`` to the
process's *sink*: the display itself in the driver (in-process backend), a
``multiprocessing`` queue in pool workers, which a :class:`QueueListener` thread of the driver
reads into the display.

:class:`Display` shows a tqdm bar of the protocol's unit with rate and ETA on a terminal, and
prints plain lines every ``interval`` seconds otherwise (logs, CI, nohup).
"""

from __future__ import annotations

import io
import os
import queue as queue_module
import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, TextIO

from tqdm import tqdm

REPORT_PERIOD = 0.25
"""Seconds between two progress messages of one cell."""
PLAIN_INTERVAL = 10.0
"""Seconds between two plain progress lines (no terminal)."""

Sink = Callable[[tuple[str, int, int]], None]
_SINK: Sink | None = None


def set_sink(sink: Sink | None) -> None:
    """Where this process's cells send ``(cell key, done, total)`` (None: nowhere)."""
    global _SINK
    _SINK = sink


def reporter(key: str) -> Callable[[int, int], None] | None:
    """A ``progress(done, total)`` callback for cell ``key`` (None when nobody listens)."""
    sink = _SINK
    if sink is None:
        return None
    last = [0.0]

    def report(done: int, total: int) -> None:
        now = time.monotonic()
        if done >= total or now - last[0] >= REPORT_PERIOD:
            last[0] = now
            sink((key, int(done), int(total)))

    return report


class QueueListener:
    """A daemon thread passing the messages of a ``multiprocessing`` queue to ``sink``."""

    def __init__(self, queue: Any, sink: Sink):
        self._queue, self._sink = queue, sink
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                message = self._queue.get(timeout=0.1)
            except queue_module.Empty:
                continue
            except (EOFError, OSError, ValueError):
                return
            self._sink(message)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1.0)


def _columns(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return 0


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


class Display:
    """The progress of one run: cells finished and units (episodes, rounds) done.

    ``totals`` maps each cell still to run to its number of units (None when its protocol does
    not say; then the first message of the cell tells). ``tty`` picks the tqdm bar (else plain
    lines every ``interval`` seconds, default :data:`PLAIN_INTERVAL`); ``enabled=False`` shows
    nothing.
    """

    def __init__(
        self,
        name: str,
        cells: int,
        finished: int,
        totals: Mapping[str, int | None],
        unit: str,
        *,
        tty: bool,
        enabled: bool = True,
        interval: float | None = None,
        stream: TextIO | None = None,
    ):
        self.name, self.cells, self.finished, self.unit = name, cells, finished, unit
        self.totals = dict(totals)
        self.done: dict[str, int] = dict.fromkeys(self.totals, 0)
        self.tty, self.enabled = tty, enabled
        self.interval = PLAIN_INTERVAL if interval is None else interval
        self.stream = stream or sys.stderr
        self._lock = threading.Lock()
        self._start = time.monotonic()
        self._last_line = self._start
        self._bar = None
        if enabled and tty:
            sized = _columns(self.stream) > 0  # a terminal of unknown size gets 100 columns
            self._bar = tqdm(
                total=self._total(),
                unit=unit,
                desc=self._desc(),
                file=self.stream,
                dynamic_ncols=sized,
                ncols=None if sized else 100,
                nrows=None if sized else 24,  # tqdm hides a bar below a terminal's 0 rows
            )

    def _total(self) -> int:
        return sum(t or 0 for t in self.totals.values())

    def _done(self) -> int:
        return sum(self.done.values())

    def _desc(self) -> str:
        return f"{self.name} [{self.finished}/{self.cells} cells]"

    def advance(self, message: tuple[str, int, int]) -> None:
        """A cell reported ``(key, done, total)``."""
        key, done, total = message
        with self._lock:
            if self.totals.get(key) is None:
                self.totals[key] = total
            before = self.done.get(key, 0)
            self.done[key] = max(before, done)
            self._show(self.done[key] - before)

    def cell_finished(self, key: str) -> None:
        with self._lock:
            before = self.done.get(key, 0)
            if self.totals.get(key) is not None:
                self.done[key] = self.totals[key]
            self.finished += 1
            self._show(self.done.get(key, 0) - before, force=True)

    def _show(self, step: int, force: bool = False) -> None:
        if not self.enabled:
            return
        if self._bar is not None:
            if self._bar.total != self._total():
                self._bar.total = self._total()
            self._bar.set_description_str(self._desc(), refresh=False)
            self._bar.update(step)
            return
        now = time.monotonic()
        if now - self._last_line >= self.interval or (force and self.finished == self.cells):
            self._last_line = now
            print(self.line(now - self._start), file=self.stream, flush=True)

    def line(self, elapsed: float) -> str:
        """The plain progress line: cells, units done of total, rate, ETA."""
        done, total = self._done(), self._total()
        rate = done / elapsed if elapsed > 0 else 0.0
        text = f"{self.name}: {self.finished}/{self.cells} cells, {done}/{total} {self.unit}"
        if total:
            text += f" ({100.0 * done / total:.0f}%)"
        text += f", {rate:.3g} {self.unit}/s, elapsed {_duration(elapsed)}"
        if rate > 0 and total > done:
            text += f", ETA {_duration((total - done) / rate)}"
        return text

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
