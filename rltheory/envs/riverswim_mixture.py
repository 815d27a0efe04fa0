"""RiverSwim as a low-dimensional linear mixture MDP (d = 3), with one-hot linear-MDP features.

The RiverSwim kernel (:func:`rltheory.envs.classic.riverswim_kernel`) has one unknown triple: the
probabilities ``w = (forward, stay, back) = (0.3, 0.6, 0.1)`` of the "right" action in interior
states. Basis (each ``psi_j(.|s,a)`` a distribution, so ``phi = psi/sqrt 3`` satisfies
``||phi_V|| <= 1`` for ``V in [0,1]^S``, and ``theta* = sqrt 3 · w``):

- left (a = 0): ``psi_j(.|s,0) = e_{max(s-1, 0)}`` for every j (deterministic, any weights
  summing to 1 reproduce it);
- right, interior s: ``psi_0 = e_{s+1}``, ``psi_1 = e_s``, ``psi_2 = e_{s-1}``;
- right at ``s = S-1``: ``psi_0 = psi_1 = e_{S-1}``, ``psi_2 = e_{S-2}`` (stay 0.9, back 0.1);
- right at ``s = 0``: ``psi_0 = psi_2 = e_1``, ``psi_1 = (e_0 + e_1)/2`` (stay 0.3, move 0.7:
  Strehl & Littman's / Ayoub's boundary row; this basis row is our construction for it).

The same model carries one-hot features ``e_(s,a)`` (``d = 2S``), so linear-MDP learners
(LSVI-UCB) and linear-mixture learners run on one kernel.
"""

from __future__ import annotations

import numpy as np

from rltheory.envs import _common
from rltheory.envs.classic import riverswim_kernel
from rltheory.envs.registry import register_family
from rltheory.envs.transforms import one_hot_features
from rltheory.mdp.models import FiniteHorizonMDP
from rltheory.mdp.transitions import LinearMixtureTransitions

RIVERSWIM_RIGHT = np.array([0.3, 0.6, 0.1])
"""``(forward, stay, back)`` probabilities of RiverSwim's "right" action in interior states."""


def riverswim_mixture_basis(n_states: int) -> np.ndarray:
    """The basis ``psi [S, 2, S, 3]`` of the module docstring (unnormalised distributions)."""
    states = np.arange(n_states)
    psi = np.zeros((n_states, 2, n_states, 3))
    psi[states, 0, np.maximum(states - 1, 0), :] = 1.0
    interior = states[1:-1]
    psi[interior, 1, interior + 1, 0] = 1.0
    psi[interior, 1, interior, 1] = 1.0
    psi[interior, 1, interior - 1, 2] = 1.0
    last = n_states - 1
    psi[last, 1, last, :2] = 1.0
    psi[last, 1, last - 1, 2] = 1.0
    psi[0, 1, 1, [0, 2]] = 1.0
    psi[0, 1, [0, 1], 1] = 0.5
    return psi


@register_family(
    "riverswim-mixture",
    gym_name="RiverSwimMixture",
    citation="Strehl & Littman 2008 RiverSwim (Ayoub et al. 2020 testbed) as a d = 3 mixture",
    summary="RiverSwim, linear mixture with d = 3 (unknown right-action probabilities) and one-hot "
    "linear-MDP features (d = 2S)",
)
def riverswim_mixture(
    rng: np.random.Generator, *, n_states: int = 5, horizon: int = 20
) -> FiniteHorizonMDP:
    """RiverSwim (``r(0, left) = 0.005``, ``r(S-1, right) = 1``, start 0, time-homogeneous) with
    the d = 3 mixture basis of the module docstring; deterministic, ignores rng. The kernel
    equals :func:`rltheory.envs.classic.riverswim_kernel` exactly (checked on construction)."""
    n_states = _common.integer("n_states", n_states, minimum=3)
    horizon = _common.integer("horizon", horizon)
    root_d = np.sqrt(3.0)
    theta = root_d * RIVERSWIM_RIGHT
    transitions = LinearMixtureTransitions(riverswim_mixture_basis(n_states) / root_d, theta)
    gap = np.abs(transitions.dense()[0] - riverswim_kernel(n_states)).max()
    if gap > 1e-12:  # the construction itself is wrong: not a user error
        raise AssertionError(f"riverswim-mixture kernel differs from RiverSwim by {gap:.3g}")
    rewards = np.zeros((n_states, 2))
    rewards[0, 0], rewards[-1, 1] = 0.005, 1.0
    model = FiniteHorizonMDP(
        transitions,
        np.broadcast_to(rewards, (horizon, n_states, 2)),
        _common.point_mass(0, n_states),
        name=f"riverswim-mixture(S={n_states}, H={horizon})",
        metadata={
            "norm_bound": float(np.linalg.norm(theta)),
            "mixture": "d = 3 (forward, stay, back)",
        },
    )
    return one_hot_features(model)
