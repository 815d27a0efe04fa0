"""Fixtures of the experiment-runner tests: tiny specs over the toy plugin families."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

TOY_SPEC = """
name = "toy"
episodes = 40
seeds = 4
seed_batch = 2
checkpoints = 8
imports = ["toy_experiment_plugins"]

[[env]]
id = "toy-tabular"
params = { n_states = [3, 4] }

[[algorithms]]
id = "toy-random"
params = { scale = 1.5 }

[[algorithms]]
id = "uniform"
"""


@pytest.fixture
def toy_text() -> str:
    """The TOML text of the default toy spec."""
    return TOY_SPEC


@pytest.fixture
def write_spec(tmp_path: Path):
    """``write_spec(text, name)`` writes a TOML spec into tmp_path and returns its path."""

    def write(text: str = TOY_SPEC, name: str = "spec.toml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        return path

    return write
