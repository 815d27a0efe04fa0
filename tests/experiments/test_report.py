"""Report: figures and tables from a small results directory; stale or foreign files refused."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from matplotlib.image import imread

from rltheory.experiments import results as R
from rltheory.experiments import runner
from rltheory.experiments.report import make_report
from rltheory.experiments.spec import load_spec


@pytest.fixture(scope="module")
def results_dir(tmp_path_factory, toy_text):
    directory = tmp_path_factory.mktemp("toy")
    spec_path = directory / "spec.toml"
    spec_path.write_text(toy_text)
    runner.run_experiment(load_spec(spec_path), directory / "out", backend="inprocess")
    return directory / "out"


def test_report_writes_figures_and_tables(results_dir):
    report = make_report(results_dir)
    pngs = [p for p in report.figures if p.suffix == ".png"]
    # one regret figure per environment configuration and one regret-vs-n_states figure
    assert len(pngs) == 3 and len(report.figures) == 6
    for path in report.figures:
        assert path.stat().st_size > 5_000
    for path in pngs:
        image = imread(path)
        assert image.shape[0] > 300 and image.shape[1] > 300
        assert np.ptp(image[..., :3]) > 0.5  # not a blank canvas
    assert list(report.summary["label"]) == ["toy-random", "uniform"] * 2
    assert report.summary["measured exponent [CI]"].str.match(r"^[\d.]+ \[[\d.]+, [\d.]+\]$").all()
    assert list(report.rates["quantity"]) == ["S", "S"]
    markdown = report.markdown.read_text()
    assert "| measured exponent [CI] |" in markdown and "pseudo-regret" in markdown
    assert "<table" in report.html.read_text()


def test_report_refuses_foreign_cell_file(results_dir, tmp_path, write_spec, toy_text):
    other = tmp_path / "other"
    spec = load_spec(write_spec(toy_text.replace("episodes = 40", "episodes = 20")))
    runner.run_experiment(spec, other, backend="inprocess")
    mixed = tmp_path / "mixed"
    shutil.copytree(results_dir, mixed)
    stale = next((other / R.CELLS_DIR).glob("*.parquet"))
    shutil.copy(stale, mixed / R.CELLS_DIR / stale.name)
    with pytest.raises(R.ResultsError, match="belongs to another spec"):
        make_report(mixed)


def test_report_refuses_edited_manifest(results_dir, tmp_path):
    edited = tmp_path / "edited"
    shutil.copytree(results_dir, edited)
    manifest = json.loads((edited / R.MANIFEST).read_text())
    manifest["spec"]["episodes"] = 80
    (edited / R.MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(R.ResultsError, match="edited or is stale"):
        make_report(edited)


def test_report_reads_a_manifest_with_the_removed_bootstrap_options(results_dir, tmp_path):
    """Manifests written before the jackknife-t intervals carry ``plots.resamples`` and
    ``plots.bootstrap_seed``; they are dropped on reading (plot options are not hashed)."""
    old = tmp_path / "old"
    shutil.copytree(results_dir, old)
    manifest = json.loads((old / R.MANIFEST).read_text())
    manifest["spec"]["plots"].update(resamples=2000, bootstrap_seed=0)
    (old / R.MANIFEST).write_text(json.dumps(manifest))
    _, _, spec = R.load_results(old)
    assert spec.plots == R.load_results(results_dir)[2].plots


def test_report_refuses_directory_without_manifest(tmp_path):
    with pytest.raises(R.ResultsError, match=r"no manifest\.json"):
        make_report(tmp_path)
