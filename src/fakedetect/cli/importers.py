"""``fakedetect import``: turn a public labelled set or a user's CSV into a dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fakedetect.cli._common import (
    ConfigOpt,
    JsonOpt,
    app,
    echo,
    load,
    print_json,
    refuse_file_name,
)


@app.command("import")
def import_cmd(
    fmt: Annotated[
        str,
        typer.Argument(
            metavar="FORMAT", help="Source format: instafake, purba, instaloader or csv."
        ),
    ],
    src: Annotated[Path, typer.Argument(metavar="SRC", help="File or folder to read.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Dataset folder to write.")],
    out_format: Annotated[
        str, typer.Option("--format", help="File format of the tables: csv, parquet or jsonl.")
    ] = "csv",
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Replace the tables in --out even if no earlier import wrote them."
        ),
    ] = False,
    part: Annotated[
        str | None,
        typer.Option(help="instafake: which files, profiles, posts or all (default: all present)."),
    ] = None,
    table: Annotated[
        str | None,
        typer.Option(help="csv: the table the rows belong to: accounts (default), "
                          "snapshots, posts, comments or audience."),
    ] = None,
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="csv: contract column = CSV column, e.g. "
            "followers=Number.of.followers,following=Following (repeatable); bio=, "
            "username= and caption= give bio_length, username_length/digits and "
            "caption_length/hashtags.",
        ),
    ] = None,
    label: Annotated[
        str | None, typer.Option(help="csv: the label column, COLUMN or is_fake=COLUMN.")
    ] = None,
    label_values: Annotated[
        str | None,
        typer.Option(
            "--label-values",
            help="csv: what label cells mean, e.g. yes=1,no=0,bot=spammer (0, 1 or a fraud type).",
        ),
    ] = None,
    id_prefix: Annotated[
        str | None,
        typer.Option(
            "--id-prefix", help="csv: prefix of generated account ids (default: file name)."
        ),
    ] = None,
    sep: Annotated[
        str | None, typer.Option(help="csv: field separator (default: detected).")
    ] = None,
    date_format: Annotated[
        str | None,
        typer.Option("--date-format",
                     help="csv: how dates are written, e.g. %m/%d/%Y or %d/%m/%Y "
                          "(default: YYYY-MM-DD)."),
    ] = None,
    json_: JsonOpt = False,
    config: ConfigOpt = None,
) -> int:
    """Import FORMAT data from SRC into a dataset folder that passes `fakedetect validate`.

    Examples: `fakedetect import instafake ../shared/data/instafake --out data/instafake`;
    `fakedetect import csv mine.csv --out data/mine --map followers=Followers
    --label Fake --label-values yes=1,no=0`.
    """
    from fakedetect.importers import run_import
    from fakedetect.io import check_output_folder

    load(config)  # a wrong --config fails before any work
    refuse_file_name(out, writes="a dataset folder")
    check_output_folder(out)  # before any work
    summary = run_import(
        fmt,
        src,
        out,
        out_format=out_format,
        force=force,
        part=part,
        table=table,
        mapping=mapping or None,
        label=label,
        label_values=label_values,
        id_prefix=id_prefix,
        sep=sep,
        date_format=date_format,
    )
    if json_:
        print_json({"format": summary.fmt, "source": str(summary.source),
                    "out": str(summary.out),
                    "files": {k: str(v) for k, v in summary.files.items()},
                    "rows": summary.rows, "fake": summary.n_fake,
                    "genuine": summary.n_genuine, "fraud_types": summary.fraud_types,
                    "duplicates_dropped": summary.duplicates_dropped,
                    "notes": list(summary.notes), "warnings": list(summary.warnings)})
        return 0
    for line in summary.lines():
        echo(line)
    for line in summary.warnings:
        echo(f"warning: {line}", err=True)
    return 0
