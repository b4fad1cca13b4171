"""``fakedetect train | evaluate | models | export``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fakedetect.cli._common import (
    ConfigOpt,
    FailOnDriftOpt,
    LenientOpt,
    NJobsOpt,
    NoCacheOpt,
    app,
    echo,
    load,
)
from fakedetect.cli.scale import EngineOpt, SchedulerOpt

TaskOpt = Annotated[str, typer.Option("--task", help="account or influencer.")]


@app.command()
def train(
    task: TaskOpt = "influencer",
    data: Annotated[list[Path] | None, typer.Option(
        help="Labelled dataset folder (default: the experiment's data); repeat it to "
             "train on several sources together.")] = None,
    experiment: Annotated[Path | None, typer.Option(
        help="Experiment YAML (default: training/TASK.yaml if present, else built-in).",
        dir_okay=False)] = None,
    promote: Annotated[bool, typer.Option(
        "--promote", help="Make the new version champion even if it fails the gate.")
    ] = False,
    lenient: LenientOpt = False,
    no_cache: NoCacheOpt = False,
    engine: EngineOpt = "local",
    scheduler: SchedulerOpt = None,
    n_jobs: Annotated[int | None, typer.Option(
        "--n-jobs", min=1, help="LightGBM's threads (default: num_threads of the "
                                "experiment).")] = None,
    config: ConfigOpt = None,
) -> int:
    """Train, calibrate, track in MLflow and register a model; promote it if it earns it."""
    from fakedetect.cache import FeatureCache
    from fakedetect.errors import UserError
    from fakedetect.experiment import default_experiment, load_experiment
    from fakedetect.scale.engine import use_dask
    from fakedetect.train import train as run_train

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
    sources = list(data or exp.data)
    if not sources:
        raise UserError("no data: pass --data DIR or set data: in the experiment file")
    source = sources[0] if len(sources) == 1 else sources
    if use_dask(engine, scheduler):
        if len(sources) > 1:
            raise UserError("the Dask engine trains on one dataset folder",
                            hint="train several sources with --engine local")
        from fakedetect.scale.dask_train import train_on_dask

        result = train_on_dask(source, exp, cfg, scheduler=scheduler, promote=promote,
                               lenient=lenient, log=lambda s: echo(f"  {s}"))
    else:
        result = run_train(source, exp, cfg, promote=promote, lenient=lenient,
                           log=lambda s: echo(f"  {s}"),
                           cache=FeatureCache.from_config(cfg, enabled=not no_cache))
    m = result.metrics
    echo(f"{cfg.model_name(exp.task)} v{result.version} (run {result.run_id})")
    echo(f"  test: ROC-AUC {m['test_roc_auc']:.4f}, accuracy {m['test_accuracy']:.4f}, "
         f"recall {m['test_recall_op']:.3f} at FPR {m['test_fpr_op']:.3f} "
         f"(threshold {result.model.threshold_fake:.3f}), ECE {m['test_ece']:.4f}")
    echo(f"  {exp.folds}-fold CV: ROC-AUC {m['cv_roc_auc_mean']:.4f} ± "
         f"{m['cv_roc_auc_std']:.4f}, accuracy {m['cv_accuracy_mean']:.4f} ± "
         f"{m['cv_accuracy_std']:.4f}")
    for line in result.transfer:
        echo(f"  {line}")
    for line in result.gate:
        echo(f"  gate {line}")
    echo(f"  alias: {'champion' if result.promoted else 'challenger'}; model folder "
         f"{result.folder}")
    return 0


@app.command()
def evaluate(
    model: Annotated[str, typer.Option(
        help="models:/NAME@ALIAS, models:/NAME/VERSION or an exported folder.")],
    data: Annotated[Path, typer.Option(help="Labelled dataset folder.")],
    out: Annotated[Path | None, typer.Option(
        help="Folder for summary.md, metrics.json and plots.")] = None,
    lenient: LenientOpt = False,
    no_cache: NoCacheOpt = False,
    fail_on_drift: FailOnDriftOpt = False,
    n_jobs: NJobsOpt = None,
    config: ConfigOpt = None,
) -> int:
    """Measure a model on a labelled dataset; log an evaluation run and write a summary."""
    from fakedetect.cache import FeatureCache
    from fakedetect.drift import DRIFT_EXIT
    from fakedetect.evaluate import evaluate as run_eval

    cfg = load(config)
    res = run_eval(model, data, cfg, out=out, lenient=lenient, n_jobs=n_jobs,
                   cache=FeatureCache.from_config(cfg, enabled=not no_cache))
    echo(res.summary.read_text(encoding="utf-8"))
    echo(f"written: {res.summary}")
    return DRIFT_EXIT if fail_on_drift and res.drifted else 0


@app.command()
def models(config: ConfigOpt = None) -> int:
    """List registered versions, their aliases and headline metrics."""
    from fakedetect import tracking

    cfg = load(config)
    client = tracking.connect(cfg, create=False)
    any_found = False
    for task in ("account", "influencer"):
        name = cfg.model_name(task)
        versions = tracking.list_versions(client, name)
        if not versions:
            echo(f"{name}: no versions registered")
            continue
        any_found = True
        echo(f"{name}:")
        for v in versions:
            m = tracking.version_metrics(v)
            aliases = ",".join(v.aliases) or "-"
            shown = "  ".join(f"{k}={m[k]}" for k in ("test_roc_auc", "test_accuracy",
                                                      "test_recall_op", "test_fpr_op")
                              if k in m)
            echo(f"  v{v.version:<4} {aliases:<22} {shown}")
    if not any_found:
        echo("train one with `fakedetect train` or `make demo`")
    return 0


@app.command()
def export(
    model: Annotated[str, typer.Option(help="models:/NAME@ALIAS or models:/NAME/VERSION.")],
    out: Annotated[Path, typer.Option(help="Folder to write (e.g. models/influencer).")],
    force: Annotated[bool, typer.Option(
        "--force", help="Replace a different model already in --out.")] = False,
    config: ConfigOpt = None,
) -> int:
    """Write a model folder: LightGBM text model, metadata JSON and SHA-256 manifest."""
    import tempfile

    from fakedetect import tracking
    from fakedetect.errors import UserError
    from fakedetect.io import check_output_folder
    from fakedetect.model import MODEL_FILE

    cfg = load(config)
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
    echo(f"exported {fm.name} v{fm.version} to {out}")
    return 0
