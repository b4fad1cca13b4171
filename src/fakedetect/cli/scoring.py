"""``fakedetect predict | explain | report``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from fakedetect.cli._common import ConfigOpt, FailOnDriftOpt, LenientOpt, app, echo, load
from fakedetect.cli.scale import EngineOpt, SchedulerOpt, progress_line

ModelOpt = Annotated[str | None, typer.Option(
    "--model", help="models:/NAME@ALIAS, models:/NAME/VERSION or an exported folder "
                    "(default: the task's champion).")]
TaskOpt = Annotated[str, typer.Option("--task", help="account or influencer.")]


@app.command()
def predict(
    data: Annotated[str, typer.Argument(
        help="Dataset folder, or - to read one account as JSON on stdin.")],
    out: Annotated[Path | None, typer.Option(
        help="Scores file: .csv, .parquet or .jsonl (required unless DATA is -, whose "
             "score is printed as JSON without it).")] = None,
    model: ModelOpt = None,
    task: TaskOpt = "influencer",
    top_reasons: Annotated[int, typer.Option(help="Plain-word reasons per account.")] = 3,
    lenient: LenientOpt = False,
    engine: EngineOpt = "local",
    scheduler: SchedulerOpt = None,
    fail_on_drift: FailOnDriftOpt = False,
    config: ConfigOpt = None,
) -> int:
    """Score every account: authenticity 0-100, verdict, audience share, top reasons."""
    import json
    import sys
    import time

    from fakedetect.drift import DRIFT_EXIT
    from fakedetect.errors import UserError
    from fakedetect.model import TABULATED_SHAP_ROWS
    from fakedetect.predict import dataset_from_json, load_models, score_dataset, write_scores
    from fakedetect.scale.engine import use_dask
    from fakedetect.validate import load_dataset

    cfg = load(config)
    if out is not None:
        from fakedetect.io import check_output_file

        check_output_file(out, (".csv", ".parquet", ".jsonl"))  # before any work
    started = time.perf_counter()
    if use_dask(engine, scheduler):
        from fakedetect.scale.dask_predict import run_predict

        if data == "-" or out is None:
            raise UserError("predict --engine dask needs a partitioned dataset folder and "
                            "--out FILE", hint="score one account from stdin without "
                                               "--engine dask")
        fm, scores, drift = run_predict(cfg, data, model, task, top_reasons=top_reasons,
                                        lenient=lenient, scheduler=scheduler,
                                        progress=progress_line("predict"))
        for note in drift.warnings if drift is not None else []:
            echo(f"note: {note}", err=True)
        write_scores(scores, out)
        echo(f"scored {len(scores):,} account(s) with {fm.name} v{fm.version} on Dask in "
             f"{time.perf_counter() - started:.1f} s")
        echo(f"written: {out}")
        return DRIFT_EXIT if fail_on_drift and drift is not None and drift.fired else 0
    stage = _stages(quiet=data == "-")
    if data == "-":
        binary = getattr(sys.stdin, "buffer", None)
        if binary is None:  # a text stream given in place of the terminal's
            text = sys.stdin.read()
        else:
            try:
                text = binary.read().decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise UserError(f"<stdin>: not UTF-8 text (byte {exc.start + 1})",
                                hint="send the account as UTF-8 JSON") from None
        dataset = dataset_from_json(text)
    else:
        if out is None:
            raise UserError("predict needs --out FILE (.csv, .parquet or .jsonl)")
        stage("loading and validating")
        dataset = load_dataset(data, lenient=lenient)
        from fakedetect.coverage import print_coverage

        print_coverage(dataset, echo, err=True)
    stage("loading the model")
    fm, scorer = load_models(cfg, model, task)
    if len(dataset.accounts) < TABULATED_SHAP_ROWS:
        # LightGBM scores small inputs: building its booster before the features start
        # is about 0.15 s faster for one account than building it after them
        fm.booster  # noqa: B018
    scored = score_dataset(dataset, fm, top_reasons=top_reasons, account_scorer=scorer,
                           on_stage=stage)
    for note in scored.notes:
        echo(f"note: {note}", err=True)
    scores = scored.scores
    if data == "-" and out is None:
        row = scores.iloc[0].to_dict()
        clean = {k: (None if (isinstance(v, float) and v != v) else
                     (v.item() if hasattr(v, "item") else v)) for k, v in row.items()}
        echo(json.dumps(clean, default=str, indent=2))
        return DRIFT_EXIT if fail_on_drift and scored.drifted else 0
    assert out is not None
    stage("writing")
    write_scores(scores, out)
    if lenient:
        from fakedetect.io import write_table

        rejects = out.with_name(f"{out.stem}.rejects.csv")
        write_table(dataset.rejects, rejects)
        echo(f"rejects: {rejects} ({len(dataset.rejects):,} problem(s))")
    counts = scores["verdict"].replace("", "not scored").value_counts().to_dict()
    shown = ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items()))
    echo(f"scored {len(scores):,} account(s) with {fm.name} v{fm.version} in "
         f"{time.perf_counter() - started:.1f} s: {shown}")
    echo(f"written: {out}")
    return DRIFT_EXIT if fail_on_drift and scored.drifted else 0


def _stages(*, quiet: bool) -> Callable[[str], None]:
    """Progress for long runs: each stage with the time since start, on stderr."""
    import sys
    import time

    t0 = time.perf_counter()
    show = not quiet and sys.stderr.isatty()

    def stage(name: str) -> None:
        if show:
            echo(f"  [{time.perf_counter() - t0:6.1f} s] {name} ...", err=True)

    return stage


@app.command()
def explain(
    account_id: Annotated[str, typer.Argument(help="The account to explain.")],
    data: Annotated[Path, typer.Option(help="Dataset folder holding the account.")],
    html: Annotated[Path | None, typer.Option(
        help="Also write a self-contained HTML page here.")] = None,
    model: ModelOpt = None,
    task: TaskOpt = "influencer",
    top_reasons: Annotated[int, typer.Option(help="Reasons to show.")] = 8,
    lenient: LenientOpt = False,
    config: ConfigOpt = None,
) -> int:
    """Show one account's score and the reasons behind it (terminal, or an HTML page)."""
    from rich.console import Console
    from rich.table import Table

    from fakedetect.errors import UserError
    from fakedetect.predict import load_models, score_dataset
    from fakedetect.validate import load_dataset

    cfg = load(config)
    if html is not None:
        from fakedetect.io import check_output_file

        check_output_file(html, (".html", ".htm"))  # before any work
    dataset = load_dataset(data, lenient=lenient)
    ids = set(dataset.accounts["account_id"].astype(str))
    if account_id not in ids:
        raise UserError(f"{data}: no account {account_id!r} in the accounts table",
                        hint="check the id (ids are case-sensitive)")
    fm, scorer = load_models(cfg, model, task)
    scored = score_dataset(dataset, fm, top_reasons=3, account_scorer=scorer,
                           all_reasons=True)
    row = scored.scores.set_index("account_id").loc[account_id]
    console = Console()
    if row["status"] != "scored":
        console.print(f"[bold]{account_id}[/bold]: not scored: {row['status_reason']}")
        return 0
    colour = {"authentic": "green", "review": "yellow", "likely fake": "red"}[row["verdict"]]
    console.print(f"[bold]{account_id}[/bold]  authenticity [bold]"
                  f"{row['authenticity_score']:.0f}[/bold]/100  "
                  f"fake probability {row['fake_probability']:.3f} "
                  f"({row['fake_probability_low']:.3f}–{row['fake_probability_high']:.3f})  "
                  f"verdict [{colour} bold]{row['verdict']}[/]")
    if row["audience_sample_size"]:
        from fakedetect.features.audience import METHOD_TEXT, bound_note

        method = str(row["audience_method"])
        console.print(f"estimated fake followers {100 * row['fake_follower_share']:.0f}% "
                      f"(95% interval {100 * row['fake_follower_share_low']:.0f}–"
                      f"{100 * row['fake_follower_share_high']:.0f}%, sample "
                      f"{row['audience_sample_size']}; {METHOD_TEXT.get(method, method)})")
        note = bound_note(float(row["fake_follower_share"]), method)
        if note:
            console.print(note)
    table = Table(title=f"Top reasons ({fm.name} v{fm.version}; log-odds toward fake)")
    table.add_column("#", justify="right")
    table.add_column("reason")
    table.add_column("contribution", justify="right")
    mine = scored.reasons[scored.reasons["account_id"] == account_id]
    for r in mine[mine["rank"] <= top_reasons].itertuples():
        sign = "red" if r.contribution > 0 else "green"
        table.add_row(str(r.rank), r.sentence, f"[{sign}]{r.contribution:+.3f}[/]")
    console.print(table)
    console.print(f"coverage: {row['coverage']}")
    if row.get("outside_training"):
        console.print(f"[yellow]outside what the model has seen:[/] {row['outside_training']}")
    if html is not None:
        from fakedetect.io import write_text
        from fakedetect.report import render_account_page

        page = render_account_page(account_id, scores=scored.scores, reasons=scored.reasons,
                                   dataset=dataset, model=_model_info(fm))
        write_text(html, page)
        echo(f"written: {html}")
    return 0


@app.command()
def report(
    data: Annotated[Path, typer.Argument(help="Dataset folder to score and review.")],
    out: Annotated[Path | None, typer.Option(
        help="Report folder (default: the configuration's report folder).")] = None,
    model: ModelOpt = None,
    task: TaskOpt = "influencer",
    max_pages: Annotated[int | None, typer.Option(
        help="Write account pages for the riskiest N accounts only (default: all; 1000 "
             "with --engine dask).")
    ] = None,
    lenient: LenientOpt = False,
    engine: EngineOpt = "local",
    scheduler: SchedulerOpt = None,
    fail_on_drift: FailOnDriftOpt = False,
    config: ConfigOpt = None,
) -> int:
    """Write the review report: a ranked index page and one page per account."""
    from fakedetect.drift import DRIFT_EXIT
    from fakedetect.predict import load_models, score_dataset
    from fakedetect.report import write_report
    from fakedetect.scale.engine import use_dask
    from fakedetect.validate import load_dataset

    cfg = load(config)
    from fakedetect.report.pages import check_report_folder

    check_report_folder(Path(out or cfg.report_dir))  # before any work
    if use_dask(engine, scheduler):
        from fakedetect.scale.dask_predict import run_report

        index, pages, drift = run_report(cfg, data, out or cfg.report_dir, model, task,
                                         model_info=_model_info, max_pages=max_pages,
                                         lenient=lenient, scheduler=scheduler,
                                         progress=progress_line("report"))
        for note in drift.warnings if drift is not None else []:
            echo(f"note: {note}", err=True)
        echo(f"review report: {index} ({pages:,} account page(s))")
        return DRIFT_EXIT if fail_on_drift and drift is not None and drift.fired else 0
    dataset = load_dataset(data, lenient=lenient)
    fm, scorer = load_models(cfg, model, task)
    scored = score_dataset(dataset, fm, top_reasons=3, account_scorer=scorer,
                           all_reasons=True)
    for note in scored.notes:
        echo(f"note: {note}", err=True)
    dest = out or cfg.report_dir
    index = write_report(dest, scores=scored.scores, reasons=scored.reasons,
                         dataset=dataset, model={**_model_info(fm), "warnings": scored.notes},
                         max_pages=max_pages)
    echo(f"review report: {index}")
    return DRIFT_EXIT if fail_on_drift and scored.drifted else 0


def _model_info(fm: object) -> dict[str, object]:
    meta = getattr(fm, "metadata", {})
    return {
        "name": fm.name,  # type: ignore[attr-defined]
        "version": fm.version,  # type: ignore[attr-defined]
        "uri": meta.get("model_uri", ""),
        "threshold_review": fm.threshold_review,  # type: ignore[attr-defined]
        "threshold_fake": fm.threshold_fake,  # type: ignore[attr-defined]
        "trained_at": meta.get("trained_at", ""),
        "metrics": meta.get("metrics", {}),
    }
