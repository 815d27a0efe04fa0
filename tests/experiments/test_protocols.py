"""The protocol layer: the online protocol reproduces the pre-protocol runner bit for bit, a
protocol registered from a plugin runs end to end with its own axis, metric and bound, every
registered family validates or is refused with its missing structure, provenance is checked."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rltheory.algos import entries, structures_of
from rltheory.envs import families
from rltheory.experiments import SpecError, load_spec, run_experiment, spec_from_dict
from rltheory.experiments import results as R
from rltheory.experiments.protocols import get_protocol
from rltheory.experiments.report import make_report
from rltheory.experiments.runner import run_cell
from rltheory.specs import path as shipped_spec
from rltheory.testing import scoped_registrations

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "data" / "quickstart_small_before_protocols.parquet"


def test_quickstart_table_is_bit_identical_to_the_runner_before_protocols():
    """``tests/data`` holds the quickstart's table (3 seeds, K = 300) computed by the runner
    before the protocol layer (commit 3a28949); every column but the cell key (a hash that now
    names the protocol) and wall time must be equal, bit for bit (the proof-event monitor and
    assumption columns, added since, are not in the stored table; nor is LSVI-UCB's
    ``tie_break``, added since with the then-only rule "lowest" as its default)."""
    spec = load_spec(shipped_spec("quickstart")).with_overrides(seeds=3, episodes=300)
    new = pd.concat([run_cell(cell) for cell in spec.cells()], ignore_index=True)
    old = pd.read_parquet(GOLDEN)
    monitors = {c for c in new.columns if c.startswith(("monitor.", "assumptions."))}
    assert monitors, "the quickstart's LSVI-UCB and UCBVI declare proof-event monitors"
    lsvi = (new["algorithm"] == "lsvi-ucb").to_numpy()
    assert (new.loc[lsvi, "algo.tie_break"] == "lowest").all()
    added = monitors | {"algo.tie_break"}
    assert set(new.columns) - {R.CELL, "wall_time"} - added == set(old.columns)
    # UCBVI's pooled default changed from None (auto: pooled on these time-homogeneous models)
    # to the paper's True; the numbers are unchanged.
    ucbvi = (old["algorithm"] == "ucbvi").to_numpy()
    assert old.loc[ucbvi, "algo.pooled"].isna().all() and new.loc[ucbvi, "algo.pooled"].all()
    old["algo.pooled"] = np.where(ucbvi, True, old["algo.pooled"]).astype(bool)
    for column in old.columns:
        pd.testing.assert_series_equal(
            new[column], old[column], check_exact=True, check_names=False, obj=column
        )


@pytest.fixture
def toy_protocol():
    """Import the plugin module (registering protocol, algorithm and bound); remove them after."""
    with scoped_registrations():
        sys.modules.pop("toy_protocol_plugin", None)
        try:
            yield importlib.import_module("toy_protocol_plugin")
        finally:
            sys.modules.pop("toy_protocol_plugin", None)


TOY_OFFLINE = """
name = "toy-offline"
imports = ["toy_experiment_plugins", "toy_protocol_plugin"]
seeds = 3
dataset_sizes = [2, 8, 32, 128]
[env]
id = "toy-tabular"
params = { n_states = 3 }
[[algorithms]]
id = "toy-plug-in"
"""


def test_a_plugin_protocol_runs_end_to_end(toy_protocol, write_spec, tmp_path):
    bad = TOY_OFFLINE.replace(
        "dataset_sizes = [2, 8, 32, 128]", "episodes = 5\ndataset_sizes = [0]"
    )
    bad += '[[algorithms]]\nid = "lsvi-ucb"\n'
    with pytest.raises(SpecError) as error:
        load_spec(write_spec(bad, "bad.toml"))
    found = dict(error.value.problems)
    assert "accepted:" in found["episodes"] and "dataset_sizes" in found["episodes"]
    assert "positive integers" in found["dataset_sizes"]
    assert (
        "follows the online protocol but this spec runs the toy-offline"
        in found["algorithms[1].id"]
    )

    spec = load_spec(write_spec(TOY_OFFLINE))
    assert spec.protocol == "toy-offline" and len(spec.cells()) == 1
    out = tmp_path / "results"
    run_experiment(spec, out, backend="inprocess")
    frame, manifest, _ = R.load_results(out)
    assert list(frame.columns[:9]) == [
        "algorithm",
        "label",
        "env",
        "setting",
        "seed",
        "n_data",
        "metric",
        "suboptimality",
        "wall_time",
    ]
    assert sorted(frame["n_data"].unique()) == [2, 8, 32, 128]
    assert (frame["suboptimality"] >= -1e-12).all() and (frame["metric"] == "suboptimality").all()
    assert manifest["protocol"]["axis"] == {"column": "n_data", "quantity": "n_data"}
    assert "suboptimality" in manifest["metrics"]
    # the spec round-trips through the manifest, and the report draws the dataset-size bound
    assert spec_from_dict(manifest["spec"], check_structures=False).hash == spec.hash
    report = make_report(out)
    row = report.summary.iloc[0]
    assert row["n_data"] == 128
    assert "toy-offline-rate" in row["bounds"] and "not drawn" not in row["bounds"]
    markdown = report.markdown.read_text()
    assert "Suboptimality against dataset size N" in markdown
    assert any(p.suffix == ".png" for p in report.figures)


MINIMAL_KEYS = {
    "online": {"episodes": 2},
    "adversarial": {},
    "delayed": {},
    "offline": {"dataset_sizes": [10]},
    "federated": {"steps": 20, "local_steps": 2},
}
"""The smallest protocol settings of a valid spec, per registered protocol."""


def _runnable_algorithm(model) -> str | None:
    """An algorithm the model can run, online ones first (their spec keys are known here)."""
    offered = structures_of(model)
    for entry in sorted(entries(), key=lambda e: e.protocol != "online"):
        try:
            protocol = get_protocol(entry.protocol)
        except LookupError:
            continue
        if (protocol.requires | entry.requires) <= offered and "model" not in entry.requires:
            return entry.id
    return None


@pytest.mark.parametrize("family", [f.id for f in families() if not f.id.startswith("toy-")])
def test_every_family_validates_with_an_algorithm_that_accepts_it_or_is_refused(family):
    """Each registered family (at its defaults) either validates in a spec with an algorithm
    whose protocol and requirements it meets, or a spec pairing it with the online ``uniform``
    baseline is refused with a located message naming the missing structure."""
    from rltheory.envs import get_family

    model = get_family(family).build(np.random.default_rng(0))
    algorithm = _runnable_algorithm(model)
    data = {"seeds": 1, "env": {"id": family}}
    if algorithm is not None:
        protocol = get_protocol(next(e.protocol for e in entries() if e.id == algorithm))
        assert protocol.name in MINIMAL_KEYS, f"add the {protocol.name} protocol's minimal keys"
        spec = spec_from_dict(
            {**data, **MINIMAL_KEYS[protocol.name], "algorithms": [{"id": algorithm}]}
        )
        assert spec.protocol == protocol.name and spec.cells()
        return
    with pytest.raises(SpecError) as error:
        spec_from_dict({**data, "episodes": 2, "algorithms": [{"id": "uniform"}]})
    (path, message), *_ = error.value.problems
    assert path == "algorithms[0].id" and "needs" in message and family in message
    missing = get_protocol("online").requires - structures_of(model)
    assert missing and all(tag in message for tag in missing)


def test_resuming_results_of_other_code_is_refused(toy_protocol, write_spec, tmp_path, monkeypatch):
    spec = load_spec(write_spec(TOY_OFFLINE))
    out = tmp_path / "results"
    run_experiment(spec, out, backend="inprocess")
    cell_file = next((out / R.CELLS_DIR).glob("*.parquet"))
    here = R.provenance()
    assert R.cell_provenance(cell_file) == here
    other = {"version": "0.0.0", "commit": "0" * 40}
    monkeypatch.setattr(R, "provenance", lambda: other)
    with pytest.raises(R.ResultsError, match="computed by other code"):
        run_experiment(spec, out, backend="inprocess")
    summary = run_experiment(spec, out, backend="inprocess", force=True)
    assert summary.ran == 1
    assert R.cell_provenance(next((out / R.CELLS_DIR).glob("*.parquet"))) == other
    assert json.loads((out / R.MANIFEST).read_text())["spec_hash"] == spec.hash
