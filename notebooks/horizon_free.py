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
# # Horizon-free RL: HF-UCRL-VTR+ on a linear mixture MDP
#
# **Theorem** (Zhou & Gu, NeurIPS 2022, main theorem). In a time-homogeneous linear mixture MDP,
# $P(s' \mid s,a) = \langle \phi(s' \mid s,a), \theta^* \rangle$ with a known basis $\phi$,
# $\|\theta^*\| \le B$ and $\|\phi_V(s,a)\| \le 1$ for every $V \in [0,1]^S$
# ($\phi_V(s,a) = \sum_{s'} \phi(s' \mid s,a) V(s')$), and with **every trajectory's total reward
# at most 1**, HF-UCRL-VTR+ has, with probability at least $1-\delta$,
#
# $$\mathrm{Regret}(K) = \sum_{k=1}^K V^*_1(s_1^k) - V^{\pi_k}_1(s_1^k)
#   \le \tilde O\big(d\sqrt K + d^2\big),$$
#
# where $\tilde O$ hides constants and factors polylogarithmic in $K$, $H$ and $1/\delta$: the
# horizon $H$ enters **only through logarithms**. In the same units UCRL-VTR (Ayoub et al., ICML
# 2020; $\tilde O(d\sqrt{H^3 T})$ for per-step rewards in $[0,1]$, divided by $H$) has
# $\tilde O(d H \sqrt K)$. Neither paper gives the constants, so below we compare the measured
# regret with each bound's *shape*, one $\log(KH/\delta)$ per $\tilde O$ (our choice).
#
# The key idea is the variance weights: each regression target $V_{k,h+1}(s_{h+1})$ gets weight
# $1/\bar\sigma^2_{k,h}$, an upper estimate of its conditional variance, and the higher moments
# $V^{2^m}$ are regressed too (the HOME estimator, as in Zhao et al., ICML 2023, Alg. 5) to
# estimate those variances. By the law of total variance the variances along a trajectory sum to
# at most 1, so the confidence width no longer accumulates an $H$. The proof conditions on three
# events, which we check exactly on the known model as the run goes (the **monitor**):
#
# 1. *confidence*: $\theta^*$ lies in every level's ellipsoid,
#    $\|\hat\theta_m - \theta^*\|_{\hat\Sigma_m} \le \beta_k$;
# 2. *optimism*: $Q_{k,h}(s,a) \ge Q^*_h(s,a)$ everywhere;
# 3. *variance coverage*: every variance estimate is at least the exact variance of
#    $V^{2^m}_{k,h+1}(s')$ under the true kernel.
#
# The regret is **exact**: each episode's policy is evaluated by backward induction on the model.

# %%
import functools
import os

import matplotlib.pyplot as plt
import numpy as np

from rltheory import algos
from rltheory.algos.hf_ucrl_vtr import monitor
from rltheory.bounds import get_bound
from rltheory.envs import make_model
from rltheory.envs.transforms import unit_total_reward
from rltheory.experiments.loops import make_online, run_online, seed_generators

SMALL = os.environ.get("RLTHEORY_NOTEBOOK_SCALE") == "small"
K = 60 if SMALL else 200
SEEDS = 2 if SMALL else 4
HORIZONS = [5, 10, 20] if SMALL else [5, 10, 20, 40, 80]
H_CURVE = 20  # the horizon of the regret-vs-K figure
CHECKPOINTS = np.unique(np.geomspace(1, K, 12).astype(int))  # episodes at which the monitor runs


def mixture(horizon: int):
    """Random linear mixture (S = 8, A = 4, d = 4, instance seed 0), rewards divided by H."""
    model = make_model("random-mixture", 0, n_states=8, n_actions=4, dim=4, horizon=horizon)
    return unit_total_reward(model)


def run(algorithm_id: str, horizon: int, **params):
    """Cumulative exact regret ``[seeds, K]`` and the monitor's events at ``CHECKPOINTS``
    (each ``[checkpoints, seeds]``), all seeds in one batch; cached per configuration."""
    return _run(algorithm_id, horizon, tuple(sorted(params.items())))


@functools.cache
def _run(algorithm_id: str, horizon: int, params: tuple):
    model, entry = mixture(horizon), algos.get(algorithm_id)
    seeds = [np.random.SeedSequence(17, spawn_key=(i,)) for i in range(SEEDS)]
    env_rngs, algo_rngs = seed_generators(seeds)
    learner = make_online(entry, model, K, entry.make_config(**dict(params)), algo_rngs)
    events = []

    def watch(k: int, learner) -> None:  # the state the learner plays episode k + 2 with
        if k + 1 in CHECKPOINTS:
            events.append(monitor(model, learner))

    regret = run_online(model, learner, K, env_rngs, callback=watch).cumulative_regret
    return regret, {name: np.stack([e[name] for e in events]) for name in events[0]}


model = mixture(H_CURVE)
DIM = model.mixture_basis.shape[-1]
print(f"random mixture: S={model.n_states}, A={model.n_actions}, d={DIM}")

# %% [markdown]
# ## The measured curve against the theorem's shape
#
# Each learner's regret at $H = 20$, divided by the shape of its own bound: HF-UCRL-VTR+ by
# $d\sqrt K \log + d^2\log^2$, UCRL-VTR by $dH\sqrt K\log$. A ratio that flattens or falls means
# the rate holds. `beta_scale = 1` is the theory radius; the tuned radii (`1e-3` for
# HF-UCRL-VTR+, `0.3` for UCRL-VTR) are outside the theorems. At this $K$ the theory radius is
# still in its burn-in: optimism saturates $Q$ at its clip 1 and the regret is linear.

# %%
episodes = np.arange(1, K + 1)
runs = {
    "HF-UCRL-VTR+, theory radius": ("hf-ucrl-vtr-plus", 1.0),
    "HF-UCRL-VTR+, tuned 1e-3": ("hf-ucrl-vtr-plus", 1e-3),
    "UCRL-VTR, tuned 0.3": ("ucrl-vtr", 0.3),
}
own_bound = {"hf-ucrl-vtr-plus": "hf-ucrl-vtr-plus-zhougu2022", "ucrl-vtr": "ucrl-vtr-ayoub2020"}
sizes = {"K": episodes, "d": DIM, "H": H_CURVE, "delta": 0.05}
figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
for label, (algorithm_id, scale) in runs.items():
    curve = run(algorithm_id, H_CURVE, beta_scale=scale)[0]
    mean = curve.mean(axis=0)
    left.plot(episodes, mean, label=label)
    left.fill_between(episodes, curve.min(axis=0), curve.max(axis=0), alpha=0.2)
    shape = get_bound(own_bound[algorithm_id]).shape_at(sizes)
    right.plot(episodes, mean / shape, label=label)
left.set(xlabel="episode K", ylabel="cumulative regret (total reward <= 1)")
left.set_title(f"H = {H_CURVE}: mean, min-max over {SEEDS} seeds", fontsize=9)
right.set(xscale="log", xlabel="episode K", ylabel="regret / own bound's shape")
right.set_title("HF: d sqrt(K) log + d^2 log^2;  UCRL-VTR: d H sqrt(K) log", fontsize=9)
left.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## The monitor: did the theorem's hypothesis hold?
#
# At each checkpoint the monitor compares the learner's state with the true model: the largest
# $\|\hat\theta_m - \theta^*\|_{\hat\Sigma_m}/\beta_k$ over the levels (the confidence event is
# "ratio $\le 1$"), the smallest $Q_{k,h} - Q^*_h$ (optimism: $\ge 0$) and the smallest slack of
# the variance estimates. With the theory radius the ratio stays far below 1: the theorem's event
# held, and its guarantee applies to this run. The tuned radii are what make the regret small, and
# they are exactly where the confidence event can fail: then the run is outside the theorem.

# %%
figure, axis = plt.subplots(figsize=(6, 3.5), layout="constrained")
for label, (algorithm_id, scale) in runs.items():
    events = run(algorithm_id, H_CURVE, beta_scale=scale)[1]
    ratio = events["confidence_ratio"]
    axis.plot(CHECKPOINTS, ratio.max(axis=1), "o-", label=label)
    held = {name: events[name].mean() for name in ("confidence", "optimistic", "variance_covered")}
    print(f"{label:28s} " + ", ".join(f"{n} held {v:.0%}" for n, v in held.items()), end="; ")
    print(f"min optimism gap {events['optimism_gap'].min():.2g}")
axis.axhline(1.0, color="k", linestyle="--", linewidth=1)
axis.set(xscale="log", yscale="log", xlabel="episode k")
axis.set(ylabel="max_m ||theta_m - theta*|| / beta_k", title="confidence event: ratio <= 1")
axis.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## Ablation: no variance weights, regret grows with $H$
#
# To isolate the weights we fix one radius, $\beta = 0.3$ at every episode (tuned, outside the
# theorem), and the ridge $\lambda = d/B^2$, and run HF-UCRL-VTR+ against itself with the weights
# switched off: one moment level and $\gamma = 0$ give every step weight 1, which is exactly
# UCRL-VTR (Ayoub et al. 2020) with that radius and ridge (the suite checks the two agree bit for
# bit). At fixed $K$ we sweep $H$ with the total reward kept at most 1, so each step's target has
# variance of order $1/H$ and the weights $1/\bar\sigma^2 \le 1/\xi^2 = H$ count such a step as
# up to $H$ unweighted ones: the weighted ellipsoid keeps pace with the horizon. Without the
# weights the same $K$ episodes leave a bonus that is too wide for longer horizons, and the regret
# grows with $H$. A fixed $\beta$ is not the same confidence level for the two estimators (the
# monitor reports that the confidence event fails for both at this radius): the ablation isolates
# the mechanism, not the theorem.

# %%
RADIUS = 0.3
RIDGE = DIM / model.metadata["norm_bound"] ** 2
ablation = {
    "HF-UCRL-VTR+ (variance weights)": ("hf-ucrl-vtr-plus", {"beta": RADIUS}),
    "UCRL-VTR = no weights (M = 1, gamma = 0)": ("ucrl-vtr", {"beta": RADIUS, "lam": RIDGE}),
}
figure, axis = plt.subplots(figsize=(6, 3.5), layout="constrained")
for label, (algorithm_id, params) in ablation.items():
    results = [run(algorithm_id, h, **params) for h in HORIZONS]
    final = np.array([regret[:, -1] for regret, _ in results])  # [H, seeds]
    held = np.mean([events["confidence"].mean() for _, events in results])
    axis.errorbar(HORIZONS, final.mean(1), yerr=final.std(1), marker="o", capsize=3, label=label)
    print(
        f"{label:42s} regret at H = "
        + ", ".join(f"{h}: {r:.2f}" for h, r in zip(HORIZONS, final.mean(1), strict=True))
        + f"; confidence held {held:.0%}"
    )
axis.set(xscale="log", xlabel="horizon H", ylabel=f"regret after K = {K}")
axis.set_xticks(HORIZONS, [str(h) for h in HORIZONS])
axis.set_xticks([], minor=True)
axis.set_title(f"same radius beta = {RADIUS}, ridge d/B^2; total reward <= 1", fontsize=9)
axis.legend(fontsize=8)
plt.show()

# %% [markdown]
# The tuned defaults of the first figure tell the same story at $H = 20$ (regret of HF-UCRL-VTR+
# about half of UCRL-VTR's); the shipped spec `horizon_free_regret_vs_H`
# (`rltheory run horizon_free_regret_vs_H --report`) sweeps $H$ up to 320 with ten seeds on two
# instances at $K = 1000$: HF-UCRL-VTR+'s regret grows by a roughly constant amount per doubling
# of $H$ (logarithmically: the polylog a horizon-free bound allows, not flat), UCRL-VTR's by a
# growing amount (polynomially); the measured table is in `experiments/README.md`.

# %% [markdown]
# ## Try it: the radius scale
#
# In a live notebook the slider reruns HF-UCRL-VTR+ at $H = 20$ with another `beta_scale` and
# prints its regret and whether the confidence event held; executed headless (tests,
# documentation builds) the cell draws the static figure for a few values instead. On this
# random instance a near-greedy radius (`1e-4`) already finds the optimal policy, with the
# confidence event failing throughout: exploration is cheap here, and the regret of the larger
# radii is the price of a guarantee that must also hold on the hard instances
# (the shipped spec `horizon_free_regret_vs_d` runs the hard family `hf-hard`).


# %%
def try_scale(beta_scale: float) -> tuple[float, float]:
    """Mean final regret and the fraction of (checkpoint, seed) with the confidence event."""
    regret, events = run("hf-ucrl-vtr-plus", H_CURVE, beta_scale=beta_scale)
    result = float(regret[:, -1].mean()), float(events["confidence"].mean())
    print(f"beta_scale = {beta_scale:.3g}: regret {result[0]:.2f}, confidence held {result[1]:.0%}")
    return result


grid = [1e-4, 1e-3, 1e-2, 1.0] if not SMALL else [1e-3, 1.0]
results = np.array([try_scale(scale) for scale in grid])
static, axis = plt.subplots(figsize=(5, 3.5), layout="constrained")
axis.plot(grid, results[:, 0], "o-")
for scale, (regret, held) in zip(grid, results, strict=True):
    axis.annotate(f"{held:.0%}", (scale, regret), textcoords="offset points", xytext=(4, 4))
axis.set(xscale="log", xlabel="beta_scale", ylabel=f"mean regret after K = {K}")
axis.set_title("labels: share of checkpoints with the confidence event", fontsize=9)
if os.environ.get("RLTHEORY_HEADLESS") != "1":
    try:
        import ipywidgets

        ipywidgets.interact(
            try_scale, beta_scale=ipywidgets.FloatLogSlider(value=1e-3, min=-4, max=0)
        )
    except ImportError:
        pass
plt.show()
