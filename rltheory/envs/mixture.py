"""Linear mixture MDPs ``P_h(s'|s,a) = <phi(s'|s,a), theta_h>`` with known basis ``phi``.

Normalisation: ``||phi_V(s,a)||_2 <= 1`` for every ``V: S -> [0, 1]``, where
``phi_V(s,a) = sum_s' phi(s'|s,a) V(s')``; ``metadata["norm_bound"] = max_h ||theta_h||_2`` is the
norm bound B the algorithms use (``lambda = d/B²`` and the confidence radii of HF-UCRL-VTR+).
"""

from __future__ import annotations

import numpy as np

from rltheory.envs import _common, sizes
from rltheory.envs.registry import get_family, register_family
from rltheory.mdp.models import FiniteHorizonMDP
from rltheory.mdp.transitions import LinearMixtureTransitions, LowRankTransitions


def hypercube_actions(n_coordinates: int) -> np.ndarray:
    """All of ``{-1, +1}^n`` as ``[2^n, n]``: action index ``a`` has coordinate ``j`` equal to
    ``+1`` iff bit ``j`` of ``a`` is set."""
    bits = (np.arange(2**n_coordinates)[:, None] >> np.arange(n_coordinates)) & 1
    return 2.0 * bits - 1.0


def hard_instance_constants(dim: int, delta: float, n_episodes: int) -> dict[str, float]:
    """Constants of the Zhou–Gu–Szepesvári hard instances (COLT 2021; Zhou & Gu 2022).

    ``Delta = sqrt(delta/K)/(4 sqrt 2)``, ``alpha = sqrt(1/(1 + Delta(d-1)))``,
    ``beta = sqrt(Delta/(1 + Delta(d-1)))``. Raises ``ValueError`` unless
    ``(d-1)·Delta <= min(delta, 1 - delta)`` (probabilities ``delta ± <mu, a>`` in [0, 1]).
    """
    big_delta = np.sqrt(delta / n_episodes) / (4.0 * np.sqrt(2.0))
    if (dim - 1) * big_delta > min(delta, 1.0 - delta):
        raise ValueError(
            f"hard instance needs (d-1)·Delta <= delta: d={dim}, K={n_episodes} give "
            f"(d-1)·Delta = {(dim - 1) * big_delta:.3g} > delta = {delta:.3g}; raise n_episodes"
        )
    alpha = np.sqrt(1.0 / (1.0 + big_delta * (dim - 1)))
    beta = np.sqrt(big_delta / (1.0 + big_delta * (dim - 1)))
    return {"delta": delta, "Delta": float(big_delta), "alpha": float(alpha), "beta": float(beta)}


def _fork_features(constants: dict[str, float], actions: np.ndarray) -> tuple[np.ndarray, ...]:
    """``phi(continue|x,a) = (alpha(1-delta), -beta a)``, ``phi(exit|x,a) = (alpha delta, beta a)``
    and the absorbing ``phi(x|x,a) = (alpha, 0)``, each ``[A, d]``."""
    alpha, beta, delta = constants["alpha"], constants["beta"], constants["delta"]
    n_actions = actions.shape[0]
    ones = np.ones((n_actions, 1))
    stay = np.hstack([alpha * ones, np.zeros_like(actions)])
    return (
        np.hstack([alpha * (1.0 - delta) * ones, -beta * actions]),
        np.hstack([alpha * delta * ones, beta * actions]),
        stay,
    )


def _signs(rng: np.random.Generator, size: tuple[int, ...]) -> np.ndarray:
    """Uniform random signs in ``{-1, +1}``."""
    return 2.0 * rng.integers(0, 2, size=size) - 1.0


@register_family(
    "zgs-hard",
    gym_name="ZGSHardInstance",
    citation="Zhou, Gu, Szepesvári 2021 (COLT), arXiv:2012.08507, lower-bound instance",
    summary="chain x_1..x_H with exit x_{H+2} (reward 1), A = 2^(d-1), inhomogeneous mixture",
    memory=sizes.zgs_hard,
)
def zgs_hard(
    rng: np.random.Generator,
    *,
    dim: int = 5,
    horizon: int = 6,
    n_episodes: int = 10000,
    encoding: str = "mixture",
) -> FiniteHorizonMDP:
    """Zhou–Gu–Szepesvári hard linear mixture MDP (COLT 2021; uclaml ``HardToLearn``).

    States ``x_1..x_{H+2}`` (index ``i-1``), start ``x_1``; actions ``{-1,+1}^{d-1}``
    (:func:`hypercube_actions`). ``delta = 1/H``; ``mu_h in {-Delta, +Delta}^{d-1}`` drawn
    uniformly (``[H, d-1]``); ``theta_h = (1/alpha, mu_h/beta)``. From ``x_i`` (``i <= H``):
    ``phi(x_{i+1}|x_i,a) = (alpha(1-delta), -beta a)``,
    ``phi(x_{H+2}|x_i,a) = (alpha delta, beta a)``, so ``P_h(x_{H+2}|x_i,a) = delta + <mu_h, a>``;
    ``x_{H+1}``, ``x_{H+2}`` are absorbing with ``phi(x|x,a) = (alpha, 0)``.
    Reward 1 in ``x_{H+2}``, else 0 (per-step units).
    ``||theta_h|| = 1 + Delta(d-1)`` and ``||phi_V|| <= alpha² + (d-1)beta² = 1``.

    ``encoding="linear"`` (for linear-MDP learners such as LSVI-UCB; this project's encoding,
    not the paper's): the same learning problem as a linear MDP of dimension ``d+2``, see
    :func:`_zgs_linear`. The same ``rng`` draw of ``mu_h`` is used by both encodings.
    """
    dim = _common.integer("dim", dim, minimum=2)
    horizon = _common.integer("horizon", horizon, minimum=2)
    n_episodes = _common.integer("n_episodes", n_episodes)
    if encoding not in ("mixture", "linear"):
        raise ValueError(f"parameter 'encoding' must be 'mixture' or 'linear', got {encoding!r}")
    constants = hard_instance_constants(dim, 1.0 / horizon, n_episodes)
    actions = hypercube_actions(dim - 1)
    n_states, n_actions = horizon + 2, actions.shape[0]
    if encoding == "linear":
        mu = constants["Delta"] * _signs(rng, (horizon, dim - 1))
        return _zgs_linear(constants, actions, mu, horizon, n_episodes)
    cont, exit_, stay = _fork_features(constants, actions)
    chain = np.arange(horizon)
    basis = np.zeros((n_states, n_actions, n_states, dim))
    basis[chain, :, chain + 1] = cont
    basis[chain, :, horizon + 1] = exit_
    basis[[horizon, horizon + 1], :, [horizon, horizon + 1]] = stay
    mu = constants["Delta"] * _signs(rng, (horizon, dim - 1))
    theta = np.hstack([np.full((horizon, 1), 1.0 / constants["alpha"]), mu / constants["beta"]])
    rewards = np.zeros((horizon, n_states, n_actions))
    rewards[:, horizon + 1] = 1.0
    return FiniteHorizonMDP(
        LinearMixtureTransitions(basis, theta),
        rewards,
        _common.point_mass(0, n_states),
        name=f"zgs-hard(d={dim}, H={horizon}, K={n_episodes})",
        metadata={
            **constants,
            "mu": mu,
            "actions": actions,
            "n_episodes": n_episodes,
            "norm_bound": float(np.linalg.norm(theta, axis=1).max()),
        },
    )


def _zgs_linear(
    constants: dict[str, float], actions: np.ndarray, mu: np.ndarray, horizon: int, n_episodes: int
) -> FiniteHorizonMDP:
    """The ZGS hard instance as a linear MDP of dimension ``d+2`` (time-inhomogeneous).

    ``phi(x_i, a) = (1, a)/sqrt d`` on every chain state, ``phi(x_{H+1}, .) = e_{d+1}``,
    ``phi(x_{H+2}, .) = e_{d+2}``; at step h the chain's continuation leads to ``x_{h+2}``:
    ``mu_h^(1) = sqrt d[(1-delta) δ_{x_{h+2}} + delta δ_{x_{H+2}}]``,
    ``mu_h^(1+j) = sqrt d mu_{h,j} (δ_{x_{H+2}} - δ_{x_{h+2}})``, ``mu_h^(d+1) = δ_{x_{H+1}}``,
    ``mu_h^(d+2) = δ_{x_{H+2}}``; ``theta_r = e_{d+2}``. From ``x_1`` the only chain state reachable
    at step h is ``x_h``, where this kernel equals the mixture encoding's, so every policy has the
    same trajectory law and value from ``x_1`` (the kernels differ only at unreachable
    (step, state) pairs). Jin's TV norm of the measures is ``sqrt(d + 2 + 4d(d-1)Delta²)``, above
    Jin's ``sqrt(d+2)`` by ``O(d²Delta²)`` (in metadata, as for ``hf-hard``)."""
    dim = actions.shape[1] + 1
    n_states, n_actions, root_d = horizon + 2, actions.shape[0], np.sqrt(dim)
    delta, stop, exit_ = constants["delta"], horizon, horizon + 1
    phi = np.zeros((n_states, n_actions, dim + 2))
    phi[:horizon, :, 0] = 1.0 / root_d
    phi[:horizon, :, 1:dim] = actions / root_d
    phi[stop, :, dim], phi[exit_, :, dim + 1] = 1.0, 1.0
    measures = np.zeros((horizon, dim + 2, n_states))
    steps = np.arange(horizon)
    measures[steps, 0, steps + 1] = root_d * (1.0 - delta)
    measures[:, 0, exit_] = root_d * delta
    measures[steps, 1:dim, steps + 1] = -root_d * mu
    measures[:, 1:dim, exit_] += root_d * mu
    measures[:, dim, stop], measures[:, dim + 1, exit_] = 1.0, 1.0
    theta_r = np.zeros(dim + 2)
    theta_r[-1] = 1.0
    rewards = np.zeros((horizon, n_states, n_actions))
    rewards[:, exit_] = 1.0
    tv_norm = float(np.linalg.norm(np.abs(measures).sum(axis=2), axis=1).max())
    return FiniteHorizonMDP(
        LowRankTransitions(phi, measures),
        rewards,
        _common.point_mass(0, n_states),
        reward_parameters=np.broadcast_to(theta_r, (horizon, dim + 2)),
        name=f"zgs-hard(d={dim}, H={horizon}, K={n_episodes}, linear)",
        metadata={
            **constants,
            "mu": mu,
            "actions": actions,
            "n_episodes": n_episodes,
            "encoding": "linear",
            "mu_tv_norm": tv_norm,
            "mu_norm_bound": float(np.sqrt(dim + 2)),
            "mu_norm_ratio": tv_norm / float(np.sqrt(dim + 2)),
        },
    )


@register_family(
    "hf-hard",
    gym_name="HorizonFreeHard",
    citation="Zhou & Gu 2022 (NeurIPS) / Zhao et al. 2023 (ICML) horizon-free hard instance",
    summary="3-state horizon-free hard instance, r(x3) = 1/H; mixture (d) or linear-MDP (d+2)",
)
def hf_hard(
    rng: np.random.Generator,
    *,
    dim: int = 4,
    horizon: int = 10,
    n_episodes: int = 1000,
    encoding: str = "mixture",
) -> FiniteHorizonMDP:
    """Horizon-free hard instance (Zhou & Gu 2022), time-homogeneous, start ``x1``.

    ``P(x3|x1,a) = delta + <mu,a>``, ``P(x2|x1,a) = 1 - delta - <mu,a>``, ``x2``/``x3`` absorbing;
    ``delta = 1/6``, ``mu in {-Delta, +Delta}^{d-1}`` drawn uniformly; ``r(x3,.) = 1/H``.
    ``encoding="mixture"``: the §3.5(a) features with one ``theta = (1/alpha, mu/beta)`` (d).
    ``encoding="linear"``: linear MDP of dimension ``d+2`` with ``phi(x1,a) = (1, a, 0, 0)/sqrt d``,
    ``phi(x2,.) = e_{d+1}``, ``phi(x3,.) = e_{d+2}`` and signed measures
    ``mu_1 = sqrt d[(1-delta)δ_x2 + delta δ_x3]``, ``mu_{1+j} = sqrt d mu_j (δ_x3 - δ_x2)``,
    ``mu_{d+1} = δ_x2``, ``mu_{d+2} = δ_x3``, ``theta_r = e_{d+2}/H``. The same draw of ``mu``
    gives the same kernel in both encodings. Jin's TV norm of the measures is
    ``sqrt(d + 2 + 4d(d-1)Delta²)``: above Jin's ``sqrt(d+2)`` for this dimension by
    ``O(d²Delta²)`` and above ``sqrt d`` by an O(1) factor; both are in metadata.
    """
    dim = _common.integer("dim", dim, minimum=2)
    horizon = _common.integer("horizon", horizon)
    n_episodes = _common.integer("n_episodes", n_episodes)
    if encoding not in ("mixture", "linear"):
        raise ValueError(f"parameter 'encoding' must be 'mixture' or 'linear', got {encoding!r}")
    constants = hard_instance_constants(dim, 1.0 / 6.0, n_episodes)
    actions = hypercube_actions(dim - 1)
    n_actions = actions.shape[0]
    mu = constants["Delta"] * _signs(rng, (dim - 1,))
    rewards = np.zeros((horizon, 3, n_actions))
    rewards[:, 2] = 1.0 / horizon
    metadata = {**constants, "mu": mu, "actions": actions, "n_episodes": n_episodes}
    name = f"hf-hard(d={dim}, H={horizon}, K={n_episodes}, {encoding})"
    if encoding == "mixture":
        cont, exit_, stay = _fork_features(constants, actions)
        basis = np.zeros((3, n_actions, 3, dim))
        basis[0, :, 1], basis[0, :, 2] = cont, exit_
        basis[1, :, 1], basis[2, :, 2] = stay, stay
        theta = np.concatenate([[1.0 / constants["alpha"]], mu / constants["beta"]])
        metadata.update(encoding="mixture", norm_bound=float(np.linalg.norm(theta)))
        return FiniteHorizonMDP(
            LinearMixtureTransitions(basis, theta),
            rewards,
            _common.point_mass(0, 3),
            name=name,
            metadata=metadata,
        )
    delta, root_d = constants["delta"], np.sqrt(dim)
    phi = np.zeros((3, n_actions, dim + 2))
    phi[0, :, 0] = 1.0 / root_d
    phi[0, :, 1:dim] = actions / root_d
    phi[1, :, dim], phi[2, :, dim + 1] = 1.0, 1.0
    measures = np.zeros((dim + 2, 3))
    measures[0, 1:] = root_d * np.array([1.0 - delta, delta])
    measures[1:dim, 1] = -root_d * mu
    measures[1:dim, 2] = root_d * mu
    measures[dim, 1], measures[dim + 1, 2] = 1.0, 1.0
    theta_r = np.zeros(dim + 2)
    theta_r[-1] = 1.0 / horizon
    tv_norm = float(np.linalg.norm(np.abs(measures).sum(axis=1)))
    metadata.update(
        encoding="linear",
        mu_tv_norm=tv_norm,
        mu_norm_bound=float(np.sqrt(dim + 2)),
        mu_norm_ratio=float(tv_norm / np.sqrt(dim + 2)),
        mu_norm_ratio_to_sqrt_mixture_dim=float(tv_norm / root_d),
    )
    return FiniteHorizonMDP(
        LowRankTransitions(phi, measures),
        rewards,
        _common.point_mass(0, 3),
        reward_parameters=np.broadcast_to(theta_r, (horizon, dim + 2)),
        name=name,
        metadata=metadata,
    )


@register_family(
    "random-mixture",
    gym_name="RandomLinearMixture",
    citation="random linear mixture MDP (Ayoub et al. 2020; Zhou, Gu, Szepesvári 2021 setting)",
    summary="random linear mixture: Dirichlet basis distributions, simplex weights, ||phi_V|| <= 1",
    memory=sizes.random_mixture,
)
def random_mixture(
    rng: np.random.Generator,
    *,
    n_states: int = 5,
    n_actions: int = 3,
    dim: int = 4,
    horizon: int = 10,
    homogeneous: bool = True,
) -> FiniteHorizonMDP:
    """Random linear mixture MDP with a known basis of distributions.

    Draw order: ``psi_j(.|s,a) ~ Dirichlet(1_S)`` for all ``(s, a, j)``; weights
    ``w_h ~ Dirichlet(1_d)`` (``[L]``); rewards ``r_h ~ U[0,1]^{S x A}`` (``[L]``); ``L = 1`` when
    ``homogeneous`` else ``L = H``. Start state 0. Stored as ``phi = psi/sqrt d`` and
    ``theta_h = sqrt d · w_h``, so ``P_h = sum_j w_h[j] psi_j`` is a convex combination of
    distributions.

    Norm condition: for ``V in [0,1]^S``, ``phi_V(s,a)[j] = <psi_j(.|s,a), V>/sqrt d`` lies in
    ``[0, 1/sqrt d]`` because ``psi_j(.|s,a)`` is a distribution, hence
    ``||phi_V(s,a)||² <= d · (1/d) = 1``.
    ``B = max_h ||theta_h|| = sqrt d · max_h ||w_h|| <= sqrt d``.
    """
    n_states = _common.integer("n_states", n_states)
    n_actions = _common.integer("n_actions", n_actions)
    dim = _common.integer("dim", dim)
    horizon = _common.integer("horizon", horizon)
    homogeneous = _common.flag("homogeneous", homogeneous)
    layers = 1 if homogeneous else horizon
    psi = rng.dirichlet(np.ones(n_states), size=(n_states, n_actions, dim))  # [S, A, d, S']
    weights = rng.dirichlet(np.ones(dim), size=layers)
    rewards = rng.uniform(0.0, 1.0, size=(layers, n_states, n_actions))
    root_d = np.sqrt(dim)
    theta = root_d * weights
    return FiniteHorizonMDP(
        LinearMixtureTransitions(np.moveaxis(psi, 2, 3) / root_d, theta),
        np.broadcast_to(rewards, (horizon, n_states, n_actions)),
        _common.point_mass(0, n_states),
        name=f"random-mixture(S={n_states}, A={n_actions}, d={dim}, H={horizon})",
        metadata={
            "homogeneous": homogeneous,
            "norm_bound": float(np.linalg.norm(theta, axis=1).max()),
        },
    )


@register_family(
    "tabular-mixture",
    gym_name="TabularMixture",
    citation="tabular model as a linear mixture, normalised so that ||phi_V(s,a)||_2 <= 1",
    summary="tabular base family as a linear mixture: phi(s'|s,a) = e_(s,a,s')/sqrt S, d = S²A",
)
def tabular_mixture(
    rng: np.random.Generator, *, base: str = "riverswim", n_states: int = 5, horizon: int = 20
) -> FiniteHorizonMDP:
    """The model of family ``base`` (built with ``n_states``, ``horizon`` and this ``rng``) encoded
    as a linear mixture: ``phi(s'|s,a) = e_(s,a,s')/sqrt S``, ``theta_h* = sqrt S · vec(P_h)``,
    ``d = S²·A``.

    ``phi_V(s,a)`` is ``V/sqrt S`` in the ``(s,a)`` block, so ``||phi_V|| = ||V||_2/sqrt S <= 1``
    for ``V in [0,1]^S``; ``B = max_h ||theta_h*|| <= S sqrt A``. The base's rewards, initial
    distribution, features and metadata are kept. ``base`` must be a family taking ``n_states``
    and ``horizon`` (e.g. ``riverswim``, ``random-tabular``, ``random-mixture``).
    """
    if base == "tabular-mixture":
        raise ValueError("parameter 'base' cannot be 'tabular-mixture' itself")
    entry = get_family(base)
    missing = {"n_states", "horizon"} - set(entry.defaults)
    if missing:
        raise ValueError(
            f"parameter 'base' = {base!r}: that family has no parameter(s) "
            f"{', '.join(sorted(missing))}; choose a tabular family taking n_states and horizon"
        )
    model = entry.build(rng, n_states=n_states, horizon=horizon)
    kernel = model.transitions.dense()  # [L, S, A, S]
    n_layers, n_states, n_actions, _ = kernel.shape
    dim = n_states * n_states * n_actions
    root_s = np.sqrt(n_states)
    basis = np.eye(dim).reshape(n_states, n_actions, n_states, dim) / root_s
    theta = root_s * kernel.reshape(n_layers, dim)
    return FiniteHorizonMDP(
        LinearMixtureTransitions(basis, theta),
        model.rewards,
        model.initial_distribution,
        features=model.features,
        reward_parameters=model.reward_parameters,
        realizable=model.realizable,
        name=f"tabular-mixture({model.name})",
        metadata={
            **model.metadata,
            "base": base,
            "encoding": "phi(s'|s,a) = e_(s,a,s')/sqrt(S), theta = sqrt(S) vec(P)",
            "norm_bound": float(np.linalg.norm(theta, axis=1).max()),
        },
    )
