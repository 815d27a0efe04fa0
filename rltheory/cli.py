"""Command line: ``rltheory list | run | report | demo`` (argparse).

User errors (bad spec, unknown ids, refused results directory, bad options) print one message on
stderr and exit with status 2; a failing cell exits with status 1 after the finished cells are
saved (re-running resumes).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

USER_ERROR = 2
RUN_FAILED = 1
DEMO_SPEC = Path("experiments") / "quickstart.toml"
DEMO_OUT = Path("results") / "quickstart"


def repo_root() -> Path:
    """The source tree that holds the ``rltheory`` package (the repository after ``pip install
    -e .``), where the shipped ``experiments/`` specs live."""
    return Path(__file__).resolve().parents[1]


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _add_backend_options(parser: argparse.ArgumentParser) -> None:
    from rltheory.experiments.runner import BACKENDS

    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default=None,
        help="where cells run (default: processes, or dask when --scheduler/--dask-local given)",
    )
    parser.add_argument(
        "--workers", type=_positive, help="worker processes (default: number of cores)"
    )
    parser.add_argument("--scheduler", metavar="ADDR", help="Dask scheduler, e.g. tcp://HOST:PORT")
    parser.add_argument(
        "--dask-local", type=_positive, metavar="N", help="start a Dask LocalCluster of N workers"
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="delete results of a different spec in the output directory and start over",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rltheory",
        description="Exact-regret experiments for reinforcement-learning theory.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    commands.add_parser(
        "list", help="list algorithms, environments and bounds", description="List the registry."
    )
    run = commands.add_parser(
        "run",
        help="run an experiment spec (resumes an interrupted run)",
        description="Run every unfinished cell of SPEC into --out and update its manifest.",
    )
    run.add_argument("spec", metavar="SPEC", help="TOML spec, e.g. experiments/quickstart.toml")
    run.add_argument("--out", metavar="DIR", help="results directory (default: results/<name>)")
    run.add_argument("--seeds", type=_positive, help="override the number of seeds")
    run.add_argument("--episodes", type=_positive, help="override the number of episodes K")
    run.add_argument("--report", action="store_true", help="write the report after the run")
    _add_backend_options(run)
    report = commands.add_parser(
        "report",
        help="figures and summary tables of a results directory",
        description="Write PNG/PDF figures and Markdown/HTML tables into DIR/report.",
    )
    report.add_argument("directory", metavar="DIR", help="results directory of `rltheory run`")
    demo = commands.add_parser(
        "demo",
        help="run the quickstart spec and write its report",
        description=f"Run {DEMO_SPEC} into {DEMO_OUT} and print the figure's path.",
    )
    demo.add_argument("--out", metavar="DIR", default=str(DEMO_OUT), help="results directory")
    _add_backend_options(demo)
    return parser


def _backend(args: argparse.Namespace) -> str:
    if args.backend is not None:
        return args.backend
    return "dask" if args.scheduler or args.dask_local else "processes"


def command_list() -> None:
    from rltheory.algos import entries
    from rltheory.bounds import bounds
    from rltheory.envs import families
    from rltheory.experiments.protocols import protocols

    print("Protocols (name | spec keys | axis | metric | requires):")
    for protocol in protocols():
        requires = ", ".join(sorted(protocol.requires)) or "-"
        print(
            f"  {protocol.name} | {', '.join(protocol.keys)} | {protocol.axis.label} | "
            f"{protocol.metric.name} | {requires}"
        )
    print("\nAlgorithms (id | protocol | requires | citation):")
    for entry in entries():
        requires = ", ".join(sorted(entry.requires)) or "-"
        print(f"  {entry.id} | {entry.protocol} | {requires} | {entry.citation}")
    print("\nEnvironments (id | gym id | parameters | citation):")
    for family in families():
        params = ", ".join(f"{k}={v!r}" for k, v in family.defaults.items())
        print(f"  {family.id} | {family.gym_id} | {params} | {family.citation}")
    print("\nBounds (id | kind | algorithms | formula | constant | citation):")
    for bound in bounds():
        constant = (
            "not given (fitted in plots)" if bound.constant is None else f"{bound.constant:g}"
        )
        algorithms = ", ".join(bound.algorithms) or "-"
        print(
            f"  {bound.id} | {bound.kind} | {algorithms} | {bound.formula} | {constant} | "
            f"{bound.citation}"
        )


def command_run(
    spec_path: str,
    out: str | None,
    args: argparse.Namespace,
    *,
    seeds: int | None = None,
    episodes: int | None = None,
    report: bool = False,
) -> Path | None:
    """Run a spec; returns the main figure's path when ``report`` is set."""
    from rltheory.experiments import load_spec, run_experiment

    spec = load_spec(spec_path).with_overrides(seeds=seeds, episodes=episodes)
    directory = Path(out) if out else Path("results") / spec.name
    backend = _backend(args)
    summary = run_experiment(
        spec,
        directory,
        backend=backend,
        workers=args.workers,
        scheduler=args.scheduler,
        dask_local=args.dask_local,
        force=args.force,
        source=str(spec_path),
    )
    print(
        f"{spec.name}: {summary.ran} cell(s) run, {summary.skipped} already finished, "
        f"{summary.seconds:.1f} s -> {directory}"
    )
    if not report:
        return None
    return command_report(directory)


def command_report(directory: str | Path) -> Path | None:
    from rltheory.experiments.report import make_report

    result = make_report(directory)
    print(result.summary.to_string(index=False))
    if not result.rates.empty:
        print()
        print(result.rates.to_string(index=False))
    if result.missing_cells:
        print(f"warning: {result.missing_cells} cell(s) unfinished", file=sys.stderr)
    print(f"tables: {result.markdown} {result.html}")
    figure = next((p for p in result.figures if p.suffix == ".png"), None)
    for path in result.figures:
        if path.suffix == ".png":
            print(f"figure: {path}")
    return figure


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rltheory`` console script; returns the exit status."""
    from rltheory.experiments import CellFailedError, ResultsError, SpecError, UsageError

    args = build_parser().parse_args(argv)
    try:
        if args.command == "list":
            command_list()
        elif args.command == "run":
            command_run(
                args.spec,
                args.out,
                args,
                seeds=args.seeds,
                episodes=args.episodes,
                report=args.report,
            )
        elif args.command == "report":
            command_report(args.directory)
        else:
            spec = repo_root() / DEMO_SPEC
            figure = command_run(str(spec), args.out, args, report=True)
            print(f"quickstart figure: {figure}")
    except BrokenPipeError:  # the reader went away (e.g. `rltheory list | head`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (SpecError, ResultsError, UsageError, OSError) as error:
        print(f"rltheory {args.command}: error: {error}", file=sys.stderr)
        return USER_ERROR
    except CellFailedError as error:
        print(f"rltheory {args.command}: {error}", file=sys.stderr)
        return RUN_FAILED
    except KeyboardInterrupt:
        print("interrupted; finished cells are saved, re-run to resume", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
