"""UCBVI (Azar et al. 2017): counts, empirical-MDP oracle, optimism, sublinear regret, batching,
bonus ordering, bound objects. Every check compares against an independent computation."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from rltheory.algos import get
from rltheory.algos.protocols import Problem
from rltheory.algos.ucbvi import (
    UCBVI,
    bernstein_bonus,
    hoeffding_bonus,
    log_term,
    transition_counts,
)
from rltheory.bounds import bounds_for, get_bound
from rltheory.envs import make_model
from rltheory.experiments.loops import make_online, run_online, seed_generators
from rltheory.mdp import (
    DenseTransitions,
    Trajectories,
    backward_induction,
    optimal,
    rollout,
)

ENTRY = get("ucbvi")


def random_model(seed: int, *, homogeneous: bool = True, n_states: int = 4, horizon: int = 3):
    return make_model(
        "random-tabular",
        np.random.default_rng(seed),
        n_states=n_states,
        n_actions=3,
        horizon=horizon,
        homogeneous=homogeneous,
    )


def learner(model, n_episodes: int, n_seeds: int, seed: int = 0, **params) -> tuple[UCBVI, list]:
    env_rngs, algo_rngs = seed_generators(np.random.SeedSequence(seed).spawn(n_seeds))
    algorithm = make_online(ENTRY, model, n_episodes, ENTRY.make_config(**params), algo_rngs)
    return algorithm, env_rngs


def play(algorithm: UCBVI, model, n_episodes: int, env_rngs) -> list[Trajectories]:
    """Run the learner's own policies and keep every episode's trajectories."""
    kept = []
    for _ in range(n_episodes):
        batch = rollout(model, algorithm.policy(), env_rngs)
        episode = Trajectories(batch.states[:, 0], batch.actions[:, 0], batch.rewards[:, 0])
        algorithm.update(episode)
        kept.append(episode)
    return kept


# --- counts --------------------------------------------------------------------------------------


@pytest.mark.parametrize("pooled", [True, False])
def test_counts_and_empirical_kernel_equal_a_recount(pooled):
    """Counts, N', reward sums and P_hat kept on the visited rows equal a loop recount."""
    model = random_model(1, homogeneous=pooled)
    n_seeds, n_episodes = 3, 40
    algorithm, env_rngs = learner(
        model, n_episodes, n_seeds, bonus="bernstein", c=0.05, known_rewards=False, pooled=pooled
    )
    episodes = play(algorithm, model, n_episodes, env_rngs)
    S, A, H = model.n_states, model.n_actions, model.horizon
    layers = 1 if pooled else H
    counts = np.zeros((n_seeds, layers, S, A, S), dtype=np.int64)
    sums = np.zeros((n_seeds, layers, S, A))
    visits = np.zeros((n_seeds, H + 1, S), dtype=np.int64)
    for episode, b in itertools.product(episodes, range(n_seeds)):
        for h in range(H):
            x, a, y = episode.states[b, h], episode.actions[b, h], episode.states[b, h + 1]
            counts[b, 0 if pooled else h, x, a, y] += 1
            sums[b, 0 if pooled else h, x, a] += episode.rewards[b, h]
        for h in range(H + 1):
            visits[b, h, episode.states[b, h]] += 1
    np.testing.assert_array_equal(algorithm.counts, counts)
    recount = sum(transition_counts(e.states, e.actions, S, A, pooled) for e in episodes)
    np.testing.assert_array_equal(recount, counts)  # the whole-table helper other learners use
    np.testing.assert_array_equal(algorithm.visits, visits)
    np.testing.assert_allclose(algorithm.reward_sums, sums, rtol=1e-12)
    p_hat = algorithm.empirical_kernel()
    n = counts.sum(-1)
    for b, layer, x, a in itertools.product(range(n_seeds), range(layers), range(S), range(A)):
        if n[b, layer, x, a] == 0:
            assert not p_hat[b, layer, x, a].any()
        else:
            expected = counts[b, layer, x, a] / n[b, layer, x, a]
            np.testing.assert_allclose(p_hat[b, layer, x, a], expected, rtol=1e-12)
            # observed rewards are the model's mean rewards, so the average recovers r_h(x, a)
            truth = model.rewards[layer, x, a]  # pooled: homogeneous rewards, layer 0
            assert algorithm.estimated_rewards()[b, layer, x, a] == pytest.approx(truth, rel=1e-12)


def test_pooled_is_the_papers_default_and_refused_on_a_time_inhomogeneous_model():
    """The stationary-kernel algorithm (and its bounds) never runs silently on a model whose
    kernel changes with h: pooled=True (default) refuses it; per-step counts are opt-in."""
    homogeneous, inhomogeneous = random_model(2), random_model(2, homogeneous=False)
    assert ENTRY.make_config().pooled is True
    assert learner(homogeneous, 5, 1)[0].counts.shape[1] == 1
    with pytest.raises(ValueError, match=r"time-homogeneous model.*pooled=false"):
        learner(inhomogeneous, 5, 1)
    per_step = learner(inhomogeneous, 5, 1, pooled=False)[0]
    assert per_step.counts.shape[1] == inhomogeneous.horizon
    with pytest.raises(TypeError, match="pooled must be true or false"):
        ENTRY.make_config(pooled=None)


# --- zero bonus: the empirical MDP's optimum ----------------------------------------------------


@pytest.mark.parametrize(("pooled", "known_rewards"), [(True, True), (False, False)])
def test_zero_bonus_greedy_policy_is_optimal_for_the_empirical_mdp(pooled, known_rewards):
    """With c = 0 (and no min over past episodes) Q^k is the exact optimum of the empirical MDP.

    Data come from uniform play from a uniform start, so every (h, s, a) is visited (asserted).
    """
    model = random_model(3, homogeneous=pooled, n_states=4, horizon=4)
    n_seeds = 2
    algorithm, _ = learner(
        model, 300, n_seeds, c=0.0, monotone=False, pooled=pooled, known_rewards=known_rewards
    )
    spread = type(model)(
        model.transitions, model.rewards, np.full(model.n_states, 1.0 / model.n_states)
    )
    rngs = [np.random.default_rng(10 + b) for b in range(n_seeds)]
    uniform = np.full((n_seeds, model.horizon, model.n_states, model.n_actions), 1.0 / 3)
    for _ in range(300):
        batch = rollout(spread, uniform, rngs)
        algorithm.update(Trajectories(batch.states[:, 0], batch.actions[:, 0], batch.rewards[:, 0]))
    assert algorithm.counts.sum(-1).min() >= 5
    policy = algorithm.policy()
    for b in range(n_seeds):
        solution = backward_induction(
            DenseTransitions(algorithm.empirical_kernel()[b]), model.rewards
        )
        np.testing.assert_allclose(algorithm.q[b], solution.q, rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(policy[b], solution.policy)


# --- optimism -----------------------------------------------------------------------------------


OPTIMISM_SEEDS, OPTIMISM_DELTA, OPTIMISM_ALPHA = 16, 0.1, 1e-3


def hoeffding_width(S: int, A: int, H: int, T: int, delta: float) -> float:
    """``beta`` with ``b = beta / sqrt(N)`` = the Hoeffding width of the optimism argument.

    For fixed (x, a, h) and count n, ``|(P_hat - P) V*_{h+1}(x, a)| <= H sqrt(ln(2/e) / (2 n))``
    fails w.p. ``<= e``; a union over x, a, h and n <= T with ``e = delta / (S A H T)`` gives
    ``beta = H sqrt(ln(2 S A H T / delta) / 2)``. On that event, induction over h (with the clip
    at H >= Q* and the min with the optimistic Q_{k-1}) gives Q^k >= Q* for every k: Azar et al.
    2017, Lemma 18, whose constant 7 H L only adds slack.
    """
    return H * math.sqrt(math.log(2 * S * A * H * T / delta) / 2)


def optimistic_seeds(model, n_episodes: int, **params) -> tuple[np.ndarray, float]:
    """Per seed: was ``Q^k >= Q*`` on every pair in every episode; and the fraction of
    (seed, episode, x, a) at step 0 where ``Q^k < H`` (optimism is then not the clip's)."""
    algorithm, env_rngs = learner(model, n_episodes, OPTIMISM_SEEDS, **params)
    q_star = optimal(model).q
    holds = (algorithm.q >= q_star - 1e-9).all(axis=(1, 2, 3))
    below, previous = [], [algorithm.q.copy()]

    def check(k, alg):
        holds[:] &= (alg.q >= q_star - 1e-9).all(axis=(1, 2, 3))
        below.append((alg.q[:, 0] < model.horizon - 1e-6).mean())
        if params.get("monotone", True):
            assert (alg.q <= previous[0] + 1e-12).all(), "Alg. 2's min with Q_{k-1}"
        assert (alg.q <= model.horizon).all(), "Alg. 2 clips Q at H"
        previous[0] = alg.q.copy()

    run_online(model, algorithm, n_episodes, env_rngs, callback=check)
    return holds, float(np.mean(below))


def allowed_failures(n: int, delta: float, alpha: float) -> int:
    """Smallest m with ``P(Bin(n, delta) > m) <= alpha``."""
    return int(stats.binom.isf(alpha, n, delta))


@pytest.mark.slow
@pytest.mark.parametrize(("bonus", "n_episodes"), [("hoeffding", 1500), ("bernstein", 4000)])
def test_optimism_where_the_bonus_not_the_clip_carries_it(bonus, n_episodes):
    """Q^k >= Q* on every pair and episode with probability >= 1 - delta per seed.

    Hoeffding: the width of the optimism argument (:func:`hoeffding_width`; at the paper's
    7 H L no pair of a short run leaves Q = H, which would make the check vacuous). Bernstein:
    the paper's constants (Alg. 4), over enough episodes that its bonus drops below H.
    Non-vacuity is asserted: Q^k < H at step 0 (where the kernel matters; at the last step
    Q* = r lies trivially below r + b) on at least 5% of (seed, episode, pair). Seeds fail
    independently w.p. <= delta, so allowing ``m = allowed_failures(16, 0.1, 1e-3)`` failing
    seeds makes a fresh draw of seeds fail a correct implementation w.p. <= 1e-3.
    Deterministic (fixed seeds).
    """
    model = random_model(4, n_states=3, horizon=2)
    params = {"bonus": bonus, "delta": OPTIMISM_DELTA}
    if bonus == "hoeffding":
        S, A, H = model.n_states, model.n_actions, model.horizon
        params["beta"] = hoeffding_width(S, A, H, n_episodes * H, OPTIMISM_DELTA)
    holds, below_h = optimistic_seeds(model, n_episodes, **params)
    failures = allowed_failures(OPTIMISM_SEEDS, OPTIMISM_DELTA, OPTIMISM_ALPHA)
    assert (~holds).sum() <= failures, f"{(~holds).sum()} of {OPTIMISM_SEEDS} seeds not optimistic"
    assert below_h >= 0.05, f"Q < H on only {below_h:.1%} of entries: optimism is the clip's"


def test_the_optimism_check_fails_without_a_bonus():
    """The same check and seeds reject beta = 0 (the greedy empirical MDP): it can fail."""
    model = random_model(4, n_states=3, horizon=2)
    holds, _ = optimistic_seeds(model, 1500, beta=0.0, delta=OPTIMISM_DELTA)
    assert (~holds).sum() > allowed_failures(OPTIMISM_SEEDS, OPTIMISM_DELTA, OPTIMISM_ALPHA)


def test_q_is_clipped_at_h_without_the_monotone_min():
    """Alg. 2's ``min(., H)``: with ``monotone=False`` nothing else caps Q, and at theory
    constants the bonus 7 H L / sqrt(N) exceeds H on every visited pair after a few episodes."""
    model = random_model(12)
    algorithm, env_rngs = learner(model, 10, 2, monotone=False)
    play(algorithm, model, 10, env_rngs)
    assert algorithm.counts.sum() > 0
    np.testing.assert_array_equal(algorithm.q, np.full(algorithm.q.shape, model.horizon))


# --- regret -------------------------------------------------------------------------------------


RATE_SEEDS, RATE_ALPHA = 8, 1e-3


def excess_over_sqrt_rate(algorithm_id: str, n_episodes: int = 2000, **params) -> float:
    """One-sided t statistic margin for ``E[R(K)] <= sqrt(2) E[R(K/2)]`` on RiverSwim (S = 5,
    H = 10), 8 fixed seeds: ``mean(D) - t_{1-alpha, n-1} sd(D) / sqrt(n)`` with
    ``D_i = R_i(K) - sqrt(2) R_i(K/2)``. Positive means: the regret grows significantly faster
    than sqrt(K) (rejected at level alpha = 1e-3)."""
    model = make_model("riverswim", np.random.default_rng(0), n_states=5, horizon=10)
    entry = get(algorithm_id)
    env_rngs, algo_rngs = seed_generators(np.random.SeedSequence(5).spawn(RATE_SEEDS))
    algorithm = make_online(entry, model, n_episodes, entry.make_config(**params), algo_rngs)
    regret = run_online(model, algorithm, n_episodes, env_rngs).cumulative_regret
    d = regret[:, n_episodes - 1] - math.sqrt(2) * regret[:, n_episodes // 2 - 1]
    t = stats.t.isf(RATE_ALPHA, RATE_SEEDS - 1)
    return float(d.mean() - t * d.std(ddof=1) / math.sqrt(RATE_SEEDS))


@pytest.mark.slow
@pytest.mark.parametrize(("bonus", "c"), [("hoeffding", 0.02), ("bernstein", 0.1)])
def test_regret_grows_no_faster_than_sqrt_k_on_riverswim(bonus, c):
    """From K/2 = 1000 to K = 2000 episodes the regret grows at most like sqrt(K): the t test of
    :func:`excess_over_sqrt_rate` does not reject (a correct sqrt(K)-or-better learner fails it
    with probability <= 1e-3, normal approximation of the per-seed differences). A ratio of 1.6
    (exponent 0.68) would be rejected; the uniform baseline is (next test). Deterministic (fixed
    seeds). At theory constants (c = 1) K = 2000 is still inside UCBVI's burn-in (Q = H almost
    everywhere, regret linear), which is why the scale is tuned."""
    assert excess_over_sqrt_rate("ucbvi", bonus=bonus, c=c) <= 0


@pytest.mark.slow
def test_the_rate_test_rejects_the_linear_regret_of_uniform_play():
    assert excess_over_sqrt_rate("uniform") > 0


# --- batching -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("bonus", "c"), [("hoeffding", 0.01), ("bernstein", 0.1)])
def test_batched_seeds_are_bit_identical_to_single_seed_runs(bonus, c):
    """Every episode's policy and the final Q of seed b are bit-identical alone or in a batch.

    The regret is compared to 1e-12 only: the runner's exact evaluation (``evaluate`` in the
    model layer) is batched through BLAS, whose rounding depends on the batch size.
    """
    model = random_model(6, homogeneous=False)
    params = {"bonus": bonus, "c": c, "known_rewards": False, "pooled": False}
    n_episodes = 60

    def run(indices):
        # fresh SeedSequences each time: spawn() is stateful, so reusing one would change streams
        seeds = np.random.SeedSequence(7).spawn(3)
        env_rngs, algo_rngs = seed_generators([seeds[i] for i in indices])
        algorithm = make_online(ENTRY, model, n_episodes, ENTRY.make_config(**params), algo_rngs)
        policies = [algorithm.policy()]
        run = run_online(
            model,
            algorithm,
            n_episodes,
            env_rngs,
            callback=lambda k, a: policies.append(a.policy()),
        )
        return run.regret, np.stack(policies, 1), algorithm.q

    regret, policies, q = run([0, 1, 2])
    assert (q < model.horizon - 1e-6).any()  # the bonus has let Q leave the cap: not vacuous
    assert len({p.tobytes() for p in policies[0]}) > 3  # and the policy changes over episodes
    for b in range(3):
        single_regret, single_policies, single_q = run([b])
        np.testing.assert_array_equal(policies[b], single_policies[0])
        np.testing.assert_array_equal(q[b], single_q[0])
        np.testing.assert_allclose(regret[b], single_regret[0], rtol=1e-12, atol=1e-12)


# --- bonuses ------------------------------------------------------------------------------------


def test_bernstein_bonus_matches_a_direct_computation():
    rng = np.random.default_rng(8)
    S, A, H, log = 4, 2, 5, 3.7
    counts = rng.integers(0, 6, size=(2, S, A, S))
    n = counts.sum(-1)
    p_hat = counts / n[..., None]
    v_next = rng.uniform(0, H, size=(2, S))
    visits = rng.integers(0, 4, size=(2, S))
    got = bernstein_bonus(p_hat, n, v_next, visits, horizon=H, log=log, n_states=S, n_actions=A)
    for b, x, a in itertools.product(range(2), range(S), range(A)):
        samples = np.repeat(np.arange(S), counts[b, x, a])  # the observed next states
        values = v_next[b, samples]
        caps = [
            min(100**2 * H**3 * S**2 * A * log**2 / m, H**2) if m else H**2
            for m in visits[b, samples]
        ]
        m = len(samples)
        expected = (
            np.sqrt(8 * log * values.var() / m)
            + 14 * H * log / (3 * m)
            + np.sqrt(8 * np.mean(caps) / m)
        )
        assert got[b, x, a] == pytest.approx(expected, rel=1e-12)


def test_bernstein_bonus_is_below_hoeffding_once_counts_are_large():
    """For N >= 4 and L >= 1: BF <= H (sqrt(2L) + sqrt(8) + 14 L / (3 sqrt(N))) / sqrt(N) <= 7HL
    / sqrt(N) (Var <= H^2 / 4, cap <= H^2), on random arrays of every kind of input."""
    rng = np.random.default_rng(9)
    S, A, H, B = 6, 3, 10, 200
    log = log_term(S, A, 10, H, 0.5)
    p_hat = rng.dirichlet(np.full(S, 0.3), size=(B, S, A))
    n = rng.integers(4, 10**5, size=(B, S, A))
    v_next = rng.choice([0.0, H], size=(B, S)) * rng.random((B, S)) ** 0.1
    visits = rng.integers(0, 10**6, size=(B, S))
    bf = bernstein_bonus(p_hat, n, v_next, visits, horizon=H, log=log, n_states=S, n_actions=A)
    ch = hoeffding_bonus(n, 7 * H * log)
    assert (bf <= ch).all()
    # the count condition matters: at N = 2, L = 1, a two-point P_hat on {0, H} gives
    # BF = H (1 + 7/3 + 2) > CH = 7 H / sqrt(2)
    small = bernstein_bonus(
        np.full((1, 2, 1, 2), 0.5),
        np.full((1, 2, 1), 2),
        np.array([[0.0, H]]),
        np.zeros((1, 2)),
        horizon=H,
        log=1.0,
        n_states=2,
        n_actions=1,
    )
    assert small[0, 0, 0] == pytest.approx(H * (1 + 7 / 3 + 2), rel=1e-12)
    assert small[0, 0, 0] > hoeffding_bonus(2, 7 * H * 1.0)


def test_hoeffding_coefficient_is_the_papers_and_pseudo_count_enters_the_root():
    model = random_model(10)
    algorithm, _ = learner(model, 7, 1, delta=0.2)
    L = np.log(5 * 4 * 3 * 7 * 3 / 0.2)
    assert algorithm.coefficient == pytest.approx(7 * 3 * L, rel=1e-14)
    assert hoeffding_bonus(np.array([3.0]), 2.0, 1.0)[0] == pytest.approx(1.0)


# --- configuration ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"bonus": "chernoff"},
        {"delta": 0.0},
        {"c": -1.0},
        {"bonus": "bernstein", "beta": 1.0},
        {"beta": 1.0, "c": 0.5},
        {"bonus": "bernstein", "pseudo_count": 1.0},
    ],
)
def test_bad_configuration_is_a_clear_error(params):
    with pytest.raises(ValueError):
        ENTRY.make_config(**params)


def test_bad_trajectories_are_a_clear_error():
    model = random_model(11)
    problem = Problem.from_model(model, 5)
    algorithm = UCBVI(problem, UCBVI.Config(), [np.random.default_rng(0)])
    states = np.zeros((1, model.horizon + 1), dtype=np.int64)
    actions = np.zeros((1, model.horizon), dtype=np.int64)
    with pytest.raises(ValueError, match="actions"):
        algorithm.update(Trajectories(states, actions + 5, np.zeros((1, model.horizon))))
    with pytest.raises(ValueError, match="states"):
        algorithm.update(Trajectories(states[:, :-1], actions, np.zeros((1, model.horizon))))


# --- bounds -------------------------------------------------------------------------------------


def test_bound_objects_reproduce_the_printed_theorems():
    S, A, H, delta = 5, 2, 10, 0.05
    K = np.array([10.0, 1000.0, 10**6])
    L = np.log(5 * H * S * A * K * H / delta)
    params = {"S": S, "A": A, "H": H, "delta": delta}
    ch, bf = get_bound("ucbvi-ch-azar2017"), get_bound("ucbvi-bf-azar2017")
    theorem1 = 20 * H**1.5 * L * np.sqrt(S * A * K) + 250 * H**2 * S**2 * A * L**2
    theorem2 = (
        30 * H * L * np.sqrt(S * A * K)
        + 2500 * H**2 * S**2 * A * L**2
        + 4 * H**1.5 * np.sqrt(K * L)
    )
    np.testing.assert_allclose(ch.value({**params, "K": K}), theorem1, rtol=1e-12)
    np.testing.assert_allclose(bf.value({**params, "K": K}), theorem2, rtol=1e-12)
    assert {b.id for b in bounds_for("ucbvi")} >= {ch.id, bf.id}
    assert next(b for b in bounds_for("ucbvi") if b.kind == "upper") is ch  # main theorem
    assert ch.exponents["K"] == bf.exponents["K"] == 0.5
    with pytest.raises(ValueError, match="delta"):
        ch.shape_at({"K": K, "S": S, "A": A, "H": H})


# --- LSVI-UCB with one-hot features -------------------------------------------------------------


@pytest.mark.parametrize("pooled", [False, True])
def test_one_hot_lsvi_ucb_equals_ucbvi_hoeffding_with_matching_options(pooled):
    """phi = e_(s,a) makes LSVI-UCB (Jin et al. 2020, Alg. 1) a UCBVI-CH update (brief §2.4):
    ``Q_h = min(H, sum[r + V_{h+1}(x')] / (N_h + lam) + beta / sqrt(N_h + lam))``.

    Matching UCBVI options (deviations from Azar et al., defaults are the paper's): per-step
    counts (``pooled=False``; ``True`` matches LSVI-UCB's named pooled variant), ``pseudo_count
    = lam``, explicit ``beta``, rewards from trajectories, no min with Q_{k-1}. Both learners act
    in lock-step on the same data; actions must be identical every episode and Q-values equal up
    to rounding (LSVI-UCB sums through Sherman-Morrison inverses, UCBVI through counts).
    """
    lam, beta, n_episodes = 1.0, 0.6, 150
    model = make_model(
        "tabular-as-linear", np.random.default_rng(13), n_states=4, n_actions=3, horizon=4
    )
    n_seeds = 2
    lsvi_entry = get("lsvi-ucb")
    lsvi = make_online(
        lsvi_entry,
        model,
        n_episodes,
        lsvi_entry.make_config(beta=beta, lam=lam, pooled=pooled),
        [np.random.default_rng(b) for b in range(n_seeds)],
    )
    ucbvi, _ = learner(
        model,
        n_episodes,
        n_seeds,
        beta=beta,
        pseudo_count=lam,
        pooled=pooled,
        known_rewards=False,
        monotone=False,
    )
    env_rngs = [np.random.default_rng(100 + b) for b in range(n_seeds)]
    below_cap, distinct = 0, set()
    for _ in range(n_episodes):
        policy = ucbvi.policy()
        distinct.add(policy.tobytes())
        np.testing.assert_array_equal(lsvi.policy(), policy)
        np.testing.assert_allclose(lsvi.q_values(), ucbvi.q, rtol=0, atol=1e-10)
        below_cap += int((ucbvi.q < model.horizon).sum())
        batch = rollout(model, policy, env_rngs)
        episode = Trajectories(batch.states[:, 0], batch.actions[:, 0], batch.rewards[:, 0])
        lsvi.update(episode)
        ucbvi.update(episode)
    # not vacuous: Q leaves the clip H and the played policies change over the run
    assert below_cap > 0
    assert len(distinct) > 2
