"""Write ``docs/gallery.md`` and ``docs/gallery/<spec>/*.png`` from the reports of every shipped
spec in ``rltheory/specs/``: each figure with the exact command that makes it and its measured
table. ``--run`` runs (or resumes) each spec first; without it, specs whose report is missing are
listed as not yet run. Given SPECs, only their sections are rebuilt (and run with ``--run``); the
other sections of the current gallery are kept as they are.
Usage: ``python docs/make_gallery.py [--run] [SPEC ...]``."""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GALLERY = ROOT / "docs" / "gallery"
SPECS = ROOT / "rltheory" / "specs"


def tables(summary: str) -> str:
    """The summary's sections after its header (tables and their headings), figures dropped."""
    lines = summary.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("## ")), len(lines))
    kept = []
    for line in lines[start:]:
        if line.startswith("## Figures"):
            break
        kept.append(line.replace("## ", "#### ", 1) if line.startswith("## ") else line)
    return "\n".join(kept).strip()


def section(spec: Path, run: bool) -> str:
    from rltheory.experiments.spec import load_spec

    name = load_spec(spec, check_structures=False).name
    results = ROOT / "results" / name
    command = f"rltheory run {spec.stem} --report"
    if run:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "rltheory.cli",
                "run",
                str(spec),
                "--out",
                str(results),
                "--report",
            ],
            check=True,
            cwd=ROOT,
        )
    report = results / "report"
    lines = [
        f"## {name}",
        "",
        f"`{spec.relative_to(ROOT)}` — made by",
        "",
        "```bash",
        command,
        "```",
        "",
    ]
    summary = report / "summary.md"
    if not summary.is_file():
        return "\n".join([*lines, "Not yet run for this gallery.", ""])
    target = GALLERY / name
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for png in sorted(report.glob("*.png")):
        shutil.copy2(png, target / png.name)
        lines += [f"![{png.stem}](gallery/{name}/{png.name})", ""]
    text = summary.read_text()
    partial = next((line for line in text.splitlines() if "have not finished" in line), None)
    if partial:
        lines += [
            f"**Partial run** — {partial.removeprefix('WARNING: ')} The figures and table "
            "cover the finished cells; the command above resumes the rest.",
            "",
        ]
    lines += [tables(text), ""]
    return "\n".join(lines)


def existing_sections(gallery: Path) -> dict[str, str]:
    """The current gallery's sections by spec file stem (each ``## ...`` chunk that names its
    ``rltheory/specs/<stem>.toml``), in the form :func:`section` returns."""
    if not gallery.is_file():
        return {}
    sections = {}
    for chunk in re.split(r"(?m)^(?=## )", gallery.read_text())[1:]:
        match = re.search(r"(?m)^`rltheory/specs/([\w.-]+)\.toml` — made by", chunk)
        if match:
            sections[match.group(1)] = chunk.rstrip("\n") + "\n"
    return sections


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--run", action="store_true", help="run or resume each spec first")
    parser.add_argument("specs", nargs="*", type=Path, help="specs (default: the shipped ones)")
    args = parser.parse_args()
    shipped = sorted(SPECS.glob("*.toml"))
    chosen = {spec.resolve() for spec in args.specs} or set(shipped)
    unknown = sorted(str(spec) for spec in chosen - set(shipped))
    if unknown:
        parser.error(f"not shipped specs (rltheory/specs/*.toml): {', '.join(unknown)}")
    kept = existing_sections(ROOT / "docs" / "gallery.md")
    body = [
        "# Gallery",
        "",
        "Every shipped experiment of `rltheory/specs/`, with the command that makes its figures "
        "and the table its report measured (regenerate with `make gallery`, which runs "
        "`python docs/make_gallery.py --run`).",
        "",
    ]
    for spec in shipped:
        name = spec.stem
        keep = spec not in chosen and name in kept
        body.append(kept[name] if keep else section(spec, args.run))
    (ROOT / "docs" / "gallery.md").write_text("\n".join(body))


if __name__ == "__main__":
    main()
