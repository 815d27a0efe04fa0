"""Transforms: one-hot features (tabular-as-linear) and the unit-total-reward normalisation."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from env_oracles import max_trajectory_reward

from rltheory.envs import make_model
from rltheory.envs.transforms import TRANSFORMS, one_hot_features, unit_total_reward
from rltheory.mdp import DiscountedMDP, FiniteHorizonMDP, optimal


def _build(family: str, seed: int = 0, **params) -> FiniteHorizonMDP:
    return make_model(family, np.random.default_rng(seed), **params)


def test_transforms_are_registered_by_spec_name():
    assert TRANSFORMS["one-hot-features"] is one_hot_features
    assert TRANSFORMS["unit-total-reward"] is unit_total_reward


@pytest.mark.parametrize(
    ("family", "params"),
    [
        ("random-tabular", {"n_states": 4, "n_actions": 3, "homogeneous": False}),
        ("random-linear", {"n_states": 6, "n_actions": 2, "dim": 3}),
        ("zgs-hard", {"dim": 3, "horizon": 3}),
    ],
)
def test_one_hot_features_realize_any_model(family, params):
    model = _build(family, **params)
    encoded = one_hot_features(model)
    n_pairs = model.n_states * model.n_actions
    assert encoded.dim == n_pairs
    assert encoded.transitions is model.transitions
    np.testing.assert_array_equal(encoded.features.reshape(n_pairs, n_pairs), np.eye(n_pairs))
    np.testing.assert_array_equal(
        np.einsum("sad,hd->hsa", encoded.features, encoded.reward_parameters), model.rewards
    )


def test_one_hot_features_on_a_discounted_model():
    base = _build("riverswim")
    discounted = DiscountedMDP(base.transitions, base.rewards[0], 0.9, base.initial_distribution)
    encoded = one_hot_features(discounted)
    assert encoded.dim == base.n_states * base.n_actions and encoded.gamma == 0.9


def test_a_corrupted_feature_map_is_rejected():
    model = _build("riverswim", n_states=4)
    corrupted = np.array(model.features)
    corrupted[1, 1] = corrupted[1, 0]  # (1, right) now shares (1, left)'s feature
    # One-hot-sized features only fail through rank deficiency (full-rank d = S·A realizes any
    # kernel); the check must use the true span, not an orthonormal completion.
    with pytest.raises(ValueError, match=r"do not reproduce the claimed transitions.*s=1, a="):
        dataclasses.replace(model, features=corrupted, reward_parameters=None)
    dropped = np.array(model.features)[..., 1:]  # e_(0,left) removed: (0, left) has phi = 0
    with pytest.raises(ValueError, match=r"do not reproduce the claimed transitions.*s=0, a=0"):
        dataclasses.replace(model, features=dropped, reward_parameters=None)
    with pytest.raises(TypeError, match="needs an MDP model"):
        one_hot_features(model.rewards)


@pytest.mark.parametrize(
    ("family", "params"),
    [
        ("riverswim", {}),
        ("deepsea", {"size": 5}),
        ("random-tabular", {"homogeneous": False}),
        ("tabular-as-linear", {"n_states": 4}),
        ("random-linear", {"n_states": 8, "n_actions": 3, "dim": 4, "homogeneous": False}),
        ("combination-lock", {}),
        ("zgs-hard", {"dim": 3, "horizon": 4}),
        ("random-mixture", {}),
    ],
)
def test_unit_total_reward_bounds_every_trajectory_by_one(family, params):
    model = _build(family, 1, **params)
    scaled = unit_total_reward(model)
    raw_max = max_trajectory_reward(model)
    assert max_trajectory_reward(scaled) <= 1.0 + 1e-12
    assert max_trajectory_reward(scaled) == pytest.approx(raw_max / model.horizon, rel=1e-12)
    assert scaled.metadata["reward_scale"] == pytest.approx(1 / model.horizon)
    np.testing.assert_allclose(optimal(scaled).v, optimal(model).v / model.horizon, rtol=1e-12)
    if model.reward_parameters is not None:
        np.testing.assert_allclose(
            scaled.reward_parameters, model.reward_parameters / model.horizon, rtol=1e-15
        )
        np.testing.assert_array_equal(scaled.features, model.features)


def test_max_trajectory_oracle_exceeds_one_before_the_transform():
    # RiverSwim can reach S-1 and collect 1 per step there: the raw total exceeds 1 surely.
    model = _build("riverswim", n_states=3, horizon=6)
    assert max_trajectory_reward(model) == pytest.approx(6 - 2)
    assert max_trajectory_reward(unit_total_reward(model)) == pytest.approx(4 / 6)


def test_unit_total_reward_composes_its_scale_and_rejects_discounted_models():
    model = _build("riverswim", horizon=4)
    twice = unit_total_reward(unit_total_reward(model))
    assert twice.metadata["reward_scale"] == pytest.approx(1 / 16)
    discounted = DiscountedMDP(model.transitions, model.rewards[0], 0.5, model.initial_distribution)
    with pytest.raises(TypeError, match="needs a FiniteHorizonMDP"):
        unit_total_reward(discounted)
