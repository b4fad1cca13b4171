"""``fakedetect train | evaluate | models | export``."""

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
    NoCacheOpt,
    app,
    dataset,
    echo,
    load,
    print_json,
    refuse_file_name,
)
from fakedetect.cli.scale import EngineOpt, SchedulerOpt

TaskOpt = Annotated[str, typer.Option("--task", help="account or influencer.")]


ReasonOpt = Annotated[str | None, typer.Option(
    "--reason", help="Why, in your words; logged with the alias move.")]


@app.command()
def train(
    folders: Annotated[list[Path] | None, typer.Argument(
        metavar="[DATA]...", help="Labelled dataset folder(s) (default: the experiment's "
                                  "data); several train on several sources together.",
        show_default=False)] = None,
    task: TaskOpt = "influencer",
    data: Annotated[list[Path] | None, typer.Option(
        "--data", help="Same as the positional DATA (repeatable).",
        show_default=False)] = None,
    experiment: Annotated[Path | None, typer.Option(
        help="Experiment YAML (default: training/TASK.yaml if present, else built-in).",
        dir_okay=False)] = None,
    model_name: Annotated[str | None, typer.Option(
        "--model-name", help="Registered model to add the version to (default: the "
                             "task's name in mlflow.yml).")] = None,
    experiment_name: Annotated[str | None, typer.Option(
        "--experiment-name", help="MLflow experiment of the run (default: the task's "
                                  "experiment in mlflow.yml).")] = None,
    promote: Annotated[bool, typer.Option(
        "--promote", help="Make the new version champion even if it fails the gate or "
                          "the champion was trained on other data.")
    ] = False,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Folder for the local copy of the model folder (default: "
                            "OUTPUT/models).", file_okay=False)] = None,
    lenient: LenientOpt = False,
    no_cache: NoCacheOpt = False,
    engine: EngineOpt = "local",
    scheduler: SchedulerOpt = None,
    n_jobs: Annotated[int | None, typer.Option(
        "--n-jobs", min=1, help="LightGBM's threads (default: num_threads of the "
                                "experiment).")] = None,
    json_: JsonOpt = False,
    config: ConfigOpt = None,
) -> int:
    """Train, calibrate, track in MLflow and register a model; promote it if it earns it.

    The new version becomes champion only when it passes the experiment's criteria and
    beats the champion on the same test accounts; a champion trained on other labelled
    data is kept (promote the new version with `fakedetect promote NAME VERSION`).
    """
    from fakedetect.cache import FeatureCache
    from fakedetect.errors import UserError
    from fakedetect.experiment import default_experiment, load_experiment
    from fakedetect.scale.engine import use_dask
    from fakedetect.train import train as run_train

    if folders and data and list(folders) != list(data):
        raise UserError("datasets given both as DATA and --data",
                        hint="give them one way: fakedetect train DATA [DATA ...]")
    if out is not None:
        from fakedetect.io import check_output_folder

        check_output_folder(out)  # before any work
    cfg = load(config)
    if experiment is None:
        candidate = cfg.root / "training" / f"{task}.yaml"
        exp = load_experiment(candidate) if candidate.is_file() else default_experiment(task)
    else:
        exp = load_experiment(experiment)
    if exp.task != task and experiment is not None:
        task = exp.task
    if n_jobs is not None:
        from dataclasses import replace

        exp = replace(exp, params={**exp.params, "num_threads": n_jobs})
    if model_name is not None or experiment_name is not None:
        cfg = cfg.named(exp.task, model=model_name, experiment=experiment_name)
    sources = list(folders or data or exp.data)
    if not sources:
        raise UserError("no data: give a dataset folder (fakedetect train DATA) or set "
                        "data: in the experiment file")
    source = sources[0] if len(sources) == 1 else sources

    def say(line: str) -> None:
        echo(f"  {line}", err=json_)

    if use_dask(engine, scheduler):
        if len(sources) > 1:
            raise UserError("the Dask engine trains on one dataset folder",
                            hint="train several sources with --engine local")
        from fakedetect.scale.dask_train import train_on_dask

        result = train_on_dask(source, exp, cfg, scheduler=scheduler, promote=promote,
                               lenient=lenient, log=say)
    else:
        result = run_train(source, exp, cfg, promote=promote, lenient=lenient, log=say,
                           out=out, cache=FeatureCache.from_config(cfg, enabled=not no_cache))
    if json_:
        print_json({"model": cfg.model_name(exp.task), "version": result.version,
                    "run_id": result.run_id, "experiment": cfg.experiments.get(exp.task),
                    "promoted": result.promoted, "gate": result.gate,
                    "folder": str(result.folder),
                    "metrics": {k: v for k, v in result.metrics.items() if v == v}})
        return 0
    from fakedetect.headline import result_lines

    echo(f"MLflow run {result.run_id}")
    for line in result_lines(cfg.model_name(exp.task), result):
        echo(f"  {line}")
    echo(f"  model folder: {result.folder}")
    return 0


@app.command()
def evaluate(
    model: Annotated[str, typer.Option(
        help="models:/NAME@ALIAS, models:/NAME/VERSION or an exported folder.")],
    directory: Annotated[Path | None, typer.Argument(
        metavar="DATA", help="Labelled dataset folder.", show_default=False)] = None,
    data: DataOpt = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Folder for summary.md, metrics.json and plots.",
        file_okay=False)] = None,
    lenient: LenientOpt = False,
    no_cache: NoCacheOpt = False,
    fail_on_drift: FailOnDriftOpt = False,
    n_jobs: NJobsOpt = None,
    json_: JsonOpt = False,
    config: ConfigOpt = None,
) -> int:
    """Measure a model on a labelled dataset; log an evaluation run and write a summary."""
    from fakedetect.cache import FeatureCache
    from fakedetect.drift import DRIFT_EXIT
    from fakedetect.evaluate import evaluate as run_eval

    data = dataset(directory, data, command="evaluate")
    if out is not None:
        from fakedetect.io import check_output_folder

        check_output_folder(out)  # before any work
    cfg = load(config)
    res = run_eval(model, data, cfg, out=out, lenient=lenient, n_jobs=n_jobs,
                   cache=FeatureCache.from_config(cfg, enabled=not no_cache))
    if json_:
        print_json({"model": model, "data": str(data), "accounts": res.n_accounts,
                    "run_id": res.run_id, "summary": str(res.summary),
                    "drifted": res.drifted, "notes": list(res.notes),
                    "metrics": {k: float(v) for k, v in res.metrics.items() if v == v}})
        return DRIFT_EXIT if fail_on_drift and res.drifted else 0
    echo(res.summary.read_text(encoding="utf-8"))
    echo(f"written: {res.summary}")
    return DRIFT_EXIT if fail_on_drift and res.drifted else 0


@app.command()
def models(
    names: Annotated[list[str] | None, typer.Argument(
        metavar="[NAME]...", help="Registered models to list (default: every model in "
                                  "the store, and the ones in mlflow.yml).",
        show_default=False)] = None,
    json_: JsonOpt = False,
    config: ConfigOpt = None,
) -> int:
    """List registered versions, their aliases and headline figures in words (``--json``:
    the raw metric names and values)."""
    from fakedetect import tracking
    from fakedetect.headline import version_summary

    cfg = load(config)
    client = tracking.connect(cfg, create=False)
    configured = [cfg.model_name(t) for t in ("account", "influencer")]
    wanted = list(names or dict.fromkeys(configured + tracking.registered_names(client)))
    if json_:
        print_json({name: [{
            "version": v.version, "aliases": list(v.aliases), "run_id": v.run_id,
            "description": v.description,
            "metrics": {k: float(x) for k, x in tracking.version_metrics(v).items()},
            "sources": v.tags.get(tracking.SOURCES_TAG, ""),
            "data_sha256": v.tags.get(tracking.DATA_TAG, ""),
            "champion_reason": v.tags.get(tracking.REASON_TAG, ""),
            "gate": v.tags.get("gate", ""),
        } for v in tracking.list_versions(client, name)] for name in wanted})
        return 0
    any_found = False
    for name in wanted:
        versions = tracking.list_versions(client, name)
        if not versions:
            echo(f"{name}: no versions registered")
            continue
        any_found = True
        echo(f"{name}:")
        for v in versions:
            m = {k: float(x) for k, x in tracking.version_metrics(v).items()}
            sources = v.tags.get(tracking.SOURCES_TAG, "")
            echo(f"  v{v.version} ({alias_words(list(v.aliases), cfg)})"
                 + (f", trained on {tracking.source_words(sources)}" if sources else ""))
            echo(f"    on the test split (accounts kept out of training): "
                 f"{version_summary(m)}")
    if not any_found:
        echo("train one with `fakedetect train` or `make demo`")
    return 0


def alias_words(aliases: list[str], cfg: object) -> str:
    """A version's aliases in words: ``champion`` when it holds both, ``challenger:
    trained, not promoted`` when it holds only that one, ``no alias`` when none."""
    champion = getattr(cfg, "champion_alias", "champion")
    challenger = getattr(cfg, "challenger_alias", "challenger")
    said = []
    for a in aliases:
        if a == challenger and champion in aliases:
            continue  # the champion is also the latest trained: one word says it
        said.append(f"{a}: trained, not promoted" if a == challenger else a)
    return ", ".join(said) or "no alias"


@app.command()
def export(
    model: Annotated[str, typer.Option(help="models:/NAME@ALIAS or models:/NAME/VERSION.")],
    out: Annotated[Path, typer.Option(
        "--out", "-o", help="Folder to write (e.g. models/influencer).", file_okay=False)],
    force: Annotated[bool, typer.Option(
        "--force", help="Replace a different model already in --out.")] = False,
    json_: JsonOpt = False,
    config: ConfigOpt = None,
) -> int:
    """Write a model folder: LightGBM text model, metadata JSON and SHA-256 manifest."""
    import tempfile

    from fakedetect import tracking
    from fakedetect.errors import UserError
    from fakedetect.io import check_output_folder
    from fakedetect.model import MODEL_FILE

    cfg = load(config)
    refuse_file_name(out, writes="a model folder")
    check_output_folder(out)
    fm = tracking.resolve_model(model, cfg)
    if out.is_dir() and any(out.iterdir()) and not force:
        with tempfile.TemporaryDirectory() as tmp:
            same = (out / MODEL_FILE).is_file() and (
                (fm.save(Path(tmp)) / MODEL_FILE).read_bytes()
                == (out / MODEL_FILE).read_bytes())
        if not same:
            raise UserError(f"{out}: already holds something else (another model, or "
                            "other files)",
                            hint="choose a new folder, or pass --force to replace it")
    fm.save(out)
    if json_:
        print_json({"model": fm.name, "version": fm.version, "uri": model,
                    "folder": str(out), "files": sorted(p.name for p in out.iterdir()
                                                        if not p.name.startswith("."))})
        return 0
    echo(f"exported {fm.name} v{fm.version} to {out}")
    return 0


@app.command()
def promote(
    name: Annotated[str, typer.Argument(help="Registered model, e.g. fakedetect-influencer.")],
    version: Annotated[str, typer.Argument(help="The version to make champion.")],
    reason: ReasonOpt = None,
    json_: JsonOpt = False,
    config: ConfigOpt = None,
) -> int:
    """Make VERSION of NAME the champion; the reason is logged on the version and in an
    MLflow run of the registry experiment."""
    from fakedetect import tracking

    cfg = load(config)
    client = tracking.connect(cfg, create=False)
    move = tracking.move_champion(client, cfg, name, version.removeprefix("v"),
                                  reason=reason or "promoted by hand (no reason given)",
                                  action="promote")
    if json_:
        print_json(_move_json(move))
        return 0
    if not move.changed:
        echo(f"{name} v{move.version} is already {move.alias}; nothing changed")
        return 0
    was = f" (was v{move.previous})" if move.previous else ""
    echo(f"{name}@{move.alias} -> v{move.version}{was}; logged in MLflow run {move.run_id}")
    if move.previous:
        echo(f"undo with: fakedetect rollback {name} --reason TEXT")
    return 0


@app.command()
def rollback(
    name: Annotated[str, typer.Argument(help="Registered model, e.g. fakedetect-influencer.")],
    reason: ReasonOpt = None,
    json_: JsonOpt = False,
    config: ConfigOpt = None,
) -> int:
    """Give the champion alias of NAME back to the version it replaced; the reason is
    logged on the version and in an MLflow run of the registry experiment."""
    from fakedetect import tracking

    cfg = load(config)
    client = tracking.connect(cfg, create=False)
    target = tracking.rollback_target(client, cfg, name)
    move = tracking.move_champion(client, cfg, name, target,
                                  reason=reason or "rolled back (no reason given)",
                                  action="rollback", record_previous=False)
    if json_:
        print_json(_move_json(move))
        return 0
    echo(f"{name}@{move.alias} -> v{move.version} (was v{move.previous}); logged in MLflow "
         f"run {move.run_id}")
    return 0


def _move_json(move: object) -> dict[str, object]:
    """What promote and rollback did, for ``--json``."""
    return {k: getattr(move, k) for k in ("name", "alias", "version", "previous", "reason",
                                         "run_id", "changed")}
