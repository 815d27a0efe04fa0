"""Side by side with the authors' code of Tang, Liu, Xu (2025): training time and policies on the
same datasets (PEVI, R2PVI-TV/KL/chi2, DRPVI, DRVI-L; simulated linear MDP and American put).

The authors' repository (GitHub ``panxulab/Robust-Regularized-Pessimistic-Value-Iteration``, MIT)
is extracted into a scratch directory outside this repository and imported from there, as is.
Our datasets are converted to their dict-of-lists form; each (size, algorithm) is trained
``--reps`` times per side, alternating sides, in one process with one BLAS thread per side
(the machine is shared; the load average is recorded). Ratios are their time / our time from
the live runs (min and median), never from recorded figures.

Our learners run with the authors' deviations switched on where they exist (l2-diagonal
penalty, no floor at 0, TV threshold from the dataset, chi2 alpha in [0, H]), so the policy
comparison isolates what is not a switch: their Nelder-Mead duals, their chi2 minimisation,
their forced ``V(x4) = 0`` on the simulated MDP, the skipped dual at the last step, and on the
American put their cap ``H - h`` in price units and ``self.K`` (the dataset size) used as the
strike. Agreement is the fraction of decisions (reachable (h, s)) on which the greedy actions
coincide.

    python benchmarks/r2pvi_vs_authors.py --authors-repo PATH [--full] [--reps 3] [--out FILE]

``PATH`` is a clone (or bare git directory) of the authors' repository.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

import argparse
import contextlib
import importlib.util
import io
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from rltheory.algos import Problem, get
from rltheory.envs import make_model
from rltheory.offline import collect

SIM_SIZES = (100, 1000)
PUT_QUICK = ((100, 30), (1000, 30))
PUT_FULL = ((100, 30), (1000, 30), (5000, 30), (10000, 30), (1000, 60), (1000, 120))
ALGORITHMS = ("PEVI", "R2PVI_TV", "R2PVI_KL", "R2PVI_xi2", "DRPVI", "DRVI_L")


def extract(repo: Path) -> Path:
    """Copy the authors' code into a scratch directory under /tmp (a bare git dir is archived)."""
    scratch = Path(tempfile.mkdtemp(prefix="peer-r2pvi-"))
    if (repo / "HEAD").exists() and not (repo / ".git").exists():
        archive = subprocess.run(
            ["git", f"--git-dir={repo}", "archive", "HEAD"], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(scratch)], input=archive, check=True)
    else:
        shutil.copytree(repo, scratch, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".git"))
    return scratch


def load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- dataset conversion -----------------------------------------------------------------------


def simulated_dict(model, data, b: int) -> dict:
    """Their simulated-MDP history: phi, phi_a (all actions), r, state names, k."""
    phi = model.features
    states, actions, rewards = data.states[b], data.actions[b], data.rewards[b]
    horizon = actions.shape[1]
    return {
        "k": states.shape[0],
        "phi": [
            [phi[s[h], a[h]] for h in range(horizon)] for s, a in zip(states, actions, strict=True)
        ],
        "phi_a": [[list(phi[s[h]]) for h in range(horizon)] for s in states],
        "r": [list(r) for r in rewards],
        "state": [[f"x{x + 1}" for x in s] for s in states],
    }


def put_dict(model, data, b: int) -> dict:
    """Their American-put history: prices S (arrays of shape (1,)), actions, rewards, phi."""
    prices = model.metadata["prices"]
    states = data.states[b]
    horizon = data.actions.shape[-1]
    hold = model.features[:, 0]
    return {
        "S": [[np.array([prices[s]]) for s in row] for row in states],
        "A": [[0] * horizon for _ in states],
        "R": [[0] * horizon for _ in states],
        "phi": [[hold[row[h]] for h in range(horizon)] for row in states],
    }


# --- the two sides ----------------------------------------------------------------------------


def ours(name: str, env: str, lam: float, beta: float, ridge: float, rho: float) -> tuple:
    """(registry id, params) of our learner matching their class ``name``."""
    scale = 0.01 if env == "put" else 1.0  # payoffs / strike on our side
    code = {"penalty": "l2-diagonal", "floor": False, "beta": beta * scale, "ridge": ridge}
    r2 = {**code, "tv_threshold": "dataset", "chi2_range": "horizon", "lam": lam * scale}
    if name == "PEVI":
        return "pevi", {
            **code,
            "penalty": "elliptical",
            "reward": "known" if env == "put" else "regressed",
        }
    if name.startswith("R2PVI"):
        return "r2pvi", {**r2, "divergence": {"TV": "tv", "KL": "kl", "xi2": "chi2"}[name[6:]]}
    restrict = {"rho_coordinate": 4, "rho_step": 1} if env == "sim" and name == "DRPVI" else {}
    return name.lower().replace("_", "-"), {**code, "rho": rho, **restrict}


def time_ours(model, data, algorithm: str, params: dict):
    entry = get(algorithm)
    rngs = [np.random.default_rng(0)]
    start = time.perf_counter()
    learner = entry.cls(
        Problem.from_model(model, data.actions.shape[1]), entry.make_config(**params), rngs
    )
    policy = learner.fit(data)
    return time.perf_counter() - start, policy[0]


def time_theirs(module, name: str, kwargs: dict):
    start = time.perf_counter()
    agent = getattr(module, name)(**kwargs)
    with contextlib.redirect_stdout(io.StringIO()):
        agent.update_Q()
    return time.perf_counter() - start, agent


def sim_agreement(model, agent, policy, action_space) -> float:
    """Greedy actions at the reachable decision states x1 (h=1), x2 (h=2), x3 (h=3)."""
    hits = []
    for h, s in ((0, 0), (1, 1), (2, 2)):
        theirs = agent.get_action([model.features[s, a] for a in range(16)], h)
        index = next(i for i, a in enumerate(action_space) if np.array_equal(a, theirs))
        hits.append(index == policy[h, s])
    return float(np.mean(hits))


def put_agreement(model, agent, policy) -> float:
    """Hold/exercise decisions at every lattice node reachable at its step."""
    prices, hold = model.metadata["prices"], model.features[:, 0]
    hits = []
    for h in range(model.horizon):
        for node in range(h * (h + 1) // 2, (h + 1) * (h + 2) // 2):
            theirs = agent.get_action(hold[node], h, np.array([prices[node]]))
            hits.append(int(theirs) == policy[h, node])
    return float(np.mean(hits))


def run(args, record) -> None:
    """Time every case and pass each finished row to ``record`` (so an interrupted run keeps
    what it measured)."""
    scratch = extract(Path(args.authors_repo))
    sim = load(scratch / "Simulated_Linear_MDP" / "algorithm.py", "authors_sim_algorithm")
    put = load(scratch / "American_put_opt" / "algorithm.py", "authors_put_algorithm")
    import itertools

    action_space = [np.array(a) for a in itertools.product([-1, 1], repeat=4)]
    put_cases = PUT_FULL if args.full else PUT_QUICK
    if args.put is not None:  # e.g. "1000x60,1000x120"
        put_cases = [tuple(int(x) for x in case.split("x")) for case in args.put.split(",") if case]
    sim_cases = [] if args.no_sim else [("sim", n, 4) for n in SIM_SIZES]
    cases = sim_cases + [("put", n, d) for n, d in put_cases]
    algorithms = ALGORITHMS if args.algorithms is None else tuple(args.algorithms.split(","))
    for env, n, d in cases:
        if env == "sim":
            model = make_model("liu-xu-linear", 0)
            data = collect(model, "uniform", n, [np.random.default_rng(1)]).trajectories
            history = simulated_dict(model, data, 0)
            lam, beta, ridge, rho = 0.1, 1.0, 0.1, 0.1
        else:
            model = make_model("american-put", np.random.default_rng(1), dim=d)
            data = collect(model, "never-exercise", n, [np.random.default_rng(1)]).trajectories
            history = put_dict(model, data, 0)
            lam, beta, ridge, rho = 1.0, 0.1, 1.0, 0.1
        for name in algorithms:
            algorithm, params = ours(name, env, lam, beta, ridge, rho)
            if env == "sim":
                radius = rho if name.startswith("R2PVI") else [[0, 0, 0, rho], [0, 0, 0, 0]]
                kwargs = {"A": action_space, "beta": beta, "H": 3, "lam": ridge, "dataset": history,
                          "Rho": radius, "theta": [np.zeros(4), np.eye(4)[3], np.eye(4)[3]],
                          "fail_state": "x4"}  # fmt: skip
                module = sim
            else:
                kwargs = {
                    "d": d,
                    "beta": beta,
                    "H": 20,
                    "lam": ridge,
                    "dataset": history,
                    "Rho": rho,
                }
                module = put
            mine, theirs, agreement = [], [], None
            for _ in range(args.reps):
                t, policy = time_ours(model, data, algorithm, params)
                mine.append(t)
                t, agent = time_theirs(module, name, kwargs)
                theirs.append(t)
            if env == "sim":
                agreement = sim_agreement(model, agent, policy, action_space)
            elif n == 100:
                agreement = put_agreement(model, agent, policy)
            row = {
                "env": env, "n": n, "d": d, "algorithm": name, "ours_s": mine, "theirs_s": theirs,
                "ratio_median": float(np.median(theirs) / np.median(mine)),
                "ratio_min": float(np.min(theirs) / np.min(mine)),
                "policy_agreement": agreement, "load": os.getloadavg(),
                "date": time.strftime("%Y-%m-%d"), "reps": args.reps,
            }  # fmt: skip
            record(row)
            print(
                f"{env:3s} n={n:5d} d={d:3d} {name:9s} ours {np.median(mine):8.4f}s theirs "
                f"{np.median(theirs):8.3f}s ratio {row['ratio_median']:7.1f}x "
                f"(min {row['ratio_min']:.1f}x) agree {agreement} load {row['load'][0]:.2f}",
                flush=True,
            )
    shutil.rmtree(scratch, ignore_errors=True)


def key(row: dict) -> tuple:
    return (row["env"], row["n"], row["d"], row["algorithm"])


def order(row: dict) -> tuple:
    return (row["env"] != "sim", row["d"], row["n"], ALGORITHMS.index(row["algorithm"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--authors-repo", required=True)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--full", action="store_true", help="all American-put sizes (slow)")
    parser.add_argument("--put", help="American-put cases KxD, comma-separated (e.g. 1000x60)")
    parser.add_argument("--no-sim", action="store_true", help="skip the simulated-MDP cases")
    parser.add_argument("--algorithms", help=f"subset of {','.join(ALGORITHMS)}")
    parser.add_argument("--out", default="benchmarks/results/r2pvi_vs_authors.json")
    args = parser.parse_args()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = json.loads(out.read_text())["rows"] if out.exists() else []

    def record(row: dict) -> None:
        """Replace the row of the same case (earlier runs' other cases are kept)."""
        rows[:] = [r for r in rows if key(r) != key(row)] + [row]
        rows.sort(key=order)
        doc = {"rows": rows, "python": sys.version.split()[0]}
        out.write_text(json.dumps(doc, indent=2, default=float))

    run(args, record)


if __name__ == "__main__":
    main()
