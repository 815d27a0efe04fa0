"""Fingerprints of learner runs, to check that a speed change leaves every number unchanged.

Records, on small instances and a few seeds, every episode's policy and exact regret and the
final Q (or UCB index) of
LSVI-UCB (per-step and pooled, with a Cholesky refresh inside the run), greedy and ε-greedy
LSVI, UCBVI (Hoeffding/Bernstein, pooled/per-step, estimated rewards, pseudo-count, not
monotone) and LinUCB, plus the regret frames of the cells of ``rltheory/specs/quickstart.toml``
(run with :func:`rltheory.experiments.runner.run_cell`).

Run::

    .venv/bin/python benchmarks/fingerprints.py --save /tmp/before.npz     # before a change
    .venv/bin/python benchmarks/fingerprints.py --compare /tmp/before.npz  # after it

``--compare`` prints, per array, ``identical`` or the largest absolute difference and, for
policies, the first (seed, episode, step, state) where they differ; it exits non-zero if any
array differs. ``--no-quickstart`` skips the quickstart cells (about half a minute).
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np

from rltheory.algos import get
from rltheory.envs import make_model
from rltheory.experiments.loops import make_online, run_online, seed_generators
from rltheory.experiments.runner import run_cell
from rltheory.experiments.spec import load_spec

REPO = Path(__file__).resolve().parent.parent
N_SEEDS, N_EPISODES = 3, 80


def _linear(horizon: int = 5, **extra):
    sizes = {"n_states": 12, "n_actions": 3, "dim": 4, "horizon": horizon, **extra}
    return make_model("random-linear", np.random.default_rng(3), **sizes)


def _bandit():
    model = _linear(horizon=1)
    return dataclasses.replace(model, initial_distribution=np.full(12, 1.0 / 12))


CASES = {
    "lsvi-ucb": ("lsvi-ucb", _linear, {"beta": 0.5, "refresh_every": 7}),
    "lsvi-ucb-pooled": ("lsvi-ucb", _linear, {"beta": 0.5, "pooled": True, "refresh_every": 33}),
    "lsvi-ucb-inhomogeneous": (
        "lsvi-ucb",
        lambda: _linear(homogeneous=False),
        {"c": 0.01, "refresh_every": 50},
    ),
    "lsvi-greedy": ("lsvi-greedy", _linear, {}),
    "lsvi-eps-greedy": ("lsvi-eps-greedy", _linear, {"epsilon": 0.2}),
    "ucbvi-ch": ("ucbvi", _linear, {"c": 0.01}),
    "ucbvi-ch-perstep": ("ucbvi", _linear, {"c": 0.01, "pooled": False}),
    "ucbvi-bf": ("ucbvi", _linear, {"bonus": "bernstein", "c": 0.001}),
    "ucbvi-estimated": (
        "ucbvi",
        lambda: _linear(homogeneous=False),
        {"c": 0.01, "known_rewards": False, "monotone": False, "pooled": False},
    ),
    "ucbvi-pseudo": (
        "ucbvi",
        _linear,
        {"beta": 0.3, "pseudo_count": 1.0, "pooled": False, "known_rewards": False},
    ),
    "linucb": ("linucb", _bandit, {}),
    "linucb-refresh": ("linucb", _bandit, {"alpha": 0.3, "refresh_every": 9}),
}


def run_case(algorithm: str, build, params: dict) -> dict[str, np.ndarray]:
    """Per-episode policies ``[B, K, ...]`` and exact regret ``[B, K]`` of one batched run."""
    model = build()
    entry = get(algorithm)
    env_rngs, algo_rngs = seed_generators([np.random.SeedSequence(s) for s in range(N_SEEDS)])
    learner = make_online(entry, model, N_EPISODES, entry.make_config(**params), algo_rngs)
    policies = [np.asarray(learner.policy()).copy()]

    def keep(k: int, agent) -> None:
        policies.append(np.asarray(agent.policy()).copy())

    run = run_online(model, learner, N_EPISODES, env_rngs, callback=keep)
    return {
        "policies": np.stack(policies, axis=1),
        "regret": run.regret,
        "final_q": final_values(learner),
    }


def final_values(learner) -> np.ndarray:
    """The learner's last optimistic values: ``Q`` (LSVI, UCBVI) or the UCB index (LinUCB)."""
    if hasattr(learner, "q_values"):
        return learner.q_values()
    if hasattr(learner, "ucb"):
        return learner.ucb()
    return np.asarray(learner.q)


def fingerprints(quickstart: bool) -> dict[str, np.ndarray]:
    out = {}
    for name, (algorithm, build, params) in CASES.items():
        for key, value in run_case(algorithm, build, params).items():
            out[f"{name}/{key}"] = value
    if quickstart:
        spec = load_spec(REPO / "rltheory" / "specs" / "quickstart.toml")
        for cell in spec.cells():
            frame = run_cell(cell)
            name = f"quickstart/{cell.label}/{cell.env.describe()}/seeds{cell.seeds[0]}"
            for column in ("regret", "cumulative_regret"):
                out[f"{name}/{column}"] = frame[column].to_numpy()
    return out


def compare(now: dict[str, np.ndarray], before: dict[str, np.ndarray]) -> bool:
    """Print one line per array; True if all are bit-identical."""
    same = True
    for name in sorted(set(now) | set(before)):
        if name not in now or name not in before:
            print(f"{name}: only in {'before' if name in before else 'now'}")
            same = False
            continue
        a, b = now[name], before[name]
        if a.shape == b.shape and np.array_equal(a, b):
            print(f"{name}: identical")
            continue
        same = False
        if a.shape != b.shape:
            print(f"{name}: shape {a.shape} != {b.shape}")
        elif name.endswith("/policies"):
            where = tuple(int(i) for i in np.argwhere(a != b)[0])
            print(f"{name}: {int((a != b).sum())} entries differ, first at {where}")
        else:
            print(f"{name}: max |diff| = {float(np.abs(a - b).max()):.3g}")
    return same


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--save", type=Path, help="write the fingerprints to this .npz")
    group.add_argument("--compare", type=Path, help="compare with this .npz")
    parser.add_argument("--no-quickstart", action="store_true", help="skip the quickstart cells")
    args = parser.parse_args()
    now = fingerprints(not args.no_quickstart)
    if args.save:
        np.savez_compressed(args.save, **now)
        print(f"wrote {len(now)} arrays to {args.save}")
        return
    with np.load(args.compare) as stored:
        before = {
            k: stored[k] for k in stored.files if not args.no_quickstart or "quickstart" not in k
        }
    if not compare(now, before):
        raise SystemExit("fingerprints differ")


if __name__ == "__main__":
    main()
