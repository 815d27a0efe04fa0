"""The federated protocol end to end: spec -> cells -> run -> tidy frame -> report."""

from __future__ import annotations

import numpy as np
import pytest

from rltheory.bounds.fedsarsa import fedsarsa_shape, fit_error_terms
from rltheory.experiments import SpecError, run_experiment, spec_from_dict
from rltheory.experiments import results as R
from rltheory.experiments.report import make_report

SPEC = {
    "name": "fedsarsa-tiny",
    "seeds": 2,
    "steps": 60,
    "local_steps": [3, 60],
    "checkpoints": 10,
    "value_checkpoints": 2,
    "env": {"id": "federated-garnet", "params": {"n_agents": [1, 3], "n_states": 5}},
    "algorithms": [
        {
            "id": "fedsarsa",
            "params": {"temperature": 2.0, "schedule": "decaying", "step_size": 0.1},
        },
        {
            "id": "sarsa-linear",
            "params": {"temperature": 2.0, "projection_radius": 0.5, "step_size": 0.5},
        },
    ],
}


def test_federated_spec_runs_end_to_end(tmp_path):
    spec = spec_from_dict(SPEC)
    assert spec.protocol == "federated" and len(spec.cells()) == 2 * 2 * 2
    out = tmp_path / "results"
    run_experiment(spec, out, backend="inprocess")
    frame, manifest, _ = R.load_results(out)
    assert manifest["protocol"]["axis"] == {"column": "round", "quantity": "rounds"}
    fed = frame[frame["algorithm"] == "fedsarsa"]
    assert set(fed["run.K"]) == {3.0, 60.0} and fed["round"].max() == 20
    assert (frame["err_agent"] >= 0).all() and frame["run.residual_agent"].max() < 1e-10
    values = frame["value_gap"].dropna()
    assert len(values) > 0 and (values >= -1e-9).all()  # exact suboptimality is >= 0
    one = frame[frame["run.N"] == 1]
    np.testing.assert_allclose(one["err_agent"], one["err_fed"], rtol=1e-9)  # N = 1: same target
    projected = frame[frame["algorithm"] == "sarsa-linear"]
    assert projected["projection_active"].max() > 0
    assert (projected["monitor.projection_violation"] == 0).all()  # R = 0.5 < 2 ||theta*||
    report = make_report(out)
    rows = report.summary[report.summary["algorithm"] == "fedsarsa"]
    assert rows["bounds"].str.contains("fedsarsa-zhang2024").all()  # decaying schedule: drawn
    other = report.summary[report.summary["algorithm"] == "sarsa-linear"]
    assert not other["bounds"].str.contains("fedsarsa-zhang2024").any()


def test_federated_spec_errors_are_located():
    bad = {**SPEC, "local_steps": 0, "rounds": 3}
    with pytest.raises(SpecError) as error:
        spec_from_dict(bad)
    found = dict(error.value.problems)
    assert "positive integer" in found["local_steps"]
    assert "exactly one" in found["steps"]


def test_fit_recovers_known_coefficients_and_the_shape_is_the_theorem_terms():
    """A fit (not a bound): exact data c1/(NT) + c2 K²/T² + c3 gives back (c1, c2, c3)."""
    t = np.tile(np.geomspace(100, 1e5, 12), 4)
    n = np.repeat([1, 2, 10, 40], 12).astype(float)
    k = np.full_like(t, 10.0)
    mse = 3.0 / (n * t) + 0.5 * k**2 / t**2 + 0.01
    fit = fit_error_terms(t, n, k, mse)
    assert fit["c1"] == pytest.approx(3.0, rel=1e-6)
    assert fit["c2"] == pytest.approx(0.5, rel=1e-6)
    assert fit["c3"] == pytest.approx(0.01, rel=1e-6)
    q = {"T": np.array([10.0, 100.0]), "K": 2, "N": 4, "gamma": 0.5}
    np.testing.assert_allclose(fedsarsa_shape(q), 4 / (0.25 * q["T"] ** 2) + 1 / (4 * q["T"]))
