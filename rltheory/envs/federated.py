"""Heterogeneous federated families: N discounted MDPs sharing S, A, gamma and features.

Each builder returns a :class:`~rltheory.mdp.FederatedMDP`; its ``agent`` parameter selects the
agent whose MDP a gymnasium environment steps (``env.unwrapped.model.dynamics``). The realised
heterogeneity (``eps_p``, ``eps_r`` by the definitions of Zhang, Wang, Mitra, Anderson, ICLR 2024)
is in ``metadata``.
"""

from __future__ import annotations

import numpy as np

from rltheory.envs import _common
from rltheory.envs.registry import register_family
from rltheory.mdp.circulant import CirculantTransitions
from rltheory.mdp.federated import FederatedMDP
from rltheory.mdp.models import DiscountedMDP
from rltheory.mdp.sarsa import stationary_distribution
from rltheory.mdp.transitions import DenseTransitions

REWARD_CLIPS = {
    "paper": "perturbed rewards clipped to [0, R] (the paper's r: S x A -> [0, R])",
    "authors": (
        "perturbed rewards clipped to [-R, R] as in the authors' mdp_gen.m, then every agent's "
        "rewards shifted by +R into [0, 2R] (reward_bound 2R); with aggregated one-hot features "
        "the shift moves every SARSA fixed point by R/(1-gamma) along the all-ones vector and "
        "leaves the policies and the iterates' errors (from a shifted start) unchanged"
    ),
}


def _aggregated_features(n_states: int, n_actions: int, d1: int, d2: int) -> np.ndarray:
    """One-hot ``phi(s,a) = e_{(s mod d1) d2 + (a mod d2)}`` ``[S, A, d1 d2]`` (authors'
    ``feature_gen.m``, 0-based states and actions)."""
    index = (np.arange(n_states)[:, None] % d1) * d2 + np.arange(n_actions)[None, :] % d2
    return np.eye(d1 * d2)[index]


def _switch(values: np.ndarray, threshold: float) -> np.ndarray:
    """The authors' "non-uniform" map: entries above ``threshold`` times 10, others over 10."""
    return np.where(values > threshold, values * 10.0, values / 10.0)


@register_family(
    "fedsarsa-synthetic",
    gym_name="FedSarsaSynthetic",
    citation=(
        "Zhang, Wang, Mitra, Anderson 2024 (ICLR), arXiv:2401.15273, simulations (authors' "
        "mdp_gen.m); paper's eps_p, eps_r realised in metadata; reward clipping is a named option"
    ),
    summary="N perturbed copies of a random action-shift MDP, d = 25 aggregated one-hot features",
)
def fedsarsa_synthetic(
    rng: np.random.Generator,
    *,
    n_agents: int = 10,
    n_states: int = 100,
    eps_p: float = 0.1,
    eps_r: float = 0.1,
    reward_bound: float = 10.0,
    gamma: float = 0.2,
    state_features: int = 5,
    action_features: int = 5,
    reward_clip: str = "paper",
    agent: int = 0,
) -> FederatedMDP:
    """The FedSARSA paper's synthetic family (authors' ``mdp_gen.m``), ``A = S``.

    Nominal model (agent 0), draw order: ``R0 = U(0,1)^S`` through the switch at 0.95, min-max
    rescaled to ``[0, R]`` (reward of state s for every action); ``P0 = U(0,1)^{S x S}`` through
    the switch at 0.7, rows normalised. Action ``a`` shifts P0's columns cyclically by ``a``
    (:class:`~rltheory.mdp.CirculantTransitions`). Agents ``i >= 1``, drawn one after another
    (so agent i is the same for every ``n_agents > i``):
    ``R_i = clip(R0 + sigma eps_r R)`` with random signs sigma per state and
    ``P_i ∝ max(0, P0 (1 + eps_p u)(1 + eps_p sigma'))``, ``u ~ U(-1, 1)``, signs sigma'.
    Features: aggregated one-hot, ``d = state_features · action_features``. Start state 1.

    The knob ``eps_r`` is not the paper's eps_r: two agents can differ by up to ``2 eps_r R``
    before clipping, and clipping caps the realised gap at the reward range; the realised
    ``eps_p``, ``eps_r`` are in ``metadata`` (``eps_r_knob``, ``eps_p_knob`` are the inputs).
    """
    n_agents = _common.integer("n_agents", n_agents)
    n_states = _common.integer("n_states", n_states, minimum=2)
    eps_p = _common.real("eps_p", eps_p)
    eps_r = _common.real("eps_r", eps_r)
    reward_bound = _common.real("reward_bound", reward_bound, open_low=True)
    gamma = _common.real("gamma", gamma, high=1.0 - 1e-12)
    d1 = _common.integer("state_features", state_features)
    d2 = _common.integer("action_features", action_features)
    agent = _common.integer("agent", agent, minimum=0)
    if reward_clip not in REWARD_CLIPS:
        raise ValueError(
            f"parameter 'reward_clip' must be one of {sorted(REWARD_CLIPS)}, got {reward_clip!r}"
        )
    if agent >= n_agents:
        raise ValueError(f"parameter 'agent' must lie in [0, n_agents={n_agents}), got {agent}")
    r0 = _switch(rng.random(n_states), 0.95)
    r0 = (r0 - r0.min()) / (r0.max() - r0.min()) * reward_bound
    p0 = _switch(rng.random((n_states, n_states)), 0.7)
    p0 /= p0.sum(axis=1, keepdims=True)
    low = 0.0 if reward_clip == "paper" else -reward_bound
    rewards, kernels = [r0], [p0]
    for _ in range(1, n_agents):
        signs = np.where(rng.random(n_states) > 0.5, 1.0, -1.0)
        rewards.append(np.clip(r0 + signs * eps_r * reward_bound, low, reward_bound))
        p = p0 + (2.0 * rng.random((n_states, n_states)) - 1.0) * eps_p * p0
        p = p + np.where(rng.random((n_states, n_states)) > 0.5, 1.0, -1.0) * eps_p * p
        p = np.maximum(p, 0.0)
        # eps_p = 0 keeps P0 itself (renormalising its rows would perturb them by rounding)
        kernels.append(p0 if eps_p == 0 else p / p.sum(axis=1, keepdims=True))
    shift, bound = (
        (0.0, reward_bound) if reward_clip == "paper" else (reward_bound, 2 * reward_bound)
    )
    phi = _aggregated_features(n_states, n_states, d1, d2)
    initial = _common.point_mass(1, n_states)
    agents = tuple(
        DiscountedMDP(
            CirculantTransitions(p),
            np.repeat((r + shift)[:, None], n_states, axis=1),
            gamma,
            initial,
            features=phi,
            realizable=False,
            name=f"fedsarsa-synthetic agent {i}",
            reward_bound=bound,
        )
        for i, (r, p) in enumerate(zip(rewards, kernels, strict=True))
    )
    return _family(
        agents,
        agent,
        f"fedsarsa-synthetic(N={n_agents}, S={n_states}, eps_p={eps_p}, eps_r={eps_r})",
        {
            "eps_p_knob": eps_p,
            "eps_r_knob": eps_r,
            "reward_clip": reward_clip,
            "reward_shift": shift,
            "generator_reward_bound": reward_bound,
        },
        generator_reward_bound=reward_bound,
    )


def _family(
    agents: tuple, agent: int, name: str, metadata: dict, generator_reward_bound: float = 0.0
) -> FederatedMDP:
    """The federated model with its realised heterogeneity added to ``metadata`` (and, for a
    generator whose R differs from the model's reward bound, eps_r in the generator's R)."""
    draft = FederatedMDP(agents, agent, name)
    het = draft.heterogeneity()
    if generator_reward_bound:
        het["eps_r_generator_units"] = het["eps_r"] * draft.reward_bound / generator_reward_bound
    return FederatedMDP(agents, agent, name, {**metadata, **het})


def garnet_kernel(
    rng: np.random.Generator, n_states: int, n_actions: int, branching: int
) -> np.ndarray:
    """Garnet kernel ``[S, A, S]``: each ``(s, a)`` moves to ``branching`` distinct random next
    states with ``U(0,1)`` weights normalised to one (Archibald et al. 1995)."""
    scores = rng.random((n_states, n_actions, n_states))
    support = np.argsort(scores, axis=-1)[..., :branching]  # a uniform random subset
    weights = rng.random((n_states, n_actions, branching))
    kernel = np.zeros((n_states, n_actions, n_states))
    np.put_along_axis(kernel, support, weights / weights.sum(-1, keepdims=True), axis=-1)
    return kernel


@register_family(
    "federated-garnet",
    gym_name="FederatedGarnet",
    citation=(
        "Garnet(S, A, B) (Archibald, McKinnon, Thomas 1995); federated setting of Mangold, "
        "Berthier, Moulines 2025, arXiv:2512.17688 (environment types alternate over agents)"
    ),
    summary="N agents alternating over n_types random Garnet MDPs, one-hot (s,a) features",
)
def federated_garnet(
    rng: np.random.Generator,
    *,
    n_agents: int = 2,
    n_states: int = 10,
    n_actions: int = 3,
    branching: int = 2,
    gamma: float = 0.9,
    n_types: int = 2,
    agent: int = 0,
) -> FederatedMDP:
    """``n_types`` Garnet MDPs drawn in turn (kernel, then rewards ``U(0,1)^{S x A}``); agent
    ``i`` gets type ``i mod n_types``. One-hot features ``d = S·A``, uniform start. Raises
    ``ValueError`` when a type's chain under the uniform policy is not irreducible (no unique
    stationary law: SARSA's fixed point would not be defined); softmax policies have the same
    support, so the check covers every policy the learners play."""
    n_agents = _common.integer("n_agents", n_agents)
    n_states = _common.integer("n_states", n_states, minimum=2)
    n_actions = _common.integer("n_actions", n_actions)
    branching = _common.integer("branching", branching)
    if branching > n_states:
        raise ValueError(f"parameter 'branching' must be <= n_states={n_states}, got {branching}")
    gamma = _common.real("gamma", gamma, high=1.0 - 1e-12)
    n_types = _common.integer("n_types", n_types)
    agent = _common.integer("agent", agent, minimum=0)
    if agent >= n_agents:
        raise ValueError(f"parameter 'agent' must lie in [0, n_agents={n_agents}), got {agent}")
    types = []
    for t in range(n_types):
        kernel = garnet_kernel(rng, n_states, n_actions, branching)
        rewards = rng.random((n_states, n_actions))
        nu = stationary_distribution(kernel.mean(axis=1))
        if not np.all(nu > 1e-12):
            raise ValueError(
                f"Garnet type {t} is not irreducible under the uniform policy (stationary mass "
                f"{nu.min():.3g} at state {int(nu.argmin())}); choose another seed or branching"
            )
        types.append((kernel, rewards))
    phi = np.eye(n_states * n_actions).reshape(n_states, n_actions, -1)
    initial = np.full(n_states, 1.0 / n_states)
    agents = tuple(
        DiscountedMDP(
            DenseTransitions(types[i % n_types][0]),
            types[i % n_types][1],
            gamma,
            initial,
            features=phi,
            name=f"federated-garnet agent {i} (type {i % n_types})",
        )
        for i in range(n_agents)
    )
    name = f"federated-garnet(N={n_agents}, S={n_states}, A={n_actions}, B={branching})"
    return _family(agents, agent, name, {"n_types": n_types, "branching": branching})
