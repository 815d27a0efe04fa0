"""The simulated d-rectangular linear MDP of Liu & Xu (2024), nominal and perturbed.

Five states ``x1..x5`` (indices 0..4; ``x4`` fails, ``x5`` is the goal, both absorbing), actions
``a in {-1, 1}^4`` (16, in ``itertools.product`` order), ``H = 3``, ``d = 4``, and
``<xi, a>`` with ``xi = xi_norm (1, 1, 1, 1) / 4``:

    phi(x1, a) = (1 - delta - <xi,a>, 0, 0, delta + <xi,a>)     phi(x4, .) = (0, 0, 1, 0)
    phi(x2, a) = (0, 1 - delta - <xi,a>, 0, delta + <xi,a>)     phi(x5, .) = (0, 0, 0, 1)
    phi(x3, a) = (0, 0, 1 - delta - <xi,a>, delta + <xi,a>)

Factors (all steps): ``mu_1 = (1-p) x2 + p x4``, ``mu_2 = (1-p) x3 + p x4``, ``mu_3 = x4``,
``mu_4 = x5`` with ``p = fail_prob``; rewards ``r_h = <phi, theta_h>``, ``theta_1 = 0``,
``theta_2 = theta_3 = e_4``; start in ``x1``. The test models of Tang, Liu, Xu (2025, §6.1,
"perturb transition on time step 1") replace the step-1 factors by ``mu_1 = x2`` and
``mu_4 = q x4 + (1 - q) x5`` (``perturbation = q``); ``perturbation=None`` is the nominal model
the data come from. With ``x1`` only reachable at step 1, ``x2`` at step 2 and ``x3`` at step 3,
these time-homogeneous factors reproduce the authors' simulator on every reachable state.
"""

from __future__ import annotations

import itertools

import numpy as np

from rltheory.envs import _common
from rltheory.envs.registry import register_family
from rltheory.mdp.models import FiniteHorizonMDP
from rltheory.mdp.transitions import LowRankTransitions

HORIZON, N_STATES, DIM = 3, 5, 4
FAIL, GOAL = 3, 4
PERTURBATION_GRID = tuple(round(0.1 * i, 10) for i in range(11))
"""Test perturbations q of Tang, Liu, Xu (2025), Fig. 1(a)-(b)."""


def _features(delta: float, xi_norm: float) -> np.ndarray:
    """``phi [5, 16, 4]`` of the module docstring."""
    actions = np.array(list(itertools.product([-1.0, 1.0], repeat=4)))
    shift = delta + actions @ np.full(4, xi_norm / 4.0)  # delta + <xi, a>
    phi = np.zeros((N_STATES, len(actions), DIM))
    for state in range(3):
        phi[state, :, state] = 1.0 - shift
        phi[state, :, 3] = shift
    phi[FAIL, :, 2] = 1.0
    phi[GOAL, :, 3] = 1.0
    return phi


@register_family(
    "liu-xu-linear",
    gym_name="LiuXuLinear",
    citation=(
        "Liu & Xu 2024 (AISTATS), simulated linear MDP; perturbed at step 1 as in Tang, Liu, Xu "
        "2025 (ICML), Section 6.1 / Fig. 1"
    ),
    summary="5-state, 16-action d-rectangular linear MDP (d=4, H=3); perturbation q at step 1",
)
def liu_xu_linear(
    rng: np.random.Generator,
    *,
    delta: float = 0.3,
    xi_norm: float = 0.2,
    fail_prob: float = 0.001,
    perturbation: float | None = None,
) -> FiniteHorizonMDP:
    """Nominal (``perturbation=None``) or step-1-perturbed (``perturbation=q``) model.

    Deterministic (``rng`` is unused). ``delta`` and ``xi_norm`` must keep
    ``delta +- xi_norm`` in [0, 1] so that the features lie on the simplex.
    """
    delta = _common.real("delta", delta, high=1.0)
    xi_norm = _common.real("xi_norm", xi_norm, high=1.0)
    fail_prob = _common.real("fail_prob", fail_prob, high=1.0)
    if delta - xi_norm < 0 or delta + xi_norm > 1:
        raise ValueError(
            f"parameters 'delta' +- 'xi_norm' must stay in [0, 1] (features on the simplex), got "
            f"delta={delta}, xi_norm={xi_norm}"
        )
    if perturbation is not None:
        perturbation = _common.real("perturbation", perturbation, high=1.0)
    phi = _features(delta, xi_norm)
    factor = np.zeros((DIM, N_STATES))
    factor[0, [1, FAIL]] = [1.0 - fail_prob, fail_prob]
    factor[1, [2, FAIL]] = [1.0 - fail_prob, fail_prob]
    factor[2, FAIL] = 1.0
    factor[3, GOAL] = 1.0
    mu = np.repeat(factor[None], HORIZON, axis=0)
    if perturbation is not None:
        unit = np.eye(N_STATES)
        mu[0, 0] = unit[1]
        mu[0, 3] = perturbation * unit[FAIL] + (1 - perturbation) * unit[GOAL]
    theta = np.zeros((HORIZON, DIM))
    theta[1:, 3] = 1.0
    rewards = np.einsum("sad,hd->hsa", phi, theta)
    label = "nominal" if perturbation is None else f"q={perturbation:g}"
    params = {"delta": delta, "xi_norm": xi_norm, "fail_prob": fail_prob}
    return FiniteHorizonMDP(
        LowRankTransitions(phi, mu),
        rewards,
        _common.point_mass(0, N_STATES),
        reward_parameters=theta,
        name=f"liu-xu-linear({label})",
        metadata={
            "perturbation": {
                "family": "liu-xu-linear",
                "parameter": "perturbation",
                "value": perturbation,
                "grid": list(PERTURBATION_GRID),
                "params": params,
            },
            "fail_state": FAIL,
            "goal_state": GOAL,
        },
    )
