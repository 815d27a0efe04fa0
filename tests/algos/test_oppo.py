"""OPPO's evaluation pass against exact policy evaluation, and its integration map.

Oracle: when the ridge statistics pin theta_hat to the true mixture weights (a huge Gram matrix
lam I with target lam theta*) and beta = 0, OPPO's backward pass is exact policy evaluation of the
current policy on the true model, so its Q must equal ``rltheory.mdp.q_values``.
"""

from __future__ import annotations

import numpy as np

import rltheory.envs as envs
from rltheory.algos.oppo import integrate, optimistic_evaluation
from rltheory.mdp import q_values


def _model():
    return envs.make_model(
        "adversarial-mixture", np.random.default_rng(2), kind="iid", n_states=4, n_actions=3,
        dim=3, horizon=3, n_episodes=2,
    )  # fmt: skip


def test_integration_map_matches_the_kernel():
    adv = _model()
    values = np.random.default_rng(0).uniform(size=(2, 4))
    ours = integrate(adv.dynamics.mixture_basis, values)
    np.testing.assert_allclose(ours, adv.dynamics.transitions.integrate(values), atol=1e-14)


def test_pinned_statistics_make_the_pass_exact_policy_evaluation():
    adv = _model()
    rng = np.random.default_rng(1)
    policy = rng.dirichlet(np.ones(3), size=(1, 3, 4))
    theta = adv.dynamics.transitions.theta  # [H, d]
    pin = 1e12
    gram = np.broadcast_to(pin * np.eye(3), (1, 3, 3, 3)).copy()
    target = pin * theta[None].copy()
    states, actions = np.array([[0, 1, 2, 3]]), np.array([[0, 2, 1]])
    q = optimistic_evaluation(
        adv.dynamics.mixture_basis, adv.losses[0], policy, states, actions, gram, target, 0.0
    )
    exact = q_values(adv.dynamics, policy[0], rewards=adv.losses[0])
    np.testing.assert_allclose(q[0], exact, atol=1e-9)
    assert not np.allclose(gram[0], pin * np.eye(3))  # the trajectory was added to the statistics

    # With the same statistics, a bonus lowers the cost estimate (optimism), strictly somewhere.
    def run(beta):
        stats = np.eye(3)[None, None].repeat(3, 1) * 5.0, 5.0 * theta[None].copy()
        basis = adv.dynamics.mixture_basis
        return optimistic_evaluation(basis, adv.losses[0], policy, states, actions, *stats, beta)

    plain, optimistic = run(0.0), run(1.0)
    assert np.all(optimistic <= plain + 1e-12) and np.any(optimistic < plain - 1e-3)


def test_horizon_one_is_delayed_hedge_shifted_by_the_delay():
    """H = 1: V_H = 0 makes Q = l^j exactly, so OPPO is Hedge per state; with a constant delay d
    (full information, no skipping) the delayed iterate is the undelayed one shifted by d
    episodes, bit for bit: pi^{k+d}_delayed = pi^k (the shift identity holds only for H = 1)."""
    from rltheory.algos import get
    from rltheory.experiments.adversarial_loop import adversarial_problem, run_adversarial

    adv = envs.make_model(
        "adversarial-mixture", np.random.default_rng(4), kind="drifting", n_states=3, n_actions=3,
        dim=2, horizon=1, n_episodes=20, period=6,
    )  # fmt: skip
    entry = get("oppo")

    def policies(delay: int) -> np.ndarray:
        learner = entry.cls(adversarial_problem(adv), entry.make_config(alpha=0.7), [None])
        played = []
        play = learner.policy
        learner.policy = lambda: played.append(play()) or played[-1]
        delays = np.full(20, delay, dtype=np.int64)
        run_adversarial(adv, learner, [np.random.default_rng(0)], feedback="full", delays=delays)
        return np.stack(played)

    now, late = policies(0), policies(3)
    np.testing.assert_array_equal(late[3:], now[:-3])
    np.testing.assert_array_equal(late[:3], 1.0 / 3.0)
    assert not np.allclose(now[-1], now[0])
