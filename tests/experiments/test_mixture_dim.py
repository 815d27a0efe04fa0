"""The tidy frame's model.d is the basis dimension for linear-mixture learners (bounds read it)."""

from __future__ import annotations

import textwrap

from rltheory.experiments import results as R
from rltheory.experiments import runner
from rltheory.experiments.spec import load_spec

SPEC = """
name = "mixture_dim"
episodes = 3
seeds = 1
checkpoints = [3]

[env]
id = "riverswim-mixture"
transforms = ["unit-total-reward"]
params = { n_states = 3, horizon = 4 }

[[algorithms]]
id = "ucrl-vtr"

[[algorithms]]
id = "lsvi-ucb"
"""


def test_model_d_follows_the_structure_the_learner_uses(tmp_path):
    """riverswim-mixture has a d = 3 mixture basis and d = 6 one-hot features."""
    path = tmp_path / "spec.toml"
    path.write_text(textwrap.dedent(SPEC))
    runner.run_experiment(load_spec(path), tmp_path / "out", backend="inprocess")
    frame, _, _ = R.load_results(tmp_path / "out")
    dims = frame.groupby(R.ALGORITHM)["model.d"].unique()
    assert list(dims["ucrl-vtr"]) == [3.0]
    assert list(dims["lsvi-ucb"]) == [6.0]
