"""Shared benchmark machinery: alternating live timings, load average, roofline, peer runs.

Hygiene rules every benchmark here follows (and ``make_readme.py`` reports):

- a ratio is only ever formed from two live timings taken in the same invocation, with the
  sides alternating rep by rep (A B A B ...), after one untimed warm-up of each side;
- each side is summarised by the min and the median of >= 3 repetitions, and the 1-minute load
  average (``os.getloadavg()``) is recorded before every repetition;
- recorded peer figures never enter a ratio.

The peer benchmark is found at ``<repo>/../shared/peer-bench`` (``--shared`` overrides the
``shared`` directory); its virtualenvs are built by its ``setup_envs.sh`` into ``$PEER_ROOT``
(default ``~/.cache/rltheory-peers``), outside the repository. Peer code is never imported:
``bench_rlberry.py`` runs in the peer interpreter from a temporary copy of the peer directory.
"""

from __future__ import annotations

import csv
import os
import platform
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"


def default_shared() -> Path:
    """``<repo>/../shared`` (where CI puts the shared material beside the clone)."""
    return REPO.parent / "shared"


def peer_python(venv: str = "venv06") -> Path:
    """Interpreter of a peer virtualenv built by ``peer-bench/setup_envs.sh`` under PEER_ROOT."""
    root = Path(os.environ.get("PEER_ROOT", Path.home() / ".cache" / "rltheory-peers"))
    return root / venv / "bin" / "python"


def machine() -> dict:
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "when_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
    }


def summary(seconds: list[float], per: int = 1) -> dict:
    """Min and median of the repetitions, also divided by ``per`` (e.g. ms per episode)."""
    values = np.asarray(seconds, dtype=float)
    return {
        "runs": len(seconds),
        "seconds": [float(s) for s in seconds],
        "min_s": float(values.min()),
        "median_s": float(np.median(values)),
        "min_ms_per_unit": 1000 * float(values.min()) / per,
        "median_ms_per_unit": 1000 * float(np.median(values)) / per,
    }


def ratio(slow: dict, fast: dict) -> dict:
    """``slow / fast`` of two live summaries: of the minima and of the medians."""
    return {
        "min": slow["min_s"] / fast["min_s"],
        "median": slow["median_s"] / fast["median_s"],
    }


def alternate(
    sides: dict[str, Callable[[], float]], reps: int, warmed: tuple[str, ...] = ()
) -> tuple[dict, list]:
    """Time each side ``reps`` times, alternating (A B A B ...), after one warm-up of each
    side not in ``warmed`` (sides that warm up on their own, like the peer script).

    Each callable returns its own measured seconds (so setup is excluded). Returns
    ``({side: [seconds]}, [load average before each round])``.
    """
    for name, run in sides.items():
        if name not in warmed:
            run()
    times: dict[str, list[float]] = {name: [] for name in sides}
    loads = []
    for _ in range(reps):
        loads.append(os.getloadavg()[0])
        for name, run in sides.items():
            times[name].append(run())
    return times, loads


def timed_online_run(
    entry, model, n_episodes: int, config, seeds: Iterable[int], *, exact_regret: bool
) -> float:
    """Seconds of one ``run_online`` of K episodes by a fresh learner over ``seeds`` (one batch;
    building the learner is not timed)."""
    from rltheory.experiments.loops import make_online, run_online, seed_generators

    env_rngs, algo_rngs = seed_generators([np.random.SeedSequence(s) for s in seeds])
    learner = make_online(entry, model, n_episodes, config, algo_rngs)
    start = time.perf_counter()
    run_online(model, learner, n_episodes, env_rngs, exact_regret=exact_regret)
    return time.perf_counter() - start


def copy_bandwidth(n_bytes: int = 64 * 2**20, reps: int = 3) -> float:
    """STREAM-style copy bandwidth (bytes read + written per second), best of ``reps``."""
    src = np.ones(n_bytes // 8)
    dst = np.empty_like(src)
    best = np.inf
    for _ in range(reps):
        start = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - start)
    return 2 * n_bytes / best


def matmul_rate(n: int = 512, reps: int = 3) -> float:
    """Floating-point operations per second of one ``[n, n] @ [n, n]`` gemm, best of ``reps``."""
    a = np.random.default_rng(0).random((n, n))
    best = np.inf
    for _ in range(reps):
        start = time.perf_counter()
        a @ a
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best


def roofline(flops: float, n_bytes: float, seconds: float) -> dict:
    """Lower bound ``max(flops / F, bytes / W)`` from the machine's matmul rate F and copy
    bandwidth W (measured now), and how far ``seconds`` is from it."""
    rate, bandwidth = matmul_rate(), copy_bandwidth()
    bound = max(flops / rate, n_bytes / bandwidth)
    return {
        "flops": flops,
        "bytes": n_bytes,
        "matmul_flops_per_s": rate,
        "copy_bytes_per_s": bandwidth,
        "bound_s": bound,
        "measured_s": seconds,
        "measured_over_bound": seconds / bound,
    }


def run_peer(shared: Path, flags: list[str], python: Path | None = None) -> list[dict]:
    """Run ``bench_rlberry.py flags`` in the peer interpreter from a temporary copy of
    ``shared/peer-bench``; return its CSV rows (one per repetition)."""
    source = shared / "peer-bench"
    python = python or peer_python()
    if not python.exists():
        raise FileNotFoundError(
            f"peer interpreter {python} not found: build it with "
            f"PEER_ROOT=<scratch dir> {source}/setup_envs.sh (see {source}/README.md)"
        )
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "peer-bench"
        shutil.copytree(source, work, ignore=shutil.ignore_patterns("results", "logs"))
        out = Path(tmp) / "live.csv"
        command = [str(python), "bench_rlberry.py", *flags, "--csv", str(out)]
        subprocess.run(command, cwd=work, check=True, stdout=subprocess.DEVNULL)
        with out.open() as f:
            return list(csv.DictReader(f))


def peer_fit_seconds(shared: Path, agent: str, n_episodes: int, extra: list[str]) -> float:
    """Seconds of one live rlberry ``fit(budget=K)`` (its own timer; warm-up excluded)."""
    flags = ["--agent", agent, "--K", str(n_episodes), "--reps", "1", *extra]
    rows = run_peer(shared, flags)
    return float(rows[0]["fit_s"])
