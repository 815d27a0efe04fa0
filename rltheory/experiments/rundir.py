"""Keeping a results directory usable across crashes, kills and concurrent runs.

- :func:`create` makes the directory or says why it cannot;
- :func:`locked` holds ``.lock`` (a POSIX record lock, released by the kernel when the holder
  dies, even by SIGKILL) for the whole run, so a second run into the same directory is refused
  with the first one's pid and host instead of both appending session records;
- :func:`remove_stale_tmp` deletes the temporary files of writes a killed run left behind
  (only while holding the lock, so they cannot belong to a live run);
- :func:`quarantine_corrupt` moves cell files that cannot be read (truncated, garbage, empty)
  into ``corrupt/``, so their cells count as unfinished and are recomputed.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rltheory.experiments import results as R
from rltheory.experiments.errors import UsageError

LOCK = ".lock"
CORRUPT_DIR = "corrupt"


def create(directory: Path) -> None:
    """Make ``directory`` (and parents); a :class:`UsageError` with the reason if impossible."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        reason = error.strerror or str(error)
        raise UsageError(f"cannot create the results directory {directory}: {reason}") from None
    if not os.access(directory, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write into the results directory {directory}: not writable")


@contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Hold the run lock of ``directory``; refuse (:class:`UsageError`) if another process
    holds it."""
    path = directory / LOCK
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(handle, 4096, 0).decode(errors="replace").strip()
            raise UsageError(
                f"another rltheory run ({holder or 'unknown process'}) is writing into "
                f"{directory}; wait for it to finish or use another --out directory"
            ) from None
        os.ftruncate(handle, 0)
        os.pwrite(
            handle, json.dumps({"pid": os.getpid(), "host": socket.gethostname()}).encode(), 0
        )
        yield
    finally:
        os.close(handle)  # closing releases the lock


def remove_stale_tmp(directory: Path) -> list[str]:
    """Delete temporary files of interrupted atomic writes; their names, relative to
    ``directory``."""
    removed = []
    for folder in (directory, directory / R.CELLS_DIR):
        for path in sorted(folder.glob(f".*{R.TMP_SUFFIX}")) if folder.is_dir() else []:
            path.unlink(missing_ok=True)
            removed.append(str(path.relative_to(directory)))
    return removed


def quarantine_corrupt(directory: Path) -> list[dict[str, str]]:
    """Move every unreadable cell file into ``corrupt/``; one ``{file, moved_to, reason}`` per
    file moved."""
    moved = []
    cells = directory / R.CELLS_DIR
    for path in sorted(cells.glob("*.parquet")) if cells.is_dir() else []:
        reason = R.unreadable_reason(path)
        if reason is None:
            continue
        target_dir = directory / CORRUPT_DIR
        target_dir.mkdir(exist_ok=True)
        target = target_dir / path.name
        n = 1
        while target.exists():
            target = target_dir / f"{path.stem}.{n}{path.suffix}"
            n += 1
        os.replace(path, target)
        moved.append(
            {
                "file": str(path.relative_to(directory)),
                "moved_to": str(target.relative_to(directory)),
                "reason": reason,
            }
        )
    return moved
