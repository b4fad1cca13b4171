"""Refit a model's calibration, verdict thresholds and intervals on a user's labelled accounts.

The booster stays as it is; only the map from its margin to a probability, the two verdict
thresholds and the Venn-ABERS tables are fitted again, on accounts from the user's own
market. The figures reported for the new map are **cross-fitted**: the accounts are split
into :data:`FOLDS` stratified folds, each fold is scored by a map and thresholds fitted on
the other folds, so no reported figure is measured on the accounts that set it. The map
that ships is then fitted on all of them.

How few is too few: a false-positive cap of ``max_fpr`` can only be set from at least
``1 / max_fpr`` genuine accounts (with fewer, a single genuine account flagged already
exceeds it), and the probability map needs both classes. :func:`check_labels` refuses
fewer than :data:`MIN_ACCOUNTS` labelled accounts, fewer than ``max(MIN_GENUINE,
ceil(1 / max_fpr))`` genuine ones or fewer than :data:`MIN_FAKE` fake ones.
"""

from __future__ import annotations

import hashlib
import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fakedetect.errors import UserError

if TYPE_CHECKING:
    import pandas as pd

    from fakedetect.config import Config
    from fakedetect.model import FakeModel

#: Fewest labelled accounts ``calibrate`` accepts.
MIN_ACCOUNTS = 50
#: Fewest genuine accounts (more when ``1 / max_fpr`` is larger).
MIN_GENUINE = 30
#: Fewest fake accounts.
MIN_FAKE = 10
#: Cross-fitting folds for the reported figures.
FOLDS = 5


@dataclass
class CalibrationResult:
    """What ``calibrate`` produced.

    Attributes
    ----------
    model : FakeModel
        The recalibrated model (same booster).
    before, after : dict
        Metrics of the parent model and of the cross-fitted new map on the same accounts:
        ``ece``, ``brier``, ``fpr_fake``, ``fpr_review``, ``recall_fake``, ``n``.
    digest : str
        SHA-256 of the calibration data (labels and features).
    folder : Path
        The new model folder.
    run_id, version : str or None
        MLflow run and registered version (``None`` for a folder model).
    promoted : bool
    gate : list of str
    """

    model: FakeModel
    before: dict[str, float]
    after: dict[str, float]
    digest: str
    folder: Path
    run_id: str | None = None
    version: str | None = None
    promoted: bool = False
    gate: list[str] = field(default_factory=list)


def check_labels(y: np.ndarray, max_fpr: float) -> None:
    """Refuse calibration data too small to set the thresholds from.

    Raises
    ------
    UserError
        With the counts found and the counts needed.
    """
    n, fake = len(y), int(np.sum(y))
    genuine = n - fake
    need_genuine = max(MIN_GENUINE, math.ceil(1.0 / max_fpr))
    if n < MIN_ACCOUNTS or genuine < need_genuine or fake < MIN_FAKE:
        raise UserError(
            f"too few labelled accounts to recalibrate: {n} ({genuine} genuine, {fake} "
            f"fake); calibrate needs at least {MIN_ACCOUNTS} accounts, {need_genuine} "
            f"genuine (to set a false-positive cap of {max_fpr:.0%}, 1 / max_fpr) and "
            f"{MIN_FAKE} fake",
            hint="label more accounts from your market (200 or more give stable "
                 "thresholds), or raise --max-fpr")


def _figures(y: np.ndarray, p: np.ndarray, low: np.ndarray, t_fake: float,
             t_review: float) -> dict[str, float]:
    from fakedetect.metrics import expected_calibration_error

    neg, pos = y == 0, y == 1
    fake = np.minimum(p, low) >= t_fake
    return {
        "n": float(len(y)),
        "ece": expected_calibration_error(p, y),
        "brier": float(np.mean((p - y) ** 2)),
        "fpr_fake": float(fake[neg].mean()),
        "fpr_review": float((p[neg] >= t_review).mean()),
        "recall_fake": float(fake[pos].mean()),
        "threshold_fake": float(t_fake),
        "threshold_review": float(t_review),
    }


def _fit_map(margin: np.ndarray, y: np.ndarray, method: str, max_fpr: float,
             review_fpr: float) -> tuple[Any, float, float]:
    from fakedetect.metrics import threshold_for_fpr
    from fakedetect.model import Calibration

    cal = Calibration.fit(margin, y, method)
    p = cal(margin)
    t_fake = threshold_for_fpr(p, y, max_fpr)
    t_review = min(threshold_for_fpr(p, y, review_fpr), t_fake)
    return cal, t_fake, t_review


def recalibrate(model: FakeModel, margin: np.ndarray, y: np.ndarray, *,
                max_fpr: float = 0.02, review_fpr: float = 0.10, seed: int = 0
                ) -> tuple[FakeModel, dict[str, float], dict[str, float], np.ndarray]:
    """Fit a new calibration, thresholds and interval tables on labelled margins.

    Parameters
    ----------
    model : FakeModel
        The parent model; its booster and training reference are kept.
    margin : numpy.ndarray
        Its margins on the labelled accounts (which its booster never trained on).
    y : numpy.ndarray
        Their labels (1 = fake).
    max_fpr, review_fpr : float
        False-positive caps for ``likely fake`` and ``review``.
    seed : int
        For the cross-fitting folds.

    Returns
    -------
    model : FakeModel
        The recalibrated model.
    before : dict
        The parent's figures on these accounts.
    after : dict
        The cross-fitted figures of the new map on them.
    p_after : numpy.ndarray
        The cross-fitted probabilities (for the reliability plot).
    """
    from sklearn.model_selection import StratifiedKFold

    from fakedetect.intervals import probability_interval, venn_abers_tables
    from fakedetect.model import FakeModel

    check_labels(y, max_fpr)
    method = model.calibration.method
    p0 = model.calibration(margin)
    low0, _ = probability_interval(model, margin, p0)
    before = _figures(y, p0, low0, model.threshold_fake, model.threshold_review)
    p_after = np.empty(len(y))
    low_after = np.empty(len(y))
    fake_after = np.zeros(len(y), dtype=bool)
    review_after = np.zeros(len(y), dtype=bool)
    folds = min(FOLDS, int(np.sum(y)), int(np.sum(1 - y)))
    for a, b in StratifiedKFold(folds, shuffle=True, random_state=seed).split(margin, y):
        cal, t_fake, t_review = _fit_map(margin[a], y[a], method, max_fpr, review_fpr)
        fold = FakeModel(model.booster, model.task, model.features, cal, t_fake, t_review,
                         venn_abers_tables(margin[a], y[a]))
        p_after[b] = cal(margin[b])
        low_after[b], _ = probability_interval(fold, margin[b], p_after[b])
        fake_after[b] = np.minimum(p_after[b], low_after[b]) >= t_fake
        review_after[b] = p_after[b] >= t_review
    after = _figures(y, p_after, low_after, np.nan, np.nan)
    neg, pos = y == 0, y == 1
    after.update(fpr_fake=float(fake_after[neg].mean()),
                 fpr_review=float(review_after[neg].mean()),
                 recall_fake=float(fake_after[pos].mean()))
    cal, t_fake, t_review = _fit_map(margin, y, method, max_fpr, review_fpr)
    after.update(threshold_fake=t_fake, threshold_review=t_review)
    meta = {k: v for k, v in model.metadata.items()
            if k not in {"model_name", "model_version", "model_uri", "metrics"}}
    meta.update(venn_abers_tables(margin, y))
    meta.update({"max_fpr": max_fpr, "review_fpr": review_fpr,
                 "metrics": {f"calibration_{k}": v for k, v in after.items()}})
    new = FakeModel(model.booster, model.task, list(model.features), cal, t_fake,
                    t_review, meta)
    return new, before, after, p_after


def data_digest(ids: pd.Index, y: np.ndarray, X: pd.DataFrame) -> str:
    """SHA-256 of the calibration data: account ids, labels and feature values."""
    h = hashlib.sha256()
    order = np.argsort(np.asarray(ids, dtype=str), kind="stable")
    h.update("\n".join(np.asarray(ids, dtype=str)[order]).encode())
    h.update(np.ascontiguousarray(np.asarray(y, dtype=np.int64)[order]).tobytes())
    h.update(np.ascontiguousarray(X.to_numpy(dtype=np.float64, na_value=np.nan)[order])
             .tobytes())
    return h.hexdigest()


def plot_reliability(y: np.ndarray, before: np.ndarray, after: np.ndarray, path: Path
                     ) -> Path:
    """Before/after reliability diagram (observed fake rate per predicted-probability bin)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.5, 5))
    FigureCanvasAgg(fig)  # a figure of its own, outside pyplot's global state
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], color="#94a3b8", linestyle="--", label="perfect")
    edges = np.linspace(0, 1, 11)
    for p, label, colour in ((before, "before (parent map)", "#dc2626"),
                             (after, "after (cross-fitted)", "#2563eb")):
        idx = np.clip(np.digitize(p, edges) - 1, 0, 9)
        count = np.bincount(idx, minlength=10)
        keep = count > 0
        mean_p = np.bincount(idx, weights=p, minlength=10)[keep] / count[keep]
        rate = np.bincount(idx, weights=y, minlength=10)[keep] / count[keep]
        ax.plot(mean_p, rate, marker="o", color=colour, label=label)
    ax.set_xlabel("predicted fake probability")
    ax.set_ylabel("observed fake rate")
    ax.set_title("Reliability on the calibration accounts")
    ax.legend(loc="upper left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path


def calibrate(model_uri: str, data: str | Path, cfg: Config, *, max_fpr: float = 0.02,
              review_fpr: float = 0.10, out: Path | None = None, promote: bool = False,
              lenient: bool = False) -> CalibrationResult:
    """Recalibrate a model on labelled accounts; log, register and gate the result.

    Parameters
    ----------
    model_uri : str
        ``models:/NAME@ALIAS``, ``models:/NAME/VERSION`` or an exported folder.
    data : path-like
        A dataset folder with a labels table (the user's market).
    cfg : Config
    max_fpr, review_fpr : float
        False-positive caps for ``likely fake`` and ``review``.
    out : Path, optional
        Folder for the new model (default: beside the parent folder, or under the
        output folder for a registry model).
    promote : bool
        Make the new version champion even if it fails the gate.
    lenient : bool
        Drop invalid accounts instead of failing.

    Returns
    -------
    CalibrationResult

    Notes
    -----
    A registry model's result is registered as a new version of the same registered model,
    tagged ``parent_version`` and ``calibration_data_sha256``, made challenger, and
    champion when it passes the gate: its cross-fitted false-positive rate at ``likely
    fake`` is within ``max_fpr`` and its cross-fitted calibration error is no worse than
    the parent's on the same accounts. A folder model gives a new folder (``out``).
    """
    import mlflow

    from fakedetect import tracking
    from fakedetect.predict import score_dataset
    from fakedetect.scoring import load_models
    from fakedetect.validate import load_dataset

    registry = model_uri.startswith("models:/")
    client = tracking.connect(cfg)
    parent, scorer = load_models(cfg, model_uri, "influencer")
    dataset = load_dataset(data, lenient=lenient)
    labels = dataset.get("labels")
    if labels is None:
        raise UserError(f"{data}: calibrate needs a labels table",
                        hint="add labels.csv with account_id and is_fake")
    scored = score_dataset(dataset, parent, top_reasons=0, account_scorer=scorer)
    lab = labels.assign(account_id=labels["account_id"].astype(str)).set_index("account_id")
    ids = scored.features.index.intersection(lab.index)
    y = lab.loc[ids, "is_fake"].astype("int64").to_numpy()
    X = scored.features.loc[ids]
    check_labels(y, max_fpr)
    margin = parent.margin(X)
    new, before, after, p_after = recalibrate(parent, margin, y, max_fpr=max_fpr,
                                              review_fpr=review_fpr)
    digest = data_digest(ids, y, X)
    new.metadata.update({"parent": f"{parent.name} v{parent.version}",
                         "calibration_data_sha256": digest,
                         "calibration_data": str(Path(data).resolve())})
    reasons = _gate(before, after, max_fpr, int((y == 0).sum()))
    ok = all(r.startswith("pass") for r in reasons)
    result = CalibrationResult(model=new, before=before, after=after, digest=digest,
                               folder=Path(), gate=reasons)
    exp_id = tracking.experiment_id(client, cfg, parent.task)
    with tempfile.TemporaryDirectory(prefix="fakedetect-calibrate-") as tmpdir:
        tmp = Path(tmpdir)
        folder = new.save(tmp / tracking.ARTIFACT_KEY)
        with mlflow.start_run(experiment_id=exp_id,
                              run_name=f"calibrate-{parent.name}-v{parent.version}") as run:
            result.run_id = run.info.run_id
            mlflow.log_params({"parent": model_uri, "parent_version": parent.version,
                               "data": str(Path(data).resolve()), "n_labelled": len(y),
                               "max_fpr": max_fpr, "review_fpr": review_fpr,
                               "calibration_data_sha256": digest})
            mlflow.log_metrics({f"{side}_{k}": float(v)
                                for side, m in (("before", before), ("after", after))
                                for k, v in m.items() if v == v})
            plot_reliability(y, parent.calibration(margin), p_after,
                             tmp / "plots" / "reliability_before_after.png")
            mlflow.log_artifacts(str(tmp / "plots"), artifact_path="plots")
            mlflow.set_tags({"fakedetect.task": parent.task, "fakedetect.kind": "calibrate",
                             "parent_version": parent.version,
                             "calibration_data_sha256": digest})
            if registry:
                from fakedetect.scoring import resolve_account_model
                from fakedetect.train import log_pyfunc

                account = resolve_account_model(cfg, parent, model_uri)
                account_folder = (Path(str(account.metadata["model_folder"]))
                                  if account is not None
                                  and account.metadata.get("model_folder") else None)
                model_uri_new = log_pyfunc(new, _Rows(X[parent.features]), folder,
                                           account_folder)
        if registry:
            from fakedetect.train import register_version

            name = parent.name
            mv = register_version(client, name, model_uri_new, result.run_id)
            result.version = str(mv.version)
            for key, value in (("parent_version", parent.version),
                               ("calibration_data_sha256", digest),
                               ("calibration_n", str(len(y))),
                               ("metric.test_fpr_op", f"{after['fpr_fake']:.4f}"),
                               ("metric.test_ece", f"{after['ece']:.4f}"),
                               ("gate", " | ".join(reasons)),
                               (tracking.MANIFEST_TAG, tracking.manifest_digest(folder))):
                client.set_model_version_tag(name, result.version, key, value)
            tracking.set_alias(client, name, cfg.challenger_alias, result.version)
            if promote and not ok:
                reasons.append("promoted anyway (--promote)")
            result.promoted = ok or promote
            if result.promoted:
                tracking.set_alias(client, name, cfg.champion_alias, result.version)
            new.metadata.update({"model_name": name, "model_version": result.version})
            dest = out or cfg.output_dir / "models" / f"{name}-v{result.version}"
        else:
            dest = out or Path(model_uri).with_name(Path(model_uri).name + "-calibrated")
        result.folder = new.save(dest)
    return result


class _Rows:
    """The one attribute of :class:`fakedetect.train.Prepared` the pyfunc logger reads."""

    def __init__(self, X: pd.DataFrame) -> None:
        self.X = X


def _gate(before: dict[str, float], after: dict[str, float], max_fpr: float,
          genuine: int) -> list[str]:
    """Whether the recalibrated model should become champion, in plain words.

    The cross-fitted false-positive rate must be within ``max_fpr`` give or take its
    sampling error on ``genuine`` accounts (one-sided 95%), and the cross-fitted
    calibration error no worse than the parent's on the same accounts.
    """
    slack = 1.645 * math.sqrt(max_fpr * (1 - max_fpr) / max(genuine, 1))
    fpr_ok = after["fpr_fake"] <= max_fpr + slack
    ece_ok = after["ece"] <= before["ece"]
    return [
        f"{'pass' if fpr_ok else 'FAIL'}: cross-fitted false-positive rate at likely fake "
        f"{after['fpr_fake']:.2%} (cap {max_fpr:.0%} + {slack:.2%} sampling error; parent "
        f"{before['fpr_fake']:.2%})",
        f"{'pass' if ece_ok else 'FAIL'}: cross-fitted calibration error "
        f"{after['ece']:.3f} vs parent {before['ece']:.3f} on the same accounts",
    ]
