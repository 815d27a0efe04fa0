"""UCBVI: optimistic value iteration on the empirical model (Azar, Osband, Munos, ICML 2017).

Paper: M. G. Azar, I. Osband, R. Munos, "Minimax Regret Bounds for Reinforcement Learning",
ICML 2017, arXiv:1703.05449 (v2). Step indices are 0-based in arrays (paper step ``h+1``).

Algorithm (Alg. 1-2): before episode k, from all transitions of episodes ``1..k-1`` form counts
``N_k(x,a,y)``, ``N_k(x,a) = sum_y N_k(x,a,y)`` and ``P_hat_k(y|x,a) = N_k(x,a,y)/N_k(x,a)``;
then, backward from ``V_{k,H+1} = 0``::

    Q_{k,h}(x,a) = H                                                    if N_k(x,a) = 0
    Q_{k,h}(x,a) = min(Q_{k-1,h}(x,a), H, R(x,a) + P_hat_k V_{k,h+1}(x,a) + b_{k,h}(x,a))
    V_{k,h}(x)   = max_a Q_{k,h}(x,a)

and play the greedy policy (ties: lowest action index; the paper allows any maximizer).
Bonuses, with ``L = ln(5 S A T / delta)`` and ``T = K H``:

- UCBVI-CH (Alg. 3, Chernoff-Hoeffding): ``b = 7 H L / sqrt(N_k(x,a))``.
- UCBVI-BF (Alg. 4, Bernstein-Freedman)::

      b = sqrt(8 L Var_{y~P_hat}[V_{k,h+1}(y)] / N) + 14 H L / (3 N)
          + sqrt(8 sum_y P_hat(y|x,a) min(100^2 H^3 S^2 A L^2 / N'_{k,h+1}(y), H^2) / N)

  with ``N'_{k,h+1}(y)`` the number of earlier episodes that were in state y at step h+1
  (``N' = 0`` gives the cap ``H^2``).

Verification. Read in the Lean formalization of the paper (``prove2me/formalpedia``, files
``MinimaxRegretRL_{Hoeffding,Bernstein}_*``), which quotes arXiv:1703.05449v2 with page
numbers: Alg. 1-4 as above (pooled counts over steps, ``min`` with the previous episode's Q,
``Q = H`` on unvisited pairs, known deterministic rewards in [0, 1], stationary kernel), the
bonus constants 7 and ``(8, 14/3, 100^2, 8)``, ``L = ln(5SAT/delta)`` in the algorithm and
Theorems 1-2 (see :mod:`rltheory.bounds.ucbvi`). Not verified against the PDF itself: the exact
typography of Alg. 4 (we follow the formalization's reading), and the handling of the
terminal step ``N'_{k,H+1}`` (taken as visits of the final state ``s_{H+1}``; its value is 0).

Options beyond the paper (each a named parameter whose default is the paper's choice):

- ``pooled``: True (paper, default) pools counts over steps (stationary kernel) and is refused on
  a time-inhomogeneous problem; ``False`` keeps per-step counts ``N_h`` (the layered-MDP
  extension, not analysed in the paper: the stationary-kernel bounds of Azar et al. 2017,
  Theorems 1-2, do not apply to such a run; the paper's constants in L are kept with S, not
  ``H S``).
- ``known_rewards``: True (paper) uses ``problem.rewards``; False estimates ``r_h(x,a)`` as the
  average of observed rewards (the ridge average ``sum r / (N + pseudo_count)`` when
  ``pseudo_count > 0``), pooled or per step like the counts.
- ``monotone``: True (paper, Alg. 2) takes the ``min`` with the previous episode's Q.
- ``pseudo_count`` (lambda, default 0): Hoeffding bonus only; replaces ``N`` by ``N + lambda`` in
  ``P_hat``, the reward average and the bonus, and drops the ``Q = H`` rule for unvisited pairs
  (the formula is defined there). With ``pooled=False, known_rewards=False, monotone=False``
  and ``beta`` set, this is LSVI-UCB (Jin et al. 2020, Alg. 1) with one-hot features: same
  actions every episode, Q equal up to rounding (tests/algos/test_ucbvi.py; with ``pooled=True``
  it matches LSVI-UCB's pooled variant).
- ``c`` multiplies the bonus (1 = the paper's constants); ``beta`` replaces the Hoeffding
  coefficient ``c * 7 H L`` by an explicit value.

Q is clipped at H, as in Alg. 2 (and LSVI-UCB line 6), not at the remaining horizon ``H - h``:
the paper's choice, and the one the LSVI-UCB identity needs.

Cost per episode: O(B H S) to add the episode's transitions to the counts and refresh the
visited rows of ``P_hat`` (``L_c`` = 1 pooled, H per step), and O(B H S^2 A) for the backward
pass, independent of k; memory O(B L_c S^2 A).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rltheory.algos._linalg import max_last_axis
from rltheory.algos._tabular import add_rewards, add_transitions, transition_rows
from rltheory.algos.protocols import OnlineAlgorithm, Problem
from rltheory.algos.registry import register
from rltheory.algos.ucbvi_events import UCBVI_MONITOR
from rltheory.mdp import Trajectories

BONUSES = ("hoeffding", "bernstein")
"""Bonus names: UCBVI-CH (Alg. 3) and UCBVI-BF (Alg. 4)."""

HOEFFDING_CONSTANT = 7.0
"""``b = 7 H L / sqrt(N)`` (Alg. 3)."""


def log_term(n_states: int, n_actions: int, n_episodes: int, horizon: int, delta: float) -> float:
    """``L = ln(5 S A T / delta)`` with ``T = K H`` (Alg. 3-4)."""
    return float(np.log(5.0 * n_states * n_actions * n_episodes * horizon / delta))


def transition_counts(
    states: np.ndarray, actions: np.ndarray, n_states: int, n_actions: int, pooled: bool
) -> np.ndarray:
    """Counts of ``(x_h, a_h, x_{h+1})`` in trajectories ``states [B, H+1]``, ``actions [B, H]``.

    Returns ``int64 [B, L, S, A, S]`` with ``L = 1`` (summed over steps) when ``pooled`` else H.
    A whole-table recount (UCBVI itself adds each episode on the visited rows only,
    :func:`add_transitions`); for learners that need the episode's counts as a table.
    """
    n_seeds, horizon = actions.shape
    layers = 1 if pooled else horizon
    step = np.zeros(horizon, dtype=np.int64) if pooled else np.arange(horizon)
    seed = np.arange(n_seeds)[:, None]
    flat = (((seed * layers + step) * n_states + states[:, :-1]) * n_actions + actions) * n_states
    flat = flat + states[:, 1:]
    size = n_seeds * layers * n_states * n_actions * n_states
    counts = np.bincount(flat.ravel(), minlength=size)
    return counts.reshape(n_seeds, layers, n_states, n_actions, n_states)


def hoeffding_bonus(n: np.ndarray, coefficient: float, pseudo_count: float = 0.0) -> np.ndarray:
    """``coefficient / sqrt(N + lambda)`` (Alg. 3 with coefficient ``7 H L``); inf where 0/0."""
    denominator = np.sqrt(np.asarray(n, dtype=float) + pseudo_count)
    with np.errstate(divide="ignore", invalid="ignore"):
        return coefficient / denominator


def bernstein_bonus(
    p_hat: np.ndarray,
    n: np.ndarray,
    v_next: np.ndarray,
    next_visits: np.ndarray,
    *,
    horizon: int,
    log: float,
    n_states: int,
    n_actions: int,
) -> np.ndarray:
    """UCBVI-BF bonus (Alg. 4) for ``p_hat [B, S, A, S]``, ``n [B, S, A]`` (> 0 where used),
    ``v_next [B, S]`` (``V_{k,h+1}``) and ``next_visits [B, S]`` (``N'_{k,h+1}``).

    ``sqrt(8 L Var / N) + 14 H L / (3 N) + sqrt(8 E_{P_hat}[min(c_3 / N', H^2)] / N)`` with
    ``c_3 = 100^2 H^3 S^2 A L^2``, variance and expectation under ``P_hat(.|x,a)``.
    Entries with ``N = 0`` are inf (the algorithm sets Q = H there).
    """
    mean = _expect(p_hat, v_next)
    variance = np.maximum(_expect(p_hat, v_next * v_next) - mean * mean, 0.0)
    scale = 100.0**2 * horizon**3 * n_states**2 * n_actions * log**2
    with np.errstate(divide="ignore", invalid="ignore"):
        cap = np.minimum(scale / next_visits, float(horizon) ** 2)
        inverse = 1.0 / np.asarray(n, dtype=float)
        return (
            np.sqrt(8.0 * log * variance * inverse)
            + 14.0 * horizon * log * inverse / 3.0
            + np.sqrt(8.0 * _expect(p_hat, cap) * inverse)
        )


def _expect(p_hat: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``sum_y P_hat(y|x,a) values(y)``: ``[B, S, A, S] x [B, S] -> [B, S, A]`` (one matmul)."""
    n_seeds, n_states, n_actions, _ = p_hat.shape
    flat = p_hat.reshape(n_seeds, n_states * n_actions, n_states)
    return np.matmul(flat, values[:, :, None]).reshape(n_seeds, n_states, n_actions)


@dataclass(frozen=True)
class PlanInputs:
    """Statistics the backward pass reads (``L_c = 1`` pooled, H per step).

    ``p_hat [B, L_c, S, A, S]``, ``n [B, L_c, S, A]``, ``rewards`` (``[H, S, A]`` known, or
    ``[B, L_c, S, A]`` estimated), ``visits [B, H+1, S]`` (Bernstein only, else None),
    ``previous [B, H, S, A]`` (monotone only, else None).
    """

    p_hat: np.ndarray
    n: np.ndarray
    rewards: np.ndarray
    known_rewards: bool
    visits: np.ndarray | None
    previous: np.ndarray | None


def optimistic_q(
    inputs: PlanInputs,
    *,
    horizon: int,
    bonus: str,
    scale: float,
    coefficient: float,
    pseudo_count: float,
    log: float,
) -> np.ndarray:
    """Backward pass of Alg. 2: ``Q_{k,h}`` for every seed, step, state and action ``[B,H,S,A]``.

    ``scale`` (c) multiplies the bonus; ``coefficient`` is the Hoeffding numerator (``c 7 H L``
    or ``beta``, scale included). Unvisited pairs get ``Q = H`` when ``pseudo_count == 0``.

    Everything that does not depend on ``V_{k,h+1}`` is formed once per plan: the Hoeffding
    bonus, and the cap ``min(Q_{k-1,h}, H)`` (``H`` on unvisited pairs), so each step is
    ``Q_{k,h} = fmin(R + P_hat V_{k,h+1} + b, cap_h)``: ``fmin`` takes the cap where the sum
    is undefined (``inf``/``nan`` bonus of an unvisited pair), and ``min`` is exact, so this is
    Alg. 2's ``min(Q_{k-1,h}, H, R + P_hat V + b)`` to the bit.
    """
    n_seeds, layers, n_states, n_actions, _ = inputs.p_hat.shape
    cap = np.full((n_seeds, horizon, n_states, n_actions), float(horizon))
    if inputs.previous is not None:
        np.minimum(inputs.previous, cap, out=cap)
        if pseudo_count == 0:
            np.copyto(cap, float(horizon), where=inputs.n == 0)
    if pseudo_count == 0:
        hoeffding = hoeffding_bonus(inputs.n, coefficient) if bonus == "hoeffding" else None
    else:
        hoeffding = hoeffding_bonus(inputs.n, coefficient, pseudo_count)
    q = cap  # Q_{k,h} overwrites cap_h once it has been used
    p_flat = inputs.p_hat.reshape(n_seeds, layers, n_states * n_actions, n_states)
    p_layers = [p_flat[:, layer] for layer in range(layers)]  # views, formed once per plan
    if inputs.known_rewards:
        r_steps = [inputs.rewards[h] for h in range(horizon)]
    else:
        r_layers = [inputs.rewards[:, layer] for layer in range(layers)]
        r_steps = [r_layers[0 if layers == 1 else h] for h in range(horizon)]
    if hoeffding is not None:
        b_layers = [hoeffding[:, layer] for layer in range(layers)]
    expect = np.empty((n_seeds, n_states * n_actions, 1))  # P_hat V_{k,h+1}, one matmul a step
    expect_sa = expect.reshape(n_seeds, n_states, n_actions)
    total = np.empty((n_seeds, n_states, n_actions))
    v_col = np.zeros((n_seeds, n_states, 1))  # V_{k,H+1} = 0, then V_{k,h+1} for step h
    v_next = v_col[..., 0]
    for h in range(horizon - 1, -1, -1):
        layer = 0 if layers == 1 else h
        if hoeffding is not None:
            b = b_layers[layer]
        else:
            with np.errstate(invalid="ignore", divide="ignore"):  # unvisited: inf/nan, capped
                b = scale * bernstein_bonus(
                    inputs.p_hat[:, layer],
                    inputs.n[:, layer],
                    v_next,
                    inputs.visits[:, h + 1],
                    horizon=horizon,
                    log=log,
                    n_states=n_states,
                    n_actions=n_actions,
                )
        np.matmul(p_layers[layer], v_col, out=expect)
        np.add(r_steps[h], expect_sa, out=total)
        total += b
        q_h = q[:, h]
        np.fmin(total, q_h, out=q_h)  # q_h holds cap_h until here
        max_last_axis(q_h, out=v_next)  # V_{k,h}(x) = max_a Q_{k,h}(x, a)
    return q


@register(
    "ucbvi",
    requires=("finite-horizon",),
    citation=(
        "Azar, Osband, Munos, Minimax Regret Bounds for Reinforcement Learning, ICML 2017 "
        "(arXiv:1703.05449), Algorithms 1-4 (UCBVI-CH and UCBVI-BF)"
    ),
    summary="tabular UCBVI: value iteration on the empirical model plus a Hoeffding or "
    "Bernstein-Freedman bonus",
    smoke={"c": 0.01},  # at c = 1 no pair of the conformance run gets Q < H
    monitor=UCBVI_MONITOR,
)
class UCBVI(OnlineAlgorithm):
    """Tabular UCBVI (Azar et al. 2017) with the Hoeffding (CH) or Bernstein-Freedman (BF) bonus.

    State per seed, updated on the visited rows only: transition counts
    ``counts [B, L_c, S, A, S]`` and ``n [B, L_c, S, A]`` (int), ``p_hat [B, L_c, S, A, S]``,
    reward sums and averages ``[B, L_c, S, A]`` (estimated rewards only), state visits
    ``visits [B, H+1, S]`` (``N'``) and the current optimistic ``q [B, H, S, A]``
    (``Q_{k,h}`` of the next episode).
    """

    @dataclass(frozen=True)
    class Config:
        """Hyperparameters; the defaults are the paper's (see the module docstring)."""

        bonus: str = "hoeffding"
        delta: float = 0.05
        c: float = 1.0
        beta: float | None = None
        pooled: bool = True
        known_rewards: bool = True
        monotone: bool = True
        pseudo_count: float = 0.0

        def __post_init__(self) -> None:
            if self.bonus not in BONUSES:
                raise ValueError(f"bonus must be one of {BONUSES}, got {self.bonus!r}")
            if not 0.0 < self.delta < 1.0:
                raise ValueError(f"delta must lie in (0, 1), got {self.delta}")
            if not self.c >= 0.0:
                raise ValueError(f"bonus scale c must be >= 0, got {self.c}")
            if not self.pseudo_count >= 0.0:
                raise ValueError(f"pseudo_count must be >= 0, got {self.pseudo_count}")
            if self.beta is not None:
                if self.bonus != "hoeffding":
                    raise ValueError(
                        "beta (explicit Hoeffding coefficient) needs bonus='hoeffding'"
                    )
                if not self.beta >= 0.0:
                    raise ValueError(f"beta must be >= 0, got {self.beta}")
                if self.c != 1.0:
                    raise ValueError("give either the bonus scale c or an explicit beta, not both")
            if not isinstance(self.pooled, bool):
                raise TypeError(f"pooled must be true or false, got {self.pooled!r}")
            if self.pseudo_count > 0 and self.bonus != "hoeffding":
                raise ValueError("pseudo_count > 0 is defined for bonus='hoeffding' only")

    def __init__(self, problem: Problem, config: Config, rngs: Sequence[np.random.Generator]):
        super().__init__(problem, config, rngs)
        if config.known_rewards and problem.rewards is None:
            raise ValueError("known_rewards=True needs problem.rewards; set known_rewards=False")
        if config.pooled and not problem.time_homogeneous:
            raise ValueError(
                "UCBVI with pooled=True (Azar et al. 2017: one stationary kernel) needs a "
                "time-homogeneous model; this one changes with h. Set pooled=false for per-step "
                "counts (a layered extension the paper's regret bounds do not cover)"
            )
        self.pooled = config.pooled
        horizon, n_states, n_actions = problem.horizon, problem.n_states, problem.n_actions
        self.layers = layers = 1 if self.pooled else horizon
        self.log = log_term(n_states, n_actions, problem.n_episodes, horizon, config.delta)
        if config.beta is not None:
            self.coefficient = float(config.beta)
        else:
            self.coefficient = config.c * HOEFFDING_CONSTANT * horizon * self.log
        table = (self.n_seeds, layers, n_states, n_actions)
        self.counts = np.zeros((*table, n_states), np.int64)
        self.n = np.zeros(table, np.int64)
        self.p_hat = np.zeros((*table, n_states))
        self.reward_sums = None if config.known_rewards else np.zeros(table)
        self.reward_means = None if config.known_rewards else np.zeros(table)
        self.visits = np.zeros((self.n_seeds, horizon + 1, n_states), dtype=np.int64)
        self.q = np.full((self.n_seeds, horizon, n_states, n_actions), float(horizon))
        self.q = self._plan()

    @classmethod
    def memory_bytes(cls, size: Any, config: Config, n_seeds: int) -> int:
        """Bytes of the state above and of planning on it: counts and the empirical kernel
        ``[B, L_c, S, A, S]`` (estimate: ``L_c = H``), Q, bonuses and visits ``[B, H, S, A]``."""
        kernel = n_seeds * size.H * size.S * size.A * size.S
        return 8 * (3 * kernel + 4 * n_seeds * size.H * size.S * size.A)

    def empirical_kernel(self) -> np.ndarray:
        """``P_hat [B, L_c, S, A, S]`` (with the pseudo-count, if any; a copy)."""
        return self.p_hat.copy()

    def estimated_rewards(self) -> np.ndarray:
        """Rewards the backward pass uses: ``[H, S, A]`` known, ``[B, L_c, S, A]`` estimated."""
        if self.config.known_rewards:
            return np.asarray(self.problem.rewards, dtype=float)
        return self.reward_means.copy()

    def _plan(self) -> np.ndarray:
        config = self.config
        inputs = PlanInputs(
            p_hat=self.p_hat,
            n=self.n,
            rewards=self.problem.rewards if config.known_rewards else self.reward_means,
            known_rewards=config.known_rewards,
            visits=self.visits if config.bonus == "bernstein" else None,
            previous=self.q if config.monotone else None,
        )
        return optimistic_q(
            inputs,
            horizon=self.problem.horizon,
            bonus=config.bonus,
            scale=config.c,
            coefficient=self.coefficient,
            pseudo_count=config.pseudo_count,
            log=self.log,
        )

    def policy(self) -> np.ndarray:
        """Greedy ``pi_k(x, h) = argmax_a Q_{k,h}(x, a)`` over all states: ``int [B, H, S]``."""
        return self.q.argmax(-1)

    def update(self, trajectories: Trajectories) -> None:
        """Add episode k's transitions (``states [B, H+1]``, ``actions``/``rewards [B, H]``) to
        the statistics, on the visited rows only, and plan ``Q_{k+1}``."""
        states, actions, rewards = self.checked_trajectories(trajectories)
        p, pseudo = self.problem, self.config.pseudo_count
        rows = transition_rows(states, actions, p.n_states, p.n_actions, self.layers)
        add_transitions(
            self.counts.reshape(-1, p.n_states),
            self.n.reshape(-1),
            self.p_hat.reshape(-1, p.n_states),
            rows,
            states[:, 1:],
            pseudo,
        )
        if self.reward_sums is not None:
            n = self.n.reshape(-1)
            add_rewards(
                self.reward_sums.reshape(-1),
                self.reward_means.reshape(-1),
                n,
                rows,
                rewards,
                pseudo,
            )
        steps = np.arange(p.horizon + 1)
        self.visits[np.arange(self.n_seeds)[:, None], steps, states] += 1  # (seed, h) distinct
        self.q = self._plan()
