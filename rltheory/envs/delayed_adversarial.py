"""An adversarial family with an oblivious delay sequence: the environment of the delayed protocol.

The model is the adversarial model of family ``base`` (``adversarial-tabular``,
``adversarial-mixture`` or ``adversarial-linear``) with ``delays [K]`` drawn after it from the same
environment generator (:func:`rltheory.envs.delays.delays`), so the losses and the delays are
both fixed before the run and shared by every seed of a batch (Jin et al. 2022; Lancewicki,
Rosenberg, Sotnikov 2023: delays chosen by an oblivious adversary). The learner never sees them.
``delay = "none"`` gives ``d_k = 0`` for every k (the delayed protocol then equals the
adversarial one).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from rltheory.envs.adversarial import AdversarialMDP
from rltheory.envs.delays import DELAY_KINDS, delays
from rltheory.envs.registry import get_family, register_family

BASES = ("adversarial-tabular", "adversarial-mixture", "adversarial-linear")
DELAYS = ("none", *DELAY_KINDS)


@register_family(
    "delayed-adversarial",
    gym_name="DelayedAdversarial",
    citation="Lancewicki, Rosenberg, Sotnikov 2023 (DAPO) / Jin et al. 2022: oblivious delays",
    summary="an adversarial family (tabular/mixture/linear) with an oblivious delay sequence",
)
def delayed_adversarial(
    rng: np.random.Generator,
    *,
    base: str = "adversarial-tabular",
    kind: str = "piecewise",
    n_states: int = 6,
    n_actions: int = 3,
    horizon: int = 4,
    n_episodes: int = 500,
    switch_every: int = 50,
    period: int = 100,
    dim: int = 4,
    delay: str = "geometric",
    delay_params: dict[str, Any] | None = None,
) -> AdversarialMDP:
    """The model of ``base`` (its parameters among these; ``dim`` is ignored by the tabular
    base) with delays ``delays(delay, K, rng, **delay_params)`` drawn after it."""
    if base not in BASES:
        raise ValueError(f"parameter 'base' must be one of {', '.join(BASES)}, got {base!r}")
    if delay not in DELAYS:
        raise ValueError(f"parameter 'delay' must be one of {', '.join(DELAYS)}, got {delay!r}")
    if delay == "none" and delay_params:
        raise ValueError("parameter 'delay_params' must be empty with delay = 'none'")
    entry = get_family(base)
    given = {
        "kind": kind,
        "n_states": n_states,
        "n_actions": n_actions,
        "horizon": horizon,
        "n_episodes": n_episodes,
        "switch_every": switch_every,
        "period": period,
        "dim": dim,
    }
    model = entry.build(rng, **{k: v for k, v in given.items() if k in entry.defaults})
    if delay == "none":
        drawn = np.zeros(model.n_episodes, dtype=np.int64)
    else:
        drawn = delays(delay, model.n_episodes, rng, **dict(delay_params or {}))
    label = delay if not delay_params else f"{delay}{dict(delay_params)}"
    return dataclasses.replace(
        model,
        delays=drawn,
        name=f"{model.name} with {label} delays",
        metadata={**model.metadata, "delay": delay, "delay_params": dict(delay_params or {})},
    )
