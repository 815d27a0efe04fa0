"""Fixtures of the experiment-runner tests: tiny specs over the toy plugin families."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from toy_experiment_plugins import TOY_SPEC


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
