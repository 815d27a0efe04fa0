"""Runner: identical tables across backends and batchings, resume after a failure, refusals."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from rltheory.experiments import results as R
from rltheory.experiments import runner
from rltheory.experiments.protocols import online as O
from rltheory.experiments.spec import load_spec

VALUE_COLUMNS = [O.REGRET, O.CUMULATIVE_REGRET]


def table(directory) -> pd.DataFrame:
    frame, _, _ = R.load_results(directory)
    return frame.drop(columns=[O.WALL_TIME])


def test_backends_give_identical_tables(write_spec, tmp_path):
    spec = load_spec(write_spec())
    runner.run_experiment(spec, tmp_path / "inprocess", backend="inprocess")
    runner.run_experiment(spec, tmp_path / "processes", backend="processes", workers=2)
    runner.run_experiment(spec, tmp_path / "dask", backend="dask", dask_local=2)
    reference = table(tmp_path / "inprocess")
    assert len(reference) == 2 * 2 * 4 * 8  # configs x algorithms x seeds x checkpoints
    assert reference[O.CUMULATIVE_REGRET].gt(0).all()
    pd.testing.assert_frame_equal(table(tmp_path / "processes"), reference)
    pd.testing.assert_frame_equal(table(tmp_path / "dask"), reference)


def test_seed_batching_does_not_change_numbers(write_spec, toy_text, tmp_path):
    batched = load_spec(write_spec())
    single = load_spec(write_spec(toy_text.replace("seed_batch = 2", "seed_batch = 1"), "b.toml"))
    assert len(single.cells()) == 2 * len(batched.cells())
    runner.run_experiment(batched, tmp_path / "batched", backend="inprocess")
    runner.run_experiment(single, tmp_path / "single", backend="inprocess")
    a = table(tmp_path / "batched").drop(columns=[R.CELL])
    b = table(tmp_path / "single").drop(columns=[R.CELL])
    pd.testing.assert_frame_equal(a, b)


def test_tidy_columns_and_checkpoints(write_spec, tmp_path):
    spec = load_spec(write_spec())
    runner.run_experiment(spec, tmp_path, backend="inprocess")
    frame = table(tmp_path)
    for column in (
        R.ALGORITHM,
        R.LABEL,
        O.SEED,
        O.EPISODE,
        R.METRIC,
        "env.n_states",
        "algo.scale",
        "model.S",
        O.BETA_RUN,
    ):
        assert column in frame
    episodes = sorted(frame[O.EPISODE].unique())
    assert episodes[0] == 1 and episodes[-1] == 40  # log-spaced, last episode included
    assert set(frame[R.METRIC]) == {"pseudo_regret"}
    # the learner's beta is recorded as run (toy-random exposes beta = 2 * scale)
    toy = frame[frame[R.ALGORITHM] == "toy-random"]
    assert np.all(toy[O.BETA_RUN] == 3.0)
    # cumulative regret is the running sum: it equals regret at episode 1 and never decreases
    first = frame[frame[O.EPISODE] == 1]
    np.testing.assert_array_equal(first[O.REGRET], first[O.CUMULATIVE_REGRET])
    steps = frame.groupby([R.SETTING, R.LABEL, O.SEED])[O.CUMULATIVE_REGRET].diff().dropna()
    assert (steps >= 0).all()


def test_resume_after_a_failing_cell_equals_clean_run(write_spec, tmp_path, monkeypatch):
    spec = load_spec(write_spec())
    runner.run_experiment(spec, tmp_path / "clean", backend="inprocess")

    calls = {"n": 0}
    real = runner.run_cell

    def dies_on_third(cell):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("simulated kill")
        return real(cell)

    monkeypatch.setattr(runner, "run_cell", dies_on_third)
    with pytest.raises(runner.CellFailedError, match="simulated kill"):
        runner.run_experiment(spec, tmp_path / "resumed", backend="inprocess")
    assert len(list((tmp_path / "resumed" / R.CELLS_DIR).glob("*.parquet"))) == 2
    assert not list((tmp_path / "resumed" / R.CELLS_DIR).glob("*.tmp"))
    manifest = json.loads((tmp_path / "resumed" / R.MANIFEST).read_text())
    assert manifest["finished"] is None

    monkeypatch.setattr(runner, "run_cell", real)
    summary = runner.run_experiment(spec, tmp_path / "resumed", backend="inprocess")
    assert (summary.skipped, summary.ran) == (2, len(spec.cells()) - 2)
    pd.testing.assert_frame_equal(table(tmp_path / "resumed"), table(tmp_path / "clean"))
    manifest = json.loads((tmp_path / "resumed" / R.MANIFEST).read_text())
    assert manifest["finished"] is not None and len(manifest["sessions"]) == 2


def test_changed_spec_refused_unless_forced(write_spec, toy_text, tmp_path):
    spec = load_spec(write_spec())
    runner.run_experiment(spec, tmp_path, backend="inprocess")
    changed = spec.with_overrides(episodes=30)
    with pytest.raises(R.ResultsError, match=r"different spec.*--force"):
        runner.run_experiment(changed, tmp_path, backend="inprocess")
    runner.run_experiment(changed, tmp_path, backend="inprocess", force=True)
    frame, manifest, _ = R.load_results(tmp_path)
    assert frame[O.EPISODE].max() == 30 and manifest["spec_hash"] == changed.hash
    assert len(list((tmp_path / R.CELLS_DIR).glob("*.parquet"))) == len(changed.cells())


def test_manifest_records_provenance(write_spec, tmp_path):
    spec = load_spec(write_spec())
    runner.run_experiment(spec, tmp_path, backend="inprocess", source="spec.toml")
    manifest = json.loads((tmp_path / R.MANIFEST).read_text())
    assert manifest["spec_hash"] == spec.hash and manifest["spec_file"] == "spec.toml"
    assert manifest["versions"]["numpy"] == np.__version__
    assert "computed exactly" in manifest["metrics"]["pseudo_regret"]["definition"]
    for key in ("git_commit", "host", "started", "finished", "spec"):
        assert key in manifest
