"""Proof-event monitors against brute force: each monitor's columns from the online protocol
equal the event recomputed with dense loops over (h, s, a) from the recorded trajectories
(LSVI-UCB re-run from scratch, UCBVI counts re-counted, OFUL ridge re-solved), on tiny instances.
Plus the self-tests: a shrunk bonus shows violations; theory constants show none."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from rltheory.algos import get
from rltheory.algos.lsvi_ucb import lsvi_ucb_beta
from rltheory.algos.monitors import TOLERANCE, Monitor
from rltheory.envs import get_family
from rltheory.experiments.checker import Checker
from rltheory.experiments.protocols import Job, get_protocol

CHECKPOINTS = [1, 2, 3, 5, 8, 13, 20]


def recording(entry):
    """The entry with a learner subclass that stores every episode's trajectories and a copy
    of its Q (or UCB index) after each update."""

    class Recording(entry.cls):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.recorded = []

        def update(self, trajectories):
            super().update(trajectories)
            self.recorded.append(
                (
                    np.array(trajectories.states),
                    np.array(trajectories.actions),
                    np.array(trajectories.rewards),
                )
            )

    Recording.__name__ = entry.cls.__name__
    return dataclasses.replace(entry, cls=Recording)


def run_job(model, entry, config, n_seeds=3, episodes=20):
    protocol = get_protocol("online")
    check = Checker("test")
    settings = protocol.settings({"episodes": episodes, "checkpoints": CHECKPOINTS}, check)
    check.raise_if_any()
    point = protocol.points(settings)[0]
    learners = []

    class Capture(entry.cls):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            learners.append(self)

    captured = dataclasses.replace(entry, cls=Capture)
    seeds = [np.random.SeedSequence(entropy=7, spawn_key=(i,)) for i in range(n_seeds)]
    frame = protocol.run(Job(model, captured, config, seeds, list(range(n_seeds)), point))
    return frame, learners[0]


def columns(frame, episode):
    rows = frame[frame["episode"] == episode].sort_values("seed")
    return {c.removeprefix("monitor."): rows[c].to_numpy() for c in frame if "monitor." in c}


def dense_kernel(model):
    """``P[h][s][a][s']`` as nested loops over the model's dense kernel (one layer per step)."""
    kernel = model.transitions.dense()
    return [kernel[0 if kernel.shape[0] == 1 else h] for h in range(model.horizon)]


def brute_optimal(model):
    """``Q*_h(s, a)`` and ``V*_h(s)`` (``V*_{H} = 0``) by loops."""
    horizon, n_s, n_a = model.horizon, model.n_states, model.n_actions
    kernel = dense_kernel(model)
    q = np.zeros((horizon, n_s, n_a))
    v = np.zeros((horizon + 1, n_s))
    for h in reversed(range(horizon)):
        for s in range(n_s):
            for a in range(n_a):
                q[h, s, a] = model.rewards[h, s, a] + sum(
                    kernel[h][s, a, t] * v[h + 1, t] for t in range(n_s)
                )
            v[h, s] = max(q[h, s, a] for a in range(n_a))
    return q, v


def ok(dev, rad):
    return dev <= rad + TOLERANCE * (1 + rad)


def ratio(dev, rad):
    if rad > 0:
        return dev / rad
    return 0.0 if ok(dev, rad) else math.inf


def summary(flags, ratios, optimistic):
    return {
        "event": float(all(flags)),
        "fail_fraction": 1.0 - sum(flags) / len(flags),
        "worst_ratio": max(ratios),
        "optimism": float(optimistic),
    }


def assert_matches(got, expected, seed, episode):
    for key, value in expected.items():
        where = f"{key} at seed {seed}, episode {episode}"
        if key == "worst_ratio":
            assert got[key][seed] == pytest.approx(value, rel=1e-7, abs=1e-12), where
        else:
            assert got[key][seed] == value, where


# ---------------------------------------------------------------------------------- LSVI-UCB
def brute_lsvi(model, data, beta, lam=1.0):
    """LSVI-UCB's w_h, Lambda_h, Q_h from trajectories ``data`` (lists over episodes) by loops,
    then Lemma B.4's event and B.5's optimism at (h, s, a)."""
    phi = model.features
    horizon, n_s, n_a, d = model.horizon, model.n_states, model.n_actions, phi.shape[-1]
    kernel = dense_kernel(model)
    q = np.zeros((horizon + 1, n_s, n_a))
    flags, ratios = [], []
    for h in reversed(range(horizon)):
        gram = lam * np.eye(d)
        target = np.zeros(d)
        for states, actions, rewards in data:
            x = phi[states[h], actions[h]]
            gram += np.outer(x, x)
            nxt = max(q[h + 1, states[h + 1], a] for a in range(n_a)) if h + 1 < horizon else 0
            target += x * (rewards[h] + nxt)
        inverse = np.linalg.inv(gram)
        w = inverse @ target
        for s in range(n_s):
            for a in range(n_a):
                x = phi[s, a]
                width = beta * math.sqrt(x @ inverse @ x)
                q[h, s, a] = min(w @ x + width, horizon)
        for s in range(n_s):
            for a in range(n_a):
                x = phi[s, a]
                v_next = [max(q[h + 1, t]) if h + 1 < horizon else 0.0 for t in range(n_s)]
                truth = model.rewards[h, s, a] + sum(
                    kernel[h][s, a, t] * v_next[t] for t in range(n_s)
                )
                dev, rad = abs(w @ x - truth), beta * math.sqrt(x @ inverse @ x)
                flags.append(ok(dev, rad))
                ratios.append(ratio(dev, rad))
    _, v_star = brute_optimal(model)
    optimistic = all(
        max(q[0, s]) >= v_star[0, s] - TOLERANCE * (1 + abs(v_star[0, s]))
        for s in range(n_s)
        if model.initial_distribution[s] > 0
    )
    return summary(flags, ratios, optimistic)


@pytest.mark.parametrize("c", [1.0, 0.01])
def test_lsvi_ucb_monitor_matches_brute_force(c):
    model = get_family("random-linear").build(
        np.random.default_rng(3), n_states=5, n_actions=2, dim=3, horizon=3, homogeneous=False
    )
    entry = recording(get("lsvi-ucb"))
    frame, learner = run_job(model, entry, entry.make_config(c=c))
    seen_fail = False
    for episode in CHECKPOINTS:
        got = columns(frame, episode)
        for seed in range(3):
            data = [(s[seed], a[seed], r[seed]) for s, a, r in learner.recorded[:episode]]
            expected = brute_lsvi(model, data, learner.beta)
            assert_matches(got, expected, seed, episode)
            seen_fail |= expected["event"] == 0.0
    assert seen_fail == (c < 1), "the tuned bonus should break the event, theory's should not"


# ---------------------------------------------------------------------------------- UCBVI
def brute_ucbvi(model, data, log, q_learner):
    horizon, n_s, n_a = model.horizon, model.n_states, model.n_actions
    kernel = dense_kernel(model)[0]  # the paper's stationary kernel (pooled counts)
    counts = np.zeros((n_s, n_a, n_s))
    for states, actions, _ in data:
        for h in range(horizon):
            counts[states[h], actions[h], states[h + 1]] += 1
    q_star, v_star = brute_optimal(model)
    flags, ratios = [], []
    for h in range(horizon):
        v = v_star[h + 1]
        for x in range(n_s):
            for a in range(n_a):
                n = counts[x, a].sum()
                if n == 0:
                    flags.append(True)
                    ratios.append(0.0)
                    continue
                p_hat = counts[x, a] / n
                p = kernel[x, a]
                c1 = []
                for row in (p, p_hat):
                    mean = sum(row[y] * v[y] for y in range(n_s))
                    var = max(sum(row[y] * v[y] ** 2 for y in range(n_s)) - mean**2, 0.0)
                    c1.append(2 * math.sqrt(var * log / n) + 14 * horizon * log / (3 * n))
                dev = abs(sum((p_hat[y] - p[y]) * v[y] for y in range(n_s)))
                held = ok(dev, min(c1))
                worst = ratio(dev, min(c1))
                for y in range(n_s):
                    c2 = 2 * math.sqrt(p[y] * (1 - p[y]) * log / n) + 2 * log / (3 * n)
                    gap = abs(p_hat[y] - p[y])
                    held &= ok(gap, c2)
                    worst = max(worst, ratio(gap, c2))
                l1 = sum(abs(p_hat[y] - p[y]) for y in range(n_s))
                c3 = 2 * math.sqrt(n_s * log / n)
                held &= ok(l1, c3)
                flags.append(held)
                ratios.append(max(worst, ratio(l1, c3)))
    optimistic = all(
        q_learner[h, x, a] >= q_star[h, x, a] - TOLERANCE * (1 + abs(q_star[h, x, a]))
        for h in range(horizon)
        for x in range(n_s)
        for a in range(n_a)
    )
    return summary(flags, ratios, optimistic)


@pytest.mark.parametrize("bonus", ["hoeffding", "bernstein"])
def test_ucbvi_monitor_matches_brute_force(bonus):
    model = get_family("random-tabular").build(
        np.random.default_rng(1), n_states=3, n_actions=2, horizon=3
    )
    entry = get("ucbvi")
    qs = {}

    class Snap(entry.cls):
        def update(self, trajectories):
            super().update(trajectories)
            qs[len(qs) + 1] = self.q.copy()  # Q after this many episodes

    snapping = recording(dataclasses.replace(entry, cls=Snap))
    frame, learner = run_job(model, snapping, entry.make_config(bonus=bonus, c=0.01))
    for episode in CHECKPOINTS:
        got = columns(frame, episode)
        for seed in range(3):
            data = [(s[seed], a[seed], r[seed]) for s, a, r in learner.recorded[:episode]]
            expected = brute_ucbvi(model, data, learner.log, qs[episode][seed])
            assert_matches(got, expected, seed, episode)


# ---------------------------------------------------------------------------------- LinUCB
def test_linucb_monitor_matches_brute_force():
    model = get_family("random-linear").build(
        np.random.default_rng(5), n_states=4, n_actions=3, dim=3, horizon=1
    )
    entry = recording(get("linucb"))
    config = entry.make_config(noise=0.01, theta_norm=0.5)  # a radius small enough to fail
    frame, learner = run_job(model, entry, config)
    theta = model.reward_parameters[0]
    phi, d = model.features, model.features.shape[-1]
    outcomes = set()
    for episode in CHECKPOINTS:
        got = columns(frame, episode)
        for seed in range(3):
            gram, b = np.eye(d), np.zeros(d)
            for states, actions, rewards in learner.recorded[:episode]:
                x = phi[states[seed, 0], actions[seed, 0]]
                gram += np.outer(x, x)
                b += x * rewards[seed, 0]
            est = np.linalg.solve(gram, b)
            dev = math.sqrt(max((est - theta) @ gram @ (est - theta), 0.0))
            log_det = np.linalg.slogdet(gram)[1]
            alpha = 0.01 * math.sqrt(2 * math.log(1 / 0.05) + log_det) + 0.5
            inverse = np.linalg.inv(gram)
            optimistic = all(
                est @ phi[s, a] + alpha * math.sqrt(phi[s, a] @ inverse @ phi[s, a])
                >= model.rewards[0, s, a] - TOLERANCE * (1 + model.rewards[0, s, a])
                for s in range(model.n_states)
                for a in range(model.n_actions)
            )
            held = ok(dev, alpha)
            expected = summary([held], [ratio(dev, alpha)], optimistic)
            assert_matches(got, expected, seed, episode)
            outcomes.add(held)
    assert outcomes == {True, False}, "the instance should exercise both outcomes"


# ---------------------------------------------------------------------------------- protocol
def test_monitor_off_and_stride_leave_the_run_unchanged():
    """``monitor = false`` drops the columns, a stride leaves NaN between monitored
    checkpoints (the last is always monitored), and the regret is identical either way."""
    model = get_family("random-linear").build(
        np.random.default_rng(0), n_states=6, n_actions=2, dim=3, horizon=3
    )
    protocol = get_protocol("online")
    entry = get("lsvi-ucb")
    frames = {}
    for name, extra in {
        "on": {},
        "off": {"monitor": False},
        "stride": {"monitor_stride": 3},
    }.items():
        check = Checker("test")
        settings = protocol.settings({"episodes": 20, "checkpoints": CHECKPOINTS, **extra}, check)
        point = protocol.points(settings)[0]
        seeds = [np.random.SeedSequence(entropy=1, spawn_key=(i,)) for i in range(2)]
        job = Job(model, entry, entry.make_config(c=0.05), seeds, [0, 1], point)
        frames[name] = protocol.run(job)
    assert not any(c.startswith("monitor.") for c in frames["off"])
    for name in ("on", "stride"):
        np.testing.assert_array_equal(frames[name]["regret"], frames["off"]["regret"])
    monitored = (
        frames["stride"].groupby("episode")["monitor.event"].apply(lambda s: s.notna().all())
    )
    assert sorted(monitored[monitored].index) == [3, 13, 20]


def test_monitor_refuses_an_incomplete_result():
    """A monitor function that omits a required key is an error naming the lemma."""
    monitor = Monitor(lambda model, learner, optimum: {"event": np.ones(1)}, "Lemma X", "p")
    with pytest.raises(ValueError, match="Lemma X"):
        monitor.evaluate(None, None, None)


@pytest.mark.slow
def test_lsvi_ucb_event_self_test_shrunk_bonus_fails_theory_bonus_holds():
    """Self-test on random-linear(S=10, A=3, d=4, H=4), K = 500, 32 fixed seeds (deterministic
    outcome): with Theorem 3.1's beta shrunk 100x the event fails in every seed; at c = 1
    (p = 0.05: the event should hold in at least 95% of seeds) it holds at every checkpoint in
    all 32."""
    model = get_family("random-linear").build(
        np.random.default_rng(0), n_states=10, n_actions=3, dim=4, horizon=4
    )
    protocol = get_protocol("online")
    entry = get("lsvi-ucb")
    check = Checker("test")
    point = protocol.points(protocol.settings({"episodes": 500, "checkpoints": 10}, check))[0]
    seeds = [np.random.SeedSequence(entropy=2026, spawn_key=(i,)) for i in range(32)]
    beta = lsvi_ucb_beta(1.0, 4, 4, 500, 0.05)
    held = {}
    for name, config in {"theory": {"c": 1.0}, "shrunk": {"beta": beta / 100}}.items():
        job = Job(model, entry, entry.make_config(**config), seeds, list(range(32)), point)
        held[name] = protocol.run(job).groupby("seed")["monitor.event"].min()
    assert (held["theory"] == 1.0).all()
    assert (held["shrunk"] == 0.0).all()


# ---------------------------------------------------------------------------------- VTR
@pytest.mark.parametrize("algorithm", ["ucrl-vtr", "hf-ucrl-vtr-plus"])
def test_vtr_monitor_columns_equal_the_raw_proof_events(algorithm):
    """The protocol's monitor columns for the value-targeted learners are the events of
    rltheory.algos.hf_ucrl_vtr.monitor (tested against brute force in test_hf_events.py) on
    the learner's state at each checkpoint, mapped onto the monitor keys."""
    from rltheory.algos.hf_ucrl_vtr import monitor
    from rltheory.envs.transforms import unit_total_reward

    model = unit_total_reward(
        get_family("random-mixture").build(
            np.random.default_rng(0), n_states=4, n_actions=2, dim=3, horizon=3
        )
    )
    entry = get(algorithm)
    raw = {}

    class Watch(entry.cls):
        def update(self, trajectories):
            super().update(trajectories)
            raw[len(raw) + 1] = monitor(model, self)

    params = {"beta_scale": 0.01} if algorithm == "ucrl-vtr" else {"n_levels": 2}
    frame, _ = run_job(model, dataclasses.replace(entry, cls=Watch), entry.make_config(**params))
    for episode in CHECKPOINTS:
        got, events = columns(frame, episode), raw[episode]
        event = (events["confidence"] & events["variance_covered"]).astype(float)
        np.testing.assert_array_equal(got["event"], event)
        np.testing.assert_array_equal(got["optimism"], events["optimistic"].astype(float))
        np.testing.assert_array_equal(got["worst_ratio"], events["confidence_ratio"])
