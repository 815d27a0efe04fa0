"""Bad input refused before anything runs or is written: cells that would not fit in memory,
non-finite hyperparameters, checkpoints beyond K, spec paths that are directories or not
UTF-8, an uncreatable --out, an unreachable scheduler; located messages; spec round trips."""

from __future__ import annotations

import dataclasses
import math
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rltheory.algos import OnlineAlgorithm, register
from rltheory.cli import main
from rltheory.experiments import SpecError, backends, load_spec, spec_from_dict
from rltheory.experiments import results as R
from rltheory.experiments.memory import parse_bytes

TOY = """{top}
episodes = {episodes}
seeds = {seeds}
imports = ["toy_experiment_plugins"]
[env]
id = "{env}"
params = {{ {params} }}
[[algorithms]]
id = "{algorithm}"
{algo_params}
"""


def spec_text(
    episodes=20,
    seeds=2,
    env="toy-tabular",
    params="",
    algorithm="uniform",
    algo_params="",
    top="",
):
    """A toy spec; ``top`` holds extra top-level keys."""
    return TOY.format(
        top=top,
        episodes=episodes,
        seeds=seeds,
        env=env,
        params=params,
        algorithm=algorithm,
        algo_params=algo_params,
    )


def refused(capsys, tmp_path, path, *extra) -> str:
    """Run the CLI on ``path``; it must exit 2 without a traceback and without writing --out."""
    out = tmp_path / "out"
    status = main(["run", str(path), "--out", str(out), "--backend", "inprocess", *extra])
    err = capsys.readouterr().err
    assert status == 2 and "Traceback" not in err, err
    assert not (out / R.MANIFEST).exists()
    return err


def test_too_many_episodes_refused_with_estimate_and_limit(capsys, tmp_path, write_spec):
    err = refused(capsys, tmp_path, write_spec(spec_text(episodes=10**12)))
    assert "would not fit in memory" in err and "TiB" in err
    assert "more than the limit" in err and "--max-memory" in err


def test_huge_seed_counts_refused_without_expanding_cells(capsys, tmp_path, write_spec):
    err = refused(capsys, tmp_path, write_spec(spec_text(seeds=10**9)))
    assert "seeds:" in err and "more than the limit" in err
    batched = write_spec(spec_text(seeds=10**9, top="seed_batch = 1"), "b.toml")
    assert "more than 1000000" in refused(capsys, tmp_path, batched)


def test_huge_tabular_model_refused_before_it_is_built(capsys, tmp_path, write_spec):
    """n_states = 100000 on random-tabular would need terabytes for P [S, A, S]: building it
    (the structure pass builds every environment) would fail with MemoryError."""
    text = 'episodes = 10\nseeds = 1\n[env]\nid = "random-tabular"\nparams = { n_states = 100000 }'
    err = refused(capsys, tmp_path, write_spec(text + '\n[[algorithms]]\nid = "uniform"\n'))
    assert "random-tabular(n_states=100000" in err
    assert re.search(r"model \d+(\.\d+)? [GT]iB", err) and "more than the limit" in err


def test_max_memory_overrides_the_limit(capsys, tmp_path, write_spec):
    path = write_spec(spec_text())
    err = refused(capsys, tmp_path, path, "--max-memory", "1K")
    assert "limit 1 KiB (set by --max-memory)" in err
    big = write_spec(spec_text(episodes=10**12), "big.toml")
    assert main(["validate", str(big), "--max-memory", "1P"]) == 0  # validate runs nothing
    out = capsys.readouterr().out
    assert "1 cell(s)" in out and "largest cell" in out and "TiB" in out
    assert parse_bytes("1.5GiB") == 3 * 2**29 and parse_bytes("512") == 512
    with pytest.raises(ValueError, match="expected a size"):
        parse_bytes("lots")


def test_out_that_cannot_be_created(capsys, tmp_path, write_spec):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    status = main(
        ["run", str(write_spec()), "--out", str(blocker / "sub"), "--backend", "inprocess"]
    )
    err = capsys.readouterr().err
    assert status == 2 and "cannot create the results directory" in err
    assert "Not a directory" in err and "Traceback" not in err


def test_unreachable_scheduler_fails_before_a_manifest(capsys, tmp_path, write_spec, monkeypatch):
    monkeypatch.setattr(backends, "SCHEDULER_TIMEOUT", 1.0)
    out = tmp_path / "out"
    argv = ["run", str(write_spec()), "--out", str(out), "--scheduler", "tcp://127.0.0.1:1"]
    assert main(argv) == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:1" in capsys.readouterr().err
    assert not (out / R.MANIFEST).exists()


def test_parameter_errors_name_the_parameter(write_spec):
    with pytest.raises(SpecError) as caught:
        load_spec(write_spec(spec_text(algorithm="ucbvi", algo_params="params = { delta = 2.0 }")))
    assert "algorithms[0].params.delta: delta must lie in (0, 1)" in str(caught.value)
    both = "params = { c = 2.0, beta = 1.0 }"  # refused as a combination: located at .params
    with pytest.raises(SpecError, match=r"algorithms\[0\]\.params: give either"):
        load_spec(write_spec(spec_text(algorithm="ucbvi", algo_params=both)))


@pytest.mark.parametrize("value", ["inf", "-inf", "nan"])
def test_non_finite_hyperparameters_refused_unless_declared(write_spec, value, registrations):
    with pytest.raises(SpecError, match=r"algorithms\[0\]\.params\.c: must be a finite number"):
        load_spec(
            write_spec(
                spec_text(algorithm="lsvi-ucb", algo_params=f"params = {{ c = {value} }}").replace(
                    "toy-tabular", "toy-linear"
                )
            )
        )

    @register("toy-radius", citation="test fixture")
    class Radius(OnlineAlgorithm):
        @dataclasses.dataclass(frozen=True)
        class Config:
            radius: float = dataclasses.field(default=1.0, metadata={"allow_nonfinite": True})
            cap: float = math.inf

        def policy(self):  # pragma: no cover - never run
            raise NotImplementedError

        def update(self, trajectories):  # pragma: no cover
            raise NotImplementedError

    params = f"params = {{ radius = {value}, cap = {value} }}"
    spec = load_spec(write_spec(spec_text(algorithm="toy-radius", algo_params=params)))
    ((_, chosen),) = spec.algorithms[0].variants()
    assert math.isinf(chosen["radius"]) or math.isnan(chosen["radius"])


def test_checkpoints_beyond_k_refused(write_spec):
    text = spec_text(episodes=50, top="checkpoints = [1, 10, 100, 200]")
    with pytest.raises(SpecError, match=r"checkpoints: episodes \[100, 200\] lie beyond .*K = 50"):
        load_spec(write_spec(text))


def test_spec_path_that_is_a_directory_or_not_utf8(tmp_path):
    with pytest.raises(SpecError, match="is a directory, not a spec file"):
        load_spec(tmp_path)
    latin = tmp_path / "latin.toml"
    latin.write_bytes('name = "caf\u00e9"\n'.encode("latin-1"))
    with pytest.raises(SpecError, match=r"latin\.toml: not UTF-8 text"):
        load_spec(latin)


def test_missing_features_suggest_the_fix(write_spec):
    text = (
        'episodes = 5\nseeds = 1\n[env]\nid = "random-tabular"\n[[algorithms]]\nid = "lsvi-ucb"\n'
    )
    with pytest.raises(SpecError) as caught:
        load_spec(write_spec(text))
    message = str(caught.value)
    assert "algorithms[0].id: algorithm 'lsvi-ucb'" in message
    assert 'transforms = ["one-hot-features"]' in message and "tabular-as-linear" in message
    fixed = text.replace(
        'id = "random-tabular"', 'id = "random-tabular"\ntransforms = ["one-hot-features"]'
    )
    assert load_spec(write_spec(fixed, "fixed.toml")).cells()


@pytest.mark.parametrize("key", ["resamples", "bootstrap_seed"])
def test_removed_bootstrap_plot_keys_refused_with_the_reason(write_spec, key):
    """The percentile bootstrap's options are gone (intervals are jackknife-t): a spec that
    still sets one is told so at its location, not silently ignored."""
    text = spec_text() + f"[plots]\ntail = 0.2\n{key} = 100\n"
    with pytest.raises(SpecError) as caught:
        load_spec(write_spec(text))
    message = str(caught.value)
    assert (
        f"plots.{key}: key '{key}' was removed from plots: intervals are now jackknife-t" in message
    )
    assert "deterministic, no resampling" in message and "unknown key" not in message
    assert len(caught.value.problems) == 1


# --- every spec dataclass round-trips through to_dict / spec_from_dict -------------------------

floats = st.floats(0.1, 10.0, allow_nan=False).map(lambda x: round(x, 3))


@st.composite
def spec_data(draw) -> dict:
    episodes = draw(st.integers(1, 500))
    checkpoints = draw(
        st.one_of(
            st.integers(1, 60),
            st.lists(st.integers(1, episodes), min_size=1, max_size=6),
            st.fixed_dictionaries(
                {"spacing": st.sampled_from(["log", "linear"]), "count": st.integers(1, 30)}
            ),
        )
    )
    n_states = draw(st.lists(st.integers(2, 6), min_size=1, max_size=3, unique=True))
    env = {
        "id": "toy-tabular",
        "params": {
            "n_states": n_states if len(n_states) > 1 else n_states[0],
            "noise": draw(floats),
        },
        "seed": draw(
            st.one_of(
                st.integers(0, 5), st.lists(st.integers(0, 5), min_size=1, max_size=2, unique=True)
            )
        ),
        "transforms": draw(st.sampled_from([[], ["one-hot-features"], ["unit-total-reward"]])),
    }
    scales = draw(st.lists(floats, min_size=1, max_size=3, unique=True))
    algorithms = [
        {
            "id": "toy-random",
            "label": draw(st.sampled_from(["a", "random b"])),
            "params": {"scale": scales, "flag": draw(st.booleans())},
        },
        {"id": "uniform"},
    ]
    data = {
        "name": draw(st.sampled_from(["x", "a spec"])),
        "episodes": episodes,
        "checkpoints": checkpoints,
        "seeds": draw(st.integers(1, 9)),
        "base_seed": draw(st.integers(0, 2**31)),
        "imports": ["toy_experiment_plugins"],
        "env": [env] if draw(st.booleans()) else env,
        "algorithms": algorithms,
        "plots": {
            "kinds": draw(st.lists(st.sampled_from(["loglog", "regret_vs_episodes"]), unique=True)),
            "tail": draw(st.floats(0.05, 0.9).map(lambda x: round(x, 2))),
            "confidence": draw(st.floats(0.5, 0.99).map(lambda x: round(x, 2))),
        },
    }
    if draw(st.booleans()):
        data["seed_batch"] = draw(st.integers(1, 9))
    return data


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec_data())
def test_every_spec_round_trips_through_to_dict(data):
    spec = spec_from_dict(data, check_structures=False)
    again = spec_from_dict(spec.to_dict(), check_structures=False)
    assert again == spec and again.hash == spec.hash
    assert again.to_dict() == spec.to_dict()
    assert [c.key for c in again.cells()] == [c.key for c in spec.cells()]
