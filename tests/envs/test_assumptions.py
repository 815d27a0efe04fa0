"""Theory normalisations: checked on built models, recorded in metadata, voiding bounds in the
report and warned about by the spec's structure pass."""

from __future__ import annotations

import numpy as np
import pytest

from rltheory.envs import get_family
from rltheory.envs.assumptions import AssumptionWarning, check_assumptions
from rltheory.experiments.analysis import overlay_bounds
from rltheory.experiments.spec import load_spec
from rltheory.mdp import FiniteHorizonMDP, LowRankTransitions


def test_families_satisfying_jin_normalisation_report_nothing():
    for family, params in [("random-linear", {}), ("riverswim", {}), ("zgs-hard", {})]:
        model = get_family(family).build(np.random.default_rng(0), **params)
        assert model.metadata["assumption_violations"] == {}, family


def test_signed_measures_of_the_linear_hard_encodings_violate_the_tv_reading():
    """hf-hard's and zgs-hard's linear encodings exceed sqrt(d) in the total-variation norm of
    the measures by O(d^2 Delta^2), as their docstrings state."""
    for family in ("hf-hard", "zgs-hard"):
        model = get_family(family).build(np.random.default_rng(0), encoding="linear")
        violation = model.metadata["assumption_violations"]["jin-linear-mdp"]
        assert "|mu_h^(j)|(S)" in violation


def test_rescaled_features_are_caught():
    """The random simplex linear MDP with phi doubled and mu halved has the same kernel but
    ||phi|| up to 2: a deliberately broken normalisation."""
    base = get_family("random-linear").build(
        np.random.default_rng(1), n_states=6, n_actions=2, dim=3, horizon=2
    )
    t = base.transitions
    broken = FiniteHorizonMDP(
        LowRankTransitions(2 * t.phi, t.mu / 2),
        base.rewards,
        base.initial_distribution,
        reward_parameters=base.reward_parameters / 2,
    )
    violations = check_assumptions(broken)
    assert "max ||phi(s,a)||" in violations["jin-linear-mdp"]
    assert check_assumptions(base) == {}


def test_voided_bound_is_not_drawn():
    q = {"K": np.arange(1.0, 11.0), "d": 3, "H": 2, "S": 4, "A": 2, "p": 0.05, "beta": 1.0}
    mean = np.sqrt(q["K"])
    tail = q["K"] > 5
    curves, ratios, skipped = overlay_bounds("lsvi-ucb", q, mean, tail)
    assert {b.bound.id for b in curves} | {r.bound.id for r in ratios} >= {
        "lsvi-ucb-jin2020",
        "lsvi-ucb-envelope",
    }
    curves, ratios, skipped = overlay_bounds(
        "lsvi-ucb", q, mean, tail, frozenset({"jin-linear-mdp"})
    )
    assert not curves and not ratios
    assert any("lsvi-ucb-jin2020: void" in s for s in skipped)


def test_spec_structure_pass_warns_naming_assumption_and_bound(tmp_path):
    path = tmp_path / "spec.toml"
    path.write_text(
        'episodes = 10\nseeds = 1\n[env]\nid = "hf-hard"\nparams = { encoding = "linear" }\n'
        '[[algorithms]]\nid = "lsvi-ucb"\n'
    )
    with pytest.warns(AssumptionWarning, match=r"Assumption A.*lsvi-ucb-jin2020"):
        load_spec(path)
