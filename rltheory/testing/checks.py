"""Conformance checks every registered environment family and algorithm must pass.

Modelled on scikit-learn's estimator checks: :func:`yield_environment_checks` and
:func:`yield_algorithm_checks` generate small named check functions, each testing one property
of one item and raising ``AssertionError`` (or ``unittest.SkipTest`` when it does not apply);
:func:`check_environment` and :func:`check_algorithm` run them all and raise one
``AssertionError`` naming every failed check and the item. ``tests/test_conformance.py``
parametrizes (registered item x check), so a new family or algorithm is checked automatically.

Environment checks take a :class:`~rltheory.envs.FamilyEntry` (all checks) or a bare model (the
checks of the model itself). A model is a ``FiniteHorizonMDP``, a ``DiscountedMDP``, or a model
wrapping one as ``model.dynamics`` (e.g. an adversarial loss sequence over fixed dynamics).
Algorithm checks run an online learner for a few episodes on a tiny model built here
(:func:`tiny_model`) that offers every structure the learner may require, at the entry's
``smoke`` hyperparameters (chosen so that it learns within those episodes). Unless the entry
declares ``learns=False``, the run must change the policy of every seed, and the batch and
additivity checks compare the policies of every episode bit for bit, so they test the learning
state, not one fixed policy.
"""

from __future__ import annotations

import dataclasses
import unittest
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from rltheory.algos.registry import AlgorithmEntry
from rltheory.envs.registry import FamilyEntry
from rltheory.mdp import (
    DiscountedMDP,
    FiniteHorizonMDP,
    LinearMixtureTransitions,
    LowRankTransitions,
)

Check = Callable[[Any], None]

TOL = 1e-9
"""Tolerance of the exact checks (rows sum to one, rewards in [0, 1], realizability)."""

_DENSE_LIMIT = 2 * 10**7
"""Largest ``L·S·A·S`` for which checks materialise the dense kernel."""

SAMPLING_DRAWS = 20_000
SAMPLING_ROWS = 12
SAMPLING_DELTA = 1e-6
"""Sampling check: ``SAMPLING_DRAWS`` next states from each of ``SAMPLING_ROWS`` (h, s, a) rows; a
correct sampler fails with probability at most ``SAMPLING_DELTA`` (union bound over the rows)."""


# --- helpers ------------------------------------------------------------------------------------


def _dynamics(model: Any) -> FiniteHorizonMDP | DiscountedMDP:
    """The MDP a model is built on (``model.dynamics`` for wrapped models, else the model)."""
    return getattr(model, "dynamics", model)


def _build(entry: FamilyEntry, seed: int = 0) -> Any:
    return entry.build(np.random.default_rng(seed))


def _model_of(subject: Any) -> Any:
    return _build(subject) if isinstance(subject, FamilyEntry) else subject


def _small_dense(transitions: Any) -> np.ndarray | None:
    """The dense kernel ``[L, S, A, S]`` when it fits the check budget, else None."""
    t = transitions
    if t.n_layers * t.n_states**2 * t.n_actions > _DENSE_LIMIT:
        return None
    return t.dense()


def _arrays(model: Any) -> dict[str, np.ndarray]:
    """Every array that defines a model (for determinism and immutability comparisons)."""
    found: dict[str, np.ndarray] = {}

    def visit(prefix: str, obj: Any, depth: int) -> None:
        if isinstance(obj, np.ndarray):
            found[prefix] = obj
        elif depth < 3 and (dataclasses.is_dataclass(obj) or hasattr(obj, "__dict__")):
            fields = (
                vars(obj)
                if not dataclasses.is_dataclass(obj)
                else {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
            )
            for name, value in fields.items():
                if not name.startswith("_") and name != "metadata":
                    visit(f"{prefix}.{name}" if prefix else name, value, depth + 1)

    visit("", model, 0)
    return found


def _assert_same_arrays(first: dict[str, np.ndarray], second: dict[str, np.ndarray], what: str):
    assert first.keys() == second.keys(), f"{what}: arrays {sorted(first)} vs {sorted(second)}"
    for name in first:
        if not np.array_equal(first[name], second[name]):
            raise AssertionError(f"{what}: array '{name}' differs")


# --- environment checks -------------------------------------------------------------------------


def check_builds_with_defaults(entry: FamilyEntry) -> None:
    """The family builds with its default parameters into a model with the public attributes."""
    model = _build(entry)
    mdp = _dynamics(model)
    assert isinstance(mdp, FiniteHorizonMDP | DiscountedMDP), (
        f"the family built a {type(mdp).__name__}, not a FiniteHorizonMDP or DiscountedMDP"
    )
    for name in ("n_states", "n_actions", "initial_distribution", "features"):
        assert hasattr(model, name), f"the model has no attribute '{name}'"
    n_states, n_actions = mdp.n_states, mdp.n_actions
    if isinstance(mdp, FiniteHorizonMDP):
        assert mdp.rewards.shape == (mdp.horizon, n_states, n_actions), mdp.rewards.shape
    else:
        assert mdp.rewards.shape == (n_states, n_actions), mdp.rewards.shape
    assert mdp.initial_distribution.shape == (n_states,)
    if mdp.features is not None:
        assert mdp.features.ndim == 3 and mdp.features.shape[:2] == (n_states, n_actions), (
            f"features must have shape [S, A, d], got {mdp.features.shape}"
        )


def check_model_is_valid(subject: Any) -> None:
    """Rows are distributions, rewards lie in [0, R] (R = ``reward_bound``, 1 unless the model
    declares one), losses in [0, 1], arrays are read-only."""
    model = _model_of(subject)
    mdp = _dynamics(model)
    transitions = mdp.transitions
    dense = _small_dense(transitions)
    if dense is not None:
        assert dense.min() >= -TOL, f"negative transition probability {dense.min():.3g}"
        worst = np.abs(dense.sum(-1) - 1).max()
        assert worst <= TOL, f"transition rows sum to 1 only within {worst:.3g}"
    else:  # too large to materialise: the rows' mass through the operator
        mass = np.stack(
            [transitions.expect(np.ones(mdp.n_states), h) for h in range(transitions.n_layers)]
        )
        assert np.abs(mass - 1).max() <= TOL, "transition rows do not sum to 1"
    bound = getattr(mdp, "reward_bound", 1.0)  # R of a discounted model with rewards in [0, R]
    tables = (("rewards", mdp.rewards, bound), ("losses", getattr(model, "losses", None), 1.0))
    for name, table, high in tables:
        if table is not None:
            assert table.min() >= -TOL * high and table.max() <= high * (1 + TOL), (
                f"{name} must lie in [0, {high:g}]; range [{table.min():.6g}, {table.max():.6g}]"
            )
    mu0 = mdp.initial_distribution
    assert mu0.min() >= -TOL and abs(mu0.sum() - 1) <= TOL, "initial_distribution is not a law"
    for name, array in _arrays(model).items():
        assert not array.flags.writeable, f"model array '{name}' is writeable (must be read-only)"


def check_features_realize_model(subject: Any) -> None:
    """Linear-MDP features reproduce every ``P_h(.|s,a)`` and ``r_h`` (least squares, exact).

    Also the normalisation of Jin et al. (2020), Assumption A: ``||phi(s,a)||_2 <= 1``.
    """
    mdp = _dynamics(_model_of(subject))
    if mdp.features is None or not mdp.realizable:
        raise unittest.SkipTest("the model declares no realizable linear-MDP features")
    n_states, n_actions = mdp.n_states, mdp.n_actions
    phi = mdp.features.reshape(n_states * n_actions, -1)
    rewards = mdp.rewards if isinstance(mdp, FiniteHorizonMDP) else mdp.rewards[None]
    targets = {"rewards": rewards.reshape(len(rewards), -1).T}
    transitions = mdp.transitions
    if isinstance(transitions, LowRankTransitions):
        targets["transitions (factor phi)"] = transitions.phi.reshape(n_states * n_actions, -1)
    else:
        dense = _small_dense(transitions)
        if dense is not None:
            targets["transitions"] = np.moveaxis(dense, 0, 2).reshape(n_states * n_actions, -1)
    for name, target in targets.items():
        coefficients = np.linalg.lstsq(phi, target, rcond=None)[0]
        residual = np.abs(phi @ coefficients - target)
        if residual.max() > 1e-7:
            row = int(residual.max(axis=1).argmax())
            raise AssertionError(
                f"features do not reproduce the {name}: residual {residual.max():.3g} at "
                f"(s={row // n_actions}, a={row % n_actions})"
            )
    norm = np.linalg.norm(phi, axis=1).max()
    assert norm <= 1 + TOL, f"max ||phi(s,a)||_2 = {norm:.6g} > 1 (Jin et al. 2020, Assumption A)"


def check_seed_determinism(entry: FamilyEntry) -> None:
    """The same construction seed gives identical models; sampling under one seed is repeatable."""
    first, second = _build(entry, 1234), _build(entry, 1234)
    _assert_same_arrays(_arrays(first), _arrays(second), "two builds under seed 1234")
    mdp = _dynamics(first)
    states = np.arange(mdp.n_states).repeat(mdp.n_actions)
    actions = np.tile(np.arange(mdp.n_actions), mdp.n_states)
    draws = [mdp.transitions.sample(0, states, actions, np.random.default_rng(7)) for _ in "ab"]
    assert np.array_equal(*draws), "transitions.sample differs under the same Generator seed"


def check_sampling_matches_kernel(subject: Any) -> None:
    """Empirical next-state laws are close in total variation to ``P_h(.|s,a)``.

    For ``n`` draws from a law on ``S`` points, ``E TV <= sqrt((S-1)/n) / 2`` and TV has bounded
    differences ``1/n`` (McDiarmid), so ``TV <= sqrt((S-1)/n)/2 + sqrt(log(R/delta)/(2n))`` for
    all ``R`` rows at once with probability ``>= 1 - delta``, whatever the probabilities.
    """
    mdp = _dynamics(_model_of(subject))
    transitions = mdp.transitions
    rng = np.random.default_rng(20240601)
    layers = transitions.n_layers
    n_rows = layers * mdp.n_states * mdp.n_actions
    picked = rng.choice(n_rows, size=min(SAMPLING_ROWS, n_rows), replace=False)
    layer, state, action = np.unravel_index(picked, (layers, mdp.n_states, mdp.n_actions))
    n, size = SAMPLING_DRAWS, mdp.n_states
    bound = 0.5 * np.sqrt((size - 1) / n) + np.sqrt(np.log(len(picked) / SAMPLING_DELTA) / (2 * n))
    for h, s, a in zip(layer, state, action, strict=True):
        drawn = transitions.sample(int(h), np.full(n, s), np.full(n, a), rng)
        empirical = np.bincount(drawn, minlength=size) / n
        indicator = np.zeros((size, mdp.n_actions))
        indicator[s, a] = 1.0
        row = transitions.push(indicator, int(h))  # P_h(.|s,a)
        tv = 0.5 * np.abs(empirical - row).sum()
        assert tv <= bound, (
            f"sampled next states at (h={h}, s={s}, a={a}) are {tv:.4f} from P in total "
            f"variation (bound {bound:.4f} at false-failure probability {SAMPLING_DELTA})"
        )


def _expected_reward(env: Any, convention: str, h: int, s: int, a: int, episode: int) -> float:
    model = env.model
    if convention == "reward":
        table = _dynamics(model).rewards
        return float(table[s, a] if table.ndim == 2 else table[h, s, a])
    if convention == "loss":
        return -float(model.losses[episode, h, s, a])
    if convention == "withheld":
        return 0.0
    raise AssertionError(f"unknown reward convention {convention!r} in env.metadata")


def check_gym_env(entry: FamilyEntry) -> None:
    """``gymnasium.make(entry.gym_id)`` passes ``check_env`` and honours the rltheory contract.

    Contract (see :mod:`rltheory.envs.gym`): ``env.unwrapped.model`` is the exact model built
    with the default seed; observations are state indices (``Discrete(S)``), actions
    ``Discrete(A)``; ``info["h"]`` is the step index (0 after reset); ``info["features"]`` is
    ``phi(s, .)`` when the model has features; the reward follows the env's
    ``metadata["reward_convention"]``; a finite-horizon episode terminates exactly after step H;
    next states have positive probability under the model; the same seed replays the episode.
    """
    import gymnasium
    from gymnasium.utils.env_checker import check_env

    assert entry.gym_id in gymnasium.registry, (
        f"{entry.gym_id} is not registered with gymnasium (register_family registers it)"
    )
    env = gymnasium.make(entry.gym_id)
    try:
        check_env(env.unwrapped, skip_render_check=True)
        raw = env.unwrapped
        model = raw.model
        mdp = _dynamics(model)
        _assert_same_arrays(_arrays(model), _arrays(_build(entry)), "env.unwrapped.model")
        assert env.observation_space == gymnasium.spaces.Discrete(mdp.n_states)
        assert env.action_space == gymnasium.spaces.Discrete(mdp.n_actions)
        convention = raw.metadata.get("reward_convention", "reward")
        horizon = mdp.horizon if isinstance(mdp, FiniteHorizonMDP) else 5
        dense = _small_dense(mdp.transitions)
        episodes = [_gym_episode(env, mdp, convention, horizon, dense, seed) for seed in (3, 3, 4)]
        assert episodes[0] == episodes[1], "the same reset seed and actions gave other episodes"
    finally:
        env.close()


def _gym_episode(env, mdp, convention, horizon, dense, seed) -> list[tuple]:
    """Play one episode with a fixed action sequence, checking every step; return its trace."""
    finite = isinstance(mdp, FiniteHorizonMDP)
    obs, info = env.reset(seed=seed)
    actions = np.random.default_rng(seed).integers(mdp.n_actions, size=horizon)
    trace = []
    for h in range(horizon):
        s = int(obs)
        assert 0 <= s < mdp.n_states, f"observation {obs!r} is not a state index"
        assert info.get("h") == h, f"info['h'] = {info.get('h')!r} at step {h}"
        if mdp.features is not None:
            assert "features" in info, "info lacks 'features' although the model has features"
            np.testing.assert_array_equal(info["features"], mdp.features[s])
        a = int(actions[h])
        obs, reward, terminated, truncated, info = env.step(a)
        expected = _expected_reward(env.unwrapped, convention, h, s, a, info.get("episode", 0))
        assert reward == expected, f"reward {reward} at (h={h}, s={s}, a={a}); expected {expected}"
        if dense is not None:
            p = dense[mdp.transitions.layer(h), s, a, int(obs)]
            assert p > 0, f"transition {s} -a={a}-> {int(obs)} at h={h} has probability 0"
        assert not truncated
        assert terminated == (finite and h == horizon - 1), f"terminated={terminated} at h={h}"
        trace.append((s, a, float(reward)))
    if finite:
        assert info.get("h") == horizon, f"info['h'] = {info.get('h')!r} after the last step"
    return trace


ENVIRONMENT_CHECKS: tuple[Check, ...] = (
    check_builds_with_defaults,
    check_model_is_valid,
    check_features_realize_model,
    check_seed_determinism,
    check_sampling_matches_kernel,
    check_gym_env,
)
_MODEL_CHECKS = (check_model_is_valid, check_features_realize_model, check_sampling_matches_kernel)


def yield_environment_checks(subject: FamilyEntry | Any) -> Iterator[Check]:
    """The checks that apply to a family entry (all) or to a bare model (its own checks)."""
    yield from ENVIRONMENT_CHECKS if isinstance(subject, FamilyEntry) else _MODEL_CHECKS


# --- algorithm checks ---------------------------------------------------------------------------

TINY_EPISODES = 4
TINY_SEEDS = 3


def tiny_model(requires: frozenset[str] | set[str] = frozenset()) -> FiniteHorizonMDP:
    """A 3-state, 2-action, time-homogeneous model offering every finite-horizon structure.

    The kernel is a linear mixture of two fixed bases (``mixture``); the features
    ``phi(s, a) = (e_(s,a) + 1/sqrt(6)) / 2`` (``d = 6``) are an invertible mix of one-hot and a
    shared direction, so they realize any kernel and reward (``features``) while a ridge
    estimate from one pair moves the values of all others (a greedy learner changes its policy);
    ``||phi||_2 <= 1``. ``H = 3``, or ``H = 1`` when ``bandit`` is required; rewards are divided
    by H when ``unit-total-reward`` is required. ``metadata["norm_bound"]`` states
    ``B = ||theta||_2``. Deterministic: it does not depend on any seed.
    """
    if "discounted" in requires:
        raise unittest.SkipTest("the online checks need a finite-horizon model")
    n_states, n_actions = 3, 2
    horizon = 1 if "bandit" in requires else 3
    nxt = (np.arange(n_states)[:, None] + np.arange(n_actions)[None, :]) % n_states
    towards = np.eye(n_states)[nxt]  # psi_1: move to s + a (mod S)
    spread = np.full((n_states, n_actions, n_states), 1.0 / n_states)  # psi_2: uniform
    basis = np.stack([towards, spread], axis=-1)  # [S, A, S', 2]
    theta = np.array([0.7, 0.3])
    transitions = LinearMixtureTransitions(basis, theta)
    rewards = np.array([[0.1, 0.4], [0.0, 0.6], [0.9, 0.2]])
    dim = n_states * n_actions
    phi = 0.5 * (np.eye(dim) + np.full((dim, dim), 1.0 / np.sqrt(dim)))
    if "unit-total-reward" in requires:
        rewards = rewards / horizon
    return FiniteHorizonMDP(
        transitions,
        np.broadcast_to(rewards, (horizon, n_states, n_actions)),
        np.array([1.0, 0.0, 0.0]),
        features=phi.reshape(n_states, n_actions, -1),
        name=f"tiny(S=3, A=2, H={horizon})",
        metadata={"norm_bound": float(np.linalg.norm(theta))},
    )


def _online_only(entry: AlgorithmEntry) -> None:
    if entry.protocol != "online":
        raise unittest.SkipTest(f"no generic run checks for the {entry.protocol} protocol yet")


def _run(
    entry: AlgorithmEntry,
    seeds: list[int],
    n_episodes: int = TINY_EPISODES,
    chunks: tuple[int, ...] | None = None,
):
    """Run ``entry`` at its smoke hyperparameters on the tiny model, in ``chunks`` of episodes
    (consecutive ``run_online`` calls on one learner); return (regret [B, K], policies [K][B, ...],
    learner)."""
    from rltheory.experiments.loops import make_online, run_online, seed_generators

    model = tiny_model(entry.requires)
    env_rngs, algo_rngs = seed_generators([np.random.SeedSequence(s) for s in seeds])
    algorithm = make_online(entry, model, n_episodes, entry.make_config(**entry.smoke), algo_rngs)
    policies: list[np.ndarray] = []
    play = algorithm.policy

    def recorded() -> np.ndarray:
        policies.append(np.array(play(), copy=True))
        _check_policy(policies[-1], model, len(seeds), len(policies) - 1)
        return policies[-1]

    algorithm.policy = recorded
    regrets = [run_online(model, algorithm, k, env_rngs).regret for k in chunks or (n_episodes,)]
    return np.concatenate(regrets, axis=1), policies, algorithm


def _assert_learns(entry: AlgorithmEntry, policies: list[np.ndarray], seeds: list[int]) -> None:
    """Every seed's policy changes at least once during the run (unless ``learns=False``)."""
    if not entry.learns:
        return
    for b, seed in enumerate(seeds):
        if all(np.array_equal(policy[b], policies[0][b]) for policy in policies[1:]):
            raise AssertionError(
                f"seed {seed} played one policy for all {len(policies)} episodes at smoke "
                f"parameters {dict(entry.smoke)}: the run exercises no learning state (declare a "
                "smoke configuration under which the learner learns, or learns=False)"
            )


def _assert_same_policies(first: list[np.ndarray], second: list[np.ndarray], what: str) -> None:
    assert len(first) == len(second), f"{what}: {len(first)} vs {len(second)} episodes"
    for k, (a, b) in enumerate(zip(first, second, strict=True)):
        if a.dtype != b.dtype or not np.array_equal(a, b):
            raise AssertionError(f"{what}: the policies of episode {k} differ")


def check_config_defaults(entry: AlgorithmEntry) -> None:
    """``Config`` is a frozen dataclass constructible from defaults; unknown names are refused."""
    assert dataclasses.is_dataclass(entry.config), f"{entry.config} is not a dataclass"
    assert entry.config.__dataclass_params__.frozen, f"{entry.config.__name__} is not frozen"
    entry.make_config()
    try:
        entry.make_config(not_a_parameter_of_any_algorithm=1)
    except TypeError:
        return
    raise AssertionError("make_config accepted an unknown hyperparameter")


def _check_policy(policy: np.ndarray, model: FiniteHorizonMDP, n_seeds: int, k: int) -> None:
    """``int [B, H, S]`` with actions in range, or ``float [B, H, S, A]`` on the simplex."""
    shape = (n_seeds, model.horizon, model.n_states)
    if np.issubdtype(policy.dtype, np.integer):
        assert policy.shape == shape, f"episode {k}: policy shape {policy.shape} != {shape}"
        assert policy.min() >= 0 and policy.max() < model.n_actions, (
            f"episode {k}: actions outside [0, {model.n_actions})"
        )
        return
    assert np.issubdtype(policy.dtype, np.floating), f"episode {k}: policy dtype {policy.dtype}"
    full = (*shape, model.n_actions)
    assert policy.shape == full, f"episode {k}: policy shape {policy.shape} != {full}"
    assert np.all(np.isfinite(policy)) and policy.min() >= 0, f"episode {k}: not a distribution"
    assert np.abs(policy.sum(-1) - 1).max() <= 1e-8, f"episode {k}: rows do not sum to 1"


def check_policies_are_valid(entry: AlgorithmEntry) -> None:
    """Each episode's policy is ``int [B, H, S]`` in range or ``float [B, H, S, A]`` stochastic,
    and ``policy()`` is called once per episode."""
    _online_only(entry)
    regret, policies, algorithm = _run(entry, [0, 1])
    assert len(policies) == TINY_EPISODES, f"policy() called {len(policies)} times"
    assert regret.shape == (2, TINY_EPISODES)
    assert algorithm.n_seeds == 2


def check_policy_changes(entry: AlgorithmEntry) -> None:
    """At the smoke hyperparameters every seed's policy changes during the run: the learner
    learns, so the determinism, batch and additivity checks see its learning state."""
    _online_only(entry)
    if not entry.learns:
        raise unittest.SkipTest(f"'{entry.id}' is declared a fixed-policy baseline")
    seeds = [0, 1, 2]
    _, policies, _ = _run(entry, seeds)
    _assert_learns(entry, policies, seeds)


def check_same_seed_same_run(entry: AlgorithmEntry) -> None:
    """The same seeds give identical policies (bit for bit) and regret."""
    _online_only(entry)
    first, second = _run(entry, [5, 6]), _run(entry, [5, 6])
    _assert_same_policies(first[1], second[1], "two runs under seeds [5, 6]")
    np.testing.assert_array_equal(first[0], second[0], err_msg="regret differs under one seed")


def check_batch_matches_single_seeds(entry: AlgorithmEntry) -> None:
    """Seeds run together in one batch give each seed's policies (bit for bit) and regret from
    running it alone."""
    _online_only(entry)
    seeds = list(range(10, 10 + TINY_SEEDS))
    regret, policies, _ = _run(entry, seeds)
    _assert_learns(entry, policies, seeds)
    for b, seed in enumerate(seeds):
        alone_regret, alone_policies, _ = _run(entry, [seed])
        _assert_same_policies(
            [p[b : b + 1] for p in policies], alone_policies, f"seed {seed} in a batch vs alone"
        )
        # regret to 1e-12 only: the exact evaluation is batched through BLAS (model layer)
        np.testing.assert_allclose(
            regret[b], alone_regret[0], rtol=0, atol=1e-12, err_msg=f"seed {seed}: regret"
        )


def check_episodes_are_additive(entry: AlgorithmEntry) -> None:
    """Running K episodes then K more on one learner equals running 2K at once (rlberry's
    ``fit`` additivity): the same policy in every episode, bit for bit."""
    _online_only(entry)
    seeds = [21, 22]
    once = _run(entry, seeds, 2 * TINY_EPISODES)
    twice = _run(entry, seeds, 2 * TINY_EPISODES, chunks=(TINY_EPISODES, TINY_EPISODES))
    _assert_learns(entry, once[1], seeds)
    _assert_same_policies(once[1], twice[1], "2K episodes at once vs K + K")
    np.testing.assert_array_equal(once[0], twice[0], err_msg="regret differs")


def check_does_not_mutate_problem(entry: AlgorithmEntry) -> None:
    """The learner leaves the Problem's (read-only) arrays and the model untouched."""
    _online_only(entry)
    model = tiny_model(entry.requires)
    before = {name: array.copy() for name, array in _arrays(model).items()}
    _, _, algorithm = _run(entry, [3])
    problem = algorithm.problem
    for field in dataclasses.fields(problem):
        value = getattr(problem, field.name)
        if isinstance(value, np.ndarray):
            assert not value.flags.writeable, f"Problem.{field.name} is writeable"
    fresh = tiny_model(entry.requires)
    _assert_same_arrays(before, _arrays(fresh), "tiny model rebuilt")
    if problem.model is not None:
        _assert_same_arrays(before, _arrays(problem.model), "the model after the run")
    for name in ("features", "mixture_basis", "rewards"):
        value = getattr(problem, name)
        if value is not None:
            np.testing.assert_array_equal(
                value, getattr(fresh, name), err_msg=f"Problem.{name} changed"
            )


ALGORITHM_CHECKS: tuple[Check, ...] = (
    check_config_defaults,
    check_policies_are_valid,
    check_policy_changes,
    check_same_seed_same_run,
    check_batch_matches_single_seeds,
    check_episodes_are_additive,
    check_does_not_mutate_problem,
)


def yield_algorithm_checks(entry: AlgorithmEntry) -> Iterator[Check]:
    """The checks of a registered algorithm: its protocol's conformance checks (the config
    check alone when the protocol declares none)."""
    from rltheory.experiments.protocols import get_protocol

    yield from get_protocol(entry.protocol).conformance() or (check_config_defaults,)


# --- user-facing runners ------------------------------------------------------------------------


def _run_checks(label: str, subject: Any, checks: Iterator[Check]) -> list[str]:
    failures, skipped = [], []
    for check in checks:
        try:
            check(subject)
        except unittest.SkipTest as reason:
            skipped.append(f"{check.__name__}: {reason}")
        except Exception as err:  # any error is a failed check, reported with its name
            failures.append(f"  {check.__name__}: {type(err).__name__}: {err}")
    if failures:
        raise AssertionError(f"{label} failed {len(failures)} check(s):\n" + "\n".join(failures))
    return skipped


def check_environment(family_or_model: FamilyEntry | str | Any) -> list[str]:
    """Run every environment check; raise ``AssertionError`` naming each failed check.

    Accepts a family entry, a family id (or gymnasium id), or a model. Returns the skipped
    checks with their reasons.
    """
    subject = family_or_model
    if isinstance(subject, str):
        from rltheory.envs import get_family

        subject = get_family(subject)
    if isinstance(subject, FamilyEntry):
        label = f"environment family '{subject.id}'"
    else:
        label = f"model '{getattr(subject, 'name', '') or type(subject).__name__}'"
    return _run_checks(label, subject, yield_environment_checks(subject))


def check_algorithm(entry_or_id: AlgorithmEntry | str | type) -> list[str]:
    """Run every algorithm check; raise ``AssertionError`` naming each failed check.

    Accepts a registry entry, an algorithm id, or a registered class. Returns the skipped checks.
    """
    from rltheory.algos import get

    entry = entry_or_id
    if isinstance(entry, type):
        entry = getattr(entry, "algorithm_id", None)
        if entry is None:
            raise TypeError(f"{entry_or_id.__name__} is not a registered algorithm")
    if isinstance(entry, str):
        entry = get(entry)
    return _run_checks(f"algorithm '{entry.id}'", entry, yield_algorithm_checks(entry))


__all__ = [
    "ALGORITHM_CHECKS",
    "ENVIRONMENT_CHECKS",
    "check_algorithm",
    "check_environment",
    "tiny_model",
    "yield_algorithm_checks",
    "yield_environment_checks",
]
