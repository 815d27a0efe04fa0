"""Benchmark: B seeds of LSVI-UCB in one batched learner vs B sequential one-seed runs.

Instance: the peer benchmark's random exact linear MDP (``random-linear``, S = 50, A = 5,
d = 10, H = 10, instance seed 0), per-step LSVI-UCB with lam = 1 and beta = 0.1. Seed ``i`` is
``SeedSequence(i)`` in every mode, so all modes must produce the same numbers.

Timed, alternating rep by rep after a warm-up (``_harness.alternate``; min and median):

- ``batched`` / ``sequential``: 32 seeds in one learner vs 32 one-seed learners run one after
  the other in the same process, each for the learner alone (policy + rollout + update) and
  with the exact per-episode regret (``run_online``);
- the batched learner at every B in ``--batch-sizes`` (cost per seed-episode).

Untimed check at every batch size used: each seed's per-episode policies are bit-identical to
running it alone, and its per-episode regret equal to 1e-12 (the exact evaluation is batched
through BLAS and may round differently in the last bit).

Run::

    .venv/bin/python benchmarks/lsvi_batched_seeds.py --K 100 --reps 3   # ~3 min
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np
from _harness import RESULTS, alternate, machine, ratio, summary, timed_online_run

from rltheory.algos import registry
from rltheory.envs import make_model
from rltheory.experiments.loops import make_online, run_online, seed_generators
from rltheory.mdp import FiniteHorizonMDP

INSTANCE = {"n_states": 50, "n_actions": 5, "dim": 10, "horizon": 10}
BETA, LAM = 0.1, 1.0
SEEDS, TARGET = 32, 10.0


def _learner(model: FiniteHorizonMDP, seeds: range, n_episodes: int):
    entry = registry.get("lsvi-ucb")
    env_rngs, algo_rngs = seed_generators([np.random.SeedSequence(s) for s in seeds])
    config = entry.make_config(beta=BETA, lam=LAM)
    return make_online(entry, model, n_episodes, config, algo_rngs), env_rngs


def side(model: FiniteHorizonMDP, seeds: range, n_episodes: int, *, batched: bool, regret: bool):
    """Seconds of K episodes over ``seeds``: one batched learner, or one learner per seed."""
    groups = [seeds] if batched else [range(s, s + 1) for s in seeds]

    entry = registry.get("lsvi-ucb")
    config = entry.make_config(beta=BETA, lam=LAM)

    def run() -> float:
        return sum(
            timed_online_run(entry, model, n_episodes, config, group, exact_regret=regret)
            for group in groups
        )

    return run


def recorded(model: FiniteHorizonMDP, seeds: range, n_episodes: int):
    """Per-episode policies ``[B, K, H, S]`` and regret ``[B, K]`` of one run over ``seeds``."""
    learner, env_rngs = _learner(model, seeds, n_episodes)
    policies = [learner.policy()]
    run = run_online(
        model,
        learner,
        n_episodes - 1,
        env_rngs,
        callback=lambda k, agent: policies.append(agent.policy()),
    )
    return np.stack(policies, axis=1), run.regret


def identity_check(model: FiniteHorizonMDP, batch_sizes: list[int], n_episodes: int) -> dict:
    alone = [recorded(model, range(s, s + 1), n_episodes) for s in range(max(batch_sizes))]
    out = {}
    for n_seeds in batch_sizes:
        policies, regret = recorded(model, range(n_seeds), n_episodes)
        same = all(np.array_equal(policies[s], alone[s][0][0]) for s in range(n_seeds))
        gap = max(float(np.abs(regret[s] - alone[s][1][0]).max()) for s in range(n_seeds))
        out[str(n_seeds)] = {"policies_bit_identical": same, "max_regret_gap": gap}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--K", type=int, default=100, help="episodes per seed")
    parser.add_argument("--reps", type=int, default=3, help="alternating repetitions (>= 3)")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 2, 32, 64, 128])
    parser.add_argument("--check-K", type=int, default=30, help="episodes of the identity check")
    args = parser.parse_args()
    if args.reps < 3:
        parser.error("--reps must be >= 3 (min and median of at least 3 live runs)")
    model = make_model("random-linear", np.random.default_rng(0), **INSTANCE)
    k, seeds = args.K, range(SEEDS)

    sides = {
        f"{mode}/{kind}": side(model, seeds, k, batched=mode == "batched", regret=kind == "regret")
        for kind in ("learner", "regret")
        for mode in ("batched", "sequential")
    }
    times, loads = alternate(sides, args.reps)
    stats = {name: summary(t, per=SEEDS * k) for name, t in times.items()}
    speedup = {
        kind: ratio(stats[f"sequential/{kind}"], stats[f"batched/{kind}"])
        for kind in ("learner", "regret")
    }
    accounting = ratio(stats["batched/regret"], stats["batched/learner"])
    sizes = {
        f"B={b}": side(model, range(b), k, batched=True, regret=False) for b in args.batch_sizes
    }
    size_times, size_loads = alternate(sizes, args.reps)
    per_seed_episode = {name: summary(t, per=int(name[2:]) * k) for name, t in size_times.items()}
    identity = identity_check(model, args.batch_sizes, args.check_K)

    print(f"LSVI-UCB per step, S=50 A=5 d=10 H=10, {SEEDS} seeds, K={k}, {args.reps} reps")
    for kind, r in speedup.items():
        b, s = stats[f"batched/{kind}"], stats[f"sequential/{kind}"]
        print(
            f"{kind:>8}: batched {b['median_s']:.3f} s, sequential {s['median_s']:.3f} s; "
            f"sequential/batched min {r['min']:.1f}x, median {r['median']:.1f}x (target {TARGET}x)"
        )
    print(f"exact-regret accounting, batched: x{accounting['median']:.2f} of the learner alone")
    for name, v in per_seed_episode.items():
        print(f"{name}: {1000 * v['min_ms_per_unit']:.1f} us per seed-episode (min)")
    print(f"bit-identity vs alone: {identity}")
    print(f"load average before each round: {loads} / {size_loads}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "lsvi_batched_seeds.json"
    document = {
        "benchmark": "lsvi_batched_seeds",
        "instance": {**INSTANCE, "seed": 0, "beta": BETA, "lam": LAM},
        "machine": machine(),
        "seeds": SEEDS,
        "K": k,
        "reps": args.reps,
        "target_speedup": TARGET,
        "sides": stats,
        "speedup": speedup,
        "regret_over_learner_batched": accounting,
        "per_seed_episode": per_seed_episode,
        "identity": identity,
        "identity_K": args.check_K,
        "loadavg_before_each_round": loads + size_loads,
        "loadavg_1min_end": os.getloadavg()[0],
    }
    out.write_text(json.dumps(document, indent=1))
    print(f"wrote {out}")
    if not all(
        v["policies_bit_identical"] and v["max_regret_gap"] <= 1e-12 for v in identity.values()
    ):
        raise SystemExit("batched and one-seed runs differ")


if __name__ == "__main__":
    main()
