"""Memory estimates against the memory models and learners really hold (measured with
tracemalloc, which sees numpy's allocations), and the refusal of what exceeds the limit."""

from __future__ import annotations

import gc
import tracemalloc

import numpy as np
import pytest

from rltheory.algos import get as get_algorithm
from rltheory.envs import get_family
from rltheory.experiments import memory as M
from rltheory.experiments.checker import Checker
from rltheory.experiments.loops import make_online, seed_generators

CASES = [
    ("random-tabular", {"n_states": 60, "n_actions": 3, "horizon": 5}, ()),  # generic estimate
    ("random-tabular", {"n_states": 30, "homogeneous": False}, ("one-hot-features",)),
    ("random-linear", {"n_states": 2000, "n_actions": 4, "dim": 8, "horizon": 5}, ()),
    ("random-mixture", {"n_states": 40, "n_actions": 3, "dim": 4}, ()),
    ("deepsea", {"size": 20}, ()),
    ("zgs-hard", {"dim": 6, "horizon": 6}, ()),
]


def retained(build):
    """``(object, bytes it keeps allocated)``."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        obj = build()
        gc.collect()
        return obj, tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def build(family_id, params, transforms):
    from rltheory.experiments.cells import EnvironmentConfig

    return EnvironmentConfig(family_id, params, 0, transforms).build()


@pytest.mark.parametrize(("family_id", "params", "transforms"), CASES)
def test_model_estimates_match_what_the_model_holds(family_id, params, transforms):
    model, held = retained(lambda: build(family_id, params, transforms))
    size = M.model_size(family_id, params, transforms)
    assert (model.n_states, model.n_actions, model.horizon) == (size.S, size.A, size.H)
    assert 0.5 <= size.bytes / held <= 3.0, (size.bytes, held)


@pytest.mark.parametrize(
    ("algorithm", "family_id", "params"),
    [
        ("lsvi-ucb", "random-linear", {"n_states": 2000, "n_actions": 4, "dim": 8, "horizon": 5}),
        ("ucbvi", "random-tabular", {"n_states": 40, "n_actions": 3, "horizon": 5}),
        ("uniform", "random-tabular", {"n_states": 40, "n_actions": 3, "horizon": 5}),
    ],
)
def test_learner_estimates_bound_what_the_learner_holds(algorithm, family_id, params):
    entry, model = get_algorithm(algorithm), build(family_id, params, ())
    seeds = [np.random.SeedSequence(0, spawn_key=(i,)) for i in range(4)]
    _, rngs = seed_generators(seeds)
    config = entry.make_config()
    learner, held = retained(lambda: make_online(entry, model, 100, config, rngs))
    size = M.model_size(family_id, params, ())
    declared = getattr(entry.cls, "memory_bytes", None)
    if declared is not None:
        estimate = declared(size, config, 4)
    else:
        estimate = M.generic_learner_bytes(size, entry.requires, 4)
    assert learner.n_seeds == 4 and estimate >= 0.8 * held, (estimate, held)
    assert estimate <= 20 * max(held, 1 << 16), (estimate, held)


def test_check_memory_refuses_over_the_limit_and_names_the_cell(write_spec):
    from rltheory.experiments import load_spec

    spec = load_spec(write_spec()).with_overrides(episodes=100_000)  # MiB of [B, K] per cell
    check = Checker("t")
    estimates = M.check_memory(spec, check, limit=1 << 40)
    assert not check.problems and len(estimates) == 2 * 2  # configs x variants
    limit = min(e.total for e in estimates) - 1  # every cell is over, the cell list is not
    M.check_memory(spec, check, limit=limit)
    ((path, message),) = check.problems
    assert path == "" and "4 of 4 cell shape(s) would not fit" in message
    assert "toy-tabular(n_states=" in message and f"limit {M.format_bytes(limit)}" in message
    check = Checker("t")
    M.check_memory(spec, check, limit=1000)  # not even the cell descriptions fit
    assert [p for p, _ in check.problems] == ["seeds"]
    assert get_family("toy-tabular").memory is None  # the toy family uses the generic estimate


def test_cells_run_at_once_must_fit_together(write_spec):
    from rltheory.experiments import SpecError, load_spec
    from rltheory.experiments.runner import check_run_memory, local_parallelism

    spec = load_spec(write_spec()).with_overrides(episodes=100_000)
    worst = max(e.total for e in M.cell_estimates(spec))
    limit = 3 * worst  # three of the largest cells fit, four do not
    check_run_memory(spec, limit, parallel=3)
    with pytest.raises(SpecError, match=r"4 cells at a time .* run with --workers 3"):
        check_run_memory(spec, limit, parallel=4)
    assert local_parallelism("processes", 4, None, None) == 4
    assert local_parallelism("inprocess", 4, None, None) == 1
    assert local_parallelism("dask", None, "tcp://h:1", None) == 1  # a remote cluster's memory
    assert local_parallelism("dask", None, None, 3) == 3
