"""Offline datasets: behaviour policies, batched collection, the on-disk layout and its
validation, coverage diagnostics and the exact offline metrics."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from rltheory.algos._pessimism import step_statistics
from rltheory.envs import make_model
from rltheory.envs.perturbation import perturbed_models
from rltheory.mdp import RobustMDP, evaluate, initial_value, occupancy, robust_optimal
from rltheory.offline import DatasetError, behaviour_policy, collect, load_dataset, save_dataset
from rltheory.offline.coverage import min_eigenvalue_coverage, uncertainty_term
from rltheory.offline.metrics import perturbed_values, r2pvi_rate, robust_suboptimality


@pytest.fixture(scope="module")
def model():
    return make_model("liu-xu-linear", 0)


def _dataset(model, seeds=(3, 4, 5), n=25, behaviour="uniform", **kw):
    return collect(
        model, behaviour, n, [np.random.default_rng(s) for s in seeds], seeds=seeds, **kw
    )


def test_behaviour_policies(model):
    assert np.allclose(behaviour_policy(model, "uniform"), 1 / 16)
    assert np.all(behaviour_policy(model, "never-exercise")[..., 0] == 1)
    mixed = behaviour_policy(model, "epsilon-optimal", epsilon=0.2)
    assert np.allclose(mixed.sum(-1), 1) and mixed.max() == pytest.approx(0.8 + 0.2 / 16)
    with pytest.raises(ValueError, match="Did you mean: uniform"):
        behaviour_policy(model, "unifrom")
    with pytest.raises(ValueError, match="needs epsilon"):
        behaviour_policy(model, "epsilon-optimal")


def test_collection_is_batched_bit_for_bit(model):
    batched = _dataset(model)
    for b, seed in enumerate((3, 4, 5)):
        alone = _dataset(model, seeds=(seed,))
        assert np.array_equal(alone.trajectories.states[0], batched.trajectories.states[b])
        assert np.array_equal(alone.trajectories.actions[0], batched.trajectories.actions[b])


def test_epsilon_zero_follows_the_optimal_policy(model):
    from rltheory.mdp import optimal

    data = _dataset(model, behaviour="epsilon-optimal", epsilon=0.0).trajectories
    greedy = optimal(model).policy
    steps = np.arange(model.horizon)
    assert np.array_equal(data.actions, greedy[steps, data.states[..., :-1]])


# --- storage ------------------------------------------------------------------------------------


def test_round_trip(model, tmp_path):
    data = _dataset(model, behaviour="epsilon-optimal", epsilon=0.3)
    path = save_dataset(data, tmp_path / "d", model.n_states, model.n_actions)
    back = load_dataset(path, n_states=5, n_actions=16, horizon=3)
    for name in ("states", "actions", "rewards"):
        assert np.array_equal(getattr(back.trajectories, name), getattr(data.trajectories, name))
    assert (back.behaviour, back.seeds, back.epsilon) == ("epsilon-optimal", (3, 4, 5), 0.3)
    manifest = json.loads((path / "manifest.json").read_text())
    assert (
        manifest["columns"][:3] == ["seed", "episode", "observations_0"] and manifest["rows"] == 75
    )
    with pytest.raises(FileExistsError):
        save_dataset(data, path, 5, 16)


def _rewrite(path, mutate):
    """Rewrite data.parquet after ``mutate(dict of columns)`` and fix the checksum."""
    from rltheory.offline.storage import _sha256

    table = pq.read_table(path / "data.parquet").to_pydict()
    mutate(table)
    pq.write_table(pa.table(table), path / "data.parquet")
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["sha256"] = _sha256(path / "data.parquet")
    (path / "manifest.json").write_text(json.dumps(manifest))


def test_corrupted_file_is_refused(model, tmp_path):
    path = save_dataset(_dataset(model), tmp_path / "d", 5, 16)
    raw = bytearray((path / "data.parquet").read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    (path / "data.parquet").write_bytes(bytes(raw))
    with pytest.raises(DatasetError, match=r"data.parquet: corrupted \(sha256"):
        load_dataset(path)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda t: t["actions_1"].__setitem__(17, 16), r"column 'actions_1' row 17 has value 16"),
        (lambda t: t["observations_3"].__setitem__(40, -1), r"'observations_3' row 40 has value"),
        (lambda t: t.pop("rewards_2"), r"column 'rewards_2' is missing"),
        (lambda t: t["episode"].__setitem__(5, 9), r"column 'episode' row 5 is 9, expected 5"),
        (lambda t: t.__setitem__("actions_0", list(map(float, t["actions_0"]))), r"type double"),
        (lambda t: t["rewards_0"].__setitem__(3, float("nan")), r"'rewards_0' row 3 is not finite"),
    ],
)  # fmt: skip
def test_mis_shaped_or_out_of_range_file_is_refused_with_its_location(
    model, tmp_path, mutate, message
):
    path = save_dataset(_dataset(model), tmp_path / "d", 5, 16)
    _rewrite(path, mutate)
    with pytest.raises(DatasetError, match=message):
        load_dataset(path)


def test_manifest_problems_are_refused(model, tmp_path):
    with pytest.raises(DatasetError, match=r"manifest\.json: missing"):
        load_dataset(tmp_path)
    path = save_dataset(_dataset(model), tmp_path / "d", 5, 16)
    with pytest.raises(DatasetError, match="n_actions = 16 but the model has 2"):
        load_dataset(path, n_actions=2)
    (path / "manifest.json").write_text("{not json")
    with pytest.raises(DatasetError, match="not valid JSON"):
        load_dataset(path)


def test_invalid_dataset_is_not_written(model, tmp_path):
    data = _dataset(model)
    data.trajectories.actions.flags.writeable = True
    data.trajectories.actions[1, 2, 0] = 99
    with pytest.raises(DatasetError, match=r"column 'actions_0' row 27 has value 99"):
        save_dataset(data, tmp_path / "d", 5, 16)
    assert list(tmp_path.iterdir()) == []


# --- coverage and metrics -----------------------------------------------------------------------


def test_coverage_diagnostics_against_direct_computation(model):
    data = _dataset(model, n=200).trajectories
    stats = step_statistics(model.features, data.states, data.actions, data.rewards, 1.0)
    coverage = min_eigenvalue_coverage(stats)
    assert coverage[0, 1] == pytest.approx(np.linalg.eigvalsh(stats.gram[0, 1]).min() / 200)
    pi_star = robust_optimal(RobustMDP(model, "tv", 0.1)).policy
    term = uncertainty_term(model, pi_star, stats)
    occ = occupancy(model, pi_star)
    direct = 0.0
    for h in range(3):
        widths = np.abs(model.features) @ np.sqrt(np.diag(np.linalg.inv(stats.gram[1, h])))
        direct += (occ[h] * widths).sum()
    assert term[1] == pytest.approx(direct)
    more = _dataset(model, n=3200).trajectories
    big = step_statistics(model.features, more.states, more.actions, more.rewards, 1.0)
    ratio = uncertainty_term(model, pi_star, big).mean() / term.mean()
    assert 0.15 < ratio < 0.4  # ~ (200 / 3200)^{1/2} = 0.25


def test_metrics(model):
    robust = RobustMDP(model, "kl", 0.1)
    best = robust_optimal(robust).policy
    rng = np.random.default_rng(0)
    policies = np.stack([best, rng.integers(16, size=best.shape)])
    gaps = robust_suboptimality(robust, policies)
    assert gaps[0] == pytest.approx(0.0, abs=1e-14) and gaps[1] > 0
    tests = perturbed_models(model, [0.0, 1.0])
    values = perturbed_values(tests, policies)
    assert values.shape == (2, 2)
    assert values[1, 0] == pytest.approx(initial_value(tests[1], evaluate(tests[1], best)))
    assert r2pvi_rate("tv", 400, 4, 3) == pytest.approx(r2pvi_rate("tv", 100, 4, 3) / 2)
