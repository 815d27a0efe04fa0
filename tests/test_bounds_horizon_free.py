"""Horizon-free bounds (total reward <= 1 units): formulas, exponents and catalogue links."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rltheory.bounds import bounds_for, get_bound

K = np.array([10.0, 100.0, 1000.0])
Q = {"K": K, "d": 4, "H": 20, "delta": 0.1}


def test_catalogue_links():
    assert next(b.id for b in bounds_for("hf-ucrl-vtr-plus")) == "hf-ucrl-vtr-plus-zhougu2022"
    assert "ucrl-vtr-ayoub2020" in {b.id for b in bounds_for("ucrl-vtr")}
    for algorithm in ("hf-ucrl-vtr-plus", "ucrl-vtr"):
        assert "horizon-free-lower-zhougu2022" in {b.id for b in bounds_for(algorithm)}
    reference = get_bound("horizon-free-linear-mdp-zhang2024")
    assert reference.algorithms == () and "inefficient" in reference.notes
    assert get_bound("horizon-free-lower-zhougu2022").kind == "lower"


def test_lsvi_ucb_in_unit_total_reward_units_is_held_against_the_converted_bound():
    """A run with clip = 1 is in total-reward <= 1 units: its main bound (the one whose slope
    the report prints beside the measured one) is Thm 3.1 over H (linear in H), not the per-step
    Thm 3.1 (H^2) nor the per-step envelope; every other run keeps the per-step bounds."""
    from rltheory.experiments.analysis import main_bound

    sizes = {"K": K, "d": 4, "H": 20, "p": 0.1, "beta": 0.1}
    unit = [b.id for b in bounds_for("lsvi-ucb") if b.kind == "upper" and b.applies(
        {**sizes, "clip": 1.0})]  # fmt: skip
    assert unit == ["lsvi-ucb-jin2020-unit-reward"]
    assert main_bound("lsvi-ucb", "H", {**sizes, "clip": 1.0}).exponents["H"] == 1.0
    per_step = {b.id for b in bounds_for("lsvi-ucb") if b.kind == "upper" and b.applies(sizes)}
    assert per_step == {"lsvi-ucb-jin2020", "lsvi-ucb-envelope"}
    assert main_bound("lsvi-ucb", "H", {**sizes, "clip": 5.0}).id == "lsvi-ucb-jin2020"


@pytest.mark.parametrize(
    ("bound_id", "formula", "exponents"),
    [
        (
            "hf-ucrl-vtr-plus-zhougu2022",
            lambda k, d, h, log: d * math.sqrt(k) * log + d * d * log * log,
            {"K": 0.5, "d": 1.0, "H": 0.0},
        ),
        (
            "horizon-free-linear-mdp-zhang2024",
            lambda k, d, h, log: (d**5.5 * math.sqrt(k) + d**6.5) * log,
            {"K": 0.5, "d": 5.5, "H": 0.0},
        ),
        (
            "ucrl-vtr-ayoub2020",
            lambda k, d, h, log: d * h * math.sqrt(k) * log,
            {"K": 0.5, "d": 1.0, "H": 1.0},
        ),
        (
            "lsvi-ucb-jin2020-unit-reward",
            lambda k, d, h, log: (
                math.sqrt(d**3 * h**3 * k * h * math.log(2 * d * k * h / 0.1) ** 2) / h
            ),
            {"K": 0.5, "d": 1.5, "H": 1.0},
        ),
        (
            "horizon-free-lower-zhougu2022",
            lambda k, d, h, log: d * math.sqrt(k),
            {"K": 0.5, "d": 1.0, "H": 0.0},
        ),
    ],
)
def test_formulas_and_exponents(bound_id, formula, exponents):
    """Shapes against the formulas written out by hand (log = log(K H / delta))."""
    bound = get_bound(bound_id)
    expected = [formula(k, 4, 20, math.log(k * 20 / 0.1)) for k in K]
    np.testing.assert_allclose(bound.shape_at(Q), expected, rtol=1e-12)
    assert dict(bound.exponents) == exponents
    assert bound.constant is None
    with pytest.raises(ValueError, match="delta"):
        bound.shape_at({**Q, "delta": 2.0})
    with pytest.raises(ValueError, match="needs quantities"):
        bound.shape_at({"K": K})
