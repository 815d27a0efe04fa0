"""Count the numpy operations a learner performs per episode (a benchmark helper, not timed).

The learner's state arrays are replaced by views of :class:`Counted`, an ``ndarray`` subclass
that counts every ufunc call (operators, in-place updates, ``np.matmul``, reductions such as
``.max``), every dispatched numpy function (``np.stack``, ``np.linalg.*``, ...), every indexing
read or write and every call of the common array methods (``reshape``, ``argmax``, ...) on
them, then computes on plain views, so the numbers are unchanged. Array creation with no
counted argument (``np.empty``, ``np.zeros``, ``np.arange``) is not counted. The count is per
episode of ``policy()`` + ``update()``, the rollout excluded.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

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

    calls: Counter = Counter()

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
    for k in range(n_episodes):
        Counted.calls.clear()
        policy = np.array(learner.policy())
        uniforms = draw_uniforms(env_rngs, 1, model.horizon)
        batch = rollout_from_uniforms(model, policy, uniforms)
        learner.update(
            Trajectories(batch.states[:, 0], batch.actions[:, 0], batch.rewards[:, 0], episode=k)
        )
        learner.episode = k + 1
        per_episode.append(sum(Counted.calls.values()))
        kinds.update(Counted.calls)
    return {
        "median": float(np.median(per_episode)),
        "max": int(max(per_episode)),
        "by_kind_per_episode": {
            key: round(value / n_episodes, 2) for key, value in kinds.most_common(12)
        },
        "final_policy": np.array(learner.policy()),
    }
