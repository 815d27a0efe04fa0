"""Sizes and array bytes of family models from their parameters, without building them.

Each function takes a family's parameters (defaults filled in) and returns the mapping
``{"S", "A", "H", "d", "layers", "bytes"}`` (``layers`` = transition layers L, 1 when
time-homogeneous; ``d`` = 0 without features) that ``register_family(..., memory=...)`` declares;
the runner refuses cells that would not fit in memory from it. Families without a declaration get
the generic dense-tabular estimate of :func:`rltheory.experiments.memory.generic_model_size`.
"""

from __future__ import annotations

from typing import Any

FLOAT = 8


def _size(S: int, A: int, H: int, d: int, layers: int, floats: int) -> dict[str, int]:
    return {"S": S, "A": A, "H": H, "d": d, "layers": layers, "bytes": FLOAT * floats}


def random_linear(
    *, n_states: int, n_actions: int, dim: int, horizon: int, homogeneous: bool = True, **_: Any
) -> dict[str, int]:
    """Features ``phi [S, A, d]``, measures ``mu [L, d, S]``, rewards ``[H, S, A]``."""
    S, A, d, H = int(n_states), int(n_actions), int(dim), int(horizon)
    layers = 1 if homogeneous else H
    return _size(S, A, H, d, layers, S * A * d + layers * d * S + H * S * A)


def random_mixture(
    *, n_states: int, n_actions: int, dim: int, horizon: int, homogeneous: bool = True, **_: Any
) -> dict[str, int]:
    """The mixture basis ``[S, A, S, d]``, weights ``[L, d]``, rewards ``[H, S, A]``."""
    S, A, d, H = int(n_states), int(n_actions), int(dim), int(horizon)
    layers = 1 if homogeneous else H
    return _size(S, A, H, 0, layers, S * A * S * d + layers * d + H * S * A)


def adversarial_linear(
    *, n_states: int, n_actions: int, dim: int, horizon: int, n_episodes: int, **_: Any
) -> dict[str, int]:
    """Time-inhomogeneous linear dynamics and the loss parameters ``[K, H, d]``."""
    size = random_linear(
        n_states=n_states, n_actions=n_actions, dim=dim, horizon=horizon, homogeneous=False
    )
    size["bytes"] += FLOAT * int(n_episodes) * int(horizon) * int(dim)
    return size


def deepsea(*, size: int, **_: Any) -> dict[str, int]:
    """``S = N²`` states, 2 actions, ``H = N``: a dense kernel ``[S, 2, S]``, one-hot features
    ``[S, 2, 2S]`` and rewards ``[S, 2]``."""
    n = int(size)
    S = n * n
    return _size(S, 2, n, 2 * S, 1, S * 2 * S + S * 2 * 2 * S + S * 2)


def zgs_hard(*, dim: int, horizon: int, **_: Any) -> dict[str, int]:
    """``S = H + 2`` states, ``A = 2^(d-1)`` actions: the basis ``[S, A, S, d]`` and rewards
    ``[H, S, A]``."""
    d, H = int(dim), int(horizon)
    S, A = H + 2, 2 ** (d - 1)
    return _size(S, A, H, 0, H, S * A * S * d + H * S * A)
