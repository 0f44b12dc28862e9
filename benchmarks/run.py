"""Benchmark the engines end to end (``python -m benchmarks.run``, or ``make benchmark``).

In one run: generate synthetic cohorts (``pedall.testing.cohort``), then, each stage in its own
``pedall`` subprocess (CSV in, JSON with the explanations out, as a user runs it):

- the reference engine (pyshacl + owlrl) on 1,000 patients;
- the fast engine on 1,000, 10,000 and 100,000 patients;
- validation alone of the 100,000 patients.

For each stage: wall time, CPU time, patients per second, the speed per patient relative to
the reference engine, and the peak memory of the stage's processes (the main process and
its workers together, sampled from /proc every 50 ms; the largest single process's peak
from ``getrusage`` when /proc is not there). A markdown table goes to stdout.

Options: ``--sizes 1000,10000,100000``, ``--reference-size 1000``, ``--seed``, ``--keep DIR``
(keep the generated files there), ``--skip-reference``.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pedall.testing.cohort import write_cohort_file

PEDALL = [sys.executable, "-c", "from pedall.cli.main import main; main()"]
JSON_TO = ["--format", "json", "-o"]


@dataclass(frozen=True)
class Stage:
    """One timed command."""

    name: str
    engine: str
    patients: int
    command: list[str]


@dataclass(frozen=True)
class Measurement:
    stage: Stage
    wall: float
    cpu: float
    peak_bytes: int
    exit_status: int

    @property
    def per_second(self) -> float:
        return self.stage.patients / self.wall if self.wall > 0 else float("inf")


def _descendants(pid: int) -> list[int]:
    found = [pid]
    index = 0
    while index < len(found):
        current = found[index]
        index += 1
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                text = Path(f"/proc/{current}/task/{task}/children").read_text()
            except OSError:
                continue
            found += [int(child) for child in text.split()]
    return found


def _rss_bytes(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


class MemorySampler:
    """The largest total resident memory of a process and its descendants, sampled."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.is_set():
            total = sum(_rss_bytes(pid) for pid in _descendants(self.pid))
            self.peak = max(self.peak, total)
            self._stop.wait(self.interval)


def measure(stage: Stage) -> Measurement:
    """Run one stage in a subprocess: wall time, CPU time and peak memory."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(stage.command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with MemorySampler(process.pid) as sampler:
        _, errors = process.communicate()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    peak = sampler.peak or after.ru_maxrss * 1024
    if process.returncode not in (0, 1):  # 1: the input had errors, as generated cohorts do
        sys.stderr.write(errors.decode("utf-8", "replace"))
        raise SystemExit(f"stage {stage.name} failed with exit status {process.returncode}")
    return Measurement(stage, wall, cpu, peak, process.returncode)


def stages(files: dict[int, Path], out: Path, reference: tuple[int, Path] | None) -> list[Stage]:
    """The stages: the reference engine, the fast engine on each size, validation of the
    largest."""
    planned = []
    if reference is not None:
        size, path = reference
        target = str(out / "reference.json")
        planned.append(
            Stage(
                f"classify, reference engine, {size:,}",
                "reference",
                size,
                [*PEDALL, "classify", "--engine", "reference", *JSON_TO, target, str(path)],
            )
        )
    for size, path in sorted(files.items()):
        target = str(out / f"fast-{size}.json")
        planned.append(
            Stage(
                f"classify, fast engine, {size:,}",
                "fast",
                size,
                [*PEDALL, "classify", *JSON_TO, target, str(path)],
            )
        )
    largest = max(files)
    target = str(out / "validate.json")
    planned.append(
        Stage(
            f"validate only, compiled checker, {largest:,}",
            "validate",
            largest,
            [*PEDALL, "validate", *JSON_TO, target, str(files[largest])],
        )
    )
    return planned


def markdown_table(measurements: Sequence[Measurement]) -> str:
    reference = next((m for m in measurements if m.stage.engine == "reference"), None)
    lines = [
        "| stage | patients | wall (s) | CPU (s) | patients/s | x reference per patient "
        "| peak memory (MB) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for m in measurements:
        ratio = f"{m.per_second / reference.per_second:,.0f}" if reference else "-"
        if m.stage.engine == "reference":
            ratio = "1"
        lines.append(
            f"| {m.stage.name} | {m.stage.patients:,} | {m.wall:.1f} | {m.cpu:.1f} "
            f"| {m.per_second:,.0f} | {ratio} | {m.peak_bytes / 1e6:,.0f} |"
        )
    return "\n".join(lines)


def machine() -> str:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        total = meminfo.read_text().splitlines()[0].split()[1]
        memory = f", {int(total) / 1e6:.1f} GB RAM"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{platform.system()} {platform.machine()}, {cores} cores ({model or 'unknown CPU'})"
        f"{memory}, Python {platform.python_version()}, load average at start {load:.1f}"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--reference-size", type=int, default=1000)
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--keep", type=Path, default=None, help="keep the files in this folder")
    args = parser.parse_args(argv)
    sizes = sorted({int(s) for s in args.sizes.split(",")})
    reference_size = None if args.skip_reference else args.reference_size
    wanted = set(sizes) | ({reference_size} if reference_size else set())
    with tempfile.TemporaryDirectory(prefix="pedall-benchmark-") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        files = {}
        for size in sorted(wanted):
            print(f"generating {size:,} patients (seed {args.seed})", file=sys.stderr)
            files[size] = write_cohort_file(folder / f"cohort-{size}.csv", size, args.seed)
        header = machine()
        reference = (reference_size, files[reference_size]) if reference_size else None
        measurements = []
        for stage in stages({size: files[size] for size in sizes}, folder, reference):
            print(f"running: {stage.name}", file=sys.stderr)
            measurements.append(measure(stage))
        print(f"Machine: {header}\n")
        print(markdown_table(measurements))
        if reference_size in sizes:
            same = (folder / "reference.json").read_bytes() == (
                folder / f"fast-{reference_size}.json"
            ).read_bytes()
            verdict = "identical" if same else "DIFFERENT"
            print(f"\nReference and fast engine JSON on the {reference_size:,}: {verdict}.")


if __name__ == "__main__":
    main()
