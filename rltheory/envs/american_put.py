"""American put option on a binomial price lattice (Tamar, Mannor, Xu 2014 style), exact.

Each step the price moves ``s -> up * s`` with probability ``price_up`` and ``s -> down * s``
otherwise; exercising pays ``max(0, strike - s)`` and ends the episode (absorbing state), holding
pays 0. From one initial price ``s0`` the reachable prices form a lattice: node ``(h, u)`` (after
``h`` moves, ``u`` of them up) has price ``s0 up^u down^(h-u)``, so the model is an exact finite
MDP with ``(H+1)(H+2)/2`` price nodes plus the absorbing state (index ``S - 1``). Actions:
0 = hold, 1 = exercise.

Features (Tang, Liu, Xu 2025, §6.2, after the authors' code): ``d`` hat functions of the price,
``phi_i(s, hold) = max(0, 1 - |s - s_i| / Delta)``, anchors ``s_i = 80 + i Delta``,
``Delta = 100 / d``; ``phi(s, exercise) = 0`` and ``phi(absorbing, .) = 0``, so a learner's
``Q(s, exercise)`` is the known reward and only ``Q(s, hold)`` is estimated. The hat features do
not realize the kernel (``realizable=False``: a misspecified linear MDP).

Choices of ours [D]: rewards are payoffs divided by the strike (``reward_unit = strike`` in the
metadata converts back to price units), because models keep rewards in [0, 1]; the initial
price is one draw ``s0 ~ U(strike - 5, strike + 5)`` from ``rng`` (the authors draw it once per
environment seed too) unless ``initial_price`` is given. Perturbed test models change
``price_up`` (Tang, Liu, Xu 2025, Fig. 1(d): 0.2..1.0; nominal 0.5) and keep ``s0``.
"""

from __future__ import annotations

import numpy as np

from rltheory.envs import _common
from rltheory.envs.registry import register_family
from rltheory.mdp.models import FiniteHorizonMDP
from rltheory.mdp.transitions import DenseTransitions

HOLD, EXERCISE = 0, 1
PRICE_UP_GRID = (0.2, 0.4, 0.6, 0.8, 1.0)
"""Test price-up probabilities of Tang, Liu, Xu (2025), Fig. 1(d)."""


def lattice_prices(initial_price: float, horizon: int, up: float, down: float) -> np.ndarray:
    """Prices of the lattice nodes, node ``(h, u)`` at index ``h (h + 1) / 2 + u``."""
    steps = np.concatenate([np.full(h + 1, h) for h in range(horizon + 1)])
    ups = np.concatenate([np.arange(h + 1) for h in range(horizon + 1)])
    return initial_price * up**ups * down ** (steps - ups)


def hat_features(prices: np.ndarray, dim: int) -> np.ndarray:
    """``phi_i(s) = max(0, 1 - |s - s_i| / Delta)``, ``s_i = 80 + i Delta``, ``Delta = 100/d``."""
    width = 100.0 / dim
    anchors = 80.0 + width * np.arange(dim)
    return np.maximum(0.0, 1.0 - np.abs(prices[:, None] - anchors[None]) / width)


@register_family(
    "american-put",
    gym_name="AmericanPut",
    citation=(
        "Tang, Liu, Xu 2025 (ICML), Section 6.2 (American put option with hat features, after "
        "Tamar, Mannor, Xu 2014); payoffs scaled by 1/strike and one initial price per model "
        "are our choices"
    ),
    summary="American put on an exact binomial price lattice; d hat features; price-up prob.",
)
def american_put(
    rng: np.random.Generator,
    *,
    dim: int = 30,
    horizon: int = 20,
    price_up: float = 0.5,
    initial_price: float | None = None,
    strike: float = 100.0,
    up: float = 1.02,
    down: float = 0.98,
) -> FiniteHorizonMDP:
    """The option MDP with price-up probability ``price_up`` (module docstring)."""
    dim = _common.integer("dim", dim)
    horizon = _common.integer("horizon", horizon)
    price_up = _common.real("price_up", price_up, high=1.0)
    strike = _common.real("strike", strike, open_low=True)
    up = _common.real("up", up, open_low=True)
    down = _common.real("down", down, open_low=True)
    if initial_price is None:
        initial_price = float(rng.uniform(strike - 5.0, strike + 5.0))
    initial_price = _common.real("initial_price", initial_price, open_low=True)
    prices = lattice_prices(initial_price, horizon, up, down)
    n_nodes = len(prices)
    n_states = n_nodes + 1
    absorbing = n_nodes
    kernel = np.zeros((n_states, 2, n_states))
    node = np.arange(n_nodes)
    step = np.concatenate([np.full(h + 1, h) for h in range(horizon + 1)])
    inner = step < horizon
    child = node + step + 1  # node (h + 1, u): index (h+1)(h+2)/2 + u = node + h + 1
    kernel[node[inner], HOLD, child[inner] + 1] += price_up
    kernel[node[inner], HOLD, child[inner]] += 1.0 - price_up
    kernel[node[~inner], HOLD, node[~inner]] = 1.0  # after the last step: never used
    kernel[:, EXERCISE, absorbing] = 1.0
    kernel[absorbing, HOLD, absorbing] = 1.0
    payoff = np.zeros((n_states, 2))
    payoff[:n_nodes, EXERCISE] = np.maximum(0.0, strike - prices) / strike
    features = np.zeros((n_states, 2, dim))
    features[:n_nodes, HOLD] = hat_features(prices, dim)
    params = {
        "dim": dim,
        "horizon": horizon,
        "initial_price": initial_price,
        "strike": strike,
        "up": up,
        "down": down,
    }
    return FiniteHorizonMDP(
        DenseTransitions(kernel),
        np.broadcast_to(payoff, (horizon, n_states, 2)),
        _common.point_mass(0, n_states),
        features=features,
        realizable=False,
        name=f"american-put(d={dim}, H={horizon}, p={price_up:g}, s0={initial_price:.2f})",
        metadata={
            "perturbation": {
                "family": "american-put",
                "parameter": "price_up",
                "value": price_up,
                "grid": list(PRICE_UP_GRID),
                "params": params,
            },
            "reward_unit": strike,
            "prices": prices,
            "absorbing_state": absorbing,
        },
    )
