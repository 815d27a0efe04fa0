"""Count the numpy operations a learner performs per episode (a benchmark helper, not timed).

The learner's state arrays are replaced by views of :class:`Counted`, an ``ndarray`` subclass
that counts every ufunc call (operators, in-place updates, ``np.matmul``, reductions such as
``.max``), every dispatched numpy function (``np.stack``, ``np.linalg.*``, ...), every indexing
read or write and every call of the common array methods (``reshape``, ``argmax``, ...) on
them, then computes on plain views, so the numbers are unchanged. While counting, the ``np``
name of the learner modules is a proxy whose functions return :class:`Counted` arrays and
count the calls that have no counted argument (``np.empty``, ``np.zeros``, ``np.arange``, ...),
so temporaries are counted too. Operations on the problem's own arrays alone (features,
rewards) are not. The count is per episode of ``policy()`` + ``update()``, the rollout
excluded.
"""

from __future__ import annotations

import importlib
from collections import Counter
from typing import Any, ClassVar

import numpy as np

from rltheory.experiments.loops import make_online, seed_generators
from rltheory.mdp import Trajectories, draw_uniforms, rollout_from_uniforms

METHODS = (
    "reshape", "argmax", "max", "min", "sum", "copy", "astype", "ravel", "all", "any",
    "transpose", "swapaxes", "nonzero", "take", "put", "fill",
)  # fmt: skip


def _plain(value: Any) -> Any:
    if isinstance(value, Counted):
        return value.view(np.ndarray)
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    return value


def _counted(value: Any) -> Any:
    if isinstance(value, np.ndarray) and not isinstance(value, Counted):
        return value.view(Counted)
    if isinstance(value, tuple):
        return tuple(_counted(v) for v in value)
    return value


class Counted(np.ndarray):
    """``ndarray`` view that counts the numpy operations applied to it (see module docstring)."""

    calls: ClassVar[Counter] = Counter()

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        Counted.calls[f"{ufunc.__name__}.{method}"] += 1
        kwargs = {key: _plain(value) for key, value in kwargs.items()}
        return _counted(getattr(ufunc, method)(*_plain(inputs), **kwargs))

    def __array_function__(self, func, types, args, kwargs):
        Counted.calls[func.__name__] += 1
        return _counted(func(*_plain(args), **{k: _plain(v) for k, v in kwargs.items()}))

    def __getitem__(self, key):
        Counted.calls["getitem"] += 1
        return _counted(self.view(np.ndarray)[_plain(key)])

    def __setitem__(self, key, value):
        Counted.calls["setitem"] += 1
        self.view(np.ndarray)[_plain(key)] = _plain(value)


def _method(name: str):
    def call(self, *args, **kwargs):
        Counted.calls[name] += 1
        kwargs = {key: _plain(value) for key, value in kwargs.items()}
        return _counted(getattr(self.view(np.ndarray), name)(*_plain(args), **kwargs))

    call.__name__ = name
    return call


for _name in METHODS:
    setattr(Counted, _name, _method(_name))


def _has_counted(values: Any) -> bool:
    return any(
        isinstance(v, Counted) or (isinstance(v, (list, tuple)) and _has_counted(v)) for v in values
    )


class _CountingNumpy:
    """Stand-in for the ``numpy`` module inside the learner's modules (see module docstring)."""

    def __getattr__(self, name: str) -> Any:
        value = getattr(np, name)
        if isinstance(value, (type, np.ufunc)) or not callable(value):  # ufuncs dispatch
            return value

        def call(*args, **kwargs):
            if not _has_counted(args) and not _has_counted(kwargs.values()):
                Counted.calls[f"np.{name}"] += 1
            return _counted(value(*args, **kwargs))

        return call


LEARNER_MODULES = (
    "rltheory.algos._linalg",
    "rltheory.algos.lsvi_ucb",
    "rltheory.algos.ucbvi",
    "rltheory.algos.linucb",
    "rltheory.algos.protocols",
)


def numpy_calls_per_episode(entry, model, config, n_seeds: int, n_episodes: int) -> dict:
    """Median and max numpy operations per episode of ``policy()`` + ``update()``.

    Also returns the final policy of the counted run, for a check against an uncounted run.
    """
    env_rngs, algo_rngs = seed_generators([np.random.SeedSequence(s) for s in range(n_seeds)])
    learner = make_online(entry, model, n_episodes, config, algo_rngs)
    for name, value in list(vars(learner).items()):
        if isinstance(value, np.ndarray):
            setattr(learner, name, value.view(Counted))
    per_episode, kinds = [], Counter()
    modules = [importlib.import_module(name) for name in LEARNER_MODULES]
    for module in modules:
        module.np = _CountingNumpy()
    try:
        _count_loop(learner, model, env_rngs, n_episodes, per_episode, kinds)
    finally:
        for module in modules:
            module.np = np
    return {
        "median": float(np.median(per_episode)),
        "max": int(max(per_episode)),
        "by_kind_per_episode": {
            key: round(value / n_episodes, 2) for key, value in kinds.most_common(12)
        },
        "final_policy": np.array(learner.policy()).view(np.ndarray),
    }


def _count_loop(learner, model, env_rngs, n_episodes: int, per_episode: list, kinds: Counter):
    for k in range(n_episodes):
        Counted.calls.clear()
        policy = np.array(learner.policy()).view(np.ndarray)
        uniforms = draw_uniforms(env_rngs, 1, model.horizon)
        batch = rollout_from_uniforms(model, policy, uniforms)
        learner.update(
            Trajectories(batch.states[:, 0], batch.actions[:, 0], batch.rewards[:, 0], episode=k)
        )
        learner.episode = k + 1
        per_episode.append(sum(Counted.calls.values()))
        kinds.update(Counted.calls)
