"""Peak memory of ``pedall classify --format parquet`` as the cohort grows
(``python -m benchmarks.parquet_memory --sizes 100000,1000000``).

For each size, one synthetic cohort (``pedall.testing.cohort``, seed 2017) as CSV and as
Parquet (every column text, converted before any timing), then, each stage its own
subprocess, timed by wall clock and CPU (``getrusage``) and sampled from /proc every
50 ms for the peak resident memory of the whole process tree (the pedall process and its
worker processes) and of the pedall process alone (where the results are written):

- ``pedall classify cohort.csv --format json -o out.json``: the streamed JSON, for scale;
- ``pedall classify cohort.csv --format parquet -o out.parquet``: streamed Parquet;
- ``pedall classify cohort.parquet --format parquet -o out.parquet``: Parquet in and out;
- for the sizes in ``--in-memory-sizes`` (default 100000): the in-memory path that
  ``--format parquet`` took before it streamed (``pedall.api.classify_input`` on the whole
  table, then ``pedall.writers.parquet.write_results_parquet``), for comparison.

Every Parquet output must hold one row per patient with the same risk groups, row for
row, and the same count per group as the JSON; a markdown table goes to stdout.
Options: ``--sizes``, ``--in-memory-sizes``, ``--seed``, ``--keep DIR``.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.run import PEDALL, Stage, machine
from benchmarks.run import MemorySampler as TreeSampler
from benchmarks.spark_vs_cli import cli_groups, write_parquet
from pedall.testing.cohort import write_cohort_file

IN_MEMORY = [
    sys.executable,
    "-c",
    "import sys\n"
    "from pathlib import Path\n"
    "from pedall.api import classify_input\n"
    "from pedall.knowledge.base import KnowledgeBase\n"
    "from pedall.writers.parquet import write_results_parquet\n"
    "source, target = sys.argv[1:]\n"
    "outcome = classify_input(KnowledgeBase.load(), Path(source).read_bytes(), 'text/csv',"
    " source=source)\n"
    "write_results_parquet(outcome.results, outcome.issues, Path(target))\n",
]


class MainProcessSampler(TreeSampler):
    """The peak of the process tree (as ``benchmarks.run`` samples it) and, beside it, of
    the main process alone."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        super().__init__(pid, interval)
        self.main_peak = 0
        self._main_stop = threading.Event()
        self._main_thread = threading.Thread(target=self._sample_main, daemon=True)

    def __enter__(self) -> MainProcessSampler:
        super().__enter__()
        self._main_thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._main_stop.set()
        self._main_thread.join()
        super().__exit__(*exc)

    def _sample_main(self) -> None:
        status = Path(f"/proc/{self.pid}/status")
        while not self._main_stop.is_set():
            try:
                lines = status.read_text().splitlines()
            except OSError:
                lines = []
            for line in lines:
                if line.startswith("VmRSS:"):
                    self.main_peak = max(self.main_peak, int(line.split()[1]) * 1024)
            self._main_stop.wait(self.interval)


@dataclass(frozen=True)
class Run:
    stage: Stage
    wall: float
    cpu: float
    tree_peak: int
    main_peak: int

    @property
    def per_second(self) -> float:
        return self.stage.patients / self.wall if self.wall > 0 else float("inf")


def run(stage: Stage) -> Run:
    """Run one stage in a subprocess: wall, CPU, peak of the tree and of the main process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(stage.command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with MainProcessSampler(process.pid) as sampler:
        _, errors = process.communicate()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if process.returncode not in (0, 1):  # 1: the input had errors, as generated cohorts do
        sys.stderr.write(errors.decode("utf-8", "replace"))
        raise SystemExit(f"stage {stage.name} failed with exit status {process.returncode}")
    return Run(stage, wall, cpu, sampler.peak, sampler.main_peak)


def risk_groups(path: Path) -> list[str | None]:
    """The risk group of every row of a results Parquet file, in order."""
    import pyarrow.parquet as pq

    return list(pq.read_table(path, columns=["risk_group"]).column("risk_group").to_pylist())


def row_groups(path: Path) -> int:
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(path).num_row_groups)


def check(folder: Path, patients: int, outputs: Sequence[Path]) -> None:
    """Every Parquet output: one row per patient, the same groups row for row, the same
    count per group as the JSON."""
    json_rows, json_groups = cli_groups(folder / "out.json")
    first = risk_groups(outputs[0])
    for path in outputs:
        groups = first if path == outputs[0] else risk_groups(path)
        counted = Counter(g for g in groups if g is not None)
        same = len(groups) == json_rows == patients and groups == first and counted == json_groups
        print(
            f"- {path.name}: {len(groups):,} rows in {row_groups(path)} row groups, "
            f"same as the JSON: {'yes' if same else 'NO'}"
        )
        if not same:
            raise SystemExit(1)


def stages(folder: Path, patients: int, in_memory: bool) -> list[tuple[Stage, Path | None]]:
    csv_path, parquet_path = folder / "cohort.csv", folder / "cohort.parquet"
    classify = [*PEDALL, "classify"]
    found: list[tuple[Stage, Path | None]] = [
        (
            Stage(
                "`pedall classify` CSV in, JSON out",
                "json",
                patients,
                [*classify, str(csv_path), "--format", "json", "-o", str(folder / "out.json")],
            ),
            None,
        )
    ]
    for name, source in (("CSV", csv_path), ("Parquet", parquet_path)):
        target = folder / f"from-{name.lower()}.parquet"
        command = [*classify, str(source), "--format", "parquet", "-o", str(target)]
        found.append(
            (
                Stage(f"`pedall classify` {name} in, Parquet out", "parquet", patients, command),
                target,
            )
        )
    if in_memory:
        target = folder / "in-memory.parquet"
        stage = Stage(
            "in memory, as before (CSV in, Parquet out)",
            "in-memory",
            patients,
            [*IN_MEMORY, str(csv_path), str(target)],
        )
        found.append((stage, target))
    return found


def markdown_table(runs: Sequence[Run]) -> str:
    lines = [
        "| stage | patients | wall (s) | CPU (s) | patients/s "
        "| peak memory, process tree (MB) | peak memory, main process (MB) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        lines.append(
            f"| {r.stage.name} | {r.stage.patients:,} | {r.wall:.1f} | {r.cpu:.1f} "
            f"| {r.per_second:,.0f} | {r.tree_peak / 1e6:,.0f} | {r.main_peak / 1e6:,.0f} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--in-memory-sizes", default="100000")
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--keep", type=Path, default=None, help="keep the files in this folder")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    in_memory = {int(size) for size in args.in_memory_sizes.split(",") if size}
    header = machine()
    runs: list[Run] = []
    for patients in sizes:
        with tempfile.TemporaryDirectory(prefix="pedall-parquet-benchmark-") as scratch:
            folder = (args.keep / str(patients)) if args.keep else Path(scratch)
            folder.mkdir(parents=True, exist_ok=True)
            print(f"generating {patients:,} patients (seed {args.seed})", file=sys.stderr)
            csv_path = write_cohort_file(folder / "cohort.csv", patients, args.seed)
            write_parquet(csv_path, folder / "cohort.parquet", patients)
            outputs = []
            for stage, target in stages(folder, patients, patients in in_memory):
                print(f"running: {stage.name}, {patients:,}", file=sys.stderr)
                runs.append(run(stage))
                if target is not None:
                    outputs.append(target)
            print(f"\n{patients:,} patients:")
            check(folder, patients, outputs)
    print(f"\nMachine: {header}\n")
    print(markdown_table(runs))


if __name__ == "__main__":
    main()
