"""Exact targets of linear SARSA on known (federated) models: pure functions on arrays.

Notation of Zhang, Wang, Mitra, Anderson (ICLR 2024): ``Q_theta(s,a) = phi(s,a)^T theta``, the
policy improvement operator ``Gamma`` maps ``theta`` to the softmax policy
``pi_theta(a|s) ∝ exp(phi(s,a)^T theta / tau)`` (``tau = inf``: uniform). For agent ``i`` with
kernel ``P^(i)`` and rewards ``r^(i)`` the mean-path SARSA operator is

    g_i(theta) = Phi^T D^i_theta (r^(i) + gamma P^(i) Pi_theta Phi theta - Phi theta)      (1)

with ``D^i_theta`` the stationary law of ``(s, a)`` under ``pi_theta`` in ``M^(i)``. Targets:

- ``theta*^(i)``: root of ``g_i`` (the paper's metric is the error to it, per agent);
- ``theta*_fed``: root of ``(1/N) sum_i g_i`` (the federated mean-path fixed point; Mangold,
  Berthier, Moulines 2025 compute it as deterministic FedSARSA with one local step);
- ``theta*_avg``: root of ``g`` on the averaged MDP ``(P-bar, r-bar)``.

Each is found by the frozen-policy iteration ``theta_{k+1} = A(theta_k)^{-1} b(theta_k)`` (the TD
fixed point of the policy ``pi_{theta_k}``, a contraction when the Lipschitz constant C is small),
damped when the residual grows, and polished by ``scipy.optimize.root`` if needed; the returned
residual is ``||sum_i w_i g_i(theta)||_2``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.optimize

from rltheory.mdp.federated import FederatedMDP

TOLERANCE = 1e-10
"""Residual ``||g(theta*)||_2`` every target must reach."""


def softmax_policy(features: np.ndarray, theta: np.ndarray, temperature: float) -> np.ndarray:
    """``Gamma(theta)``: ``pi_theta(a|s) ∝ exp(phi(s,a)^T theta / tau)`` for ``theta [..., d]``,
    as ``[..., S, A]``; ``tau = inf`` gives the uniform policy."""
    n_states, n_actions = features.shape[:2]
    if np.isinf(temperature):
        return np.full((*theta.shape[:-1], n_states, n_actions), 1.0 / n_actions)
    logits = np.einsum("sad,...d->...sa", features, theta) / temperature
    logits -= logits.max(axis=-1, keepdims=True)
    weights = np.exp(logits)
    return weights / weights.sum(axis=-1, keepdims=True)


def lipschitz_constant(features: np.ndarray, temperature: float) -> float:
    """Lipschitz constant C of the softmax ``Gamma``: ``|pi_1(a|s) - pi_2(a|s)| <= C ||t1 - t2||``.

    ``d pi(a|s)/d theta = pi(a)(phi_a - sum_b pi(b) phi_b)/tau`` has norm at most
    ``pi(a)(1 - pi(a)) D_s / tau <= D_s / (4 tau)`` with
    ``D_s = max_{a,b} ||phi(s,a) - phi(s,b)||``, so ``C = max_s D_s / (4 tau)`` [D]
    (0 for the uniform policy).
    """
    if np.isinf(temperature):
        return 0.0
    gram = np.einsum("sad,sbd->sab", features, features)
    norms = np.einsum("saa->sa", gram)
    squared = norms[:, :, None] + norms[:, None, :] - 2.0 * gram
    return float(np.sqrt(max(squared.max(), 0.0)) / (4.0 * temperature))


def stationary_distribution(kernel: np.ndarray) -> np.ndarray:
    """The stationary law ``nu`` of ``kernel [..., S, S]`` (``nu^T (P - I) = 0``, ``sum nu = 1``).

    Solved as a linear system with the last balance equation replaced by the normalisation;
    raises ``ValueError`` when the chain has no unique stationary law (singular system).
    """
    n_states = kernel.shape[-1]
    system = np.swapaxes(kernel, -1, -2) - np.eye(n_states)
    system[..., -1, :] = 1.0
    rhs = np.zeros(kernel.shape[:-1])
    rhs[..., -1] = 1.0
    try:
        nu = np.linalg.solve(system, rhs[..., None])[..., 0]
    except np.linalg.LinAlgError:
        raise ValueError(
            "the chain under the policy has no unique stationary distribution (it is not "
            "irreducible): the SARSA fixed point is not defined"
        ) from None
    return nu


def state_action_distribution(model: FederatedMDP, policy: np.ndarray) -> np.ndarray:
    """``mu_i(s, a) = nu_i(s) pi_i(a|s)``, the stationary law of ``(s, a)`` under
    ``policy [..., N, S, A]`` in each agent's MDP, ``[..., N, S, A]``."""
    nu = stationary_distribution(model.kernels.state_kernel(policy))
    return nu[..., None] * policy


def mean_path_operator(model: FederatedMDP, theta: np.ndarray, temperature: float) -> np.ndarray:
    """``g_i(theta_i)`` of equation (1) for ``theta [..., N, d]`` (one parameter per agent)."""
    phi = model.features
    policy = softmax_policy(phi, theta, temperature)
    mu = state_action_distribution(model, policy)
    q = np.einsum("sad,...nd->...nsa", phi, theta)
    v = (policy * q).sum(-1)
    td = model.rewards + model.gamma * model.kernels.expect(v) - q
    return np.einsum("...nsa,sad->...nd", mu * td, phi)


def frozen_policy_system(
    model: FederatedMDP, theta: np.ndarray, temperature: float
) -> tuple[np.ndarray, np.ndarray]:
    """``(A_i, b_i)`` with ``g_i(theta') = b_i - A_i theta'`` for the policy frozen at ``theta``:
    ``A_i = Phi^T D_i (Phi - gamma P^(i) Pi Phi)`` ``[..., N, d, d]``, ``b_i = Phi^T D_i r^(i)``."""
    phi = model.features
    policy = softmax_policy(phi, theta, temperature)
    mu = state_action_distribution(model, policy)
    psi = np.einsum("...nsa,sad->...dns", policy, phi)  # (Pi Phi)(s') per feature j
    p_psi = model.kernels.expect(psi)  # [..., d, N, S, A]
    weighted = np.einsum("...nsa,sai->...nsai", mu, phi)
    a = np.einsum("...nsai,saj->...nij", weighted, phi) - model.gamma * np.einsum(
        "...nsai,...jnsa->...nij", weighted, p_psi
    )
    b = np.einsum("...nsai,nsa->...ni", weighted, model.rewards)
    return a, b


@dataclass(frozen=True)
class FixedPoint:
    """A SARSA fixed point: ``theta [M, d]``, ``residual [M]`` (``||g||_2`` at theta) and the
    number of frozen-policy iterations used; ``method`` says whether scipy polished it."""

    theta: np.ndarray
    residual: np.ndarray
    iterations: int
    method: str


def _solve(
    model: FederatedMDP, temperature: float, shared: bool, max_iterations: int
) -> FixedPoint:
    """Roots of ``g_i`` per agent (``shared=False``, theta ``[N, d]``) or of the agent average
    ``(1/N) sum_i g_i`` at one shared parameter (``shared=True``, theta ``[1, d]``)."""
    n_agents, dim = model.n_agents, model.dim

    def spread(theta: np.ndarray) -> np.ndarray:  # the parameter each agent evaluates, [N, d]
        return np.broadcast_to(theta, (n_agents, dim)) if shared else theta

    def reduce(per_agent: np.ndarray) -> np.ndarray:  # agent axis 0 -> targets axis 0
        return per_agent.mean(axis=0, keepdims=True) if shared else per_agent

    def operator(theta: np.ndarray) -> np.ndarray:
        return reduce(mean_path_operator(model, spread(theta), temperature))

    theta = np.zeros((1 if shared else n_agents, dim))
    residual = np.linalg.norm(operator(theta), axis=-1)
    step = 1.0
    for iteration in range(1, max_iterations + 1):
        a, b = frozen_policy_system(model, spread(theta), temperature)
        target = np.linalg.solve(reduce(a), reduce(b)[..., None])[..., 0]
        candidate = theta + step * (target - theta)
        new_residual = np.linalg.norm(operator(candidate), axis=-1)
        if np.all(new_residual <= residual) or step < 1e-3:
            theta, residual = candidate, new_residual
        else:
            step /= 2.0  # damping: the frozen-policy step overshot
        if residual.max() < TOLERANCE:
            return FixedPoint(theta, residual, iteration, "frozen-policy iteration")
    polished = theta.copy()
    for m in np.flatnonzero(residual >= TOLERANCE):  # fallback only; not a hot path

        def row(x: np.ndarray, m: int = m) -> np.ndarray:
            full = polished.copy()
            full[m] = x
            return operator(full)[m]

        polished[m] = scipy.optimize.root(row, theta[m], tol=1e-14).x
    residual = np.linalg.norm(operator(polished), axis=-1)
    return FixedPoint(polished, residual, max_iterations, "frozen-policy iteration + scipy root")


def agent_fixed_points(
    model: FederatedMDP, temperature: float, max_iterations: int = 200
) -> FixedPoint:
    """``theta*^(i)`` for every agent: roots of ``g_i`` (``theta [N, d]``)."""
    return _solve(model, temperature, False, max_iterations)


def federated_fixed_point(
    model: FederatedMDP, temperature: float, max_iterations: int = 200
) -> FixedPoint:
    """``theta*_fed``: root of ``(1/N) sum_i g_i`` (``theta [1, d]``)."""
    return _solve(model, temperature, True, max_iterations)


def averaged_fixed_point(
    model: FederatedMDP, temperature: float, max_iterations: int = 200
) -> FixedPoint:
    """``theta*_avg``: the SARSA fixed point of the averaged MDP (``theta [1, d]``)."""
    return _solve(model.averaged(), temperature, True, max_iterations)


__all__ = [
    "TOLERANCE",
    "FixedPoint",
    "agent_fixed_points",
    "averaged_fixed_point",
    "federated_fixed_point",
    "frozen_policy_system",
    "lipschitz_constant",
    "mean_path_operator",
    "softmax_policy",
    "state_action_distribution",
    "stationary_distribution",
]
