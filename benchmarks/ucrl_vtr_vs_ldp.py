"""Benchmark: ``ucrl-vtr`` (per-step estimators) against the non-private UCRL-VTR of the public
repository ``uclaml/LDP-UCRL-VTR`` (``run.py``, ``LDP_UCRL_VTR(epsilon='infty')``), side by side.

Same instance: the Zhou-Gu-Szepesvári hard instance ``HardToLearn`` (d = 5, H = 6, instance
K = 10^4 by default), with the peer's per-step ``theta_h`` replaced by ours (``zgs-hard``, instance
seed 0) and our actions relabelled to the peer's order (its action ``a`` has coordinate j equal to
bit ``d-2-j`` of ``a``; ours bit j), so both learners face one kernel with one action indexing.
Same algorithm: one ridge regression per step (lam = 1 in per-step units), value targets, an
elliptical bonus with a constant radius ``--beta`` (the peer's radius schedule
``3 d^(3/4) (H-h)^(3/2) sqrt(log(k+1)) k^(1/4)`` is replaced by the constant on its agent
object, a monkeypatch, not an edit of its file), Q clipped to [0, H], exact per-episode regret by
backward induction on both sides. Ours runs in total-reward-<=-1 units (rewards / H, lam / H^2,
beta / H, clip 1), which is the same algorithm scaled by 1/H; its regret is multiplied by H for
the comparison. The peer's own first episode plays Q = 0 (so its V = 0 makes that episode's
regressors zero); we start it from our first plan instead (its ``Q`` array set before ``run``).
With that, :func:`check_same_algorithm` feeds one trajectory stream to both and requires their
Q to agree (to 1e-9) for a few episodes before anything is timed. The environments then draw
from different random streams, so regrets agree in distribution, not path by path.

The peer file is copied into a fresh temporary directory outside the repository and imported
from there. Runs alternate (peer, ours) for ``--reps`` repetitions; reported: ms per episode
(min and median over reps) for each side, the ratio, both regrets (mean over reps, per-step
units) and the 1-minute load average before and after (the machine is shared).

Run::

    .venv/bin/python benchmarks/ucrl_vtr_vs_ldp.py --peer /path/to/LDP-UCRL-VTR/run.py
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from rltheory.algos import registry
from rltheory.envs import make_model
from rltheory.envs.transforms import unit_total_reward
from rltheory.experiments.loops import make_online, run_online, seed_generators
from rltheory.mdp import FiniteHorizonMDP, LinearMixtureTransitions, Trajectories

RESULTS = Path(__file__).resolve().parent / "results"


def load_peer(path: Path):
    """Import the peer's ``run.py`` from a copy in a fresh temporary directory."""
    scratch = Path(tempfile.mkdtemp(prefix="peer-ldp-ucrl-vtr-"))
    shutil.copy(path, scratch / "ldp_run.py")
    spec = importlib.util.spec_from_file_location("ldp_run", scratch / "ldp_run.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["ldp_run"] = module
    spec.loader.exec_module(module)
    return module


def peer_action_order(dim: int) -> np.ndarray:
    """``ours[perm[a]]`` is the peer's action ``a``: reverse the bit order of the index."""
    n = dim - 1
    index = np.arange(2**n)
    bits = (index[:, None] >> np.arange(n)) & 1  # peer coordinate j = bit (n-1-j) of a
    return (bits[:, ::-1] << np.arange(n)).sum(1)  # our index with bit j = peer coordinate j


def instance(dim: int, horizon: int, instance_k: int):
    """Our zgs-hard model with actions in the peer's order, and its per-step theta."""
    model = make_model(
        "zgs-hard", np.random.default_rng(0), dim=dim, horizon=horizon, n_episodes=instance_k
    )
    perm = peer_action_order(dim)
    t = model.transitions
    relabelled = FiniteHorizonMDP(
        LinearMixtureTransitions(t.basis[:, perm], t.theta),
        model.rewards[:, :, perm],
        model.initial_distribution,
        metadata=dict(model.metadata),
    )
    return relabelled, np.asarray(t.theta)


def check_same_kernel(module, model: FiniteHorizonMDP, theta: np.ndarray, instance_k: int):
    """The peer's ``P_h(s'|s,a) = <phi(s'|s,a), theta_h>`` equals our relabelled kernel."""
    horizon, n_states, n_actions = model.horizon, model.n_states, model.n_actions
    dim = theta.shape[1]
    env = module.HardToLearn(d=dim, H=horizon, K=instance_k)
    env.theta = theta.copy()
    ours = model.transitions.dense()  # [H, S, A, S]
    for h in range(horizon):
        for s in range(n_states):
            for a in range(n_actions):
                row = [env.get_phi(s, a, t) @ env.theta[h] for t in range(n_states)]
                if np.abs(np.array(row) - ours[h, s, a]).max() > 1e-12:
                    raise AssertionError(f"kernels differ at h={h}, s={s}, a={a}")


def ours_learner(model, horizon, n_episodes, beta, seed):
    """Our per-step UCRL-VTR in total-reward-<=-1 units: lam / H^2, beta / H."""
    entry = registry.get("ucrl-vtr")
    config = entry.make_config(pooled=False, beta=beta / horizon, lam=1.0 / horizon**2)
    env_rngs, algo_rngs = seed_generators([np.random.SeedSequence(seed)])
    return make_online(entry, model, n_episodes, config, algo_rngs), env_rngs


def peer_agent(module, model, theta, instance_k, n_episodes, beta):
    """The peer's agent on our kernel, constant radius, started from our first plan (x H)."""
    horizon = model.horizon
    env = module.HardToLearn(d=theta.shape[1], H=horizon, K=instance_k)
    env.theta = theta.copy()
    agent = module.LDP_UCRL_VTR(env, K=n_episodes, epsilon="infty")
    agent.UCB = lambda h, k: beta  # constant radius (see the module docstring)
    first, _ = ours_learner(model, horizon, n_episodes, beta, 0)
    agent.Q[:horizon] = horizon * first.q_values()[0]
    agent.V = agent.Q.max(-1)
    return env, agent


def check_same_algorithm(module, model, theta, instance_k, beta, n_episodes=5):
    """Drive both learners with the peer's trajectories; their Q must agree (x H) to 1e-9."""
    horizon = model.horizon
    np.random.seed(12345)  # noqa: NPY002
    env, agent = peer_agent(module, model, theta, instance_k, n_episodes, beta)
    ours, _ = ours_learner(model, horizon, n_episodes, beta, 0)
    for k in range(n_episodes):
        env.reset()
        if k:
            agent.update_user(k)
            gap = np.abs(agent.Q[:horizon] - horizon * ours.q_values()[0]).max()
            if gap > 1e-9:
                raise AssertionError(f"episode {k}: peer and ours differ in Q by {gap:.3g}")
        states, actions, done = [env.current_state], [], 0
        while not done:
            s, h = env.current_state, env.current_timestep
            a = int(np.argmax(agent.Q[h, s]))
            _, s_next, done = env.advance(a)
            agent.update_server(s, a, s_next, h)
            states.append(s_next)
            actions.append(a)
        ours.update(Trajectories(np.array([states]), np.array([actions]), np.zeros((1, horizon))))


def run_peer(module, model, theta, instance_k, n_episodes, beta, seed):
    np.random.seed(seed)  # noqa: NPY002  (the peer draws from numpy's global generator)
    _, agent = peer_agent(module, model, theta, instance_k, n_episodes, beta)
    silent = open(os.devnull, "w")  # noqa: SIM115  (tqdm progress bar)
    stderr, sys.stderr = sys.stderr, silent
    try:
        start = time.perf_counter()
        cumulative = agent.run()
        seconds = time.perf_counter() - start
    finally:
        sys.stderr = stderr
        silent.close()
    return seconds, float(cumulative[-1])


def run_ours(model, horizon, n_episodes, beta, seed):
    learner, env_rngs = ours_learner(model, horizon, n_episodes, beta, seed)
    start = time.perf_counter()
    run = run_online(model, learner, n_episodes, env_rngs)
    return time.perf_counter() - start, float(run.regret.sum()) * horizon


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peer", type=Path, required=True, help="path of the peer's run.py")
    parser.add_argument("--d", type=int, default=5)
    parser.add_argument("--H", type=int, default=6)
    parser.add_argument("--instance-K", type=int, default=10_000)
    parser.add_argument("--K", type=int, default=300, help="episodes run per repetition")
    parser.add_argument("--beta", type=float, default=1.0, help="radius, per-step units")
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    module = load_peer(args.peer)
    model, theta = instance(args.d, args.H, args.instance_K)
    check_same_kernel(module, model, theta, args.instance_K)
    model = unit_total_reward(model)
    check_same_algorithm(module, model, theta, args.instance_K, args.beta)
    load_before = os.getloadavg()[0]
    peer, ours = [], []
    for rep in range(args.reps):
        peer.append(run_peer(module, model, theta, args.instance_K, args.K, args.beta, rep))
        ours.append(run_ours(model, args.H, args.K, args.beta, rep))
    load_after = os.getloadavg()[0]
    ms = {
        name: 1000 * np.array([r[0] for r in runs]) / args.K
        for name, runs in (("peer", peer), ("ours", ours))
    }
    regret = {name: [r[1] for r in runs] for name, runs in (("peer", peer), ("ours", ours))}
    ratio_min = float(ms["peer"].min() / ms["ours"].min())
    ratio_median = float(np.median(ms["peer"]) / np.median(ms["ours"]))
    for name in ("peer", "ours"):
        print(
            f"{name}: ms/episode min {ms[name].min():.2f}, median {np.median(ms[name]):.2f}; "
            f"regret over K={args.K} (per-step units) {np.round(regret[name], 3)}"
        )
    print(f"ratio peer/ours per episode: min {ratio_min:.1f}x, median {ratio_median:.1f}x")
    print(f"load average (1 min) before: {load_before:.2f}, after: {load_after:.2f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"ucrl_vtr_vs_ldp_K{args.K}.json"
    payload = {
        "instance": {"d": args.d, "H": args.H, "instance_K": args.instance_K, "seed": 0},
        "K": args.K,
        "beta_per_step_units": args.beta,
        "ms_per_episode": {k: v.tolist() for k, v in ms.items()},
        "regret_per_step_units": regret,
        "ratio": {"min": ratio_min, "median": ratio_median},
        "load_average": {"before": load_before, "after": load_after},
    }
    out.write_text(json.dumps(payload, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
