"""The offline protocol end to end: a spec runs into a tidy table whose exact metrics equal an
independent recomputation, and bad offline keys are refused with located messages."""

from __future__ import annotations

import numpy as np
import pytest

from rltheory.algos import Problem, get
from rltheory.envs import make_model
from rltheory.envs.perturbation import perturbed_model
from rltheory.experiments import results as R
from rltheory.experiments import runner
from rltheory.experiments.errors import SpecError
from rltheory.experiments.loops import seed_generators
from rltheory.experiments.protocols import offline as O
from rltheory.experiments.spec import load_spec
from rltheory.mdp import RobustMDP, draw_uniforms, rollout_from_uniforms
from rltheory.offline import behaviour_policy
from rltheory.offline.metrics import perturbed_values, robust_suboptimality

SPEC = """
name = "offline-e2e"
seeds = 3
base_seed = 11
dataset_sizes = [20, 80]
behaviour = {{ policy = "epsilon-optimal", epsilon = 0.5 }}
perturbations = [0.0, 1.0]
{extra}
[env]
id = "liu-xu-linear"

[[algorithms]]
id = "r2pvi"
label = "R2PVI-TV"
params = {{ divergence = "tv", lam = 0.2, beta = 0.5, ridge = 0.1 }}

[[algorithms]]
id = "pevi"
label = "PEVI"
params = {{ beta = 0.5, ridge = 0.1 }}
"""


def test_offline_spec_runs_and_its_metrics_are_exact(write_spec, tmp_path):
    spec = load_spec(write_spec(SPEC.format(extra="")))
    runner.run_experiment(spec, tmp_path, backend="inprocess")
    frame, _, _ = R.load_results(tmp_path)
    assert len(frame) == 2 * 3 * 2 * 2  # algorithms x seeds x sizes x levels
    r2 = frame[frame[R.LABEL] == "R2PVI-TV"].sort_values([O.SEED, O.N_DATA, O.PERTURBATION])
    assert set(r2[O.CRITERION]) == {"regularized tv level=0.2"}
    assert (frame[O.SUBOPTIMALITY] >= -1e-12).all() and (frame[O.NOMINAL] >= -1e-12).all()
    # Recompute K = 80 from scratch: seed i is SeedSequence(base_seed, spawn_key=(i,)).
    cell_seeds = [np.random.SeedSequence(entropy=11, spawn_key=(i,)) for i in range(3)]
    env_rngs, algo_rngs = seed_generators(cell_seeds)
    model = make_model("liu-xu-linear", 0)
    policy = behaviour_policy(model, "epsilon-optimal", epsilon=0.5)
    batch = np.broadcast_to(policy, (len(cell_seeds), *policy.shape))
    data = rollout_from_uniforms(model, batch, draw_uniforms(env_rngs, 80, model.horizon))
    entry = get("r2pvi")
    config = entry.make_config(divergence="tv", lam=0.2, beta=0.5, ridge=0.1)
    learner = entry.cls(Problem.from_model(model, 80), config, algo_rngs)
    policies = learner.fit(data)
    expected = robust_suboptimality(RobustMDP(model, "tv", 0.2), policies)
    rows = r2[(r2[O.N_DATA] == 80) & (r2[O.PERTURBATION] == 1.0)]
    np.testing.assert_allclose(rows[O.SUBOPTIMALITY].to_numpy(), expected, atol=1e-12)
    values = perturbed_values([perturbed_model(model, 1.0)], policies)[0]
    np.testing.assert_allclose(rows[O.PERTURBED_VALUE].to_numpy(), values, atol=1e-12)
    curves = O.perturbation_curves(frame)
    assert set(curves[O.PERTURBATION]) == {0.0, 1.0} and (curves["count"] == 3).all()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("dataset_sizes = [0, 5]\n", "dataset_sizes"),
        ('behaviour = "greedy"\n', "behaviour.policy"),
        ('perturbations = "all"\n', "perturbations"),
    ],
)
def test_bad_offline_keys_are_located(write_spec, extra, message):
    text = SPEC.format(extra="").replace("dataset_sizes = [20, 80]\n", "")
    text = text.replace('behaviour = { policy = "epsilon-optimal", epsilon = 0.5 }\n', "")
    text = text.replace("perturbations = [0.0, 1.0]\n", "")
    if "dataset_sizes" not in extra:
        text = "dataset_sizes = [20]\n" + text
    with pytest.raises(SpecError, match=message):
        load_spec(write_spec(extra + text))


PUT_SPEC = """
name = "offline-put"
seeds = 2
dataset_sizes = [15]
behaviour = "never-exercise"
perturbations = "paper"

[env]
id = "american-put"
params = { dim = 6, horizon = 4, initial_price = 100.0 }

[[algorithms]]
id = "r2pvi"
params = { divergence = "kl", lam = 0.05, beta = 0.001 }
"""


def test_misspecified_model_is_judged_by_the_nominal_criterion(write_spec, tmp_path):
    """The American put is not d-rectangular: no robust model exists, so the suboptimality column
    is the nominal one (and says so), the paper's five test models are evaluated exactly."""
    runner.run_experiment(load_spec(write_spec(PUT_SPEC)), tmp_path, backend="inprocess")
    frame, _, _ = R.load_results(tmp_path)
    assert set(frame[O.CRITERION]) == {"nominal"}
    np.testing.assert_array_equal(frame[O.SUBOPTIMALITY], frame[O.NOMINAL])
    assert sorted(set(frame[O.PERTURBATION])) == [0.2, 0.4, 0.6, 0.8, 1.0]
    assert O.PESSIMISM not in frame or frame[O.PESSIMISM].isna().all()
