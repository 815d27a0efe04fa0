"""R2PVI, PEVI, DRPVI and DRVI-L: statistics, identities between algorithms, monotonicity,
the proof-event monitor, and the paper's qualitative claim on the simulated linear MDP.

Oracles: per-sample loops for the ridge statistics; exact identities (TV with lam >= H is PEVI with
known rewards and the same penalty; DRPVI with rho = 0 on nonnegative estimates is PEVI too);
limits in lam; and exact robust values of the learned policies on the model.
"""

from __future__ import annotations

import numpy as np
import pytest

from rltheory.algos import Problem, get
from rltheory.algos._pessimism import PessimisticFit, penalty, step_statistics
from rltheory.algos.r2pvi import proof_events, r2pvi_beta
from rltheory.envs import make_model
from rltheory.envs.perturbation import perturbed_model
from rltheory.mdp import FiniteHorizonMDP, LowRankTransitions, RobustMDP
from rltheory.offline import collect
from rltheory.offline.metrics import perturbed_values


def _fit(algorithm, model, dataset, **params):
    entry = get(algorithm)
    rngs = [np.random.default_rng(0)] * dataset.states.shape[0]
    learner = entry.cls(
        Problem.from_model(model, dataset.actions.shape[1]), entry.make_config(**params), rngs
    )
    policy = learner.fit(dataset)
    return policy, learner


@pytest.fixture(scope="module")
def simulated():
    model = make_model("liu-xu-linear", 0)
    rngs = [np.random.default_rng(seed) for seed in range(4)]
    return model, collect(model, "uniform", 60, rngs).trajectories


def tabular_linear(rng, n_states=4, n_actions=2, horizon=3):
    """Linear MDP with one-hot features (d = S A): every ridge estimate is a nonnegative measure."""
    phi = np.eye(n_states * n_actions).reshape(n_states, n_actions, -1)
    mu = rng.dirichlet(np.ones(n_states), size=(horizon, n_states * n_actions))
    rewards = rng.uniform(0, 1, (horizon, n_states, n_actions))
    return FiniteHorizonMDP(LowRankTransitions(phi, mu), rewards, np.full(n_states, 1 / n_states))


@pytest.fixture(scope="module")
def tabular():
    model = tabular_linear(np.random.default_rng(7))
    rngs = [np.random.default_rng(seed) for seed in range(3)]
    return model, collect(model, "uniform", 40, rngs).trajectories


# --- statistics ---------------------------------------------------------------------------------


def test_step_statistics_equal_per_sample_sums(simulated):
    model, data = simulated
    stats = step_statistics(model.features, data.states, data.actions, data.rewards, 0.1)
    for b in range(2):
        for h in range(model.horizon):
            gram, target, rsum = 0.1 * np.eye(4), np.zeros((4, model.n_states)), np.zeros(4)
            for tau in range(data.actions.shape[1]):
                phi = model.features[data.states[b, tau, h], data.actions[b, tau, h]]
                gram += np.outer(phi, phi)
                target[:, data.states[b, tau, h + 1]] += phi
                rsum += phi * data.rewards[b, tau, h]
            inverse = np.linalg.inv(gram)
            np.testing.assert_allclose(stats.gram[b, h], gram, atol=1e-10)
            np.testing.assert_allclose(stats.measure[b, h], inverse @ target, atol=1e-10)
            np.testing.assert_allclose(stats.reward_weights[b, h], inverse @ rsum, atol=1e-10)
            visited = np.isin(np.arange(model.n_states), data.states[b, :, h + 1])
            np.testing.assert_array_equal(stats.next_visited[b, h], visited)


def test_penalty_shapes_against_their_formulas(simulated):
    model, data = simulated
    stats = step_statistics(model.features, data.states, data.actions, data.rewards, 0.1)
    linv = stats.gram_inverse[1, 2]
    phi = model.features[2, 5]
    expected = {
        "d-rectangular": sum(abs(phi[i]) * np.sqrt(linv[i, i]) for i in range(4)),
        "l2-diagonal": np.sqrt(sum(phi[i] ** 2 * linv[i, i] for i in range(4))),
        "elliptical": np.sqrt(phi @ linv @ phi),
    }
    for kind, value in expected.items():
        got = penalty(model.features, stats.gram_inverse, 2.0, kind)[1, 2, 2, 5]
        assert got == pytest.approx(2.0 * value, rel=1e-12)


# --- batching, validation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("algorithm", "params"),
    [("r2pvi", {"divergence": "tv"}), ("r2pvi", {"divergence": "kl"}),
     ("r2pvi", {"divergence": "chi2"}), ("pevi", {}), ("drpvi", {}), ("drvi-l", {})],
)  # fmt: skip
def test_batched_fit_equals_single_seed_fits(simulated, algorithm, params):
    model, data = simulated
    _, batched = _fit(algorithm, model, data, beta=0.5, ridge=0.1, **params)
    for b in (0, 3):
        alone = type(data)(data.states[b : b + 1], data.actions[b : b + 1], data.rewards[b : b + 1])
        _, single = _fit(algorithm, model, alone, beta=0.5, ridge=0.1, **params)
        for field in ("q", "weights", "penalty"):
            assert np.array_equal(
                getattr(single.result, field)[0], getattr(batched.result, field)[b]
            )


def test_fit_refuses_mis_shaped_or_out_of_range_data(simulated):
    model, data = simulated
    with pytest.raises(ValueError, match=r"dataset.states must have shape \[4, 60, 4\]"):
        _fit("r2pvi", model, type(data)(data.states[..., :-1], data.actions, data.rewards))
    actions = data.actions.copy()
    actions[2, 7, 1] = 16
    with pytest.raises(ValueError, match=r"outside \[0, 16\) at \(2, 7, 1\)"):
        _fit("r2pvi", model, type(data)(data.states, actions, data.rewards))


# --- identities ----------------------------------------------------------------------------------


@pytest.mark.parametrize("pen", ["d-rectangular", "l2-diagonal"])
def test_tv_with_lam_at_least_h_is_pevi_with_known_rewards(simulated, pen):
    """[V]_alpha = V when alpha = min V + lam >= max V: the estimates coincide bit for bit."""
    model, data = simulated
    common = {"beta": 0.7, "ridge": 0.1, "penalty": pen}
    pol_r, r2 = _fit("r2pvi", model, data, divergence="tv", lam=float(model.horizon), **common)
    pol_p, pe = _fit("pevi", model, data, reward="known", **common)
    assert np.array_equal(pol_r, pol_p)
    assert np.array_equal(r2.result.q, pe.result.q)


def test_pevi_with_the_elliptical_penalty_can_choose_differently(simulated):
    """The same estimate with PEVI's own penalty is a different algorithm (not an identity)."""
    model, data = simulated
    _, r2 = _fit("r2pvi", model, data, divergence="tv", lam=3.0, beta=1.0, ridge=0.1)
    _, pe = _fit("pevi", model, data, reward="known", beta=1.0, ridge=0.1)
    assert not np.allclose(r2.result.q, pe.result.q)


def test_kl_tends_to_pevi_as_lam_grows_with_vanishing_ridge(simulated):
    """-lam log E e^{-V/lam} = E V - Var V / (2 lam) + ..., but a ridge estimate has mass
    1 - gamma [Lambda^{-1} 1]_i < 1, which adds about lam gamma [Lambda^{-1} 1]_i: the limit
    lam -> infinity is PEVI only when gamma lam -> 0 (here gamma = 1e-9)."""
    model, data = simulated
    common = {"beta": 0.3, "ridge": 1e-9}
    _, pe = _fit("pevi", model, data, reward="known", penalty="d-rectangular", **common)
    gaps = []
    for lam in (1e2, 1e3):
        _, kl = _fit("r2pvi", model, data, divergence="kl", lam=lam, **common)
        gaps.append(np.abs(kl.result.q - pe.result.q).max())
    assert gaps[1] < 1e-2 and gaps[1] < gaps[0] / 5
    _, ridge = _fit("r2pvi", model, data, divergence="kl", lam=1e6, beta=0.3, ridge=0.1)
    assert np.abs(ridge.result.weights - pe.result.weights).max() > 0.1  # no limit with gamma > 0


def test_chi2_tends_to_pevi_as_lam_grows(tabular):
    """On nonnegative estimates the sup over alpha of E[V]_alpha is at alpha = V_max = E V."""
    model, data = tabular
    common = {"beta": 0.3, "ridge": 0.5, "penalty": "d-rectangular"}
    _, pe = _fit("pevi", model, data, reward="known", **common)
    _, chi = _fit("r2pvi", model, data, divergence="chi2", lam=1e6, **common)
    np.testing.assert_allclose(chi.result.weights, pe.result.weights, atol=1e-5)
    assert np.array_equal(chi.result.policy, pe.result.policy)


def test_drpvi_with_zero_radius_is_pevi_on_nonnegative_estimates(tabular):
    model, data = tabular
    common = {"beta": 0.3, "ridge": 0.5, "penalty": "d-rectangular"}
    _, pe = _fit("pevi", model, data, reward="known", **common)
    _, dr = _fit("drpvi", model, data, rho=0.0, **common)
    np.testing.assert_allclose(dr.result.weights, pe.result.weights, atol=1e-12)


def test_tv_with_tiny_lam_is_the_worst_case(simulated):
    """lam -> 0: hat w_h = hat mu_h min_s hat V_{h+1}(s) (all mass moves to the minimum)."""
    model, data = simulated
    _, r2 = _fit("r2pvi", model, data, divergence="tv", lam=1e-12, beta=0.2, ridge=0.1)
    stats = r2.statistics
    for h in range(model.horizon - 1):
        v_min = r2.result.values[:, h + 1].min(-1)
        expected = stats.measure[:, h].sum(-1) * v_min[:, None]
        np.testing.assert_allclose(r2.result.weights[:, h], expected, atol=1e-10)


@pytest.mark.parametrize("divergence", ["tv", "kl", "chi2"])
def test_learned_value_is_monotone_in_lam_and_beta(tabular, divergence):
    model, data = tabular
    lams = (0.02, 0.1, 0.5, 2.0)
    values = [
        _fit("r2pvi", model, data, divergence=divergence, lam=lam, beta=0.2)[1] for lam in lams
    ]
    v1 = np.stack([learner.result.values[:, 0] for learner in values])
    assert np.all(np.diff(v1, axis=0) >= -1e-12)
    betas = (0.0, 0.1, 0.5, 2.0)
    fits = [_fit("r2pvi", model, data, divergence=divergence, lam=0.3, beta=b)[1] for b in betas]
    v1 = np.stack([learner.result.values[:, 0] for learner in fits])
    assert np.all(np.diff(v1, axis=0) <= 1e-12)


def test_authors_code_deviations_are_options_that_change_the_result(simulated):
    model, data = simulated
    base = {"divergence": "tv", "lam": 0.1, "beta": 1.0, "ridge": 0.1}
    _, paper = _fit("r2pvi", model, data, **base)
    assert paper.result.q.min() >= 0
    _, code = _fit("r2pvi", model, data, penalty="l2-diagonal", floor=False, **base)
    assert code.result.q.min() < 0  # no floor at 0
    assert np.all(code.result.penalty <= paper.result.penalty + 1e-15)  # l2 <= l1
    with pytest.raises(ValueError, match="tv_threshold"):
        get("r2pvi").make_config(tv_threshold="sample")


def test_theorem_beta_matches_the_formula():
    import math

    xi = 2 * math.log(1024 * 3 * 2 * 100**2 / 0.1)
    assert r2pvi_beta("tv", 4, 3, 100, 0.1, 0.1) == pytest.approx(16 * 3 * 4 * math.sqrt(xi))
    assert r2pvi_beta("kl", 4, 3, 100, 1.0, 0.1) > r2pvi_beta("kl", 4, 3, 100, 2.0, 0.1)


# --- proof events --------------------------------------------------------------------------------


def test_proof_events_hold_with_a_large_penalty_and_catch_a_broken_fit(simulated):
    model, data = simulated
    robust = RobustMDP(model, "tv", 0.1)
    _, learner = _fit("r2pvi", model, data, divergence="tv", lam=0.1, beta=5.0, ridge=0.1)
    events = proof_events(robust, learner.result, model.features)
    assert events.pessimism.all() and events.covered.all()
    _, greedy = _fit("r2pvi", model, data, divergence="tv", lam=0.1, beta=0.0, ridge=0.1)
    assert not proof_events(robust, greedy.result, model.features).covered.all()
    fit = learner.result
    broken = PessimisticFit(fit.q + 0.5, fit.values, fit.policy, fit.weights, fit.penalty)
    assert not proof_events(robust, broken, model.features).pessimism.any()


# --- the paper's qualitative claim ---------------------------------------------------------------


@pytest.mark.slow
def test_r2pvi_beats_pevi_under_the_strongest_perturbation():
    """At q = 1 R2PVI-TV and R2PVI-KL (lam = 0.1) earn more than PEVI on average over 20 datasets
    of 100 uniform episodes (the authors' setting: beta = 1, ridge 0.1). Each value is exact; the
    paired mean difference must exceed 3 standard errors (one-sided z-test: if the true mean
    difference were <= 0 this fails with probability <= 0.14% in the normal approximation)."""
    model = make_model("liu-xu-linear", 0)
    rngs = [np.random.default_rng(seed) for seed in range(20)]
    data = collect(model, "uniform", 100, rngs).trajectories
    test = [perturbed_model(model, 1.0)]
    pevi = perturbed_values(test, _fit("pevi", model, data, beta=1.0, ridge=0.1)[0])[0]
    for divergence in ("tv", "kl"):
        policy, _ = _fit("r2pvi", model, data, divergence=divergence, lam=0.1, beta=1.0, ridge=0.1)
        diff = perturbed_values(test, policy)[0] - pevi
        assert diff.mean() > 3 * diff.std(ddof=1) / np.sqrt(len(diff)), (divergence, diff)


@pytest.mark.parametrize(("algorithm", "params"), [("drvi-l", {}), ("r2pvi", {"divergence": "kl"})])
def test_batching_is_exact_when_seeds_visit_different_states(algorithm, params):
    """Three episodes per seed on the option lattice: each seed observes other next states, so a
    batched KL solve sees points that carry no weight for a given seed; they must add exactly 0."""
    model = make_model("american-put", 0, dim=12, horizon=6, initial_price=100.0)
    rngs = [np.random.default_rng(seed) for seed in range(3)]
    data = collect(model, "never-exercise", 3, rngs).trajectories
    stats = step_statistics(model.features, data.states, data.actions, data.rewards, 1.0)
    assert not np.array_equal(stats.next_visited[0], stats.next_visited[1])
    _, batched = _fit(algorithm, model, data, beta=0.001, **params)
    for b in range(3):
        alone = type(data)(data.states[b : b + 1], data.actions[b : b + 1], data.rewards[b : b + 1])
        _, single = _fit(algorithm, model, alone, beta=0.001, **params)
        assert np.array_equal(single.result.weights[0], batched.result.weights[b])
