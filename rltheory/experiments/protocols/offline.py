"""The offline protocol: one dataset per seed collected in the nominal model, one ``fit`` per
dataset size, exact metrics of the returned policy on the model (Tang, Liu, Xu 2025, §3 and §6).

Spec keys:

- ``dataset_sizes``: list of K values (episodes per dataset; the x-axis). The dataset of size K
  is the first K episodes of one draw per seed, so sizes are nested;
- ``behaviour``: ``"uniform"``, ``"never-exercise"``, or a table ``{policy = "epsilon-optimal",
  epsilon = 0.1}`` (see :data:`rltheory.offline.BEHAVIOURS`); default ``"uniform"``;
- ``perturbations``: test levels of the family's perturbation parameter (e.g. ``q`` of
  ``liu-xu-linear``, ``price_up`` of ``american-put``); ``"paper"`` (default when the family has
  test models) takes the family's grid, ``[]`` none.

Rows: one per seed x dataset size x perturbation level (the per-dataset columns repeat across
levels). Metric: ``suboptimality`` under the learner's own criterion, exact: the d-RRMDP
``V^{*,lam}_1 - V^{pi_hat,lam}_1`` for R2PVI, the d-DRMDP value for DRPVI/DRVI-L (one radius on
all steps), the nominal ``V*_1 - V^{pi_hat}_1`` for PEVI and on models that are not
d-rectangular (``criterion`` says which).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from rltheory.algos.protocols import OfflineAlgorithm, Problem
from rltheory.algos.r2pvi import proof_events
from rltheory.envs.perturbation import perturbed_models
from rltheory.experiments.checker import Checker
from rltheory.experiments.loops import seed_generators
from rltheory.experiments.protocols import Axis, Job, Metric, Protocol, register_protocol
from rltheory.experiments.protocols.base import SEED, WALL_TIME
from rltheory.mdp import (
    Trajectories,
    draw_uniforms,
    evaluate,
    initial_value,
    optimal,
    robust_optimal,
    rollout_from_uniforms,
)
from rltheory.offline import BEHAVIOURS, behaviour_policy
from rltheory.offline.coverage import min_eigenvalue_coverage, uncertainty_term
from rltheory.offline.metrics import perturbed_values, robust_suboptimality, theorem52_bound

N_DATA = "n_data"
SUBOPTIMALITY = "suboptimality"
NOMINAL = "nominal_suboptimality"
CRITERION = "criterion"
PERTURBATION = "perturbation"
PERTURBED_VALUE = "perturbed_value"
COVERAGE = "coverage_min_eig"
UNCERTAINTY = "uncertainty"
BOUND = "theorem52_bound"
BOUND_THEORY = "theorem52_bound_theory"
PESSIMISM = "event_pessimism"
COVERED = "event_covered"
BETA_RUN = "run.beta"


def _behaviour(value: Any, check: Checker) -> dict[str, Any]:
    if isinstance(value, str):
        value = {"policy": value}
    if not isinstance(value, Mapping):
        check.fail("behaviour", f"expected a name or a table {{policy, epsilon}}, got {value!r}")
        return {"policy": "uniform", "epsilon": None}
    if not check.keys(value, "behaviour", ("policy", "epsilon"), "behaviour"):
        return {"policy": "uniform", "epsilon": None}
    name = check.choice(value.get("policy"), "behaviour.policy", tuple(BEHAVIOURS), "policy")
    epsilon = value.get("epsilon")
    if name == "epsilon-optimal":
        if (
            isinstance(epsilon, bool)
            or not isinstance(epsilon, int | float)
            or not 0 <= epsilon <= 1
        ):
            check.fail("behaviour.epsilon", f"expected a number in [0, 1], got {epsilon!r}")
            epsilon = 0.1
        epsilon = float(epsilon)
    elif epsilon is not None:
        check.fail("behaviour.epsilon", f"only 'epsilon-optimal' takes epsilon (policy {name!r})")
        epsilon = None
    return {"policy": name or "uniform", "epsilon": epsilon}


@register_protocol
class OfflineProtocol(Protocol):
    """Offline RL from a fixed dataset, robust or nominal criterion, perturbed test models."""

    name = "offline"
    summary = "datasets of K episodes; exact (robust) suboptimality and perturbed-model values"
    learner = OfflineAlgorithm
    requires = frozenset({"finite-horizon", "offline-dataset"})
    keys = ("dataset_sizes", "behaviour", "perturbations")
    axis = Axis(N_DATA, "n_data", "dataset size K (episodes)")
    metric = Metric(
        name="suboptimality",
        column=SUBOPTIMALITY,
        cumulative=None,
        label="suboptimality",
        definition=(
            "exact suboptimality of the returned policy under the learner's criterion, averaged "
            "over the initial distribution: V^{*,lam}_1 - V^{pi_hat,lam}_1 in the d-rectangular "
            "robust (regularized or constrained) MDP on the nominal model, or the nominal "
            "V*_1 - V^{pi_hat}_1 (see the criterion column)"
        ),
    )
    columns: ClassVar[dict[str, str]] = {
        SUBOPTIMALITY: metric.definition,
        NOMINAL: "exact V*_1 - V^{pi_hat}_1 in the nominal model",
        CRITERION: "the criterion of the suboptimality column (e.g. 'regularized tv lam=0.1')",
        N_DATA: "episodes K in the dataset",
        PERTURBATION: "level of the family's perturbation parameter of the test model (NaN: none)",
        PERTURBED_VALUE: "exact E_{s_1} V^{pi_hat}_1(s_1) in that test model",
        COVERAGE: "min_h lambda_min(Lambda_h) / K of the dataset (gamma I included)",
        UNCERTAINTY: (
            "sum_h E_{pi*}[sum_i ||phi_i 1_i||_{Lambda_h^-1}] along the optimal policy of the "
            "criterion in the nominal model (Tang, Liu, Xu 2025, Thm 5.2; a lower proxy for the "
            "theorem's sup over admissible kernels)"
        ),
        BOUND: "2 beta uncertainty: Theorem 5.2's right-hand side with the beta run (proxy)",
        BOUND_THEORY: "2 beta uncertainty with Theorem 5.2's stated beta (R2PVI only; proxy)",
        PESSIMISM: "1 if hat Q_h <= Q^{pi_hat}_h of the criterion at every (h, s, a), else 0",
        COVERED: "1 if |<phi, hat w_h - w_h(hat V_{h+1})>| <= Gamma_h at every (h, s, a)",
        WALL_TIME: "seconds of the fit (all seeds of the cell) for this dataset size",
        BETA_RUN: "the penalty scale beta the learner used",
    }

    def settings(self, data: Mapping[str, Any], check: Checker) -> dict[str, Any]:
        sizes = data.get("dataset_sizes")
        if sizes is None:
            check.fail("dataset_sizes", "missing (required)")
            sizes = [1]
        elif not (
            isinstance(sizes, list)
            and sizes
            and all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in sizes)
        ):
            check.fail("dataset_sizes", f"expected a list of positive integers, got {sizes!r}")
            sizes = [1]
        levels = data.get("perturbations", "paper")
        if levels != "paper" and not (
            isinstance(levels, list)
            and all(isinstance(x, int | float) and not isinstance(x, bool) for x in levels)
        ):
            check.fail("perturbations", f"expected 'paper' or a list of numbers, got {levels!r}")
            levels = "paper"
        if isinstance(levels, list):
            levels = [float(x) for x in levels]
        return {
            "dataset_sizes": sorted(set(sizes)),
            "behaviour": _behaviour(data.get("behaviour", "uniform"), check),
            "perturbations": levels,
        }

    def problem(self, job: Job) -> Problem:
        return Problem.from_model(job.model, max(job.settings["dataset_sizes"]))

    def run(self, job: Job) -> pd.DataFrame:
        model = job.model
        settings = job.settings
        env_rngs, algo_rngs = seed_generators(job.seeds)
        behaviour = settings["behaviour"]
        policy = behaviour_policy(model, behaviour["policy"], epsilon=behaviour["epsilon"])
        n_seeds, sizes = len(job.seeds), settings["dataset_sizes"]
        batch = np.broadcast_to(policy, (n_seeds, *policy.shape))
        data = rollout_from_uniforms(
            model, batch, draw_uniforms(env_rngs, max(sizes), model.horizon)
        )
        levels = settings["perturbations"]
        if levels == "paper":
            spec = model.metadata.get("perturbation")
            levels = [] if spec is None else list(spec["grid"])
        tests = perturbed_models(model, levels) if levels else []
        v_star = initial_value(model, optimal(model).v)
        frames = []
        for k, n in enumerate(sizes):
            prefix = Trajectories(data.states[:, :n], data.actions[:, :n], data.rewards[:, :n])
            problem = Problem.from_model(model, n)
            start = time.perf_counter()
            learner = job.entry.cls(problem, job.config, algo_rngs)
            policies = learner.fit(prefix)
            seconds = time.perf_counter() - start
            columns = self._dataset_columns(model, learner, policies, v_star, n_seeds)
            values = perturbed_values(tests, policies) if tests else np.full((1, n_seeds), np.nan)
            n_levels = values.shape[0]
            frame = pd.DataFrame(
                {
                    SEED: np.repeat(np.asarray(job.seed_ids, dtype=np.int64), n_levels),
                    N_DATA: np.int64(n),
                    PERTURBATION: np.tile(np.asarray(levels or [np.nan], float), n_seeds),
                    PERTURBED_VALUE: values.T.ravel(),
                    WALL_TIME: seconds,
                }
            )
            for name, value in columns.items():
                frame[name] = np.repeat(value, n_levels) if np.ndim(value) else value
            frames.append(frame)
            if job.progress is not None:
                job.progress(k + 1, len(sizes))
        return pd.concat(frames, ignore_index=True)

    def conformance(self):
        from rltheory.testing.offline_checks import OFFLINE_CHECKS

        return OFFLINE_CHECKS

    @staticmethod
    def _dataset_columns(model, learner, policies, v_star, n_seeds) -> dict[str, Any]:
        """Per-dataset columns: suboptimalities, coverage, bound proxy and proof events."""
        nominal = v_star - initial_value(model, evaluate(model, policies))
        criterion = getattr(learner, "criterion", lambda _model: None)(model)
        out: dict[str, Any] = {NOMINAL: nominal}
        if criterion is None:
            out[SUBOPTIMALITY], out[CRITERION] = nominal, "nominal"
            target = optimal(model).policy
        else:
            out[SUBOPTIMALITY] = robust_suboptimality(criterion, policies)
            level = np.asarray(criterion.level).tolist()
            out[CRITERION] = f"{criterion.kind} {criterion.divergence} level={level}"
            target = robust_optimal(criterion).policy
        stats, result = getattr(learner, "statistics", None), getattr(learner, "result", None)
        if stats is not None:
            out[COVERAGE] = min_eigenvalue_coverage(stats).min(-1)
            out[UNCERTAINTY] = uncertainty_term(model, target, stats)
            out[BOUND] = theorem52_bound(learner.beta(stats.n_data), out[UNCERTAINTY])
            out[BETA_RUN] = learner.beta(stats.n_data)
            if hasattr(learner, "theory_beta"):
                beta = learner.theory_beta(stats.n_data)
                out[BOUND_THEORY] = theorem52_bound(beta, out[UNCERTAINTY])
        if criterion is not None and result is not None:
            events = proof_events(criterion, result, model.features)
            out[PESSIMISM] = events.pessimism.astype(float)
            out[COVERED] = events.covered.astype(float)
        return out


def perturbation_curves(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over seeds of the exact test-model value, per (setting,
    label, dataset size, perturbation level): the papers' "average reward vs perturbation"."""
    keys = [column for column in ("setting", "label", N_DATA, PERTURBATION) if column in frame]
    grouped = frame.groupby(keys)[PERTURBED_VALUE]
    return grouped.agg(["mean", "std", "count"]).reset_index()
