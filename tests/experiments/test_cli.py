"""Command line: exit codes and messages for user errors (no tracebacks), list, run, report."""

from __future__ import annotations

import pytest

from rltheory.cli import DEMO_SPEC, main, resolve_spec


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_help_everywhere(capsys):
    for argv in ([], ["run"], ["report"], ["demo"], ["list"]):
        with pytest.raises(SystemExit) as caught:
            main([*argv, "--help"])
        assert caught.value.code == 0
        assert "usage: rltheory" in capsys.readouterr().out


def test_user_errors_exit_2_with_message_and_no_traceback(capsys, tmp_path, write_spec):
    status, _, err = run(capsys, "run", str(tmp_path / "missing.toml"))
    assert status == 2 and "no such spec file" in err and "Traceback" not in err
    bad = write_spec(
        'episodes = 5\nseeds = 1\n[env]\nid = "riversvim"\n[[algorithms]]\nid = "uniform"\n'
    )
    status, _, err = run(capsys, "run", str(bad), "--out", str(tmp_path / "o"))
    assert status == 2 and "env.id: unknown environment id 'riversvim'" in err
    assert "riverswim" in err and not (tmp_path / "o").exists()  # refused before any work
    status, _, err = run(capsys, "report", str(tmp_path))
    assert status == 2 and "no manifest.json" in err
    with pytest.raises(SystemExit) as caught:
        main(["run", "x.toml", "--seeds", "0"])
    assert caught.value.code == 2
    assert "positive integer" in capsys.readouterr().err


def test_run_overrides_then_refuses_a_changed_spec(capsys, tmp_path, write_spec):
    spec = str(write_spec())
    out = str(tmp_path / "out")
    status, text, _ = run(
        capsys,
        "run",
        spec,
        "--out",
        out,
        "--backend",
        "inprocess",
        "--episodes",
        "20",
        "--seeds",
        "2",
    )
    assert status == 0 and "4 cell(s) run" in text
    status, text, _ = run(
        capsys,
        "run",
        spec,
        "--out",
        out,
        "--backend",
        "inprocess",
        "--episodes",
        "20",
        "--seeds",
        "2",
    )
    assert status == 0 and "0 cell(s) run, 4 already finished" in text
    status, _, err = run(capsys, "run", spec, "--out", out, "--backend", "inprocess")
    assert status == 2 and "different spec" in err and "--force" in err
    status, _, err = run(
        capsys,
        "run",
        spec,
        "--out",
        out,
        "--backend",
        "inprocess",
        "--scheduler",
        "tcp://127.0.0.1:1",
    )
    assert status == 2 and "dask backend" in err


def test_list_shows_registries(capsys):
    status, out, _ = run(capsys, "list")
    assert status == 0
    for text in ("Algorithms", "Environments", "Bounds", "uniform", "oracle"):
        assert text in out


def test_demo_spec_ships_with_the_package():
    assert resolve_spec(DEMO_SPEC).is_file()
