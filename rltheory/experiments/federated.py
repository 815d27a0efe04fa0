"""The federated interaction loop and its exact metrics (pure functions on the known model).

Metrics per server round t (the x-axis), per seed b and agent i:

- ``err_agent = ||theta_t^i - theta*^(i)||²`` (the paper's metric: each agent's own fixed point);
- ``err_fed = ||theta_t^i - theta*_fed||²`` and ``err_avg = ||theta_t^i - theta*_avg||²``;
- ``value_gap = <mu0, V*_i - V_i^{pi_t^i}>``: the exact suboptimality, in agent i's MDP, of the
  softmax policy ``pi_t^i = Gamma(theta_t^i)``, at checkpoints.

``theta_t^i`` is the learner's :meth:`~rltheory.algos.FederatedAlgorithm.output` after round t.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rltheory.algos.protocols import FederatedAlgorithm, Problem
from rltheory.algos.registry import AlgorithmEntry
from rltheory.mdp.continuing import ContinuingChains
from rltheory.mdp.federated import FederatedMDP
from rltheory.mdp.planning import optimal
from rltheory.mdp.sarsa import (
    agent_fixed_points,
    averaged_fixed_point,
    federated_fixed_point,
    lipschitz_constant,
    softmax_policy,
)


@dataclass(frozen=True)
class FederatedTargets:
    """Exact targets of one model and temperature: ``agent [N, d]`` (theta*^(i)), ``fed [d]``,
    ``avg [d]``, their residuals ``||g||_2``, the optimal values ``optimal [N]`` at mu0, and the
    Lipschitz constant C of the softmax."""

    agent: np.ndarray
    fed: np.ndarray
    avg: np.ndarray
    residuals: dict
    optimal: np.ndarray
    lipschitz: float


def exact_targets(model: FederatedMDP, temperature: float) -> FederatedTargets:
    """theta*^(i), theta*_fed, theta*_avg (residual < 1e-10 each) and every agent's V*(mu0)."""
    per_agent = agent_fixed_points(model, temperature)
    fed = federated_fixed_point(model, temperature)
    avg = averaged_fixed_point(model, temperature)
    values = np.array([optimal(m).v @ m.initial_distribution for m in model.agents])
    return FederatedTargets(
        per_agent.theta,
        fed.theta[0],
        avg.theta[0],
        {
            "agent": float(per_agent.residual.max()),
            "fed": float(fed.residual[0]),
            "avg": float(avg.residual[0]),
        },
        values,
        lipschitz_constant(model.features, temperature),
    )


def squared_errors(theta: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``||theta^i - target^(i)||²`` for ``theta [B, N, d]`` and ``target [N, d]`` or ``[d]``."""
    return ((theta - target) ** 2).sum(-1)


def policy_values(model: FederatedMDP, theta: np.ndarray, temperature: float) -> np.ndarray:
    """``<mu0, V_i^{Gamma(theta^i)}>`` in agent i's MDP for ``theta [B, N, d]``: ``[B, N]``.

    Exact: ``V = (I - gamma P_pi)^{-1} r_pi`` with the agents' state kernels, batched solves.
    """
    policy = softmax_policy(model.features, theta, temperature)  # [B, N, S, A]
    kernel = model.kernels.state_kernel(policy)
    r_pi = (policy * model.rewards).sum(-1)
    system = np.eye(model.n_states) - model.gamma * kernel
    v = np.linalg.solve(system, r_pi[..., None])[..., 0]
    return v @ model.initial_distribution


@dataclass(frozen=True)
class FederatedRun:
    """Logged server rounds: ``rounds [R]`` (1-based t), ``steps [R]`` (local steps so far),
    ``err_agent``, ``err_fed``, ``err_avg``, ``value_gap`` ``[B, R, N]`` (value gap NaN off the
    value rounds), ``projections [R]`` (iterates the projection changed so far, all seeds) and
    ``wall_time [R]`` (seconds since the start)."""

    rounds: np.ndarray
    steps: np.ndarray
    err_agent: np.ndarray
    err_fed: np.ndarray
    err_avg: np.ndarray
    value_gap: np.ndarray
    projections: np.ndarray
    wall_time: np.ndarray


def make_federated(
    entry: AlgorithmEntry, model: FederatedMDP, n_steps: int, config, rngs
) -> FederatedAlgorithm:
    """A registered federated learner on ``model`` (one :class:`Problem` per agent)."""
    entry.check_compatible(model)
    problems = [Problem.from_model(m, n_steps, reveal_rewards=False) for m in model.agents]
    return entry.cls(problems, config, rngs)


def run_federated(
    model: FederatedMDP,
    learner: FederatedAlgorithm,
    env_rngs,
    n_steps: int,
    local_steps: int,
    targets: FederatedTargets,
    *,
    record: Sequence[int] | None = None,
    value_rounds: Sequence[int] = (),
    progress: Callable[[int, int], None] | None = None,
) -> FederatedRun:
    """Run T = ``n_steps`` local steps with a server round every K = ``local_steps`` steps (and
    one after the last step when K does not divide T). Metrics after the rounds in ``record``
    (1-based; default every round), the exact policy value after those in ``value_rounds``."""
    if n_steps < 1 or local_steps < 1:
        raise ValueError(f"n_steps and local_steps must be >= 1, got {n_steps}, {local_steps}")
    chains = ContinuingChains(model, env_rngs)
    ends = list(range(local_steps, n_steps + 1, local_steps))
    if not ends or ends[-1] != n_steps:
        ends.append(n_steps)
    logged = list(range(1, len(ends) + 1)) if record is None else sorted(set(record))
    if logged[0] < 1 or logged[-1] > len(ends):
        raise ValueError(f"record must lie in [1, {len(ends)}] (the rounds), got {logged}")
    slot = {r: i for i, r in enumerate(logged)}
    shape = (learner.n_seeds, len(logged), model.n_agents)
    errors = {key: np.empty(shape) for key in ("agent", "fed", "avg")}
    gap = np.full(shape, np.nan)
    projections, wall = np.zeros(len(logged), dtype=np.int64), np.zeros(len(logged))
    start = time.perf_counter()
    t = 0
    for r, end in enumerate(ends, start=1):
        while t < end:
            states = chains.states
            actions = learner.act(states)
            rewards, next_states = chains.step(actions)
            learner.observe(states, actions, rewards, next_states)
            t += 1
        learner.aggregate()
        if r not in slot:
            continue
        i, out = slot[r], learner.output()
        errors["agent"][:, i] = squared_errors(out, targets.agent)
        errors["fed"][:, i] = squared_errors(out, targets.fed)
        errors["avg"][:, i] = squared_errors(out, targets.avg)
        if r in value_rounds:
            temperature = learner.config.temperature
            gap[:, i] = targets.optimal - policy_values(model, out, temperature)
        projections[i] = int(getattr(learner, "projection_active", 0))
        wall[i] = time.perf_counter() - start
        if progress is not None:
            progress(r, len(ends))
    return FederatedRun(
        np.array(logged),
        np.array([ends[r - 1] for r in logged]),
        errors["agent"],
        errors["fed"],
        errors["avg"],
        gap,
        projections,
        wall,
    )
