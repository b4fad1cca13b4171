"""``fakedetect features``: build one row of features per account, or list the registry."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fakedetect.cli._common import (
    ConfigOpt,
    DataOpt,
    JsonOpt,
    LenientOpt,
    NJobsOpt,
    NoCacheOpt,
    app,
    dataset,
    echo,
    load,
    print_json,
)
from fakedetect.cli.scale import EngineOpt, SchedulerOpt, progress_line

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np
    import pandas as pd

    from fakedetect.config import Config


#: The steps of the local features command, for its progress bar.
_STAGES = ("loading and validating", "loading the account model", "computing features",
           "writing")


@app.command()
def features(
    directory: Annotated[Path | None, typer.Argument(
        metavar="DATA", help="Dataset folder (accounts.csv, snapshots.csv, posts.csv, ...).",
        show_default=False)] = None,
    data: DataOpt = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Features file: .parquet, .csv or .jsonl "
                      "(default: OUTPUT/features.parquet from the configuration).")] = None,
    task: Annotated[str, typer.Option(
        "--task", help="account (profile features) or influencer (all features).")
    ] = "influencer",
    list_: Annotated[bool, typer.Option(
        "--list", help="Print the feature registry and exit.")] = False,
    markdown: Annotated[bool, typer.Option(
        "--markdown", help="With --list: print the registry as a Markdown table.")] = False,
    account_model: Annotated[str, typer.Option(
        "--account-model",
        help="Scores the audience sample: 'champion' (the registered account model, or the "
             "profile_rules_v1 fallback when none is registered), 'rules' (always the "
             "fallback), or a models:/ URI or exported folder.")] = "champion",
    jobs: Annotated[int | None, typer.Option(
        "--jobs", min=1, hidden=True,
        help="Old name of --n-jobs (blocks of accounts featurised at the same time).")
    ] = None,
    n_jobs: NJobsOpt = None,
    lenient: LenientOpt = False,
    no_cache: NoCacheOpt = False,
    engine: EngineOpt = "local",
    scheduler: SchedulerOpt = None,
    json_: JsonOpt = False,
    config: ConfigOpt = None,
) -> int:
    """Turn DATA into one row of features per account (same code as training and
    scoring), or print the registry with --list."""
    from fakedetect.errors import UserError
    from fakedetect.features.registry import TASKS, registry_markdown, registry_text

    if task not in TASKS:
        raise UserError(f"unknown task {task!r}", hint=f"use one of: {', '.join(TASKS)}")
    if list_:
        echo(registry_markdown() if markdown else registry_text(task))
        return 0
    if directory is None and data is None:
        raise UserError("fakedetect features needs a dataset folder (or --list)",
                        hint="fakedetect features DATA --out features.parquet")
    directory = dataset(directory, data, command="features")
    import time

    from fakedetect._compiled.runtime import effective_n_jobs
    from fakedetect.cache import FeatureCache
    from fakedetect.features.audience import MODEL_METHOD, RULE_NAME
    from fakedetect.io import check_output_file, write_table
    from fakedetect.progress import ProgressBar
    from fakedetect.scale.engine import use_dask
    from fakedetect.validate import load_dataset

    if jobs is not None:
        if n_jobs is not None and n_jobs != jobs:
            raise UserError(f"--jobs {jobs} and --n-jobs {n_jobs} disagree",
                            hint="--jobs is the old name of --n-jobs; pass only --n-jobs")
        echo("note: --jobs is the old name of --n-jobs", err=True)
    threads = effective_n_jobs(n_jobs if n_jobs is not None else jobs)
    cfg = load(config)
    dest = out or cfg.output_dir / "features.parquet"
    check_output_file(dest, (".csv", ".parquet", ".jsonl"))  # before any work
    if task == "influencer" and account_model not in ("rules", "champion"):
        from fakedetect import tracking

        tracking.check_model_uri(account_model, cfg)  # before any data is read
    started = time.perf_counter()
    if use_dask(engine, scheduler):
        from fakedetect.scale.dask_features import run_features

        frame, audience, model_scored = run_features(
            cfg, directory, task, account_model=account_model, lenient=lenient,
            scheduler=scheduler, note=lambda s: echo(s, err=True),
            progress=progress_line("features"))
        write_table(frame.reset_index(), dest)
    else:
        with ProgressBar("features", stages=_STAGES) as bar:
            bar.stage("loading and validating")
            loaded = load_dataset(directory, lenient=lenient)
            scorer = None
            if task == "influencer" and loaded.get("audience") is not None:
                bar.stage("loading the account model")
                scorer = _account_scorer(cfg, account_model, threads)
            bar.stage("computing features")
            cache = FeatureCache.from_config(cfg, enabled=not no_cache)
            frame = cache.build(loaded, task, account_scorer=scorer, n_jobs=threads)
            bar.stage("writing")
            write_table(frame.reset_index(), dest)
        audience, model_scored = loaded.get("audience") is not None, scorer is not None
    covered = {c.removeprefix("coverage__"): int(frame[c].sum())
               for c in frame.columns if c.startswith("coverage__")}
    method = "" if not audience else (
        f"; audience scored by {MODEL_METHOD if model_scored else RULE_NAME}")
    if json_:
        print_json({"out": str(dest), "accounts": len(frame), "columns": frame.shape[1],
                    "seconds": round(time.perf_counter() - started, 2),
                    "audience_scored_by": (MODEL_METHOD if model_scored else RULE_NAME)
                    if audience else None, "accounts_with_enough_data": covered})
        return 0
    echo(f"{dest}: {len(frame):,} account(s) x {frame.shape[1]:,} column(s) "
         f"in {time.perf_counter() - started:.1f} s{method}")
    echo("accounts with enough data: " + ", ".join(f"{k} {v:,}" for k, v in covered.items()))
    return 0


def _account_scorer(cfg: Config, account_model: str, n_jobs: int | None
                    ) -> Callable[[pd.DataFrame], np.ndarray] | None:
    """The audience scorer named by --account-model (None: the rule-based fallback)."""
    from fakedetect.errors import UserError
    from fakedetect.features.audience import RULE_NAME

    if account_model == "rules":
        return None
    from fakedetect import tracking
    from fakedetect.scoring import account_scorer_from

    uri = cfg.champion_uri("account") if account_model == "champion" else account_model
    try:
        return account_scorer_from(tracking.resolve_model(uri, cfg), n_jobs=n_jobs)
    except UserError as exc:
        if account_model != "champion":
            raise
        echo(f"note: no registered account model ({exc.message}); the audience sample is "
             f"scored by the rule {RULE_NAME}", err=True)
        return None
