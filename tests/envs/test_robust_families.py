"""The nominal-plus-perturbed families: Liu & Xu's simulated linear MDP and the American put.

Oracles: the authors' simulator transcribed row by row (independently of the factor form), a
hand-computed optimal value, and a binomial closed form for the American put.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from rltheory.envs import make_model
from rltheory.envs.perturbation import perturbed_model, perturbed_models
from rltheory.mdp import evaluate, initial_value, optimal


def _simulator_row(h: int, state: int, action: np.ndarray, q: float | None) -> np.ndarray:
    """Next-state law of the authors' simulator (states x1..x5 = 0..4) on reachable states."""
    shift = 0.3 + 0.05 * action.sum()
    row = np.zeros(5)
    if state == 3 or state == 4:
        row[state] = 1.0
    elif h == 0 and state == 0:
        if q is None:
            row[[1, 3, 4]] = [(1 - shift) * 0.999, (1 - shift) * 0.001, shift]
        else:
            row[[1, 3, 4]] = [1 - shift, q * shift, (1 - q) * shift]
    elif h == 1 and state == 1:
        row[[2, 3, 4]] = [(1 - shift) * 0.999, (1 - shift) * 0.001, shift]
    elif h == 2 and state == 2:
        row[[3, 4]] = [1 - shift, shift]
    return row


@pytest.mark.parametrize("q", [None, 0.0, 0.4, 1.0])
def test_liu_xu_kernel_matches_the_simulator_on_reachable_states(q):
    model = make_model("liu-xu-linear", 0, perturbation=q)
    dense = model.transitions.dense()
    actions = np.array(list(itertools.product([-1, 1], repeat=4)))
    reachable = {0: [0], 1: [1, 3, 4], 2: [2, 3, 4]}
    for h, states in reachable.items():
        for s in states:
            for a, action in enumerate(actions):
                np.testing.assert_allclose(dense[h, s, a], _simulator_row(h, s, action, q))
    shift = 0.3 + 0.05 * actions.sum(-1)
    np.testing.assert_allclose(model.rewards[0], 0.0)
    np.testing.assert_allclose(model.rewards[1, :3], np.broadcast_to(shift, (3, 16)))
    np.testing.assert_allclose(model.rewards[1:, 4], 1.0)
    np.testing.assert_allclose(model.rewards[:, 3], 0.0)


def test_liu_xu_optimal_value_by_hand():
    """V*_3(x3) = 0.5, V*_2(x2) = 2 (0.5) + 0.999 (0.5) (0.5), V*_1 = 2 (0.5) + 0.999 (0.5) V*_2."""
    v2 = 1.0 + 0.999 * 0.5 * 0.5
    assert optimal(make_model("liu-xu-linear", 0)).v[0, 0] == pytest.approx(1.0 + 0.999 * 0.5 * v2)


def test_liu_xu_refuses_features_off_the_simplex():
    with pytest.raises(ValueError, match="'delta' \\+- 'xi_norm'"):
        make_model("liu-xu-linear", 0, delta=0.1, xi_norm=0.2)


def test_american_put_european_policy_has_the_binomial_value():
    """Hold until the last step, then exercise: value = E[max(0, K - S_{H-1})] / K with
    S_{H-1} = s0 up^U down^(H-1-U), U ~ Binomial(H-1, p)."""
    horizon, p = 8, 0.35
    model = make_model("american-put", 0, dim=12, horizon=horizon, price_up=p, initial_price=99.0)
    policy = np.zeros((horizon, model.n_states), dtype=np.int64)
    policy[-1] = 1
    n = horizon - 1
    expected = sum(
        math.comb(n, u)
        * p**u
        * (1 - p) ** (n - u)
        * max(0.0, 100 - 99.0 * 1.02**u * 0.98 ** (n - u))
        for u in range(n + 1)
    )
    assert initial_value(model, evaluate(model, policy)) == pytest.approx(expected / 100, abs=1e-12)


def test_american_put_features_are_hats_with_known_exercise():
    model = make_model("american-put", np.random.default_rng(3), dim=60)
    prices = model.metadata["prices"]
    inside = (prices >= 80) & (prices <= 180 - 100 / 60)
    np.testing.assert_allclose(model.features[: len(prices), 0][inside].sum(-1), 1.0)
    assert np.all(model.features[:, 1] == 0) and np.all(model.features[-1] == 0)
    assert 95 <= model.metadata["perturbation"]["params"]["initial_price"] <= 105
    assert not model.realizable


def test_perturbed_models_keep_every_other_parameter():
    nominal = make_model("american-put", np.random.default_rng(5))
    tests = perturbed_models(nominal)
    assert [t.metadata["perturbation"]["value"] for t in tests] == [0.2, 0.4, 0.6, 0.8, 1.0]
    assert all(np.array_equal(t.metadata["prices"], nominal.metadata["prices"]) for t in tests)
    assert perturbed_model(nominal, 0.5).transitions.dense().tobytes() == (
        nominal.transitions.dense().tobytes()
    )
    with pytest.raises(ValueError, match="declares no perturbed test models"):
        perturbed_model(make_model("random-linear", 0), 0.1)


def test_nominal_plus_perturbed_families_offer_their_structure_tags():
    """The robust families offer ``perturbed`` (exact test models) and ``offline-dataset``; a
    family without test models does not offer ``perturbed``, so a spec needing it is refused."""
    from rltheory.algos import structures_of

    for family in ("liu-xu-linear", "american-put"):
        assert {"perturbed", "offline-dataset"} <= structures_of(make_model(family, 0))
    assert "perturbed" not in structures_of(make_model("random-linear", 0))
