"""Command line: exit codes and messages for user errors (no tracebacks), list, run, report."""

from __future__ import annotations

import pytest

from rltheory.cli import DEMO_SPEC, main, resolve_spec


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_help_everywhere(capsys):
    for argv in ([], ["run"], ["report"], ["demo"], ["list"], ["validate"]):
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


def test_version(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0 and capsys.readouterr().out.strip() == "rltheory 0.1.0"


def test_list_shows_parameters_transforms_and_delays(capsys):
    status, out, _ = run(capsys, "list")
    assert status == 0
    assert "c = 1.0: constant of ``beta = c d H sqrt(iota)``" in out  # default and meaning
    assert "lam = 1.0: ridge parameter" in out and "random-tabular" in out
    assert "one-hot-features: " in out and "unit-total-reward: " in out
    assert "geometric: mean = 5.0" in out and "pareto: alpha = 1.5, scale = 1.0" in out
    assert "quickstart" in out and max(len(line) for line in out.splitlines()) <= 100


def test_list_id_details_one(capsys):
    status, out, _ = run(capsys, "list", "lsvi-ucb")
    assert status == 0 and "citation: Jin, Yang, Wang, Jordan" in out
    assert "requires: features, finite-horizon" in out and "lsvi-ucb-jin2020 [upper]" in out
    assert "p = 0.05: failure probability" in out
    status, out, _ = run(capsys, "list", "riverswim")
    assert status == 0 and "rltheory/RiverSwim-v0" in out and "n_states = 5" in out
    status, _, err = run(capsys, "list", "lsvi")
    assert status == 2 and "Did you mean: lsvi-ucb" in err


def test_no_user_visible_text_refers_to_internal_briefs(capsys):
    from rltheory.algos import entries
    from rltheory.envs import families

    texts = [run(capsys, "list")[1]]
    texts += [run(capsys, "list", name)[1] for name in [e.id for e in entries()]]
    texts += [run(capsys, "list", name)[1] for name in [f.id for f in families()]]
    offending = [line for text in texts for line in text.splitlines() if "brief" in line.lower()]
    assert not offending
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]  # docstrings (API docs, help()) and the docs
    files = [*(root / "rltheory").rglob("*.py"), root / "README.md", root / "experiments/README.md"]
    files += [*(root / "docs").glob("*.md")]
    pattern = re.compile(r"\bbrief(?:'s)?\s*(?:§|``)|\(brief\b", re.IGNORECASE)
    cited = [
        f"{p}:{n}"
        for p in files
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert not cited


def test_validate_prints_cells_and_memory_and_runs_nothing(
    capsys, tmp_path, write_spec, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    status, out, _ = run(capsys, "validate", str(write_spec()), "--seeds", "2")
    assert status == 0 and "valid (online protocol" in out
    assert "4 cell(s), 2 seed(s) each:" in out and "toy-random on toy-tabular(n_states=3" in out
    assert "largest cell:" in out and "limit per cell" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.toml"]  # nothing written
    bad = write_spec('episodes = 5\nseeds = 1\n[env]\nid = "nope"\n', "bad.toml")
    status, _, err = run(capsys, "validate", str(bad))
    assert status == 2 and "env.id: unknown environment id 'nope'" in err


def test_shipped_specs_work_from_a_plain_package_install(tmp_path):
    """The package alone (as a wheel installs it, no repository around it) finds its specs:
    ``python -m rltheory validate quickstart`` and the demo's spec resolve from package data;
    pyproject ships every spec file."""
    import fnmatch
    import os
    import shutil
    import subprocess
    import sys
    import tomllib
    from pathlib import Path

    import rltheory

    package = Path(rltheory.__file__).parent
    site = tmp_path / "site"
    shutil.copytree(package, site / "rltheory", ignore=shutil.ignore_patterns("__pycache__"))
    work = tmp_path / "work"
    work.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "rltheory", "validate", "quickstart"],
        cwd=work,
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert f"{site / 'rltheory' / 'specs' / 'quickstart.toml'}: valid" in done.stdout
    pyproject = tomllib.loads((package.parent / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["rltheory.specs"]
    specs = [p.name for p in (package / "specs").glob("*.toml")]
    assert specs and all(any(fnmatch.fnmatch(n, p) for p in patterns) for n in specs)
    assert resolve_spec("quickstart") == package / "specs" / "quickstart.toml"
