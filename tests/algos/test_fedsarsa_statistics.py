"""Statistical checks of the continuing sampler and FedSARSA, each with a stated failure
probability and fixed seeds (so each run is deterministic; the probability is over seeds)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats

from rltheory.algos import get
from rltheory.envs import make_model
from rltheory.experiments.federated import exact_targets, make_federated, run_federated
from rltheory.mdp import sarsa
from rltheory.mdp.continuing import ContinuingChains

LEVEL = 1e-4
"""Chi-square tests reject at p < LEVEL: a correct sampler fails with probability ~LEVEL."""


def chi_square_pvalue(counts: np.ndarray, probabilities: np.ndarray) -> float:
    """Pearson chi-square p-value of ``counts`` against ``probabilities`` (cells with expected
    count < 5 are pooled into one)."""
    counts, probabilities = np.ravel(counts), np.ravel(probabilities)
    expected = counts.sum() * probabilities
    small = expected < 5
    if small.any():
        counts = np.append(counts[~small], counts[small].sum())
        expected = np.append(expected[~small], expected[small].sum())
    return float(scipy.stats.chisquare(counts, expected).pvalue)


def test_chi_square_helper_catches_a_wrong_law():
    rng = np.random.default_rng(0)
    p = np.array([0.5, 0.3, 0.2])
    counts = np.bincount(rng.choice(3, size=5000, p=p), minlength=3)
    assert chi_square_pvalue(counts, p) > LEVEL
    assert chi_square_pvalue(counts, np.array([0.45, 0.35, 0.2])) < LEVEL


def _final_state_actions(model, theta, temperature, n_steps):
    """(s, a) of every chain (10 seeds x N agents) after ``n_steps`` steps of the learner's
    policy at a frozen theta (step size 1e-12), one independent sample per chain."""
    entry = get("fedsarsa")
    config = entry.make_config(temperature=temperature, step_size=1e-12)
    algo = [np.random.default_rng([11, b]) for b in range(10)]
    learner = make_federated(entry, model, n_steps, config, algo)
    learner.theta[:] = theta
    chains = ContinuingChains(model, [np.random.default_rng([12, b]) for b in range(10)])
    for _ in range(n_steps):
        states = chains.states
        actions = learner.act(states)
        rewards, nxt = chains.step(actions)
        learner.observe(states, actions, rewards, nxt)
    return chains.states.ravel(), learner.act(chains.states).ravel()


@pytest.mark.parametrize(
    ("family", "params"),
    [
        ("federated-garnet", {"n_types": 1}),
        ("fedsarsa-synthetic", {"n_states": 10, "eps_p": 0.0, "eps_r": 0.0}),
    ],
)
def test_sampled_state_actions_follow_the_exact_stationary_law(family, params):
    """10 seeds x 400 identical agents' chains run 200 steps under pi_theta; their final (s, a) are
    independent draws from a law within TV ~ lambda_2^200 of mu = nu(s) pi(a|s), tested by
    chi-square at level 1e-4 (false-failure probability about 1e-4). Also fails a wrong law."""
    model = make_model(family, 0, n_agents=400, **params)
    rng = np.random.default_rng(5)
    theta = rng.normal(size=model.dim)
    s, a = _final_state_actions(model, theta, 0.5, 200)
    policy = sarsa.softmax_policy(model.features, theta, 0.5)
    mu = sarsa.state_action_distribution(model.averaged(), policy[None])[0]
    counts = np.zeros((model.n_states, model.n_actions))
    np.add.at(counts, (s, a), 1)
    assert chi_square_pvalue(counts, mu) > LEVEL
    wrong = sarsa.state_action_distribution(
        model.averaged(), np.full_like(policy, 1 / model.n_actions)[None]
    )[0]
    assert chi_square_pvalue(counts, wrong) < LEVEL


@pytest.mark.slow
def test_linear_speedup_of_the_steady_state_error():
    """eps = 0, K = 1, constant alpha = 0.05: the steady-state MSE (mean of the second half of
    3000 steps, 20 seeds) of N = 1 over N = 10 lies in [5, 20] (theory: about 10).

    Measured ratio 9.7 with standard error 0.45 over the 20 seeds, so 5 is ten standard errors
    away: the failure probability is below 1e-6 even allowing for the error of the estimate.
    """
    tails = {}
    for n_agents in (1, 10):
        model = make_model(
            "fedsarsa-synthetic", 0, n_agents=n_agents, n_states=20, eps_p=0.0, eps_r=0.0
        )
        targets = exact_targets(model, 100.0)
        entry = get("fedsarsa")
        config = entry.make_config(step_size=0.05, theta0=float(targets.agent.mean()))
        env = [np.random.default_rng([s, 0]) for s in range(20)]
        algo = [np.random.default_rng([s, 1]) for s in range(20)]
        learner = make_federated(entry, model, 3000, config, algo)
        run = run_federated(model, learner, env, 3000, 1, targets)
        tails[n_agents] = run.err_agent[:, 1500:, 0].mean()
    assert 5.0 <= tails[1] / tails[10] <= 20.0, tails
