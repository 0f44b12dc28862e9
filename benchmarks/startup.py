"""Time how fast ``pedall`` starts: whole processes, the way a user runs them.

``python -m benchmarks.startup`` runs each stage as its own ``pedall`` process ``--runs``
times (default 5) and prints the median wall time as a Markdown table:

1. ``pedall --help`` (no heavy library imported);
2. ``pedall query efs-by-risk-group``, warm: the OWL RL closure read from the cache;
3. ``pedall classify`` of 1,000 generated patients (``benchmarks.cohort``, seed 2017), warm;
4. the same query cold (``--no-cache``: the closure inferred again), for comparison.

The closure cache is a fresh temporary folder (``$PEDALL_CACHE_DIR``), filled by one
untimed run before the warm stages, so the user's own cache is never touched; the data
files are a snapshot copy (``$PEDALL_DATA_ROOT``), so edits made meanwhile do not count.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.cohort import write_cohort_file
from pedall.knowledge.data_files import DATA_KINDS, default_root

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


def run_once(command: Sequence[str], environment: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        command, env=environment, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - started


def median_seconds(command: Sequence[str], environment: dict[str, str], runs: int) -> float:
    return statistics.median(run_once(command, environment) for _ in range(runs))


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


def markdown_table(rows: Sequence[tuple[Stage, float]], runs: int) -> str:
    lines = [
        f"| stage | median of {runs} (s) | target (s) |",
        "|---|---:|---:|",
    ]
    for stage, seconds in rows:
        target = f"< {stage.target:g}" if stage.target is not None else "-"
        lines.append(f"| `{stage.name}` | {seconds:.2f} | {target} |")
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
            seconds = median_seconds([*pedall, *stage.arguments], environment, options.runs)
            rows.append((stage, seconds))
            print(f"{stage.name}: {seconds:.2f} s", file=sys.stderr)
    print(markdown_table(rows, options.runs))


if __name__ == "__main__":
    main()
