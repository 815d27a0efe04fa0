"""The proof events of the policy-optimization learners, checked on the known dynamics: the
transition confidence set of the tabular ones (``po-bandit``, ``po-shani``, ``dapo``) and OPPO's
ellipsoid (end of the module).

Their analyses (Jin, Jin, Luo, Sra, Yu, ICML 2020, Lemma 2, the confidence-set lemma that Shani
et al. 2020, Luo, Wei, Lee 2021 and, by our reading, Lancewicki, Rosenberg, Sotnikov 2023
reuse) condition on the event that the true kernel lies in the learner's
transition confidence set at every episode and every (h, s, a); on it the upper occupancy bounds
``u_bar`` in the importance-weight denominators (and the bonus) are valid. Here the set is the L1
ball of :mod:`rltheory.algos._occupancy`, ``||P_hat_h(.|s,a) - P_h(.|s,a)||_1 <= eps_h(s,a)``
with ``eps = min(2, sqrt(2 S log(S A H K / delta) / max(1, N)))``.

Probability (derived [D], not the papers' statement): Weissman et al. (2003) give
``Pr(||P_hat_n - P||_1 >= eps) <= 2^S exp(-n eps² / 2)``; a union bound over the H S A triples
and the counts ``n <= K`` bounds the failure probability by
``2 delta (2 delta / (S A H K))^(S-1) <= delta`` when ``S A H K >= 4`` (S = 1 never fails). With
oblivious delays the data in arrival order stay adapted (a policy depends only on items that
arrived before its episode), so the bound covers the delayed learners too [D].

UNVERIFIED: Jin et al.'s Lemma 2 is stated for their Bernstein-type per-entry set (probability
``1 - 4 delta``), and its number is from memory [M]; the L1 radius and the probability above are
ours [D]; that Lancewicki et al. use this event is our reading, not checked in
their paper [M].

Keys: ``event`` and ``worst_ratio = max ||P_hat - P||_1 / eps`` at the lemma's radius
(``radius_scale = 1``: the event concerns the data only, whatever the learner's scale);
``learner_set``: the same at the learner's own radius ``radius_scale · eps`` (what its occupancy
bounds use); ``optimism``: the learner's upper occupancy bound of the policy it plays next
covers that policy's true state occupancy at every (h, s) (implied by ``learner_set``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rltheory.algos._occupancy import occupancy_bounds
from rltheory.algos.monitors import Monitor, summarise_event, within
from rltheory.mdp import occupancy, q_values

LEMMA = (
    "Jin, Jin, Luo, Sra, Yu 2020 (ICML), Lemma 2 [number from memory]: the true kernel lies in the "
    "transition confidence set at every k, h, s, a (here our L1 ball, Weissman et al. 2003 and a "
    "union bound [D]); optimism: the learner's upper occupancy bound covers the true occupancy of "
    "the policy it plays next"
)


def kernel_distance(model: Any, p_hat: np.ndarray) -> np.ndarray:
    """``||P_hat_h(.|s,a) - P_h(.|s,a)||_1`` for ``p_hat [B, H, S, A, S]``: ``[B, H, S, A]``."""
    kernel = np.broadcast_to(model.transitions.dense(), p_hat.shape[1:])
    return np.abs(p_hat - kernel).sum(-1)


def upper_bound_covers(
    model: Any, policy: np.ndarray, p_hat: np.ndarray, radius: np.ndarray
) -> np.ndarray:
    """``u_bar_h(s) >= q^{pi,P}_h(s)`` at every (h, s) for ``policy [B, H, S, A]`` and the set
    ``(p_hat, radius)``: ``bool [B]``."""
    upper, _ = occupancy_bounds(policy, p_hat, radius, model.initial_distribution)
    true = occupancy(model, policy).sum(-1)  # [B, H, S]
    return within(true, upper).reshape(len(true), -1).all(-1)


def po_event(model: Any, learner: Any, optimum: Any = None) -> dict[str, np.ndarray]:
    """The confidence-set event in the monitor keys (module docstring) for the learner's state;
    ``optimum`` is unused (there is none under adversarial losses)."""
    p_hat, own = learner.confidence_set()
    lemma = learner.confidence_set(scale=1.0)[1]
    distance = kernel_distance(model, p_hat)
    out = summarise_event(distance, lemma, upper_bound_covers(model, learner.policy(), p_hat, own))
    out["learner_set"] = within(distance, own).reshape(len(own), -1).all(-1).astype(float)
    return out


PO_MONITOR = Monitor(
    po_event,
    LEMMA,
    probability="delta",
    theory={"radius_scale": 1.0},
    event_uses_constants=False,
)


# ------------------------------------------------------------------------------------ OPPO
OPPO_LEMMA = (
    "Cai, Yang, Jin, Wang 2020 (ICML), OPPO's confidence event [M: form and constant unverified]: "
    "||theta_hat_h - theta*_h||_{Lambda_h} <= beta at every h; optimism: the last optimistic "
    "cost evaluation lower-bounds the true Q of the policy and loss it evaluated"
)


def ellipsoid_distance(theta_star: np.ndarray, estimates: np.ndarray, gram: np.ndarray):
    """``||theta_hat_h - theta*_h||_{Lambda_h}`` for ``estimates [B, H, d]``, ``gram
    [B, H, d, d]`` and ``theta_star [H or 1, d]``: ``[B, H]``."""
    error = estimates - theta_star
    quad = (error[..., None, :] @ gram @ error[..., :, None])[..., 0, 0]
    return np.sqrt(np.maximum(quad, 0.0))


def oppo_event(model: Any, learner: Any, optimum: Any = None) -> dict[str, np.ndarray]:
    """OPPO's event in the monitor keys: ``event`` / ``worst_ratio`` from the ellipsoid at every
    h; ``optimism``: the learner's last evaluation ``Q_hat <= Q^{pi, l}`` at every (h, s, a)
    under the true kernel (``pi``, ``l`` the policy and loss it evaluated; vacuously true
    before any feedback). On the event optimism holds by induction over h (the bonus covers
    ``|<phi_V, theta_hat - theta*>|``, the clip keeps ``[0, H - h]``)."""
    theta_star = np.asarray(model.transitions.theta)
    distance = ellipsoid_distance(theta_star, learner.estimates(), learner.gram)
    radius = np.full(distance.shape, float(learner.beta))
    optimistic = np.ones(learner.n_seeds, dtype=bool)
    if learner.last_evaluation is not None:
        q_hat, loss, policy = learner.last_evaluation
        truth = q_values(model, policy, rewards=loss)  # costs: optimism is from below
        optimistic = within(q_hat, truth).reshape(learner.n_seeds, -1).all(-1)
    return summarise_event(distance, radius, optimistic)


def oppo_applies(model: Any, learner: Any) -> bool:
    """A linear-mixture kernel (one theta per step or one for all)."""
    return getattr(model.transitions, "theta", None) is not None


OPPO_MONITOR = Monitor(
    oppo_event,
    OPPO_LEMMA,
    probability="delta",
    theory={"beta": None},
    applies=oppo_applies,
)
