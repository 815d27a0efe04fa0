"""Where cells run: one :class:`Pool` interface over an in-process loop, a process pool and Dask.

Backends (:data:`BACKENDS`): ``"inprocess"`` (debugging), ``"processes"`` (default; a
``concurrent.futures.ProcessPoolExecutor`` with one worker per core) and ``"dask"`` (an existing
scheduler address, or a ``LocalCluster`` of N workers). Each is a context manager giving one
:class:`Pool` (submit a cell, iterate completed futures, cancel); workers only compute and the
driver writes, so workers need no shared file system.

Workers never outlive their driver. Process-pool workers ignore SIGINT (the driver decides what
an interrupt means), and each runs a watchdog thread that exits the worker within
:data:`WATCHDOG_PERIOD` seconds once its parent process is gone (the driver was killed, even by
SIGKILL). When the body of the context raises (an interrupt, SIGTERM, a failing cell) the
workers are terminated at once instead of finishing the cells they hold.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent import futures as cf
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pandas as pd

from rltheory.experiments import progress as P
from rltheory.experiments.cells import Cell
from rltheory.experiments.errors import UsageError

WATCHDOG_PERIOD = 0.5
"""Seconds between a worker's checks that its parent process is alive."""
SCHEDULER_TIMEOUT = 10.0
"""Seconds to wait for a Dask scheduler given by address before giving up."""


@dataclass(frozen=True)
class Pool:
    """What a backend offers the runner: ``submit(fn, cell) -> future``, ``as_completed(futures)``
    and ``cancel(futures)`` (concurrent.futures and Dask futures alike)."""

    submit: Callable[[Callable[[Cell], pd.DataFrame], Cell], Any]
    as_completed: Callable[[Iterable[Any]], Iterator[Any]]
    cancel: Callable[[Sequence[Any]], None]


class _Deferred:
    """A call run in this process when its result is asked for (the in-process backend: one
    cell at a time, in submission order, each written before the next starts)."""

    def __init__(self, fn: Callable[[Cell], pd.DataFrame], cell: Cell):
        self._fn, self._cell = fn, cell

    def result(self) -> pd.DataFrame:
        return self._fn(self._cell)

    def cancel(self) -> bool:
        return True


def _cancel_all(submitted: Sequence[Any]) -> None:
    for future in submitted:
        future.cancel()


@contextmanager
def _inprocess(*, progress: Any = None, **_options: Any) -> Iterator[Pool]:
    P.set_sink(progress)
    try:
        yield Pool(_Deferred, iter, _cancel_all)
    finally:
        P.set_sink(None)


def _watch_parent(parent: int) -> None:
    """Exit this process as soon as ``parent`` is no longer its parent (it died)."""
    while os.getppid() == parent:
        time.sleep(WATCHDOG_PERIOD)
    os._exit(1)


def _worker_init(queue: Any) -> None:
    """Initializer of every pool worker: ignore SIGINT, default SIGTERM, a parent watchdog, and
    progress messages to ``queue``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    P.set_sink(None if queue is None else queue.put)


def _terminate(executor: cf.ProcessPoolExecutor) -> None:
    """Stop every worker of ``executor`` now (the cells they hold are abandoned)."""
    processes = dict(getattr(executor, "_processes", None) or {})
    for process in processes.values():
        if process.is_alive():
            process.terminate()
    for process in processes.values():
        process.join(timeout=5)
        if process.is_alive():
            process.kill()


@contextmanager
def _processes(
    workers: int | None = None, *, progress: Any = None, **_options: Any
) -> Iterator[Pool]:
    import multiprocessing

    context = multiprocessing.get_context()
    queue = context.Queue() if progress is not None else None
    listener = P.QueueListener(queue, progress) if queue is not None else None
    executor = cf.ProcessPoolExecutor(
        max_workers=workers or os.cpu_count(),
        mp_context=context,
        initializer=_worker_init,
        initargs=(queue,),
    )
    try:
        yield Pool(executor.submit, cf.as_completed, _cancel_all)
    except BaseException:
        _terminate(executor)
        raise
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
        if listener is not None:
            listener.stop()


def _on_dask_worker(fn: Callable[[Cell], pd.DataFrame], cell: Cell, topic: str | None):
    """``fn(cell)`` on a Dask worker, its progress messages sent as the worker's events on
    ``topic`` (the driver's client subscribes to it). The sink is the same for every cell of a
    run, so cells sharing a worker process may set it concurrently."""
    if topic is not None:
        from distributed.worker import get_worker

        worker = get_worker()
        P.set_sink(lambda message: worker.log_event(topic, message))
    return fn(cell)


@contextmanager
def _dask(
    workers: int | None = None,
    scheduler: str | None = None,
    dask_local: int | None = None,
    *,
    progress: Any = None,
    **_options: Any,
) -> Iterator[Pool]:
    """A client of the scheduler at ``scheduler``, or of a new ``LocalCluster`` of
    ``dask_local`` (else ``workers``) single-threaded worker processes (closed on exit). Progress
    inside cells travels as worker events on a topic of this run, to which the client
    subscribes (``Client.subscribe_topic``), into ``progress``."""
    try:
        from distributed import Client, LocalCluster
        from distributed import as_completed as dask_completed
    except ImportError as error:
        raise UsageError(
            "the dask backend needs dask[distributed]: pip install 'rltheory[distributed]'"
        ) from error

    topic = None if progress is None else f"rltheory-progress-{uuid.uuid4().hex}"

    def pool(client: Any) -> Pool:
        if topic is not None:
            client.subscribe_topic(topic, lambda event: progress(tuple(event[1])))
        return Pool(
            lambda fn, cell: client.submit(_on_dask_worker, fn, cell, topic, pure=False),
            dask_completed,
            client.cancel,
        )

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=SCHEDULER_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as error:
            raise UsageError(f"cannot reach the Dask scheduler at {scheduler}: {error}") from None
        with client:
            yield pool(client)
        return
    with (
        LocalCluster(
            n_workers=dask_local or workers or os.cpu_count(),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield pool(client)


BACKENDS: dict[str, Callable[..., Any]] = {
    "inprocess": _inprocess,
    "processes": _processes,
    "dask": _dask,
}
"""Backend name -> context manager giving a :class:`Pool` (keyword options: workers,
scheduler, dask_local, progress: a callable ``(cell key, done, total)`` or None)."""
