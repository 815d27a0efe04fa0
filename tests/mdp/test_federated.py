"""Federated models: circulant kernels, stacked agent kernels, heterogeneity, exact SARSA targets.

Oracles: dense tensors built index by index, the exact linear solve of TD(0) for the uniform
policy, and the dense (S·A x S·A) mean-path linear system built from scratch.
"""

from __future__ import annotations

import numpy as np
import pytest

from rltheory.envs import make_model
from rltheory.mdp import CirculantTransitions, DiscountedMDP, FederatedMDP, sarsa
from rltheory.testing import check_environment


def test_discounted_rewards_up_to_the_reward_bound():
    kernel = np.full((2, 2, 2), 0.5)
    model = DiscountedMDP(kernel, [[0.0, 7.0], [10.0, 3.0]], 0.5, [1.0, 0.0], reward_bound=10.0)
    assert model.reward_bound == 10.0
    with pytest.raises(ValueError, match=r"rewards must lie in \[0, 1\]"):
        DiscountedMDP(kernel, [[0.0, 7.0], [10.0, 3.0]], 0.5, [1.0, 0.0])
    with pytest.raises(ValueError, match=r"\[0, 10\]"):
        DiscountedMDP(kernel, [[0.0, 11.0], [1.0, 3.0]], 0.5, [1.0, 0.0], reward_bound=10.0)


def test_circulant_kernel_is_the_column_shifted_base():
    rng = np.random.default_rng(0)
    base = rng.dirichlet(np.ones(7), size=7)
    kernel = CirculantTransitions(base, n_actions=5)
    dense = kernel.dense()[0]
    for s in range(7):
        for a in range(5):
            np.testing.assert_array_equal(dense[s, a], np.roll(base[s], a))
    values, weights = rng.random((3, 7)), rng.random((3, 7, 5))
    np.testing.assert_allclose(kernel.expect(values), np.einsum("sat,bt->bsa", dense, values))
    np.testing.assert_allclose(kernel.push(weights), np.einsum("sat,bsa->bt", dense, weights))
    check_environment(
        DiscountedMDP(kernel, np.zeros((7, 5)), 0.5, np.full(7, 1 / 7))
    )  # rows, sampling vs kernel (TV test at failure probability 1e-6)


def test_stacked_kernels_match_each_agent():
    for family, params in (
        ("fedsarsa-synthetic", {"n_states": 9, "n_agents": 3, "eps_p": 0.5}),
        ("federated-garnet", {"n_agents": 3}),
    ):
        model = make_model(family, 0, **params)
        rng = np.random.default_rng(1)
        n, s, a = model.n_agents, model.n_states, model.n_actions
        dense = np.stack([m.transitions.dense()[0] for m in model.agents])
        values = rng.random((2, n, s))
        policy = rng.dirichlet(np.ones(a), size=(2, n, s))
        weights = rng.random((2, n, s, a))
        kernels = model.kernels
        np.testing.assert_allclose(kernels.dense(), dense)
        np.testing.assert_allclose(
            kernels.expect(values), np.einsum("nsat,bnt->bnsa", dense, values)
        )
        np.testing.assert_allclose(
            kernels.push(weights), np.einsum("nsat,bnsa->bnt", dense, weights)
        )
        np.testing.assert_allclose(
            kernels.state_kernel(policy), np.einsum("bnsa,nsat->bnst", policy, dense), atol=1e-14
        )


def test_heterogeneity_definitions_on_a_hand_built_pair():
    """eps_p = max sup TV, eps_r = max sup |r_i - r_j| / R, computed by hand."""
    p1 = np.array([[[1.0, 0.0]], [[0.5, 0.5]]])
    p2 = np.array([[[0.75, 0.25]], [[0.5, 0.5]]])
    phi = np.ones((2, 1, 1))
    agents = tuple(
        DiscountedMDP(p, r, 0.5, [1.0, 0.0], features=phi, realizable=False, reward_bound=4.0)
        for p, r in ((p1, [[1.0], [2.0]]), (p2, [[3.0], [2.0]]))
    )
    het = FederatedMDP(agents).heterogeneity()
    assert het == {"eps_p": pytest.approx(0.25), "eps_r": pytest.approx(0.5)}
    with pytest.raises(ValueError, match="features differs"):
        other = DiscountedMDP(
            p1,
            [[1.0], [2.0]],
            0.5,
            [1.0, 0.0],
            features=2 * phi,
            realizable=False,
            reward_bound=4.0,
        )
        FederatedMDP((agents[0], other))


def test_synthetic_generator_nominal_agent_nesting_and_realised_heterogeneity():
    small = make_model("fedsarsa-synthetic", 0, n_agents=2, eps_p=0.2, eps_r=0.1)
    big = make_model("fedsarsa-synthetic", 0, n_agents=5, eps_p=0.2, eps_r=0.1)
    flat = make_model("fedsarsa-synthetic", 0, n_agents=4, eps_p=0.0, eps_r=0.0)
    for i in range(2):  # agents are drawn one after another: the same for every N > i
        np.testing.assert_array_equal(small.agents[i].rewards, big.agents[i].rewards)
        np.testing.assert_array_equal(small.kernels.arrays[i], big.kernels.arrays[i])
    np.testing.assert_array_equal(flat.kernels.arrays[0], big.kernels.arrays[0])  # nominal
    assert flat.metadata["eps_p"] == 0.0 and flat.metadata["eps_r"] == 0.0
    r = big.rewards
    assert r.min() == 0.0 and r[0].max() == pytest.approx(10.0)  # rescaled to [0, R]
    np.testing.assert_array_equal(r, r[..., :1].repeat(r.shape[-1], -1))  # state rewards
    # knob vs paper: pairwise gaps reach 2 eps_r R before clipping, so realised eps_r <= 2 knob
    assert 0.1 < big.metadata["eps_r"] <= 0.2 + 1e-12
    assert 0 < big.metadata["eps_p"] <= 1.0
    phi = big.features
    assert phi.shape == (100, 100, 25) and np.all(phi.sum(-1) == 1)
    assert phi[7, 13].argmax() == (7 % 5) * 5 + 13 % 5
    authors = make_model("fedsarsa-synthetic", 0, n_agents=5, eps_r=1.0, reward_clip="authors")
    assert authors.reward_bound == 20.0 and authors.rewards.min() >= 0.0


def test_garnet_types_alternate_with_branching_support():
    model = make_model("federated-garnet", 0, n_agents=5, branching=2)
    dense = model.kernels.dense()
    assert np.all((dense > 0).sum(-1) == 2)
    np.testing.assert_array_equal(dense[0], dense[2])
    np.testing.assert_array_equal(model.rewards[1], model.rewards[3])
    assert not np.array_equal(dense[0], dense[1])


def _dense_mean_path(model, i, theta, tau):
    """A_i and b_i of g_i(theta') = b_i - A_i theta' built on the S·A x S·A chain, from scratch."""
    n_s, n_a = model.n_states, model.n_actions
    phi = model.features.reshape(n_s * n_a, -1)
    logits = (phi @ theta).reshape(n_s, n_a) / tau
    pi = np.exp(logits - logits.max(1, keepdims=True))
    pi /= pi.sum(1, keepdims=True)
    p = model.kernels.dense()[i].reshape(n_s * n_a, n_s)
    p_sa = (p[:, :, None] * pi[None]).reshape(n_s * n_a, n_s * n_a)  # (s,a) -> (s',a')
    eigenvalues, vectors = np.linalg.eig(p_sa.T)
    mu = np.real(vectors[:, np.argmin(np.abs(eigenvalues - 1))])
    mu /= mu.sum()
    d = np.diag(mu)
    a = phi.T @ d @ (phi - model.gamma * p_sa @ phi)
    return a, phi.T @ d @ model.rewards[i].reshape(-1)


@pytest.mark.parametrize("family", ["fedsarsa-synthetic", "federated-garnet"])
def test_fixed_points_have_tiny_residuals_and_solve_the_dense_system(family):
    params = (
        {"n_states": 10, "n_agents": 3, "eps_p": 0.5, "eps_r": 0.5}
        if family != "federated-garnet"
        else {"n_agents": 3}
    )
    model = make_model(family, 0, **params)
    tau = 2.0
    per_agent = sarsa.agent_fixed_points(model, tau)
    fed = sarsa.federated_fixed_point(model, tau)
    avg = sarsa.averaged_fixed_point(model, tau)
    for point in (per_agent, fed, avg):
        assert point.residual.max() < sarsa.TOLERANCE
    for i in range(3):  # theta*^(i) solves A_i(theta) theta = b_i(theta) of the dense chain
        a, b = _dense_mean_path(model, i, per_agent.theta[i], tau)
        np.testing.assert_allclose(a @ per_agent.theta[i], b, atol=1e-9)
    systems = [_dense_mean_path(model, i, fed.theta[0], tau) for i in range(3)]
    total_a, total_b = sum(s[0] for s in systems), sum(s[1] for s in systems)
    np.testing.assert_allclose(total_a @ fed.theta[0], total_b, atol=1e-9)
    assert np.abs(per_agent.theta - fed.theta).max() > 1e-3  # heterogeneous: the targets differ


def test_uniform_policy_fixed_point_is_the_exact_q_of_the_uniform_policy():
    """tau = inf with one-hot features: theta* = Q^unif solving (I - gamma P_pi) Q = r."""
    model = make_model("federated-garnet", 0, n_agents=2)
    theta = sarsa.agent_fixed_points(model, float("inf")).theta
    n_s, n_a = model.n_states, model.n_actions
    for i in range(2):
        p = model.kernels.dense()[i].reshape(n_s * n_a, n_s)
        p_pi = np.repeat(p, n_a, axis=1) / n_a  # uniform next action
        q = np.linalg.solve(np.eye(n_s * n_a) - model.gamma * p_pi, model.rewards[i].reshape(-1))
        np.testing.assert_allclose(theta[i], q, atol=1e-10)


def test_homogeneous_targets_coincide():
    model = make_model("fedsarsa-synthetic", 0, n_agents=3, n_states=12, eps_p=0.0, eps_r=0.0)
    per_agent = sarsa.agent_fixed_points(model, 1.0).theta
    fed = sarsa.federated_fixed_point(model, 1.0).theta[0]
    avg = sarsa.averaged_fixed_point(model, 1.0).theta[0]
    np.testing.assert_allclose(per_agent, np.broadcast_to(fed, per_agent.shape), atol=1e-10)
    np.testing.assert_allclose(avg, fed, atol=1e-10)


def test_stationary_distribution_and_lipschitz_constant():
    rng = np.random.default_rng(3)
    kernel = rng.dirichlet(np.ones(6), size=(4, 6))
    nu = sarsa.stationary_distribution(kernel)
    np.testing.assert_allclose(np.einsum("bs,bst->bt", nu, kernel), nu, atol=1e-14)
    np.testing.assert_allclose(nu.sum(-1), 1.0)
    with pytest.raises(ValueError, match="not irreducible"):
        sarsa.stationary_distribution(np.eye(3))
    features = rng.normal(size=(5, 4, 3))
    c = sarsa.lipschitz_constant(features, 0.7)
    theta = rng.normal(size=(2000, 2, 3))
    pi = sarsa.softmax_policy(features, theta, 0.7)
    ratio = np.abs(pi[:, 0] - pi[:, 1]).max(axis=(-1, -2)) / np.linalg.norm(
        theta[:, 0] - theta[:, 1], axis=-1
    )
    assert ratio.max() <= c
    assert ratio.max() > c / 20  # not vacuous


def test_uniform_stream_does_not_depend_on_the_block_size_or_the_batch():
    from rltheory.mdp.continuing import UniformStream

    def rows(seeds, block):
        stream = UniformStream([np.random.default_rng(s) for s in seeds], 3, block=block)
        return np.array([stream.next() for _ in range(10)])

    np.testing.assert_array_equal(rows([1, 2], 3), rows([1, 2], 256))
    np.testing.assert_array_equal(rows([1, 2], 4)[:, 1], rows([2], 7)[:, 0])
    flat = np.random.default_rng(2).random(30).reshape(10, 3)
    np.testing.assert_array_equal(rows([2], 4)[:, 0], flat)  # step t, slot j = double t·3 + j


def test_continuing_chains_validate_actions_and_never_reset():
    from rltheory.mdp.continuing import ContinuingChains

    model = make_model("federated-garnet", 0, n_agents=2)
    chains = ContinuingChains(model, [np.random.default_rng(0)])
    with pytest.raises(ValueError, match="shape"):
        chains.step(np.zeros((1, 3), dtype=int))
    with pytest.raises(ValueError, match="outside"):
        chains.step(np.full((1, 2), 7))
    rewards, states = chains.step(np.zeros((1, 2), dtype=int))
    assert rewards.shape == (1, 2) and chains.steps == 1 and states is chains.states
