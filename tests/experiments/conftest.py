"""Fixtures of the experiment-runner tests: tiny specs over the toy plugin families."""

from __future__ import annotations

import importlib
import sys
import textwrap
from pathlib import Path

import pytest

from rltheory.testing import scoped_registrations

PLUGINS = "toy_experiment_plugins"

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
"""A tiny spec over the toy families: 2 configurations x 2 algorithms x 2 seed batches."""


@pytest.fixture(scope="module", autouse=True)
def toy_plugins():
    """The toy families and learners, registered for one test module and removed after it
    (families with their gymnasium ids); a spec's ``imports = ["toy_experiment_plugins"]`` then
    finds the module already imported in this process."""
    with scoped_registrations():
        sys.modules.pop(PLUGINS, None)
        module = importlib.import_module(PLUGINS)
        try:
            yield module
        finally:
            sys.modules.pop(PLUGINS, None)


@pytest.fixture(scope="session")
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
