"""Benchmark: rltheory UCBVI (one seed, and 32 batched seeds) vs rlberry 0.6.0's numba UCBVI.

Instance: the peer benchmark's random linear MDP as a tabular model (S = 50, A = 5, H = 10,
seed 0; ``make_model("random-linear", default_rng(0))``). Closest equal work: rlberry's
``UCBVIAgent`` (default options: one kernel estimate pooled over steps, estimated rewards, no
min with the previous Q, bonus ``0.1 / sqrt(n) + v_max / n`` clipped at v_max, full backward
induction over ``H S^2 A`` every episode) against ours with ``pooled`` (the default for a
time-homogeneous model), ``known_rewards=False``, ``monotone=False`` and the Hoeffding bonus
with the explicit coefficient ``beta = 0.1`` (``0.1 / sqrt(N)``). Timed: the whole K-episode
loop (policy + rollout + update; rlberry's ``fit(budget=K)``), alternating rep by rep:

- ``ours B=1``: one seed; ``ours B=32``: 32 seeds in one learner;
- ``rlberry``: ``bench_rlberry.py --agent ucbvi --reps 1`` in the peer virtualenv.

Targets: ours B=1 no slower per episode than rlberry; ours B=32 at least 10x rlberry's
one-seed throughput (seed-episodes per second). Also: numpy operations per episode (B = 1) and
a roofline line (flops and bytes per seed-episode from the sizes vs the measured matmul rate
and copy bandwidth).

Run::

    .venv/bin/python benchmarks/ucbvi_vs_rlberry.py --K 1000 --reps 3   # ~2 min
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np
from _harness import (
    RESULTS,
    alternate,
    default_shared,
    machine,
    peer_fit_seconds,
    ratio,
    roofline,
    summary,
    timed_online_run,
)
from _numpy_calls import numpy_calls_per_episode

from rltheory.algos import registry
from rltheory.envs import make_model

INSTANCE = {"n_states": 50, "n_actions": 5, "dim": 10, "horizon": 10}
BONUS = 0.1
PARAMS = {"beta": BONUS, "known_rewards": False, "monotone": False}
BATCH, TARGET_BATCH_RATIO = 32, 10.0


def ours(model, n_episodes: int, n_seeds: int):
    """A side: one timed K-episode run of our UCBVI over ``n_seeds`` seeds, its seconds."""
    entry = registry.get("ucbvi")
    config = entry.make_config(**PARAMS)
    seeds = range(n_seeds)
    return lambda: timed_online_run(entry, model, n_episodes, config, seeds, exact_regret=False)


def episode_cost(sizes: dict) -> tuple[float, float]:
    """Flops and bytes of one seed-episode of pooled UCBVI, counted from the sizes: per step the
    product ``P_hat V`` (2 S^2 A) and five elementwise passes over ``[S, A]``; bytes: ``P_hat``
    read once per step plus ``Q_h``, bonus, rewards and cap (the update touches H rows only)."""
    s, a, h = sizes["n_states"], sizes["n_actions"], sizes["horizon"]
    return float(h * (2 * s * s * a + 5 * s * a)), 8.0 * h * (s * s * a + 5 * s * a)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--K", type=int, default=1000, help="episodes")
    parser.add_argument("--reps", type=int, default=3, help="alternating repetitions (>= 3)")
    parser.add_argument("--shared", type=Path, default=default_shared(), help="shared/ dir")
    args = parser.parse_args()
    if args.reps < 3:
        parser.error("--reps must be >= 3 (min and median of at least 3 live runs)")
    model = make_model("random-linear", np.random.default_rng(0), **INSTANCE)
    entry = registry.get("ucbvi")
    counted = numpy_calls_per_episode(entry, model, entry.make_config(**PARAMS), 1, 40)
    calls = {k: v for k, v in counted.items() if k != "final_policy"}

    k = args.K
    sides = {
        "ours B=1": ours(model, k, 1),
        f"ours B={BATCH}": ours(model, k, BATCH),
        "rlberry": lambda: peer_fit_seconds(args.shared, "ucbvi", k, ["--bonus", str(BONUS)]),
    }
    times, loads = alternate(sides, args.reps, warmed=("rlberry",))
    stats = {name: summary(t, per=k) for name, t in times.items()}
    one = ratio(stats["rlberry"], stats["ours B=1"])
    batched = {
        key: BATCH * v for key, v in ratio(stats["rlberry"], stats[f"ours B={BATCH}"]).items()
    }
    flops, n_bytes = episode_cost(INSTANCE)
    lines = {
        "B=1": roofline(flops, n_bytes, stats["ours B=1"]["min_s"] / k),
        f"B={BATCH}": roofline(
            BATCH * flops, BATCH * n_bytes, stats[f"ours B={BATCH}"]["min_s"] / k
        ),
    }
    for name, v in stats.items():
        print(f"{name}: {v['min_ms_per_unit']:.3f} / {v['median_ms_per_unit']:.3f} ms/episode")
    print(f"rlberry / ours B=1 (>= 1 wanted): min {one['min']:.2f}, median {one['median']:.2f}")
    print(
        f"ours B={BATCH} seed-episodes/s over rlberry episodes/s (>= {TARGET_BATCH_RATIO} wanted):"
        f" min {batched['min']:.1f}, median {batched['median']:.1f}"
    )
    for name, line in lines.items():
        print(
            f"roofline {name}: bound {1e6 * line['bound_s']:.0f} us per episode, measured "
            f"{1e6 * line['measured_s']:.0f} us = {line['measured_over_bound']:.1f}x"
        )
    print(f"numpy operations per episode (B=1): {calls['median']:.0f}; load {loads}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "ucbvi_vs_rlberry.json"
    document = {
        "benchmark": "ucbvi_vs_rlberry",
        "instance": {**INSTANCE, "seed": 0, "params": PARAMS},
        "machine": machine(),
        "K": k,
        "reps": args.reps,
        "targets": {"rlberry_over_ours_B1_at_least": 1.0, "batched_throughput_ratio": 10.0},
        "sides": stats,
        "rlberry_over_ours_B1": one,
        "batched_throughput_over_rlberry": batched,
        "roofline": lines,
        "numpy_calls_per_episode_B1": calls,
        "loadavg_before_each_round": loads,
        "loadavg_1min_end": os.getloadavg()[0],
    }
    out.write_text(json.dumps(document, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
