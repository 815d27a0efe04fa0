"""The adversarial and delayed protocols end to end: the shipped specs validate, a small run
writes a tidy table with exact regret and delays, and the report draws the registered bounds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rltheory.experiments import SpecError, load_spec, run_experiment, spec_from_dict
from rltheory.experiments import results as R
from rltheory.experiments.delay_fit import fit_delay_shape, fit_joint, fit_profiles
from rltheory.experiments.report import make_report
from rltheory.experiments.runner import CellFailedError
from rltheory.specs import path as shipped_spec

ROOT = Path(__file__).resolve().parents[2]

SMALL = {
    "name": "delayed-small",
    "protocol": "delayed",
    "seeds": 2,
    "checkpoints": 5,
    "env": {
        "id": "delayed-adversarial",
        "params": {
            "kind": "piecewise",
            "n_states": 3,
            "n_actions": 2,
            "horizon": 2,
            "n_episodes": 40,
            "switch_every": 5,
            "delay": ["none", "geometric"],
        },
    },
    "algorithms": [
        {"id": "dapo", "params": {"eta": 0.2}},
        {"id": "po-bandit", "params": {"eta": 0.2}},
    ],
}


@pytest.mark.parametrize("name", ["dapo_delay_profiles", "oppo_full_information"])
def test_shipped_specs_validate(name):
    spec = load_spec(shipped_spec(name))
    assert spec.protocol in ("adversarial", "delayed") and spec.cells()


def test_delayed_protocol_runs_end_to_end_and_the_report_draws_the_bounds(tmp_path):
    spec = spec_from_dict(SMALL)
    out = tmp_path / "results"
    run_experiment(spec, out, backend="inprocess")
    frame, manifest, _ = R.load_results(out)
    assert {"regret", "realized_regret", "delay_incurred", "run.D", "run.D_K"} <= set(frame)
    assert (frame["regret"] >= -1e-9).all() and frame["episode"].max() == 40
    none = frame[frame["setting"].str.contains("delay=none")]
    assert (none["delay_incurred"] == 0).all() and (none["run.D"] == 0).all()
    # zero delays: DAPO and po-bandit coincide exactly (same seeds, same environment)
    dapo = none[none["algorithm"] == "dapo"].sort_values(["seed", "episode"])
    po = none[none["algorithm"] == "po-bandit"].sort_values(["seed", "episode"])
    np.testing.assert_array_equal(dapo["regret"].to_numpy(), po["regret"].to_numpy())
    late = frame[frame["setting"].str.contains("delay=geometric")]
    assert late["run.D"].iloc[0] > 0 and late["delay_incurred"].is_monotonic_increasing is False
    assert manifest["protocol"]["name"] == "delayed"
    report = make_report(out)
    bounds = " ".join(report.summary["bounds"].astype(str))
    assert "dapo-fitted-shape" in bounds and "po-dilated-luo2021" in bounds
    fits = fit_profiles(frame[frame["algorithm"] == "dapo"])
    assert len(fits) == 2 and (fits[["a", "b", "c"]] >= 0).all().all()
    joint, residuals = fit_joint(frame)
    assert len(joint) == 2 and len(residuals) == 4 and (residuals["residual"] >= 0).all()


def test_full_information_learner_is_refused_bandit_feedback(tmp_path):
    data = {
        "protocol": "adversarial",
        "seeds": 1,
        "env": {"id": "adversarial-mixture", "params": {"n_episodes": 5}},
        "algorithms": [{"id": "oppo"}],
    }
    spec = spec_from_dict(data)
    with pytest.raises(CellFailedError, match="OPPO needs full-information feedback"):
        run_experiment(spec, tmp_path / "r", backend="inprocess")
    with pytest.raises(SpecError, match="feedback"):
        spec_from_dict({**data, "feedback": "partial"})


def test_delay_shape_fit_recovers_known_coefficients_and_rejects_bad_shapes():
    episodes = np.arange(1.0, 60.0)
    incurred = np.cumsum(np.where(np.arange(59) % 7 == 0, 20.0, 1.0))
    fit = fit_delay_shape(episodes, incurred, 2.0 * np.sqrt(episodes) + 0.5 * np.sqrt(incurred))
    assert fit.a == pytest.approx(2.0, abs=1e-8) and fit.b == pytest.approx(0.5, abs=1e-8)
    assert fit.residual < 1e-8
    broken = fit_delay_shape(episodes, incurred, episodes)  # linear regret: the shape misfits
    assert broken.residual > 0.5
    with pytest.raises(ValueError, match="1-d arrays"):
        fit_delay_shape(episodes, incurred[:-1], episodes)


def test_joint_fit_separates_a_from_b_where_one_profile_cannot():
    """Two stationary profiles (D_K = m K) and no delay: per profile sqrt D_K is proportional to
    sqrt K, so only the joint fit recovers (a, b) = (2, 0.5)."""
    import pandas as pd

    episodes = np.arange(1.0, 41.0)
    rows = []
    for name, mean_delay in (("none", 0.0), ("d2", 2.0), ("d9", 9.0)):
        incurred = mean_delay * episodes
        regret = 2.0 * np.sqrt(episodes) + 0.5 * np.sqrt(incurred)
        rows.append(pd.DataFrame({"setting": name, "label": "x", "episode": episodes,
                                  "delay_incurred": incurred, "regret": regret}))  # fmt: skip
    frame = pd.concat(rows, ignore_index=True)
    joint, residuals = fit_joint(frame)
    assert joint["a"].iloc[0] == pytest.approx(2.0, abs=1e-6)
    assert joint["b"].iloc[0] == pytest.approx(0.5, abs=1e-6)
    assert residuals["residual"].max() < 1e-6
    single = fit_profiles(frame[frame["setting"] == "d9"])
    assert abs(single["a"].iloc[0] - 2.0) > 0.1  # one stationary profile cannot identify a
