"""Perturbed test models of a nominal model (robust offline RL: train nominal, test perturbed).

A family that has test models records ``metadata["perturbation"]`` on the model it builds:
``family`` (its id), ``parameter`` (the perturbed parameter), ``value`` (this model's value),
``grid`` (the paper's test values) and ``params`` (every other resolved build parameter, including
random draws such as an initial price), so a test model is an exact, seed-free rebuild.
"""

from __future__ import annotations

from typing import Any

from rltheory.envs.registry import make_model
from rltheory.mdp.models import FiniteHorizonMDP


def perturbation_spec(model: FiniteHorizonMDP) -> dict[str, Any]:
    """The model's perturbation record (a clear error when the family has no test models)."""
    spec = model.metadata.get("perturbation")
    if spec is None:
        raise ValueError(
            f"model '{model.name}' declares no perturbed test models (metadata['perturbation'])"
        )
    return spec


def perturbed_model(model: FiniteHorizonMDP, level: float) -> FiniteHorizonMDP:
    """The test model of ``model``'s family with its perturbation parameter set to ``level``."""
    spec = perturbation_spec(model)
    # seed-free by construction: every random draw of the nominal build is in spec["params"]
    return make_model(spec["family"], 0, **{**spec["params"], spec["parameter"]: level})


def perturbed_models(
    model: FiniteHorizonMDP, levels: list[float] | None = None
) -> list[FiniteHorizonMDP]:
    """Test models for ``levels`` (default: the family's grid from the paper)."""
    spec = perturbation_spec(model)
    return [perturbed_model(model, level) for level in (spec["grid"] if levels is None else levels)]
