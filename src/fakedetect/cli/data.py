"""``fakedetect validate``: check a dataset folder against the data contract."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fakedetect.cli._common import (
    ConfigOpt,
    DataOpt,
    JsonOpt,
    LenientOpt,
    app,
    dataset,
    echo,
    load,
    print_json,
)


@app.command()
def validate(
    directory: Annotated[Path | None, typer.Argument(
        metavar="DATA", help="Dataset folder (accounts.csv, ...).", show_default=False)
    ] = None,
    data: DataOpt = None,
    lenient: LenientOpt = False,
    rejects: Annotated[
        Path | None,
        typer.Option("--out", "-o", "--rejects",
                     help="Where --lenient writes what it dropped: .csv, .parquet or "
                          ".jsonl (default: OUTPUT/rejects.csv, OUTPUT from the "
                          "configuration)."),
    ] = None,
    json_: JsonOpt = False,
    config: ConfigOpt = None,
) -> int:
    """Check DATA against the data contract; exit 0 when valid, 2 when not.

    Every problem is reported at once, grouped by table, rule and column, with the
    file, the line (the row in Parquet) and the column of the first few of each group.
    With --lenient the accounts that have a problem are dropped and listed, with the
    reason, in the rejects file (written even when empty), and the exit code is 0 as
    long as one valid account is left.
    """
    from fakedetect.coverage import coverage, print_coverage
    from fakedetect.io import check_output_file
    from fakedetect.validate import format_problems, load_dataset

    directory = dataset(directory, data, command="validate")
    cfg = load(config)
    dest = rejects if rejects is not None else cfg.output_dir / "rejects.csv"
    if lenient:
        check_output_file(dest, (".csv", ".parquet", ".jsonl"))  # before any work
    loaded = load_dataset(directory, lenient=lenient)
    rows = {name: len(frame) for name, frame in loaded.tables.items()}
    counts = ", ".join(f"{name} {n:,}" for name, n in rows.items())
    if not lenient:
        if json_:
            print_json({"data": str(directory), "valid": True, "rows": rows,
                        "coverage": coverage(loaded)})
        else:
            echo(f"{directory}: valid ({counts} rows)")
            print_coverage(loaded, echo)
        return 0
    from fakedetect.io import write_table

    write_table(loaded.rejects, dest)
    if loaded.problems:
        echo(f"warning: {format_problems(directory, loaded.problems)}", err=True)
    table = loaded.rejects
    accounts = int((table["dropped"] == "account").sum())
    tables = int((table["dropped"] == "table").sum())
    if json_:
        print_json({"data": str(directory), "valid": not len(table), "rows": rows,
                    "kept_accounts": len(loaded.accounts), "dropped_accounts": accounts,
                    "dropped_tables": tables, "rejects": str(dest),
                    "coverage": coverage(loaded)})
        return 0
    echo(f"{directory}: kept {len(loaded.accounts):,} account(s), dropped {accounts:,} "
         f"account(s) and {tables:,} table(s); rejects written to {dest}")
    echo(f"kept rows: {counts}")
    print_coverage(loaded, echo)
    return 0
