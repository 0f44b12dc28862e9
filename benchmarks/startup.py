"""Measure the start-up targets of issue 8 in one run: whole processes, the way a user runs them.

``python -m benchmarks.startup`` runs each stage as its own ``pedall`` process and prints
a Markdown table with the target beside each number (CPU time, user + system with the
workers, says more than wall time on a machine others are using):

1. ``pedall --help`` (no heavy library imported), median of ``--runs`` (default 5);
2. ``pedall query efs-by-risk-group``, warm: the OWL RL closure read from the cache;
3. ``pedall classify`` of 1,000 generated patients (``pedall.testing.cohort``, seed 2017),
   warm, CSV in and JSON with the explanations out;
4. the same of the 100,000 patients of ``make benchmark``, median of ``--large-runs``
   (default 3);
5. the reference engine on the 1,000 patients, once (about 160 s; ``--skip-reference``
   leaves it out), and how many times faster per patient the fast engine was on the
   100,000 (and on the 1,000), the two JSON outputs compared byte for byte;
6. the term pages of ``pedall serve`` (``benchmarks.term_pages``): every term's RDF
   description with the inferred triples, and its HTML page, ``--term-requests`` times
   each (``--skip-terms`` leaves them out);
7. ``pedall --no-cache query efs-by-risk-group`` (the closure inferred again), to compare.

The closure cache is a fresh temporary folder (``$PEDALL_CACHE_DIR``), filled (the OWL RL
closure and the compiled shapes) by two untimed runs before the warm stages, a query and a
classification, so the user's own cache is never touched; pedall's bytecode is compiled
first (``compile_bytecode``), as installing it does; the data
files are a snapshot copy (``$PEDALL_DATA_ROOT``), so edits made meanwhile do not count.
The load average before and after goes with the table, and the CPU time of a fixed
pure-Python loop at the start and the end (``loop_seconds``): on a shared virtual machine
the same work can take 1.8 times as long from one hour to the next, so the numbers mean
little without them.
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pedall as pedall_package
from benchmarks.run import machine
from benchmarks.term_pages import PageTimes, measure_term_pages
from pedall.knowledge.data_files import DATA_KINDS, default_root
from pedall.testing.cohort import write_cohort_file

TARGETS = {
    "help": 0.25,
    "query": 1.0,
    "classify": 2.0,
    "classify_large": 10.0,
    "x_reference": 300.0,
    "term_page": 0.005,
}


@dataclass(frozen=True)
class Stage:
    name: str
    arguments: tuple[str, ...]
    target: float | None = None
    patients: int = 0
    large: bool = False  # timed --large-runs times


@dataclass(frozen=True)
class Row:
    """One line of the table: what was measured, its value and its target, as text."""

    measure: str
    value: str
    cpu: str
    target: str
    met: bool | None  # None: no target


def pedall_command() -> list[str]:
    """The ``pedall`` console script of this interpreter's environment."""
    script = Path(sys.executable).with_name("pedall")
    if script.is_file():
        return [str(script)]
    found = shutil.which("pedall")
    if found is None:
        raise SystemExit("the pedall console script is not installed")
    return [found]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(command: Sequence[str], environment: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, with the process's workers) of one run."""
    cpu, started = _children_cpu(), time.perf_counter()
    done = subprocess.run(
        command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):  # 1: the input had errors, as generated cohorts do
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    return elapsed, _children_cpu() - cpu


def median_seconds(
    command: Sequence[str], environment: dict[str, str], runs: int
) -> tuple[float, float]:
    """The median wall and the median CPU seconds of ``runs`` runs."""
    times = [run_once(command, environment) for _ in range(runs)]
    return statistics.median(t[0] for t in times), statistics.median(t[1] for t in times)


def classify(cohort: Path, out: Path, *engine: str) -> tuple[str, ...]:
    return ("classify", *engine, str(cohort), "--format", "json", "-o", str(out))


def stages(cohorts: dict[int, Path], out: Path) -> list[Stage]:
    small, large = min(cohorts), max(cohorts)
    return [
        Stage("pedall --help", ("--help",), TARGETS["help"]),
        Stage(
            "pedall query efs-by-risk-group (warm)",
            ("query", "efs-by-risk-group"),
            TARGETS["query"],
        ),
        Stage(
            f"pedall classify {small:,} patients (warm)",
            classify(cohorts[small], out / f"fast-{small}.json"),
            TARGETS["classify"],
            small,
        ),
        Stage(
            f"pedall classify {large:,} patients (warm)",
            classify(cohorts[large], out / f"fast-{large}.json"),
            TARGETS["classify_large"],
            large,
            large=True,
        ),
        Stage(
            "pedall --no-cache query efs-by-risk-group (cold)",
            ("--no-cache", "query", "efs-by-risk-group"),
        ),
    ]


def seconds_row(name: str, wall: float, cpu: float, target: float | None, runs: int) -> Row:
    met = None if target is None else wall < target
    return Row(
        f"`{name}`, wall (median of {runs})",
        f"{wall:.2f} s",
        f"{cpu:.2f} s",
        "-" if target is None else f"< {target:g} s",
        met,
    )


def speed_rows(timed: dict[Stage, tuple[float, float]], reference: tuple[int, float]) -> list[Row]:
    """How many times the reference engine's patients per second each classify stage did."""
    patients, wall = reference
    per_second = patients / wall
    rows = []
    for stage, (stage_wall, _) in timed.items():
        if stage.patients:
            times = stage.patients / stage_wall / per_second
            target = TARGETS["x_reference"] if stage.large else None
            rows.append(
                Row(
                    f"fast engine ({stage.patients:,}) per patient, x the reference engine",
                    f"{times:,.0f}x",
                    "-",
                    "-" if target is None else f">= {target:g}x",
                    None if target is None else times >= target,
                )
            )
    return rows


def page_rows(pages: Sequence[PageTimes]) -> list[Row]:
    """The term pages: the median over the terms, and the slowest term (each term's median)."""
    rows = []
    for times in pages:
        target = TARGETS["term_page"] if "inferred" in times.kind.query else None
        name, slowest = times.slowest
        first_name, first_slowest = times.first_slowest
        for label, seconds in (
            (f"median of {len(times.per_term)} terms", times.median),
            (f"slowest term ({name})", slowest),
            ("95th percentile of the requests", times.p95),
        ):
            rows.append(
                Row(
                    f"{times.kind.name}, {label}",
                    f"{seconds * 1e3:.1f} ms",
                    "-",
                    "-" if target is None else f"< {target * 1e3:g} ms",
                    None if target is None else seconds < target,
                )
            )
        for label, seconds in (
            ("first request of a term, median", times.first_median),
            (f"first request, slowest term ({first_name})", first_slowest),
        ):
            rows.append(
                Row(f"{times.kind.name}, {label}", f"{seconds * 1e3:.1f} ms", "-", "-", None)
            )
    return rows


def markdown_table(rows: Sequence[Row]) -> str:
    lines = ["| measure | value | CPU | target | met |", "|---|---:|---:|---:|---|"]
    for row in rows:
        met = "-" if row.met is None else ("yes" if row.met else "**no**")
        lines.append(f"| {row.measure} | {row.value} | {row.cpu} | {row.target} | {met} |")
    return "\n".join(lines)


def reference_rows(
    pedall: Sequence[str],
    environment: dict[str, str],
    cohorts: dict[int, Path],
    work: Path,
    timed: dict[Stage, tuple[float, float]],
) -> tuple[list[Row], str]:
    """Run the reference engine once on the small cohort: its time, how many times faster
    per patient each fast stage was, and whether both engines wrote the same JSON."""
    small = min(cohorts)
    out = work / "reference.json"
    print(f"the reference engine on {small:,} patients (minutes)", file=sys.stderr)
    command = [*pedall, *classify(cohorts[small], out, "--engine", "reference")]
    wall, cpu = run_once(command, environment)
    name = f"pedall classify --engine reference {small:,} patients"
    same = out.read_bytes() == (work / f"fast-{small}.json").read_bytes()
    verdict = f"Reference and fast engine JSON on the {small:,}: " + (
        "identical." if same else "DIFFERENT."
    )
    return [seconds_row(name, wall, cpu, None, 1), *speed_rows(timed, (small, wall))], verdict


def load_average() -> str:
    return " ".join(f"{load:.2f}" for load in os.getloadavg())


def loop_seconds(runs: int = 3) -> float:
    """CPU seconds of a fixed pure-Python loop (10 million additions), the fastest of
    ``runs``: how fast the machine runs Python just now. On a shared virtual machine the
    same work has taken from 1.0 to 1.8 s within an hour; the numbers of two runs compare
    only beside it."""
    times = []
    for _ in range(runs):
        started, total = time.process_time(), 0
        for number in range(10_000_000):
            total += number
        times.append(time.process_time() - started)
    return min(times)


def compile_bytecode() -> None:
    """Compile pedall's modules to bytecode, as installing a wheel does: an editable
    install writes it on first use, unless ``PYTHONDONTWRITEBYTECODE`` is set (as on the
    machine these numbers were first taken on), when every process would compile some 90
    modules from source again (0.2 to 0.3 s of each start)."""
    compileall.compile_dir(str(Path(pedall_package.__file__ or "").parent), quiet=1)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="processes per stage (median)")
    parser.add_argument("--large-runs", type=int, default=3, help="runs of the large cohort")
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--large-patients", type=int, default=100_000)
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--skip-terms", action="store_true")
    parser.add_argument("--term-requests", type=int, default=5, help="timed requests a term")
    options = parser.parse_args(argv)
    pedall = pedall_command()
    header = machine()  # with the load average at the start
    loop_before = loop_seconds()
    with tempfile.TemporaryDirectory(prefix="pedall-startup-") as folder:
        work = Path(folder)
        cohorts = {
            size: write_cohort_file(work / f"cohort-{size}.csv", size)
            for size in {options.patients, options.large_patients}
        }
        for kind in DATA_KINDS:
            shutil.copytree(default_root() / kind, work / "data" / kind)
        environment = {
            **os.environ,
            "PEDALL_CACHE_DIR": str(work / "cache"),
            "PEDALL_DATA_ROOT": str(work / "data"),
        }
        environment.pop("PEDALL_NO_CACHE", None)
        compile_bytecode()
        run_once([*pedall, "query", "efs-by-risk-group"], environment)  # fills the cache
        small = min(cohorts)
        run_once([*pedall, *classify(cohorts[small], work / "warm.json")], environment)
        rows, timed, notes = [], {}, []
        for stage in stages(cohorts, work):
            runs = options.large_runs if stage.large else options.runs
            wall, cpu = median_seconds([*pedall, *stage.arguments], environment, runs)
            timed[stage] = (wall, cpu)
            rows.append(seconds_row(stage.name, wall, cpu, stage.target, runs))
            print(f"{stage.name}: {wall:.2f} s wall, {cpu:.2f} s CPU", file=sys.stderr)
        if not options.skip_reference:
            reference, verdict = reference_rows(pedall, environment, cohorts, work, timed)
            rows += reference
            notes.append(verdict)
        if not options.skip_terms:
            rows += page_rows(measure_term_pages(environment, options.term_requests))
    print(
        f"Machine: {header}; load average (1, 5, 15 min) at the end {load_average()}; "
        f"a pure-Python loop of 10 million additions: {loop_before:.2f} s of CPU at the "
        f"start, {loop_seconds():.2f} s at the end\n"
    )
    print(markdown_table(rows))
    for note in notes:
        print(f"\n{note}")


if __name__ == "__main__":
    main()
