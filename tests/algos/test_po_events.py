"""The policy-optimization learners' confidence-set monitor (:mod:`rltheory.algos.po_events`):
equal to a loop over (h, s, a) and seeds, failing on a corrupted count and on a shrunk radius,
holding at theory scale in at least 1 - delta of the seeds, and written by the adversarial and
delayed protocols into the ``monitor.<key>`` columns."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy import stats

from rltheory.algos import get
from rltheory.algos._occupancy import occupancy_bounds
from rltheory.algos.monitors import KEYS, TOLERANCE
from rltheory.envs import make_model
from rltheory.experiments.adversarial_loop import adversarial_problem, run_adversarial
from rltheory.experiments.checker import Checker
from rltheory.experiments.loops import seed_generators
from rltheory.experiments.protocols import Job, get_protocol

S, A, H, K = 3, 2, 3, 30
CHECKPOINTS = [1, 4, 10, 30]


def tiny(delay: str = "none"):
    return make_model(
        "delayed-adversarial", 0, base="adversarial-tabular", kind="iid", n_states=S,
        n_actions=A, horizon=H, n_episodes=K, delay=delay,
    )  # fmt: skip


def learners_at_checkpoints(adv, algorithm, n_seeds=3, **params):
    """Copies of the learner's state (counts and logits) after each checkpoint episode."""
    entry = get(algorithm)
    env_rngs, algo_rngs = seed_generators(
        [np.random.SeedSequence(5, spawn_key=(i,)) for i in range(n_seeds)]
    )
    learner = entry.cls(adversarial_problem(adv), entry.make_config(**params), algo_rngs)
    states = []

    def copy(k: int) -> None:
        if k + 1 in CHECKPOINTS:
            states.append((learner.counts.copy(), learner.logits.copy()))

    run_adversarial(adv, learner, env_rngs, delays=adv.delays, callback=copy)
    return entry, learner, states


def brute_force(adv, learner):
    """The monitor's keys by loops over seeds and (h, s, a); the upper occupancy bound (tested
    against the occupancy LP in test_occupancy.py) one seed at a time."""
    dyn, cfg, counts = adv.dynamics, learner.config, learner.counts
    kernel = dyn.transitions.dense()
    log = math.log(S * A * H * K / cfg.delta)
    policy = learner.policy()
    out = {key: [] for key in (*KEYS, "learner_set")}
    for b in range(counts.shape[0]):
        held = own_held = 0
        worst = 0.0
        p_hat = np.empty((H, S, A, S))
        own = np.empty((H, S, A))
        for h in range(H):
            for s in range(S):
                for a in range(A):
                    n = counts[b, h, s, a].sum()
                    p_hat[h, s, a] = counts[b, h, s, a] / n if n else np.full(S, 1 / S)
                    radius = min(2.0, math.sqrt(2 * S * log / max(1, n)))
                    own[h, s, a] = min(2.0, cfg.radius_scale * math.sqrt(2 * S * log / max(1, n)))
                    p = kernel[0 if kernel.shape[0] == 1 else h, s, a]
                    dist = sum(abs(p_hat[h, s, a, y] - p[y]) for y in range(S))
                    held += dist <= radius + TOLERANCE * (1 + radius)
                    own_held += dist <= own[h, s, a] + TOLERANCE * (1 + own[h, s, a])
                    worst = max(worst, dist / radius)
        upper, _ = occupancy_bounds(policy[b], p_hat, own, dyn.initial_distribution)
        state = np.array(dyn.initial_distribution, dtype=float)
        covered = True
        for h in range(H):
            for s in range(S):
                covered &= upper[h, s] >= state[s] - TOLERANCE * (1 + state[s])
            nxt = np.zeros(S)
            for s in range(S):
                for a in range(A):
                    p = kernel[0 if kernel.shape[0] == 1 else h, s, a]
                    nxt += state[s] * policy[b, h, s, a] * p
            state = nxt
        total = H * S * A
        out["event"].append(float(held == total))
        out["fail_fraction"].append(1 - held / total)
        out["worst_ratio"].append(worst)
        out["optimism"].append(float(covered))
        out["learner_set"].append(float(own_held == total))
    return {key: np.array(value) for key, value in out.items()}


def corrupt(counts, seed=0):
    """Counts of seed ``seed`` with 10^4 fake visits of (h=0, s, a) moving to a wrong state."""
    bad = counts.copy()
    start = int(np.argmax(bad[seed, 0].sum(-1).sum(-1)))
    bad[seed, 0, start, 0, :] = 0
    bad[seed, 0, start, 0, 0] = 10_000
    return bad


@pytest.mark.parametrize("algorithm", ["dapo", "po-shani"])
def test_monitor_equals_a_loop_over_seeds_and_triples(algorithm):
    """At every checkpoint of a delayed run, at the theory radius and a shrunk one, and with a
    corrupted count: the monitor equals the loops, and both outcomes of each key occur."""
    adv = tiny("geometric")
    seen = {key: set() for key in ("event", "optimism", "learner_set")}
    for scale in (1.0, 0.2):
        entry, learner, states = learners_at_checkpoints(adv, algorithm, radius_scale=scale)
        for counts, logits in [*states, (corrupt(states[-1][0]), states[-1][1])]:
            learner.counts, learner.logits = counts, logits
            got = entry.monitor.evaluate(adv.dynamics, learner, None)
            expected = brute_force(adv, learner)
            assert set(got) == set(expected)
            for key, value in expected.items():
                np.testing.assert_allclose(got[key], value, rtol=1e-12, atol=1e-12, err_msg=key)
            for key in seen:
                seen[key] |= set(got[key].tolist())
    assert all(outcomes == {0.0, 1.0} for outcomes in seen.values()), seen


def test_self_test_corrupted_count_and_shrunk_radius_are_reported():
    """A corrupted count breaks the event in that seed only; radius_scale = 0.01 leaves the
    lemma's event (data only) but breaks the learner's own set and its occupancy optimism."""
    adv = tiny()
    entry, learner, _ = learners_at_checkpoints(adv, "dapo", n_seeds=4)
    learner.counts = corrupt(learner.counts)
    got = entry.monitor.evaluate(adv.dynamics, learner, None)
    np.testing.assert_array_equal(got["event"], [0.0, 1.0, 1.0, 1.0])
    assert got["worst_ratio"][0] > 1.0 >= got["worst_ratio"][1:].max()
    entry, learner, _ = learners_at_checkpoints(adv, "dapo", n_seeds=4, radius_scale=0.01)
    got = entry.monitor.evaluate(adv.dynamics, learner, None)
    np.testing.assert_array_equal(got["event"], 1.0)
    np.testing.assert_array_equal(got["learner_set"], 0.0)
    np.testing.assert_array_equal(got["optimism"], 0.0)


def run_cell(protocol_name, adv, algorithm, n_seeds, extra=None, **params):
    """The protocol's frame for one cell and the learner it ran."""
    protocol = get_protocol(protocol_name)
    check = Checker("test")
    settings = protocol.settings({"checkpoints": CHECKPOINTS, **(extra or {})}, check)
    check.raise_if_any()
    learners = []
    entry = get(algorithm)

    class Capture(entry.cls):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            learners.append(self)

    captured = dataclasses.replace(entry, cls=Capture)
    seeds = [np.random.SeedSequence(11, spawn_key=(i,)) for i in range(n_seeds)]
    job = Job(adv, captured, entry.make_config(**params), seeds, list(range(n_seeds)),
              protocol.points(settings)[0])  # fmt: skip
    return protocol.run(job), learners[0]


def test_theory_scale_event_holds_in_at_least_one_minus_delta_of_seeds():
    """Binomial test at level 1%: over 40 fixed seeds of a delayed run (delta = 0.1), the number
    of seeds whose event held at every checkpoint is not significantly below 0.9 · 40."""
    frame, learner = run_cell("delayed", tiny("geometric"), "dapo", 40, eta=0.2)
    held = frame.groupby("seed")["monitor.event"].min().to_numpy()
    assert held.size == 40
    test = stats.binomtest(int(held.sum()), held.size, 1 - learner.config.delta, alternative="less")
    assert test.pvalue > 0.01, (held.sum(), test.pvalue)


@pytest.mark.parametrize("protocol_name", ["adversarial", "delayed"])
def test_protocol_writes_the_monitor_columns_of_the_learner(protocol_name):
    """The last checkpoint's ``monitor.<key>`` columns equal the monitor on the final learner;
    a stride leaves NaN between monitored checkpoints; ``monitor = false`` drops the columns and
    the regret is unchanged."""
    adv = tiny("geometric" if protocol_name == "delayed" else "none")
    frame, learner = run_cell(protocol_name, adv, "dapo", 3, eta=0.2)
    expected = get("dapo").monitor.evaluate(adv.dynamics, learner, None)
    last = frame[frame["episode"] == K].sort_values("seed")
    for key, value in expected.items():
        np.testing.assert_array_equal(last["monitor." + key].to_numpy(), value, err_msg=key)
    assert frame["monitor.event"].notna().all()
    strided, _ = run_cell(protocol_name, adv, "dapo", 3, {"monitor_stride": 3}, eta=0.2)
    monitored = strided.groupby("episode")["monitor.event"].apply(lambda s: s.notna().all())
    assert sorted(monitored[monitored].index) == [10, 30]
    off, _ = run_cell(protocol_name, adv, "dapo", 3, {"monitor": False}, eta=0.2)
    assert not any(c.startswith("monitor.") for c in off)
    np.testing.assert_array_equal(off["regret"], frame["regret"])
