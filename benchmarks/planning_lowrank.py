"""Benchmark: optimal planning on a linear MDP, low-rank path vs dense path vs memory bandwidth.

Backward induction ``Q_h = r_h + P_h V_{h+1}`` on a random simplex linear MDP (Jin et al. 2020,
Example 2.2: ``phi(s,a)`` and every ``mu_h[j]`` on the simplex, ``r_h = <phi, theta_h>``).

- low-rank path: ``rltheory.mdp.optimal`` on :class:`LowRankTransitions`, ``P_h V`` as
  ``phi (mu_h V)`` in O(S·A·d) per step;
- dense path: the same model with its kernel materialised as :class:`DenseTransitions`
  (``[S, A, S]``, only where it fits in memory), O(S²·A) per step;
- memory-bandwidth bound of the low-rank path: it must read ``phi`` (``S·A·d`` floats) and
  ``mu_h`` (``d·S`` floats) once per step, so ``t_bound = H · (bytes of phi + mu_h) / B`` where
  ``B`` is the copy bandwidth measured with a large ``numpy.copyto`` (STREAM convention: bytes read
  plus bytes written, per second). The bandwidth is re-measured beside every timed repetition
  so both see the same machine load.

Timings are medians of ``--reps`` repetitions after one warm-up. Results go to stdout (a table)
and ``benchmarks/results/planning_lowrank.json``. Run::

    .venv/bin/python benchmarks/planning_lowrank.py            # S = 10^5 and S = 2000
    .venv/bin/python benchmarks/planning_lowrank.py --quick    # S = 2·10^4 and S = 500
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from rltheory.mdp import DenseTransitions, FiniteHorizonMDP, LowRankTransitions, optimal

RESULTS = Path(__file__).resolve().parent / "results" / "planning_lowrank.json"
COPY_BYTES = 2**29  # 512 MiB: far beyond any cache


def simplex_linear_mdp(
    rng: np.random.Generator, n_states: int, n_actions: int, dim: int, horizon: int, layers: int
) -> FiniteHorizonMDP:
    """Random simplex linear MDP: ``phi(s,a), mu_h[j] ~ Dirichlet(1)``, ``theta_h ~ U[0,1]^d``."""
    phi = rng.standard_exponential((n_states, n_actions, dim))
    phi /= phi.sum(-1, keepdims=True)
    mu = rng.standard_exponential((layers, dim, n_states))
    mu /= mu.sum(-1, keepdims=True)
    theta = rng.uniform(0.0, 1.0, size=(horizon, dim))
    rewards = np.einsum("sad,hd->hsa", phi, theta)
    initial = np.zeros(n_states)
    initial[0] = 1.0
    return FiniteHorizonMDP(LowRankTransitions(phi, mu), rewards, initial, reward_parameters=theta)


def as_dense(model: FiniteHorizonMDP) -> FiniteHorizonMDP:
    """The same model with the kernel materialised ``[L, S, A, S]``."""
    return FiniteHorizonMDP(
        DenseTransitions(model.transitions.dense()), model.rewards, model.initial_distribution
    )


def copy_bandwidth(source: np.ndarray, target: np.ndarray) -> float:
    """Bytes per second of one large copy (read + write traffic)."""
    start = time.perf_counter()
    np.copyto(target, source)
    return 2 * source.nbytes / (time.perf_counter() - start)


def timed(function: Callable[[], object], reps: int, buffers) -> tuple[list[float], list[float]]:
    """Warm up once, then ``reps`` (seconds, bandwidth measured just before) pairs."""
    function()
    seconds, bandwidth = [], []
    for _ in range(reps):
        bandwidth.append(max(copy_bandwidth(*buffers) for _ in range(3)))
        start = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - start)
    return seconds, bandwidth


def bound_seconds(model: FiniteHorizonMDP, bandwidth: float) -> float:
    """``H · (bytes of phi + bytes of mu_h) / bandwidth``: the low-rank path's traffic floor."""
    t = model.transitions
    per_step = t.phi.nbytes + t.mu[0].nbytes
    return model.horizon * per_step / bandwidth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    parser.add_argument("--reps", type=int, default=5, help="timed repetitions (>= 3)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.reps < 3:
        parser.error("--reps must be at least 3")
    n_actions, dim, horizon = 10, 16, 50
    large, small = (20_000, 500) if args.quick else (100_000, 2_000)
    rng = np.random.default_rng(0)
    buffers = (np.ones(COPY_BYTES // 8), np.empty(COPY_BYTES // 8))
    rows = []

    def record(path: str, model: FiniteHorizonMDP, layers: int, low_rank: bool) -> dict:
        seconds, bandwidth = timed(lambda: optimal(model), args.reps, buffers)
        row = {
            "path": path,
            "S": model.n_states,
            "A": n_actions,
            "d": dim,
            "H": horizon,
            "kernel_layers": layers,
            "seconds_median": float(np.median(seconds)),
            "seconds": seconds,
            "copy_bandwidth_GBps_median": float(np.median(bandwidth)) / 1e9,
        }
        if low_rank:
            bounds = [bound_seconds(model, b) for b in bandwidth]
            row["bandwidth_bound_seconds_median"] = float(np.median(bounds))
            row["time_over_bound_median"] = float(np.median(np.divide(seconds, bounds)))
        rows.append(row)
        return row

    print(f"building S={large} linear MDP (time-inhomogeneous mu [H, d, S]) ...", flush=True)
    model = simplex_linear_mdp(rng, large, n_actions, dim, horizon, layers=horizon)
    record("low-rank", model, horizon, True)
    del model
    print(f"building S={small} linear MDP (homogeneous, so the dense kernel fits) ...", flush=True)
    model = simplex_linear_mdp(rng, small, n_actions, dim, horizon, layers=1)
    dense = as_dense(model)
    low_rank_row = record("low-rank", model, 1, True)
    dense_row = record("dense", dense, 1, False)
    reference, check = optimal(dense), optimal(model)
    agreement = {
        "max_abs_diff_q": float(np.abs(reference.q - check.q).max()),
        "policies_equal": bool(np.array_equal(reference.policy, check.policy)),
    }
    summary = {
        "dense_over_low_rank_same_S": dense_row["seconds_median"] / low_rank_row["seconds_median"],
        "dense_vs_low_rank_agreement": agreement,
        "target": "low-rank planning within 3x of the memory-bandwidth bound",
    }
    machine = {
        "numpy": np.__version__,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_1min_at_end": os.getloadavg()[0],
        "platform": platform.platform(),
    }

    print()
    header = (
        f"{'path':9} {'S':>7} {'L':>3} {'median s':>9} {'bound s':>8} {'t/bound':>8} {'GB/s':>6}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        bound = row.get("bandwidth_bound_seconds_median")
        ratio = row.get("time_over_bound_median")
        print(
            f"{row['path']:9} {row['S']:>7} {row['kernel_layers']:>3} "
            f"{row['seconds_median']:>9.4f} "
            f"{'' if bound is None else f'{bound:.4f}':>8} "
            f"{'' if ratio is None else f'{ratio:.2f}':>8} "
            f"{row['copy_bandwidth_GBps_median']:>6.2f}"
        )
    print(
        f"\ndense / low-rank at S={small}: {summary['dense_over_low_rank_same_S']:.1f}x; "
        f"max |Q_dense - Q_lowrank| = {agreement['max_abs_diff_q']:.2e}, "
        f"policies equal: {agreement['policies_equal']}; "
        f"load average {machine['load_average_1min_at_end']:.2f} on {machine['cpus']} CPUs"
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps({"rows": rows, "summary": summary, "machine": machine}, indent=2) + "\n"
    )
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
