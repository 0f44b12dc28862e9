"""Time how fast ``pedall`` starts: whole processes, the way a user runs them.

``python -m benchmarks.startup`` runs each stage as its own ``pedall`` process ``--runs``
times (default 5) and prints the median wall and CPU time as a Markdown table (CPU
time, user + system, says more than wall time on a machine others are using):

1. ``pedall --help`` (no heavy library imported);
2. ``pedall query efs-by-risk-group``, warm: the OWL RL closure read from the cache;
3. ``pedall classify`` of 1,000 generated patients (``pedall.testing.cohort``, seed 2017), warm;
4. the same query cold (``--no-cache``: the closure inferred again), for comparison.

The closure cache is a fresh temporary folder (``$PEDALL_CACHE_DIR``), filled by one
untimed run before the warm stages, so the user's own cache is never touched; the data
files are a snapshot copy (``$PEDALL_DATA_ROOT``), so edits made meanwhile do not count.
"""

from __future__ import annotations

import argparse
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

from pedall.knowledge.data_files import DATA_KINDS, default_root
from pedall.testing.cohort import write_cohort_file

TARGETS = {"help": 0.25, "query": 1.0, "classify": 2.0}


@dataclass(frozen=True)
class Stage:
    name: str
    arguments: tuple[str, ...]
    target: float | None = None


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
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    return elapsed, _children_cpu() - cpu


def median_seconds(
    command: Sequence[str], environment: dict[str, str], runs: int
) -> tuple[float, float]:
    """The median wall and the median CPU seconds of ``runs`` runs."""
    times = [run_once(command, environment) for _ in range(runs)]
    return statistics.median(t[0] for t in times), statistics.median(t[1] for t in times)


def stages(cohort: Path, out: Path) -> list[Stage]:
    classify = ("classify", str(cohort), "--format", "json", "-o", str(out))
    return [
        Stage("pedall --help", ("--help",), TARGETS["help"]),
        Stage(
            "pedall query efs-by-risk-group (warm)",
            ("query", "efs-by-risk-group"),
            TARGETS["query"],
        ),
        Stage("pedall classify 1,000 patients (warm)", classify, TARGETS["classify"]),
        Stage(
            "pedall --no-cache query efs-by-risk-group (cold)",
            ("--no-cache", "query", "efs-by-risk-group"),
        ),
    ]


def markdown_table(rows: Sequence[tuple[Stage, tuple[float, float]]], runs: int) -> str:
    lines = [
        f"| stage | wall, median of {runs} (s) | CPU, median (s) | target, wall (s) |",
        "|---|---:|---:|---:|",
    ]
    for stage, (wall, cpu) in rows:
        target = f"< {stage.target:g}" if stage.target is not None else "-"
        lines.append(f"| `{stage.name}` | {wall:.2f} | {cpu:.2f} | {target} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="processes per stage (median)")
    parser.add_argument("--patients", type=int, default=1000)
    options = parser.parse_args(argv)
    pedall = pedall_command()
    with tempfile.TemporaryDirectory(prefix="pedall-startup-") as folder:
        work = Path(folder)
        cohort = write_cohort_file(work / "cohort.csv", options.patients)
        for kind in DATA_KINDS:
            shutil.copytree(default_root() / kind, work / "data" / kind)
        environment = {
            **os.environ,
            "PEDALL_CACHE_DIR": str(work / "cache"),
            "PEDALL_DATA_ROOT": str(work / "data"),
        }
        environment.pop("PEDALL_NO_CACHE", None)
        run_once([*pedall, "query", "efs-by-risk-group"], environment)  # fills the cache
        rows = []
        for stage in stages(cohort, work / "results.json"):
            wall, cpu = median_seconds([*pedall, *stage.arguments], environment, options.runs)
            rows.append((stage, (wall, cpu)))
            print(f"{stage.name}: {wall:.2f} s wall, {cpu:.2f} s CPU", file=sys.stderr)
    print(markdown_table(rows, options.runs))


if __name__ == "__main__":
    main()
