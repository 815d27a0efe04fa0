"""Gymnasium layer: every registered family as ``rltheory/<Name>-v0``, and the batched rollout path.

Statistical tests use fixed seeds, so they are deterministic; each states its false-failure
probability, i.e. the chance over the choice of seed that a correct implementation fails.
"""

from __future__ import annotations

import importlib
import multiprocessing
import subprocess
import sys
import warnings
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from scipy import stats

import rltheory.envs as envs
from rltheory.envs import registry
from rltheory.envs.adversarial import AdversarialMDP
from rltheory.envs.gym import DELAYED_FEEDBACK_ID, ModelEnv
from rltheory.mdp import (
    DenseTransitions,
    DiscountedMDP,
    FiniteHorizonMDP,
    LinearMixtureTransitions,
    LowRankTransitions,
    evaluate,
    initial_value,
)
from rltheory.testing import scoped_registrations
from rltheory.testing.checks import _dynamics as _dynamics_of

FAMILIES = envs.families()
GYM_IDS = [entry.gym_id for entry in FAMILIES] + [DELAYED_FEEDBACK_ID]
EPISODIC = [e for e in FAMILIES if isinstance(_dynamics_of(e.build(0)), FiniteHorizonMDP)]
"""Families with episodes (the continuing federated ones are checked in test_federated_envs)."""


def _reward_table(model, episode: int) -> np.ndarray:
    """What the env must return: mean rewards, or minus the losses of episode k."""
    return -model.losses[episode] if isinstance(model, AdversarialMDP) else model.rewards


def _dynamics(model) -> FiniteHorizonMDP:
    return model.dynamics if isinstance(model, AdversarialMDP) else model


@pytest.mark.parametrize("gym_id", GYM_IDS)
def test_check_env_passes_without_warnings(gym_id):
    env = gymnasium.make(gym_id)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any gymnasium checker warning fails the test
        check_env(env.unwrapped)


def test_every_family_is_registered_with_gymnasium():
    for entry in FAMILIES:
        assert entry.gym_id in gymnasium.registry, entry.id
    assert DELAYED_FEEDBACK_ID in gymnasium.registry


@pytest.mark.parametrize("entry", EPISODIC, ids=lambda e: e.id)
def test_episode_follows_the_exact_model(entry):
    """Spaces, info, termination after H, rewards = the model's table, next states in supp P."""
    env = gymnasium.make(entry.gym_id)
    model = env.unwrapped.model
    assert model is env.unwrapped.model
    dynamics = _dynamics(model)
    S, A, H = dynamics.n_states, dynamics.n_actions, dynamics.horizon
    assert env.observation_space == gymnasium.spaces.Discrete(S)
    assert env.action_space == gymnasium.spaces.Discrete(A)
    dense = dynamics.transitions.dense()
    rng = np.random.default_rng(5)
    for episode in range(3):
        s, info = env.reset(seed=11) if episode == 0 else env.reset()
        assert info["h"] == 0 and info["episode"] == episode
        assert dynamics.initial_distribution[s] > 0
        table = _reward_table(model, episode)
        for h in range(H):
            if dynamics.features is not None:
                np.testing.assert_array_equal(info["features"], dynamics.features[s])
                assert info["features"].shape == (A, dynamics.dim)
            else:
                assert "features" not in info
            a = int(rng.integers(A))
            s_next, reward, terminated, truncated, info = env.step(a)
            assert reward == table[h, s, a]
            assert dense[dynamics.transitions.layer(h), s, a, s_next] > 0
            assert info["h"] == h + 1 and terminated == (h == H - 1) and not truncated
            s = s_next
        with pytest.raises(RuntimeError, match="call reset"):
            env.unwrapped.step(0)


@pytest.mark.parametrize("entry", EPISODIC, ids=lambda e: e.id)
def test_monte_carlo_return_matches_exact_evaluation(entry):
    """Mean return of a fixed stochastic policy stepped through gymnasium vs ``evaluate``.

    Two-sided normal CI with the sample standard deviation, z for alpha = 1e-3 per family
    (asymptotic false-failure probability 1e-3). Adversarial models: episode 0's loss, replayed
    with ``reset(options={"episode": 0})``, expected return ``-V^{0,pi}_1``.
    """
    env = gymnasium.make(entry.gym_id)
    model = env.unwrapped.model
    dynamics = _dynamics(model)
    S, A, H = dynamics.n_states, dynamics.n_actions, dynamics.horizon
    rng = np.random.default_rng(17)
    policy = rng.dirichlet(np.ones(A), size=(H, S))
    cdf = np.cumsum(policy, -1)
    rewards = None if not isinstance(model, AdversarialMDP) else model.losses[0]
    exact = float(initial_value(dynamics, evaluate(dynamics, policy, rewards=rewards)))
    if isinstance(model, AdversarialMDP):
        exact = -exact
    n_episodes = 1000
    returns = np.empty(n_episodes)
    env.reset(seed=23)
    for i in range(n_episodes):
        s, _ = env.reset(options={"episode": 0})
        total = 0.0
        for h in range(H):
            a = min(int((cdf[h, s] <= rng.random()).sum()), A - 1)
            s, reward, *_ = env.step(a)
            total += reward
        returns[i] = total
    z = stats.norm.isf(1e-3 / 2)
    tolerance = z * returns.std(ddof=1) / np.sqrt(n_episodes) + 1e-9
    assert abs(returns.mean() - exact) <= tolerance, (returns.mean(), exact, tolerance)


def test_make_kwargs_seed_and_family_parameters():
    env = gymnasium.make("rltheory/RandomTabular-v0", seed=3, n_states=4, horizon=2)
    expected = envs.make_model("random-tabular", np.random.default_rng(3), n_states=4, horizon=2)
    model = env.unwrapped.model
    np.testing.assert_array_equal(model.transitions.dense(), expected.transitions.dense())
    np.testing.assert_array_equal(model.rewards, expected.rewards)
    default = gymnasium.make("rltheory/RandomTabular-v0").unwrapped.model
    np.testing.assert_array_equal(
        default.rewards, envs.make_model("random-tabular", np.random.default_rng(0)).rewards
    )
    with pytest.raises(TypeError, match="n_state"):
        gymnasium.make("rltheory/RandomTabular-v0", n_state=4)


def test_seeded_reset_is_reproducible_and_uses_np_random():
    env = gymnasium.make("rltheory/AdversarialLinear-v0").unwrapped
    runs = []
    for _ in range(2):
        s, _ = env.reset(seed=7)
        trace = [int(s)]
        for _ in range(4):  # episodes 0..3: the loss sequence restarts with the seed
            for _ in range(env.model.horizon):
                s, reward, _, _, info = env.step(1)
                trace += [int(s), reward, info["episode"]]
            s, _ = env.reset()
            trace.append(int(s))
        runs.append(trace)
    assert runs[0] == runs[1]
    with pytest.raises(IndexError, match="K=200"):
        env.reset(options={"episode": 200})
    with pytest.raises(ValueError, match="not in Discrete"):
        env.step(3)


def test_model_env_wraps_a_discounted_model():
    """Discounted models (later families) step forever with the reward table r(s, a)."""
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(3), size=(3, 2))
    model = DiscountedMDP(DenseTransitions(p), rng.random((3, 2)), 0.9, np.ones(3) / 3)
    env = ModelEnv(model)
    s, info = env.reset(seed=1)
    for t in range(50):
        s_next, reward, terminated, truncated, info = env.step(t % 2)
        assert reward == model.rewards[s, t % 2] and info["h"] == t + 1
        assert not terminated and not truncated
        s = s_next
    with pytest.raises(TypeError, match="FiniteHorizonMDP"):
        ModelEnv(object())


def _two_state(rng, *, horizon: int = 3):
    p = np.array([[[0.5, 0.5], [1.0, 0.0]], [[0.0, 1.0], [0.2, 0.8]]])
    return FiniteHorizonMDP(p, np.full((horizon, 2, 2), 0.25), np.array([1.0, 0.0]))


def test_registering_a_family_registers_its_gym_id_and_the_scope_removes_both():
    """Registration is one act: the gymnasium id exists as soon as the family does, and the
    scoped helper removes the two together."""
    with scoped_registrations():
        registry.register_family("test-two-state", gym_name="TestTwoState", citation="t")(
            _two_state
        )
        assert "rltheory/TestTwoState-v0" in gymnasium.registry
        env = gymnasium.make("rltheory/TestTwoState-v0", horizon=2)
        assert env.unwrapped.model.horizon == 2
        check_env(env.unwrapped)
    assert "rltheory/TestTwoState-v0" not in gymnasium.registry
    with pytest.raises(envs.UnknownEnvironmentError):
        envs.get_family("test-two-state")
    assert {e.id for e in envs.families()} == {e.id for e in FAMILIES}


@pytest.mark.parametrize("name", sorted(registry.GYM_RESERVED))
def test_reserved_gym_keywords_are_refused_at_registration(registrations, name):
    exec(f"def builder(rng, *, {name}=0):\n    return None", namespace := {})
    with pytest.raises(ValueError, match=f"'{name}'.*reserved by the gymnasium"):
        registry.register_family("test-reserved", gym_name="TestReserved", citation="t")(
            namespace["builder"]
        )
    assert "rltheory/TestReserved-v0" not in gymnasium.registry


def test_a_gym_name_clash_is_refused(registrations):
    with pytest.raises(ValueError, match=r"gym_name 'RiverSwim'.*already used by 'riverswim'"):
        registry.register_family("test-clash", gym_name="RiverSwim", citation="t")(_two_state)
    with pytest.raises(envs.UnknownEnvironmentError):
        envs.get_family("test-clash")


PLUGIN_MODULE, PLUGIN_GYM_ID = "gym_plugin_family", "rltheory/TestPluginChain-v0"


@contextmanager
def _imported_plugin():
    """Import the plugin module inside a registration scope; forget it (and what it
    registered) afterwards."""
    with scoped_registrations():
        sys.modules.pop(PLUGIN_MODULE, None)
        try:
            yield importlib.import_module(PLUGIN_MODULE)
        finally:
            sys.modules.pop(PLUGIN_MODULE, None)


def test_a_family_registered_by_a_plugin_module_after_import_is_gym_makeable():
    assert PLUGIN_GYM_ID not in gymnasium.registry  # rltheory.envs imported, the plugin not yet
    with _imported_plugin():
        env = gymnasium.make(PLUGIN_GYM_ID, seed=5, n_states=4)
        expected = envs.make_model("test-plugin-chain", 5, n_states=4)
        np.testing.assert_array_equal(
            env.unwrapped.model.transitions.dense(), expected.transitions.dense()
        )
        check_env(env.unwrapped)
        vector = gymnasium.make_vec(
            PLUGIN_GYM_ID, 2, vectorization_mode="vector_entry_point", seed=5, n_states=4
        )
        assert vector.observation_space == gymnasium.spaces.MultiDiscrete([4, 4])
    assert PLUGIN_GYM_ID not in gymnasium.registry


def _make_in_fresh_worker(seed: int) -> tuple[bool, np.ndarray]:
    """In a spawned process: import rltheory.envs, then the plugin; make its environment."""
    import rltheory.envs  # noqa: F401

    registered_before = PLUGIN_GYM_ID in gymnasium.registry
    importlib.import_module(PLUGIN_MODULE)
    env = gymnasium.make(PLUGIN_GYM_ID, seed=seed, n_states=4)
    return registered_before, env.unwrapped.model.transitions.dense()


def test_a_family_registered_inside_a_process_pool_worker_is_gym_makeable():
    """A fresh (spawned) worker has only what it imports: the plugin registers the gym id."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        registered_before, dense = pool.submit(_make_in_fresh_worker, 5).result(timeout=300)
    assert not registered_before
    with _imported_plugin():
        expected = envs.make_model("test-plugin-chain", 5, n_states=4).transitions.dense()
    np.testing.assert_array_equal(dense, expected)


def test_import_rltheory_is_enough_for_gymnasium_make():
    code = (
        "import gymnasium, rltheory; "
        "env = gymnasium.make('rltheory/RiverSwim-v0'); "
        "print(env.unwrapped.model.n_states)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(envs.get_family("riverswim").defaults["n_states"])


# --- vector entry point -----------------------------------------------------------------------


def _assert_same_infos(first: dict, second: dict, where: str) -> None:
    assert first.keys() == second.keys(), (where, sorted(first), sorted(second))
    for key in first:
        a, b = np.asarray(first[key]), np.asarray(second[key])
        assert a.dtype == b.dtype and a.shape == b.shape, (where, key, a.dtype, b.dtype)
        np.testing.assert_array_equal(a, b, err_msg=f"{where}: info[{key!r}]")


@pytest.mark.parametrize("entry", EPISODIC, ids=lambda e: e.id)
def test_vector_entry_point_equals_sync_vectorization_bit_for_bit(entry):
    """``make_vec(..., "vector_entry_point")`` (one batched sampler call per step) gives exactly
    the observations, rewards, flags and infos of gymnasium's SyncVectorEnv over ModelEnv copies,
    across an episode boundary (NEXT_STEP autoreset) and a re-seeded reset."""
    n = 3
    batched = gymnasium.make_vec(entry.gym_id, n, vectorization_mode="vector_entry_point", seed=2)
    synced = gymnasium.make_vec(entry.gym_id, n, vectorization_mode="sync", seed=2)
    assert batched.metadata["autoreset_mode"] == synced.metadata["autoreset_mode"]
    assert batched.observation_space == synced.observation_space
    assert batched.action_space == synced.action_space
    horizon = _dynamics(batched.unwrapped.model).horizon
    rng = np.random.default_rng(4)
    for seed in (9, 10):
        outputs = [env.reset(seed=seed) for env in (batched, synced)]
        np.testing.assert_array_equal(outputs[0][0], outputs[1][0])
        _assert_same_infos(outputs[0][1], outputs[1][1], f"reset(seed={seed})")
        ended = 0
        for t in range(2 * horizon + 2):
            actions = rng.integers(batched.single_action_space.n, size=n)
            steps = [env.step(actions) for env in (batched, synced)]
            for a, b in zip(steps[0][:4], steps[1][:4], strict=True):
                assert np.asarray(a).dtype.kind == np.asarray(b).dtype.kind
                np.testing.assert_array_equal(a, b, err_msg=f"seed {seed}, step {t}")
            _assert_same_infos(steps[0][4], steps[1][4], f"seed {seed}, step {t}")
            ended += int(steps[0][2].all())
        assert ended == 2, f"expected two episode ends in {2 * horizon + 2} steps, saw {ended}"


def test_vector_env_refuses_bad_sizes_and_actions():
    with pytest.raises(ValueError, match="num_envs must be >= 1"):
        gymnasium.make_vec("rltheory/RiverSwim-v0", 0, vectorization_mode="vector_entry_point")
    env = gymnasium.make_vec("rltheory/RiverSwim-v0", 2, vectorization_mode="vector_entry_point")
    with pytest.raises(RuntimeError, match="call reset"):
        env.step(np.array([0, 0]))
    env.reset(seed=0)
    with pytest.raises(ValueError, match="2 integers"):
        env.step(np.array([0, 0, 1]))
    with pytest.raises(ValueError, match="not in MultiDiscrete"):
        env.step(np.array([0, 2]))


# --- batched rollout path ----------------------------------------------------------------------

KERNEL_MODELS = {
    "dense": ("random-tabular", {"n_states": 5, "n_actions": 3, "horizon": 3}),
    "low-rank": (
        "random-linear",
        {"n_states": 6, "n_actions": 3, "dim": 3, "horizon": 3, "homogeneous": False},
    ),
    "mixture": ("random-mixture", {"n_states": 5, "n_actions": 3, "horizon": 3}),
}
KERNEL_TYPES = {
    "dense": DenseTransitions,
    "low-rank": LowRankTransitions,
    "mixture": LinearMixtureTransitions,
}


def _kernel_model(kind: str) -> FiniteHorizonMDP:
    family, params = KERNEL_MODELS[kind]
    model = envs.make_model(family, np.random.default_rng(31), **params)
    assert type(model.transitions) is KERNEL_TYPES[kind]
    return model


def test_rollout_is_reexported():
    from rltheory.mdp import rollout

    assert envs.rollout is rollout


@pytest.mark.parametrize("kind", list(KERNEL_MODELS))
@pytest.mark.parametrize("stochastic", [False, True])
def test_batched_rollout_equals_single_seed_rollouts_bit_for_bit(kind, stochastic):
    model = _kernel_model(kind)
    S, A, H = model.n_states, model.n_actions, model.horizon
    rng = np.random.default_rng(3)
    n_seeds = 4
    if stochastic:
        policies = rng.dirichlet(np.ones(A), size=(n_seeds, H, S))
    else:
        policies = rng.integers(A, size=(n_seeds, H, S))

    def generators():
        return [np.random.default_rng(np.random.SeedSequence(100 + b)) for b in range(n_seeds)]

    batch = envs.rollout(model, policies, generators(), n_episodes=7)
    assert batch.states.shape == (n_seeds, 7, H + 1)
    for b, rng_b in enumerate(generators()):
        alone = envs.rollout(model, policies[b : b + 1], [rng_b], n_episodes=7)
        np.testing.assert_array_equal(batch.states[b], alone.states[0])
        np.testing.assert_array_equal(batch.actions[b], alone.actions[0])
        np.testing.assert_array_equal(batch.rewards[b], alone.rewards[0])


def _binned_chi_square(counts: np.ndarray, probabilities: np.ndarray) -> tuple[float, int]:
    """Pearson statistic and degrees of freedom of one multinomial row.

    Cells with expected count < 5 are pooled into one bin (merged into the largest bin if the pool
    is itself < 5), so the chi-square approximation applies; merging cells keeps the counts
    multinomial under the null.
    """
    n = counts.sum()
    expected = n * probabilities
    keep = expected >= 5
    obs_bins, exp_bins = list(counts[keep]), list(expected[keep])
    if not keep.all():
        rest_obs, rest_exp = counts[~keep].sum(), expected[~keep].sum()
        if rest_exp >= 5 or not exp_bins:
            obs_bins.append(rest_obs)
            exp_bins.append(rest_exp)
        else:
            largest = int(np.argmax(exp_bins))
            obs_bins[largest] += rest_obs
            exp_bins[largest] += rest_exp
    obs_bins, exp_bins = np.array(obs_bins, float), np.array(exp_bins)
    return float(((obs_bins - exp_bins) ** 2 / exp_bins).sum()), len(exp_bins) - 1


@pytest.mark.parametrize("kind", list(KERNEL_MODELS))
def test_rollout_next_state_frequencies_match_kernel(kind):
    """Transitions (h, s, a, s') sampled by the batched rollout vs ``P_h(.|s,a)``.

    Conditionally on the visit counts of each (h, s, a), the next states are i.i.d. draws from
    ``P_h(.|s,a)``; the pooled Pearson statistic over all rows with >= 30 visits is chi-square
    with the summed degrees of freedom. False-failure probability alpha = 1e-3 (asymptotic).
    States with probability 0 must never be drawn (exact check).
    """
    model = _kernel_model(kind)
    S, A, H = model.n_states, model.n_actions, model.horizon
    n_seeds = 4
    uniform = np.full((n_seeds, H, S, A), 1.0 / A)
    rngs = [np.random.default_rng(np.random.SeedSequence(7, spawn_key=(b,))) for b in range(4)]
    batch = envs.rollout(model, uniform, rngs, n_episodes=5000)
    counts = np.zeros((H, S, A, S), dtype=np.int64)
    steps = np.broadcast_to(np.arange(H), batch.actions.shape)
    np.add.at(counts, (steps, batch.states[..., :-1], batch.actions, batch.states[..., 1:]), 1)
    dense = model.transitions.dense()
    statistic, dof = 0.0, 0
    for h in range(H):
        kernel = dense[model.transitions.layer(h)]
        assert not np.any(counts[h][kernel == 0]), "drew a next state of probability 0"
        for s in range(S):
            for a in range(A):
                if counts[h, s, a].sum() >= 30:
                    stat, df = _binned_chi_square(counts[h, s, a], kernel[s, a])
                    statistic, dof = statistic + stat, dof + df
    assert dof > 20
    assert stats.chi2.sf(statistic, dof) > 1e-3, (statistic, dof)
