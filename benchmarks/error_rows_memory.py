"""Peak memory of ``pedall classify`` when every row has an error, beside valid rows
(``python -m benchmarks.error_rows_memory --rows 1000000``).

Issue 9 measured 1,000,000 rows with decimal commas at 7.6 GB (valid rows: 220 MB): every
row's located error was kept, and written at the end. Now the first ``max_issues``
(1,000) errors are listed and the others counted (``errors_not_shown``), so errors should
cost about what valid rows do. One run generates the synthetic cohort
(``pedall.testing.cohort``, seed 2017) twice: as generated, and with every age written with a
decimal comma (``"5,5"``, an error on each row); then runs
``pedall classify FILE --format json -o OUT`` on each, in its own process, and prints the
wall time, CPU time and peak memory of the process tree (sampled from /proc every 50 ms,
as ``benchmarks.run`` does), with how many errors the output lists and counts.
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
from collections.abc import Sequence
from pathlib import Path

from benchmarks.run import JSON_TO, PEDALL, Measurement, Stage, machine, measure
from pedall.testing.cohort import COLUMNS, patient_rows, write_cohort_file


def write_decimal_comma_cohort(path: Path, rows: int, seed: int = 2017) -> Path:
    """The synthetic cohort with every ``age_years`` written with a decimal comma."""
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in patient_rows(rows, seed):
            whole, _, fraction = (row["age_years"] or "5").partition(".")
            writer.writerow({**row, "age_years": f"{whole},{fraction or '0'}"})
    return path


def errors_listed(output: Path) -> tuple[int, int]:
    """How many errors the JSON output lists, and how many it counts as not shown."""
    with output.open(encoding="utf-8") as document:
        results = json.load(document)
    return len(results["errors"]), int(results.get("errors_not_shown", 0))


def markdown_table(rows: Sequence[tuple[str, Measurement, tuple[int, int]]]) -> str:
    lines = [
        "| input | rows | wall (s) | CPU (s) | peak memory, process tree (MB) "
        "| errors listed | errors not shown |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, measured, (listed, hidden) in rows:
        lines.append(
            f"| {name} | {measured.stage.patients:,} | {measured.wall:.1f} | {measured.cpu:.1f} "
            f"| {measured.peak_bytes / 1e6:,.0f} | {listed:,} | {hidden:,} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--keep", type=Path, default=None, help="keep the files in this folder")
    options = parser.parse_args(argv)
    folder = options.keep or Path(tempfile.mkdtemp(prefix="pedall-error-rows-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(machine())
    inputs = {
        "valid rows": write_cohort_file(folder / "valid.csv", options.rows, options.seed),
        "every row an error (decimal comma)": write_decimal_comma_cohort(
            folder / "decimal-commas.csv", options.rows, options.seed
        ),
    }
    measured = []
    for number, (name, path) in enumerate(inputs.items()):
        output = folder / f"out-{number}.json"
        stage = Stage(name, "fast", options.rows, [*PEDALL, "classify", str(path), *JSON_TO])
        stage.command.append(str(output))
        measured.append((name, measure(stage), errors_listed(output)))
    print(markdown_table(measured))


if __name__ == "__main__":
    main()
