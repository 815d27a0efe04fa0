"""Benchmark: B seeds of LSVI-UCB in one batched learner vs B sequential one-seed runs.

Instance: the peer benchmark's random exact linear MDP (``random-linear``, S = 50, A = 5,
d = 10, H = 10, instance seed 0), per-step LSVI-UCB with lam = 1 and beta = 0.1. Seed ``i`` is
``SeedSequence(i)`` in both modes (its environment and algorithm generators come from
``seed_generators``), so both modes must produce the same numbers.

Timed, each as the median of ``--reps`` runs after one warm-up (``time.perf_counter``):

- ``batched``: one learner with B seeds, one ``run_online`` over all of them;
- ``sequential``: B learners with one seed each, run one after the other in the same process;

both for the learner alone (policy + rollout + update) and with the exact per-episode regret
(``run_online``). Throughput = seed-episodes per second; the ratio is batched / sequential.

An untimed check runs both modes once more and records every episode's policy: the policies of
each seed must be bit-identical in the two modes, and its per-episode regret equal to 1e-12.

Run::

    .venv/bin/python benchmarks/lsvi_batched_seeds.py                   # smoke: K = 100
    .venv/bin/python benchmarks/lsvi_batched_seeds.py --K 500 --reps 3  # the reported figures
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from rltheory.algos import registry
from rltheory.envs import make_model
from rltheory.experiments.loops import make_online, run_online, seed_generators
from rltheory.mdp import FiniteHorizonMDP

RESULTS = Path(__file__).resolve().parent / "results"
INSTANCE = {"n_states": 50, "n_actions": 5, "dim": 10, "horizon": 10}
BETA, LAM = 0.1, 1.0


def _learner(model: FiniteHorizonMDP, seeds: list[int], n_episodes: int):
    entry = registry.get("lsvi-ucb")
    env_rngs, algo_rngs = seed_generators([np.random.SeedSequence(s) for s in seeds])
    config = entry.make_config(beta=BETA, lam=LAM)
    return make_online(entry, model, n_episodes, config, algo_rngs), env_rngs


def learner_only(model: FiniteHorizonMDP, seeds: list[int], n_episodes: int) -> float:
    """Seconds for K episodes of policy + rollout + update, all ``seeds`` in one learner."""
    algorithm, env_rngs = _learner(model, seeds, n_episodes)
    start = time.perf_counter()
    run_online(model, algorithm, n_episodes, env_rngs, exact_regret=False)
    return time.perf_counter() - start


def with_regret(model: FiniteHorizonMDP, seeds: list[int], n_episodes: int) -> float:
    """Seconds for ``run_online`` (exact regret every episode), all ``seeds`` in one learner."""
    algorithm, env_rngs = _learner(model, seeds, n_episodes)
    start = time.perf_counter()
    run_online(model, algorithm, n_episodes, env_rngs)
    return time.perf_counter() - start


def recorded(
    model: FiniteHorizonMDP, seeds: list[int], n_episodes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per-episode policies ``[B, K, H, S]`` and regret ``[B, K]`` of one run over ``seeds``."""
    algorithm, env_rngs = _learner(model, seeds, n_episodes)
    policies = np.empty((len(seeds), n_episodes, model.horizon, model.n_states), dtype=np.int64)
    policies[:, 0] = algorithm.policy()

    def keep(k: int, learner) -> None:
        if k + 1 < n_episodes:
            policies[:, k + 1] = learner.policy()

    run = run_online(model, algorithm, n_episodes, env_rngs, callback=keep)
    return policies, run.regret


def timed(mode: str, kind: str, model: FiniteHorizonMDP, n_seeds: int, n_episodes: int) -> float:
    """Wall time of one run of ``mode`` (batched/sequential) and ``kind`` (learner/regret)."""
    loop = learner_only if kind == "learner" else with_regret
    if mode == "batched":
        return loop(model, list(range(n_seeds)), n_episodes)
    return sum(loop(model, [seed], n_episodes) for seed in range(n_seeds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=32, help="number of seeds B")
    parser.add_argument("--K", type=int, default=100, help="episodes per seed")
    parser.add_argument("--reps", type=int, default=3, help="timed runs per mode (median)")
    args = parser.parse_args()
    model = make_model("random-linear", np.random.default_rng(0), **INSTANCE)
    n_seeds, n_episodes = args.seeds, args.K

    load_before = os.getloadavg()[0]
    rows = {}
    for kind in ("learner", "regret"):
        for mode in ("batched", "sequential"):
            timed(mode, kind, model, n_seeds, max(10, n_episodes // 10))  # warm-up
            seconds = [timed(mode, kind, model, n_seeds, n_episodes) for _ in range(args.reps)]
            median = float(np.median(seconds))
            rows[f"{mode}/{kind}"] = {
                "seconds": seconds,
                "median_s": median,
                "seed_episodes_per_s": n_seeds * n_episodes / median,
            }
    load_after = os.getloadavg()[0]

    batched_pi, batched_regret = recorded(model, list(range(n_seeds)), n_episodes)
    policies_identical, regret_gap = True, 0.0
    for seed in range(n_seeds):
        alone_pi, alone_regret = recorded(model, [seed], n_episodes)
        policies_identical &= bool(np.array_equal(alone_pi[0], batched_pi[seed]))
        regret_gap = max(regret_gap, float(np.abs(alone_regret[0] - batched_regret[seed]).max()))

    print(
        f"LSVI-UCB (per-step Gram), random-linear S=50 A=5 d=10 H=10, B={n_seeds} seeds, "
        f"K={n_episodes}, median of {args.reps}"
    )
    header = f"{'loop':>8} | {'batched s':>9} {'sequential s':>12} | {'seed-ep/s batched':>17} "
    header += f"{'seed-ep/s seq':>13} | {'ratio':>6}"
    print(header)
    print("-" * len(header))
    summary = {}
    for kind in ("learner", "regret"):
        b, s = rows[f"batched/{kind}"], rows[f"sequential/{kind}"]
        ratio = s["median_s"] / b["median_s"]
        summary[kind] = ratio
        print(
            f"{kind:>8} | {b['median_s']:>9.3f} {s['median_s']:>12.3f} | "
            f"{b['seed_episodes_per_s']:>17.0f} {s['seed_episodes_per_s']:>13.0f} | {ratio:>6.1f}"
        )
    print(
        f"per-episode policies bit-identical (batched vs alone, all {n_seeds} seeds, "
        f"all {n_episodes} episodes): {policies_identical}; max |regret gap| = {regret_gap:.3g}"
    )
    print(f"load average (1 min) before: {load_before:.2f}, after: {load_after:.2f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "lsvi_batched_seeds.json"
    out.write_text(
        json.dumps(
            {
                "instance": {**INSTANCE, "seed": 0, "beta": BETA, "lam": LAM},
                "seeds": n_seeds,
                "K": n_episodes,
                "reps": args.reps,
                "timings": rows,
                "throughput_ratio": summary,
                "policies_bit_identical": policies_identical,
                "max_regret_gap": regret_gap,
                "loadavg_1min": [load_before, load_after],
            },
            indent=1,
        )
    )
    print(f"wrote {out}")
    if not policies_identical or regret_gap > 1e-12:
        raise SystemExit("batched and one-seed runs differ")


if __name__ == "__main__":
    main()
