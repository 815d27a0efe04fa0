# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Online optimism: LSVI-UCB on a linear MDP
#
# **Theorem** (Jin, Yang, Wang, Jordan, COLT 2020, Theorem 3.1). In a linear MDP with features
# $\|\phi(s,a)\| \le 1$, $\|\mu_h(\mathcal S)\| \le \sqrt d$ and $\|\theta_h\| \le \sqrt d$,
# LSVI-UCB with $\lambda = 1$ and bonus scale $\beta = c\, d H \sqrt{\iota}$,
# $\iota = \log(2dT/p)$, has, with probability at least $1-p$,
#
# $$\mathrm{Regret}(K) = \sum_{k=1}^K V^*_1(s_1^k) - V^{\pi_k}_1(s_1^k)
#   \le C \sqrt{d^3 H^3 T \iota^2}, \qquad T = KH,$$
#
# for absolute constants $c$ and $C$ that the paper does not give. The proof conditions on one
# event (Lemma B.4): every least-squares estimate is within $\beta\|\phi\|_{\Lambda^{-1}}$ of the
# Bellman backup of the learner's own next-step value, which makes the learner optimistic
# (Lemma B.5: $V^k_1 \ge V^*_1$). The regret here is **exact**: each episode's policy is
# evaluated by backward induction on the known model.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

from rltheory import algos
from rltheory.bounds import get_bound
from rltheory.envs import make_model
from rltheory.experiments.loops import make_online, run_online, seed_generators
from rltheory.mdp import optimal

SMALL = os.environ.get("RLTHEORY_NOTEBOOK_SCALE") == "small"
K = 150 if SMALL else 2000
SEEDS = 3 if SMALL else 8
model = make_model("riverswim", np.random.default_rng(0), n_states=4, horizon=8)
print(f"RiverSwim: S={model.n_states}, A={model.n_actions}, d={model.dim}, H={model.horizon}")


CHECKPOINTS = np.unique(np.geomspace(1, K, 10).astype(int))  # episodes the monitor checks
EVENTS = {}  # (algorithm id, params) -> the monitor's arrays [checkpoints, seeds]


def regret_curves(algorithm_id: str, **params) -> np.ndarray:
    """Cumulative exact pseudo-regret [seeds, K] of one algorithm, all seeds in one batch; the
    algorithm's proof-event monitor (if it declares one) is evaluated at ``CHECKPOINTS``."""
    entry = algos.get(algorithm_id)
    seeds = [np.random.SeedSequence(2024, spawn_key=(i,)) for i in range(SEEDS)]
    env_rngs, algo_rngs = seed_generators(seeds)
    learner = make_online(entry, model, K, entry.make_config(**params), algo_rngs)
    events = []

    def watch(k: int, learner) -> None:  # the state the learner plays episode k + 2 with
        if entry.monitor is not None and k + 1 in CHECKPOINTS:
            events.append(entry.monitor.evaluate(model, learner, optimum))

    regret = run_online(model, learner, K, env_rngs, callback=watch).cumulative_regret
    if events:
        key = (algorithm_id, tuple(sorted(params.items())))
        EVENTS[key] = {name: np.stack([e[name] for e in events]) for name in events[0]}
    return regret


optimum = optimal(model)


# %% [markdown]
# ## The measured curve against the theorem's shape
#
# The bound has no stated constant, so drawing it "with a fitted constant" would pass through the
# data by construction. Instead we plot the ratio of the measured regret to the bound's shape:
# a ratio that flattens means the rate matches. `c = 1` is the theory constant; `c = 0.03` is
# tuned (outside the theorem).

# %%
episodes = np.arange(1, K + 1)
curves = {
    "LSVI-UCB, theory c = 1": regret_curves("lsvi-ucb", c=1.0),
    "LSVI-UCB, tuned c = 0.03": regret_curves("lsvi-ucb", c=0.03),
    "greedy LSVI (beta = 0)": regret_curves("lsvi-greedy"),
}
bound = get_bound("lsvi-ucb-jin2020")
shape = bound.shape_at({"K": episodes, "d": model.dim, "H": model.horizon, "p": 0.05})
figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
for label, curve in curves.items():
    mean = curve.mean(axis=0)
    left.plot(episodes, mean, label=label)
    left.fill_between(episodes, curve.min(axis=0), curve.max(axis=0), alpha=0.2)
    right.plot(episodes, mean / shape, label=label)
left.set(xlabel="episode K", ylabel="cumulative pseudo-regret", title="mean, min-max over seeds")
right.set(xscale="log", xlabel="episode K", ylabel="regret / sqrt(d^3 H^3 T iota^2)")
right.set_title(f"ratio to the shape of {bound.citation.split('.')[0]}, Thm 3.1", fontsize=9)
left.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## The monitor: did the theorem's hypothesis hold?
#
# At each checkpoint the monitor evaluates Lemma B.4's event exactly on the model for the state
# the learner plans its next episode with: the largest deviation
# $|\langle\phi, w_h\rangle - (r_h + P_h V_{h+1})|$ divided by the width
# $\beta\|\phi\|_{\Lambda_h^{-1}}$ over all $(h, s, a)$ (the event holds iff this ratio is at
# most 1), and whether the learner is optimistic at the start state (Lemma B.5). The theory
# constant keeps the ratio far below 1; with the tuned constant, which makes the regret small,
# the ratio sits just above 1 (the event fails, though the learner stays optimistic at the start
# state here): such a run is outside the theorem. Greedy LSVI has no width, hence no event.

# %%
figure, axis = plt.subplots(figsize=(6, 3.5), layout="constrained")
for (algorithm_id, params), events in EVENTS.items():
    label = f"{algorithm_id} {dict(params)}"
    axis.plot(CHECKPOINTS, events["worst_ratio"].max(axis=1), "o-", label=label)
    held, optimistic = events["event"].mean(), events["optimism"].mean()
    print(f"{label:28s} event held {held:.0%}, optimistic {optimistic:.0%} of (checkpoint, seed)")
axis.axhline(1.0, color="k", linestyle="--", linewidth=1)
axis.set(xscale="log", yscale="log", xlabel="episode k", ylabel="worst deviation / width")
axis.set_title("Lemma B.4 event: ratio <= 1 at every (h, s, a)", fontsize=9)
axis.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## Ablation: no bonus, linear regret
#
# Greedy LSVI ($\beta = 0$) locks onto the left bank of RiverSwim: its regret grows linearly,
# while both optimistic variants flatten. The exponent of the last half of each curve:

# %%
half = episodes >= K // 2
for label, curve in curves.items():
    slope = np.polyfit(np.log(episodes[half]), np.log(curve.mean(axis=0)[half]), 1)[0]
    print(f"{label:28s} slope of log regret vs log K on K >= {K // 2}: {slope:.2f}")

# %% [markdown]
# ## Try it: the bonus constant
#
# In a live notebook the slider reruns LSVI-UCB with another $c$; executed headless (tests,
# documentation builds) the cell draws the static figure for a few values instead.


# %%
def final_regret(c: float) -> float:
    return float(regret_curves("lsvi-ucb", c=c)[:, -1].mean())


grid = [0.003, 0.03, 0.3, 1.0]
static, axis = plt.subplots(figsize=(5, 3.5), layout="constrained")
axis.plot(grid, [final_regret(c) for c in grid], "o-")
axis.set(xscale="log", xlabel="bonus constant c", ylabel=f"mean regret after K = {K}")
if os.environ.get("RLTHEORY_HEADLESS") != "1":
    try:
        import ipywidgets

        ipywidgets.interact(final_regret, c=ipywidgets.FloatLogSlider(value=0.03, min=-3, max=0))
    except ImportError:
        pass
plt.show()
