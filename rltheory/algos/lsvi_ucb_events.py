"""The proof event of LSVI-UCB (Jin, Yang, Wang, Jordan, COLT 2020), checked on the model.

Lemma B.4 (with Lemma B.3's concentration): on the good event, for every episode k, step h and
pair (s, a),

    |<phi(s,a), w_h^k> - (r_h + P_h V_{h+1}^k)(s,a)| <= beta ||phi(s,a)||_{(Lambda_h^k)^{-1}},

where ``V_{h+1}^k(s) = max_a Q_{h+1}^k(s, a)`` is the learner's own next-step value (clipped at
H, ``V_{H+1} = 0``); Lemma B.5 derives optimism ``Q_h^k >= Q*_h`` from it, in particular
``V_1^k(s_1) >= V_1^*(s_1)``. Theorem 3.1: the event has probability at least ``1 - p`` when
``beta = c d H sqrt(iota)`` with the proof's absolute constant c.

Evaluated for the learner's state after the episodes seen so far (the weights, Q and
``Lambda^{-1}`` it plans the next episode with); cost one pass ``P_h V`` over the H steps.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rltheory.algos.monitors import Monitor, optimistic_at_start, summarise_event

LEMMA = (
    "Jin, Yang, Wang, Jordan 2020 (COLT), Lemma B.4: |<phi, w_h^k> - (r_h + P_h V_{h+1}^k)| <= "
    "beta ||phi||_{Lambda_h^-1} for all k, h, s, a; optimism V_1^k(s_1) >= V_1^*(s_1), Lemma B.5"
)


def lsvi_ucb_event(model: Any, learner: Any, optimum: Any) -> dict[str, np.ndarray]:
    """Lemma B.4's deviation and radius at every (h, s, a) for every seed, and Lemma B.5's
    optimism at the initial states (keys of :data:`rltheory.algos.monitors.KEYS`)."""
    weights = learner.weights  # [B, H, d]
    q = learner.q_values()  # [B, H, S, A], clipped at H
    quad = learner.quadratic_forms  # [B, G, S, A]
    phi = np.asarray(model.features, dtype=float)  # [S, A, d]
    n_seeds, horizon = weights.shape[:2]
    deviation = np.empty(q.shape)
    radius = np.empty(q.shape)
    v_next = np.zeros((n_seeds, model.n_states))
    for h in range(horizon - 1, -1, -1):
        target = model.rewards[h] + model.transitions.expect(v_next, h)  # [B, S, A]
        fitted = np.einsum("sad,bd->bsa", phi, weights[:, h])
        deviation[:, h] = np.abs(fitted - target)
        group = 0 if quad.shape[1] == 1 else h
        radius[:, h] = learner.beta * np.sqrt(np.maximum(quad[:, group], 0.0))
        v_next = q[:, h].max(-1)
    return summarise_event(deviation, radius, optimistic_at_start(model, q[:, 0].max(-1), optimum))


LSVI_UCB_MONITOR = Monitor(lsvi_ucb_event, LEMMA, probability="p", theory={"c": 1.0, "beta": None})
