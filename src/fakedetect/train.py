"""Train, calibrate, track and register a fake-account or inflated-influencer model.

The data is split once: a stratified held-out **test** share that nothing but the final
report ever sees, and the rest for training. On the rest, k-fold cross-validation trains
one booster per fold (early stopping on a slice of the fold's own training part), which
gives the cross-validation metrics with their spread and an out-of-fold margin for every
training account. Calibration and the verdict thresholds are fitted on those out-of-fold
margins; the final booster trains on the whole training part for the median number of
rounds the folds chose. The test metrics are therefore honest: the test accounts were
never used for early stopping, calibration, thresholds or tuning.
"""

from __future__ import annotations

import json
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fakedetect.errors import UserError

if TYPE_CHECKING:
    from collections.abc import Sequence

    import lightgbm as lgb
    import pandas as pd

    from fakedetect.audit import AuditResult
    from fakedetect.cache import FeatureCache
    from fakedetect.config import Config
    from fakedetect.experiment import Experiment
    from fakedetect.model import FakeModel
    from fakedetect.validate import Dataset

AccountScorer = Callable[["pd.DataFrame"], np.ndarray]
#: ``fit(params, X, y, names, rounds)`` -> booster, for a fixed number of rounds.
Fitter = Callable[[dict[str, Any], np.ndarray, np.ndarray, list[str], int], "lgb.Booster"]


@dataclass
class Prepared:
    """Features and labels of a labelled dataset, deduplicated."""

    X: pd.DataFrame
    full: pd.DataFrame
    y: np.ndarray
    fraud_type: np.ndarray
    followers: np.ndarray
    niche: np.ndarray
    dropped_duplicates: int
    unlabelled: int
    audience_method: str
    source: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    world: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))

    def rows(self, rows: np.ndarray) -> Prepared:
        """The prepared accounts at positions (or a boolean mask) ``rows``."""
        return replace(self, X=self.X.iloc[rows], full=self.full.iloc[rows],
                       y=self.y[rows], fraud_type=self.fraud_type[rows],
                       followers=self.followers[rows], niche=self.niche[rows],
                       source=self.source[rows], world=self.world[rows])

    def group(self, column: str) -> np.ndarray:
        """The ``source`` or ``world`` of every account (labels columns)."""
        if column not in ("source", "world"):
            raise UserError(f"accounts can be grouped by source or world, not {column!r}",
                            hint="use source or world")
        return self.source if column == "source" else self.world


@dataclass
class TrainResult:
    """What a training run produced.

    Attributes
    ----------
    model : FakeModel
        The calibrated model (also saved under ``folder``).
    metrics : dict
        Test metrics (``test_*``) and cross-validation means and spreads (``cv_*``).
    run_id : str or None
        The MLflow run.
    version : str or None
        The registered model version.
    promoted : bool
        Whether this version became champion.
    gate : list of str
        Why it was (not) promoted, in plain words.
    folder : Path
        Local copy of the model folder.
    transfer : list of str
        The figures on populations the model did not train on (left-out sources,
        held-out worlds), one line each.
    """

    model: FakeModel
    metrics: dict[str, float]
    run_id: str | None = None
    version: str | None = None
    promoted: bool = False
    gate: list[str] = field(default_factory=list)
    folder: Path | None = None
    transfer: list[str] = field(default_factory=list)


def prepare(dataset: Dataset, experiment: Experiment, *,
            account_scorer: AccountScorer | None = None,
            cache: FeatureCache | None = None) -> Prepared:
    """Build features for the labelled accounts (read from ``cache`` when built before),
    drop exact duplicates.

    Raises
    ------
    UserError
        No labels table, or a single class.
    """
    import pandas as pd

    from fakedetect.cache import NO_CACHE
    from fakedetect.features import feature_names

    labels = dataset.get("labels")
    if labels is None:
        raise UserError(f"{dataset.path}: training needs a labels table "
                        "(account_id, is_fake, fraud_type)",
                        hint="add labels.csv, or import a labelled dataset")
    names = list(experiment.features or feature_names(experiment.task))
    all_names = set(feature_names(experiment.task))
    unknown = [n for n in names if n not in all_names]
    if unknown:
        raise UserError(f"{experiment.source}: unknown feature(s) for task "
                        f"{experiment.task}: {', '.join(unknown[:5])}",
                        hint="`fakedetect features --list` prints the registry")
    feats = (cache or NO_CACHE).build(dataset, experiment.task, account_scorer=account_scorer)
    lab = labels.assign(account_id=labels["account_id"].astype(str)).set_index("account_id")
    ids = feats.index.astype(str)
    has = ids.isin(lab.index)
    feats = feats[has]
    lab = lab.loc[feats.index.astype(str)]
    full = feats[list(feature_names(experiment.task))].astype("float64")
    X = full[names]
    y = lab["is_fake"].astype("int64").to_numpy()
    acc = dataset.accounts.assign(account_id=dataset.accounts["account_id"].astype(str))
    acc = acc.set_index("account_id").loc[X.index.astype(str)]
    dup_key = pd.concat([X.reset_index(drop=True), pd.Series(y, name="__y")], axis=1)
    keep = ~dup_key.duplicated().to_numpy()
    if len(np.unique(y[keep])) < 2:
        raise UserError(f"{dataset.path}: the labels hold a single class",
                        hint="training needs both genuine (0) and fake (1) accounts")
    fraud = (lab["fraud_type"].astype("string").fillna("").to_numpy(dtype=object)
             if "fraud_type" in lab else np.full(len(lab), "", dtype=object))
    niche = (acc["niche"].astype("string").fillna("").to_numpy(dtype=object)
             if "niche" in acc else np.full(len(acc), "", dtype=object))
    method = "model" if account_scorer is not None else "rules"
    groups = {}
    for column, default in (("source", Path(str(dataset.path)).name), ("world", "")):
        groups[column] = (lab[column].astype("string").fillna(default).to_numpy(dtype=object)
                          if column in lab else np.full(len(lab), default, dtype=object))
    return Prepared(
        X=X[keep], full=full[keep], y=y[keep], fraud_type=fraud[keep],
        followers=acc["followers"].astype("float64").to_numpy()[keep],
        niche=niche[keep], dropped_duplicates=int((~keep).sum()),
        unlabelled=int((~has).sum()), audience_method=method,
        source=groups["source"][keep], world=groups["world"][keep],
    )


def combine(parts: Sequence[Prepared], experiment: Experiment) -> Prepared:
    """One prepared set from the datasets of several sources.

    With ``features: shared`` in the experiment, only the features that every source
    provides are kept (present for at least half of each source's accounts): a column
    one source lacks would otherwise let the model tell the sources apart by what is
    missing, not tell fakes from genuine accounts. Exact duplicates (features used and
    label) are dropped again across sources.
    """
    import pandas as pd

    if len(parts) == 1 and not experiment.shared_features:
        return parts[0]
    X = pd.concat([p.X for p in parts])
    full = pd.concat([p.full for p in parts])
    names = list(X.columns)
    if experiment.shared_features:
        sources = np.concatenate([p.source for p in parts])
        present = X.notna().groupby(sources).mean()
        names = [n for n in names if bool((present[n] >= 0.5).all())]
        if not names:
            raise UserError("the datasets share no feature (features: shared)",
                            hint="list the features to use in the experiment file")
        X = X[names]
    cat = {k: np.concatenate([getattr(p, k) for p in parts])
           for k in ("y", "fraud_type", "followers", "niche", "source", "world")}
    key = pd.concat([X.reset_index(drop=True), pd.Series(cat["y"], name="__y")], axis=1)
    keep = ~key.duplicated().to_numpy()
    merged = Prepared(X=X, full=full, dropped_duplicates=0, unlabelled=0,
                      audience_method=parts[0].audience_method, **cat).rows(keep)
    return replace(merged,
                   dropped_duplicates=sum(p.dropped_duplicates for p in parts)
                   + int((~keep).sum()),
                   unlabelled=sum(p.unlabelled for p in parts))


def _constraints(names: list[str], use: bool) -> list[int]:
    from fakedetect.features import get_feature

    if not use:
        return [0] * len(names)
    out = []
    for n in names:
        spec = get_feature(n)
        out.append(int(spec.direction) if spec.monotone else 0)
    return out


def balance_weights(prep: Prepared, how: str) -> np.ndarray | None:
    """Training weights that give each source (and each class within it) the same total
    weight, averaging 1; ``None`` for ``how="none"``."""
    if how == "none":
        return None
    cell = prep.source.astype(str)
    if how == "sources_and_classes":
        cell = np.char.add(np.char.add(cell, "\x00"), prep.y.astype(str))
    _, code, counts = np.unique(cell, return_inverse=True, return_counts=True)
    w = 1.0 / counts[code]
    return w * (len(w) / w.sum())


def _fit(params: dict[str, Any], X: np.ndarray, y: np.ndarray, names: list[str],
         rounds: int, valid: tuple[np.ndarray, ...] | None = None,
         patience: int = 0, weight: np.ndarray | None = None) -> lgb.Booster:
    import lightgbm as lgb

    train = lgb.Dataset(X, label=y, weight=weight, feature_name=names, free_raw_data=True)
    callbacks = []
    valid_sets = None
    if valid is not None:
        valid_sets = [lgb.Dataset(valid[0], label=valid[1],
                                  weight=valid[2] if len(valid) > 2 else None,
                                  reference=train)]
        callbacks.append(lgb.early_stopping(patience, verbose=False))
    return lgb.train(params, train, num_boost_round=rounds, valid_sets=valid_sets,
                     callbacks=callbacks)


def fit_model(prep: Prepared, experiment: Experiment, *, fitter: Fitter | None = None,
              fixed_rounds: int | None = None
              ) -> tuple[FakeModel, dict[str, float], dict[str, np.ndarray]]:
    """Split, cross-validate, calibrate, fit the final booster and measure it on test.

    By default the folds stop early on a slice of their training part. With
    ``fixed_rounds``, every fold trains on its whole training part for that many rounds
    (for a fitter that cannot stop early, such as the Dask engine's). ``fitter`` fits
    the final booster, and with ``fixed_rounds`` the folds too; calibration, thresholds
    and metrics are the same either way.

    Returns
    -------
    model : FakeModel
    metrics : dict
        ``test_*`` metrics at the chosen thresholds and ``cv_*`` means and standard
        deviations over folds.
    held_out : dict
        ``X_test`` row positions and test probabilities, for plots.
    """
    from sklearn.model_selection import StratifiedKFold, train_test_split

    from fakedetect.metrics import binary_metrics, threshold_for_fpr
    from fakedetect.model import Calibration, FakeModel

    names = list(prep.X.columns)
    X = prep.X.to_numpy(dtype=np.float64)
    y = prep.y
    seed = experiment.seed
    idx = np.arange(len(y))
    strat = y
    train_idx, test_idx = train_test_split(idx, test_size=experiment.test_size,
                                           random_state=seed, stratify=strat)
    train_idx = np.sort(train_idx)
    test_idx = np.sort(test_idx)
    params = {**experiment.params, "seed": seed, "bagging_seed": seed,
              "feature_fraction_seed": seed, "data_random_seed": seed,
              "monotone_constraints": _constraints(names, experiment.monotone)}
    if any(params["monotone_constraints"]):
        # "advanced" was seen to break a constraint slightly (LightGBM 4.7); "intermediate"
        # kept every direction in our behaviour test.
        params.setdefault("monotone_constraints_method", "intermediate")
    weight = balance_weights(prep, experiment.balance)
    if weight is not None and fitter is not None:
        raise UserError(f"balance: {experiment.balance} needs the local engine",
                        hint="train with --engine local, or set balance: none")
    wtr = None if weight is None else weight[train_idx]
    Xtr, ytr = X[train_idx], y[train_idx]
    oof = np.zeros(len(train_idx), dtype=np.float64)
    best: list[int] = []
    fold_metrics: list[dict[str, float]] = []
    skf = StratifiedKFold(n_splits=experiment.folds, shuffle=True, random_state=seed)
    splits = list(skf.split(Xtr, ytr))
    fit = fitter or _fit
    for k, (a, b) in enumerate(splits):
        if fixed_rounds is not None:
            booster = (fit(params, Xtr[a], ytr[a], names, fixed_rounds) if wtr is None
                       else _fit(params, Xtr[a], ytr[a], names, fixed_rounds, weight=wtr[a]))
            best.append(fixed_rounds)
            oof[b] = booster.predict(Xtr[b], raw_score=True)
            continue
        fit_i, stop_i = train_test_split(a, test_size=experiment.valid_fraction,
                                         random_state=seed + k, stratify=ytr[a])
        booster = _fit(params, Xtr[fit_i], ytr[fit_i], names, experiment.max_rounds,
                       valid=(Xtr[stop_i], ytr[stop_i]) if wtr is None
                       else (Xtr[stop_i], ytr[stop_i], wtr[stop_i]),
                       patience=experiment.early_stopping_rounds,
                       weight=None if wtr is None else wtr[fit_i])
        best.append(int(booster.best_iteration or experiment.max_rounds))
        oof[b] = booster.predict(Xtr[b], raw_score=True,
                                 num_iteration=booster.best_iteration)
    # Cross-validation metrics on calibrated probabilities: each fold is calibrated on the
    # other folds' out-of-fold margins, so no fold is scored by a map fitted on itself.
    for a, b in splits:
        cal_k = Calibration.fit(oof[a], ytr[a], experiment.calibration,
                                weight=None if wtr is None else wtr[a])
        fold_metrics.append(binary_metrics(ytr[b], cal_k(oof[b]), 0.5, score=oof[b]))
    calibration = Calibration.fit(oof, ytr, experiment.calibration, weight=wtr)
    oof_p = calibration(oof)
    t_fake = threshold_for_fpr(oof_p, ytr, experiment.max_fpr)
    t_review = min(threshold_for_fpr(oof_p, ytr, experiment.review_fpr), t_fake)
    rounds = max(1, int(np.median(best)))
    final = (fit(params, Xtr, ytr, names, rounds) if wtr is None
             else _fit(params, Xtr, ytr, names, rounds, weight=wtr))
    model = FakeModel(booster=final, task=experiment.task, features=names,
                      calibration=calibration, threshold_fake=t_fake,
                      threshold_review=t_review)
    test_margin = model.margin(prep.X.iloc[test_idx])
    test_p = model.calibration(test_margin)
    metrics = {f"test_{k}": v for k, v in binary_metrics(
        y[test_idx], test_p, t_fake, score=test_margin).items()}
    for key in ("roc_auc", "pr_auc", "accuracy", "brier", "ece"):
        vals = np.array([m[key] for m in fold_metrics], dtype=np.float64)
        metrics[f"cv_{key}_mean"] = float(np.nanmean(vals))
        metrics[f"cv_{key}_std"] = float(np.nanstd(vals))
    oof_m = binary_metrics(ytr, oof_p, t_fake, score=oof)
    metrics["oof_recall_op"] = oof_m["recall_op"]
    metrics["oof_fpr_op"] = oof_m["fpr_op"]
    metrics["threshold_fake"] = t_fake
    metrics["threshold_review"] = t_review
    metrics["num_rounds"] = float(rounds)
    model.metadata.update({
        "num_rounds": rounds,
        "fold_best_rounds": best,
        "max_fpr": experiment.max_fpr,
        "review_fpr": experiment.review_fpr,
        "experiment": experiment.name,
        "seed": seed,
    })
    never_missing = [n for j, n in enumerate(names) if not np.isnan(Xtr[:, j]).any()]
    model.metadata["never_missing"] = never_missing
    from fakedetect.trust import training_metadata  # drift reference, interval tables

    groups = next((g[train_idx] for g in (prep.world, prep.source)
                   if len(g) == len(y) and len(set(g[train_idx].astype(str)) - {""}) > 1), None)
    model.metadata.update(training_metadata(prep.X.iloc[train_idx], oof, ytr, groups))
    return model, metrics, {"test_idx": test_idx, "test_p": test_p, "train_idx": train_idx,
                            "test_margin": test_margin, "oof_p": oof_p, "oof_y": ytr}


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    out = {}
    for pkg in ("fakedetect", "lightgbm", "numpy", "pandas", "scikit-learn", "mlflow",
                "shap", "pyarrow"):
        try:
            out[pkg] = version(pkg)
        except Exception:  # package metadata missing in odd installs
            out[pkg] = "unknown"
    return out


def train(data: str | Path | Sequence[str | Path], experiment: Experiment, cfg: Config, *,
          promote: bool = False, lenient: bool = False,
          log: Callable[[str], None] = lambda s: None,
          fit: Callable[[Prepared, Experiment], tuple[FakeModel, dict[str, float],
                                                      dict[str, np.ndarray]]] | None = None,
          out: str | Path | None = None,
          cache: FeatureCache | None = None) -> TrainResult:
    """Train, track in MLflow, register and (if it earns it) promote a model.

    Parameters
    ----------
    data : path-like or sequence of path-like
        A labelled dataset folder, or several (each account keeps its ``source``; with
        two sources or more, each is also left out in turn and measured).
    experiment : Experiment
        What to train and how.
    cfg : Config
        Tracking store, experiment and registered model names.
    promote : bool, default False
        Make the new version champion even if it fails the gate.
    lenient : bool, default False
        Drop invalid accounts instead of failing (they are listed in the run).
    log : callable
        Receives progress lines.
    fit : callable, optional
        Replaces :func:`fit_model` (same arguments and results), e.g. the Dask engine's
        :class:`~fakedetect.scale.dask_train.DaskFit`; tracking, registry and gate are
        the same.
    cache : FeatureCache, optional
        Where built features are kept (default: built every time).
    out : path-like, optional
        Folder for the local copy of the model folder (default: OUTPUT/models).

    Returns
    -------
    TrainResult
    """
    import mlflow

    from fakedetect import tracking
    from fakedetect.validate import load_dataset

    client = tracking.connect(cfg)  # fail before any work if the store is down
    started = time.time()
    folders = ([Path(data)] if isinstance(data, (str, Path))
               else [Path(d) for d in data])
    datasets = [load_dataset(d, lenient=lenient) for d in folders]
    dataset = datasets[0]
    scorer = None
    audience_model = None
    if experiment.task == "influencer":
        acc_name = cfg.model_name("account")
        if tracking.alias_version(client, acc_name, cfg.champion_alias) is not None:
            from fakedetect.scoring import account_scorer_from

            audience_model = tracking.resolve_model(cfg.champion_uri("account"), cfg)
            scorer = account_scorer_from(audience_model)
            log(f"audience share from {acc_name} v{audience_model.version}")
        else:
            log("no account model registered: audience share from the rule-based fallback")
    prep = combine([prepare(d, experiment, account_scorer=scorer, cache=cache)
                    for d in datasets],
                   experiment)
    log(f"{len(prep.y):,} labelled accounts ({int(prep.y.sum()):,} fake), "
        f"{prep.X.shape[1]} features, {prep.dropped_duplicates:,} duplicates dropped")
    prep, held_out = split_holdout(prep, experiment)
    if held_out is not None:
        log(f"  of them {len(prep.y):,} ({int(prep.y.sum()):,} fake) in the training worlds, "
            f"{len(held_out.y):,} ({int(held_out.y.sum()):,} fake) in held-out worlds that "
            "only judge the model")
    if experiment.holdout is not None and held_out is None:
        log(f"holdout: no {experiment.holdout.column} matches "
            f"{experiment.holdout.match!r} in this data; nothing is held out")
    fitter = fit or fit_model
    model, metrics, held = fitter(prep, experiment)
    test_idx, test_p = held["test_idx"], held["test_p"]
    transfer_lines: list[str] = []
    sources = sorted(set(prep.source))
    populations: dict[str, dict[str, float]] = {}
    if len(sources) > 1:
        loso, populations, lines = leave_one_source_out(prep, experiment, fitter, log=log)
        metrics.update(loso)
        transfer_lines += lines
    if held_out is not None:
        hm, lines = heldout_metrics(model, held_out, experiment)
        metrics.update(hm)
        transfer_lines += lines
    audit = world_audit(model, prep, test_idx, held_out)
    if audit is not None:
        metrics["shortcut_count"] = float(len(audit.shortcuts))
        metrics["shortcut_max_spread"] = float(audit.table["spread"].max())
        transfer_lines.append(
            f"shortcut audit over {len(audit.worlds)} worlds: "
            + (", ".join(f"{f} ({s:.2f} log-odds)" for f, s in audit.table.loc[
                audit.table["shortcut"], ["feature", "spread"]].itertuples(index=False))
               or f"no feature's push on genuine creators varies by more than "
                  f"{audit.threshold} log-odds between worlds"))
    if experiment.task == "account":
        from fakedetect.quantify import combine_rates, rates_from_scores

        pooled = rates_from_scores(held["oof_p"], held["oof_y"], model.threshold_fake)
        model.metadata["error_rates"] = combine_rates(pooled, populations).to_dict()
    from fakedetect.metrics import fraud_type_recall, group_metrics, tier_of

    yt = prep.y[test_idx]
    metrics.update({f"test_{k}": v for k, v in fraud_type_recall(
        yt, test_p, model.threshold_fake, prep.fraud_type[test_idx]).items()})
    metrics.update(group_metrics(yt, test_p, model.threshold_fake,
                                 tier_of(prep.followers[test_idx]), "test_tier",
                                 score=held["test_margin"]))
    if any(prep.niche):
        metrics.update(group_metrics(yt, test_p, model.threshold_fake,
                                     prep.niche[test_idx], "test_niche",
                                     score=held["test_margin"]))
    model.metadata.update({
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "versions": _versions(),
        "audience_method": prep.audience_method,
        "audience_model": (f"{audience_model.name} v{audience_model.version}"
                           if audience_model is not None else None),
        "metrics": {k: v for k, v in metrics.items()
                    if k.startswith(("test_roc", "test_pr", "test_acc", "test_recall_op",
                                     "test_fpr_op", "test_brier", "test_ece", "cv_",
                                     "loso_", "heldout_"))},
        "sources": sources,
    })
    name = cfg.model_name(experiment.task)
    exp_id = tracking.experiment_id(client, cfg, experiment.task)
    digest = data_digest(prep)
    result = TrainResult(model=model, metrics=metrics)
    with tempfile.TemporaryDirectory(prefix="fakedetect-train-") as tmpdir:
        tmp = Path(tmpdir)
        folder = model.save(tmp / tracking.ARTIFACT_KEY)
        with mlflow.start_run(experiment_id=exp_id,
                              run_name=f"{experiment.name}-seed{experiment.seed}") as run:
            result.run_id = run.info.run_id
            mlflow.log_params(experiment.to_params())
            mlflow.log_params({"data": ", ".join(str(f.resolve()) for f in folders),
                               "sources": ", ".join(sources),
                               "n_features": prep.X.shape[1],
                               "n_labelled": len(prep.y),
                               "duplicates_dropped": prep.dropped_duplicates,
                               "audience_method": prep.audience_method})
            _log_dataset(prep, folders[0], dataset)
            mlflow.log_metrics({k: float(v) for k, v in metrics.items()
                                if v == v and np.isfinite(v)})
            _log_artifacts(model, prep, held, tmp, experiment)
            if audit is not None:
                mlflow.log_text(audit.table.to_csv(index=False), "shortcut_audit.csv")
            account_folder = (Path(str(audience_model.metadata["model_folder"]))
                              if audience_model is not None
                              and audience_model.metadata.get("model_folder") else None)
            model_uri = log_pyfunc(model, prep, folder, account_folder)
            mlflow.set_tags({"fakedetect.task": experiment.task,
                             "fakedetect.engine": str(model.metadata.get("engine", "local")),
                             "fakedetect.rejects": str(len(dataset.rejects))})
        mv = register_version(client, name, model_uri, result.run_id)
        result.version = str(mv.version)
        for key in ("test_roc_auc", "test_pr_auc", "test_accuracy", "test_recall_op",
                    "test_fpr_op", "test_ece", "cv_accuracy_mean", "cv_roc_auc_mean"):
            if key in metrics and metrics[key] == metrics[key]:
                client.set_model_version_tag(name, result.version, f"metric.{key}",
                                             f"{metrics[key]:.4f}")
        client.set_model_version_tag(name, result.version, "experiment", experiment.name)
        client.set_model_version_tag(name, result.version, tracking.MANIFEST_TAG,
                                     tracking.manifest_digest(folder))
        client.set_model_version_tag(name, result.version, tracking.DATA_TAG, digest)
        client.set_model_version_tag(name, result.version, tracking.SOURCES_TAG,
                                     ",".join(sources))
        client.update_model_version(name, result.version, description=(
            tracking.describe_version(
                task=experiment.task, data=[str(f.resolve()) for f in folders],
                sources=sources, labelled=len(prep.y), fake=int(prep.y.sum()),
                digest=digest, metrics=metrics, experiment=experiment.name,
                run_id=str(result.run_id),
                mlflow_experiment=cfg.experiments.get(experiment.task))))
        tracking.set_alias(client, name, cfg.challenger_alias, result.version)
        promoted, reasons = gate(model, metrics, experiment, prep, test_idx, cfg, client,
                                 data_sha256=digest)
        if promote and not promoted:
            reasons.append("promoted anyway (--promote)")
            promoted = True
        if promoted:
            tracking.move_champion(client, cfg, name, result.version, action="train",
                                   reason=" | ".join(reasons), log_run=False)
        else:
            reasons.append(f"v{result.version} stays challenger; to make it champion "
                           f"anyway: fakedetect promote {name} {result.version} "
                           "--reason TEXT")
        result.promoted = promoted
        result.gate = reasons
        client.set_model_version_tag(name, result.version, "gate", " | ".join(reasons))
        model.metadata.update({"model_name": name, "model_version": result.version})
        # named by the run too: a rebuilt store's version 1 never overwrites another's
        result.folder = model.save(Path(out if out is not None else cfg.output_dir / "models")
                                   / f"{name}-v{result.version}-{result.run_id[:8]}")
    result.transfer = transfer_lines
    log(f"trained in {time.time() - started:.1f} s")
    return result


def world_audit(model: FakeModel, prep: Prepared, test_idx: np.ndarray,
                held_out: Prepared | None) -> AuditResult | None:
    """The shortcut audit (:func:`fakedetect.audit.shortcut_audit`) on the accounts the
    final model did not train on: the test split and the held-out worlds. ``None`` when
    the accounts come from fewer than two worlds."""
    from fakedetect.audit import shortcut_audit

    parts = [prep.rows(test_idx)] + ([held_out] if held_out is not None else [])
    world = np.concatenate([p.world for p in parts]).astype(str)
    if len(set(world) - {""}) < 2:
        return None
    import pandas as pd

    X = pd.concat([p.full[model.features] if set(model.features) <= set(p.full) else p.X
                   for p in parts])
    y = np.concatenate([p.y for p in parts])
    return shortcut_audit(model, X, y, world)


def split_holdout(prep: Prepared, experiment: Experiment
                  ) -> tuple[Prepared, Prepared | None]:
    """Set the experiment's held-out groups apart: they take no part in training,
    early stopping, calibration or thresholds.

    Returns ``(prep, None)`` when the pattern matches no group (data without worlds).

    Raises
    ------
    UserError
        The pattern matches every group.
    """
    import fnmatch

    hold = experiment.holdout
    if hold is None:
        return prep, None
    groups = prep.group(hold.column).astype(str)
    names = sorted(set(groups))
    out = {g for g in names if fnmatch.fnmatchcase(g, hold.match)}
    if not out:
        return prep, None
    if len(out) == len(names):
        raise UserError(f"holdout: {hold} matches all {len(names)} {hold.column} values "
                        f"({', '.join(names[:8])})",
                        hint="the pattern must leave some groups to train on")
    mask = np.isin(groups, sorted(out))
    return prep.rows(~mask), prep.rows(mask)


def _transfer_metrics(model: FakeModel, part: Prepared) -> dict[str, float]:
    from fakedetect.metrics import binary_metrics, fraud_type_recall

    X = part.full[model.features] if set(model.features) <= set(part.full) else part.X
    margin = model.margin(X)
    p = model.calibration(margin)
    m = binary_metrics(part.y, p, model.threshold_fake, score=margin)
    genuine = part.y == 0
    m["fpr_review"] = (float((p[genuine] >= model.threshold_review).mean())
                       if genuine.any() else float("nan"))
    out = {k: m[k] for k in ("roc_auc", "pr_auc", "ece", "brier", "fpr_op", "fpr_review",
                             "recall_op", "precision_op", "n", "positives")}
    out.update(fraud_type_recall(part.y, p, model.threshold_fake, part.fraud_type))
    return out


def _line(label: str, m: dict[str, float], experiment: Experiment) -> str:
    return (f"{label}: ROC-AUC {m['roc_auc']:.3f}, ECE {m['ece']:.3f}, false positives "
            f"{100 * m['fpr_op']:.1f}% at likely fake (goal <= "
            f"{200 * experiment.max_fpr:.0f}%), {100 * m['fpr_review']:.1f}% at review, "
            f"recall {100 * m['recall_op']:.1f}% ({int(m['n']):,} accounts, "
            f"{int(m['positives']):,} fake)")


def heldout_metrics(model: FakeModel, part: Prepared, experiment: Experiment
                    ) -> tuple[dict[str, float], list[str]]:
    """Figures of the final model on the held-out groups: all together
    (``heldout_*``) and each group (``heldout_<group>_*``)."""
    assert experiment.holdout is not None
    column = experiment.holdout.column
    metrics = {f"heldout_{k}": v for k, v in _transfer_metrics(model, part).items()}
    lines = [_line(f"held-out {column}s ({experiment.holdout.match})",
                   {k.removeprefix("heldout_"): v for k, v in metrics.items()}, experiment)]
    groups = part.group(column).astype(str)
    for g in sorted(set(groups)):
        m = _transfer_metrics(model, part.rows(groups == g))
        metrics.update({f"heldout_{g}_{k}": v for k, v in m.items()})
    return metrics, lines


def leave_one_source_out(prep: Prepared, experiment: Experiment,
                         fitter: Callable[..., tuple[FakeModel, dict[str, float],
                                                     dict[str, np.ndarray]]],
                         log: Callable[[str], None] = lambda s: None,
                         ) -> tuple[dict[str, float], dict[str, dict[str, float]], list[str]]:
    """Train on all sources but one and measure on the one left out, for each source.

    Each run is a full training (cross-validation, calibration and thresholds on the
    other sources only), so the figures say how the model does on a population it
    never saw.

    Returns
    -------
    metrics : dict
        ``loso_<source>_<metric>`` (ROC-AUC, PR-AUC, ECE, Brier, false-positive rate at
        both thresholds, recall and precision at ``likely fake``), and the worst ROC-AUC
        and false-positive rate over sources (``loso_worst_*``).
    populations : dict
        Source -> the left-out model's error rates on it
        (:func:`~fakedetect.quantify.rates_from_scores`), for the quantifier.
    lines : list of str
        One line per source, in plain words.
    """
    from fakedetect.quantify import rates_from_scores

    metrics: dict[str, float] = {}
    populations: dict[str, dict[str, float]] = {}
    lines: list[str] = []
    for source in sorted(set(prep.source)):
        out = prep.source == source
        rest = prep.rows(~out)
        if len(np.unique(rest.y)) < 2:
            lines.append(f"left-out {source}: the other sources hold a single class; skipped")
            continue
        log(f"leave-one-source-out: training without {source}")
        model, _, _ = fitter(rest, experiment)
        part = prep.rows(out)
        m = _transfer_metrics(model, part)
        metrics.update({f"loso_{source}_{k}": v for k, v in m.items()})
        lines.append(_line(f"left-out source {source}", m, experiment))
        X = part.full[model.features] if set(model.features) <= set(part.full) else part.X
        populations[source] = rates_from_scores(model.predict_proba(X), part.y,
                                                model.threshold_fake)
    aucs = [v for k, v in metrics.items() if k.endswith("_roc_auc") and v == v]
    fprs = [v for k, v in metrics.items() if k.endswith("_fpr_op") and v == v]
    if aucs:
        metrics["loso_worst_roc_auc"] = float(min(aucs))
    if fprs:
        metrics["loso_worst_fpr_op"] = float(max(fprs))
    return metrics, populations, lines


def register_version(client: Any, name: str, model_uri: str, run_id: str | None) -> Any:
    """Register the logged model as a new version of ``name`` (created if new), through
    the client, which reports nothing on the terminal.

    Parameters
    ----------
    client : mlflow.MlflowClient
        The registry.
    name : str
        The registered model.
    model_uri : str
        The logged model (``models:/m-...`` or a run URI).
    run_id : str or None
        The run that logged it.

    Returns
    -------
    mlflow.entities.model_registry.ModelVersion
        The new version.
    """
    from mlflow.exceptions import MlflowException

    try:
        client.create_registered_model(name)
    except MlflowException as exc:
        if "ALREADY_EXISTS" not in str(exc.error_code):
            raise
    model_id = model_uri.removeprefix("models:/") if model_uri.startswith("models:/m-") \
        else None
    return client.create_model_version(name, source=model_uri, run_id=run_id,
                                       model_id=model_id)


def data_digest(prep: Prepared) -> str:
    """SHA-256 of the labelled accounts a model learns from: source, id and label of each.

    Two trainings with the same digest saw the same accounts with the same labels, so
    with the same seed and test share they hold out the same test accounts; the champion
    gate compares only such versions.
    """
    import hashlib

    import pandas as pd

    n = len(prep.y)
    source = prep.source.astype(str) if len(prep.source) == n else np.full(n, "")
    frame = pd.DataFrame({"source": source, "account_id": prep.X.index.astype(str),
                          "is_fake": prep.y.astype(np.int64)})
    frame = frame.sort_values(["source", "account_id"], kind="stable")
    return hashlib.sha256(frame.to_csv(index=False).encode("utf-8")).hexdigest()


def gate(model: FakeModel, metrics: dict[str, float], experiment: Experiment,
         prep: Prepared, test_idx: np.ndarray, cfg: Config, client: Any, *,
         data_sha256: str | None = None) -> tuple[bool, list[str]]:
    """Decide whether a new version becomes champion.

    It must pass every validation criterion of the experiment on the test data, and beat
    the current champion's ``primary_metric`` on the same test accounts. A champion
    trained on other labelled accounts (another :func:`data_digest`, e.g. other sources)
    is not compared with: the new version is not promoted, and the reasons say so.
    """
    from fakedetect import tracking
    from fakedetect.metrics import binary_metrics

    reasons: list[str] = []
    ok = True
    for c in experiment.criteria:
        value = metrics.get(f"test_{c.metric}", float("nan"))
        passed = c.passes(value)
        ok &= passed
        reasons.append(f"{'pass' if passed else 'FAIL'}: test {c} (got {value:.4f})")
    name = cfg.model_name(experiment.task)
    champ = tracking.alias_version(client, name, cfg.champion_alias)
    if champ is None:
        reasons.append("no champion yet")
        return ok, reasons
    theirs = champ.tags.get(tracking.DATA_TAG)
    if data_sha256 is not None and theirs != data_sha256:
        was = champ.tags.get(tracking.SOURCES_TAG) or "data it did not record"
        now = ",".join(sorted(set(prep.source.astype(str)))) or "unnamed"
        reasons.append(f"HOLD: champion v{champ.version} was trained on other labelled "
                       f"accounts (sources {was}; this version: {now}), so the two cannot "
                       "be compared on the same test accounts; the champion is kept")
        return False, reasons
    try:
        current = tracking.resolve_model(f"models:/{name}/{champ.version}", cfg)
        cur_margin = current.margin(prep.full.iloc[test_idx])
    except UserError as exc:
        reasons.append(f"FAIL: champion v{champ.version} cannot score this test data "
                       f"({exc.message}), so the new version cannot show it is better")
        return False, reasons
    key = experiment.primary_metric
    cur = binary_metrics(prep.y[test_idx], current.calibration(cur_margin),
                         current.threshold_fake, score=cur_margin).get(key, np.nan)
    new = metrics.get(f"test_{key}", np.nan)
    beats = bool(new > cur)
    ok &= beats
    reasons.append(f"{'pass' if beats else 'FAIL'}: {key} {new:.4f} vs champion "
                   f"v{champ.version} {cur:.4f} on the same test data")
    return ok, reasons


def _log_dataset(prep: Prepared, path: Path, dataset: Dataset) -> None:
    import mlflow

    frame = prep.X.reset_index().assign(is_fake=prep.y.astype(np.float64))
    with warnings.catch_warnings():
        # "source can be read several ways" and the integer-column schema hint
        warnings.simplefilter("ignore", UserWarning)
        ds = mlflow.data.from_pandas(frame, source=str(path.resolve()), targets="is_fake",
                                     name=path.name)
        mlflow.log_input(ds, context="training")


def _log_artifacts(model: FakeModel, prep: Prepared, held: dict[str, np.ndarray],
                   tmp: Path, experiment: Experiment) -> None:
    import mlflow

    from fakedetect.metrics import plot_curves, plot_importance, plot_shap_summary

    plots = tmp / "plots"
    test_idx = held["test_idx"]
    plot_curves(prep.y[test_idx], held["test_p"], model.threshold_fake, plots,
                f"{experiment.name} (test)")
    gain = model.booster.feature_importance(importance_type="gain")
    plot_importance(model.features, gain, plots / "feature_importance.png")
    Xt = prep.X.iloc[test_idx]
    sample = Xt.iloc[: min(len(Xt), 2000)]
    contrib, _ = model.contributions(sample)
    plot_shap_summary(contrib, sample, plots / "shap_summary.png")
    mlflow.log_artifacts(str(plots), artifact_path="plots")
    if experiment.source is not None:
        mlflow.log_artifact(str(experiment.source), artifact_path="experiment")
    imp = {n: float(g) for n, g in zip(model.features, gain, strict=True)}
    mlflow.log_dict(imp, "feature_importance.json")
    mlflow.log_text(json.dumps(model.metadata.get("fold_best_rounds", [])),
                    "fold_best_rounds.json")


def pinned_requirements() -> list[str]:
    """Exact versions of what the served model imports."""
    v = _versions()
    return [f"{pkg}=={v[pkg]}" for pkg in ("lightgbm", "numpy", "pandas", "scikit-learn",
                                           "mlflow", "pyarrow")
            if v.get(pkg, "unknown") != "unknown"]


def log_pyfunc(model: FakeModel, prep: Prepared, folder: Path,
                account_folder: Path | None = None) -> str:
    """Log the pyfunc (:mod:`fakedetect.serving`) with the model folder and, for an
    influencer model trained with one, the account model folder.

    The signature declares the output (the answer to feature rows, with the evidence
    columns and ``not_assessed`` typed as an account answer holds them) and the
    ``top_reasons`` parameter, but no input schema: the model takes account records
    (with nested history) as well as feature rows, and validates account records
    against the data contract itself. The registry it is logged to is recorded in the
    model's ``model_config``, so the served model can name its registered version when
    no ``MLFLOW_TRACKING_URI`` points there.
    """
    import mlflow
    from mlflow.models import ModelSignature
    from mlflow.types import ParamSchema, ParamSpec

    import fakedetect
    from fakedetect.serving import (
        ACCOUNT_ARTIFACT,
        MODEL_ARTIFACT,
        REGISTRY_KEY,
        answer_feature_rows,
        answer_schema,
        recorded_registry,
    )

    example = prep.X.iloc[:3].reset_index(drop=True)
    output = answer_feature_rows(model, example, top_reasons=3)
    artifacts = {MODEL_ARTIFACT: str(folder)}
    if account_folder is not None:
        artifacts[ACCOUNT_ARTIFACT] = str(account_folder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # integer-column hint: ours are floats
        signature = ModelSignature(
            inputs=None, outputs=answer_schema(output),
            params=ParamSchema([ParamSpec("top_reasons", "long", 3)]))
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=str(Path(fakedetect.__file__).parent / "serving.py"),
            artifacts=artifacts,
            code_paths=[str(Path(fakedetect.__file__).parent)],
            signature=signature,
            input_example=example,
            pip_requirements=pinned_requirements(),
            model_config={REGISTRY_KEY: recorded_registry(mlflow.get_registry_uri())},
        )
    return str(info.model_uri)
