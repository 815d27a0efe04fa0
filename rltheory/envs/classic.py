"""Classic exploration benchmarks as exact models: RiverSwim, DeepSea, diabolical combination lock.

Each carries one-hot linear-MDP features so feature-based learners run on it (the combination
lock's one-hot features are over its three latent types, ``phi = e_(type, a)``).
"""

from __future__ import annotations

import numpy as np

from rltheory.envs import _common, sizes
from rltheory.envs.registry import register_family
from rltheory.envs.transforms import one_hot_features
from rltheory.mdp.models import FiniteHorizonMDP
from rltheory.mdp.transitions import DenseTransitions


def riverswim_kernel(n_states: int) -> np.ndarray:
    """RiverSwim kernel ``P[S, 2, S]`` (Strehl & Littman 2008; Ayoub et al.'s ``make_riverSwim``).

    Action 0 (left): ``s -> max(0, s-1)``. Action 1 (right): interior ``s`` moves to ``s+1`` w.p.
    0.3, stays w.p. 0.6, moves to ``s-1`` w.p. 0.1; at ``s = 0`` stays w.p. 0.3 and moves to 1 w.p.
    0.7; at ``s = S-1`` stays w.p. 0.9 and moves to ``S-2`` w.p. 0.1.
    """
    states = np.arange(n_states)
    kernel = np.zeros((n_states, 2, n_states))
    kernel[states, 0, np.maximum(states - 1, 0)] = 1.0
    interior = states[1:-1]
    kernel[interior, 1, interior + 1] = 0.3
    kernel[interior, 1, interior] = 0.6
    kernel[interior, 1, interior - 1] = 0.1
    kernel[0, 1, 0], kernel[0, 1, 1] = 0.3, 0.7
    kernel[-1, 1, -1], kernel[-1, 1, -2] = 0.9, 0.1
    return kernel


@register_family(
    "riverswim",
    gym_name="RiverSwim",
    citation="Strehl & Littman 2008; variant of Ayoub et al. UCRL-VTR testbed (make_riverSwim)",
    summary="RiverSwim chain, A=2, rewards 0.005 (left at 0) and 1 (right at S-1), one-hot phi",
)
def riverswim(
    rng: np.random.Generator, *, n_states: int = 5, horizon: int = 20
) -> FiniteHorizonMDP:
    """RiverSwim (Strehl & Littman 2008), one-hot phi (``d = 2S``); deterministic, ignores rng.

    Rewards ``r(0, left) = 0.005``, ``r(S-1, right) = 1``, else 0; start at state 0;
    time-homogeneous.
    """
    n_states = _common.integer("n_states", n_states, minimum=2)
    horizon = _common.integer("horizon", horizon)
    rewards = np.zeros((n_states, 2))
    rewards[0, 0], rewards[-1, 1] = 0.005, 1.0
    model = FiniteHorizonMDP(
        DenseTransitions(riverswim_kernel(n_states)),
        np.broadcast_to(rewards, (horizon, n_states, 2)),
        _common.point_mass(0, n_states),
        name=f"riverswim(S={n_states}, H={horizon})",
    )
    return one_hot_features(model)


def deepsea_state(column: np.ndarray | int, row: np.ndarray | int, size: int) -> np.ndarray | int:
    """State index ``row·size + column`` of grid cell ``(column, row)`` in DeepSea."""
    return row * size + column


@register_family(
    "deepsea",
    gym_name="DeepSea",
    citation="Osband et al. (bsuite DeepSea); Ayoub et al. UCRL-VTR testbed (deep_sea)",
    summary="DeepSea N x N grid, H = N, treasure at the bottom-right, rewards mapped to [0,1]",
    memory=sizes.deepsea,
)
def deepsea(rng: np.random.Generator, *, size: int = 10) -> FiniteHorizonMDP:
    """DeepSea of side ``N = size`` (Osband et al., bsuite); deterministic, ignores rng.

    State ``(column, row)`` has index ``row·N + column`` (:func:`deepsea_state`); start ``(0, 0)``;
    horizon ``N``. Every step the row increases by one; action 0 (left) moves to
    ``max(column-1, 0)``, action 1 (right) to ``column+1``. Raw rewards: ``-0.01/N²`` for right,
    except ``0.99`` for right at ``(N-1, N-1)``, 0 for left.

    Rewards are mapped into [0, 1] by ``r' = (r - r_min)/(r_max - r_min)`` with
    ``r_min = -0.01/N²``, ``r_max = 0.99``. Every episode has exactly N steps, so every policy's
    value becomes ``V' = (V - N·r_min)/(r_max - r_min)``: a positive affine map of V, the same for
    all policies, which leaves the optimal policy unchanged and divides regret by
    ``r_max - r_min``. ``metadata["reward_map"] = (scale, shift)`` with ``r' = scale·r + shift``.
    """
    n = _common.integer("size", size)
    column, row = np.meshgrid(np.arange(n), np.arange(n), indexing="xy")
    column, row = column.ravel(), row.ravel()
    state = deepsea_state(column, row, n)
    # Deviation from paper: the source grid has no last row's successor and no right wall (both
    # unreachable within N steps from (0, 0)); we keep the row at N-1 and clip the column at N-1
    # so the kernel is defined on all N² states.
    next_row = np.minimum(row + 1, n - 1)
    kernel = np.zeros((n * n, 2, n * n))
    kernel[state, 0, deepsea_state(np.maximum(column - 1, 0), next_row, n)] = 1.0
    kernel[state, 1, deepsea_state(np.minimum(column + 1, n - 1), next_row, n)] = 1.0
    raw = np.zeros((n * n, 2))
    raw[:, 1] = -0.01 / n**2
    raw[deepsea_state(n - 1, n - 1, n), 1] = 0.99
    r_min, r_max = -0.01 / n**2, 0.99
    scale = 1.0 / (r_max - r_min)
    shift = -r_min * scale
    model = FiniteHorizonMDP(
        DenseTransitions(kernel),
        np.broadcast_to(scale * raw + shift, (n, n * n, 2)),
        _common.point_mass(deepsea_state(0, 0, n), n * n),
        name=f"deepsea(N={n})",
        metadata={"size": n, "state_encoding": "row * size + column", "reward_map": (scale, shift)},
    )
    return one_hot_features(model)


@register_family(
    "combination-lock",
    gym_name="CombinationLock",
    citation="Misra, Henaff, Krishnamurthy, Langford 2020 (ICML), diabolical combination lock",
    summary="diabolical combination lock on latent types (good 0/1, dead 2), phi = e_(type, a)",
)
def combination_lock(
    rng: np.random.Generator,
    *,
    horizon: int = 5,
    n_actions: int = 4,
    swap_prob: float = 0.5,
    anti_shaping: float = 0.1,
    path_penalty: float = 0.0,
    optimal_reward: float = 1.0,
    spawn_prob: float = 0.5,
) -> FiniteHorizonMDP:
    """Latent-state diabolical combination lock (Misra et al. 2020; Intrepid's version).

    States are the latent types ``0, 1`` (good) and ``2`` (dead, absorbing); the level is the step
    h, so the kernel is time-inhomogeneous. Correct actions ``opt_a[h]`` (type 0) and
    ``opt_b[h]`` (type 1) are drawn uniformly from ``rng`` (in that order, ``[H]`` each). The
    correct action keeps the agent in a good state, swapping the type w.p. ``swap_prob``; any
    other action leads to the dead state. Start in type 1 w.p. ``spawn_prob``, else type 0.

    Mean raw rewards (the source draws the anti-shaping one as ``anti_shaping·Bernoulli(1/2)``):
    ``optimal_reward`` for the correct action at the last level; ``anti_shaping/2`` for entering
    the dead state from a good one; ``-path_penalty/(H-1)`` for a good-to-good move before the
    last level (the source's ``anti_shaping_reward2``); 0 in the dead state. They are mapped to
    [0, 1] by ``r' = (r - r_min)/(r_max - r_min)`` with ``r_min = min(0, -path_penalty/(H-1))``
    and ``r_max = max(optimal_reward, anti_shaping/2)``: every episode has H steps, so values map
    by one positive affine map and the optimal policy is unchanged
    (``metadata["reward_map"] = (scale, shift)``).

    Features ``phi(type, a) = e_(type, a)``, ``d = 3A``.
    """
    horizon = _common.integer("horizon", horizon)
    n_actions = _common.integer("n_actions", n_actions, minimum=2)
    swap_prob = _common.real("swap_prob", swap_prob, high=1.0)
    anti_shaping = _common.real("anti_shaping", anti_shaping)
    path_penalty = _common.real("path_penalty", path_penalty)
    optimal_reward = _common.real("optimal_reward", optimal_reward, open_low=True)
    spawn_prob = _common.real("spawn_prob", spawn_prob, high=1.0)
    if anti_shaping / 2 >= optimal_reward:
        raise ValueError(
            f"parameter 'anti_shaping' = {anti_shaping}: its mean reward anti_shaping/2 must be "
            f"below optimal_reward = {optimal_reward} (as the source asserts)"
        )
    opt_a = rng.integers(0, n_actions, size=horizon)
    opt_b = rng.integers(0, n_actions, size=horizon)
    levels = np.arange(horizon)
    correct = np.zeros((horizon, 2, n_actions), dtype=bool)  # [h, good type, a]
    correct[levels, 0, opt_a] = True
    correct[levels, 1, opt_b] = True

    kernel = np.zeros((horizon, 3, n_actions, 3))
    kernel[:, :2, :, 2] = ~correct
    kernel[:, 0, :, 0] = correct[:, 0] * (1.0 - swap_prob)
    kernel[:, 0, :, 1] = correct[:, 0] * swap_prob
    kernel[:, 1, :, 1] = correct[:, 1] * (1.0 - swap_prob)
    kernel[:, 1, :, 0] = correct[:, 1] * swap_prob
    kernel[:, 2, :, 2] = 1.0

    step_penalty = -path_penalty / (horizon - 1) if horizon > 1 else 0.0
    raw = np.zeros((horizon, 3, n_actions))
    raw[:, :2] = np.where(correct, step_penalty, anti_shaping / 2)
    raw[-1, :2] = np.where(correct[-1], optimal_reward, anti_shaping / 2)
    r_min, r_max = min(0.0, step_penalty), max(optimal_reward, anti_shaping / 2)
    scale = 1.0 / (r_max - r_min)
    shift = -r_min * scale
    model = FiniteHorizonMDP(
        DenseTransitions(kernel),
        scale * raw + shift,
        np.array([1.0 - spawn_prob, spawn_prob, 0.0]),
        name=f"combination-lock(H={horizon}, A={n_actions})",
        metadata={
            "opt_a": opt_a,
            "opt_b": opt_b,
            "types": ("good-a", "good-b", "dead"),
            "reward_map": (scale, shift),
        },
    )
    return one_hot_features(model)
