"""Benchmark: rltheory LSVI-UCB vs rlberry 0.6.0's numba ``LSVIUCBAgent`` on the same instance.

Instance: the peer benchmark's random exact linear MDP (``/work/shared/peer-bench/linear_mdp.py``,
S = 50, A = 5, d = 10, H = 10, seed 0), which is ``make_model("random-linear", default_rng(0))``
here (``tests/envs/test_families.py`` checks the two are equal). Both sides use lam = 1 and
beta = 0.1. Timed quantity: wall time of the whole K-episode loop (policy, environment stepping,
update), ``time.perf_counter``, one process, median of ``--reps`` runs after one warm-up run.

Ours is timed twice:

- ``learner``: policy + rollout + update only (what rlberry's ``fit`` does);
- ``run_online``: the same plus the exact per-episode pseudo-regret ``V*_1 - V^{pi_k}_1``
  (a full policy evaluation on the model every episode).

rlberry is run live through ``bench_rlberry.py`` in the peer virtualenv, from a temporary copy
of ``/work/shared/peer-bench`` (peer code is never imported here); its rows accumulate in
``benchmarks/results/rlberry_live.csv``, so the slow large-K points can be run once with
``--rlberry-only``. K values with no live row are filled from the peer benchmark's recorded CSV
and marked ``recorded``. Work differs: rlberry pools one Gram matrix over h (H rank-one updates
of one matrix per episode) and recomputes its regression over all past transitions every
episode; ours keeps one Gram matrix per step h (Jin et al. Algorithm 1) with per-step
statistics, so its per-episode cost does not grow with k.

Regret: ours is the exact pseudo-regret summed over K episodes; rlberry's is realised regret
``K V*_1 - sum of episode returns`` (its CSV), which is noisy. Both are for the record only.

Run::

    .venv/bin/python benchmarks/lsvi_vs_rlberry.py                    # smoke: K = 250, 500, ours
    .venv/bin/python benchmarks/lsvi_vs_rlberry.py --rlberry-only \\
        --K 250 500 1000 --rlberry-reps 3                              # peer, live (~10 min)
    .venv/bin/python benchmarks/lsvi_vs_rlberry.py --K 250 500 1000 2000 4000 --reps 5
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from rltheory.algos import registry
from rltheory.envs import make_model
from rltheory.experiments.loops import make_online, run_online, seed_generators
from rltheory.mdp import FiniteHorizonMDP

RESULTS = Path(__file__).resolve().parent / "results"
PEER_DIR = Path("/work/shared/peer-bench")
PEER_PYTHON = Path.home() / ".cache" / "rltheory-peers" / "venv06" / "bin" / "python"
RECORDED_CSV = PEER_DIR / "results" / "lsvi_numba_K.csv"
LIVE_CSV = RESULTS / "rlberry_live.csv"
INSTANCE = {"n_states": 50, "n_actions": 5, "dim": 10, "horizon": 10}
BETA, LAM = 0.1, 1.0


def learner_loop(
    model: FiniteHorizonMDP, entry: registry.AlgorithmEntry, n_episodes: int, seed: int
) -> tuple[float, np.ndarray]:
    """Time policy + rollout + update for K episodes (no regret); returns (seconds, policy_K)."""
    env_rngs, algo_rngs = seed_generators([np.random.SeedSequence(seed)])
    algorithm = make_online(
        entry, model, n_episodes, entry.make_config(beta=BETA, lam=LAM), algo_rngs
    )
    start = time.perf_counter()
    run_online(model, algorithm, n_episodes, env_rngs, exact_regret=False)
    return time.perf_counter() - start, algorithm.policy()


def online_loop(
    model: FiniteHorizonMDP, entry: registry.AlgorithmEntry, n_episodes: int, seed: int
) -> tuple[float, float, np.ndarray]:
    """Time ``run_online`` (with exact regret); returns (seconds, total regret, policy_K)."""
    env_rngs, algo_rngs = seed_generators([np.random.SeedSequence(seed)])
    algorithm = make_online(
        entry, model, n_episodes, entry.make_config(beta=BETA, lam=LAM), algo_rngs
    )
    start = time.perf_counter()
    run = run_online(model, algorithm, n_episodes, env_rngs)
    seconds = time.perf_counter() - start
    return seconds, float(run.regret.sum()), algorithm.policy()


def time_ours(n_episodes: int, reps: int) -> dict:
    """Median times of both loops over ``reps`` seeds, after one untimed warm-up of each."""
    model = make_model("random-linear", np.random.default_rng(0), **INSTANCE)
    entry = registry.get("lsvi-ucb")
    learner_loop(model, entry, n_episodes, seed=10_000)
    online_loop(model, entry, n_episodes, seed=10_000)
    learner_s, online_s, regrets = [], [], []
    for rep in range(reps):
        t_learn, pi_learn = learner_loop(model, entry, n_episodes, seed=rep)
        t_online, regret, pi_online = online_loop(model, entry, n_episodes, seed=rep)
        if not np.array_equal(pi_learn, pi_online):
            raise RuntimeError(f"K={n_episodes} rep={rep}: the two loops played different policies")
        learner_s.append(t_learn)
        online_s.append(t_online)
        regrets.append(regret)
    return {
        "impl": "rltheory lsvi-ucb (per-step Gram)",
        "K": n_episodes,
        "runs": reps,
        "learner_s": learner_s,
        "online_s": online_s,
        "learner_ms_per_episode": 1000 * float(np.median(learner_s)) / n_episodes,
        "online_ms_per_episode": 1000 * float(np.median(online_s)) / n_episodes,
        "regret_exact_median": float(np.median(regrets)),
        "regret_exact": regrets,
        "loadavg_1min_after": os.getloadavg()[0],
    }


def run_rlberry_live(n_episodes: int, reps: int, peer_python: Path) -> None:
    """Run ``bench_rlberry.py`` from a temporary copy of the peer scripts; append to LIVE_CSV."""
    if not peer_python.exists():
        raise FileNotFoundError(
            f"peer interpreter {peer_python} not found (see {PEER_DIR}/README.md)"
        )
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "peer-bench"
        shutil.copytree(PEER_DIR, work)
        for path in [work, *work.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        out = work / "live.csv"
        load_before = os.getloadavg()[0]
        flags = f"--agent lsvi --K {n_episodes} --d 10 --reps {reps} --bonus {BETA}".split()
        command = [str(peer_python), "bench_rlberry.py", *flags, "--csv", str(out)]
        subprocess.run(command, cwd=work, check=True)
        load_after = os.getloadavg()[0]
        with out.open() as f:
            rows = list(csv.DictReader(f))
    RESULTS.mkdir(parents=True, exist_ok=True)
    new = not LIVE_CSV.exists()
    with LIVE_CSV.open("a", newline="") as f:
        fields = [*rows[0], "loadavg_before", "loadavg_after", "when"]
        writer = csv.DictWriter(f, fieldnames=fields)
        if new:
            writer.writeheader()
        for row in rows:
            writer.writerow(
                {
                    **row,
                    "loadavg_before": load_before,
                    "loadavg_after": load_after,
                    "when": time.strftime("%Y-%m-%d %H:%M:%S"),
                }
            )


def rlberry_rows(path: Path, source: str) -> dict[int, dict]:
    """Median fit time and realised regret per K from a ``bench_rlberry.py`` CSV (this instance)."""
    if not path.exists():
        return {}
    with path.open() as f:
        rows = [
            r
            for r in csv.DictReader(f)
            if r["agent"] == "lsvi"
            and r["d"] == "10"
            and r["S"] == "50"
            and r["A"] == "5"
            and r["H"] == "10"
            and float(r["bonus"]) == BETA
            and r["impl"].startswith("rlberry-0.6")
        ]
    out = {}
    for n_episodes in sorted({int(r["K"]) for r in rows}):
        fits = [float(r["fit_s"]) for r in rows if int(r["K"]) == n_episodes]
        realised = [float(r["realized_regret"]) for r in rows if int(r["K"]) == n_episodes]
        loads = [float(r["loadavg_after"]) for r in rows if "loadavg_after" in r]
        out[n_episodes] = {
            "impl": "rlberry 0.6.0 LSVIUCBAgent (numba, pooled Gram)",
            "K": n_episodes,
            "source": source,
            "runs": len(fits),
            "fit_s": fits,
            "ms_per_episode": 1000 * float(np.median(fits)) / n_episodes,
            "regret_realised_median": float(np.median(realised)),
            "loadavg_1min_after": max(loads) if loads else None,
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--K", type=int, nargs="+", default=[250, 500], help="episode counts")
    parser.add_argument("--reps", type=int, default=3, help="timed runs of ours per K (median)")
    parser.add_argument(
        "--rlberry-K", type=int, nargs="*", default=[], help="K values to run rlberry live"
    )
    parser.add_argument("--rlberry-reps", type=int, default=3, help="live rlberry runs per K")
    parser.add_argument("--rlberry-only", action="store_true", help="run rlberry live on --K only")
    parser.add_argument("--peer-python", type=Path, default=PEER_PYTHON)
    args = parser.parse_args()

    if args.rlberry_only:
        for n_episodes in args.K:
            run_rlberry_live(n_episodes, args.rlberry_reps, args.peer_python)
        return
    for n_episodes in args.rlberry_K:
        run_rlberry_live(n_episodes, args.rlberry_reps, args.peer_python)

    load_before = os.getloadavg()[0]
    ours = [time_ours(n_episodes, args.reps) for n_episodes in args.K]
    peer = rlberry_rows(RECORDED_CSV, "recorded") | rlberry_rows(LIVE_CSV, "live")

    header = (
        f"{'K':>5} | {'ours learner':>12} {'ours +regret':>12} | {'rlberry':>9} {'source':>8} "
        f"{'runs':>4} | {'ratio learner':>13} {'ratio +regret':>13} | {'our regret':>10} "
        f"{'rlb regret':>10}"
    )
    print("ms per episode (median); ratio = rlberry / ours; rlberry pools one Gram matrix over h,")
    print("ours keeps one per step (more work per episode). Regret: ours exact pseudo-regret,")
    print("rlberry realised (K V* - sum of returns).")
    print(header)
    print("-" * len(header))
    table = []
    for row in ours:
        other = peer.get(row["K"])
        ratio_learner = other["ms_per_episode"] / row["learner_ms_per_episode"] if other else None
        ratio_online = other["ms_per_episode"] / row["online_ms_per_episode"] if other else None
        table.append(
            {
                "K": row["K"],
                "ours": row,
                "rlberry": other,
                "ratio_learner": ratio_learner,
                "ratio_online": ratio_online,
            }
        )

        def fmt(x: float | None, spec: str) -> str:
            return "—" if x is None else format(x, spec)

        print(
            f"{row['K']:>5} | {row['learner_ms_per_episode']:>12.3f} "
            f"{row['online_ms_per_episode']:>12.3f} | "
            f"{fmt(other and other['ms_per_episode'], '9.2f'):>9} "
            f"{(other or {}).get('source', 'none'):>8} {(other or {}).get('runs', 0):>4} | "
            f"{fmt(ratio_learner, '13.0f'):>13} {fmt(ratio_online, '13.0f'):>13} | "
            f"{row['regret_exact_median']:>10.2f} "
            f"{fmt(other and other['regret_realised_median'], '10.2f'):>10}"
        )
    print(f"load average (1 min) before: {load_before:.2f}, after: {os.getloadavg()[0]:.2f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "lsvi_vs_rlberry.json"
    out.write_text(
        json.dumps(
            {
                "instance": {**INSTANCE, "seed": 0, "beta": BETA, "lam": LAM},
                "machine": {
                    "python": platform.python_version(),
                    "numpy": np.__version__,
                    "cpu": platform.processor() or platform.machine(),
                    "cores": os.cpu_count(),
                },
                "loadavg_1min_before": load_before,
                "rows": table,
                "rlberry_other_K": [v for k, v in peer.items() if k not in args.K],
            },
            indent=1,
        )
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
