"""The adversarial (and delayed-feedback) interaction loop with exact regret, as pure functions.

Protocol (oblivious adversary; Cassel & Rosenberg 2024 §2, Jin et al. 2022, Lancewicki et al.
2023): the loss sequence ``l^0..l^{K-1}`` and the delays ``d_k`` are fixed before the run (both
from the environment seed, shared by every seed of a batch) and never shown to the learner.
Episode k: the learner gives ``pi_k``; each seed plays one episode under ``l^k``; the feedback of
episode k (trajectory and the losses along it, plus the loss table ``l^k`` under full
information) is put aside and handed to ``learner.update`` at the end of episode ``k + d_k``
together with every other item due then; feedback due after episode K-1 never arrives. Without
delays (``d = 0``) this is the plain adversarial protocol.

Metrics at checkpoints ``e`` (0-based last episode of a prefix), exact on the model:
``regret = sum_{j<=e} V^{j,pi_j}_1 - min_pi sum_{j<=e} V^{j,pi}_1`` (the comparator re-optimized
on each prefix by one backward induction on the prefix-summed losses), and the realized-loss
regret ``sum_{j<=e} (sampled loss of episode j) - min_pi sum_{j<=e} V^{j,pi}_1``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rltheory.algos.protocols import AdversarialAlgorithm, Feedback, Problem
from rltheory.envs.adversarial import AdversarialMDP, prefix_hindsight_values
from rltheory.envs.delays import arrivals, total_delay
from rltheory.mdp import draw_uniforms, evaluate, initial_value, rollout_from_uniforms

FEEDBACKS = ("bandit", "full")
"""Feedback kinds: losses along the trajectory, or the whole loss table of the episode."""


def incurred_delay(delays: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """``D_e = sum_{k <= e} min(d_k, e - k)`` for each 0-based episode ``e`` in ``ends`` (the
    truncated total delay of :func:`rltheory.envs.delays.total_delay` for the prefix ``0..e``)."""
    ends = np.asarray(ends, dtype=np.int64)
    episodes = np.arange(np.asarray(delays).size)
    slack = ends[:, None] - episodes[None, :]  # e - k, [C, K]
    capped = np.minimum(np.asarray(delays, dtype=np.int64)[None, :], slack)
    return np.where(slack >= 0, capped, 0).sum(axis=1)


def adversarial_problem(adv: AdversarialMDP) -> Problem:
    """The learner's view: sizes, K, H, the known initial distribution, the loss features and
    the mixture basis when the kernel has one; never the losses or the transitions."""
    dynamics = adv.dynamics
    return Problem(
        n_states=adv.n_states,
        n_actions=adv.n_actions,
        n_episodes=adv.n_episodes,
        horizon=adv.horizon,
        features=adv.features,
        mixture_basis=dynamics.mixture_basis,
        time_homogeneous=dynamics.transitions.n_layers == 1,
        initial_distribution=dynamics.initial_distribution,
    )


@dataclass(frozen=True)
class AdversarialRun:
    """Result of an adversarial run over B seeds.

    ``checkpoints [C]``: 0-based last episodes of the prefixes; ``regret [B, C]`` and
    ``realized_regret [B, C]`` (module docstring); ``values [B, K]``: ``V^{k,pi_k}_1`` (NaN
    without the exact accounting); ``arrivals_per_episode [K]``; ``total_delay`` D and
    ``incurred_delay`` D_K of the whole run and ``incurred_at [C]``, the delay incurred by each
    checkpoint ``e``, ``sum_{k<=e} min(d_k, e - k)``; ``seconds`` of the whole loop and
    ``accounting_seconds`` spent on the exact metrics.
    """

    checkpoints: np.ndarray
    regret: np.ndarray
    realized_regret: np.ndarray
    values: np.ndarray
    arrivals_per_episode: np.ndarray
    total_delay: int
    incurred_delay: int
    incurred_at: np.ndarray
    seconds: float
    accounting_seconds: float


def run_adversarial(
    adv: AdversarialMDP,
    learner: AdversarialAlgorithm,
    env_rngs: Sequence[np.random.Generator],
    *,
    feedback: str = "bandit",
    delays: np.ndarray | None = None,
    checkpoints: np.ndarray | None = None,
    exact_regret: bool = True,
    callback: Callable[[int], None] | None = None,
) -> AdversarialRun:
    """Play the K episodes of ``adv`` (see the module docstring); ``delays [K]`` (default 0).

    ``checkpoints`` (0-based episodes, default all). ``exact_regret=False`` skips the exact
    accounting (regret NaN): the learner's own loop, for timing it apart from the metrics.
    ``callback(k)``, if given, runs after the update of episode k (progress, clocks).
    """
    if feedback not in FEEDBACKS:
        raise ValueError(f"feedback must be one of {', '.join(FEEDBACKS)}, got {feedback!r}")
    if learner.full_information and feedback != "full":
        raise ValueError(f"{type(learner).__name__} needs full-information feedback")
    n_seeds, n_episodes, horizon = len(env_rngs), adv.n_episodes, adv.horizon
    if learner.n_seeds != n_seeds:
        raise ValueError(
            f"learner runs {learner.n_seeds} seeds but {n_seeds} environment generators given"
        )
    delays = np.zeros(n_episodes, dtype=np.int64) if delays is None else np.asarray(delays)
    if delays.shape != (n_episodes,):
        raise ValueError(f"delays must have shape [K] = [{n_episodes}], got {delays.shape}")
    due = arrivals(delays)
    ends = np.arange(n_episodes) if checkpoints is None else np.asarray(checkpoints)
    dynamics = adv.dynamics
    values = np.full((n_seeds, n_episodes), np.nan)
    realized = np.empty((n_seeds, n_episodes))
    pending: dict[int, Feedback] = {}
    accounting = 0.0
    start = time.perf_counter()
    for k in range(n_episodes):
        policy = learner.policy()
        batch = rollout_from_uniforms(
            dynamics, policy, draw_uniforms(env_rngs, 1, horizon), rewards=adv.losses[k]
        )
        if exact_regret:
            tick = time.perf_counter()
            values[:, k] = initial_value(dynamics, evaluate(dynamics, policy, adv.losses[k]))
            accounting += time.perf_counter() - tick
        realized[:, k] = batch.rewards[:, 0].sum(-1)
        pending[k] = Feedback(
            k,
            batch.states[:, 0],
            batch.actions[:, 0],
            batch.rewards[:, 0],
            adv.losses[k] if feedback == "full" else None,
        )
        learner.update([pending.pop(int(j)) for j in due[k]])
        if callback is not None:
            callback(k)
    tick = time.perf_counter()
    if exact_regret:
        comparator = prefix_hindsight_values(adv, ends)
        regret = np.cumsum(values, axis=1)[:, ends] - comparator
        realized_regret = np.cumsum(realized, axis=1)[:, ends] - comparator
    else:
        regret = realized_regret = np.full((n_seeds, ends.size), np.nan)
    accounting += time.perf_counter() - tick
    return AdversarialRun(
        checkpoints=ends,
        regret=regret,
        realized_regret=realized_regret,
        values=values,
        arrivals_per_episode=np.array([len(j) for j in due], dtype=np.int64),
        total_delay=total_delay(delays),
        incurred_delay=total_delay(delays, truncated=True),
        incurred_at=incurred_delay(delays, ends),
        seconds=time.perf_counter() - start,
        accounting_seconds=accounting,
    )
