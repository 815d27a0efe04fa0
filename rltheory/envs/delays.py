"""Delay processes for delayed bandit feedback, pre-generated from a seed (oblivious adversary).

Protocol (Lancewicki, Rosenberg, Sotnikov 2023, DAPO §2; Jin et al. 2022): the feedback of episode
``k`` (its trajectory and the rewards or losses along it) is revealed at the end of episode
``k + d_k``. Episodes are 0-based, ``k = 0..K-1``; a delay ``d_k = 0`` means the feedback arrives at
the end of the episode itself (no delay). Feedback with ``k + d_k >= K`` never arrives within the
run. The delays are fixed before the run and are never shown to the learner: a learner only sees
which episodes' feedback arrives when (see :func:`arrivals` and
:class:`rltheory.envs.gym.DelayedFeedbackEnv`).

Kinds (``params`` with defaults):

- ``"fixed"`` (``delay=5``): ``d_k = delay`` for every episode;
- ``"geometric"`` (``mean=5.0``): i.i.d. ``d_k ~ Geometric(p) - 1`` on ``{0, 1, ...}`` with
  ``p = 1 / (1 + mean)``, so ``E d_k = mean`` and ``P(d_k = 0) = p``;
- ``"pareto"`` (``alpha=1.5, scale=1.0``): heavy tail, i.i.d. ``d_k = floor(scale · X)`` with
  ``X`` Lomax (Pareto II), so ``P(d_k >= m) = (1 + m / scale)^(-alpha)`` for integers ``m >= 0``
  (infinite mean when ``alpha <= 1``; the case that exercises skipping);
- ``"bursts"`` (``period=50, length=10, gap=20, base=0``): adversarial bursts. Each block of
  ``period`` episodes holds one burst of ``length`` consecutive episodes at an offset drawn
  uniformly from the rng; the feedback of a whole burst is withheld and arrives together at the
  end of episode ``last + gap`` (``last`` = the burst's last episode), so ``d_k = last + gap - k``
  (long delays in blocks, many arrivals at once). Other episodes have delay ``base``.
"""

from __future__ import annotations

import numbers

import numpy as np

from rltheory._names import did_you_mean, unknown_params_message

DELAY_KINDS: dict[str, dict[str, float | int]] = {
    "fixed": {"delay": 5},
    "geometric": {"mean": 5.0},
    "pareto": {"alpha": 1.5, "scale": 1.0},
    "bursts": {"period": 50, "length": 10, "gap": 20, "base": 0},
}
"""Delay kinds and their parameters with defaults."""

_LARGEST_EXACT_DELAY = 2.0**53
"""Pareto draws are capped here: larger floats are not exact integers, and a delay this long
never arrives in any run that fits in memory."""


def _integer(kind: str, name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"delay parameter '{name}' of kind '{kind}' must be an integer: {value!r}")
    if value < minimum:
        raise ValueError(f"delay parameter '{name}' of kind '{kind}' must be >= {minimum}: {value}")
    return int(value)


def _positive(kind: str, name: str, value: object, *, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"delay parameter '{name}' of kind '{kind}' must be a number: {value!r}")
    value = float(value)
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"delay parameter '{name}' of kind '{kind}' must be {bound}: {value}")
    return value


def _bursts(
    rng: np.random.Generator, n_episodes: int, period: int, length: int, gap: int, base: int
) -> np.ndarray:
    """Burst delays ``d_k = last_b + gap - k`` inside burst ``b``, ``base`` elsewhere."""
    n_blocks = -(-n_episodes // period)
    offsets = rng.integers(0, period - length + 1, size=n_blocks)
    episodes = np.arange(n_episodes)
    block = episodes // period
    first = block * period + offsets[block]
    last = first + length - 1
    in_burst = (episodes >= first) & (episodes <= last)
    return np.where(in_burst, last + gap - episodes, base)


def delays(kind: str, n_episodes: int, rng: np.random.Generator, **params: object) -> np.ndarray:
    """Delays ``d_k`` (``int64 [K]``) of ``n_episodes`` episodes, drawn from ``rng``.

    ``kind`` is one of :data:`DELAY_KINDS` (see the module docstring for each law); unknown kinds
    or parameters raise with the accepted names.
    """
    if kind not in DELAY_KINDS:
        hint = did_you_mean(kind, DELAY_KINDS)
        raise ValueError(
            f"unknown delay kind {kind!r}{hint}; known kinds: {', '.join(DELAY_KINDS)}"
        )
    message = unknown_params_message(params, DELAY_KINDS[kind], f"delay kind '{kind}'")
    if message:
        raise TypeError(message)
    n_episodes = _integer(kind, "n_episodes", n_episodes, 1)
    p = {**DELAY_KINDS[kind], **params}
    if kind == "fixed":
        drawn = np.full(n_episodes, _integer(kind, "delay", p["delay"], 0))
    elif kind == "geometric":
        mean = _positive(kind, "mean", p["mean"], allow_zero=True)
        drawn = rng.geometric(1.0 / (1.0 + mean), size=n_episodes) - 1
    elif kind == "pareto":
        alpha = _positive(kind, "alpha", p["alpha"])
        scale = _positive(kind, "scale", p["scale"])
        lomax = rng.pareto(alpha, size=n_episodes)
        drawn = np.floor(np.minimum(scale * lomax, _LARGEST_EXACT_DELAY))
    else:
        period = _integer(kind, "period", p["period"], 1)
        length = _integer(kind, "length", p["length"], 1)
        if length > period:
            raise ValueError(
                f"delay parameter 'length' of kind 'bursts' must be <= period={period}: {length}"
            )
        gap = _integer(kind, "gap", p["gap"], 0)
        base = _integer(kind, "base", p["base"], 0)
        drawn = _bursts(rng, n_episodes, period, length, gap, base)
    return np.asarray(drawn, dtype=np.int64)


def _check_delays(delays: np.ndarray) -> np.ndarray:
    d = np.asarray(delays)
    if d.ndim != 1 or not np.issubdtype(d.dtype, np.integer):
        raise ValueError(f"delays must be a 1-d integer array [K], got {d.dtype} {d.shape}")
    if d.size and d.min() < 0:
        raise ValueError(f"delays must be >= 0; delays[{int(d.argmin())}] = {int(d.min())}")
    return d.astype(np.int64)


def arrivals(delays: np.ndarray) -> tuple[np.ndarray, ...]:
    """For each episode ``j``, the episodes ``k`` (ascending) with ``k + d_k = j``.

    ``arrivals(d)[j]`` is the feedback revealed at the end of episode ``j``. The lists are
    disjoint; their union is ``{k : k + d_k < K}`` (feedback due after the last episode never
    arrives and is in no list).
    """
    d = _check_delays(delays)
    n_episodes = d.size
    arrival = np.arange(n_episodes) + d
    arrived = np.flatnonzero(arrival < n_episodes)
    order = arrived[np.argsort(arrival[arrived], kind="stable")]
    counts = np.bincount(arrival[arrived], minlength=n_episodes)
    return tuple(np.split(order, np.cumsum(counts)[:-1]))


def total_delay(delays: np.ndarray, *, truncated: bool = False) -> int:
    """Total delay ``D = sum_k d_k``; with ``truncated``, ``D_K = sum_k min(d_k, K - 1 - k)``.

    The truncated sum counts only the delay incurred within the run (0-based episodes: feedback of
    episode ``k`` can be outstanding at most ``K - 1 - k`` episodes).
    """
    d = _check_delays(delays)
    if truncated:
        d = np.minimum(d, d.size - 1 - np.arange(d.size))
    return int(d.astype(object).sum())  # Python ints: heavy-tailed sums overflow int64
