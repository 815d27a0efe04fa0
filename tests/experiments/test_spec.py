"""Spec validation: every error class is reported, located, with close-name hints, before work."""

from __future__ import annotations

import numpy as np
import pytest

from rltheory.experiments.spec import SpecError, load_spec

BASE = """
episodes = 10
seeds = 2
imports = ["toy_experiment_plugins"]
{env}
{algorithms}
"""
ENV = '[env]\nid = "toy-tabular"\nparams = {{ n_states = 3 }}\n'
ALGO = '[[algorithms]]\nid = "toy-random"\n'


def problems(write_spec, text: str) -> list[tuple[str, str]]:
    with pytest.raises(SpecError) as caught:
        load_spec(write_spec(text))
    assert str(write_spec(text)) in str(caught.value)  # the file is named
    return caught.value.problems


def test_unknown_environment_id_names_closest(write_spec):
    text = BASE.format(env='[env]\nid = "toy-tabulr"\n', algorithms=ALGO)
    [(path, message)] = problems(write_spec, text)
    assert path == "env.id"
    assert "unknown environment id 'toy-tabulr'" in message and "toy-tabular" in message


def test_unknown_algorithm_id_names_closest(write_spec):
    text = BASE.format(env=ENV.format(), algorithms='[[algorithms]]\nid = "toy-randm"\n')
    [(path, message)] = problems(write_spec, text)
    assert path == "algorithms[0].id"
    assert "toy-random" in message


def test_unknown_parameter_lists_accepted_names(write_spec):
    algorithms = ALGO + "params = { scal = 2.0 }\n"
    env = '[env]\nid = "toy-tabular"\nparams = { n_state = 3 }\n'
    found = dict(problems(write_spec, BASE.format(env=env, algorithms=algorithms)))
    assert "did you mean 'scale'" in found["algorithms[0].params.scal"]
    assert "accepted: scale, flag" in found["algorithms[0].params.scal"]
    assert "did you mean 'n_states'" in found["env.params.n_state"]


def test_wrong_type_is_located(write_spec):
    env = '[env]\nid = "toy-tabular"\nparams = { n_states = [3, 4.5] }\n'
    algorithms = ALGO + 'params = { flag = 1, scale = "big" }\n'
    found = dict(problems(write_spec, BASE.format(env=env, algorithms=algorithms)))
    assert found["env.params.n_states"] == "expected an integer, got float 4.5"
    assert found["algorithms[0].params.flag"] == "expected true or false, got int 1"
    assert found["algorithms[0].params.scale"] == "expected a number, got str 'big'"


def test_structure_mismatch_reported_before_running(write_spec):
    algorithms = '[[algorithms]]\nid = "toy-linear-random"\n'
    [(path, message)] = problems(write_spec, BASE.format(env=ENV.format(), algorithms=algorithms))
    assert path == "algorithms[0].id"
    assert "needs features" in message and "toy-tabular(n_states=3" in message


def test_top_level_and_section_errors_collected_together(write_spec):
    text = """
    episodes = 0
    seds = 3
    checkpoints = { spacing = "lgo" }
    imports = ["toy_experiment_plugins"]
    [env]
    id = "toy-tabular"
    [[algorithms]]
    id = "uniform"
    [[algorithms]]
    id = "uniform"
    [plots]
    kinds = ["loglog", "histogram"]
    """
    found = dict(problems(write_spec, text))
    assert "did you mean 'seeds'" in found["seds"]
    assert found["episodes"] == "must be >= 1, got 0"
    assert found["seeds"] == "missing (required)"
    assert "did you mean 'log'" in found["checkpoints.spacing"]
    assert "already used" in found["algorithms[1].label"]
    assert "unknown plot kind 'histogram'" in found["plots.kinds[1]"]


def test_invalid_toml_and_missing_file(write_spec, tmp_path):
    with pytest.raises(SpecError, match="invalid TOML"):
        load_spec(write_spec("episodes = = 3"))
    with pytest.raises(SpecError, match="no such spec file"):
        load_spec(tmp_path / "absent.toml")


def test_sweeps_expand_into_cells_with_batch_independent_seeds(write_spec):
    spec = load_spec(write_spec())
    cells = spec.cells()
    # 2 environment configurations x 2 algorithms x 2 seed batches
    assert len(cells) == 8
    assert {c.seeds for c in cells} == {(0, 1), (2, 3)}
    assert spec.swept_env_params() == ["n_states"]
    # seed i is the i-th child of SeedSequence(base_seed), however seeds are batched
    children = np.random.SeedSequence(spec.base_seed).spawn(4)
    for cell in cells:
        for i, sequence in zip(cell.seeds, cell.seed_sequences(), strict=True):
            assert np.array_equal(sequence.generate_state(4), children[i].generate_state(4))


def test_hash_ignores_presentation_but_not_overrides(write_spec, toy_text):
    spec = load_spec(write_spec())
    presented = toy_text.replace('name = "toy"', 'name = "renamed"\ndescription = "other"')
    renamed = load_spec(write_spec(presented + "\n[plots]\ntail = 0.2\n", "other.toml"))
    assert renamed.name == "renamed" and renamed.plots.tail == 0.2
    assert renamed.hash == spec.hash
    assert spec.with_overrides(seeds=5).hash != spec.hash
    assert spec.with_overrides(episodes=41).hash != spec.hash
    assert spec.with_overrides(episodes=41).cells()[0].run["checkpoints"][-1] == 41
    with pytest.raises(SpecError, match="--seeds"):
        spec.with_overrides(seeds=0)


@pytest.mark.parametrize(
    "name",
    ["quickstart", "lsvi_ucb_regret_vs_K", "lsvi_ucb_regret_vs_d", "lsvi_ucb_regret_vs_H"],
)
def test_shipped_specs_validate(name):
    from rltheory.specs import path as shipped_spec

    spec = load_spec(shipped_spec(name))
    assert spec.seeds == 8 and spec.cells()
    if name.endswith(("_d", "_H")):
        assert len(spec.swept_env_params()) == 1


def test_shipped_minimax_rate_spec_ties_k_and_warns_about_the_encoding():
    """One cell per (K, algorithm) with the instance built for its K; the linear encoding's
    signed measures exceed Assumption A's TV norm, which the structure pass says."""
    from rltheory.envs.assumptions import AssumptionWarning
    from rltheory.specs import path as shipped_spec

    with pytest.warns(AssumptionWarning, match="lsvi-ucb-jin2020"):
        spec = load_spec(shipped_spec("lsvi_ucb_minimax_rate"))
    cells = spec.cells()
    assert len(cells) == 12
    assert all(c.env.params["n_episodes"] == c.run["episodes"] for c in cells)


SWEEP = """
episodes = {episodes}
seeds = 2
{tie}
[env]
id = "{env}"
params = {params}
[[algorithms]]
id = "lsvi-ucb"
"""


@pytest.mark.filterwarnings("ignore::rltheory.envs.assumptions.AssumptionWarning")
def test_episode_sweep_ties_the_environment_parameter(write_spec):
    """One cell per K, each with the hard instance built for its own K."""
    text = SWEEP.format(
        episodes="[40, 20]",
        tie='tie = { n_episodes = "episodes" }',
        env="zgs-hard",
        params='{ dim = 3, horizon = 3, encoding = "linear" }',
    )
    spec = load_spec(write_spec(text))
    cells = spec.cells()
    assert [c.run["episodes"] for c in cells] == [20, 40]
    assert [c.env.params["n_episodes"] for c in cells] == [20, 40]
    assert [c.env.build().metadata["n_episodes"] for c in cells] == [20, 40]


@pytest.mark.parametrize(
    ("episodes", "tie", "env", "params", "where", "needle"),
    [
        ("[10, 0]", "", "random-linear", "{ dim = 2 }", "episodes", "must be >= 1"),
        ("[10, 2.5]", "", "random-linear", "{ dim = 2 }", "episodes", "list of positive"),
        ("10", 'tie = { n_episodes = "seeds" }', "zgs-hard", "{}", "tie.n_episodes", "episodes"),
        (
            "10",
            'tie = { n_episodes = "episodes" }',
            "random-linear",
            "{}",
            "tie.n_episodes",
            "has no such parameter",
        ),
        (
            "10",
            'tie = { n_episodes = "episodes" }',
            "zgs-hard",
            "{ n_episodes = 5 }",
            "tie.n_episodes",
            "sets it in params",
        ),
        ("10", "tie = 3", "zgs-hard", "{}", "tie", "expected a table"),
    ],
)
@pytest.mark.filterwarnings("ignore::rltheory.envs.assumptions.AssumptionWarning")
def test_episode_sweep_and_tie_errors_are_located(
    write_spec, episodes, tie, env, params, where, needle
):
    text = SWEEP.format(episodes=episodes, tie=tie, env=env, params=params)
    found = problems(write_spec, text)
    assert any(path == where and needle in message for path, message in found), found


def test_monitor_settings_are_validated(write_spec):
    text = SWEEP.format(
        episodes="10", tie="monitor = 1\nmonitor_stride = 0", env="random-linear", params="{}"
    )
    paths = {path for path, _ in problems(write_spec, text)}
    assert {"monitor", "monitor_stride"} <= paths
