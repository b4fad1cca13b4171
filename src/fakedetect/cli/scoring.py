"""``fakedetect predict | explain | report``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fakedetect.cli._common import (
    ConfigOpt,
    DataOpt,
    FailOnDriftOpt,
    JsonOpt,
    LenientOpt,
    NJobsOpt,
    app,
    dataset,
    echo,
    load,
    print_json,
    refuse_file_name,
)
from fakedetect.cli.scale import EngineOpt, SchedulerOpt, progress_line

ModelOpt = Annotated[str | None, typer.Option(
    "--model", help="models:/NAME@ALIAS, models:/NAME/VERSION or an exported folder "
                    "(default: the task's champion).")]
TaskOpt = Annotated[str, typer.Option("--task", help="account or influencer.")]


@app.command()
def predict(
    data: Annotated[str | None, typer.Argument(
        metavar="DATA", help="Dataset folder, or - to read accounts as JSON on stdin.",
        show_default=False)] = None,
    data_opt: Annotated[str | None, typer.Option(
        "--data", help="The dataset folder (same as the positional DATA).",
        show_default=False)] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Scores file: .csv, .parquet or .jsonl (required unless DATA "
                            "is -, whose score is printed as JSON without it).")] = None,
    model: ModelOpt = None,
    task: TaskOpt = "influencer",
    top_reasons: Annotated[int, typer.Option(help="Plain-word reasons per account.")] = 3,
    lenient: LenientOpt = False,
    engine: EngineOpt = "local",
    scheduler: SchedulerOpt = None,
    fail_on_drift: FailOnDriftOpt = False,
    n_jobs: NJobsOpt = None,
    json_: JsonOpt = False,
    config: ConfigOpt = None,
) -> int:
    """Score every account: authenticity 0-100, verdict, audience share, top reasons.

    DATA - reads accounts as JSON on stdin, in the served model's shape (an object of
    account columns with the history under "history", a list of them, or
    {"dataframe_records": [...]}) or as {"account": {...}, "snapshots": [...], ...},
    and prints the score as JSON (a list for several accounts).
    """
    import time

    from fakedetect.drift import DRIFT_EXIT
    from fakedetect.errors import UserError
    from fakedetect.predict import write_scores
    from fakedetect.progress import ProgressBar
    from fakedetect.scale.engine import use_dask

    data = str(dataset(Path(data) if data is not None else None,
                       Path(data_opt) if data_opt is not None else None, command="predict"))
    if out is not None:
        from fakedetect.io import check_output_file

        check_output_file(out, (".csv", ".parquet", ".jsonl"))  # before any work
    elif data != "-":
        raise UserError("predict needs --out FILE (.csv, .parquet or .jsonl)",
                        hint=f"fakedetect predict {data} -o scores.csv")
    cfg = load(config)
    on_dask = use_dask(engine, scheduler)
    if data != "-":  # a request on stdin is read first: its errors need no model
        _check_model(cfg, model, task)  # before any data is read
    started = time.perf_counter()
    if on_dask:
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
        code = DRIFT_EXIT if fail_on_drift and drift is not None and drift.fired else 0
        if json_:
            print_json(_summary(scores, fm, out, started, drift is not None and drift.fired))
            return code
        echo(f"scored {len(scores):,} account(s) with {fm.name} v{fm.version} on Dask in "
             f"{time.perf_counter() - started:.1f} s")
        echo(f"written: {out}")
        return code
    bar = ProgressBar("predict", stages=_STAGES, enabled=False if data == "-" else None)
    with bar:
        return _predict_local(data, out, cfg, bar, model=model, task=task,
                              top_reasons=top_reasons, lenient=lenient,
                              fail_on_drift=fail_on_drift, json_=json_, started=started,
                              n_jobs=n_jobs)


def _check_model(cfg: object, model: str | None, task: str) -> None:
    from fakedetect.scoring import check_model

    check_model(cfg, model, task)  # type: ignore[arg-type]


#: The steps of a local prediction, for its progress bar.
_STAGES = ("loading and validating", "loading the model", "features", "scores",
           "explanations", "writing")


def _summary(scores: object, fm: object, out: Path, started: float, drifted: bool
             ) -> dict[str, object]:
    """The ``--json`` summary of a prediction."""
    import time

    verdicts = scores["verdict"].replace("", "not scored").value_counts()  # type: ignore[index]
    return {"scored": int((scores["status"] == "scored").sum()),  # type: ignore[index]
            "accounts": len(scores),  # type: ignore[arg-type]
            "verdicts": {str(k): int(v) for k, v in sorted(verdicts.items())},
            "model": fm.name, "version": fm.version,  # type: ignore[attr-defined]
            "out": str(out), "drift": drifted,
            "seconds": round(time.perf_counter() - started, 2)}


def _predict_local(data: str, out: Path | None, cfg: object, bar: object, *,
                   model: str | None, task: str, top_reasons: int, lenient: bool,
                   fail_on_drift: bool, json_: bool, started: float,
                   n_jobs: int | None = None) -> int:
    """``predict`` on this process (the local engine)."""
    import json
    import sys
    import time

    from fakedetect.drift import DRIFT_EXIT
    from fakedetect.errors import UserError
    from fakedetect.predict import dataset_from_json, score_dataset, write_scores
    from fakedetect.scoring import load_models
    from fakedetect.validate import load_dataset

    stage = bar.stage  # type: ignore[attr-defined]
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
        stage("loading and validating")
        dataset = load_dataset(data, lenient=lenient)
        from fakedetect.coverage import print_coverage

        print_coverage(dataset, echo, err=True)
    stage("loading the model")
    fm, scorer = load_models(cfg, model, task, n_jobs=n_jobs)  # type: ignore[arg-type]
    scored = score_dataset(dataset, fm, top_reasons=top_reasons, account_scorer=scorer,
                           on_stage=stage, n_jobs=n_jobs)
    for note in scored.notes:
        echo(f"note: {note}", err=True)
    scores = scored.scores
    if data == "-" and out is None:
        clean = [{k: (None if (isinstance(v, float) and v != v) else
                      (v.item() if hasattr(v, "item") else v)) for k, v in row.items()}
                 for row in scores.to_dict(orient="records")]
        echo(json.dumps(clean[0] if len(clean) == 1 else clean, default=str, indent=2))
        return DRIFT_EXIT if fail_on_drift and scored.drifted else 0
    assert out is not None
    stage("writing")
    write_scores(scores, out)
    if lenient:
        from fakedetect.io import write_table

        rejects = out.with_name(f"{out.stem}.rejects.csv")
        write_table(dataset.rejects, rejects)
        echo(f"rejects: {rejects} ({len(dataset.rejects):,} problem(s))")
    bar.close()  # type: ignore[attr-defined]
    code = DRIFT_EXIT if fail_on_drift and scored.drifted else 0
    if json_:
        print_json(_summary(scores, fm, out, started, scored.drifted))
        return code
    counts = scores["verdict"].replace("", "not scored").value_counts().to_dict()
    shown = ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items()))
    echo(f"scored {len(scores):,} account(s) with {fm.name} v{fm.version} in "
         f"{time.perf_counter() - started:.1f} s: {shown}")
    echo(f"written: {out}")
    return code


@app.command()
def explain(
    account_id: Annotated[str, typer.Argument(help="The account to explain.")],
    directory: Annotated[Path | None, typer.Argument(
        metavar="DATA", help="Dataset folder holding the account.", show_default=False)
    ] = None,
    data: DataOpt = None,
    html: Annotated[Path | None, typer.Option(
        "--out", "-o", "--html", help="Also write a self-contained HTML page here.")
    ] = None,
    model: ModelOpt = None,
    task: TaskOpt = "influencer",
    top_reasons: Annotated[int, typer.Option(help="Reasons to show.")] = 8,
    lenient: LenientOpt = False,
    json_: JsonOpt = False,
    config: ConfigOpt = None,
) -> int:
    """Show one account's score and the reasons behind it (terminal, or an HTML page).

    With --json, prints the account's score row, its reasons and what was not assessed.

    With -v each reason also shows its push in model units (log-odds).
    """
    from fakedetect.cli._common import verbose_requested

    verbose = verbose_requested()
    from rich.console import Console
    from rich.table import Table

    from fakedetect.errors import UserError
    from fakedetect.predict import score_dataset
    from fakedetect.scoring import load_models
    from fakedetect.validate import load_dataset

    data = dataset(directory, data, command="explain ACCOUNT_ID")
    if html is not None:
        from fakedetect.io import check_output_file

        check_output_file(html, (".html", ".htm"))  # before any work
    cfg = load(config)
    _check_model(cfg, model, task)  # before any data is read
    loaded = load_dataset(data, lenient=lenient)
    ids = set(loaded.accounts["account_id"].astype(str))
    if account_id not in ids:
        raise UserError(f"{data}: no account {account_id!r} in the accounts table",
                        hint="check the id (ids are case-sensitive)")
    fm, scorer = load_models(cfg, model, task)
    scored = score_dataset(loaded, fm, top_reasons=3, account_scorer=scorer,
                           all_reasons=True)
    row = scored.scores.set_index("account_id").loc[account_id]
    if json_:
        print_json(_explain_json(account_id, row, scored.reasons, top_reasons, fm))
        return 0
    import sys

    # a terminal wraps at its width; a pipe or file gets whole lines, never cut mid-word
    console = Console() if sys.stdout.isatty() else Console(width=200, soft_wrap=True)
    if row["status"] != "scored":
        console.print(f"[bold]{account_id}[/bold]: not scored: {row['status_reason']}")
        return 0
    colour = {"authentic": "green", "review": "yellow", "likely fake": "red"}[row["verdict"]]
    from fakedetect.evidence import percent, score_text

    console.print(f"[bold]{account_id}[/bold]  authenticity [bold]"
                  f"{score_text(row['authenticity_score'])}[/bold]/100  "
                  f"fake probability {percent(row['fake_probability'])} "
                  f"({percent(row['fake_probability_low'])}–"
                  f"{percent(row['fake_probability_high'])})  "
                  f"verdict [{colour} bold]{row['verdict']}[/]")
    if row["audience_sample_size"]:
        from fakedetect.features.audience import METHOD_TEXT, bound_note

        method = str(row["audience_method"])
        console.print(f"estimated fake followers {percent(row['fake_follower_share'])} "
                      f"(95% interval {percent(row['fake_follower_share_low'])}–"
                      f"{percent(row['fake_follower_share_high'])}, sample "
                      f"{row['audience_sample_size']}; {METHOD_TEXT.get(method, method)})")
        note = bound_note(float(row["fake_follower_share"]), method)
        if note:
            console.print(note)
    from fakedetect.explain import reason_rows

    table = Table(title=f"Top reasons ({fm.name} v{fm.version})")
    for name, justify in (("#", "right"), ("reason", "left"), ("push", "left"),
                          *((("log-odds", "right"),) if verbose else ())):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for cells, toward_fake in reason_rows(scored.reasons, account_id, top_reasons,
                                          verbose=verbose):
        colour = "red" if toward_fake else "green"
        table.add_row(*cells[:2], f"[{colour}]{cells[2]}[/]", *cells[3:])
    console.print(table)
    from fakedetect.explain import verdict_basis

    basis = verdict_basis(scored.reasons, account_id)
    if basis:
        console.print(f"[bold]Why this score:[/bold] {basis}")
    console.print(f"data used: {str(row['coverage']).replace(',', ', ')}")
    from fakedetect.explain import not_assessed_lines

    ev = {k: row[k] for k in row.index}
    missing = not_assessed_lines(scored.reasons, account_id, ev)
    if missing:
        console.print("[bold]Not assessed[/bold] (neither accuses nor clears the account):")
        for line in missing:
            console.print(f"  - {line}", markup=False)
    if row["verdict"] in ("review", "likely fake"):
        from fakedetect.evidence import checklist_topics, review_checklist
        from fakedetect.explain import is_reason

        mine = scored.reasons[scored.reasons["account_id"].astype(str) == account_id]
        ok = is_reason(mine["feature"], mine["value"])
        topics = checklist_topics(mine["feature"][ok].tolist(),
                                  mine["contribution"][ok].tolist(),
                                  leans=mine["lean"][ok].tolist())
        lists = review_checklist(ev, topics)
        console.print("[bold]Review checklist[/bold]")
        for key, title in (("check", "What to check"), ("ask", "What to ask the creator for"),
                           ("clears", "What would clear the account")):
            console.print(f"  {title}:")
            for item in lists[key]:
                console.print(f"    - {item}", markup=False)
    if row.get("outside_training"):
        from fakedetect.drift import feature_label

        names = [n.strip() for n in str(row["outside_training"]).split(";") if n.strip()]
        console.print("[yellow]reliability: outside what the model was trained on[/] "
                      "(not a reason; the verdict rests on a value beyond every training "
                      "account): " + "; ".join(feature_label(n) for n in names))
    if html is not None:
        from fakedetect.io import write_text
        from fakedetect.report import render_account_page

        page = render_account_page(account_id, scores=scored.scores, reasons=scored.reasons,
                                   dataset=loaded, model=_model_info(fm))
        write_text(html, page)
        echo(f"written: {html}")
    return 0


@app.command()
def report(
    directory: Annotated[Path | None, typer.Argument(
        metavar="DATA", help="Dataset folder to score and review.", show_default=False)
    ] = None,
    data: DataOpt = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Report folder (default: the configuration's report folder).")] = None,
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
    json_: JsonOpt = False,
    config: ConfigOpt = None,
) -> int:
    """Write the review report: a ranked index page and one page per account.

    With --json, prints the folder, the index page, the account pages written and the
    verdict counts.
    """
    from fakedetect.drift import DRIFT_EXIT
    from fakedetect.predict import score_dataset
    from fakedetect.progress import ProgressBar
    from fakedetect.report import write_report
    from fakedetect.scale.engine import use_dask
    from fakedetect.scoring import load_models
    from fakedetect.validate import load_dataset

    data = dataset(directory, data, command="report")
    if out is not None:
        refuse_file_name(out, writes="a report folder (index.html and accounts/)")
    cfg = load(config)
    from fakedetect.report.pages import check_report_folder

    check_report_folder(Path(out or cfg.report_dir))  # before any work
    on_dask = use_dask(engine, scheduler)
    _check_model(cfg, model, task)
    if on_dask:
        from fakedetect.scale.dask_predict import run_report

        index, pages, drift = run_report(cfg, data, out or cfg.report_dir, model, task,
                                         model_info=_model_info, max_pages=max_pages,
                                         lenient=lenient, scheduler=scheduler,
                                         progress=progress_line("report"))
        for note in drift.warnings if drift is not None else []:
            echo(f"note: {note}", err=True)
        if json_:
            print_json({"folder": str(index.parent), "index": str(index), "pages": pages,
                        "counts": None,
                        "drift_notes": list(drift.warnings if drift is not None else [])})
        else:
            echo(f"review report: {index} ({pages:,} account page(s))")
        return DRIFT_EXIT if fail_on_drift and drift is not None and drift.fired else 0
    with ProgressBar("report", stages=_STAGES) as bar:
        bar.stage("loading and validating")
        loaded = load_dataset(data, lenient=lenient)
        bar.stage("loading the model")
        fm, scorer = load_models(cfg, model, task)
        scored = score_dataset(loaded, fm, top_reasons=3, account_scorer=scorer,
                               all_reasons=True, on_stage=bar.stage)
        bar.stage("writing")
    for note in scored.notes:
        echo(f"note: {note}", err=True)
    dest = out or cfg.report_dir
    with ProgressBar("writing account pages", unit="pages") as pages:
        index = write_report(dest, scores=scored.scores, reasons=scored.reasons,
                             dataset=loaded,
                             model={**_model_info(fm), "warnings": scored.notes},
                             max_pages=max_pages, progress=pages)
    if json_:
        folder = Path(index).parent
        status = scored.scores["status"].astype(str)
        verdicts = scored.scores.loc[status == "scored", "verdict"].astype(str)
        print_json({"folder": str(folder), "index": str(index),
                    "pages": sum(1 for _ in (folder / "accounts").glob("*.html")),
                    "counts": {"accounts": len(scored.scores),
                               "scored": int((status == "scored").sum()),
                               **{v: int(n) for v, n in verdicts.value_counts().items()}},
                    "drift_notes": list(scored.notes)})
        return DRIFT_EXIT if fail_on_drift and scored.drifted else 0
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
        "sources": meta.get("sources", []),
    }


def _plain(value: object) -> object:
    """``value`` as JSON can hold it: numpy scalars as numbers, missing as null."""
    import math

    item = getattr(value, "item", None)
    if callable(item):
        value = item()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (bool, int, float, str)):
        return value
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


#: How a reason's sentence reads on its own, by its lean (``explain --json``).
_READS_AS = {1: "fake", -1: "genuine", 0: "neutral"}


def _explain_json(account_id: str, row: object, reasons: object, top: int,
                  fm: object) -> dict[str, object]:
    """``explain --json``: the score row, the strongest computed reasons, what was not
    assessed, and the model."""
    mine = reasons[reasons["account_id"].astype(str) == str(account_id)]  # type: ignore[index]
    from fakedetect.evidence import checklist_topics, review_checklist
    from fakedetect.explain import (
        is_reason,
        not_assessed_lines,
        reads_against,
        shown_reasons,
        verdict_basis,
    )

    mine = mine.sort_values("rank")
    ok = is_reason(mine["feature"], mine["value"])
    computed = shown_reasons(mine, account_id, top)
    missing = mine[mine["value"].isna()]
    ev = {k: v for k, v in row.items()}  # type: ignore[attr-defined]
    checklist = None
    if ev.get("verdict") in ("review", "likely fake"):
        checklist = review_checklist(ev, checklist_topics(
            mine["feature"][ok].tolist(), mine["contribution"][ok].tolist(),
            leans=mine["lean"][ok].tolist()))
    return {
        "account_id": account_id,
        "model": {"name": fm.name, "version": fm.version},  # type: ignore[attr-defined]
        "score": {str(k): _plain(v) for k, v in row.items()},  # type: ignore[attr-defined]
        "reasons": [{
            "rank": k, "model_rank": int(r.rank), "feature": str(r.feature),
            "sentence": str(r.sentence),
            "value": _plain(r.value), "contribution": _plain(r.contribution),
            "toward": "fake" if float(r.contribution) > 0 else "genuine",
            "reads_as": _READS_AS[int(r.lean)],
            "against_usual": reads_against(int(r.lean), float(r.contribution)),
        } for k, r in enumerate(computed.itertuples(), start=1)],
        "not_assessed": [{"feature": str(r.feature), "description": str(r.description)}
                         for r in missing.itertuples()],
        "not_assessed_text": not_assessed_lines(reasons, account_id, ev),
        "verdict_basis": verdict_basis(mine, account_id),
        "checklist": checklist,
    }
