"""Profile: where one episode's time goes, per phase, for the learners the targets are about.

Instance: the peer benchmark's random linear MDP (S = 50, A = 5, d = 10, H = 10, seed 0).
For each configuration the loop of ``run_online`` is replayed with a timer around each phase:

- ``policy``: ``learner.policy()`` (the plan of the coming episode, done lazily or after
  the previous update);
- ``draw`` + ``rollout``: the environment's uniforms and the batched rollout (``rltheory.mdp``);
- ``update``: ``learner.update(...)`` (statistics, and UCBVI's plan);
- ``evaluate``: the exact policy evaluation of the regret accounting (``rltheory.mdp``).

Microseconds per episode (all B seeds together), min over ``--reps`` runs of ``--K`` episodes
each, with the load average recorded. This is a profile, not a ratio: it says which phase a
missed target is spent in.

Run::

    .venv/bin/python benchmarks/profile_episode.py --K 200 --reps 3
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
from _harness import RESULTS, machine

from rltheory.algos import registry
from rltheory.envs import make_model
from rltheory.experiments.loops import make_online, seed_generators
from rltheory.mdp import Trajectories, draw_uniforms, evaluate, rollout_from_uniforms

INSTANCE = {"n_states": 50, "n_actions": 5, "dim": 10, "horizon": 10}
PHASES = ("policy", "draw", "rollout", "update", "evaluate")
CONFIGS = {
    "lsvi-ucb per-step": ("lsvi-ucb", {"beta": 0.1}),
    "lsvi-ucb pooled": ("lsvi-ucb", {"beta": 0.1, "pooled": True}),
    "ucbvi": ("ucbvi", {"beta": 0.1, "known_rewards": False, "monotone": False}),
}


def profile(model, algorithm: str, params: dict, n_seeds: int, n_episodes: int) -> dict:
    """Seconds per phase of one run of ``n_episodes`` episodes."""
    entry = registry.get(algorithm)
    env_rngs, algo_rngs = seed_generators([np.random.SeedSequence(s) for s in range(n_seeds)])
    learner = make_online(entry, model, n_episodes, entry.make_config(**params), algo_rngs)
    spent = dict.fromkeys(PHASES, 0.0)
    clock = time.perf_counter
    for k in range(n_episodes):
        t0 = clock()
        policy = learner.policy()
        t1 = clock()
        uniforms = draw_uniforms(env_rngs, 1, model.horizon)
        t2 = clock()
        batch = rollout_from_uniforms(model, policy, uniforms)
        t3 = clock()
        learner.update(
            Trajectories(batch.states[:, 0], batch.actions[:, 0], batch.rewards[:, 0], episode=k)
        )
        t4 = clock()
        evaluate(model, policy)
        t5 = clock()
        stamps = (t0, t1, t2, t3, t4, t5)
        for i, phase in enumerate(PHASES):
            spent[phase] += stamps[i + 1] - stamps[i]
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--K", type=int, default=200, help="episodes per run")
    parser.add_argument("--reps", type=int, default=3, help="runs per configuration (min)")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 32])
    args = parser.parse_args()
    model = make_model("random-linear", np.random.default_rng(0), **INSTANCE)
    rows, loads = [], []
    for name, (algorithm, params) in CONFIGS.items():
        for n_seeds in args.batch_sizes:
            profile(model, algorithm, params, n_seeds, 5)  # warm-up
            runs = []
            for _ in range(args.reps):
                loads.append(os.getloadavg()[0])
                runs.append(profile(model, algorithm, params, n_seeds, args.K))
            us = {p: 1e6 * min(r[p] for r in runs) / args.K for p in PHASES}
            rows.append({"config": name, "params": params, "B": n_seeds, "us_per_episode": us})
            cells = ", ".join(f"{p} {v:.0f}" for p, v in us.items())
            print(f"{name:>18} B={n_seeds:<3}: {cells} us per episode")
    print(f"load average before each run: {loads}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "profile_episode.json"
    document = {
        "benchmark": "profile_episode",
        "instance": INSTANCE,
        "machine": machine(),
        "K": args.K,
        "reps": args.reps,
        "rows": rows,
        "loadavg_before_each_run": loads,
    }
    out.write_text(json.dumps(document, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
