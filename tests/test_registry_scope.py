"""The registry type every catalogue uses, and the scoped registrations tests rely on."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest

from rltheory import envs
from rltheory._registry import Registry, scoped_registrations
from rltheory.envs import registry as env_registry
from rltheory.mdp import FiniteHorizonMDP


class _Unknown(LookupError):
    pass


def _registry(log: list) -> Registry:
    return Registry(
        "widget",
        _Unknown,
        on_add=lambda entry: log.append(("add", entry)),
        on_remove=lambda entry: log.append(("remove", entry)),
    )


def test_add_get_remove_and_side_effects():
    log: list = []
    widgets = _registry(log)
    widgets.add("b", 2)
    widgets.add("a", 1)
    assert widgets.ids() == ["a", "b"] and widgets.values() == [1, 2] and "a" in widgets
    with pytest.raises(ValueError, match="widget id 'a' is already registered"):
        widgets.add("a", 3)
    with pytest.raises(_Unknown, match="unknown widget id 'c'"):
        widgets.get("c")
    assert widgets.remove("a") == 1 and widgets.peek("a") is None
    assert log == [("add", 2), ("add", 1), ("remove", 1)]


def test_a_failing_side_effect_leaves_nothing_registered():
    def refuse(entry):
        raise ValueError("no")

    widgets = Registry("widget", on_add=refuse)
    with pytest.raises(ValueError, match="no"):
        widgets.add("a", 1)
    assert "a" not in widgets


def test_scoped_removes_additions_and_restores_removals_and_replacements():
    log: list = []
    widgets = _registry(log)
    widgets.add("kept", 1)
    widgets.add("replaced", 2)
    log.clear()
    with scoped_registrations(widgets):
        widgets.add("new", 3)
        widgets.remove("kept")
        widgets.remove("replaced")
        widgets.add("replaced", 20)
    assert dict(zip(widgets.ids(), widgets.values(), strict=True)) == {"kept": 1, "replaced": 2}
    assert ("remove", 3) in log and ("remove", 20) in log
    assert ("add", 1) in log and ("add", 2) in log


def test_scoped_restores_even_when_the_block_raises():
    widgets = _registry([])
    with pytest.raises(RuntimeError), widgets.scoped():
        widgets.add("temporary", 1)
        raise RuntimeError
    assert len(widgets) == 0


def test_a_built_in_family_removed_in_a_scope_comes_back_with_its_gym_id(registrations):
    """The restore re-runs the side effect: the gymnasium id returns with the family."""
    entry = envs.get_family("riverswim")
    with scoped_registrations(env_registry._FAMILIES):
        env_registry._FAMILIES.remove("riverswim")
        assert entry.gym_id not in gymnasium.registry
    assert envs.get_family("riverswim") is entry
    assert gymnasium.make(entry.gym_id).unwrapped.model.n_states == entry.defaults["n_states"]


def test_make_model_needs_an_explicit_random_source():
    with pytest.raises(TypeError, match="needs an explicit random source"):
        envs.make_model("random-tabular", None)
    with pytest.raises(TypeError, match="needs an explicit random source"):
        envs.get_family("random-tabular").build(True)
    from_seed = envs.make_model("random-tabular", 3)
    from_rng = envs.make_model("random-tabular", np.random.default_rng(3))
    assert isinstance(from_seed, FiniteHorizonMDP)
    np.testing.assert_array_equal(from_seed.rewards, from_rng.rewards)


def test_the_scope_also_restores_the_bound_catalogue():
    from rltheory.bounds import bounds, get_bound
    from rltheory.bounds.base import Bound, UnknownBoundError, register_bound
    from rltheory.testing import scoped_registrations

    before = [b.id for b in bounds()]
    temporary = Bound(
        "test-temporary", "upper", "regret", "K", {"K": 1.0}, "test", lambda q: q["K"], ("K",)
    )
    with scoped_registrations():
        register_bound(temporary)
        assert get_bound("test-temporary") is temporary
    with pytest.raises(UnknownBoundError):
        get_bound("test-temporary")
    assert [b.id for b in bounds()] == before
