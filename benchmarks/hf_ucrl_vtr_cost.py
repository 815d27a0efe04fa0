"""Benchmark: per-episode cost of HF-UCRL-VTR+ and UCRL-VTR is flat in the episode index k.

Instance: ``hf-hard`` (Zhou & Gu 2022's horizon-free hard instance, mixture encoding), d = 5
(A = 16), H = 20, instance K tied to the run's K, instance seed 0; learners at their default
(theory) hyperparameters except ``beta_scale`` (1e-3 for HF-UCRL-VTR+, 0.3 for UCRL-VTR), B
seeds in one batch. Each learner is timed alone (policy + rollout + update, no regret
accounting; ``run_online(exact_regret=False)``) with a timestamp after every episode; the report
gives ms per episode in blocks of ``--block`` episodes (first, median, last, max), the number of
moment levels M, and the 1-minute load average before and after (the machine is shared).
Learners keep no trajectory history, so the blocks should agree up to noise and the Cholesky
refresh every ``refresh_every`` steps.

Run::

    .venv/bin/python benchmarks/hf_ucrl_vtr_cost.py                 # K = 400
    .venv/bin/python benchmarks/hf_ucrl_vtr_cost.py --K 4000 --block 500
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import time
from pathlib import Path

import numpy as np

from rltheory.algos import registry
from rltheory.envs import make_model
from rltheory.experiments.loops import make_online, run_online, seed_generators

RESULTS = Path(__file__).resolve().parent / "results"
LEARNERS = {"hf-ucrl-vtr-plus": {"beta_scale": 1e-3}, "ucrl-vtr": {"beta_scale": 0.3}}


def timed_run(algorithm_id: str, model, n_episodes: int, n_seeds: int) -> tuple[np.ndarray, int]:
    """Timestamps ``[K + 1]`` of one batched run of ``algorithm_id`` and its number of levels."""
    entry = registry.get(algorithm_id)
    seeds = [np.random.SeedSequence(0, spawn_key=(i,)) for i in range(n_seeds)]
    env_rngs, algo_rngs = seed_generators(seeds)
    config = entry.make_config(**LEARNERS[algorithm_id])
    learner = make_online(entry, model, n_episodes, config, algo_rngs)
    stamps = np.empty(n_episodes + 1)

    def stamp(k: int, _learner) -> None:
        stamps[k + 1] = time.perf_counter()

    stamps[0] = time.perf_counter()
    run_online(model, learner, n_episodes, env_rngs, callback=stamp, exact_regret=False)
    return stamps, learner.n_levels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--d", type=int, default=5)
    parser.add_argument("--H", type=int, default=20)
    parser.add_argument("--K", type=int, default=400)
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--block", type=int, default=100, help="episodes per timing block")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    model = make_model("hf-hard", rng, dim=args.d, horizon=args.H, n_episodes=args.K)
    load_before = os.getloadavg()[0]
    report = {}
    for algorithm_id in LEARNERS:
        stamps, levels = timed_run(algorithm_id, model, args.K, args.seeds)
        edges = [*range(0, args.K, args.block), args.K]
        blocks = [
            1000 * float(stamps[b] - stamps[a]) / (b - a) for a, b in itertools.pairwise(edges)
        ]
        report[algorithm_id] = {
            "params": LEARNERS[algorithm_id],
            "levels": levels,
            "seconds": float(stamps[-1] - stamps[0]),
            "ms_per_episode_blocks": blocks,
        }
        print(
            f"{algorithm_id:>17} (M={levels}): ms/episode per block of {args.block}: first "
            f"{blocks[0]:.2f}, median {np.median(blocks):.2f}, last {blocks[-1]:.2f}, max "
            f"{max(blocks):.2f} ({args.seeds} seeds batched)"
        )
    load_after = os.getloadavg()[0]
    print(f"load average (1 min) before: {load_before:.2f}, after: {load_after:.2f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"hf_ucrl_vtr_cost_K{args.K}.json"
    instance = {"family": "hf-hard", "d": args.d, "H": args.H, "K": args.K, "seed": 0}
    payload = {"instance": instance, "seeds": args.seeds, "block": args.block, "runs": report}
    payload["load_average"] = {"before": load_before, "after": load_after}
    out.write_text(json.dumps(payload, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
