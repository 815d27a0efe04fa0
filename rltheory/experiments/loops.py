"""Interaction loops of the protocols, with exact metrics computed on the known model.

Seeding: each seed is a ``numpy.random.SeedSequence``; it spawns two children, one for the
environment and one for the algorithm, so every algorithm run under one seed faces the same
environment randomness (common random numbers) and a seed's numbers do not depend on which
other seeds share its batch.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rltheory.algos.protocols import OnlineAlgorithm, Problem
from rltheory.algos.registry import AlgorithmEntry
from rltheory.envs.noise import reward_noise
from rltheory.mdp import FiniteHorizonMDP, draw_uniforms, evaluate, optimal, rollout_from_uniforms


def seed_generators(
    seeds: Sequence[np.random.SeedSequence],
) -> tuple[list[np.random.Generator], list[np.random.Generator]]:
    """``(env_rngs, algo_rngs)``: one environment and one algorithm generator per seed."""
    env_rngs, algo_rngs = [], []
    for seed in seeds:
        # Children are derived from (entropy, spawn_key) rather than with seed.spawn(), which
        # advances a counter on the caller's object: calling this twice gives the same streams.
        env_seed, algo_seed = (
            np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, child))
            for child in (0, 1)
        )
        env_rngs.append(np.random.default_rng(env_seed))
        algo_rngs.append(np.random.default_rng(algo_seed))
    return env_rngs, algo_rngs


@dataclass(frozen=True)
class OnlineRun:
    """Result of an online episodic run over B seeds and K episodes.

    ``regret [B, K]``: exact per-episode pseudo-regret ``V*_1(s_1^k) - V^{pi_k}_1(s_1^k)``;
    ``initial_states [B, K]``; ``returns [B, K]``: realized sums of rewards (diagnostic only);
    ``seconds``: wall time of the loop.
    """

    regret: np.ndarray
    initial_states: np.ndarray
    returns: np.ndarray
    seconds: float

    @property
    def cumulative_regret(self) -> np.ndarray:
        return np.cumsum(self.regret, axis=1)


def make_online(
    entry: AlgorithmEntry,
    model: FiniteHorizonMDP,
    n_episodes: int,
    config: Any,
    algo_rngs: Sequence[np.random.Generator],
) -> OnlineAlgorithm:
    """Instantiate a registered online learner on ``model`` after checking its requirements."""
    entry.check_compatible(model)
    problem = Problem.from_model(model, n_episodes, reveal_model="model" in entry.requires)
    return entry.cls(problem, config, algo_rngs)


def run_online(
    model: FiniteHorizonMDP,
    algorithm: OnlineAlgorithm,
    n_episodes: int,
    env_rngs: Sequence[np.random.Generator],
    *,
    callback: Callable[[int, OnlineAlgorithm], None] | None = None,
    exact_regret: bool = True,
) -> OnlineRun:
    """Play K episodes: each episode take ``pi_k = algorithm.policy()``, evaluate it exactly,
    roll it out once per seed, and hand the trajectories to ``algorithm.update``.

    ``callback(k, algorithm)``, if given, runs after each update (progress, checks in tests).
    A model with reward noise (:mod:`rltheory.envs.noise`) hands the learner noisy observed
    rewards, drawn from each seed's environment generator after its transitions; the regret is
    still computed on the mean rewards.
    ``exact_regret=False`` skips the evaluation (regret is NaN): the learner's own loop, for
    timing it apart from the accounting.
    """
    n_seeds = len(env_rngs)
    if algorithm.n_seeds != n_seeds:
        raise ValueError(
            f"algorithm runs {algorithm.n_seeds} seeds but {n_seeds} environment generators given"
        )
    v_star = optimal(model).v[0] if exact_regret else None
    noise = reward_noise(model)
    seeds = np.arange(n_seeds)
    regret = np.full((n_seeds, n_episodes), np.nan)
    initial = np.empty((n_seeds, n_episodes), dtype=np.int64)
    returns = np.empty((n_seeds, n_episodes))
    start = time.perf_counter()
    for k in range(n_episodes):
        policy = algorithm.policy()
        batch = rollout_from_uniforms(model, policy, draw_uniforms(env_rngs, 1, model.horizon))
        s1 = batch.states[:, 0, 0]
        if exact_regret:
            v_pi = evaluate(model, policy)[:, 0, :]  # [B, S]
            regret[:, k] = v_star[s1] - v_pi[seeds, s1]
        initial[:, k] = s1
        observed = (
            batch.rewards[:, 0] if noise is None else noise.sample(batch.rewards[:, 0], env_rngs)
        )
        returns[:, k] = observed.sum(-1)
        algorithm.update(type(batch)(batch.states[:, 0], batch.actions[:, 0], observed, episode=k))
        algorithm.episode = k + 1  # the loop, not each learner, counts the episodes fed in
        if callback is not None:
            callback(k, algorithm)
    return OnlineRun(regret, initial, returns, time.perf_counter() - start)
