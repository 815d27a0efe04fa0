"""UCRL-VTR and HF-UCRL-VTR+: exact identities, ridge oracles, batching, and the learner's view."""

from __future__ import annotations

import numpy as np
import pytest

from rltheory.algos import Problem, get, structures_of
from rltheory.algos.registry import StructureMismatchError
from rltheory.envs import make_model
from rltheory.envs.transforms import unit_total_reward
from rltheory.experiments.loops import make_online, run_online, seed_generators
from rltheory.mdp import Trajectories

HF = get("hf-ucrl-vtr-plus")
VTR = get("ucrl-vtr")


def mixture(horizon=4, seed=0, **params):
    """A random time-homogeneous linear mixture MDP (S=5, A=3, d=4) with total reward <= 1."""
    sizes = {"n_states": 5, "n_actions": 3, "dim": 4, **params}
    rng = np.random.default_rng(seed)
    return unit_total_reward(make_model("random-mixture", rng, horizon=horizon, **sizes))


def run(entry, model, n_episodes, seeds, callback=None, **params):
    env_rngs, algo_rngs = seed_generators([np.random.SeedSequence(s) for s in seeds])
    learner = make_online(entry, model, n_episodes, entry.make_config(**params), algo_rngs)
    played = []

    def record(k, algorithm):
        played.append(algorithm.estimates)
        if callback is not None:
            callback(k, algorithm)

    result = run_online(model, learner, n_episodes, env_rngs, callback=record)
    return result, learner, played


def test_problem_carries_mixture_dim_and_the_stated_bounds():
    """The learner's view carries d of the basis and the model's stated B and total-reward bound;
    the mixture families state B = max_h ||theta_h||_2, and hf-hard (r = 1/H in one absorbing
    state) offers the unit-total-reward tag without a transform."""
    model = mixture(horizon=6)
    problem = Problem.from_model(model, 10)
    assert problem.mixture_dim == 4
    theta = model.transitions.theta
    assert problem.norm_bound == pytest.approx(np.linalg.norm(theta, axis=1).max(), rel=1e-14)
    assert problem.total_reward_bound == 1.0  # declared by unit-total-reward
    hard = make_model("hf-hard", np.random.default_rng(0), dim=3, horizon=7)
    assert Problem.from_model(hard, 10).norm_bound == pytest.approx(
        np.linalg.norm(hard.transitions.theta[0])
    )
    assert {"unit-total-reward", "time-homogeneous", "mixture"} <= structures_of(hard)
    linear = make_model("random-linear", np.random.default_rng(0), horizon=3)
    assert Problem.from_model(linear, 10).mixture_dim is None


def test_m1_gamma0_reduction_equals_ucrl_vtr_bit_for_bit():
    """HF-UCRL-VTR+ with one level and gamma = 0 weighs every step by max(1, xi^2) = 1: with the
    same radius and ridge it must be UCRL-VTR exactly (same policies, estimates and Gram)."""
    model = mixture(horizon=5)
    common = {"beta": 0.4}
    vtr, vtr_learner, vtr_played = run(VTR, model, 25, [3, 4], lam=1.0, **common)
    hf, hf_learner, hf_played = run(HF, model, 25, [3, 4], n_levels=1, gamma=0.0, lam=1.0, **common)
    np.testing.assert_array_equal(vtr.regret, hf.regret)
    for a, b in zip(vtr_played, hf_played, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(vtr_learner.frozen_gram, hf_learner.frozen_gram)
    # ... and it is not vacuous: weights gamma^2 ||phi|| > 1 (gamma = 3) change the estimates
    _, weighted, _ = run(HF, model, 25, [3, 4], n_levels=1, gamma=3.0, lam=1.0, **common)
    assert np.abs(weighted.estimates - vtr_learner.estimates).max() > 1e-6


def test_ucrl_vtr_estimate_equals_direct_ridge_on_all_pooled_steps():
    """theta_hat = (lam I + sum phi_V phi_V^T)^{-1} sum phi_V V(s') over every step of every
    episode, with phi_V recomputed here by einsum from the basis and the V the learner planned;
    the radius is 1/2 sqrt(2 log(1/delta) + log det - d log lam) + sqrt(lam) B."""
    model = mixture(horizon=4)
    basis = model.mixture_basis
    env_rngs, algo_rngs = seed_generators([np.random.SeedSequence(7)])
    learner = make_online(VTR, model, 15, VTR.make_config(refresh_every=7), algo_rngs)
    rows, targets = [], []
    from rltheory.mdp import draw_uniforms, rollout_from_uniforms

    for _ in range(15):
        values = learner.values()[0]
        batch = rollout_from_uniforms(
            model, learner.policy(), draw_uniforms(env_rngs, 1, model.horizon)
        )
        s, a = batch.states[0, 0], batch.actions[0, 0]
        for h in range(model.horizon):
            rows.append(np.einsum("td,t->d", basis[s[h], a[h]], values[h + 1]))
            targets.append(values[h + 1][s[h + 1]])
        learner.update(type(batch)(batch.states[:, 0], batch.actions[:, 0], batch.rewards[:, 0]))
        x, y = np.array(rows), np.array(targets)
        gram = np.eye(4) + x.T @ x
        np.testing.assert_allclose(
            learner.estimates[0, 0], np.linalg.solve(gram, x.T @ y), rtol=0, atol=1e-10
        )
        np.testing.assert_allclose(learner.frozen_inverse[0, 0], np.linalg.inv(gram), atol=1e-10)
        radius = 0.5 * np.sqrt(2 * np.log(1 / 0.05) + np.linalg.slogdet(gram)[1])
        radius += model.metadata["norm_bound"]
        np.testing.assert_allclose(learner.beta[0], radius, rtol=1e-10)


@pytest.mark.parametrize("entry", [HF, VTR], ids=lambda e: e.id)
def test_batched_seeds_equal_each_seed_alone_bit_for_bit(entry):
    """Three seeds in one batch give each seed's run alone exactly (regret, estimates), with M
    levels and Cholesky refreshes inside episodes."""
    model = mixture(horizon=4)
    params = {"beta_scale": 0.01, "refresh_every": 9}
    if entry is HF:
        params["n_levels"] = 5
    together, learner, played = run(entry, model, 12, [0, 1, 2], **params)
    for b in range(3):
        alone, single, alone_played = run(entry, model, 12, [b], **params)
        for mine, solo in zip(played, alone_played, strict=True):
            np.testing.assert_array_equal(mine[b], solo[0])  # estimates after every episode
        np.testing.assert_array_equal(learner.q_values()[b], single.q_values()[0])
        np.testing.assert_allclose(together.regret[b], alone.regret[0], rtol=0, atol=1e-12)


def test_per_episode_work_does_not_grow_with_k():
    """No trajectory history: the learner's arrays have the same shapes after 1 and 30 episodes."""
    model = mixture(horizon=3)
    _, early, _ = run(HF, model, 1, [0], n_levels=3)
    _, late, _ = run(HF, model, 30, [0], n_levels=3)
    sizes = {name: np.shape(value) for name, value in vars(early).items()}
    assert sizes == {name: np.shape(value) for name, value in vars(late).items()}


def test_default_hyperparameters_are_the_thesis_values():
    """xi = H^-1/2, gamma = d^-1/4, lam = d/B^2, M = ceil(log2(7KH)); beta_k at k = 1."""
    model = mixture(horizon=9)
    _, learner, _ = run(HF, model, 1, [0])
    bound = model.metadata["norm_bound"]
    assert learner.xi == pytest.approx(9**-0.5)
    assert learner.gamma == pytest.approx(4**-0.25)
    assert learner.lam == pytest.approx(4 / bound**2)
    assert learner.n_levels == int(np.ceil(np.log2(7 * 1 * 9)))


def test_structure_and_input_errors():
    inhomogeneous = make_model("zgs-hard", np.random.default_rng(0), dim=3, horizon=3)
    with pytest.raises(StructureMismatchError, match="time-homogeneous"):
        HF.check_compatible(inhomogeneous)
    with pytest.raises(StructureMismatchError, match="mixture"):
        VTR.check_compatible(make_model("random-linear", np.random.default_rng(0)))
    per_step = make_model("random-mixture", np.random.default_rng(0), horizon=3)
    with pytest.raises(StructureMismatchError, match="unit-total-reward"):
        VTR.check_compatible(per_step)
    with pytest.raises(ValueError, match="explicit beta"):
        HF.make_config(gamma=0.0)
    with pytest.raises(ValueError, match="n_levels"):
        HF.make_config(n_levels=0)
    with pytest.raises(TypeError, match="unknown"):
        HF.make_config(levels=3)


def test_greedy_tie_break():
    """Lowest index on ties by default; with keys, a uniform choice among exact maximizers only
    (never a non-maximizer), each tied action chosen about equally often (2000 draws, 4 sigma)."""
    from rltheory.algos._vtr import greedy

    q = np.array([[1.0, 0.3, 1.0, 1.0]])
    assert greedy(q)[0] == 0
    keys = np.random.default_rng(0).random((2000, 4))
    chosen = greedy(np.broadcast_to(q, (2000, 4)), keys)
    assert set(np.unique(chosen)) == {0, 2, 3}
    counts = np.bincount(chosen, minlength=4)[[0, 2, 3]]
    assert np.all(np.abs(counts - 2000 / 3) <= 4 * np.sqrt(2000 * (1 / 3) * (2 / 3)))


def test_unclipped_tie_break_on_riverswim():
    """The plan returns the values before the clip (``q = clip(u)``); ``tie_break="unclipped"``
    plays argmax u, a maximizer of the clipped Q, on every episode. On RiverSwim (H = 40) the clip
    at 1 ties "left" with "right" early on, and there the choice differs from the lowest index."""
    from rltheory.algos._vtr import optimistic_plan

    model = unit_total_reward(make_model("riverswim-mixture", 0, n_states=3, horizon=40))
    differs = []

    def check(k, learner):
        level0 = slice(None, None, learner.n_levels)
        u = np.empty(learner.q_values().shape)
        q, _ = optimistic_plan(learner._psi_t, learner.rewards, learner.estimates[:, level0],
                               learner.frozen_inverse[:, level0], learner.radii, u)  # fmt: skip
        np.testing.assert_array_equal(q, np.clip(u, 0.0, 1.0))
        np.testing.assert_array_equal(q, learner.q_values())
        policy = learner.policy()
        np.testing.assert_array_equal(policy, u.argmax(-1))
        chosen = np.take_along_axis(q, policy[..., None], -1)[..., 0]
        np.testing.assert_array_equal(chosen, q.max(-1))
        differs.append(np.any(policy != q.argmax(-1)))

    for entry, params in ((HF, {"beta_scale": 1e-3}), (VTR, {"beta_scale": 0.3})):
        differs.clear()
        run(entry, model, 12, [0, 1], callback=check, tie_break="unclipped", **params)
        assert any(differs), entry.id


def test_random_tie_break_batched_equals_alone_and_is_seeded():
    model = mixture(horizon=4)
    params = {"tie_break": "random", "n_levels": 3}
    together, _, played = run(HF, model, 8, [0, 1], **params)
    again, _, _ = run(HF, model, 8, [0, 1], **params)
    np.testing.assert_array_equal(together.regret, again.regret)
    for b in range(2):
        alone, _, alone_played = run(HF, model, 8, [b], **params)
        for mine, single in zip(played, alone_played, strict=True):
            np.testing.assert_array_equal(mine[b], single[0])
        # the runner's exact evaluation of a batch of different policies rounds differently
        np.testing.assert_allclose(together.regret[b], alone.regret[0], rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="tie_break"):
        HF.make_config(tie_break="first")


def test_per_step_ucrl_vtr_equals_direct_ridge_per_step_on_an_inhomogeneous_model():
    """pooled = False keeps one estimator per step: theta_hat_h solves the ridge problem on step
    h's samples only (Zhou-Gu-Szepesvári hard instance, per-step theta_h, rewards / H); the
    pooled learner refuses that model."""
    from rltheory.mdp import draw_uniforms, rollout_from_uniforms

    model = unit_total_reward(make_model("zgs-hard", np.random.default_rng(1), dim=3, horizon=4))
    basis, horizon = model.mixture_basis, model.horizon
    env_rngs, algo_rngs = seed_generators([np.random.SeedSequence(5)])
    config = VTR.make_config(pooled=False, beta_scale=0.05)
    learner = make_online(VTR, model, 10, config, algo_rngs)
    rows = {h: [] for h in range(horizon)}
    targets = {h: [] for h in range(horizon)}
    for _ in range(10):
        values = learner.values()[0]
        batch = rollout_from_uniforms(model, learner.policy(), draw_uniforms(env_rngs, 1, horizon))
        s, a = batch.states[0, 0], batch.actions[0, 0]
        for h in range(horizon):
            rows[h].append(np.einsum("td,t->d", basis[s[h], a[h]], values[h + 1]))
            targets[h].append(values[h + 1][s[h + 1]])
        learner.update(Trajectories(batch.states[:, 0], batch.actions[:, 0], batch.rewards[:, 0]))
        for h in range(horizon):
            x, y = np.array(rows[h]), np.array(targets[h])
            expected = np.linalg.solve(np.eye(3) + x.T @ x, x.T @ y)
            np.testing.assert_allclose(learner.estimates[0, h], expected, rtol=0, atol=1e-10)
    assert learner.beta.shape == (1, horizon)
    with pytest.raises(ValueError, match="time-homogeneous"):
        make_online(VTR, model, 10, VTR.make_config(), algo_rngs)
