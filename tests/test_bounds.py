"""Bound objects of the LSVI family and the lower bounds: formulas, exponents, catalogue."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rltheory.bounds import bounds_for, get_bound

K = np.array([10.0, 100.0, 1000.0, 10_000.0])
PARAMS = {"K": K, "d": 10, "H": 10, "S": 50, "A": 5, "p": 0.05, "beta": 0.1, "c": 1.0}


def test_catalogue_per_algorithm():
    ids = {a: {b.id for b in bounds_for(a)} for a in ("lsvi-ucb", "lsvi-greedy", "ucbvi")}
    lower = {"linear-mixture-lower-zgs2021", "tabular-lower", "linear-mdp-lower-jin2020"}
    assert ids["lsvi-ucb"] >= {"lsvi-ucb-jin2020", "lsvi-ucb-envelope"} | lower
    assert ids["lsvi-greedy"] >= lower
    assert not ids["lsvi-greedy"] & {"lsvi-ucb-jin2020", "lsvi-ucb-envelope"}
    assert "tabular-lower-stationary" in ids["ucbvi"]
    for bound_id in lower | {"tabular-lower-stationary"}:
        assert get_bound(bound_id).kind == "lower"
        assert get_bound(bound_id).constant is None


def test_jin2020_formula_and_metadata():
    bound = get_bound("lsvi-ucb-jin2020")
    assert bound.kind == "upper"
    assert bound.constant is None
    assert "high-probability pseudo-regret" in bound.quantity
    assert dict(bound.exponents) == {"K": 0.5, "d": 1.5, "H": 2.0}
    d, h, p = 10, 10, 0.05
    expected = [math.sqrt(d**3 * h**3 * (k * h) * math.log(2 * d * k * h / p) ** 2) for k in K]
    np.testing.assert_allclose(bound.shape_at(PARAMS), expected, rtol=1e-12)
    with pytest.raises(ValueError, match="no constant"):
        bound.value(PARAMS)


def test_envelope_formula_for_the_beta_run():
    bound = get_bound("lsvi-ucb-envelope")
    assert bound.constant == 1.0
    d, h, p, beta = 10, 10, 0.05, 0.1
    expected = [
        2 * h * math.sqrt(2 * k * h * math.log(4 / p))
        + 2 * beta * h * math.sqrt(2 * d * k * math.log(1 + k))
        for k in K
    ]
    np.testing.assert_allclose(bound.value(PARAMS), expected, rtol=1e-12)
    # the envelope is for the bonus actually run: without run.beta it is not drawn
    without_beta = {key: v for key, v in PARAMS.items() if key != "beta"}
    assert bound.missing(without_beta) == ["beta"]
    with pytest.raises(ValueError, match=r"needs quantities \['beta'\]"):
        bound.shape_at(without_beta)


@pytest.mark.parametrize(
    ("bound_id", "formula"),
    [
        ("linear-mixture-lower-zgs2021", lambda k, d, h, s, a: d * h * math.sqrt(k * h)),
        ("tabular-lower", lambda k, d, h, s, a: math.sqrt(h**2 * s * a * k * h)),
        ("tabular-lower-stationary", lambda k, d, h, s, a: math.sqrt(h * s * a * k * h)),
        ("linear-mdp-lower-jin2020", lambda k, d, h, s, a: math.sqrt(d * h**2 * k * h)),
    ],
)
def test_lower_bound_formulas(bound_id, formula):
    bound = get_bound(bound_id)
    expected = [formula(k, 10, 10, 50, 5) for k in K]
    np.testing.assert_allclose(bound.shape_at(PARAMS), expected, rtol=1e-12)


@pytest.mark.parametrize(
    "bound_id",
    [
        "linear-mixture-lower-zgs2021",
        "tabular-lower",
        "tabular-lower-stationary",
        "linear-mdp-lower-jin2020",
        "lsvi-ucb-jin2020",
    ],
)
def test_declared_exponents_match_the_formula(bound_id):
    """Finite-difference log-slopes of the shape in K, d, H, S, A equal the declared exponents
    (logarithmic factors move the slope by at most 1/log(2dKH/p) ~ 0.06 at these sizes)."""
    bound = get_bound(bound_id)
    base = {"K": 1000, "d": 10, "H": 10, "S": 50, "A": 5, "p": 0.05}
    for name, exponent in bound.exponents.items():
        scaled = dict(base, **{name: base[name] * 2})
        slope = math.log2(bound.shape_at(scaled) / bound.shape_at(base))
        tolerance = 0.1 if bound_id == "lsvi-ucb-jin2020" else 1e-12
        assert slope == pytest.approx(exponent, abs=tolerance), (bound_id, name)


def _log_slope(bound_id: str, name: str, base: dict) -> float:
    """d log(shape) / d log(name) by doubling the quantity ``name`` at ``base``."""
    bound = get_bound(bound_id)
    scaled = dict(base, **{name: base[name] * 2})
    return float(math.log2(bound.shape_at(scaled) / bound.shape_at(base)))


MINIMAX_PAIRS = [
    ("lsvi-ucb-jin2020", "linear-mdp-lower-jin2020", False),
    ("ucbvi-ch-azar2017", "tabular-lower-stationary", False),
    ("ucbvi-bf-azar2017", "tabular-lower-stationary", True),
]
"""(upper, lower, matches): bounds of one setting; ``matches`` when the paper claims the upper
bound is minimax-optimal (Azar et al. 2017, Theorem 2 against the stationary lower bound)."""


@pytest.mark.parametrize(("upper_id", "lower_id", "matches"), MINIMAX_PAIRS)
def test_no_upper_bound_grows_slower_than_its_lower_bound(upper_id, lower_id, matches):
    """Measured from the formulas, not the declared exponents: at K = 1e16 (lower-order terms
    negligible) the upper bound's log-slope in every quantity the lower bound grows with is at
    least the lower bound's; both grow like sqrt(K); and a bound claimed minimax-optimal has
    the lower bound's slopes in S, A, H too (within 0.1, the logarithmic factors). A typo in
    either formula (a missing power, CH's H^1.5 in BF, a lower bound in K rather than sqrt(K))
    fails here."""
    base = {"K": 1e16, "d": 5, "H": 5, "S": 5, "A": 2, "p": 0.05, "delta": 0.05}
    lower = get_bound(lower_id)
    assert _log_slope(lower_id, "K", base) == pytest.approx(0.5, abs=1e-9)
    assert _log_slope(upper_id, "K", base) == pytest.approx(0.5, abs=0.1)
    for name in lower.exponents:
        upper_slope, lower_slope = (
            _log_slope(upper_id, name, base),
            _log_slope(lower_id, name, base),
        )
        assert upper_slope >= lower_slope - 1e-9, (name, upper_slope, lower_slope)
        if matches:
            assert upper_slope == pytest.approx(lower_slope, abs=0.1), (name, upper_slope)


@pytest.mark.parametrize("algorithm", ["lsvi-ucb", "ucbvi"])
def test_lower_bound_exponents_never_exceed_the_main_upper_bound(algorithm):
    """A minimax lower bound growing faster than the algorithm's proven upper bound in K, d, H,
    S or A would be a contradiction: a wrongly declared exponent (or a lower bound listed for
    the wrong setting, e.g. the step-dependent tabular rate for stationary UCBVI) breaks this."""
    main = next(b for b in bounds_for(algorithm) if b.kind == "upper")
    lowers = [b for b in bounds_for(algorithm) if b.kind == "lower"]
    assert lowers
    for lower in lowers:
        for name, exponent in lower.exponents.items():
            if name in main.exponents:
                assert exponent <= main.exponents[name], (lower.id, name)


def test_structural_conditions_decide_where_a_bound_applies():
    """The tabular lower bound applies on one-hot instances (d = S A) only; the Bernstein UCBVI
    theorem only to Bernstein runs (both were drawn everywhere before)."""
    tabular = get_bound("tabular-lower")
    assert tabular.applies({**PARAMS, "d": 250})
    assert not tabular.applies(PARAMS)
    bf = get_bound("ucbvi-bf-azar2017")
    assert bf.applies({**PARAMS, "delta": 0.1, "bonus": "bernstein"})
    assert not bf.applies({**PARAMS, "delta": 0.1, "bonus": "hoeffding"})


def test_bad_parameters_raise():
    with pytest.raises(ValueError, match="needs quantities"):
        get_bound("lsvi-ucb-jin2020").shape_at({"d": 10, "H": 10})
    with pytest.raises(ValueError, match="p must be in"):
        get_bound("lsvi-ucb-jin2020").shape_at({**PARAMS, "p": 1.5})
    with pytest.raises(ValueError, match="d must be > 0"):
        get_bound("linear-mdp-lower-jin2020").shape_at({**PARAMS, "d": 0})
