"""The model layer: exact MDPs, transition operators and exact planning.

Public API (stable): :func:`optimal`, :func:`evaluate`, the model classes and operators.
"""

from rltheory.mdp.circulant import CirculantTransitions
from rltheory.mdp.federated import FederatedMDP, StackedKernels
from rltheory.mdp.lp import LPSolution, occupancy_lp
from rltheory.mdp.models import DiscountedMDP, FiniteHorizonMDP
from rltheory.mdp.planning import (
    Solution,
    backward_induction,
    best_in_hindsight,
    discounted_occupancy,
    evaluate,
    initial_value,
    occupancy,
    optimal,
    q_values,
)
from rltheory.mdp.robust import RobustMDP, robust_evaluate, robust_optimal, robust_q_values
from rltheory.mdp.rollout import Trajectories, draw_uniforms, rollout, rollout_from_uniforms
from rltheory.mdp.transitions import (
    DenseTransitions,
    LinearMixtureTransitions,
    LowRankTransitions,
    TransitionOperator,
)

__all__ = [
    "CirculantTransitions",
    "DenseTransitions",
    "DiscountedMDP",
    "FederatedMDP",
    "FiniteHorizonMDP",
    "LPSolution",
    "LinearMixtureTransitions",
    "LowRankTransitions",
    "RobustMDP",
    "Solution",
    "StackedKernels",
    "Trajectories",
    "TransitionOperator",
    "backward_induction",
    "best_in_hindsight",
    "discounted_occupancy",
    "draw_uniforms",
    "evaluate",
    "initial_value",
    "occupancy",
    "occupancy_lp",
    "optimal",
    "q_values",
    "robust_evaluate",
    "robust_optimal",
    "robust_q_values",
    "rollout",
    "rollout_from_uniforms",
]
