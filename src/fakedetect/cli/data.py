"""``fakedetect validate``: check a dataset folder against the data contract."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fakedetect.cli._common import ConfigOpt, LenientOpt, app, echo, load


@app.command()
def validate(
    directory: Annotated[Path, typer.Argument(help="Dataset folder (accounts.csv, ...).")],
    lenient: LenientOpt = False,
    rejects: Annotated[
        Path | None,
        typer.Option(help="Where --lenient writes what it dropped (default: "
                          "OUTPUT/rejects.csv, OUTPUT from the configuration)."),
    ] = None,
    config: ConfigOpt = None,
) -> int:
    """Check DIRECTORY against the data contract; exit 0 when valid, 2 when not.

    Every problem is reported at once, grouped by table, rule and column, with the
    file, the line (the row in Parquet) and the column of the first few of each group.
    With --lenient the accounts that have a problem are dropped and listed, with the
    reason, in the rejects file (written even when empty), and the exit code is 0 as
    long as one valid account is left.
    """
    from fakedetect.coverage import print_coverage
    from fakedetect.validate import format_problems, load_dataset

    dataset = load_dataset(directory, lenient=lenient)
    counts = ", ".join(f"{name} {len(frame):,}" for name, frame in dataset.tables.items())
    if not lenient:
        echo(f"{directory}: valid ({counts} rows)")
        print_coverage(dataset, echo)
        return 0
    from fakedetect.io import write_table

    dest = rejects if rejects is not None else load(config).output_dir / "rejects.csv"
    write_table(dataset.rejects, dest)
    if dataset.problems:
        echo(f"warning: {format_problems(directory, dataset.problems)}", err=True)
    table = dataset.rejects
    accounts = int((table["dropped"] == "account").sum())
    tables = int((table["dropped"] == "table").sum())
    echo(f"{directory}: kept {len(dataset.accounts):,} account(s), dropped {accounts:,} "
         f"account(s) and {tables:,} table(s); rejects written to {dest}")
    echo(f"kept rows: {counts}")
    print_coverage(dataset, echo)
    return 0
