"""The runner under faults: corrupt cell files, stale temporary files, a concurrent run, file
modes, the manifest after every cell, and drivers killed by SIGTERM and SIGKILL (no worker may
outlive its driver by more than 5 s)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

from rltheory.cli import main
from rltheory.experiments import UsageError, load_spec, rundir, runner
from rltheory.experiments import results as R
from rltheory.experiments.protocols import online as O

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def table(directory) -> pd.DataFrame:
    frame, _, _ = R.load_results(directory)
    return frame.drop(columns=[O.WALL_TIME])


def corrupt(paths: list[Path]) -> list[str]:
    """Truncate the first file, overwrite the second with garbage, empty the third."""
    data = paths[0].read_bytes()
    paths[0].write_bytes(data[: len(data) // 2])
    paths[1].write_bytes(b"not a parquet file at all" * 40)
    paths[2].write_bytes(b"")
    return [f"{R.CELLS_DIR}/{p.name}" for p in paths[:3]]


def test_corrupt_cells_reported_moved_aside_and_recomputed(capsys, write_spec, tmp_path):
    """Covers report, run (resume) and run --force on a directory with a truncated, a garbage
    and an empty cell file; the resumed table equals the uninterrupted one."""
    spec_path = write_spec()
    clean, damaged = tmp_path / "clean", tmp_path / "damaged"
    runner.run_experiment(load_spec(spec_path), clean, backend="inprocess")
    shutil.copytree(clean, damaged)
    names = corrupt(sorted((damaged / R.CELLS_DIR).glob("*.parquet")))

    assert main(["report", str(damaged)]) == 0  # the readable cells are reported
    err = capsys.readouterr().err
    for name in names:
        assert f"skipped {name}" in err
    assert "empty file (0 bytes)" in err and "unreadable Parquet" in err
    summary = (damaged / "report" / "summary.md").read_text()
    assert all(f"SKIPPED {name}" in summary for name in names)

    argv = ["run", str(spec_path), "--out", str(damaged), "--backend", "inprocess"]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    for name in names:
        assert f"warning: {name} is unreadable" in err and f"recomputed {name}" in out
    assert "3 cell(s) run" in out and len(list((damaged / rundir.CORRUPT_DIR).iterdir())) == 3
    pd.testing.assert_frame_equal(table(damaged), table(clean))
    session = R.read_manifest(damaged)["sessions"][-1]
    assert sorted(item["file"] for item in session["corrupt_moved"]) == sorted(names)

    names = corrupt(sorted((damaged / R.CELLS_DIR).glob("*.parquet")))
    assert main([*argv, "--episodes", "30", "--force"]) == 0  # a changed spec over corrupt files
    out, err = capsys.readouterr()
    assert all(f"warning: {name} is unreadable" in err for name in names)
    assert R.load_results(damaged)[0][O.EPISODE].max() == 30


def test_stale_tmp_files_are_removed_and_recorded(write_spec, tmp_path):
    spec = load_spec(write_spec())
    runner.run_experiment(spec, tmp_path, backend="inprocess")
    stale = [tmp_path / ".manifest.json.ab12.tmp", tmp_path / R.CELLS_DIR / ".x.parquet.cd34.tmp"]
    for path in stale:
        path.write_bytes(b"half a write")
    runner.run_experiment(spec, tmp_path, backend="inprocess")
    assert not any(path.exists() for path in stale)
    removed = R.read_manifest(tmp_path)["sessions"][-1]["stale_tmp_removed"]
    assert sorted(removed) == sorted(str(p.relative_to(tmp_path)) for p in stale)


@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_files_follow_the_umask(write_spec, tmp_path, umask):
    old = os.umask(umask)
    try:
        runner.run_experiment(load_spec(write_spec()), tmp_path, backend="inprocess")
        from rltheory.experiments.report import make_report

        report = make_report(tmp_path)
    finally:
        os.umask(old)
    files = [tmp_path / R.MANIFEST, report.markdown, report.html]
    files += list((tmp_path / R.CELLS_DIR).glob("*.parquet"))
    for path in files:
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask, path


def test_manifest_is_rewritten_after_every_cell(write_spec, tmp_path, monkeypatch):
    """Before each cell starts, the manifest on disk counts the cells written so far."""
    spec = load_spec(write_spec())
    seen, real = [], runner.run_cell

    def spy(cell):
        manifest = json.loads((tmp_path / R.MANIFEST).read_text())
        seen.append(manifest["sessions"][-1]["cells_run"])
        return real(cell)

    monkeypatch.setattr(runner, "run_cell", spy)
    runner.run_experiment(spec, tmp_path, backend="inprocess")
    assert seen == list(range(len(spec.cells())))
    session = R.read_manifest(tmp_path)["sessions"][-1]
    assert session["status"] == "finished" and session["cells_run"] == len(spec.cells())


def test_a_second_run_into_a_locked_directory_is_refused(write_spec, tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from rltheory.experiments import rundir\n"
            "with rundir.locked(Path(sys.argv[1])):\n    print('locked', flush=True)\n"
            "    sys.stdin.read()",
            str(tmp_path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(UsageError, match=rf"another rltheory run .*pid.*{holder.pid}"):
            runner.run_experiment(load_spec(write_spec()), tmp_path, backend="inprocess")
        assert not (tmp_path / R.MANIFEST).exists()
    finally:
        holder.communicate("")
    runner.run_experiment(load_spec(write_spec()), tmp_path, backend="inprocess")
    assert len(R.read_manifest(tmp_path)["sessions"]) == 1


SLOW_SPEC = """
name = "slow"
episodes = 400
seeds = 2
checkpoints = 4
imports = ["toy_experiment_plugins"]

[[env]]
id = "toy-tabular"
params = { horizon = [2, 3000, 3001] }

[[algorithms]]
id = "uniform"
"""
"""One fast cell (H = 2, well under a second) and two that take minutes (H = 3000)."""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


@contextmanager
def slow_run(tmp_path: Path) -> Iterator[tuple[subprocess.Popen, list[int], Path]]:
    """``rltheory run`` on the processes backend (2 workers), given once the fast cell is
    written, with the worker pids; whatever of it is still alive at the end is killed. Its
    output goes to files (``out.txt``, ``err.txt``), not pipes, which surviving workers would
    hold open."""
    spec = tmp_path / "slow.toml"
    spec.write_text(SLOW_SPEC)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(HERE)])}
    workers: list[int] = []
    command = [sys.executable, "-m", "rltheory", "run", str(spec), "--out", str(out)]
    with open(tmp_path / "out.txt", "w") as stdout, open(tmp_path / "err.txt", "w") as stderr:
        driver = subprocess.Popen(
            [*command, "--workers", "2"],
            stdout=stdout,
            stderr=stderr,
            env=env,
        )
    try:
        _wait_for_first_cell(driver, out)
        tasks = Path(f"/proc/{driver.pid}/task")
        workers += [int(p) for t in tasks.iterdir() for p in (t / "children").read_text().split()]
        assert len(workers) >= 2 and all(alive(pid) for pid in workers)
        yield driver, workers, out
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait()
        for pid in workers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def _wait_for_first_cell(driver: subprocess.Popen, out: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if R.read_manifest(out)["sessions"][-1]["cells_run"] >= 1:
                return
        except (R.ResultsError, IndexError, json.JSONDecodeError):
            pass
        assert driver.poll() is None, f"the driver exited with {driver.returncode}"
        time.sleep(0.2)
    pytest.fail("the fast cell did not finish within 120 s")


def assert_workers_gone_within(workers: list[int], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    survivors = [pid for pid in workers if alive(pid)]
    assert not survivors, f"workers {survivors} outlived their driver by {seconds} s"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs /proc (Linux)")
def test_sigterm_stops_workers_saves_cells_and_exits_143(tmp_path):
    with slow_run(tmp_path) as (driver, workers, out):
        driver.send_signal(signal.SIGTERM)
        assert driver.wait(timeout=30) == 143
        err = (tmp_path / "err.txt").read_text()
        assert "terminated (SIGTERM); finished cells are saved" in err and "Traceback" not in err
        assert_workers_gone_within(workers, 5.0)
    session = R.read_manifest(out)["sessions"][-1]
    assert session["status"] == "terminated" and session["cells_run"] >= 1
    assert len(list((out / R.CELLS_DIR).glob("*.parquet"))) == session["cells_run"]


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs /proc (Linux)")
def test_sigkill_of_the_driver_takes_its_workers_down(tmp_path):
    with slow_run(tmp_path) as (driver, workers, out):
        driver.send_signal(signal.SIGKILL)
        driver.wait(timeout=30)
        assert_workers_gone_within(workers, 5.0)
    session = R.read_manifest(out)["sessions"][-1]  # written after the last finished cell
    assert session["status"] == "running" and session["cells_run"] >= 1
    assert len(list((out / R.CELLS_DIR).glob("*.parquet"))) == session["cells_run"]
    with rundir.locked(out):  # the kernel released the dead driver's lock
        pass
