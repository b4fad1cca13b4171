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
        typer.Option(help="Where --lenient writes the dropped accounts "
                          "(default: OUTPUT/rejects.csv from the configuration)."),
    ] = None,
    config: ConfigOpt = None,
) -> int:
    """Check DIRECTORY against the data contract; exit 0 when valid, 2 when not."""
    from fakedetect.validate import load_dataset

    cfg = load(config)
    dataset = load_dataset(directory, lenient=lenient)
    counts = ", ".join(f"{name} {len(frame):,}" for name, frame in dataset.tables.items())
    if lenient and len(dataset.rejects):
        from fakedetect.io import write_table

        dest = rejects or cfg.output_dir / "rejects.csv"
        write_table(dataset.rejects, dest)
        n_acc = dataset.rejects["account_id"].notna().sum()
        echo(f"{directory}: kept {len(dataset.accounts):,} account(s); "
             f"{len(dataset.rejects):,} reject(s) ({n_acc:,} naming an account) "
             f"written to {dest}")
        echo(f"rows: {counts}")
        return 0
    echo(f"{directory}: valid ({counts})")
    return 0
