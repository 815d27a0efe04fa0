"""Benchmark: our batched FedSARSA against the authors' MATLAB code under GNU Octave, side by side.

Instance: one draw of the Figure 1 family (``fedsarsa-synthetic``, |S| = |A| = 100, d = 25,
gamma = 0.2, R = 10, eps_p = eps_r = 0.1, N = 40 agents, authors' reward clipping), exported to
the authors' indexing (their state k is our state k mod S) and loaded into their ``fedsarsa.m``
through their own ``mdp_gen.m`` (eps = 0 wraps a given kernel and reward). Both sides run the
authors' behaviour: their ``policy.m`` calls MATLAB's column-wise ``softmax`` on a row, which
makes the policy uniform, and ``fedsarsa.m`` redraws a_t every step; ours therefore runs with
``temperature = inf`` and ``action_draw = "redraw"``. K = 10, constant alpha = 0.01,
theta_0 = 0 (ours R/(1 - gamma): the same start after the reward shift).

Timed: Octave's ``tic``/``toc`` around ``fedsarsa(...)`` (N agents x ``--octave-trajs``
trajectories x T steps, error logged every step as in the authors' code) and ours around
``run_federated`` (N agents x ``--seeds`` seeds x T steps, exact errors logged every round),
alternating the two sides ``--reps`` times in one invocation; min and median of agent-steps per
second, the load average before each timed run, and the tail MSE to agent 1's exact fixed point
of each side (Octave: mean of err over the second half of the steps per trajectory; ours: mean
of err_nominal over the second half of the rounds per seed) go to
``benchmarks/results/fedsarsa_vs_authors.json``.

The authors' repository (GitHub ``zcysxy/FedSarsa-code``, branch ``sarsa``; no license, so it is
never copied into this repository) is exported into a scratch directory: ``--authors-git DIR``
(a git directory holding that branch) or ``--authors-src DIR`` (a checkout). Octave needs the
``octave`` and ``octave-statistics`` packages and a ``softmax`` shim (written to the scratch
directory; MATLAB's ``softmax`` normalises columns).

Run::

    python benchmarks/fedsarsa_vs_authors.py --authors-git PATH/TO/FedSarsa-code.git --T 100
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from rltheory.algos import get
from rltheory.envs import make_model
from rltheory.experiments.federated import exact_targets, make_federated, run_federated

RESULTS = Path(__file__).resolve().parent / "results"
SOFTMAX_SHIM = """function a = softmax(n, dim)   % MATLAB's softmax normalises each column
  if nargin < 2, dim = 1; end
  e = exp(n - max(n, [], dim));
  a = e ./ sum(e, dim);
end
"""
BENCH_M = """warning('off', 'all'); pkg load statistics
addpath('shims'); addpath('src');
S = 100; d1 = 5; d2 = 5;
phi = feature_gen(S, d1, d2); [~, dict_A] = feature_map(S, d1, d2);
agents = cell(1, N);
for i = 1:N
  P = dlmread(sprintf('inst/P%d.txt', i)); R = dlmread(sprintf('inst/R%d.txt', i));
  wrapped = mdp_gen(P, R, 0, 0, 1);
  agents{i} = wrapped{1};
end
opts = struct('T', T, 'K', 10, 'trajs', trajs, 'gamma', 0.2, 'alpha', 1e-2, 'an', 0, ...
  'log_err', true, 'theta_st', dlmread('inst/theta.txt'), 'L', 0.01, 'method', 'const', ...
  'dict_A', dict_A, 's_init', 1);
tic; agents = fedsarsa(agents, phi, opts); el = toc;
printf('SECONDS %.6f\\n', el);
printf('TAIL');
for k = 1:trajs
  e = agents{1}.err_record{k};
  printf(' %.8g', mean(e(floor(T / 2):T)));
end
printf('\\n');
"""


def instance(n_agents: int):
    """The Figure 1 family's model, its exact theta*^(1) (uniform policy) and the export."""
    model = make_model(
        "fedsarsa-synthetic", 0, n_agents=n_agents, eps_p=0.1, eps_r=0.1, reward_clip="authors"
    )
    return model, exact_targets(model, float("inf"))


def export(model, targets, directory: Path) -> None:
    """Kernels, rewards (unshifted: ours minus R) and theta*^(1) in the authors' indexing."""
    directory.mkdir(parents=True, exist_ok=True)
    shift = model.metadata["reward_shift"]
    for i in range(model.n_agents):
        base = np.roll(np.roll(model.kernels.arrays[i], -1, axis=0), -1, axis=1)
        np.savetxt(directory / f"P{i + 1}.txt", base, fmt="%.17g")
        rewards = np.roll(model.rewards[i, :, 0] - shift, -1)
        np.savetxt(directory / f"R{i + 1}.txt", rewards[:, None], fmt="%.17g")
    theta = targets.agent[0] - shift / (1.0 - model.gamma)  # the unshifted fixed point
    np.savetxt(directory / "theta.txt", theta[:, None], fmt="%.17g")


def scratch_with_authors_code(args) -> Path:
    scratch = Path(tempfile.mkdtemp(prefix="fedsarsa-authors-"))
    (scratch / "src").mkdir()
    (scratch / "shims").mkdir()
    if args.authors_git:
        archive = subprocess.run(
            ["git", "--git-dir", args.authors_git, "archive", "sarsa"],
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(scratch / "src")], input=archive, check=True)
    else:
        shutil.copytree(args.authors_src, scratch / "src", dirs_exist_ok=True)
    (scratch / "shims" / "softmax.m").write_text(SOFTMAX_SHIM)
    (scratch / "bench.m").write_text(BENCH_M)
    return scratch


def run_octave(scratch: Path, n_agents: int, steps: int, trajs: int) -> tuple[float, list[float]]:
    command = f"N={n_agents}; T={steps}; trajs={trajs}; bench"
    result = subprocess.run(
        ["octave-cli", "--no-history", "--eval", command],
        cwd=scratch,
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = float(re.search(r"SECONDS (\S+)", result.stdout).group(1))
    tail = [float(x) for x in re.search(r"TAIL(.*)", result.stdout).group(1).split()]
    return seconds, tail


def run_ours(model, targets, steps: int, seeds: int, rep: int) -> tuple[float, list[float]]:
    entry = get("fedsarsa")
    start_shift = model.metadata["reward_shift"] / (1.0 - model.gamma)  # the authors' theta0 = 0
    config = entry.make_config(
        temperature=float("inf"), action_draw="redraw", step_size=0.01, theta0=start_shift
    )
    env = [np.random.default_rng([rep, b, 0]) for b in range(seeds)]
    algo = [np.random.default_rng([rep, b, 1]) for b in range(seeds)]
    learner = make_federated(entry, model, steps, config, algo)
    start = time.perf_counter()
    run = run_federated(model, learner, env, steps, 10, targets)
    seconds = time.perf_counter() - start
    half = run.err_agent.shape[1] // 2
    return seconds, [float(x) for x in run.err_agent[:, half:, 0].mean(axis=1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--authors-git", help="git directory holding the authors' branch sarsa")
    source.add_argument("--authors-src", help="a checkout of the authors' branch sarsa")
    parser.add_argument("--agents", type=int, default=40)
    parser.add_argument("--T", type=int, default=100, help="steps per run (both sides)")
    parser.add_argument("--seeds", type=int, default=10, help="our batched seeds")
    parser.add_argument("--octave-trajs", type=int, default=10)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("octave-cli") is None:
        raise SystemExit("octave-cli not found: apt-get install octave octave-statistics")
    model, targets = instance(args.agents)
    scratch = scratch_with_authors_code(args)
    export(model, targets, scratch / "inst")
    run_ours(model, targets, 20, 2, 99)  # warm-up
    rows = []
    for rep in range(args.reps):
        for side in ("octave", "ours") if rep % 2 == 0 else ("ours", "octave"):
            load = os.getloadavg()[0]
            if side == "octave":
                seconds, tail = run_octave(scratch, args.agents, args.T, args.octave_trajs)
                work = args.agents * args.octave_trajs * args.T
            else:
                seconds, tail = run_ours(model, targets, args.T, args.seeds, rep)
                work = args.agents * args.seeds * args.T
            rows.append(
                {
                    "side": side,
                    "rep": rep,
                    "seconds": seconds,
                    "agent_steps_per_s": work / seconds,
                    "load_before": load,
                    "tail_mse": tail,
                }
            )
            print(f"{side:6s} rep {rep}: {work / seconds:12.0f} agent-steps/s (load {load:.1f})")
    summary = {}
    for side in ("octave", "ours"):
        rates = [r["agent_steps_per_s"] for r in rows if r["side"] == side]
        tails = [x for r in rows if r["side"] == side for x in r["tail_mse"]]
        summary[side] = {
            "min": min(rates),
            "median": float(np.median(rates)),
            "tail_mse_mean": float(np.mean(tails)),
            "tail_mse_sd": float(np.std(tails)),
        }
    summary["ratio_median"] = summary["ours"]["median"] / summary["octave"]["median"]
    summary["ratio_min"] = summary["ours"]["min"] / summary["octave"]["min"]
    print(json.dumps(summary, indent=1))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "fedsarsa_vs_authors.json").write_text(
        json.dumps(
            {
                "args": vars(args),
                "platform": platform.platform(),
                "rows": rows,
                "summary": summary,
                "load_after": os.getloadavg(),
            },
            indent=1,
        )
    )
    shutil.rmtree(scratch)


if __name__ == "__main__":
    main()
