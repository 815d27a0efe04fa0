"""The proof event of UCBVI (Azar, Osband, Munos, ICML 2017), checked on the model.

Both theorems (UCBVI-CH, Thm 1; UCBVI-BF, Thm 2) condition on the empirical-model event
``E_P_hat`` of Appendix B (arXiv:1703.05449v2, p. 16): at every episode k, step h and pair
(x, a) with ``N_k(x, a) > 0``, with ``L = ln(5 S A T / delta)``,

1. value event: ``|(P_hat_k - P) V*_{h+1}(x,a)| <= min(c1(Var_P V), c1(Var_P_hat V))``,
   ``V = V*_{h+1}``,
   ``c1(v, n) = 2 sqrt(v L / n) + 14 H L / (3 n)`` (the Bernstein form, with the true or the
   empirical variance of ``V*_{h+1}``; the Hoeffding analysis uses the same event);
2. variance (kernel) event: ``|P_hat(y|x,a) - P(y|x,a)| <= 2 sqrt(P(1-P) L / n) + 2 L / (3 n)``
   for every y, and ``||P_hat(.|x,a) - P(.|x,a)||_1 <= 2 sqrt(S L / n)``;

with probability at least ``1 - delta``; optimism ``Q_{k,h} >= Q*_h`` follows (Lemma 18 for CH;
its BF analogue). Constants as read in the Lean formalization of the paper (see
:mod:`rltheory.algos.ucbvi`). ``P_hat = N(x,a,y) / N(x,a)`` from the learner's counts (pooled
over steps as in the paper, or per step with ``pooled=False``); ``V*_{H+1} = 0``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rltheory.algos.monitors import TOLERANCE, Monitor, normalised, summarise_event, within

LEMMA = (
    "Azar, Osband, Munos 2017 (ICML), Appendix B event E_P_hat: |(P_hat - P) V*_{h+1}| <= c1 "
    "(value event) and the per-entry and L1 kernel (variance) events, for all k, h, x, a with "
    "N > 0; optimism Q_k >= Q* (Lemma 18)"
)


def ucbvi_event(model: Any, learner: Any, optimum: Any) -> dict[str, np.ndarray]:
    """The event ``E_P_hat`` at every (h, x, a) for every seed, Q >= Q* everywhere, and the
    sub-events ``value_event`` and ``kernel_event`` (``[B]`` each)."""
    counts = np.asarray(learner.counts, dtype=float)  # [B, L_c, S, A, S]
    n = counts.sum(-1)  # [B, L_c, S, A]
    visited = n > 0
    p_hat = np.divide(counts, n[..., None], out=np.zeros(counts.shape), where=visited[..., None])
    kernel = model.transitions.dense()  # [L_m, S, A, S]
    horizon, n_states = model.horizon, model.n_states
    log = float(learner.log)
    safe_n = np.where(visited, n, 1.0)
    value_dev = np.zeros((n.shape[0], horizon, *n.shape[2:]))
    value_rad = np.ones_like(value_dev)
    entry_ratio = np.zeros_like(value_dev)
    entry_held = np.ones(value_dev.shape, dtype=bool)
    for h in range(horizon):
        layer = 0 if n.shape[1] == 1 else h
        p_true = kernel[0 if kernel.shape[0] == 1 else h]  # [S, A, S]
        p_emp, n_h, seen = p_hat[:, layer], safe_n[:, layer], visited[:, layer]
        v = optimum.v[h + 1] if h + 1 < horizon else np.zeros(n_states)
        variances = [np.maximum(p @ (v * v) - (p @ v) ** 2, 0.0) for p in (p_true, p_emp)]
        c1 = [
            2.0 * np.sqrt(var * log / n_h) + 14.0 * horizon * log / (3.0 * n_h) for var in variances
        ]
        dev = np.abs((p_emp - p_true) @ v)
        value_dev[:, h] = np.where(seen, dev, 0.0)
        value_rad[:, h] = np.minimum(*c1)
        gap = np.abs(p_emp - p_true)  # [B, S, A, S]
        c2 = 2.0 * np.sqrt(p_true * (1.0 - p_true) * log / n_h[..., None])
        c2 = c2 + 2.0 * log / (3.0 * n_h[..., None])
        l1, c3 = gap.sum(-1), 2.0 * np.sqrt(n_states * log / n_h)
        held = within(gap, c2).all(-1) & within(l1, c3)
        entry_held[:, h] = held | ~seen
        ratio = np.maximum(normalised(gap, c2).max(-1), normalised(l1, c3))
        entry_ratio[:, h] = np.where(seen, ratio, 0.0)
    optimistic = np.all(
        learner.q >= optimum.q - TOLERANCE * (1.0 + np.abs(optimum.q)), axis=(1, 2, 3)
    )
    out = summarise_event(value_dev, value_rad, optimistic)
    seeds = n.shape[0]
    value_held = within(value_dev, value_rad).reshape(seeds, -1)
    both = value_held & entry_held.reshape(seeds, -1)
    out["event"] = both.all(axis=1).astype(float)
    out["fail_fraction"] = 1.0 - both.mean(axis=1)
    out["worst_ratio"] = np.maximum(out["worst_ratio"], entry_ratio.reshape(seeds, -1).max(1))
    out["value_event"] = value_held.all(axis=1).astype(float)
    out["kernel_event"] = entry_held.reshape(seeds, -1).all(axis=1).astype(float)
    return out


UCBVI_MONITOR = Monitor(
    ucbvi_event,
    LEMMA,
    probability="delta",
    theory={"c": 1.0, "beta": None},
    event_uses_constants=False,
)
