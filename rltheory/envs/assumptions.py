"""The normalisations the theorems assume, stated and checked on a built model.

Each :class:`Assumption` names the condition and the paper it comes from; bounds list the ids
they rely on (``rltheory.bounds.Bound.assumes``). :func:`check_assumptions` returns the
violated ones with the measured value; family builds record it in
``model.metadata["assumption_violations"]`` (:meth:`rltheory.envs.registry.FamilyEntry.build`),
the online protocol writes it into every row (``assumptions.violated``), the report does not
draw a bound whose assumption fails and the spec's structure pass warns
(:class:`AssumptionWarning`). Conditions that cannot be read off the model (e.g. the measures of
a linear MDP given only as a dense kernel) are not checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from rltheory.mdp import FiniteHorizonMDP, LinearMixtureTransitions, LowRankTransitions

SLACK = 1e-9
"""Relative slack for rounding in the norm checks."""


class AssumptionWarning(UserWarning):
    """An environment violates an assumption a theorem drawn for it relies on."""


@dataclass(frozen=True)
class Assumption:
    """A normalisation a theorem assumes: ``id``, the condition and where it is stated."""

    id: str
    statement: str


ASSUMPTIONS = {
    a.id: a
    for a in (
        Assumption(
            "jin-linear-mdp",
            "Jin, Yang, Wang, Jordan 2020, Assumption A: ||phi(s,a)|| <= 1, "
            "||(|mu_h^(j)|(S))_j|| <= sqrt(d) (total-variation reading), ||theta_h|| <= sqrt(d)",
        ),
        Assumption(
            "mixture-norm",
            "linear mixture (Ayoub et al. 2020; Zhou, Gu, Szepesvári 2021): ||theta_h|| <= B",
        ),
        Assumption("rewards-in-range", "per-step mean rewards r_h(s,a) in [0, 1]"),
    )
}


def check_assumptions(model: Any) -> dict[str, str]:
    """``{assumption id: what failed, with the measured value}`` for the violated assumptions
    of ``model`` that apply to it (empty when all hold or none applies)."""
    if not isinstance(model, FiniteHorizonMDP):
        return {}
    out = {}
    rewards = np.asarray(model.rewards)
    if rewards.min() < 0 or rewards.max() > 1:
        out["rewards-in-range"] = f"rewards span [{rewards.min():.3g}, {rewards.max():.3g}]"
    if model.features is not None and model.realizable:
        failures = _jin(model)
        if failures:
            out["jin-linear-mdp"] = "; ".join(failures)
    transitions = model.transitions
    bound = model.metadata.get("B")
    if isinstance(transitions, LinearMixtureTransitions) and bound is not None:
        norm = float(np.linalg.norm(transitions.theta, axis=-1).max())
        if norm > bound * (1 + SLACK):
            out["mixture-norm"] = f"max_h ||theta_h|| = {norm:.4g} > B = {bound:.4g}"
    return out


def _jin(model: FiniteHorizonMDP) -> list[str]:
    phi = np.asarray(model.features, dtype=float)
    root_d = float(np.sqrt(phi.shape[-1]))
    failures = []
    norm = float(np.linalg.norm(phi, axis=-1).max())
    if norm > 1 + SLACK:
        failures.append(f"max ||phi(s,a)|| = {norm:.4g} > 1")
    if model.reward_parameters is not None:
        theta = float(np.linalg.norm(model.reward_parameters, axis=-1).max())
        if theta > root_d * (1 + SLACK):
            failures.append(f"max_h ||theta_h|| = {theta:.4g} > sqrt(d) = {root_d:.4g}")
    if isinstance(model.transitions, LowRankTransitions):
        masses = np.abs(model.transitions.mu).sum(-1)  # [L, d]: |mu_h^(j)|(S)
        tv = float(np.linalg.norm(masses, axis=-1).max())
        if tv > root_d * (1 + SLACK):
            failures.append(f"max_h ||(|mu_h^(j)|(S))_j|| = {tv:.6g} > sqrt(d) = {root_d:.6g}")
    return failures


def describe_violations(violations: dict[str, str]) -> list[str]:
    """One line per violation: the assumption's statement and what failed."""
    return [f"{ASSUMPTIONS[key].statement}: {value}" for key, value in sorted(violations.items())]
