"""The algorithm registry: decorator, errors with close names, and the entry-point group."""

from __future__ import annotations

import sys
import textwrap
from dataclasses import dataclass

import pytest

from rltheory import algos
from rltheory.algos import registry
from rltheory.algos.protocols import OnlineAlgorithm


def test_unknown_id_suggests_close_names():
    with pytest.raises(algos.UnknownAlgorithmError) as err:
        algos.get("lsvi-ubc")
    message = str(err.value)
    assert "unknown algorithm id 'lsvi-ubc'" in message
    assert "Did you mean: lsvi-ucb" in message


def test_make_config_rejects_unknown_parameter_with_accepted_names():
    entry = algos.get("lsvi-ucb")
    with pytest.raises(TypeError, match=r"'bet' \(did you mean 'beta'\?\).*accepted: .*lam"):
        entry.make_config(bet=0.1)
    assert entry.make_config(beta=0.1).beta == 0.1


def test_duplicate_id_is_an_error():
    class Again(OnlineAlgorithm):
        @dataclass(frozen=True)
        class Config:
            pass

        def policy(self):  # pragma: no cover - never run
            raise NotImplementedError

        def update(self, trajectories):  # pragma: no cover - never run
            raise NotImplementedError

    with pytest.raises(ValueError, match="'uniform' is already registered"):
        algos.register("uniform", citation="test")(Again)


def test_unknown_structure_requirement_is_an_error():
    with pytest.raises(ValueError, match="unknown structure requirement"):
        algos.register("x", requires=("featurez",), citation="test")


def test_class_without_config_dataclass_is_rejected():
    class NoConfig(OnlineAlgorithm):
        def policy(self):  # pragma: no cover - never run
            raise NotImplementedError

        def update(self, trajectories):  # pragma: no cover - never run
            raise NotImplementedError

    with pytest.raises(TypeError, match="dataclass `Config`"):
        algos.register("no-config", citation="test")(NoConfig)
    assert "no-config" not in {e.id for e in algos.entries()}


def test_entry_point_group_registers_an_external_package(tmp_path, monkeypatch, registrations):
    """A distribution declaring ``[rltheory.algorithms]`` gets its module imported on lookup."""
    package = tmp_path / "plugin_pkg.py"
    package.write_text(
        textwrap.dedent(
            """
            from dataclasses import dataclass
            from rltheory.algos import register
            from rltheory.algos.baselines import UniformRandom

            @register("plugin-uniform", requires=("finite-horizon",), citation="plugin test")
            class PluginUniform(UniformRandom):
                @dataclass(frozen=True)
                class Config:
                    pass
            """
        )
    )
    dist = tmp_path / "plugin_pkg-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: plugin-pkg\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[rltheory.algorithms]\nplugin = plugin_pkg\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry, "_PLUGINS_LOADED", False)
    monkeypatch.delitem(sys.modules, "plugin_pkg", raising=False)
    entry = algos.get("plugin-uniform")
    assert entry.citation == "plugin test"
    assert entry.protocol == "online"


def test_scoped_registrations_remove_an_algorithm_and_restore_a_removed_one():
    """The helper every test that registers something uses: it leaves the registry unchanged."""
    from rltheory.testing import scoped_registrations

    class Temporary(OnlineAlgorithm):
        @dataclass(frozen=True)
        class Config:
            pass

        def policy(self):  # pragma: no cover - never run
            raise NotImplementedError

        def update(self, trajectories):  # pragma: no cover - never run
            raise NotImplementedError

    before = [e.id for e in algos.entries()]
    uniform = algos.get("uniform")
    with scoped_registrations():
        algos.register("temporary", citation="test")(Temporary)
        registry._REGISTRY.remove("uniform")
        assert "temporary" in [e.id for e in algos.entries()]
        with pytest.raises(algos.UnknownAlgorithmError):
            algos.get("uniform")
    assert [e.id for e in algos.entries()] == before
    assert algos.get("uniform") is uniform


def test_smoke_parameters_must_name_config_fields(registrations):
    class Smoky(OnlineAlgorithm):
        @dataclass(frozen=True)
        class Config:
            beta: float = 1.0

        def policy(self):  # pragma: no cover - never run
            raise NotImplementedError

        def update(self, trajectories):  # pragma: no cover - never run
            raise NotImplementedError

    with pytest.raises(TypeError, match=r"'bta' \(did you mean 'beta'\?\)"):
        algos.register("smoky", citation="test", smoke={"bta": 0.1})(Smoky)
    assert "smoky" not in {e.id for e in algos.entries()}
