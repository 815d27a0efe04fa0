"""Regenerate ``benchmarks/README.md`` from the JSON results in ``benchmarks/results/``.

The README is never edited by hand: every figure in it comes from a results file written by
one benchmark run (its date, load average and machine are printed beside it), and every ratio
is one the benchmark formed from two live timings of the same invocation. A benchmark without
a results file is listed with its command only.

Run::

    .venv/bin/python benchmarks/make_readme.py
"""

from __future__ import annotations

import json
from pathlib import Path

from _harness import RESULTS
from _notes import render_notes

README = Path(__file__).resolve().parent / "README.md"

HEADER = """# Benchmarks

Speed and scaling measurements; not part of the pass/fail test suite. **This file is generated**
by `benchmarks/make_readme.py` from `benchmarks/results/*.json`; do not edit it by hand.

Hygiene (see `benchmarks/_harness.py`): every ratio comes from live runs of both sides in the
same invocation, alternating rep by rep after one warm-up of each, summarised by the min and the
median of >= 3 repetitions; the 1-minute load average is recorded before every round (the
machine has 2 cores shared by several users, so a load above 2 means the timings are inflated
and noisy). Recorded peer figures never enter a ratio.

Peer environments (rlberry 0.6.0 with numba, rlberry 0.7.3 + rlberry-scool) are built by
`../shared/peer-bench/setup_envs.sh` into a scratch `PEER_ROOT` outside the repository:

```
PEER_ROOT=/tmp/peers ../shared/peer-bench/setup_envs.sh
PEER_ROOT=/tmp/peers .venv/bin/python benchmarks/lsvi_vs_rlberry.py --K 250 500 1000 --reps 3
```

The benchmarks find the peer scripts at `<repo>/../shared/peer-bench` (`--shared` to point
elsewhere) and run `bench_rlberry.py` from a temporary copy, in the peer interpreter; no peer
code is imported or copied into this repository. Numpy operations per episode are counted by
`benchmarks/_numpy_calls.py` (ufunc calls, numpy functions, indexing and array-method calls made
by the learner's `policy()` + `update()`; the rollout is not included).
"""


def fmt(x: float, digits: int = 2) -> str:
    return f"{x:.{digits}f}"


def loads(values: list[float]) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def lsvi_vs_rlberry(doc: dict) -> list[str]:
    lines = [
        "## `lsvi_vs_rlberry.py` — LSVI-UCB against rlberry 0.6.0 (numba), live",
        "",
        f"Instance S = {doc['instance']['n_states']}, A = {doc['instance']['n_actions']}, "
        f"d = {doc['instance']['dim']}, H = {doc['instance']['horizon']} (peer instance, seed 0), "
        f"λ = {doc['instance']['lam']}, β = {doc['instance']['beta']}; {doc['reps']} alternating "
        f"repetitions per K; run {doc['machine']['when_utc']} UTC (numpy "
        f"{doc['machine']['numpy']}). ms per episode, min / median:",
        "",
        "| K | per-step | pooled | per-step + exact regret | rlberry (live) | rlberry / per-step "
        "(min, median) | rlberry / pooled | pooled / per-step | regret / learner | load |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in doc["rows"]:
        s = row["sides"]

        def cell(name: str, s=s) -> str:
            if name not in s:
                return "—"
            return f"{s[name]['min_ms_per_unit']:.3f} / {s[name]['median_ms_per_unit']:.3f}"

        over = row.get("rlberry_over", {})

        def times(name: str, over=over) -> str:
            return f"{over[name]['min']:.0f}×, {over[name]['median']:.0f}×" if name in over else "—"

        lines.append(
            f"| {row['K']} | {cell('per-step')} | {cell('pooled')} | {cell('per-step+regret')} | "
            f"{cell('rlberry')} | {times('per-step')} | {times('pooled')} | "
            f"{fmt(row['pooled_over_per_step']['median'])} | "
            f"{fmt(row['regret_over_learner']['median'])} | "
            f"{loads(row['loadavg_before_each_round'])} |"
        )
    targets = doc["targets"]
    k_target, x_target = targets["rlberry_over_per_step_at_K"]
    at = [r for r in doc["rows"] if r["K"] == k_target and "rlberry_over" in r]
    lines.append("")
    if at:
        got = at[0]["rlberry_over"]["per-step"]["median"]
        lines.append(
            f"- Target rlberry / per-step ≥ {x_target:.0f}× at K = {k_target}: "
            f"{verdict(got >= x_target)} (median {got:.0f}×, min-based "
            f"{at[0]['rlberry_over']['per-step']['min']:.0f}×)."
        )
    else:
        lines.append(f"- Target ≥ {x_target:.0f}× at K = {k_target}: not measured in this run.")
    worst_pooled = max(r["pooled_over_per_step"]["median"] for r in doc["rows"])
    lines.append(
        f"- Target `pooled=True` no slower than per-step: {verdict(worst_pooled <= 1.0)} "
        f"(pooled / per-step median time {worst_pooled:.2f} at worst over K)."
    )
    worst_regret = max(r["regret_over_learner"]["median"] for r in doc["rows"])
    lines.append(
        f"- Target exact regret accounting ≤ {targets['regret_over_learner_at_most']}× the learner "
        f"alone: {verdict(worst_regret <= targets['regret_over_learner_at_most'])} "
        f"(median ratio {worst_regret:.2f} at worst over K)."
    )
    calls = doc["numpy_calls_per_episode"]
    lines.append(
        "- Numpy operations per episode (learner, B = 1): "
        + "; ".join(f"{name} {v['median']:.0f}" for name, v in calls.items())
        + ". Most frequent: "
        + ", ".join(
            f"{k} {v}" for k, v in list(calls["per-step"]["by_kind_per_episode"].items())[:6]
        )
        + "."
    )
    line = doc["roofline_per_step"]
    lines.append(
        f"- Roofline (per-step episode, B = 1): {line['flops']:.3g} flops and {line['bytes']:.3g} "
        f"bytes counted from the sizes; measured now: matmul "
        f"{line['matmul_flops_per_s'] / 1e9:.1f} GFLOP/s, copy "
        f"{line['copy_bytes_per_s'] / 1e9:.1f} GB/s → bound "
        f"{1e6 * line['bound_s']:.0f} µs; measured {1e6 * line['measured_s']:.0f} µs = "
        f"{line['measured_over_bound']:.1f}× the bound."
    )
    lines.append(
        "- Not equal work: rlberry pools one Gram matrix over h and redoes its regression over all "
        "stored transitions each episode (cost ∝ k); ours (per-step) is Jin et al.'s Algorithm 1 "
        "with a per-episode cost independent of k."
    )
    return lines


def ucbvi_vs_rlberry(doc: dict) -> list[str]:
    s = doc["sides"]
    lines = [
        "## `ucbvi_vs_rlberry.py` — UCBVI against rlberry 0.6.0 (numba), live",
        "",
        f"Instance S = {doc['instance']['n_states']}, A = {doc['instance']['n_actions']}, "
        f"H = {doc['instance']['horizon']}, K = {doc['K']}; ours with "
        f"`{doc['instance']['params']}` (pooled kernel, like rlberry's default); "
        f"{doc['reps']} alternating repetitions; run {doc['machine']['when_utc']} UTC; load "
        f"before each round {loads(doc['loadavg_before_each_round'])}.",
        "",
        "| side | ms per episode (min / median) |",
        "|---|---|",
    ]
    for name, v in s.items():
        lines.append(f"| {name} | {v['min_ms_per_unit']:.3f} / {v['median_ms_per_unit']:.3f} |")
    one, batched = doc["rlberry_over_ours_B1"], doc["batched_throughput_over_rlberry"]
    target_b = doc["targets"]["batched_throughput_ratio"]
    lines += [
        "",
        f"- Target one seed no slower than rlberry: {verdict(one['median'] >= 1.0)} "
        f"(rlberry time / ours: median {one['median']:.2f}, min-based {one['min']:.2f}).",
        f"- Target 32 batched seeds ≥ {target_b:.0f}× rlberry's one-seed throughput: "
        f"{verdict(batched['median'] >= target_b)} (median {batched['median']:.1f}×, min-based "
        f"{batched['min']:.1f}×).",
        "- Numpy operations per episode (B = 1): "
        f"{doc['numpy_calls_per_episode_B1']['median']:.0f}.",
    ]
    for name, line in doc["roofline"].items():
        lines.append(
            f"- Roofline {name}: {line['flops']:.3g} flops, {line['bytes']:.3g} bytes per episode "
            f"→ bound {1e6 * line['bound_s']:.0f} µs (matmul "
            f"{line['matmul_flops_per_s'] / 1e9:.1f} GFLOP/s, copy "
            f"{line['copy_bytes_per_s'] / 1e9:.1f} GB/s); measured "
            f"{1e6 * line['measured_s']:.0f} µs = {line['measured_over_bound']:.1f}×."
        )
    return lines


def lsvi_batched_seeds(doc: dict) -> list[str]:
    s = doc["sides"]
    lines = [
        f"## `lsvi_batched_seeds.py` — {doc['seeds']} seeds in one learner vs "
        f"{doc['seeds']} sequential runs",
        "",
        f"Per-step LSVI-UCB, same instance, K = {doc['K']}, {doc['reps']} alternating "
        f"repetitions; run {doc['machine']['when_utc']} UTC; load before each round "
        f"{loads(doc['loadavg_before_each_round'])}.",
        "",
        "| loop | batched s (min / median) | sequential s (min / median) | sequential / batched "
        "(min, median) |",
        "|---|---|---|---|",
    ]
    for kind, r in doc["speedup"].items():
        b, q = s[f"batched/{kind}"], s[f"sequential/{kind}"]
        lines.append(
            f"| {kind} | {b['min_s']:.3f} / {b['median_s']:.3f} | {q['min_s']:.3f} / "
            f"{q['median_s']:.3f} | {r['min']:.1f}×, {r['median']:.1f}× |"
        )
    best = doc["speedup"]["learner"]["median"]
    lines += [
        "",
        f"- Target ≥ {doc['target_speedup']:.0f}×: {verdict(best >= doc['target_speedup'])} "
        f"(learner alone, median {best:.1f}×).",
        f"- Exact-regret accounting, batched: {doc['regret_over_learner_batched']['median']:.2f}× "
        "the learner alone (median).",
        "- Cost per seed-episode of the batched learner (min): "
        + ", ".join(
            f"{name} {1000 * v['min_ms_per_unit']:.0f} µs"
            for name, v in doc["per_seed_episode"].items()
        )
        + ".",
        f"- Bit-identity vs each seed alone ({doc['identity_K']} episodes): "
        + "; ".join(
            f"B = {b}: policies {'identical' if v['policies_bit_identical'] else 'DIFFER'}, "
            f"max |Δ regret| {v['max_regret_gap']:.1e}"
            for b, v in doc["identity"].items()
        )
        + ".",
    ]
    return lines


def profile_episode(doc: dict) -> list[str]:
    phases = list(doc["rows"][0]["us_per_episode"])
    lines = [
        "## `profile_episode.py` — where an episode's time goes (profile of the misses)",
        "",
        f"Same instance; µs per episode (all B seeds together), min of {doc['reps']} runs of "
        f"K = {doc['K']}; run {doc['machine']['when_utc']} UTC; load before each run "
        f"{loads(doc['loadavg_before_each_run'])}. `draw`, `rollout` and `evaluate` are "
        "`rltheory.mdp` (environment and exact regret), not the learner.",
        "",
        "| configuration | B | " + " | ".join(phases) + " | learner share |",
        "|---|---|" + "---|" * len(phases) + "---|",
    ]
    for row in doc["rows"]:
        us = row["us_per_episode"]
        total = sum(us[p] for p in phases if p != "evaluate")
        share = (us["policy"] + us["update"]) / total
        lines.append(
            f"| {row['config']} | {row['B']} | "
            + " | ".join(f"{us[p]:.0f}" for p in phases)
            + f" | {100 * share:.0f} % |"
        )
    lines += [
        "",
        "Learner share: policy + update over the whole loop without the evaluation.",
    ]
    return lines


def planning_lowrank(doc: dict) -> list[str]:
    lines = [
        "## `planning_lowrank.py` — exact planning on a linear MDP: low-rank vs dense vs bandwidth",
        "",
        "Backward induction (`rltheory.mdp.optimal`) on a random simplex linear MDP; the bound "
        "is `H · (bytes(phi) + bytes(mu_h)) / W` with W the copy bandwidth measured beside each "
        f"repetition. Load at the end {doc['machine'].get('load_average_1min_at_end', 0):.1f}.",
        "",
        "| path | S | A | d | H | median s | bound s | time / bound | copy GB/s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in doc["rows"]:
        bound = row.get("bandwidth_bound_seconds_median")
        over = row.get("time_over_bound_median")
        lines.append(
            f"| {row['path']} | {row['S']} | {row['A']} | {row['d']} | {row['H']} | "
            f"{row['seconds_median']:.4f} | {'—' if bound is None else f'{bound:.4f}'} | "
            f"{'—' if over is None else f'{over:.2f}'} | {row['copy_bandwidth_GBps_median']:.1f} |"
        )
    summary = doc["summary"]
    agreement = summary["dense_vs_low_rank_agreement"]
    lines += [
        "",
        f"Dense / low-rank at the same S: {summary['dense_over_low_rank_same_S']:.1f}×; max |ΔQ| "
        f"{agreement['max_abs_diff_q']:.1e}, policies equal: {agreement['policies_equal']}. "
        f"Target: {summary['target']}.",
    ]
    return lines


def lsvi_scale(doc: dict) -> list[str]:
    size = doc["instance"]
    lines = [
        f"## `lsvi_scale.py` — LSVI-UCB at S = {size['n_states']}, A = {size['n_actions']}, "
        f"d = {size['dim']}, H = {size['horizon']}, K = {doc['K']}",
        "",
        f"One seed, β = {size['beta']}; load {loads(doc['loadavg_1min'])} (before, after); peak "
        f"RSS {doc['peak_rss_mib']:.0f} MiB ({doc['rss_after_model_mib']:.0f} after building the "
        "model).",
        "",
        "| run | s | ms / episode | per-block ms / episode (min · median · max) |",
        "|---|---|---|---|",
    ]
    for name, run in doc["runs"].items():
        blocks = sorted(b["ms_per_episode"] for b in run["blocks"])
        lines.append(
            f"| {name} | {run['seconds']:.1f} | {run['ms_per_episode']:.2f} | {blocks[0]:.1f} · "
            f"{blocks[len(blocks) // 2]:.1f} · {blocks[-1]:.1f} |"
        )
    return lines


def dapo_costs(doc: dict) -> list[str]:
    def med(table: dict) -> str:
        return ", ".join(f"{k}: {v['median']:.1f}" for k, v in table.items())

    acc, bat = doc["accounting"], doc["batched_32_vs_sequential_32"]
    flat = doc["flat_in_k_ms"]
    arrivals = ", ".join(f"{k}: {v:.1f}" for k, v in doc["ms_per_episode_vs_arrivals"].items())
    return [
        "## `dapo_costs.py` — DAPO's per-episode cost (no public DAPO code to compare with)",
        "",
        f"DAPO (eta = 0.05, doubling skipping) on `adversarial-tabular`, geometric delays (mean 5)"
        f" unless stated, {doc['seeds_per_learner']} seeds per learner, K = {doc['K']}, "
        f"{doc['reps']} alternating repetitions; load {loads(doc['loadavg_1min'])} "
        "(before, after). Median ms per episode:",
        "",
        "| measurement | median ms per episode |",
        "|---|---|",
        f"| vs S (A = 3, H = 4) | {med(doc['ms_per_episode_vs_S'])} (≈ S³: one robust DP per "
        "target state, each step an L1-ball optimum over S·A rows of length S) |",
        f"| vs A (S = 6, H = 4) | {med(doc['ms_per_episode_vs_A'])} |",
        f"| vs H (S = 6, A = 3) | {med(doc['ms_per_episode_vs_H'])} (≈ H²) |",
        f"| vs arrivals in one episode (bursts) | {arrivals} |",
        f"| flat in k | first quarter {flat['first_quarter_median']:.1f}, last quarter "
        f"{flat['last_quarter_median']:.1f} |",
        "",
        "- Exact-regret accounting's share of the run: "
        f"{100 * acc['accounting_share']['median']:.1f} % (median).",
        f"- 32 seeds batched vs 32 one-seed runs: {bat['batched_s']['median']:.1f} s vs "
        f"{bat['sequential_s']['median']:.1f} s, {bat['speedup_median']:.1f}× (median).",
    ]


SECTIONS = {
    "lsvi_vs_rlberry.json": lsvi_vs_rlberry,
    "ucbvi_vs_rlberry.json": ucbvi_vs_rlberry,
    "lsvi_batched_seeds.json": lsvi_batched_seeds,
    "profile_episode.json": profile_episode,
    "planning_lowrank.json": planning_lowrank,
    "dapo_costs.json": dapo_costs,
}
SCALE_COMMAND = ".venv/bin/python benchmarks/lsvi_scale.py --K 2000 --block 250"


def main() -> None:
    out = [HEADER]
    for name, render in SECTIONS.items():
        path = RESULTS / name
        if path.exists():
            out += ["", *render(json.loads(path.read_text()))]
        else:
            out += ["", f"## `{name.replace('.json', '.py')}`", "", "No results file yet."]
    scale = sorted(RESULTS.glob("lsvi_scale_K*.json"))
    for path in scale:
        out += ["", *lsvi_scale(json.loads(path.read_text()))]
    if not scale:
        out += ["", "## `lsvi_scale.py`", "", f"No results file yet: `{SCALE_COMMAND}`."]
    # benchmarks without a section renderer keep their prose in notes/<name>.md
    for notes in sorted((README.parent / "notes").glob("*.md")):
        out += ["", render_notes(notes)]
    README.write_text("\n".join(out).rstrip() + "\n")
    print(f"wrote {README}")


if __name__ == "__main__":
    main()
