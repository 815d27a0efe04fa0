"""A protocol, an algorithm and a bound registered from a plugin module, with no edit to the
runner, the spec validator or the report: the protocol layer's end-to-end test fixture.

``toy-offline``: a dataset of N uniformly collected episodes per seed, one ``fit`` per dataset
size; metric: the exact suboptimality ``V*_1 - V^{pi_hat}_1`` (mean over the initial
distribution) of the returned policy; x-axis: dataset size N. ``toy-plug-in``: plans on the
empirical model (counts; unseen pairs keep reward 0 and a self-loop). Bound ``toy-offline-rate``:
``H^2 sqrt(S A / N)`` over the dataset size.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from rltheory.algos import register
from rltheory.algos.protocols import OfflineAlgorithm
from rltheory.bounds import Bound, register_bound
from rltheory.experiments.checker import Checker
from rltheory.experiments.loops import seed_generators
from rltheory.experiments.protocols import Axis, Job, Metric, Protocol, register_protocol
from rltheory.experiments.protocols.base import SEED, WALL_TIME
from rltheory.mdp import FiniteHorizonMDP, draw_uniforms, evaluate, optimal, rollout_from_uniforms

N_DATA = "n_data"
SUBOPTIMALITY = "suboptimality"


@register_protocol
class ToyOffline(Protocol):
    name = "toy-offline"
    summary = "uniform datasets of N episodes; exact suboptimality of the fitted policy"
    learner = OfflineAlgorithm
    requires = frozenset({"finite-horizon"})
    keys = ("dataset_sizes",)
    axis = Axis(N_DATA, "n_data", "dataset size N")
    metric = Metric(
        SUBOPTIMALITY,
        SUBOPTIMALITY,
        None,
        "suboptimality",
        "V*_1 - V^{pi_hat}_1 averaged over the initial distribution, exact on the model",
    )
    columns: ClassVar[dict[str, str]] = {
        SUBOPTIMALITY: metric.definition,
        N_DATA: "episodes in the dataset",
    }

    def settings(self, data: Mapping[str, Any], check: Checker) -> dict[str, Any]:
        sizes = data.get("dataset_sizes")
        if (
            not isinstance(sizes, list)
            or not sizes
            or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in sizes)
        ):
            check.fail("dataset_sizes", f"expected a list of positive integers, got {sizes!r}")
            return {"dataset_sizes": [1]}
        return {"dataset_sizes": sorted(set(sizes))}

    def run(self, job: Job) -> pd.DataFrame:
        model = job.model
        env_rngs, algo_rngs = seed_generators(job.seeds)
        start = time.perf_counter()
        uniform = np.full((len(job.seeds), model.horizon, model.n_states, model.n_actions), 1.0)
        uniform /= model.n_actions
        v_star = optimal(model).v[0] @ model.initial_distribution
        rows = []
        for n in job.settings["dataset_sizes"]:
            data = rollout_from_uniforms(model, uniform, draw_uniforms(env_rngs, n, model.horizon))
            learner = job.entry.cls(self.problem(job), job.config, algo_rngs)
            policy = learner.fit(data)
            values = evaluate(model, policy)[:, 0, :] @ model.initial_distribution
            for b, seed in enumerate(job.seed_ids):
                rows.append((seed, n, v_star - values[b], time.perf_counter() - start))
        return pd.DataFrame(rows, columns=[SEED, N_DATA, SUBOPTIMALITY, WALL_TIME])


@register("toy-plug-in", citation="test fixture")
class ToyPlugIn(OfflineAlgorithm):
    """Plan on the empirical (count-based) model of the dataset."""

    protocol = "toy-offline"

    @dataclass(frozen=True)
    class Config:
        prior: float = 0.0

    def fit(self, dataset) -> np.ndarray:
        p = self.problem
        states, actions = dataset.states, dataset.actions
        policies = []
        for b in range(states.shape[0]):
            counts = np.zeros((p.n_states, p.n_actions, p.n_states))
            np.add.at(counts, (states[b, :, :-1], actions[b], states[b, :, 1:]), 1.0)
            visits = counts.sum(-1, keepdims=True)
            kernel = np.where(
                visits > 0, counts / np.maximum(visits, 1), np.eye(p.n_states)[:, None]
            )
            model = FiniteHorizonMDP(kernel[None], p.rewards, np.full(p.n_states, 1 / p.n_states))
            policies.append(optimal(model).policy)
        return np.stack(policies)


TOY_RATE = register_bound(
    Bound(
        id="toy-offline-rate",
        kind="upper",
        quantity="suboptimality (test fixture)",
        formula="H^2 sqrt(S A / N)",
        exponents={"n_data": -0.5},
        citation="test fixture",
        shape=lambda q: q["H"] ** 2 * np.sqrt(q["S"] * q["A"] / np.asarray(q["n_data"])),
        requires=("n_data", "H", "S", "A"),
        algorithms=("toy-plug-in",),
    )
)
