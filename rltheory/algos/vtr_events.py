"""The proof events of UCRL-VTR and HF-UCRL-VTR+ as monitors the online protocol evaluates.

The events themselves are computed by :func:`rltheory.algos.hf_ucrl_vtr.monitor` (exactly on the
model: ``theta*`` in every level's confidence ellipsoid, the variance estimates covering the
true variances, optimism ``Q_k >= Q*``); this module maps them onto the keys of
:data:`rltheory.algos.monitors.KEYS`: ``event`` = the ellipsoid event (and, for HF-UCRL-VTR+, the
variance event), ``fail_fraction`` = 1 - event (one joint event per seed, not a per-(h, s, a)
inequality), ``worst_ratio`` = ``max_m ||theta_hat_m - theta*||_{Sigma_hat_m} / beta_k``,
``optimism`` = ``Q_k >= Q*`` everywhere. Defined for a pooled learner on a time-homogeneous
mixture (one ``theta*``). A diagnostic rides along: ``saturated``, the fraction of (h, s) at
which the coming plan's ``V_{k,h}(s)`` sits at the clip 1; while it is large the learner is in
its burn-in (values at 1 carry no information to the regression, and ties decide the actions).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rltheory.algos.monitors import Monitor


def vtr_applies(model: Any, learner: Any) -> bool:
    """One ``theta*`` (time-homogeneous mixture) and a pooled learner."""
    theta = getattr(model.transitions, "theta", None)
    return theta is not None and np.shape(theta)[0] == 1 and learner.n_groups == 1


def vtr_event(model: Any, learner: Any, optimum: Any) -> dict[str, np.ndarray]:
    """The value-targeted learners' events in the monitor keys (see the module docstring)."""
    from rltheory.algos.hf_ucrl_vtr import monitor  # beside HF-UCRL-VTR+, which imports ucrl_vtr

    raw = monitor(model, learner)
    event = np.asarray(raw["confidence"]) & np.asarray(raw["variance_covered"])
    return {
        "event": event.astype(float),
        "fail_fraction": 1.0 - event.astype(float),
        "worst_ratio": np.asarray(raw["confidence_ratio"], dtype=float),
        "optimism": np.asarray(raw["optimistic"], dtype=float),
        "confidence": np.asarray(raw["confidence"], dtype=float),
        "variance_covered": np.asarray(raw["variance_covered"], dtype=float),
        "saturated": saturated_fraction(learner.values()[:, :-1]),
    }


def saturated_fraction(values: np.ndarray, clip: float = 1.0) -> np.ndarray:
    """Fraction of the (h, s) entries of ``values [B, H, S]`` at the clip (to 1e-12): ``[B]``."""
    return (values >= clip - 1e-12).reshape(values.shape[0], -1).mean(-1)


THEORY = {"beta_scale": 1.0, "beta": None}

UCRL_VTR_MONITOR = Monitor(
    vtr_event,
    "Ayoub et al. 2020 (ICML), UCRL-VTR confidence set: ||theta_hat - theta*||_Sigma <= beta_k "
    "for all k (self-normalized bound, Abbasi-Yadkori et al. 2011, Thm 2); optimism Q_k >= Q*",
    probability="delta",
    theory=THEORY,
    applies=vtr_applies,
)

HF_UCRL_VTR_MONITOR = Monitor(
    vtr_event,
    "Zhou & Gu 2022 (NeurIPS), HF-UCRL-VTR+: theta* in every moment level's ellipsoid "
    "||theta_hat_m - theta*||_{Sigma_hat_m} <= beta_k and the variance estimates cover the true "
    "variances, for all k; optimism Q_k >= Q*",
    probability="delta",
    theory=THEORY,
    applies=vtr_applies,
)
