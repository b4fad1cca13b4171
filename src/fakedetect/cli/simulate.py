"""``fakedetect simulate``: write a simulated dataset of influencer histories."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fakedetect.cli._common import ConfigOpt, JsonOpt, app, echo, load, print_json


@app.command()
def simulate(
    accounts: Annotated[int, typer.Option("--accounts", help="Influencers to simulate.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output dataset folder.",
                                      file_okay=False)],
    days: Annotated[int, typer.Option("--days", help="Days of history per account.")] = 180,
    seed: Annotated[int, typer.Option("--seed", help="Random seed; the same seed gives "
                                                     "byte-identical files.")] = 0,
    fraud_rate: Annotated[float, typer.Option("--fraud-rate",
                                              help="Share of fraudulent accounts.")] = 0.3,
    difficulty: Annotated[str, typer.Option(
        "--difficulty", help="Overlap of fraud and genuine behaviour: easy, realistic "
                             "or hard.")] = "realistic",
    fmt: Annotated[str, typer.Option("--format", help="parquet, csv or jsonl.")] = "parquet",
    label_noise: Annotated[float, typer.Option(
        "--label-noise", help="Share of labels flipped (0 to 0.5).")] = 0.0,
    end_date: Annotated[str, typer.Option(
        "--end-date", help="Last simulated day, YYYY-MM-DD (fixed by default so output "
                           "is reproducible).")] = "2026-10-31",
    worlds: Annotated[int, typer.Option(
        "--worlds", help="Training worlds w00.. (population parameters drawn from "
                         "documented ranges; w00 has the defaults).")] = 1,
    heldout_worlds: Annotated[int, typer.Option(
        "--heldout-worlds", help="Held-out worlds h00.., drawn from wider ranges.")] = 0,
    coverage: Annotated[str, typer.Option(
        "--coverage", help="partial (some accounts lack snapshot days, comments, "
                           "audience or like counts) or full.")] = "partial",
    profiles: Annotated[Path | None, typer.Option(
        "--profiles", help="Labelled profile dataset (accounts + labels, e.g. from "
                           "fakedetect import) feeding the follower pools instead of "
                           "the fitted ones.", file_okay=False, exists=True)] = None,
    profiles_fold: Annotated[str | None, typer.Option(
        "--profiles-fold", help="I/K: only the --profiles rows in cross-fitting fold I of "
                                "K (a stable hash of account_id), e.g. 0/2.")] = None,
    progress: Annotated[bool | None, typer.Option(
        "--progress/--no-progress",
        help="Progress bar (default: on a terminal, once the work lasts a few "
             "seconds).")] = None,
    json_: JsonOpt = False,
    config: ConfigOpt = None,
) -> int:
    """Simulate genuine and fraudulent influencer histories into OUT (passes validate)."""
    from fakedetect.errors import UserError
    from fakedetect.io import check_output_folder
    from fakedetect.progress import ProgressBar
    from fakedetect.simulate import simulate as run

    load(config)  # a wrong --config fails before any work
    check_output_folder(out)

    fold = None
    if profiles_fold is not None:
        try:
            i, k = (int(v) for v in profiles_fold.split("/"))
        except ValueError as exc:
            raise UserError(f"--profiles-fold {profiles_fold!r} is not I/K",
                            hint="e.g. --profiles-fold 0/2") from exc
        fold = (i, k)
    with ProgressBar("simulating", unit="blocks of 1,000 accounts",
                     enabled=progress) as bar:
        summary = run(out, accounts=accounts, days=days, seed=seed, fraud_rate=fraud_rate,
                      difficulty=difficulty, fmt=fmt, label_noise=label_noise,
                      end_date=end_date, progress=bar, worlds=worlds,
                      heldout_worlds=heldout_worlds, coverage=coverage, profiles=profiles,
                      profiles_fold=fold)
    if json_:
        print_json({"out": str(summary.out), "accounts": summary.accounts,
                    "days": summary.days, "fake_accounts": summary.fake_accounts,
                    "rows": summary.rows, "seconds": round(summary.seconds, 2)})
        return 0
    rows = ", ".join(f"{name} {count:,}" for name, count in summary.rows.items())
    echo(f"{summary.out}: {summary.accounts:,} accounts x {summary.days} days "
         f"({summary.fake_accounts:,} labelled fake) in {summary.seconds:.1f} s")
    echo(f"rows: {rows}")
    return 0
