"""Command line: ``rltheory list | validate | run | report | demo`` (argparse); also
``python -m rltheory``.

User errors (bad spec, unknown ids, refused results directory, bad options) print one message on
stderr and exit with status 2; a failing cell exits with status 1 after the finished cells are
saved (re-running resumes); Ctrl-C exits with 130 and SIGTERM with 143, the finished cells saved.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

USER_ERROR = 2
RUN_FAILED = 1
INTERRUPTED = 130
TERMINATED = 143
DEMO_SPEC = "quickstart"
DEMO_OUT = Path("results") / "quickstart"


def resolve_spec(text: str) -> Path:
    """A spec path, or the name of a shipped spec (``quickstart``) when no such file exists."""
    from rltheory import specs

    path = Path(text)
    if path.exists() or (path.suffix == ".toml" and path.parent != Path(".")):
        return path
    try:
        return specs.path(text)
    except FileNotFoundError:
        return path


def _size(text: str) -> int:
    from rltheory.experiments.memory import parse_bytes

    try:
        return parse_bytes(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("rltheory")
    except metadata.PackageNotFoundError:
        from rltheory import __version__

        return __version__


def _add_backend_options(parser: argparse.ArgumentParser, force: bool = True) -> None:
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
    if force:
        parser.add_argument(
            "--force",
            action="store_true",
            help="delete results of a different spec in the output directory and start over",
        )


def _add_spec_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "spec",
        metavar="SPEC",
        help="TOML spec file, or the name of a shipped spec (e.g. quickstart; see rltheory list)",
    )
    parser.add_argument("--seeds", type=_positive, help="override the number of seeds")
    parser.add_argument("--episodes", type=_positive, help="override the number of episodes K")
    parser.add_argument(
        "--max-memory",
        type=_size,
        metavar="SIZE",
        help="refuse cells estimated to need more (e.g. 8G; default: the memory available)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rltheory",
        description="Exact-regret experiments for reinforcement-learning theory.",
    )
    parser.add_argument("--version", action="version", version=f"rltheory {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    listing = commands.add_parser(
        "list",
        help="list protocols, algorithms (parameters), environments, transforms, delays, bounds",
        description="List the registry; with ID, details of one algorithm or environment.",
    )
    listing.add_argument("id", metavar="ID", nargs="?", help="an algorithm or environment id")
    validate = commands.add_parser(
        "validate",
        help="check a spec without running it (cells and memory estimate)",
        description="Run every check `run` runs, print the cells and the memory estimate, and "
        "run nothing.",
    )
    _add_spec_options(validate)
    _add_backend_options(validate, force=False)
    run = commands.add_parser(
        "run",
        help="run an experiment spec (resumes an interrupted run)",
        description="Run every unfinished cell of SPEC into --out and update its manifest.",
    )
    _add_spec_options(run)
    run.add_argument("--out", metavar="DIR", help="results directory (default: results/<name>)")
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
        description=f"Run the shipped spec {DEMO_SPEC} into {DEMO_OUT} and print the figure's "
        "path.",
    )
    demo.add_argument("--out", metavar="DIR", default=str(DEMO_OUT), help="results directory")
    _add_backend_options(demo)
    return parser


def _backend(args: argparse.Namespace) -> str:
    if args.backend is not None:
        return args.backend
    return "dask" if args.scheduler or args.dask_local else "processes"


def command_list(name: str | None = None) -> None:
    from rltheory import catalog, specs

    if name is not None:
        print("\n".join(catalog.details(name)))
        return
    print("\n".join(catalog.overview()))
    shipped = f"Shipped specs (rltheory run NAME): {', '.join(specs.names())}"
    print("\n" + "\n".join(textwrap.wrap(shipped, catalog.WIDTH, subsequent_indent="  ")))


def command_validate(args: argparse.Namespace) -> None:
    """All checks of ``run`` (spec, structures, memory), nothing run: print the cells and the
    memory estimate."""
    from rltheory.experiments import load_spec
    from rltheory.experiments.memory import cell_estimates, format_bytes, limit_description
    from rltheory.experiments.runner import check_run_memory, local_parallelism

    path = resolve_spec(args.spec)
    spec = load_spec(path, max_memory=args.max_memory).with_overrides(
        seeds=args.seeds, episodes=args.episodes
    )
    parallel = local_parallelism(_backend(args), args.workers, args.scheduler, args.dask_local)
    check_run_memory(spec, args.max_memory, parallel)
    cells = spec.cells()
    limit, why = limit_description(args.max_memory)
    estimates = cell_estimates(spec)
    worst = max(estimates, key=lambda e: e.total)
    print(f"{path}: valid ({spec.protocol} protocol, spec hash {spec.hash[:12]})")
    print(f"{len(cells)} cell(s), {spec.batch_size} seed(s) each:")
    for cell in cells:
        seeds = f"{cell.seeds[0]}..{cell.seeds[-1]}"
        print(f"  {cell.key}  {cell.label} on {cell.env.describe()}, seeds {seeds}")
    print(f"largest cell: {worst.where}: {worst.describe()}")
    at_once = min(parallel, len(cells))
    print(
        f"memory: about {format_bytes(worst.total * at_once)} with {at_once} cell(s) at a time; "
        f"limit per cell {format_bytes(limit)} ({why})"
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

    max_memory = getattr(args, "max_memory", None)
    spec = load_spec(spec_path, max_memory=max_memory).with_overrides(
        seeds=seeds, episodes=episodes
    )
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
        max_memory=max_memory,
    )
    print(
        f"{spec.name}: {summary.ran} cell(s) run, {summary.skipped} already finished, "
        f"{summary.seconds:.1f} s -> {directory}"
    )
    for item in summary.corrupt:
        print(f"recomputed {item['file']} (was {item['reason']}; kept as {item['moved_to']})")
    if not report:
        return None
    return command_report(directory)


def command_report(directory: str | Path) -> Path | None:
    from rltheory.experiments.report import make_report
    from rltheory.tables import print_rates, print_summary

    result = make_report(directory)
    print_summary(result.summary)
    if not result.rates.empty:
        print()
        print_rates(result.rates)
    for name, reason in result.skipped_cells:
        print(f"warning: skipped {name}: {reason}; re-run to recompute it", file=sys.stderr)
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
    from rltheory.catalog import UnknownNameError
    from rltheory.experiments import (
        CellFailedError,
        ResultsError,
        SpecError,
        Terminated,
        UsageError,
    )

    args = build_parser().parse_args(argv)
    try:
        if args.command == "list":
            command_list(args.id)
        elif args.command == "validate":
            command_validate(args)
        elif args.command == "run":
            command_run(
                str(resolve_spec(args.spec)),
                args.out,
                args,
                seeds=args.seeds,
                episodes=args.episodes,
                report=args.report,
            )
        elif args.command == "report":
            command_report(args.directory)
        else:
            spec = resolve_spec(DEMO_SPEC)
            figure = command_run(str(spec), args.out, args, report=True)
            print(f"quickstart figure: {figure}")
    except BrokenPipeError:  # the reader went away (e.g. `rltheory list | head`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (SpecError, ResultsError, UsageError, UnknownNameError, OSError) as error:
        print(f"rltheory {args.command}: error: {error}", file=sys.stderr)
        return USER_ERROR
    except CellFailedError as error:
        print(f"rltheory {args.command}: {error}", file=sys.stderr)
        return RUN_FAILED
    except Terminated:
        print("terminated (SIGTERM); finished cells are saved, re-run to resume", file=sys.stderr)
        return TERMINATED
    except KeyboardInterrupt:
        print("interrupted; finished cells are saved, re-run to resume", file=sys.stderr)
        return INTERRUPTED
    return 0


if __name__ == "__main__":
    sys.exit(main())
