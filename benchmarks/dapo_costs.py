"""DAPO's per-episode cost: vs S, A, H, vs arrivals per episode, flat in k, the exact-regret
accounting's share, and 32 batched seeds vs 32 one-seed runs.

There is no public DAPO code to compare with; every figure is a ratio or a scaling measured live
in this invocation. Timed blocks alternate between the variants compared and are repeated
(``--reps``, >= 3): min and median are reported with the 1-minute load average before and after.

    .venv/bin/python benchmarks/dapo_costs.py              # smoke: K = 60, 2 reps
    .venv/bin/python benchmarks/dapo_costs.py --K 200 --reps 3   # the reported figures
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from rltheory.algos import get
from rltheory.envs import make_model
from rltheory.envs.delays import delays as draw_delays
from rltheory.experiments.adversarial_loop import adversarial_problem, run_adversarial
from rltheory.experiments.loops import seed_generators

RESULTS = Path(__file__).resolve().parent / "results"
BASE = {"n_states": 6, "n_actions": 3, "horizon": 4}


def _setup(params: dict, n_episodes: int, seeds: list[int], delay: str = "geometric"):
    adv = make_model(
        "adversarial-tabular", np.random.default_rng(0), kind="piecewise", n_episodes=n_episodes,
        **params,
    )  # fmt: skip
    late = (
        draw_delays("bursts", n_episodes, np.random.default_rng(1), period=40, length=10, gap=5)
        if delay == "bursts"
        else draw_delays("geometric", n_episodes, np.random.default_rng(1), mean=5.0)
    )
    entry = get("dapo")
    env_rngs, algo_rngs = seed_generators([np.random.SeedSequence(s) for s in seeds])
    learner = entry.cls(adversarial_problem(adv), entry.make_config(eta=0.05), algo_rngs)
    return adv, late, learner, env_rngs


def timed_run(params, n_episodes, seeds, *, exact=False, delay="geometric", clock=None):
    """Seconds of one run (learner + rollouts, plus the exact accounting when ``exact``)."""
    adv, late, learner, env_rngs = _setup(params, n_episodes, seeds, delay)
    start = time.perf_counter()
    run = run_adversarial(
        adv, learner, env_rngs, delays=late, exact_regret=exact, callback=clock,
    )  # fmt: skip
    return time.perf_counter() - start, run


def stats(samples: list[float]) -> dict[str, float]:
    return {"min": float(np.min(samples)), "median": float(np.median(samples))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--K", type=int, default=60)
    parser.add_argument("--reps", type=int, default=2)
    args = parser.parse_args()
    K, reps, batch = args.K, args.reps, list(range(8))
    load_before = os.getloadavg()[0]
    out: dict = {"K": K, "reps": reps, "seeds_per_learner": len(batch)}

    sizes = {
        "S": [{**BASE, "n_states": s} for s in (4, 8, 16)],
        "A": [{**BASE, "n_actions": a} for a in (2, 4, 8)],
        "H": [{**BASE, "horizon": h} for h in (2, 4, 8)],
    }
    for name, grid in sizes.items():
        samples = [[] for _ in grid]
        for _ in range(reps):  # alternate the grid points inside each repetition
            for i, params in enumerate(grid):
                samples[i].append(timed_run(params, K, batch)[0] / K * 1e3)
        out[f"ms_per_episode_vs_{name}"] = {
            str(params[key]): stats(s)
            for params, s, key in zip(
                grid, samples, [{"S": "n_states", "A": "n_actions", "H": "horizon"}[name]] * 3,
                strict=True,
            )
        }  # fmt: skip

    # Arrivals per episode (bursts) and flatness in k, from per-episode clocks.
    ticks = np.empty(K)
    last = [time.perf_counter()]

    def clock(k: int) -> None:
        now = time.perf_counter()
        ticks[k], last[0] = now - last[0], now

    _, run = timed_run(BASE, K, batch, delay="bursts", clock=clock)
    arrivals = run.arrivals_per_episode
    out["ms_per_episode_vs_arrivals"] = {
        str(n): float(np.median(ticks[arrivals == n]) * 1e3) for n in np.unique(arrivals)
    }
    _, run = timed_run(BASE, K, batch, clock=clock)
    quarter = max(1, K // 4)
    out["flat_in_k_ms"] = {
        "first_quarter_median": float(np.median(ticks[:quarter]) * 1e3),
        "last_quarter_median": float(np.median(ticks[-quarter:]) * 1e3),
    }

    # The exact accounting's share: the same run with and without it, alternating.
    plain, exact, share = [], [], []
    for _ in range(reps):
        plain.append(timed_run(BASE, K, batch)[0])
        seconds, run = timed_run(BASE, K, batch, exact=True)
        exact.append(seconds)
        share.append(run.accounting_seconds / seconds)
    out["accounting"] = {
        "learner_only_s": stats(plain),
        "with_exact_regret_s": stats(exact),
        "accounting_share": stats(share),
    }

    # 32 seeds in one batched learner vs 32 one-seed runs, alternating.
    batched, sequential = [], []
    seeds = list(range(32))
    for _ in range(reps):
        batched.append(timed_run(BASE, K, seeds)[0])
        start = time.perf_counter()
        for s in seeds:
            timed_run(BASE, K, [s])
        sequential.append(time.perf_counter() - start)
    out["batched_32_vs_sequential_32"] = {
        "batched_s": stats(batched),
        "sequential_s": stats(sequential),
        "speedup_median": float(np.median(sequential) / np.median(batched)),
    }
    out["loadavg_1min"] = [load_before, os.getloadavg()[0]]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "dapo_costs.json").write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
