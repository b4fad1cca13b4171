"""Evaluate a model on any labelled dataset: metrics, plots, an MLflow run and a summary.

This is how a user checks a model on their own labelled accounts before trusting it.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from fakedetect.errors import UserError

if TYPE_CHECKING:
    from fakedetect.cache import FeatureCache
    from fakedetect.config import Config


@dataclass
class EvaluationResult:
    """Metrics of one evaluation, where they were logged and written."""

    metrics: dict[str, float]
    run_id: str
    summary: Path
    n_accounts: int
    notes: list[str] = field(default_factory=list)
    drifted: bool = False


def evaluate(model_uri: str, data: str | Path, cfg: Config, *, out: Path | None = None,
             lenient: bool = False, n_jobs: int | None = None,
             cache: FeatureCache | None = None) -> EvaluationResult:
    """Score a labelled dataset with a model and measure it.

    Parameters
    ----------
    model_uri : str
        ``models:/NAME@ALIAS``, ``models:/NAME/VERSION`` or an exported folder.
    data : path-like
        A dataset folder with a labels table.
    cfg : Config
    out : Path, optional
        Folder for ``summary.md``, ``metrics.json`` and the plots (default
        ``OUTPUT/evaluation``).
    lenient : bool
        Drop invalid accounts instead of failing.
    n_jobs : int, optional
        Threads for LightGBM and the compiled kernels (``None``: every core).
    cache : FeatureCache, optional
        Where built features are kept (default: built every time).

    Returns
    -------
    EvaluationResult
    """
    import json

    import mlflow

    from fakedetect import tracking
    from fakedetect.io import write_text
    from fakedetect.metrics import (
        binary_metrics,
        fraud_type_recall,
        group_metrics,
        plot_curves,
        tier_of,
    )
    from fakedetect.predict import score_dataset
    from fakedetect.scoring import account_scorer_from, resolve_account_model
    from fakedetect.validate import load_dataset

    client = tracking.connect(cfg)
    model = tracking.resolve_model(model_uri, cfg)
    dataset = load_dataset(data, lenient=lenient)
    labels = dataset.get("labels")
    if labels is None:
        raise UserError(f"{data}: evaluation needs a labels table",
                        hint="add labels.csv with account_id, is_fake (and fraud_type)")
    scorer = account_scorer_from(resolve_account_model(cfg, model, model_uri), n_jobs=n_jobs)
    scored = score_dataset(dataset, model, top_reasons=0, account_scorer=scorer,
                           n_jobs=n_jobs, cache=cache)
    s = scored.scores[scored.scores["status"] == "scored"].set_index("account_id")
    lab = labels.assign(account_id=labels["account_id"].astype(str)).set_index("account_id")
    ids = s.index.intersection(lab.index)
    if len(ids) == 0:
        raise UserError(f"{data}: no scored account has a label")
    y = lab.loc[ids, "is_fake"].astype("int64").to_numpy()
    p = s.loc[ids, "fake_probability"].astype("float64").to_numpy()
    margin = model.margin(scored.features.loc[ids], n_jobs=n_jobs)
    t = model.threshold_fake
    metrics = binary_metrics(y, p, t, score=margin)
    if "fraud_type" in lab:
        metrics.update(fraud_type_recall(y, p, t, lab.loc[ids, "fraud_type"].astype(str)
                                         .to_numpy(dtype=object)))
    metrics.update(group_metrics(y, p, t, tier_of(s.loc[ids, "followers"].astype("float64")
                                                  .to_numpy()), "tier", score=margin))
    dest = out or cfg.output_dir / "evaluation"
    dest.mkdir(parents=True, exist_ok=True)
    exp_id = tracking.experiment_id(client, cfg, "evaluation")
    with tempfile.TemporaryDirectory() as tmp:
        plots = plot_curves(y, p, t, Path(tmp), f"{model.name} v{model.version}")
        with mlflow.start_run(experiment_id=exp_id,
                              run_name=f"evaluate-{model.name}-v{model.version}") as run:
            mlflow.log_params({"model": model_uri, "model_version": model.version,
                               "data": str(Path(data).resolve()), "n": len(ids)})
            mlflow.log_metrics({k: float(v) for k, v in metrics.items()
                                if v == v and np.isfinite(v)})
            for f in plots:
                mlflow.log_artifact(str(f), artifact_path="plots")
            run_id = run.info.run_id
        for f in plots:
            (dest / f.name).write_bytes(f.read_bytes())
    write_text(dest / "metrics.json", json.dumps(metrics, indent=2, sort_keys=True))
    summary = _summary(model_uri, model.name, model.version, data, metrics, t, len(ids),
                       int(y.sum()), run_id)
    if scored.notes:
        summary += "\n" + "\n".join(f"> **Note.** {n}" for n in scored.notes) + "\n"
    path = write_text(dest / "summary.md", summary)
    return EvaluationResult(metrics=metrics, run_id=run_id, summary=path, n_accounts=len(ids),
                            notes=scored.notes, drifted=scored.drifted)


def _summary(uri: str, name: str, version: str, data: str | Path, m: dict[str, float],
             t: float, n: int, pos: int, run_id: str) -> str:
    """The evaluation's ``summary.md``: the figures in words, then the full table."""
    from fakedetect.headline import format_metric, metric_lines

    def f(key: str, pct: bool = False) -> str:
        return format_metric(m, key, pct)

    lines = [
        f"# Evaluation of {name} v{version}",
        "",
        f"Model `{uri}` on `{data}`: {n:,} labelled accounts, {pos:,} fake. "
        f"MLflow run `{run_id}`.",
        "",
        "On these accounts the model:",
        "",
        *(f"- {line}" for line in metric_lines(m, "")),
        "",
        "All figures:",
        "",
        "| metric | value |",
        "|---|---|",
        f"| ROC-AUC | {f('roc_auc')} |",
        f"| PR-AUC | {f('pr_auc')} |",
        f"| accuracy (fake probability >= 0.5) | {f('accuracy', True)} |",
        f"| recall at the likely-fake threshold {t:.3f} | {f('recall_op', True)} |",
        f"| false-positive rate at that threshold | {f('fpr_op', True)} |",
        f"| precision at that threshold | {f('precision_op', True)} |",
        f"| Brier score | {f('brier')} |",
        f"| expected calibration error | {f('ece')} |",
        "",
    ]
    fraud = {k: v for k, v in m.items() if k.startswith("recall_op_fraud_")}
    if fraud:
        lines += ["Share of fakes caught at the likely-fake threshold, per fraud pattern:", ""]
        lines += [f"- {k.removeprefix('recall_op_fraud_').replace('_', ' ')}: "
                  f"{100 * v:.1f}%" for k, v in sorted(fraud.items())]
        lines.append("")
    lines.append("Plots: roc_curve.png, pr_curve.png, calibration_curve.png, "
                 "confusion_matrix.png beside this file.")
    return "\n".join(lines) + "\n"
