"""Self-tests of the benchmark checking tools: the fingerprint comparison catches a changed
policy or value, and the numpy-operation counter counts without changing any number."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def load(name: str):
    """Import ``benchmarks/<name>.py`` (the scripts import their siblings by name)."""
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fingerprint_comparison_flags_a_flipped_action_and_a_changed_value(capsys):
    fingerprints = load("fingerprints")
    policies = np.zeros((2, 3, 4), dtype=np.int64)
    regret = np.linspace(0.0, 1.0, 6).reshape(2, 3)
    before = {"x/policies": policies, "x/regret": regret}
    assert fingerprints.compare(dict(before), before)
    flipped = policies.copy()
    flipped[1, 2, 3] = 1
    assert not fingerprints.compare({"x/policies": flipped, "x/regret": regret}, before)
    assert "first at (1, 2, 3)" in capsys.readouterr().out
    nudged = regret + np.where(np.arange(6).reshape(2, 3) == 4, 1e-15, 0.0)
    assert not fingerprints.compare({"x/policies": policies, "x/regret": nudged}, before)
    assert not fingerprints.compare({"x/policies": policies}, before)  # a missing array


def test_numpy_counter_counts_operations_and_keeps_the_numbers():
    counter = load("_numpy_calls")
    counted = np.arange(6.0).reshape(2, 3).view(counter.Counted)
    counter.Counted.calls.clear()
    total = (counted * 2.0 + 1.0).max(-1)  # multiply, add, max
    row = counted[1]  # getitem
    assert sum(counter.Counted.calls.values()) == 4
    np.testing.assert_array_equal(total.view(np.ndarray), [5.0, 11.0])
    np.testing.assert_array_equal(row.view(np.ndarray), [3.0, 4.0, 5.0])
