"""On-disk offline datasets: one Parquet table of episodes and a JSON manifest.

Layout of a dataset directory (one row per episode, after Minari's episode layout: observations
``H + 1`` per episode, actions and rewards ``H``; here every step is its own column)::

    <dir>/manifest.json   format "rltheory-offline-dataset", version 1, model, behaviour,
                          epsilon, seeds, n_episodes, horizon, n_states, n_actions, columns,
                          rows, sha256 (of data.parquet)
    <dir>/data.parquet    columns  seed, episode            int64
                                   observations_0..H       int64 state indices in [0, S)
                                   actions_0..H-1          int64 action indices in [0, A)
                                   rewards_0..H-1          float64, finite
                          rows     seed-major: row r is episode r % K of seed index r // K

:func:`save_dataset` validates before writing and writes atomically (a temporary directory renamed
into place), so a refused dataset leaves nothing behind. :func:`load_dataset` checks the manifest,
the checksum, every column's presence and type, the row order and every index range, and raises
:class:`DatasetError` naming the file, the column and the first bad row.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from rltheory.mdp import Trajectories
from rltheory.offline.data import BEHAVIOURS, OfflineDataset

FORMAT, VERSION = "rltheory-offline-dataset", 1
MANIFEST, DATA = "manifest.json", "data.parquet"


class DatasetError(ValueError):
    """A dataset file that is missing, corrupted or inconsistent (the message locates it)."""


def _columns(horizon: int) -> list[str]:
    return (
        ["seed", "episode"]
        + [f"observations_{h}" for h in range(horizon + 1)]
        + [f"actions_{h}" for h in range(horizon)]
        + [f"rewards_{h}" for h in range(horizon)]
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_arrays(
    where: str, states: np.ndarray, actions: np.ndarray, rewards: np.ndarray, n_states, n_actions
) -> None:
    """Index ranges and finiteness, naming the column and the first bad row."""
    checks = [(f"observations_{h}", states[:, h], n_states) for h in range(states.shape[1])]
    checks += [(f"actions_{h}", actions[:, h], n_actions) for h in range(actions.shape[1])]
    for column, values, bound in checks:
        bad = np.flatnonzero((values < 0) | (values >= bound))
        if bad.size:
            raise DatasetError(
                f"{where}: column '{column}' row {int(bad[0])} has value {int(values[bad[0]])} "
                f"outside [0, {bound})"
            )
    for h in range(rewards.shape[1]):
        bad = np.flatnonzero(~np.isfinite(rewards[:, h]))
        if bad.size:
            raise DatasetError(f"{where}: column 'rewards_{h}' row {int(bad[0])} is not finite")


def save_dataset(
    dataset: OfflineDataset, path: str | os.PathLike, n_states: int, n_actions: int
) -> Path:
    """Write ``dataset`` to the directory ``path`` (which must not exist); returns the path."""
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"dataset directory {path} already exists; refusing to overwrite")
    t = dataset.trajectories
    states, actions = np.asarray(t.states), np.asarray(t.actions)
    rewards = np.asarray(t.rewards, dtype=float)
    n_seeds, n_episodes, horizon = actions.shape
    if states.shape != (n_seeds, n_episodes, horizon + 1) or rewards.shape != actions.shape:
        raise DatasetError(
            f"dataset arrays disagree: states {states.shape}, actions {actions.shape}, rewards "
            f"{rewards.shape} (expected [B, K, H+1], [B, K, H], [B, K, H])"
        )
    if len(dataset.seeds) != n_seeds:
        raise DatasetError(f"{len(dataset.seeds)} seeds recorded for {n_seeds} datasets")
    flat = (x.reshape(n_seeds * n_episodes, -1) for x in (states, actions, rewards))
    states2, actions2, rewards2 = flat
    _check_arrays("dataset to save", states2, actions2, rewards2, n_states, n_actions)
    table = {
        "seed": np.repeat(np.asarray(dataset.seeds, dtype=np.int64), n_episodes),
        "episode": np.tile(np.arange(n_episodes, dtype=np.int64), n_seeds),
    }
    table |= {f"observations_{h}": states2[:, h].astype(np.int64) for h in range(horizon + 1)}
    table |= {f"actions_{h}": actions2[:, h].astype(np.int64) for h in range(horizon)}
    table |= {f"rewards_{h}": rewards2[:, h] for h in range(horizon)}
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}-", dir=path.parent))
    try:
        pq.write_table(pa.table(table), staging / DATA)
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "model": dataset.model,
            "behaviour": dataset.behaviour,
            "epsilon": dataset.epsilon,
            "seeds": list(dataset.seeds),
            "n_episodes": n_episodes,
            "horizon": horizon,
            "n_states": int(n_states),
            "n_actions": int(n_actions),
            "columns": _columns(horizon),
            "rows": n_seeds * n_episodes,
            "sha256": _sha256(staging / DATA),
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2))
        os.replace(staging, path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return path


def _manifest(path: Path) -> dict:
    file = path / MANIFEST
    try:
        manifest = json.loads(file.read_text())
    except FileNotFoundError:
        raise DatasetError(f"{file}: missing (not an offline dataset directory)") from None
    except json.JSONDecodeError as error:
        raise DatasetError(f"{file}: not valid JSON ({error})") from None
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise DatasetError(
            f"{file}: format {manifest.get('format')!r} version {manifest.get('version')!r}, "
            f"expected {FORMAT!r} version {VERSION}"
        )
    keys = ("behaviour", "seeds", "n_episodes", "horizon", "n_states", "n_actions", "sha256")
    missing = [key for key in keys if key not in manifest]
    if missing:
        raise DatasetError(f"{file}: missing field(s) {missing}")
    if manifest["behaviour"] not in BEHAVIOURS:
        raise DatasetError(f"{file}: unknown behaviour {manifest['behaviour']!r}")
    return manifest


def load_dataset(
    path: str | os.PathLike,
    *,
    n_states: int | None = None,
    n_actions: int | None = None,
    horizon: int | None = None,
) -> OfflineDataset:
    """Read and validate a dataset directory (optionally against the model's S, A, H)."""
    path = Path(path)
    manifest = _manifest(path)
    data = path / DATA
    for name, expected in (("n_states", n_states), ("n_actions", n_actions), ("horizon", horizon)):
        if expected is not None and manifest[name] != expected:
            raise DatasetError(
                f"{path / MANIFEST}: {name} = {manifest[name]} but the model has {expected}"
            )
    if not data.exists():
        raise DatasetError(f"{data}: missing")
    if _sha256(data) != manifest["sha256"]:
        raise DatasetError(f"{data}: corrupted (sha256 differs from {MANIFEST})")
    try:
        table = pq.read_table(data)
    except (pa.ArrowException, OSError) as error:
        raise DatasetError(f"{data}: unreadable Parquet ({error})") from None
    h_len, n_episodes, seeds = manifest["horizon"], manifest["n_episodes"], manifest["seeds"]
    rows = len(seeds) * n_episodes
    if table.num_rows != rows:
        raise DatasetError(f"{data}: {table.num_rows} rows, manifest says {rows}")
    arrays = {}
    for column in _columns(h_len):
        if column not in table.column_names:
            raise DatasetError(f"{data}: column '{column}' is missing")
        kind = table.schema.field(column).type
        ok = (
            pa.types.is_floating(kind)
            if column.startswith("rewards")
            else pa.types.is_integer(kind)
        )
        if not ok:
            raise DatasetError(f"{data}: column '{column}' has type {kind}")
        arrays[column] = table.column(column).to_numpy()
    order = {
        "seed": np.repeat(np.asarray(seeds, dtype=np.int64), n_episodes),
        "episode": np.tile(np.arange(n_episodes), len(seeds)),
    }
    for column, expected in order.items():
        bad = np.flatnonzero(arrays[column] != expected)
        if bad.size:
            raise DatasetError(
                f"{data}: column '{column}' row {int(bad[0])} is {int(arrays[column][bad[0]])}, "
                f"expected {int(expected[bad[0]])} (rows are seed-major, episodes in order)"
            )
    states = np.stack([arrays[f"observations_{h}"] for h in range(h_len + 1)], -1)
    actions = np.stack([arrays[f"actions_{h}"] for h in range(h_len)], -1)
    rewards = np.stack([arrays[f"rewards_{h}"] for h in range(h_len)], -1).astype(float)
    _check_arrays(str(data), states, actions, rewards, manifest["n_states"], manifest["n_actions"])
    shape = (len(seeds), n_episodes)
    trajectories = Trajectories(
        states.reshape(*shape, -1), actions.reshape(*shape, -1), rewards.reshape(*shape, -1)
    )
    return OfflineDataset(
        trajectories,
        manifest["behaviour"],
        tuple(seeds),
        manifest.get("model", ""),
        manifest.get("epsilon"),
    )
