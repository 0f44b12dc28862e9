"""Benchmark the same cohort through ``pedall classify`` and through Spark local[2]
(``python -m benchmarks.spark_vs_cli --patients 1000000``).

One run generates N synthetic patients (``pedall.testing.cohort``) as CSV, the CLI's input,
and converts it once, before any timing, to Parquet (every column as text, row groups of
N/8 rows so that Spark splits it over both cores), the natural input of a Spark job. Then,
each in its own subprocess, timed by ``benchmarks.run.measure`` (wall time, the peak
resident memory of the whole process tree, sampled from /proc every 50 ms, so the JVM and
the Python workers are counted together, and CPU time for the CLI only: ``getrusage``
misses the JVM and its workers, which the measured process does not wait for):

- the CLI: ``pedall classify cohort.csv --format json -o cli.json``;
- Spark: a local[2] session (its start-up reported separately), ``pedall.spark.classify``
  on the Parquet table, the results written to Parquet (nothing collected to the driver).

Both must give one result per patient (the CLI: its results plus the patients with
errors) and the same count of patients per risk group; a markdown table goes to stdout.
Options: ``--patients``, ``--seed``, ``--keep DIR``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from benchmarks.run import PEDALL, Measurement, Stage, machine, measure
from pedall.testing.cohort import write_cohort_file

SPARK_JOB = [sys.executable, "-m", "benchmarks.spark_vs_cli", "--spark-job"]


def write_parquet(csv_path: Path, parquet_path: Path, patients: int) -> Path:
    """The CSV table as Parquet, every column text (the cells as written)."""
    import pyarrow.csv as pv
    import pyarrow.parquet as pq

    header = csv_path.open(encoding="utf-8").readline().strip().split(",")
    options = pv.ConvertOptions(
        column_types={name: "string" for name in header}, strings_can_be_null=False
    )
    table = pv.read_csv(csv_path, convert_options=options)
    pq.write_table(table, parquet_path, row_group_size=max(1, patients // 8))
    return parquet_path


def spark_job(source: Path, target: Path, timings: Path) -> None:
    """The Spark stage (run in its own process): start a local[2] session, classify, write."""
    started = time.perf_counter()
    from pyspark.sql import SparkSession

    from pedall import spark as pedall_spark

    os.environ["PYSPARK_PYTHON"] = sys.executable  # the workers need pedall
    session = (
        SparkSession.builder.master("local[2]")
        .appName("pedall-benchmark")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    session_start = time.perf_counter() - started
    pedall_spark.classify(session.read.parquet(str(source))).write.mode("overwrite").parquet(
        str(target)
    )
    job = time.perf_counter() - started - session_start
    session.stop()
    timings.write_text(json.dumps({"session_start": session_start, "job": job}))


def cli_groups(path: Path) -> tuple[int, Counter[str]]:
    """Result rows (classified patients plus patients with errors) and patients per group."""
    document = json.loads(path.read_text(encoding="utf-8"))
    results = document["results"]
    errored = {(e.get("line"), e.get("patient_id")) for e in document.get("errors", [])}
    groups = Counter(str(r["risk_group"]) for r in results if r.get("risk_group") is not None)
    return len(results) + len(errored), groups


def spark_groups(path: Path) -> tuple[int, Counter[str]]:
    """Result rows and patients per risk group of the Spark output (pyarrow, one column)."""
    import pyarrow.parquet as pq

    column = pq.read_table(path, columns=["risk_group"]).column("risk_group").to_pylist()
    return len(column), Counter(str(g) for g in column if g is not None)


def markdown_table(rows: Sequence[tuple[str, Measurement]]) -> str:
    lines = [
        "| stage | patients | wall (s) | of which Spark session start (s) | CPU (s) "
        "| patients/s | peak memory, process tree (MB) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for start, m in rows:
        # getrusage counts the processes that were waited for: the JVM and its Python
        # workers are not, so Spark's CPU time would be mostly missing.
        cpu = f"{m.cpu:.1f}" if m.stage.engine == "cli" else "n/a"
        lines.append(
            f"| {m.stage.name} | {m.stage.patients:,} | {m.wall:.1f} | {start} | {cpu} "
            f"| {m.per_second:,.0f} | {m.peak_bytes / 1e6:,.0f} |"
        )
    return "\n".join(lines)


def compare(folder: Path, patients: int, timings: dict[str, float]) -> None:
    cli_rows, cli = cli_groups(folder / "cli.json")
    spark_rows, spark = spark_groups(folder / "spark-results.parquet")
    print(f"\nResult rows: CLI {cli_rows:,}, Spark {spark_rows:,} (patients {patients:,}).")
    print(f"Spark job after the session started: {timings['job']:.1f} s.")
    for group in sorted(set(cli) | set(spark)):
        print(f"- {group}: CLI {cli[group]:,}, Spark {spark[group]:,}")
    same = cli_rows == spark_rows == patients and cli == spark
    print(f"\nSame rows and same patients per risk group: {'yes' if same else 'NO'}.")
    if not same:
        raise SystemExit(1)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--keep", type=Path, default=None, help="keep the files in this folder")
    parser.add_argument("--spark-job", nargs=3, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.spark_job:
        spark_job(*args.spark_job)
        return
    with tempfile.TemporaryDirectory(prefix="pedall-spark-benchmark-") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        n = args.patients
        print(f"generating {n:,} patients (seed {args.seed})", file=sys.stderr)
        csv_path = write_cohort_file(folder / "cohort.csv", n, args.seed)
        parquet_path = write_parquet(csv_path, folder / "cohort.parquet", n)
        header = machine()
        cli_stage = Stage(
            "pedall classify (CSV in, JSON out)",
            "cli",
            n,
            [
                *PEDALL,
                "classify",
                str(csv_path),
                "--format",
                "json",
                "-o",
                str(folder / "cli.json"),
            ],
        )
        timings_path = folder / "spark-timings.json"
        spark_stage = Stage(
            "Spark local[2] (Parquet in, Parquet out)",
            "spark",
            n,
            [
                *SPARK_JOB,
                str(parquet_path),
                str(folder / "spark-results.parquet"),
                str(timings_path),
            ],
        )
        print("running: CLI", file=sys.stderr)
        cli_run = measure(cli_stage)
        print("running: Spark", file=sys.stderr)
        spark_run = measure(spark_stage)
        timings = json.loads(timings_path.read_text())
        print(f"Machine: {header}\n")
        print(markdown_table([("-", cli_run), (f"{timings['session_start']:.1f}", spark_run)]))
        compare(folder, n, timings)


if __name__ == "__main__":
    main()
