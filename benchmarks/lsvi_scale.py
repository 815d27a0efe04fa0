"""Benchmark: LSVI-UCB at scale — S = 10^4, A = 10, d = 16, H = 20, K = 10^4, one seed.

Instance: ``random-linear`` with those sizes (time-homogeneous simplex linear MDP, instance
seed 0), per-step LSVI-UCB with lam = 1 and beta = 0.1 (the explicit override; the theory
value ``d H sqrt(iota)`` only changes the numbers, not the cost). Two runs, one seed each:

- ``learner``: policy + rollout + update for K episodes;
- ``run_online``: the same plus the exact per-episode pseudo-regret (a policy evaluation on
  the model every episode).

For each run: wall time (``time.perf_counter``), the time of every block of ``--block``
episodes (to show the per-episode cost is flat in k; a block containing a Cholesky refresh of
``Lambda^{-1}``, every ``refresh_every = 1000`` rank-one updates, is slightly dearer), and the
process's peak resident set size (``resource.getrusage(RUSAGE_SELF).ru_maxrss``, Linux KiB),
which covers the model, the learner and both runs.

Run::

    .venv/bin/python benchmarks/lsvi_scale.py                      # smoke: K = 200
    .venv/bin/python benchmarks/lsvi_scale.py --K 10000 --block 500
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import time
from pathlib import Path

import numpy as np

from rltheory.algos import registry
from rltheory.envs import make_model
from rltheory.experiments.loops import make_online, run_online, seed_generators

RESULTS = Path(__file__).resolve().parent / "results"
BETA, LAM = 0.1, 1.0


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--S", type=int, default=10_000)
    parser.add_argument("--A", type=int, default=10)
    parser.add_argument("--d", type=int, default=16)
    parser.add_argument("--H", type=int, default=20)
    parser.add_argument("--K", type=int, default=200, help="episodes (10^4 for the full run)")
    parser.add_argument("--block", type=int, default=50, help="episodes per timing block")
    parser.add_argument(
        "--skip-regret", action="store_true", help="time the learner alone, not run_online"
    )
    args = parser.parse_args()
    n_episodes = args.K
    sizes = {"n_states": args.S, "n_actions": args.A, "dim": args.d, "horizon": args.H}

    start = time.perf_counter()
    model = make_model("random-linear", np.random.default_rng(0), **sizes)
    build_s = time.perf_counter() - start
    rss_model = peak_rss_mib()
    entry = registry.get("lsvi-ucb")
    config = entry.make_config(beta=BETA, lam=LAM)
    load_before = os.getloadavg()[0]

    # learner alone: policy + rollout + update, a timestamp after every episode
    env_rngs, algo_rngs = seed_generators([np.random.SeedSequence(0)])
    algorithm = make_online(entry, model, n_episodes, config, algo_rngs)
    stamps = np.empty(n_episodes + 1)

    def stamp(k: int, _learner) -> None:
        stamps[k + 1] = time.perf_counter()

    stamps[0] = time.perf_counter()
    run_online(model, algorithm, n_episodes, env_rngs, callback=stamp, exact_regret=False)
    learner_policy = algorithm.policy()
    runs = {"learner": stamps}
    rss_learner = peak_rss_mib()

    regret_total = None
    if not args.skip_regret:
        env_rngs, algo_rngs = seed_generators([np.random.SeedSequence(0)])
        algorithm = make_online(entry, model, n_episodes, config, algo_rngs)
        stamps = np.empty(n_episodes + 1)
        stamps[0] = time.perf_counter()
        run = run_online(model, algorithm, n_episodes, env_rngs, callback=stamp)
        if not np.array_equal(algorithm.policy(), learner_policy):
            raise RuntimeError("run_online and the learner loop ended with different policies")
        runs["run_online"] = stamps
        regret_total = float(run.regret.sum())
    load_after = os.getloadavg()[0]

    print(
        f"LSVI-UCB (per-step Gram) on random-linear S={args.S} A={args.A} d={args.d} H={args.H}, "
        f"K={n_episodes}, one seed, beta={BETA}, lam={LAM}"
    )
    report = {}
    for name, stamps in runs.items():
        total = float(stamps[-1] - stamps[0])
        edges = [*range(0, n_episodes, args.block), n_episodes]
        blocks = [
            {
                "from_k": a,
                "to_k": b,
                "ms_per_episode": 1000 * float(stamps[b] - stamps[a]) / (b - a),
            }
            for a, b in itertools.pairwise(edges)
        ]
        per_block = np.array([b["ms_per_episode"] for b in blocks])
        report[name] = {"seconds": total, "ms_per_episode": 1000 * total / n_episodes}
        report[name]["blocks"] = blocks
        print(
            f"{name:>10}: {total:8.1f} s, {1000 * total / n_episodes:7.2f} ms/episode; "
            f"per block of {args.block}: first {per_block[0]:.2f}, "
            f"median {np.median(per_block):.2f}, last {per_block[-1]:.2f}, "
            f"max {per_block.max():.2f} ms/episode"
        )
    rss = peak_rss_mib()
    print(
        f"peak RSS {rss:.0f} MiB (after model build {rss_model:.0f}, after learner run "
        f"{rss_learner:.0f}); model build {build_s:.1f} s"
    )
    if regret_total is not None:
        print(f"exact pseudo-regret over K: {regret_total:.2f}")
    print(f"load average (1 min) before: {load_before:.2f}, after: {load_after:.2f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"lsvi_scale_K{n_episodes}.json"
    out.write_text(
        json.dumps(
            {
                "instance": {**sizes, "seed": 0, "beta": BETA, "lam": LAM},
                "K": n_episodes,
                "runs": report,
                "peak_rss_mib": rss,
                "rss_after_model_mib": rss_model,
                "rss_after_learner_mib": rss_learner,
                "model_build_s": build_s,
                "regret_exact_total": regret_total,
                "loadavg_1min": [load_before, load_after],
            },
            indent=1,
        )
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
