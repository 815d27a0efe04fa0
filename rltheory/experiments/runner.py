"""Run a spec's cells on a backend, write each finished cell atomically, resume what is done.

Backends: ``"inprocess"`` (debugging), ``"processes"`` (default; a
``concurrent.futures.ProcessPoolExecutor`` with one worker per core) and ``"dask"`` (an existing
scheduler address, or a ``LocalCluster`` of N workers). Workers only compute: each returns its
cell's tidy frame and the driver writes it, so workers need no shared file system. A cell is the
same computation whatever the backend, so the tables are identical.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from rltheory.algos import get as get_algorithm
from rltheory.experiments import results as R
from rltheory.experiments.loops import make_online, run_online, seed_generators
from rltheory.experiments.spec import Cell, ExperimentSpec, UsageError, import_plugins

BACKENDS = ("inprocess", "processes", "dask")


class CellFailedError(RuntimeError):
    """A cell raised; the cells finished before it are saved and a re-run resumes from them."""


def run_cell(cell: Cell) -> pd.DataFrame:
    """Run one cell (B seeds in one batched learner) and return its tidy frame."""
    import_plugins(cell.imports)
    model = cell.env.build()
    entry = get_algorithm(cell.algorithm)
    config = entry.make_config(**cell.algo_params)
    env_rngs, algo_rngs = seed_generators(cell.seed_sequences())
    start = time.perf_counter()
    algorithm = make_online(entry, model, cell.episodes, config, algo_rngs)
    elapsed = np.empty(cell.episodes)

    def clock(k: int, _algorithm: Any) -> None:
        elapsed[k] = time.perf_counter() - start

    run = run_online(model, algorithm, cell.episodes, env_rngs, callback=clock)
    return tidy_frame(cell, entry.protocol, run.regret, elapsed, model, algorithm, config)


def tidy_frame(
    cell: Cell,
    protocol: str,
    regret: np.ndarray,
    elapsed: np.ndarray,
    model: Any,
    algorithm: Any,
    config: Any,
) -> pd.DataFrame:
    """Long-format rows of one cell: ``regret [B, K]`` sampled at the cell's checkpoints.

    Every field of the algorithm's config is a column (``algo.<name>``, defaults included), and
    so are the model's sizes and the bonus scale ``beta`` the learner actually used, if exposed.
    """
    n_seeds = regret.shape[0]
    index = np.asarray(cell.checkpoints) - 1
    cumulative = np.cumsum(regret, axis=1)
    n_points = index.size
    frame = pd.DataFrame(
        {
            R.ALGORITHM: cell.algorithm,
            R.LABEL: cell.label,
            R.ENV: cell.env.id,
            R.SETTING: cell.env.describe(),
            R.SEED: np.repeat(np.asarray(cell.seeds, dtype=np.int64), n_points),
            R.EPISODE: np.tile(np.asarray(cell.checkpoints, dtype=np.int64), n_seeds),
            R.METRIC: R.METRIC_NAMES[protocol],
            R.REGRET: regret[:, index].ravel(),
            R.CUMULATIVE_REGRET: cumulative[:, index].ravel(),
            R.WALL_TIME: np.tile(elapsed[index], n_seeds),
        }
    )
    for name, value in cell.env.params.items():
        frame[R.ENV_PREFIX + name] = _scalar(value)
    frame[R.ENV_SEED] = cell.env.seed
    frame[R.ENV_TRANSFORMS] = ",".join(cell.env.transforms)
    for item in dataclasses.fields(config):
        frame[R.ALGO_PREFIX + item.name] = _scalar(getattr(config, item.name))
    sizes = {"S": model.n_states, "A": model.n_actions, "H": getattr(model, "horizon", None)}
    sizes["d"] = model.dim
    for name, column in R.MODEL_SIZES.items():
        frame[column] = np.nan if sizes[name] is None else float(sizes[name])
    beta = getattr(algorithm, "beta", None)
    if beta is not None:
        beta = np.asarray(beta, dtype=float)
        if beta.size == 1:
            frame[R.BETA_RUN] = float(beta)
        elif beta.shape == (n_seeds,):
            frame[R.BETA_RUN] = np.repeat(beta, n_points)
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
    the existing one when it holds the same spec; a different spec is refused."""
    directory = Path(directory)
    manifest_path = directory / R.MANIFEST
    if manifest_path.is_file():
        old = R.read_manifest(directory)
        if old.get("spec_hash") == spec.hash:
            old["spec"] = spec.to_dict()  # same numbers; name/description/plots may be new
            return old
        if not force:
            raise R.ResultsError(
                f"{directory} holds results of a different spec (hash "
                f"{str(old.get('spec_hash'))[:12]}, this spec {spec.hash[:12]}, from "
                f"{old.get('spec_file')}); use another --out directory, or --force to delete "
                "those results and start over"
            )
        shutil.rmtree(directory / R.CELLS_DIR, ignore_errors=True)
        manifest_path.unlink()
    elif (directory / R.CELLS_DIR).is_dir() and any((directory / R.CELLS_DIR).iterdir()):
        if not force:
            raise R.ResultsError(
                f"{directory} holds cell files but no manifest; use --force to delete them"
            )
        shutil.rmtree(directory / R.CELLS_DIR)
    return R.new_manifest(spec, None)


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
    try:
        with _executor(backend, workers, scheduler, dask_local) as submit_all:
            for cell, frame in submit_all(todo):
                R.write_cell(directory, cell, spec.hash, frame)
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


Submitter = Callable[[Sequence[Cell]], Iterator[tuple[Cell, pd.DataFrame]]]


def _failed(cell: Cell, error: BaseException) -> CellFailedError:
    return CellFailedError(
        f"cell {cell.key} ({cell.label} on {cell.env.describe()}, seeds "
        f"{cell.seeds[0]}..{cell.seeds[-1]}) failed: {type(error).__name__}: {error}. "
        "Finished cells are saved; re-run the same command to resume."
    )


@contextmanager
def _executor(
    backend: str, workers: int | None, scheduler: str | None, dask_local: int | None
) -> Iterator[Submitter]:
    if backend == "inprocess":

        def inprocess(cells: Sequence[Cell]) -> Iterator[tuple[Cell, pd.DataFrame]]:
            for cell in cells:
                try:
                    frame = run_cell(cell)
                except Exception as error:
                    raise _failed(cell, error) from error
                yield cell, frame

        yield inprocess
    elif backend == "processes":
        with ProcessPoolExecutor(max_workers=workers or os.cpu_count()) as pool:

            def processes(cells: Sequence[Cell]) -> Iterator[tuple[Cell, pd.DataFrame]]:
                futures = {pool.submit(run_cell, cell): cell for cell in cells}
                try:
                    for future in as_completed(futures):
                        cell = futures[future]
                        try:
                            frame = future.result()
                        except Exception as error:
                            raise _failed(cell, error) from error
                        yield cell, frame
                finally:
                    for future in futures:
                        future.cancel()

            yield processes
    else:
        with _dask_client(scheduler, dask_local or workers) as client:
            from distributed import as_completed as dask_completed

            def dask(cells: Sequence[Cell]) -> Iterator[tuple[Cell, pd.DataFrame]]:
                futures = {client.submit(run_cell, cell, pure=False): cell for cell in cells}
                try:
                    for future in dask_completed(list(futures)):
                        cell = futures[future]
                        try:
                            frame = future.result()
                        except Exception as error:
                            raise _failed(cell, error) from error
                        yield cell, frame
                finally:
                    client.cancel(list(futures))

            yield dask


@contextmanager
def _dask_client(scheduler: str | None, n_workers: int | None) -> Iterator[Any]:
    """A client of the scheduler at ``scheduler``, or of a new ``LocalCluster`` of
    ``n_workers`` single-threaded worker processes (closed on exit)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as error:
        raise UsageError(
            "the dask backend needs dask[distributed]: pip install 'rltheory[distributed]'"
        ) from error
    if scheduler is not None:
        with Client(scheduler) as client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=n_workers or os.cpu_count(),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client
