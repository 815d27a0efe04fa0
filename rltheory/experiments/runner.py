"""Run a spec's cells on a backend, write each finished cell atomically, resume what is done.

A cell runs through its protocol (:mod:`rltheory.experiments.protocols`): the runner builds the
model and the algorithm's config, hands the protocol a :class:`Job`, and adds the columns every
tidy frame has (labels, parameters, model sizes, cell key). It never branches on a protocol.

Backends (:data:`BACKENDS`): ``"inprocess"`` (debugging), ``"processes"`` (default; a
``concurrent.futures.ProcessPoolExecutor`` with one worker per core) and ``"dask"`` (an existing
scheduler address, or a ``LocalCluster`` of N workers). Each is a context manager giving one
:class:`Pool` (submit a cell, iterate completed futures, cancel); workers only compute and the
driver writes, so workers need no shared file system. A cell is the same computation whatever
the backend, so the tables are identical.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent import futures as cf
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from rltheory.algos import get as get_algorithm
from rltheory.experiments import results as R
from rltheory.experiments.cells import Cell
from rltheory.experiments.errors import UsageError
from rltheory.experiments.protocols import Job, get_protocol
from rltheory.experiments.spec import ExperimentSpec


class CellFailedError(RuntimeError):
    """A cell raised; the cells finished before it are saved and a re-run resumes from them."""


def run_cell(cell: Cell) -> pd.DataFrame:
    """Run one cell (B seeds in one batched learner) through its protocol and return its tidy
    frame; ``frame.attrs["provenance"]`` records the code that computed it."""
    import importlib

    for module in cell.imports:
        importlib.import_module(module)
    protocol = get_protocol(cell.protocol)
    model = cell.env.build()
    entry = get_algorithm(cell.algorithm)
    config = entry.make_config(**cell.algo_params)
    entry.check_compatible(model, where=f"environment {cell.env.describe()}")
    job = Job(model, entry, config, cell.seed_sequences(), cell.seeds, cell.run)
    frame = tidy_frame(cell, protocol.metric.name, protocol.run(job), model, config)
    frame.attrs["provenance"] = R.provenance()
    return frame


def tidy_frame(
    cell: Cell, metric: str, rows: pd.DataFrame, model: Any, config: Any
) -> pd.DataFrame:
    """The protocol's ``rows`` with the columns every cell has: algorithm, label, environment
    and setting, metric name; every env parameter (``env.<name>``) and config field
    (``algo.<name>``, defaults included); the model's sizes; the cell key."""
    n = len(rows)
    head = pd.DataFrame(
        {
            R.ALGORITHM: [cell.algorithm] * n,
            R.LABEL: cell.label,
            R.ENV: cell.env.id,
            R.SETTING: cell.env.describe(),
        }
    )
    frame = pd.concat([head, rows.reset_index(drop=True)], axis=1)
    frame.insert(list(frame.columns).index(R.SEED) + 2, R.METRIC, metric)
    for name, value in cell.env.params.items():
        frame[R.ENV_PREFIX + name] = _scalar(value)
    frame[R.ENV_SEED] = cell.env.seed
    frame[R.ENV_TRANSFORMS] = ",".join(cell.env.transforms)
    for item in dataclasses.fields(config):
        frame[R.ALGO_PREFIX + item.name] = _scalar(getattr(config, item.name))
    sizes = {
        "S": model.n_states,
        "A": model.n_actions,
        "H": getattr(model, "horizon", None),
        "d": getattr(model, "dim", None),
    }
    for name, column in R.MODEL_SIZES.items():
        frame[column] = np.nan if sizes[name] is None else float(sizes[name])
    frame[R.CELL] = cell.key
    return frame


def _scalar(value: Any) -> Any:
    """Parameter values as column entries (values other than numbers, strings, booleans and
    None become strings)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(list(value)) if isinstance(value, tuple | list) else str(value)


@dataclass(frozen=True)
class RunSummary:
    """What a call of :func:`run_experiment` did."""

    directory: Path
    cells: int
    skipped: int
    ran: int
    seconds: float


def prepare_directory(directory: Path, spec: ExperimentSpec, force: bool) -> dict[str, Any]:
    """The manifest to continue from: a new one for a fresh (or ``force``-cleared) directory,
    the existing one when it holds the same spec computed by the same code; a different spec,
    or cells computed by other code (another version or commit), are refused."""
    directory = Path(directory)
    manifest_path = directory / R.MANIFEST
    cells_dir = directory / R.CELLS_DIR
    if manifest_path.is_file():
        old = R.read_manifest(directory)
        reason = None
        if old.get("spec_hash") != spec.hash:
            reason = (
                f"{directory} holds results of a different spec (hash "
                f"{str(old.get('spec_hash'))[:12]}, this spec {spec.hash[:12]}, from "
                f"{old.get('spec_file')}); use another --out directory, or --force to delete "
                "those results and start over"
            )
        else:
            foreign = _foreign_cells(cells_dir)
            if foreign:
                reason = (
                    f"{directory} holds {len(foreign)} cell(s) computed by other code "
                    f"({R.describe_provenance(R.cell_provenance(foreign[0]))}; this is "
                    f"{R.describe_provenance(R.provenance())}); use another --out directory, or "
                    "--force to delete those results and start over"
                )
        if reason is None:
            old["spec"] = spec.to_dict()  # same numbers; name/description/plots may be new
            return old
        if not force:
            raise R.ResultsError(reason)
        shutil.rmtree(cells_dir, ignore_errors=True)
        manifest_path.unlink()
    elif cells_dir.is_dir() and any(cells_dir.iterdir()):
        if not force:
            raise R.ResultsError(
                f"{directory} holds cell files but no manifest; use --force to delete them"
            )
        shutil.rmtree(cells_dir)
    return R.new_manifest(spec, None)


def _foreign_cells(cells_dir: Path) -> list[Path]:
    """Cell files whose provenance differs from this process's code."""
    here = R.provenance()
    return [path for path in sorted(cells_dir.glob("*.parquet")) if R.cell_provenance(path) != here]


def run_experiment(
    spec: ExperimentSpec,
    directory: str | Path,
    *,
    backend: str = "processes",
    workers: int | None = None,
    scheduler: str | None = None,
    dask_local: int | None = None,
    force: bool = False,
    source: str | None = None,
    progress: bool | None = None,
) -> RunSummary:
    """Run every unfinished cell of ``spec`` into ``directory`` and update the manifest.

    ``progress`` (default: when stderr is a terminal) shows a tqdm bar over cells with elapsed
    time and ETA. A failing cell raises :class:`CellFailedError` after the cells already
    finished are written; re-running resumes.
    """
    if backend not in BACKENDS:
        raise UsageError(f"unknown backend '{backend}'; accepted: {', '.join(BACKENDS)}")
    if backend != "dask" and (scheduler or dask_local):
        raise UsageError("a Dask scheduler or --dask-local needs the dask backend")
    directory = Path(directory)
    manifest = prepare_directory(directory, spec, force)
    manifest["spec_file"] = source or manifest.get("spec_file")
    directory.mkdir(parents=True, exist_ok=True)
    cells = spec.cells()
    todo = [cell for cell in cells if not R.is_finished(directory, cell, spec.hash)]
    session = {"started": R.now(), "finished": None, "backend": backend, "cells_run": 0}
    manifest["sessions"].append(session)
    R.write_manifest(directory, manifest)
    start = time.perf_counter()
    show = sys.stderr.isatty() if progress is None else progress
    bar = tqdm(
        total=len(cells),
        initial=len(cells) - len(todo),
        unit="cell",
        desc=spec.name,
        disable=not show,
        file=sys.stderr,
    )
    options = {"workers": workers, "scheduler": scheduler, "dask_local": dask_local}
    try:
        with BACKENDS[backend](**options) as pool:
            for cell, frame in drain(pool, todo):
                origin = frame.attrs.get("provenance")
                R.write_cell(directory, cell, spec.hash, frame, origin)
                session["cells_run"] += 1
                bar.update()
    finally:
        bar.close()
        session["finished"] = R.now()
        if all(R.is_finished(directory, cell, spec.hash) for cell in cells):
            manifest["finished"] = session["finished"]
        R.write_manifest(directory, manifest)
    return RunSummary(
        directory,
        len(cells),
        len(cells) - len(todo),
        len(todo),
        time.perf_counter() - start,
    )


@dataclass(frozen=True)
class Pool:
    """What a backend offers the runner: ``submit(fn, cell) -> future``, ``as_completed(futures)``
    and ``cancel(futures)`` (concurrent.futures and Dask futures alike)."""

    submit: Callable[[Callable[[Cell], pd.DataFrame], Cell], Any]
    as_completed: Callable[[Iterable[Any]], Iterator[Any]]
    cancel: Callable[[Sequence[Any]], None]


def _failed(cell: Cell, error: BaseException) -> CellFailedError:
    return CellFailedError(
        f"cell {cell.key} ({cell.label} on {cell.env.describe()}, seeds "
        f"{cell.seeds[0]}..{cell.seeds[-1]}) failed: {type(error).__name__}: {error}. "
        "Finished cells are saved; re-run the same command to resume."
    )


def drain(pool: Pool, cells: Sequence[Cell]) -> Iterator[tuple[Cell, pd.DataFrame]]:
    """Submit every cell, yield ``(cell, frame)`` as each completes; a failing cell raises
    :class:`CellFailedError` (the rest are cancelled)."""
    submitted = {pool.submit(run_cell, cell): cell for cell in cells}
    try:
        for future in pool.as_completed(list(submitted)):
            cell = submitted[future]
            try:
                frame = future.result()
            except Exception as error:
                raise _failed(cell, error) from error
            yield cell, frame
    finally:
        pool.cancel(list(submitted))


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
def _inprocess(**_options: Any) -> Iterator[Pool]:
    yield Pool(_Deferred, iter, _cancel_all)


@contextmanager
def _processes(workers: int | None = None, **_options: Any) -> Iterator[Pool]:
    with cf.ProcessPoolExecutor(max_workers=workers or os.cpu_count()) as executor:
        yield Pool(executor.submit, cf.as_completed, _cancel_all)


@contextmanager
def _dask(
    workers: int | None = None,
    scheduler: str | None = None,
    dask_local: int | None = None,
) -> Iterator[Pool]:
    """A client of the scheduler at ``scheduler``, or of a new ``LocalCluster`` of
    ``dask_local`` (else ``workers``) single-threaded worker processes (closed on exit)."""
    try:
        from distributed import Client, LocalCluster
        from distributed import as_completed as dask_completed
    except ImportError as error:
        raise UsageError(
            "the dask backend needs dask[distributed]: pip install 'rltheory[distributed]'"
        ) from error

    def pool(client: Any) -> Pool:
        return Pool(
            lambda fn, cell: client.submit(fn, cell, pure=False),
            dask_completed,
            client.cancel,
        )

    if scheduler is not None:
        with Client(scheduler) as client:
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
scheduler, dask_local)."""
