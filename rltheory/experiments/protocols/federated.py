"""The federated protocol (Zhang, Wang, Mitra, Anderson, ICLR 2024): N agents, each on its own
continuing chain in its own MDP, T local steps with a server round every K steps. Metrics are
exact on the model, after every logged server round t (the x-axis): the error of every agent's
iterate to its own SARSA fixed point theta*^(i) (the paper's metric), to theta*_fed and to
theta*_avg, and the exact suboptimality of the induced softmax policy in each agent's MDP.

Spec keys: ``steps`` (T) or ``rounds`` (T = rounds x K), ``local_steps`` (K; a list sweeps it),
``checkpoints`` (number of linearly spaced logged rounds, or an explicit list; the last round is
always logged) and ``value_checkpoints`` (how many of them also get the exact policy value).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from rltheory.algos.fedsarsa import projection_expected_inactive
from rltheory.algos.protocols import FederatedAlgorithm, Problem
from rltheory.experiments.checker import Checker
from rltheory.experiments.federated import exact_targets, run_federated
from rltheory.experiments.loops import seed_generators
from rltheory.experiments.protocols import Axis, Job, Metric, Protocol, register_protocol
from rltheory.experiments.protocols.base import SEED, WALL_TIME

ROUND = "round"
STEPS = "steps"
ERR_AGENT = "err_agent"
DEFAULT_CHECKPOINTS = 200
DEFAULT_VALUE_CHECKPOINTS = 5
RUN_QUANTITIES = {
    "run.N": "number of agents N",
    "run.K": "local steps K between server rounds",
    "run.T": "total local steps T",
    "run.gamma": "discount factor gamma",
    "run.C": "Lipschitz constant C of the softmax policy improvement operator",
    "run.eps_p": "realised max pairwise TV distance of the agents' kernels",
    "run.eps_r": "realised max pairwise sup-norm reward gap divided by R",
    "run.residual_agent": "max_i ||g_i(theta*^(i))||_2 of the per-agent fixed points",
    "run.residual_fed": "||(1/N) sum_i g_i(theta*_fed)||_2",
    "run.residual_avg": "||g(theta*_avg)||_2 on the averaged MDP",
}


def resolve_rounds(checkpoints: Any, n_rounds: int) -> list[int]:
    """Sorted 1-based logged rounds in [1, n_rounds], always ending with the last round."""
    if isinstance(checkpoints, list):
        points = np.array([k for k in checkpoints if k <= n_rounds], dtype=np.int64)
    else:
        points = np.rint(np.linspace(1, n_rounds, min(checkpoints, n_rounds))).astype(np.int64)
    return [int(k) for k in np.unique(np.append(points, n_rounds))]


@register_protocol
class FederatedProtocol(Protocol):
    """Federated on-policy learning over N heterogeneous agents' continuing chains."""

    name = "federated"
    summary = "N agents, K local steps per server round; exact error to each agent's theta*"
    learner = FederatedAlgorithm
    requires = frozenset({"heterogeneous", "discounted"})
    keys = ("steps", "rounds", "local_steps", "checkpoints", "value_checkpoints")
    axis = Axis(ROUND, "rounds", "server round t")
    metric = Metric(
        name="mse_own_fixed_point",
        column=ERR_AGENT,
        cumulative=None,
        label="E||theta_t - theta*^(i)||^2",
        definition=(
            "mean over agents i of ||theta_t^i - theta*^(i)||_2^2, theta_t^i the learner's output "
            "after server round t and theta*^(i) the exact SARSA fixed point of agent i's MDP "
            "(root of its mean-path operator, residual < 1e-10)"
        ),
    )
    columns: ClassVar[dict[str, str]] = {
        ROUND: "1-based server round t (after the aggregation of that round)",
        STEPS: "local steps taken by every agent so far (t K, or T at the last round)",
        ERR_AGENT: metric.definition,
        "err_agent_max": "max over agents i of ||theta_t^i - theta*^(i)||^2",
        "err_nominal": "||theta_t^1 - theta*^(1)||^2 for agent 1 (the authors' nominal agent)",
        "err_agent.<i>": "||theta_t^i - theta*^(i)||^2 of agent i (0-based)",
        "err_fed": "mean over agents of ||theta_t^i - theta*_fed||^2 (federated fixed point)",
        "err_avg": "mean over agents of ||theta_t^i - theta*_avg||^2 (averaged-MDP fixed point)",
        "value_gap": "mean over agents of <mu0, V*_i - V_i^{pi_t^i}>, exact (NaN off checkpoints)",
        "value_gap_max": "max over agents of the exact value gap (NaN off value checkpoints)",
        "projection_active": "iterates the projection has changed so far (monitor)",
        "monitor.projection_expected_inactive": (
            "1 when R >= 2 max_i ||theta*^(i)|| (the projection should never act) [D]"
        ),
        "monitor.projection_violation": "1 when expected inactive yet the projection acted",
        WALL_TIME: "seconds since the cell's learner started, at the end of the round",
        **RUN_QUANTITIES,
    }

    def settings(self, data: Mapping[str, Any], check: Checker) -> dict[str, Any]:
        local = data.get("local_steps")
        values = local if isinstance(local, list) else [local]
        if local is None or not values or not all(_positive_int(k) for k in values):
            check.fail(
                "local_steps", f"expected a positive integer or a list of them, got {local!r}"
            )
            values = [1]
        has_steps, has_rounds = "steps" in data, "rounds" in data
        if has_steps == has_rounds:
            check.fail("steps", "give exactly one of 'steps' (T) and 'rounds' (T = rounds x K)")
        key = "steps" if has_steps or not has_rounds else "rounds"
        count = data.get(key, 1)
        if not _positive_int(count):
            check.fail(key, f"expected a positive integer, got {count!r}")
            count = 1
        checkpoints = data.get("checkpoints", DEFAULT_CHECKPOINTS)
        valid_list = (
            isinstance(checkpoints, list)
            and checkpoints
            and all(_positive_int(k) for k in checkpoints)
        )
        if not (_positive_int(checkpoints) or valid_list):
            check.fail("checkpoints", f"expected a positive integer or a list, got {checkpoints!r}")
            checkpoints = DEFAULT_CHECKPOINTS
        value = data.get("value_checkpoints", DEFAULT_VALUE_CHECKPOINTS)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            check.fail("value_checkpoints", f"expected an integer >= 0, got {value!r}")
            value = DEFAULT_VALUE_CHECKPOINTS
        return {
            key: int(count),
            "local_steps": sorted(set(int(k) for k in values)),
            "checkpoints": sorted(set(checkpoints))
            if isinstance(checkpoints, list)
            else checkpoints,
            "value_checkpoints": value,
        }

    def points(self, settings: Mapping[str, Any]) -> list[dict[str, Any]]:
        points = []
        for k in settings["local_steps"]:
            steps = settings["steps"] if "steps" in settings else settings["rounds"] * k
            n_rounds = -(-steps // k)
            rounds = resolve_rounds(settings["checkpoints"], n_rounds)
            stride = max(1, len(rounds) // max(settings["value_checkpoints"], 1))
            values = rounds[::-1][::stride][: settings["value_checkpoints"]]
            points.append(
                {
                    "steps": steps,
                    "local_steps": k,
                    "checkpoints": rounds,
                    "value_rounds": sorted(values),
                }
            )
        return points

    def problem(self, job: Job) -> list[Problem]:
        """One view per agent: sizes, gamma, shared features; rewards are not revealed (the
        agents observe them along their trajectories)."""
        steps = job.settings["steps"]
        return [Problem.from_model(m, steps, reveal_rewards=False) for m in job.model.agents]

    def run(self, job: Job) -> pd.DataFrame:
        model, settings = job.model, job.settings
        env_rngs, algo_rngs = seed_generators(job.seeds)
        targets = exact_targets(model, float(job.config.temperature))
        learner = job.entry.cls(self.problem(job), job.config, algo_rngs)
        run = run_federated(
            model,
            learner,
            env_rngs,
            settings["steps"],
            settings["local_steps"],
            targets,
            record=settings["checkpoints"],
            value_rounds=settings["value_rounds"],
            progress=job.progress,
        )
        n_seeds, n_points = len(job.seeds), run.rounds.size
        columns: dict[str, Any] = {
            SEED: np.repeat(np.asarray(job.seed_ids, dtype=np.int64), n_points),
            ROUND: np.tile(run.rounds, n_seeds),
            STEPS: np.tile(run.steps, n_seeds),
            ERR_AGENT: run.err_agent.mean(-1).ravel(),
            "err_agent_max": run.err_agent.max(-1).ravel(),
            "err_nominal": run.err_agent[..., 0].ravel(),
            "err_fed": run.err_fed.mean(-1).ravel(),
            "err_avg": run.err_avg.mean(-1).ravel(),
            "value_gap": run.value_gap.mean(-1).ravel(),
            "value_gap_max": run.value_gap.max(-1).ravel(),
            "projection_active": np.tile(run.projections, n_seeds),
            WALL_TIME: np.tile(run.wall_time, n_seeds),
        }
        for i in range(model.n_agents):
            columns[f"err_agent.{i}"] = run.err_agent[..., i].ravel()
        het = model.metadata if "eps_p" in model.metadata else model.heterogeneity()
        quantities = {
            "run.N": model.n_agents,
            "run.K": settings["local_steps"],
            "run.T": settings["steps"],
            "run.gamma": model.gamma,
            "run.C": targets.lipschitz,
            "run.eps_p": het["eps_p"],
            "run.eps_r": het["eps_r"],
            "run.residual_agent": targets.residuals["agent"],
            "run.residual_fed": targets.residuals["fed"],
            "run.residual_avg": targets.residuals["avg"],
        }
        radius = float(getattr(job.config, "projection_radius", np.inf))
        expected = projection_expected_inactive(radius, targets.agent)
        columns["monitor.projection_expected_inactive"] = float(expected)
        columns["monitor.projection_violation"] = (
            expected & (columns["projection_active"] > 0)
        ).astype(float)
        frame = pd.DataFrame(columns)
        for name, value in quantities.items():
            frame[name] = float(value)
        return frame

    def quantities(self, x: np.ndarray, params: Mapping[str, Any]) -> dict[str, Any]:
        """``rounds`` t at the axis, ``T = t K`` local steps, ``K``, ``N`` and ``gamma``."""
        out = super().quantities(x, params)
        if "K" in params:
            out["T"] = out["rounds"] * float(params["K"])
        return out

    def conformance(self):
        from rltheory.testing.federated_checks import FEDERATED_CHECKS

        return FEDERATED_CHECKS


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1
