"""Proof-event monitors: the event an algorithm's regret proof conditions on, checked exactly.

A confidence-based algorithm's regret theorem holds on a *good event* (a concentration
inequality at every episode, step, state and action simultaneously, with probability at least
``1 - p``) and usually derives optimism (or pessimism) from it. An algorithm declares that event
in its own module as a :class:`Monitor` and passes it to
:func:`rltheory.algos.registry.register` (``monitor=``). The online and adversarial protocols
evaluate it exactly on the known model at checkpoints; the report holds the measured frequency
against ``1 - p``.

A monitor's ``function(model, learner, optimum)`` is pure: it reads the learner's state through
read-only properties (Gram inverses, weights, counts, beta), the model (under the adversarial
protocols its known dynamics), and ``optimum = rltheory.mdp.optimal(model)`` (computed once per
run by the caller; None under the adversarial protocols, whose losses change), and returns a
mapping of arrays ``[B]`` (one value per seed) with at least the keys of :data:`KEYS`:

- ``event``: 1.0 if the concentration event held at every (h, s, a) at this checkpoint, else 0.0;
- ``fail_fraction``: fraction of the (h, s, a) where it failed;
- ``worst_ratio``: ``max_{h,s,a} |deviation| / radius`` (the event holds iff it is <= 1;
  ``inf`` where a radius is 0 and the deviation is not);
- ``optimism``: 1.0 if the one-sided value event the proof derives (optimism, or pessimism for a
  pessimistic algorithm) held.

Monitors may add further keys (sub-events); every key ``x`` becomes the result column
``monitor.x``. Cost: at most about one planning pass on the model per checkpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

KEYS = ("event", "fail_fraction", "worst_ratio", "optimism")
"""Keys every monitor returns (the report's monitor panel and table read these)."""

TOLERANCE = 1e-9
"""Slack for floating-point rounding: a deviation ``dev`` satisfies radius ``r`` iff
``dev <= r + TOLERANCE * (1 + r)``; values ``v >= v* - TOLERANCE * (1 + |v*|)`` are optimistic."""

MonitorFunction = Callable[[Any, Any, Any], Mapping[str, np.ndarray]]


@dataclass(frozen=True)
class Monitor:
    """An algorithm's proof event.

    ``function(model, learner, optimum) -> {key: array [B]}`` (see the module docstring);
    ``lemma``: the event and the lemma it comes from (author, year, lemma number);
    ``probability``: the name of the config field holding the failure probability p the event
    has probability at least ``1 - p`` under (at theory constants); ``side``: "optimism" or
    "pessimism" (what the ``optimism`` key reports); ``theory``: the config values under which
    the lemma guarantees probability ``1 - p`` (e.g. ``{"c": 1.0, "beta": None}``; the report
    calls other runs "tuned"); ``event_uses_constants``: False when the event concerns the data
    only (e.g. UCBVI's concentration of ``P_hat``), so it has probability ``1 - p`` whatever the
    bonus constants, and only the derived optimism needs the theory constants; ``applies``:
    ``applies(model, learner)`` is False where the event is not defined for that model or
    configuration (nothing is recorded then; None: always defined).
    """

    function: MonitorFunction
    lemma: str
    probability: str
    side: str = "optimism"
    theory: Mapping[str, Any] = field(default_factory=dict)
    event_uses_constants: bool = True
    applies: Callable[[Any, Any], bool] | None = None

    def __post_init__(self) -> None:
        if self.side not in ("optimism", "pessimism"):
            raise ValueError(f"side must be 'optimism' or 'pessimism', got {self.side!r}")

    def evaluate(self, model: Any, learner: Any, optimum: Any) -> dict[str, np.ndarray]:
        """The monitor's arrays as float ``[B]``; a missing key of :data:`KEYS` is an error."""
        values = self.function(model, learner, optimum)
        missing = [key for key in KEYS if key not in values]
        if missing:
            raise ValueError(f"monitor ({self.lemma}) returned no {missing}")
        return {key: np.asarray(value, dtype=float) for key, value in values.items()}


def within(deviation: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """Elementwise ``deviation <= radius`` up to :data:`TOLERANCE`."""
    return deviation <= radius + TOLERANCE * (1.0 + radius)


def normalised(deviation: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """``deviation / radius`` elementwise; 0 where both vanish (up to the tolerance), ``inf``
    where only the radius does."""
    ok = radius > 0
    safe = np.where(ok, radius, 1.0)
    ratio = np.where(ok, deviation / safe, np.inf)
    return np.where(~ok & within(deviation, radius), 0.0, ratio)


def summarise_event(
    deviation: np.ndarray, radius: np.ndarray, optimistic: np.ndarray
) -> dict[str, np.ndarray]:
    """The :data:`KEYS` of an event ``deviation <= radius`` over arrays ``[B, ...]`` (all axes
    after the seed axis are the (h, s, a) the event quantifies over) and ``optimistic [B]``."""
    n_seeds = deviation.shape[0]
    held = within(deviation, radius).reshape(n_seeds, -1)
    ratio = normalised(deviation, radius).reshape(n_seeds, -1)
    return {
        "event": held.all(axis=1).astype(float),
        "fail_fraction": 1.0 - held.mean(axis=1),
        "worst_ratio": ratio.max(axis=1),
        "optimism": np.asarray(optimistic, dtype=float),
    }


def optimistic_at_start(model: Any, v1: np.ndarray, optimum: Any) -> np.ndarray:
    """``V_1^k(s) >= V_1^*(s)`` at every initial state ``s`` (support of ``mu0``) per seed, for
    the learner's values ``v1 [B, S]``: ``bool [B]``."""
    start = np.flatnonzero(np.asarray(model.initial_distribution) > 0)
    v_star = optimum.v[0][start]
    return np.all(v1[:, start] >= v_star - TOLERANCE * (1.0 + np.abs(v_star)), axis=1)
