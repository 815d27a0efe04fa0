"""Benchmark: rltheory LSVI-UCB vs rlberry 0.6.0's numba ``LSVIUCBAgent``, live, side by side.

Instance: the peer benchmark's random exact linear MDP (``peer-bench/linear_mdp.py``, S = 50,
A = 5, d = 10, H = 10, seed 0), which is ``make_model("random-linear", default_rng(0))`` here
(``tests/envs/test_families.py`` checks the two are equal); lam = 1, beta = 0.1 on both sides.
Timed: the whole K-episode loop, ``time.perf_counter``, one process. Four sides, alternating
rep by rep in one invocation (see ``_harness.py`` for the hygiene rules):

- ``per-step``: ours, Jin et al.'s Algorithm 1 (one Gram matrix per step h), learner alone
  (policy + rollout + update, what rlberry's ``fit`` does);
- ``pooled``: ours with ``pooled=True`` (one Gram matrix over all h, like rlberry);
- ``per-step+regret``: ``per-step`` plus the exact per-episode pseudo-regret (``run_online``);
- ``rlberry``: ``bench_rlberry.py --reps 1`` in the peer virtualenv (its own timer around
  ``fit(budget=K)``, after its own warm-up ``fit(budget=3)`` that compiles the numba code),
  one subprocess per repetition.

Also reported: numpy operations per episode of ours (``_numpy_calls.py``) and a roofline line
for ``per-step`` (arithmetic and bytes per episode from the sizes, against the matmul rate and
copy bandwidth measured in the same run). Work differs: rlberry pools one Gram matrix and
redoes its regression over every stored transition each episode (cost grows with k); ours has
a per-episode cost independent of k.

Run::

    .venv/bin/python benchmarks/lsvi_vs_rlberry.py --K 250 --reps 3        # ~2 min
    .venv/bin/python benchmarks/lsvi_vs_rlberry.py --K 250 500 1000 --reps 3  # ~15 min
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
BETA, LAM = 0.1, 1.0
TARGET_K, TARGET_RATIO, REGRET_OVERHEAD = 1000, 300.0, 1.3


def ours(model, n_episodes: int, *, pooled: bool, exact_regret: bool):
    """A side: one timed K-episode run of our LSVI-UCB (seed 0), returning its seconds."""
    entry = registry.get("lsvi-ucb")
    config = entry.make_config(beta=BETA, lam=LAM, pooled=pooled)
    return lambda: timed_online_run(
        entry, model, n_episodes, config, [0], exact_regret=exact_regret
    )


def rlberry(shared: Path, n_episodes: int):
    """A side: one live rlberry ``fit(budget=K)`` in the peer interpreter, its seconds."""
    flags = ["--d", "10", "--bonus", str(BETA)]
    return lambda: peer_fit_seconds(shared, "lsvi", n_episodes, flags)


def episode_cost(sizes: dict) -> tuple[float, float]:
    """Flops and bytes of one per-step LSVI-UCB episode (B = 1), counted from the sizes.

    Plan, per step: ``M_h V`` (2dS), ``Lambda_h^{-1} target`` (2d²), ``phi w_h`` (2SAd), bonus,
    clip and max over actions (3SA). Update, per step: Gram and Sherman–Morrison (7d²), the
    quadratic-form downdate ``g^T phi`` (2SAd + 3SA), the bonus (3SA). Bytes: every array the
    step reads or writes, once (``M_h``, ``Lambda_h^{-1}`` twice, ``phi`` twice, ``Q_h``, the
    quadratic forms and bonus twice).
    """
    s, a, d, h = (sizes[k] for k in ("n_states", "n_actions", "dim", "horizon"))
    flops = h * (2 * d * s + 2 * d * d + 2 * s * a * d + 3 * s * a)
    flops += h * (7 * d * d + 2 * s * a * d + 6 * s * a)
    words = h * (d * s + 3 * d * d + 2 * s * a * d + 5 * s * a)
    return float(flops), 8.0 * words


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--K", type=int, nargs="+", default=[250], help="episode counts")
    parser.add_argument("--reps", type=int, default=3, help="alternating repetitions (>= 3)")
    parser.add_argument("--shared", type=Path, default=default_shared(), help="shared/ dir")
    parser.add_argument("--no-peer", action="store_true", help="ours only (no rlberry ratios)")
    args = parser.parse_args()
    if args.reps < 3:
        parser.error("--reps must be >= 3 (min and median of at least 3 live runs)")
    model = make_model("random-linear", np.random.default_rng(0), **INSTANCE)
    entry = registry.get("lsvi-ucb")

    calls = {}
    for name, pooled in (("per-step", False), ("pooled", True)):
        config = entry.make_config(beta=BETA, lam=LAM, pooled=pooled)
        counted = numpy_calls_per_episode(entry, model, config, 1, 40)
        calls[name] = {k: v for k, v in counted.items() if k != "final_policy"}

    rows = []
    for n_episodes in args.K:
        sides = {
            "per-step": ours(model, n_episodes, pooled=False, exact_regret=False),
            "pooled": ours(model, n_episodes, pooled=True, exact_regret=False),
            "per-step+regret": ours(model, n_episodes, pooled=False, exact_regret=True),
        }
        if not args.no_peer:
            sides["rlberry"] = rlberry(args.shared, n_episodes)
        times, loads = alternate(sides, args.reps, warmed=("rlberry",))
        stats = {name: summary(t, per=n_episodes) for name, t in times.items()}
        row = {"K": n_episodes, "sides": stats, "loadavg_before_each_round": loads}
        row["pooled_over_per_step"] = ratio(stats["pooled"], stats["per-step"])
        row["regret_over_learner"] = ratio(stats["per-step+regret"], stats["per-step"])
        if "rlberry" in stats:
            row["rlberry_over"] = {
                name: ratio(stats["rlberry"], stats[name]) for name in stats if name != "rlberry"
            }
        rows.append(row)
        print_row(row)

    flops, n_bytes = episode_cost(INSTANCE)
    per_episode = min(r["sides"]["per-step"]["min_s"] / r["K"] for r in rows)
    line = roofline(flops, n_bytes, per_episode)
    print(
        f"roofline per-step episode: {flops:.3g} flops, {n_bytes:.3g} bytes -> bound "
        f"{1e6 * line['bound_s']:.1f} us (matmul {line['matmul_flops_per_s'] / 1e9:.1f} GFLOP/s, "
        f"copy {line['copy_bytes_per_s'] / 1e9:.1f} GB/s); measured {1e6 * per_episode:.0f} us "
        f"= {line['measured_over_bound']:.0f}x the bound"
    )
    for name, counted in calls.items():
        print(f"numpy operations per episode ({name}): {counted['median']:.0f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "lsvi_vs_rlberry.json"
    document = {
        "benchmark": "lsvi_vs_rlberry",
        "instance": {**INSTANCE, "seed": 0, "beta": BETA, "lam": LAM},
        "machine": machine(),
        "reps": args.reps,
        "targets": {
            "rlberry_over_per_step_at_K": [TARGET_K, TARGET_RATIO],
            "pooled_over_per_step_at_most": 1.0,
            "regret_over_learner_at_most": REGRET_OVERHEAD,
        },
        "rows": rows,
        "numpy_calls_per_episode": calls,
        "roofline_per_step": line,
        "loadavg_1min_end": os.getloadavg()[0],
    }
    out.write_text(json.dumps(document, indent=1))
    print(f"wrote {out}")


def print_row(row: dict) -> None:
    stats = row["sides"]
    cells = " | ".join(
        f"{name} {v['min_ms_per_unit']:.3f}/{v['median_ms_per_unit']:.3f}"
        for name, v in stats.items()
    )
    print(f"K={row['K']}: ms/episode min/median: {cells}")
    print(
        f"   pooled/per-step {row['pooled_over_per_step']['median']:.2f}, "
        f"regret/learner {row['regret_over_learner']['median']:.2f}, "
        f"load {row['loadavg_before_each_round']}"
    )
    for name, r in row.get("rlberry_over", {}).items():
        print(f"   rlberry / {name}: min {r['min']:.0f}x, median {r['median']:.0f}x")


if __name__ == "__main__":
    main()
