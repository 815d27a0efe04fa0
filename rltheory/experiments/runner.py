"""Run a spec's cells on a backend, write each finished cell atomically, resume what is done.

A cell runs through its protocol (:mod:`rltheory.experiments.protocols`): the runner builds the
model and the algorithm's config, hands the protocol a :class:`Job`, and adds the columns every
tidy frame has (labels, parameters, model sizes, cell key). It never branches on a protocol.
Backends live in :mod:`rltheory.experiments.backends`; a cell is the same computation whatever
the backend, so the tables are identical.

Faults: the run holds the directory's lock (a second run into it is refused), removes the
temporary files of a killed run, moves unreadable cell files aside (their cells are recomputed),
and rewrites the manifest after every finished cell, so its session record (``status``,
``cells_run``) is true even after SIGKILL. SIGTERM is handled like Ctrl-C: the workers are
stopped, the finished cells are kept, and :class:`Terminated` is raised.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rltheory.algos import get as get_algorithm
from rltheory.experiments import memory as M
from rltheory.experiments import progress as P
from rltheory.experiments import results as R
from rltheory.experiments import rundir
from rltheory.experiments.backends import BACKENDS, Pool
from rltheory.experiments.cells import Cell
from rltheory.experiments.checker import Checker
from rltheory.experiments.errors import UsageError
from rltheory.experiments.protocols import Job, get_protocol
from rltheory.experiments.spec import ExperimentSpec

__all__ = ["BACKENDS", "CellFailedError", "Pool", "Terminated", "run_cell", "run_experiment"]


class Terminated(KeyboardInterrupt):
    """The driver received SIGTERM; finished cells are saved and a re-run resumes."""


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
    job = Job(
        model, entry, config, cell.seed_sequences(), cell.seeds, cell.run, P.reporter(cell.key)
    )
    frame = tidy_frame(cell, protocol.metric.name, protocol.run(job), model, config)
    frame.attrs["provenance"] = R.provenance()
    return frame


def tidy_frame(
    cell: Cell, metric: str, rows: pd.DataFrame, model: Any, config: Any
) -> pd.DataFrame:
    """The protocol's ``rows`` with the columns every cell has: algorithm, label, environment
    and setting, metric name; every env parameter (``env.<name>``) and config field
    (``algo.<name>``, defaults included); the model's sizes (``d``: the linear-mixture basis
    dimension for algorithms that require ``mixture``, else the feature dimension); the cell
    key."""
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
    dim = getattr(model, "dim", None)
    if "mixture" in get_algorithm(cell.algorithm).requires:  # a mixture learner's d: the basis's
        basis = getattr(model, "mixture_basis", None)
        dim = None if basis is None else basis.shape[-1]
    sizes = {
        "S": model.n_states,
        "A": model.n_actions,
        "H": getattr(model, "horizon", None),
        "d": dim,
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
    """What a call of :func:`run_experiment` did (``corrupt``: the unreadable cell files moved
    aside, each ``{file, moved_to, reason}``)."""

    directory: Path
    cells: int
    skipped: int
    ran: int
    seconds: float
    corrupt: tuple[dict[str, str], ...] = ()


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
    """Cell files whose provenance differs from this process's code (unreadable files are
    moved aside before this is asked)."""
    here = R.provenance()
    return [path for path in sorted(cells_dir.glob("*.parquet")) if R.cell_provenance(path) != here]


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` in the main thread (as Ctrl-C
    raises KeyboardInterrupt); elsewhere (a thread) nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: Any) -> None:
        raise Terminated(f"received signal {signal.Signals(signum).name}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def local_parallelism(
    backend: str, workers: int | None, scheduler: str | None, dask_local: int | None
) -> int:
    """How many cells run at once on this machine (a remote Dask cluster: its own memory)."""
    if backend == "inprocess" or scheduler is not None:
        return 1
    if backend == "dask":
        return dask_local or workers or os.cpu_count() or 1
    return workers or os.cpu_count() or 1


def check_run_memory(spec: ExperimentSpec, max_memory: int | None, parallel: int = 1) -> None:
    """Refuse (``SpecError``) a spec with a cell, or ``parallel`` cells at once, that would not
    fit in memory."""
    check = Checker(spec.name)
    M.check_memory(spec, check, max_memory, parallel)
    check.raise_if_any()


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
    max_memory: int | None = None,
) -> RunSummary:
    """Run every unfinished cell of ``spec`` into ``directory`` and update the manifest.

    Refused before anything is written: a cell (or the cells the local workers run at once)
    that would not fit in ``max_memory`` bytes (default: the memory available), a directory
    that cannot be created, one another run is writing into, an unreachable Dask scheduler.
    ``progress`` (default: on) shows progress inside the cells: a tqdm bar of the protocol's
    unit (episodes) with rate and ETA when stderr is a terminal, plain lines every few seconds
    otherwise. A failing cell raises
    :class:`CellFailedError` after the cells already finished are written; re-running resumes.
    """
    if backend not in BACKENDS:
        raise UsageError(f"unknown backend '{backend}'; accepted: {', '.join(BACKENDS)}")
    if backend != "dask" and (scheduler or dask_local):
        raise UsageError("a Dask scheduler or --dask-local needs the dask backend")
    check_run_memory(spec, max_memory, local_parallelism(backend, workers, scheduler, dask_local))
    directory = Path(directory)
    rundir.create(directory)
    with rundir.locked(directory), _sigterm_as_interrupt():
        return _run_locked(
            spec, directory, backend, force, source, progress, workers, scheduler, dask_local
        )


def _run_locked(
    spec: ExperimentSpec,
    directory: Path,
    backend: str,
    force: bool,
    source: str | None,
    progress: bool | None,
    workers: int | None,
    scheduler: str | None,
    dask_local: int | None,
) -> RunSummary:
    start = time.perf_counter()
    stale = rundir.remove_stale_tmp(directory)
    cells = spec.cells()
    protocol = spec.protocol_object
    display = None
    options = {"workers": workers, "scheduler": scheduler, "dask_local": dask_local}
    with BACKENDS[backend](**options, progress=lambda m: display and display.advance(m)) as pool:
        corrupt = rundir.quarantine_corrupt(directory)
        for item in corrupt:
            print(
                f"warning: {item['file']} is unreadable ({item['reason']}); moved to "
                f"{item['moved_to']}, its cell will be recomputed",
                file=sys.stderr,
            )
        manifest = prepare_directory(directory, spec, force)
        manifest["spec_file"] = source or manifest.get("spec_file")
        todo = [cell for cell in cells if not R.is_finished(directory, cell, spec.hash)]
        for old in manifest["sessions"]:
            if old.get("status") == "running":  # its driver died without a word (SIGKILL)
                old["status"] = "killed"
        session = {
            "started": R.now(),
            "updated": R.now(),
            "finished": None,
            "status": "running",
            "backend": backend,
            "cells_run": 0,
            "stale_tmp_removed": stale,
            "corrupt_moved": corrupt,
        }
        manifest["sessions"].append(session)
        R.write_manifest(directory, manifest)
        display = P.Display(
            spec.name,
            len(cells),
            len(cells) - len(todo),
            {cell.key: protocol.steps(cell.run) for cell in todo},
            protocol.unit,
            tty=sys.stderr.isatty(),
            enabled=progress is not False and bool(todo),
        )
        try:
            for cell, frame in drain(pool, todo):
                R.write_cell(directory, cell, spec.hash, frame, frame.attrs.get("provenance"))
                session["cells_run"] += 1
                session["updated"] = R.now()
                R.write_manifest(directory, manifest)
                display.cell_finished(cell.key)
            session["status"] = "finished"
        except Terminated:
            session["status"] = "terminated"
            raise
        except KeyboardInterrupt:
            session["status"] = "interrupted"
            raise
        except BaseException:
            session["status"] = "failed"
            raise
        finally:
            display.close()
            session["finished"] = R.now()
            if all(R.is_finished(directory, cell, spec.hash) for cell in cells):
                manifest["finished"] = session["finished"]
            R.write_manifest(directory, manifest)
    ran = session["cells_run"]
    return RunSummary(
        directory,
        len(cells),
        len(cells) - len(todo),
        ran,
        time.perf_counter() - start,
        tuple(corrupt),
    )


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
