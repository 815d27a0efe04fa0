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

- ``pooled``: the paper pools counts over steps (stationary kernel). ``None`` (default) pools iff
  the problem is time-homogeneous; ``False`` keeps per-step counts ``N_h`` for time-inhomogeneous
  models (the layered-MDP extension; the paper's constants in L are kept with S, not ``H S``).
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

Cost per episode: O(B H) to add the episode's transitions to the counts, O(B L_c S^2 A) to form
``P_hat`` (``L_c`` = 1 pooled, H per step) and O(B H S^2 A) for the backward pass, independent
of k; memory O(B L_c S^2 A).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rltheory.algos.protocols import OnlineAlgorithm, Problem
from rltheory.algos.registry import register
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


def reward_sums(
    states: np.ndarray,
    actions: np.ndarray,
    rewards: np.ndarray,
    n_states: int,
    n_actions: int,
    pooled: bool,
) -> np.ndarray:
    """Sums of observed rewards per ``(x_h, a_h)``: ``[B, L, S, A]`` (L as in the counts)."""
    n_seeds, horizon = actions.shape
    layers = 1 if pooled else horizon
    step = np.zeros(horizon, dtype=np.int64) if pooled else np.arange(horizon)
    seed = np.arange(n_seeds)[:, None]
    flat = ((seed * layers + step) * n_states + states[:, :-1]) * n_actions + actions
    sums = np.bincount(
        flat.ravel(), weights=rewards.ravel(), minlength=n_seeds * layers * n_states * n_actions
    )
    return sums.reshape(n_seeds, layers, n_states, n_actions)


def state_visits(states: np.ndarray, n_states: int) -> np.ndarray:
    """``N'``: visits of each state at each step ``0..H`` of ``states [B, H+1]``, ``[B, H+1, S]``.

    ``N'_{k,h}(y)`` of Alg. 4 is the sum of these over episodes ``1..k-1``.
    """
    n_seeds, steps = states.shape
    flat = (np.arange(n_seeds * steps).reshape(n_seeds, steps)) * n_states + states
    return np.bincount(flat.ravel(), minlength=n_seeds * steps * n_states).reshape(
        n_seeds, steps, n_states
    )


def empirical_kernel(counts: np.ndarray, pseudo_count: float = 0.0) -> np.ndarray:
    """``P_hat(y|x,a) = N(x,a,y) / (N(x,a) + lambda)`` for ``counts [..., S, A, S]``.

    With ``lambda = 0`` unvisited rows are 0 (they are never used: Q = H there).
    """
    n = counts.sum(-1, keepdims=True).astype(float) + pseudo_count
    return np.divide(counts, n, out=np.zeros(counts.shape), where=n > 0)


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
    """
    n_seeds, layers, n_states, n_actions, _ = inputs.p_hat.shape
    q = np.empty((n_seeds, horizon, n_states, n_actions))
    v_next = np.zeros((n_seeds, n_states))
    for h in range(horizon - 1, -1, -1):
        layer = 0 if layers == 1 else h
        p_hat, n = inputs.p_hat[:, layer], inputs.n[:, layer]
        reward = inputs.rewards[h] if inputs.known_rewards else inputs.rewards[:, layer]
        if bonus == "hoeffding":
            b = hoeffding_bonus(n, coefficient, pseudo_count)
        else:
            with np.errstate(invalid="ignore"):  # 0 * inf on unvisited pairs, replaced below
                b = scale * bernstein_bonus(
                    p_hat,
                    n,
                    v_next,
                    inputs.visits[:, h + 1],
                    horizon=horizon,
                    log=log,
                    n_states=n_states,
                    n_actions=n_actions,
                )
        q_h = np.minimum(reward + _expect(p_hat, v_next) + b, float(horizon))
        if inputs.previous is not None:
            q_h = np.minimum(q_h, inputs.previous[:, h])
        if pseudo_count == 0:
            q_h = np.where(n == 0, float(horizon), q_h)
        q[:, h] = q_h
        v_next = q_h.max(-1)
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
)
class UCBVI(OnlineAlgorithm):
    """Tabular UCBVI (Azar et al. 2017) with the Hoeffding (CH) or Bernstein-Freedman (BF) bonus.

    State per seed: transition counts ``counts [B, L_c, S, A, S]`` (int), reward sums
    ``[B, L_c, S, A]`` (estimated rewards only), state visits ``visits [B, H+1, S]`` (``N'``) and
    the current optimistic ``q [B, H, S, A]`` (``Q_{k,h}`` of the next episode).
    """

    @dataclass(frozen=True)
    class Config:
        """Hyperparameters; the defaults are the paper's (see the module docstring)."""

        bonus: str = "hoeffding"
        delta: float = 0.05
        c: float = 1.0
        beta: float | None = None
        pooled: bool | None = None
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
            if self.pseudo_count > 0 and self.bonus != "hoeffding":
                raise ValueError("pseudo_count > 0 is defined for bonus='hoeffding' only")

    def __init__(self, problem: Problem, config: Config, rngs: Sequence[np.random.Generator]):
        super().__init__(problem, config, rngs)
        if config.known_rewards and problem.rewards is None:
            raise ValueError("known_rewards=True needs problem.rewards; set known_rewards=False")
        self.pooled = problem.time_homogeneous if config.pooled is None else bool(config.pooled)
        horizon, n_states, n_actions = problem.horizon, problem.n_states, problem.n_actions
        layers = 1 if self.pooled else horizon
        self.log = log_term(n_states, n_actions, problem.n_episodes, horizon, config.delta)
        if config.beta is not None:
            self.coefficient = float(config.beta)
        else:
            self.coefficient = config.c * HOEFFDING_CONSTANT * horizon * self.log
        self.counts = np.zeros((self.n_seeds, layers, n_states, n_actions, n_states), np.int64)
        self.reward_sums = (
            None if config.known_rewards else np.zeros((self.n_seeds, layers, n_states, n_actions))
        )
        self.visits = np.zeros((self.n_seeds, horizon + 1, n_states), dtype=np.int64)
        self.q = np.full((self.n_seeds, horizon, n_states, n_actions), float(horizon))
        self.q = self._plan()

    def empirical_kernel(self) -> np.ndarray:
        """``P_hat [B, L_c, S, A, S]`` (with the pseudo-count, if any)."""
        return empirical_kernel(self.counts, self.config.pseudo_count)

    def estimated_rewards(self) -> np.ndarray:
        """Rewards the backward pass uses: ``[H, S, A]`` known, ``[B, L_c, S, A]`` estimated."""
        if self.config.known_rewards:
            return np.asarray(self.problem.rewards, dtype=float)
        n = self.counts.sum(-1) + self.config.pseudo_count
        return np.divide(self.reward_sums, n, out=np.zeros(n.shape), where=n > 0)

    def _plan(self) -> np.ndarray:
        config = self.config
        inputs = PlanInputs(
            p_hat=self.empirical_kernel(),
            n=self.counts.sum(-1),
            rewards=self.estimated_rewards(),
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
        the counts and plan ``Q_{k+1}``."""
        states, actions, rewards = self.checked_trajectories(trajectories)
        p = self.problem
        self.counts += transition_counts(states, actions, p.n_states, p.n_actions, self.pooled)
        if self.reward_sums is not None:
            self.reward_sums += reward_sums(
                states, actions, rewards, p.n_states, p.n_actions, self.pooled
            )
        self.visits += state_visits(states, p.n_states)
        self.q = self._plan()
        self.episode += 1
