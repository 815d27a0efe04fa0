"""Tidy results: column names, per-cell Parquet files, the manifest, atomic writes, loading.

A results directory holds ``manifest.json`` and ``cells/<cell key>.parquet``, one file per cell,
each in long format: one row per (algorithm, label, environment configuration, seed, point of the
protocol's axis, e.g. a checkpoint episode). Every cell file carries the spec hash, the cell key
and its provenance (package version and git commit it was computed with) in its Parquet
metadata; :func:`load_results` refuses files whose hash differs from the manifest's, so figures
are never drawn from the stale files of an earlier run.
"""

from __future__ import annotations

import getpass
import json
import os
import platform
import secrets
import socket
import subprocess
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from rltheory.experiments.cells import Cell
from rltheory.experiments.protocols import Protocol, get_protocol
from rltheory.experiments.protocols.base import SEED, WALL_TIME
from rltheory.experiments.spec import ExperimentSpec, spec_from_dict
from rltheory.experiments.validation import REMOVED_PLOT_KEYS

ALGORITHM = "algorithm"
LABEL = "label"
ENV = "env"
SETTING = "setting"
METRIC = "metric"
CELL = "cell"
ENV_PREFIX = "env."
ALGO_PREFIX = "algo."
MODEL_PREFIX = "model."
ENV_SEED = ENV_PREFIX + "seed"
ENV_TRANSFORMS = ENV_PREFIX + "transforms"
MODEL_SIZES = {"S": "model.S", "A": "model.A", "H": "model.H", "d": "model.d"}
"""Bound parameter name -> column holding that size of the model a cell ran on."""

MANIFEST = "manifest.json"
CELLS_DIR = "cells"
SPEC_HASH_KEY = b"rltheory.spec_hash"
CELL_KEY = b"rltheory.cell"
PROVENANCE_KEY = b"rltheory.provenance"
TMP_SUFFIX = ".tmp"
PACKAGES = ("rltheory", "numpy", "scipy", "pandas", "pyarrow", "matplotlib", "dask", "distributed")


class ResultsError(RuntimeError):
    """A results directory that cannot be used as asked (missing, stale, mismatched)."""


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file next to ``path``, then rename it onto ``path``
    (``os.replace`` is atomic on POSIX): readers see the old file or the new one, never half.
    The file gets the usual permissions (``0o666`` less the umask, like any new file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}{TMP_SUFFIX}"
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def core_columns(protocol: Protocol) -> tuple[str, ...]:
    """Leading columns of a loaded table of ``protocol``; other columns follow sorted."""
    metric = protocol.metric
    values = [metric.column] + ([metric.cumulative] if metric.cumulative else [])
    return (
        ALGORITHM,
        LABEL,
        ENV,
        SETTING,
        SEED,
        protocol.axis.column,
        METRIC,
        *values,
        WALL_TIME,
        CELL,
    )


@cache
def provenance() -> dict[str, str | None]:
    """The code computing cells in this process: rltheory's version and git commit (with
    ``+dirty`` for a modified checkout; None outside a checkout)."""
    return {"version": package_versions()["rltheory"], "commit": git_commit()}


def write_cell(
    directory: Path,
    cell: Cell,
    spec_hash: str,
    frame: pd.DataFrame,
    origin: Mapping[str, str | None] | None = None,
) -> Path:
    """Write one cell's tidy frame atomically, tagged with the spec hash, the cell key and the
    ``origin`` (provenance) of the code that computed it."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    tags = {
        SPEC_HASH_KEY: spec_hash.encode(),
        CELL_KEY: cell.key.encode(),
        PROVENANCE_KEY: json.dumps(dict(origin or provenance()), sort_keys=True).encode(),
    }
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **tags})
    path = cell_path(directory, cell)
    atomic_write(path, lambda tmp: pq.write_table(table, tmp))
    return path


def cell_path(directory: Path, cell: Cell) -> Path:
    return Path(directory) / CELLS_DIR / f"{cell.key}.parquet"


def unreadable_reason(path: Path) -> str | None:
    """Why the cell file at ``path`` cannot be read (empty, truncated, not Parquet, no cell
    tags), or None when the whole table reads."""
    try:
        if path.stat().st_size == 0:
            return "empty file (0 bytes)"
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as error:
        return f"unreadable Parquet ({type(error).__name__}: {error})"
    if CELL_KEY not in (table.schema.metadata or {}):
        return "no rltheory cell tags in its metadata"
    return None


def cell_tags(path: Path) -> tuple[str | None, str | None]:
    """``(spec hash, cell key)`` stored in a cell file (None when absent or unreadable)."""
    try:
        tags = pq.read_schema(path).metadata or {}
    except (OSError, pa.ArrowException):
        return (None, None)
    spec_hash, key = tags.get(SPEC_HASH_KEY), tags.get(CELL_KEY)
    return (spec_hash.decode() if spec_hash else None, key.decode() if key else None)


def cell_provenance(path: Path) -> dict[str, str | None]:
    """The provenance stored in a cell file (empty for files written without one)."""
    raw = (pq.read_schema(path).metadata or {}).get(PROVENANCE_KEY)
    return json.loads(raw) if raw else {}


def describe_provenance(origin: Mapping[str, str | None]) -> str:
    """``rltheory <version> at <commit>`` (``unrecorded`` for files without provenance)."""
    if not origin:
        return "unrecorded"
    return f"rltheory {origin.get('version')} at {origin.get('commit') or '(no git checkout)'}"


def is_finished(directory: Path, cell: Cell, spec_hash: str) -> bool:
    """Whether the cell's file exists and belongs to this spec (a finished cell)."""
    path = cell_path(directory, cell)
    return path.is_file() and cell_tags(path) == (spec_hash, cell.key)


def git_commit() -> str | None:
    """The commit of the rltheory source tree (with ``+dirty`` if modified), if it is a checkout."""
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + ("+dirty" if dirty else "")


def package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_manifest(spec: ExperimentSpec, source: str | None) -> dict[str, Any]:
    """The manifest of a run of ``spec``: the spec, its hash, versions, commit, host, and its
    protocol's axis, metric and column definitions."""
    protocol = spec.protocol_object
    return {
        "spec": spec.to_dict(),
        "spec_hash": spec.hash,
        "spec_file": source,
        "cells": len(spec.cells()),
        "versions": package_versions(),
        "git_commit": git_commit(),
        "host": {
            "hostname": socket.gethostname(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "user": getpass.getuser(),
        },
        "protocol": protocol.describe(),
        "metrics": {
            protocol.metric.name: {
                "protocol": protocol.name,
                "definition": protocol.metric.definition,
            }
        },
        "columns": dict(protocol.columns),
        "started": now(),
        "finished": None,
        "sessions": [],
    }


def write_manifest(directory: Path, manifest: Mapping[str, Any]) -> None:
    text = json.dumps(manifest, indent=2, sort_keys=False, default=str)
    atomic_write(Path(directory) / MANIFEST, lambda tmp: tmp.write_text(text + "\n"))


def read_manifest(directory: Path) -> dict[str, Any]:
    path = Path(directory) / MANIFEST
    if not path.is_file():
        raise ResultsError(f"{directory}: no {MANIFEST} (not a results directory of rltheory run)")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ResultsError(f"{path}: unreadable manifest: {error}") from None


def current_spec_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """A manifest's spec without the plot options earlier versions wrote and this one removed
    (:data:`~rltheory.experiments.validation.REMOVED_PLOT_KEYS`; plot options are not hashed)."""
    plots = data.get("plots")
    if not isinstance(plots, Mapping):
        return dict(data)
    return {**data, "plots": {k: v for k, v in plots.items() if k not in REMOVED_PLOT_KEYS}}


def load_results(directory: Path) -> tuple[pd.DataFrame, dict[str, Any], ExperimentSpec]:
    """The tidy table of a results directory, its manifest and its spec.

    Refuses (``ResultsError``) when the manifest's spec does not hash to its ``spec_hash``, when
    a cell file carries another spec hash or is not a cell of the spec, or when no cell finished.
    Cell files that cannot be read are skipped: ``frame.attrs["skipped_cells"]`` lists
    ``(file, reason)`` for each.
    """
    directory = Path(directory)
    manifest = read_manifest(directory)
    spec = spec_from_dict(
        current_spec_data(manifest["spec"]),
        source=str(directory / MANIFEST),
        check_structures=False,
    )
    if spec.hash != manifest.get("spec_hash"):
        raise ResultsError(
            f"{directory}: the manifest's spec hashes to {spec.hash[:12]}, not to its recorded "
            f"spec_hash {str(manifest.get('spec_hash'))[:12]}; the manifest was edited or is stale"
        )
    keys = {cell.key for cell in spec.cells()}
    frames, origins, skipped = [], {}, []
    for path in sorted((directory / CELLS_DIR).glob("*.parquet")):
        reason = unreadable_reason(path)
        if reason is not None:
            skipped.append((str(path.relative_to(directory)), reason))
            continue
        spec_hash, key = cell_tags(path)
        if spec_hash != spec.hash or key not in keys:
            raise ResultsError(
                f"{path}: this file belongs to another spec (hash {str(spec_hash)[:12]}, "
                f"manifest {spec.hash[:12]}); re-run the spec with --force into this directory "
                "or use a fresh one"
            )
        frames.append(pd.read_parquet(path))
        origin = json.dumps(cell_provenance(path), sort_keys=True)
        origins[origin] = origins.get(origin, 0) + 1
    missing = len(keys) - len(frames)
    if not frames:
        why = "".join(f"; skipped {name}: {reason}" for name, reason in skipped)
        raise ResultsError(f"{directory}: no finished cells yet{why}")
    frame = pd.concat(frames, ignore_index=True)
    protocol = get_protocol(spec.protocol)
    order = [SETTING, LABEL, SEED, protocol.axis.column]
    frame = frame.sort_values(order, kind="stable", ignore_index=True)
    core = core_columns(protocol)
    frame = frame[[c for c in core if c in frame] + sorted(set(frame) - set(core))]
    frame.attrs["missing_cells"] = missing
    frame.attrs["skipped_cells"] = skipped
    frame.attrs["provenance"] = {describe_provenance(json.loads(k)): n for k, n in origins.items()}
    return frame, manifest, spec
