"""Count bookkeeping of tabular learners, updated on the rows an episode visits only.

A row is one ``(seed, layer, x, a)`` of a ``[B, L, S, A]`` table (``L = 1`` when counts are
pooled over steps, else H). Per episode the cost is O(B H S) for the visited rows of
``N(x, a, .)`` and ``P_hat`` (plus one O(B L S A) pass for estimated rewards), independent of
the episode index.
"""

from __future__ import annotations

import numpy as np


def transition_rows(
    states: np.ndarray, actions: np.ndarray, n_states: int, n_actions: int, layers: int
) -> np.ndarray:
    """Flat row ``(seed, layer, x_h, a_h)`` of every transition of ``states [B, H+1]``,
    ``actions [B, H]`` in a ``[B, L, S, A]`` table (layer 0 when pooled, ``L = 1``, else h)."""
    n_seeds, horizon = actions.shape
    step = np.arange(horizon) if layers > 1 else np.zeros(horizon, dtype=np.int64)
    seed = np.arange(n_seeds)[:, None]
    return ((seed * layers + step) * n_states + states[:, :-1]) * n_actions + actions


def add_transitions(
    counts: np.ndarray,
    n: np.ndarray,
    p_hat: np.ndarray,
    rows: np.ndarray,
    next_states: np.ndarray,
    pseudo_count: float = 0.0,
) -> None:
    """Add one episode to ``N(x,a,y)``, ``N(x,a)`` and ``P_hat`` in place, touching only the
    visited rows: ``counts [R, S]``, ``n [R]`` (int), ``p_hat [R, S]``, ``rows``/``next_states``
    ``[B, H]`` (repeated rows allowed). ``P_hat(y|x,a) = N(x,a,y) / (N(x,a) + lambda)``."""
    np.add.at(counts, (rows, next_states), 1)
    np.add.at(n, rows, 1)
    p_hat[rows] = counts[rows] / (n[rows] + pseudo_count)[..., None]


def add_rewards(
    sums: np.ndarray,
    means: np.ndarray,
    n: np.ndarray,
    rows: np.ndarray,
    rewards: np.ndarray,
    pseudo_count: float = 0.0,
) -> None:
    """Add one episode's rewards to ``sums [R]`` and refresh the averages
    ``means = sums / (N + lambda)`` on the visited rows (``rows``, ``rewards [B, H]``). The
    episode's rewards are summed per row first (one ``bincount``, an O(R) pass that is
    cheaper than sorting out the visited rows), then added to the running sums."""
    sums += np.bincount(rows.ravel(), weights=rewards.ravel(), minlength=sums.size)
    means[rows] = sums[rows] / (n[rows] + pseudo_count)
