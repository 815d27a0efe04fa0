"""The proof event of LinUCB / OFUL (Abbasi-Yadkori, Pál, Szepesvári, NeurIPS 2011), on the model.

Theorem 2 (self-normalized confidence ellipsoid): with probability at least ``1 - delta``, for
every round t, ``||theta_hat_t - theta*||_{V_t} <= alpha_t`` with
``V_t = lam I + sum_{tau<t} phi_tau phi_tau^T`` and ``alpha_t`` the learner's radius; optimism
``<theta_hat_t, phi> + alpha_t ||phi||_{V_t^{-1}} >= <theta*, phi>`` at every (s, a) follows by
Cauchy–Schwarz. ``theta*`` is the model's reward parameter (``reward_parameters[0]``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rltheory.algos.monitors import TOLERANCE, Monitor, summarise_event

LEMMA = (
    "Abbasi-Yadkori, Pál, Szepesvári 2011 (NeurIPS), Theorem 2: ||theta_hat_t - theta*||_{V_t} "
    "<= alpha_t for all t; optimism of the UCB index at every (s, a)"
)


def linucb_event(model: Any, learner: Any, optimum: Any) -> dict[str, np.ndarray]:
    """The ellipsoid event (one deviation per seed) and the optimism of the index."""
    if model.reward_parameters is None:
        raise ValueError("the LinUCB monitor needs the model's reward parameters theta*")
    theta_star = np.asarray(model.reward_parameters, dtype=float)[0]
    error = learner.theta_hat - theta_star  # [B, d]
    deviation = np.sqrt(np.maximum(np.einsum("bi,bij,bj->b", error, learner.gram, error), 0.0))
    mean = np.asarray(model.rewards, dtype=float)[0]  # [S, A]
    optimistic = np.all(learner.ucb() >= mean - TOLERANCE * (1.0 + np.abs(mean)), axis=(1, 2))
    return summarise_event(deviation[:, None], learner.width()[:, None], optimistic)


LINUCB_MONITOR = Monitor(linucb_event, LEMMA, probability="delta", theory={"alpha": None})
