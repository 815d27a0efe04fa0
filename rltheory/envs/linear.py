"""Random simplex linear MDP (Jin, Yang, Wang, Jordan 2020, Example 2.2)."""

from __future__ import annotations

import numpy as np

from rltheory.envs import _common, sizes
from rltheory.envs.registry import register_family
from rltheory.mdp.models import FiniteHorizonMDP
from rltheory.mdp.transitions import LowRankTransitions


@register_family(
    "random-linear",
    gym_name="RandomLinear",
    citation="Jin, Yang, Wang, Jordan 2020 (COLT), Example 2.2 (simplex features)",
    summary="random simplex linear MDP: Dirichlet features and measures, r = <phi, theta>",
    memory=sizes.random_linear,
)
def random_linear(
    rng: np.random.Generator,
    *,
    n_states: int = 50,
    n_actions: int = 5,
    dim: int = 10,
    horizon: int = 10,
    homogeneous: bool = True,
    alpha_phi: float = 0.3,
    alpha_mu: float = 0.3,
) -> FiniteHorizonMDP:
    """Linear MDP ``P_h(s'|s,a) = <phi(s,a), mu_h(s')>``, ``r_h(s,a) = <phi(s,a), theta_h>``.

    Draw order (identical to the peer benchmark's ``make_linear_mdp`` when ``homogeneous``):
    ``phi(s,a) ~ Dirichlet(alpha_phi · 1_d)`` for all ``(s,a)``; the ``d`` measures
    ``mu_h^(j) ~ Dirichlet(alpha_mu · 1_S)`` (``[L, d]`` of them); ``theta_h ~ U[0,1]^d``
    (``[L]`` of them); ``L = 1`` when ``homogeneous`` else ``L = H``. Fixed start state 0.

    Jin's normalisation (Assumption A, TV reading of §2.1) holds: ``||phi(s,a)||_2 <= 1`` (simplex),
    every ``mu_h^(j)`` is a probability measure so ``||(|mu_h^(j)|(S))_j|| = sqrt(d)``, and
    ``||theta_h||_2 <= sqrt(d)``; rewards lie in [0, 1] as convex combinations of ``theta_h``.
    """
    n_states = _common.integer("n_states", n_states)
    n_actions = _common.integer("n_actions", n_actions)
    dim = _common.integer("dim", dim)
    horizon = _common.integer("horizon", horizon)
    homogeneous = _common.flag("homogeneous", homogeneous)
    alpha_phi = _common.real("alpha_phi", alpha_phi, open_low=True)
    alpha_mu = _common.real("alpha_mu", alpha_mu, open_low=True)
    layers = 1 if homogeneous else horizon
    phi = rng.dirichlet(alpha_phi * np.ones(dim), size=(n_states, n_actions))
    mu = rng.dirichlet(alpha_mu * np.ones(n_states), size=(layers, dim))
    theta = rng.uniform(0.0, 1.0, size=(layers, dim))
    theta_h = np.broadcast_to(theta, (horizon, dim))
    rewards = np.einsum("sad,hd->hsa", phi, theta_h)
    return FiniteHorizonMDP(
        LowRankTransitions(phi, mu),
        rewards,
        _common.point_mass(0, n_states),
        reward_parameters=theta_h,
        name=f"random-linear(S={n_states}, A={n_actions}, d={dim}, H={horizon})",
        metadata={
            "homogeneous": homogeneous,
            "alpha_phi": alpha_phi,
            "alpha_mu": alpha_mu,
            "mu_tv_norm": float(np.sqrt(dim)),
        },
    )
