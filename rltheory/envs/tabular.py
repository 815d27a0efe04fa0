"""Random tabular MDPs, plain and with one-hot linear-MDP features (Jin et al. 2020, Ex. 2.1)."""

from __future__ import annotations

import numpy as np

from rltheory.envs import _common
from rltheory.envs.registry import register_family
from rltheory.envs.transforms import one_hot_features
from rltheory.mdp.models import FiniteHorizonMDP
from rltheory.mdp.transitions import DenseTransitions


@register_family(
    "random-tabular",
    gym_name="RandomTabular",
    citation="random tabular MDP (Dirichlet rows), standard testbed",
    summary="random tabular MDP: Dirichlet(concentration) rows, U[0,1] rewards, start 0",
)
def random_tabular(
    rng: np.random.Generator,
    *,
    n_states: int = 10,
    n_actions: int = 3,
    horizon: int = 5,
    homogeneous: bool = True,
    concentration: float = 1.0,
) -> FiniteHorizonMDP:
    """Random tabular MDP: ``P_h(.|s,a) ~ Dirichlet(concentration · 1_S)``, ``r_h(s,a) ~ U[0,1]``.

    Draw order: the kernel (``[L, S, A]`` Dirichlet rows), then the rewards (``[L, S, A]``), with
    ``L = 1`` when ``homogeneous`` (one kernel and one reward table for every step) else ``L = H``.
    Fixed start state 0.
    """
    n_states = _common.integer("n_states", n_states)
    n_actions = _common.integer("n_actions", n_actions)
    horizon = _common.integer("horizon", horizon)
    homogeneous = _common.flag("homogeneous", homogeneous)
    concentration = _common.real("concentration", concentration, open_low=True)
    layers = 1 if homogeneous else horizon
    kernel = rng.dirichlet(np.full(n_states, concentration), size=(layers, n_states, n_actions))
    rewards = rng.uniform(0.0, 1.0, size=(layers, n_states, n_actions))
    return FiniteHorizonMDP(
        DenseTransitions(kernel),
        np.broadcast_to(rewards, (horizon, n_states, n_actions)),
        _common.point_mass(0, n_states),
        name=f"random-tabular(S={n_states}, A={n_actions}, H={horizon})",
        metadata={"homogeneous": homogeneous, "concentration": concentration},
    )


@register_family(
    "tabular-as-linear",
    gym_name="TabularAsLinear",
    citation="Jin, Yang, Wang, Jordan 2020 (COLT), Example 2.1",
    summary="random tabular MDP as a linear MDP with one-hot features, d = S*A",
)
def tabular_as_linear(
    rng: np.random.Generator,
    *,
    n_states: int = 10,
    n_actions: int = 3,
    horizon: int = 5,
    homogeneous: bool = True,
    concentration: float = 1.0,
) -> FiniteHorizonMDP:
    """``random-tabular`` (same draws) with ``phi(s,a) = e_(s,a)``, ``d = S·A`` (Jin Ex. 2.1)."""
    model = random_tabular(
        rng,
        n_states=n_states,
        n_actions=n_actions,
        horizon=horizon,
        homogeneous=homogeneous,
        concentration=concentration,
    )
    return one_hot_features(model)
