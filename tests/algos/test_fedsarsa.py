"""FedSARSA and projected linear SARSA: exact identities first, then statistical checks.

The reference learners here are written independently of :mod:`rltheory.algos.fedsarsa` (scalar
loops over steps and agents, the paper's pseudocode); they consume the same generator streams in
the same order (environment: s_0 then one uniform per transition; learner: a_0 then one uniform
per next action), so equal results are bit for bit. Next states come from each agent's own
transition operator (``transitions.sample_from_uniforms``, checked against the kernel by the
conformance suite); actions by an inverse CDF written here.
"""

from __future__ import annotations

import numpy as np
import pytest

from rltheory.algos import get
from rltheory.algos.fedsarsa import project, step_size
from rltheory.envs import make_model
from rltheory.experiments.federated import make_federated
from rltheory.mdp.continuing import ContinuingChains


def _rngs(seeds, offset=0):
    env = [np.random.default_rng([s, 0 + offset]) for s in seeds]
    algo = [np.random.default_rng([s, 1 + offset]) for s in seeds]
    return env, algo


def _learner(algorithm, model, n_steps, rngs, **config):
    entry = get(algorithm)
    return make_federated(entry, model, n_steps, entry.make_config(**config), rngs)


def drive(model, learner, env_rngs, n_steps, local_steps):
    """The federated loop; returns the server-round outputs ``[R, B, N, d]`` and actions."""
    chains = ContinuingChains(model, env_rngs)
    outputs, actions_played = [], []
    for t in range(n_steps):
        states = chains.states
        actions = learner.act(states)
        actions_played.append(actions.copy())
        rewards, next_states = chains.step(actions)
        learner.observe(states, actions, rewards, next_states)
        if (t + 1) % local_steps == 0 or t + 1 == n_steps:
            learner.aggregate()
            outputs.append(learner.output().copy())
    return np.array(outputs), np.array(actions_played)


def _draw(theta, features, order, temperature, s, u):
    """Inverse CDF of the softmax over the actions of s ordered by (feature, action)."""
    logits = features[s] @ theta / temperature
    p = np.exp(logits - logits.max())
    p = p[order[s]] / p.sum()
    cdf = np.cumsum(p)
    return order[s][min(int(np.searchsorted(cdf, u * cdf[-1], side="right")), len(p) - 1)]


def reference_fedsarsa(model, temperature, alpha, n_steps, local_steps, env_rng, algo_rng):
    """Scalar FedSARSA for one seed: every agent one step at a time, averaging every K steps."""
    phi, gamma = model.features, model.gamma
    order = np.argsort(phi.argmax(-1), axis=1, kind="stable")
    n = model.n_agents
    cdf0 = np.cumsum(model.initial_distribution)
    states = [int(np.searchsorted(cdf0, u, side="right")) for u in env_rng.random(n)]
    theta = np.zeros((n, model.dim))
    actions = [
        _draw(theta[i], phi, order, temperature, states[i], algo_rng.random()) for i in range(n)
    ]
    for t in range(n_steps):
        env_u, algo_u = env_rng.random(n), algo_rng.random(n)
        for i in range(n):
            s, a = states[i], actions[i]
            transitions = model.agents[i].transitions
            s_next = int(transitions.sample_from_uniforms(0, s, a, np.array([env_u[i]])))
            a_next = _draw(theta[i], phi, order, temperature, s_next, algo_u[i])
            delta = (
                model.rewards[i, s, a]
                + gamma * theta[i] @ phi[s_next, a_next]
                - theta[i] @ phi[s, a]
            )
            theta[i] = theta[i] + alpha * delta * phi[s, a]
            states[i], actions[i] = s_next, a_next
        if (t + 1) % local_steps == 0 or t + 1 == n_steps:
            theta[:] = theta.mean(axis=0)
    return theta


@pytest.mark.parametrize("local_steps", [1, 7])
def test_one_agent_equals_single_agent_sarsa_bit_for_bit(local_steps):
    """N = 1: synchronisation is a no-op and FedSARSA is single-agent SARSA."""
    model = make_model("fedsarsa-synthetic", 0, n_agents=1, n_states=20)
    env, algo = _rngs([3])
    learner = _learner("fedsarsa", model, 300, algo, temperature=0.5, step_size=0.05)
    outputs, _ = drive(model, learner, env, 300, local_steps)
    env, algo = _rngs([3])
    expected = reference_fedsarsa(model, 0.5, 0.05, 300, 10**9, env[0], algo[0])
    np.testing.assert_array_equal(outputs[-1, 0], expected)


def test_fedsarsa_matches_scalar_reference_with_heterogeneous_agents():
    """N = 3 heterogeneous agents, K = 4: the batched learner equals the scalar pseudocode."""
    model = make_model("fedsarsa-synthetic", 0, n_agents=3, n_states=15, eps_p=0.5, eps_r=0.3)
    env, algo = _rngs([8])
    learner = _learner("fedsarsa", model, 200, algo, temperature=0.7, step_size=0.05)
    outputs, _ = drive(model, learner, env, 200, 4)
    env, algo = _rngs([8])
    expected = reference_fedsarsa(model, 0.7, 0.05, 200, 4, env[0], algo[0])
    np.testing.assert_array_equal(outputs[-1, 0], expected)


def test_identical_agents_one_local_step_equal_minibatch_sarsa():
    """Identical agents, K = 1: theta <- theta + (alpha/N) sum_i g_i(theta) over N independent
    chains (minibatch SARSA), up to the rounding of mean(theta + alpha g_i) vs theta + alpha
    mean(g_i); the actions played are identical."""
    model = make_model("fedsarsa-synthetic", 0, n_agents=4, n_states=12, eps_p=0.0, eps_r=0.0)
    n_steps, alpha, tau = 150, 0.05, 0.5
    env, algo = _rngs([5])
    learner = _learner("fedsarsa", model, n_steps, algo, temperature=tau, step_size=alpha)
    outputs, played = drive(model, learner, env, n_steps, 1)
    env_rng, algo_rng = _rngs([5])[0][0], _rngs([5])[1][0]
    phi, rewards = model.features, model.rewards[0]
    order = np.argsort(phi.argmax(-1), axis=1, kind="stable")
    cdf0 = np.cumsum(model.initial_distribution)
    states = np.searchsorted(cdf0, env_rng.random(4), side="right")
    theta = np.zeros(model.dim)
    actions = np.array([_draw(theta, phi, order, tau, s, algo_rng.random()) for s in states])
    for t in range(n_steps):
        np.testing.assert_array_equal(actions, played[t, 0], err_msg=f"step {t}")
        env_u, algo_u = env_rng.random(4), algo_rng.random(4)
        nxt = model.agents[0].transitions.sample_from_uniforms(0, states, actions, env_u[None])
        nxt_a = np.array(
            [_draw(theta, phi, order, tau, s, u) for s, u in zip(nxt, algo_u, strict=True)]
        )
        delta = rewards[states, actions] + model.gamma * phi[nxt, nxt_a] @ theta
        delta -= phi[states, actions] @ theta
        theta = theta + alpha * (delta[:, None] * phi[states, actions]).mean(0)
        states, actions = nxt, nxt_a
    np.testing.assert_allclose(outputs[-1, 0, 0], theta, rtol=0, atol=1e-11)


def test_never_synchronising_equals_independent_agents_averaged_once():
    """K >= T: FedSARSA's output is the average of N independent SARSA learners' final iterates."""
    model = make_model("fedsarsa-synthetic", 0, n_agents=3, n_states=10, eps_p=1.0, eps_r=1.0)
    env, algo = _rngs([1, 2])
    fed = _learner("fedsarsa", model, 120, algo, temperature=1.0)
    fed_out, _ = drive(model, fed, env, 120, 10**6)
    env, algo = _rngs([1, 2])
    alone = _learner("sarsa-linear", model, 120, algo, temperature=1.0)
    alone_out, _ = drive(model, alone, env, 120, 10**6)
    np.testing.assert_array_equal(
        fed_out[-1], np.broadcast_to(alone_out[-1].mean(1, keepdims=True), fed_out[-1].shape)
    )
    assert not np.allclose(alone_out[-1][:, 0], alone_out[-1][:, 1])  # the agents did differ


def test_batched_seeds_equal_each_seed_alone():
    model = make_model("federated-garnet", 0, n_agents=3)
    seeds = [11, 12, 13]
    env, algo = _rngs(seeds)
    together, _ = drive(model, _learner("fedsarsa", model, 100, algo, temperature=2.0), env, 100, 5)
    for b, seed in enumerate(seeds):
        env, algo = _rngs([seed])
        alone, _ = drive(
            model, _learner("fedsarsa", model, 100, algo, temperature=2.0), env, 100, 5
        )
        np.testing.assert_array_equal(together[:, b], alone[:, 0], err_msg=f"seed {seed}")


def test_uniform_policy_makes_sarsa_td0_of_the_uniform_policy():
    """tau = inf: actions never depend on theta (SARSA is TD(0) policy evaluation)."""
    model = make_model("federated-garnet", 0, n_agents=2)
    played = []
    for theta0 in (0.0, 5.0):
        env, algo = _rngs([4])
        learner = _learner(
            "fedsarsa", model, 80, algo, temperature=float("inf"), theta0=theta0, step_size=0.5
        )
        played.append(drive(model, learner, env, 80, 3)[1])
    np.testing.assert_array_equal(*played)
    env, algo = _rngs([4])
    learner = _learner("fedsarsa", model, 80, algo, temperature=0.05, step_size=0.5)
    assert not np.array_equal(drive(model, learner, env, 80, 3)[1], played[0])


@pytest.mark.parametrize(
    ("algorithm", "placement"),
    [("fedsarsa", "server"), ("fedsarsa", "local"), ("sarsa-linear", "local")],
)
def test_projection_keeps_the_norm_within_the_radius(algorithm, placement):
    """||theta|| <= R at every server round (server placement) or every step (local)."""
    model = make_model("fedsarsa-synthetic", 0, n_agents=3, n_states=10, eps_p=0.5, eps_r=0.5)
    radius = 2.0
    env, algo = _rngs([0, 1])
    learner = _learner(
        algorithm, model, 200, algo, projection_radius=radius, projection=placement, step_size=0.1
    )
    outputs, _ = drive(model, learner, env, 200, 5 if placement == "server" else 1)
    assert np.linalg.norm(outputs, axis=-1).max() <= radius * (1 + 1e-12)
    assert learner.projection_active > 0  # the radius was active: the test can fail
    env, algo = _rngs([0, 1])
    free = _learner(algorithm, model, 200, algo, step_size=0.1)
    assert np.linalg.norm(drive(model, free, env, 200, 5)[0], axis=-1).max() > radius


def test_inactive_projection_equals_the_unprojected_path():
    model = make_model("federated-garnet", 0, n_agents=2)
    runs = []
    for radius in (float("inf"), 1e6):
        env, algo = _rngs([2])
        learner = _learner("fedsarsa", model, 100, algo, projection_radius=radius, temperature=2.0)
        runs.append(drive(model, learner, env, 100, 4)[0])
        assert learner.projection_active == 0
    np.testing.assert_array_equal(*runs)


def test_project_is_the_euclidean_projection():
    theta = np.array([[3.0, 4.0], [0.3, 0.4], [0.0, 0.0]])
    np.testing.assert_allclose(project(theta, 1.0), [[0.6, 0.8], [0.3, 0.4], [0.0, 0.0]])


def test_decaying_schedule_and_weighted_average():
    """alpha_0 = alpha0; alpha_t (1/alpha0 + t) = 1; theta~ ∝ sum_s theta_s / alpha_s."""
    alpha0 = 0.05
    assert step_size(0, alpha0, "decaying") == alpha0
    for t in (1, 10, 1000):
        assert step_size(t, alpha0, "decaying") * (1 / alpha0 + t) == pytest.approx(1.0, abs=1e-15)
        assert step_size(t, alpha0, "constant") == alpha0
    model = make_model("federated-garnet", 0, n_agents=2)
    env, algo = _rngs([6])
    learner = _learner(
        "fedsarsa", model, 30, algo, schedule="decaying", step_size=alpha0, temperature=2.0
    )
    chains = ContinuingChains(model, env)
    iterates, weights = [learner.theta.copy()], [1 / alpha0]
    for t in range(30):
        states = chains.states
        actions = learner.act(states)
        rewards, nxt = chains.step(actions)
        learner.observe(states, actions, rewards, nxt)
        iterates.append(learner.theta.copy())
        weights.append(1 / alpha0 + t + 1)
    expected = np.tensordot(np.array(weights), np.array(iterates), axes=1) / sum(weights)
    expected = np.broadcast_to(expected.mean(axis=1, keepdims=True), expected.shape)
    np.testing.assert_allclose(learner.output(), expected, rtol=1e-12)  # the agents' mean
