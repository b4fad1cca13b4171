"""Score accounts: authenticity score, verdict, audience share and the top reasons.

Every input account comes out: scored, or with ``status = not_scored`` and the reason
(an invalid row dropped in lenient mode, or no history to judge an influencer by).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from fakedetect.errors import UserError
from fakedetect.scoring import score_frame

if TYPE_CHECKING:
    from collections.abc import Callable

    import pandas as pd

    from fakedetect.cache import FeatureCache
    from fakedetect.drift import DriftReport
    from fakedetect.model import FakeModel
    from fakedetect.validate import Dataset

#: The tables whose presence each account's coverage lists.
COVERAGE_TABLES = ("snapshots", "posts", "comments", "audience")


@dataclass
class Scored:
    """Output of :func:`score_dataset`.

    Attributes
    ----------
    scores : pandas.DataFrame
        One row per input account (scored or not), the columns of ``predict``'s output.
    reasons : pandas.DataFrame
        Tidy SHAP explanations of the scored accounts (all features, ranked).
    features : pandas.DataFrame
        The feature rows of the scored accounts.
    notes : list of str
        Warnings for a person: features that shifted away from the training data, features
        the model always had in training but that most of these accounts lack, verdicts
        that rest on values beyond the training range (their scores deserve less trust).
    drift : DriftReport or None
        The comparison with the model's training reference (:mod:`fakedetect.drift`);
        ``None`` for a model trained without one.
    """

    scores: pd.DataFrame
    reasons: pd.DataFrame
    features: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    drift: DriftReport | None = None

    @property
    def drifted(self) -> bool:
        """Whether the batch counts as unlike the training data (``--fail-on-drift``)."""
        return bool(self.drift is not None and self.drift.fired)


def score_dataset(dataset: Dataset, model: FakeModel, *, top_reasons: int = 3,
                  account_scorer: Callable[[pd.DataFrame], np.ndarray] | None = None,
                  all_reasons: bool = False,
                  on_stage: Callable[[str], None] | None = None,
                  n_jobs: int | None = None, cache: FeatureCache | None = None) -> Scored:
    """Score every account of a loaded dataset.

    Parameters
    ----------
    dataset : Dataset
        From :func:`fakedetect.validate.load_dataset`; its rejects appear as unscored rows.
    model : FakeModel
    top_reasons : int
        Plain-word reasons per account in ``scores``.
    account_scorer : callable, optional
        Scores audience samples (the account model); rules when ``None``.
    all_reasons : bool
        Keep every feature's contribution in ``reasons`` (for the report's waterfall);
        otherwise only the top ones.
    on_stage : callable, optional
        Called with the name of each stage as it starts (for progress display).
    n_jobs : int, optional
        Threads building features, predicting and explaining (``None``: the machine's
        cores; pass 1 where other work shares the cores, as on a Dask worker).
    cache : FeatureCache, optional
        Where built features are kept (default: built every time).

    Returns
    -------
    Scored
    """
    import pandas as pd

    from fakedetect.cache import NO_CACHE
    from fakedetect.explain import explain_frame

    stage = on_stage or (lambda name: None)
    stage("features")
    from fakedetect._compiled.runtime import effective_n_jobs

    n_jobs = effective_n_jobs(n_jobs)
    feats = (cache or NO_CACHE).build(dataset, model.task, account_scorer=account_scorer,
                                      n_jobs=n_jobs)
    feats.index = feats.index.astype(str)
    acc = dataset.accounts.assign(account_id=dataset.accounts["account_id"].astype(str))
    acc = acc.set_index("account_id").loc[feats.index]
    present = {t: dataset.get(t) is not None for t in COVERAGE_TABLES}
    cov_cols = {t: f"coverage__{t}" for t in COVERAGE_TABLES}
    covered = pd.DataFrame(
        {t: (feats[c].astype(bool) if c in feats else pd.Series(False, index=feats.index))
         for t, c in cov_cols.items()}, index=feats.index)
    coverage = pd.Series("accounts", index=feats.index, dtype=object)
    for t in COVERAGE_TABLES:
        coverage = coverage.where(~covered[t], coverage + "," + t)
    from fakedetect.scoring import history_gate

    gate, reason = history_gate(feats, model.task)  # the same rule as served feature rows
    can = pd.Series(gate, index=feats.index)
    why = pd.Series(reason, index=feats.index, dtype=object)
    scored_ids = feats.index[can.to_numpy()]
    X = feats.loc[scored_ids]
    base = pd.DataFrame(index=feats.index)
    base["status"] = np.where(can, "scored", "not_scored")
    base["status_reason"] = why
    stage("scores")
    wide = score_frame(model, X, top_reasons=0, n_jobs=n_jobs)
    for col in ("authenticity_score", "fake_probability", "fake_probability_low",
                "fake_probability_high"):
        base[col] = wide[col].reindex(feats.index)
    base["verdict"] = wide["verdict"].reindex(feats.index).fillna("")
    share = _audience_share(dataset, feats, account_scorer) if present["audience"] else None
    for col, src in (("fake_follower_share", "fake_share"),
                     ("fake_follower_share_low", "fake_share_low"),
                     ("fake_follower_share_high", "fake_share_high")):
        base[col] = (share[src].reindex(feats.index).astype("float64") if share is not None
                     else np.nan)
    base["audience_sample_size"] = (
        share["sample_size"].reindex(feats.index).fillna(0).astype("int64")
        if share is not None else 0)
    base["audience_method"] = (
        share["method"].reindex(feats.index).fillna("").astype(str)
        .where(base["audience_sample_size"] > 0, "")
        if share is not None else "")  # no method where no follower was sampled
    base["coverage"] = coverage
    base["model_name"] = model.name
    base["model_version"] = model.version
    base["followers"] = acc["followers"].astype("Int64")
    base["niche"] = (acc["niche"].astype("string").fillna("") if "niche" in acc else "")
    from fakedetect.evidence import headline_evidence, score_columns

    evidence = headline_evidence(dataset, base)  # the facts reasons and the report state
    for col, values in score_columns(evidence).items():
        base[col] = values.reindex(feats.index)
    if len(X):
        stage("explanations")
        contrib, b = model.contributions(X, n_jobs=n_jobs)
        tidy = explain_frame(model, X, top=None if all_reasons else max(top_reasons, 1),
                             contrib=contrib, base=b, evidence=evidence)
    else:
        contrib = np.zeros((0, len(model.features)))
        tidy = explain_frame(model, X.iloc[:0], top=1, contrib=contrib, base=np.zeros(0))
    k = min(top_reasons, len(model.features))
    top = tidy[(tidy["rank"] <= k) & tidy["value"].notna()]  # reasons: computed evidence
    for i in range(1, k + 1):
        part = top[top["rank"] == i].set_index("account_id")
        base[f"reason_{i}"] = part["sentence"].reindex(feats.index).fillna("")
        base[f"contribution_{i}"] = part["contribution"].reindex(feats.index)
    from fakedetect.drift import check_batch

    drift = check_batch(model, X, contrib)
    base["outside_training"] = (drift.outside.reindex(feats.index).fillna("")
                                if drift is not None else "")
    from fakedetect.explain import reorder_reason_columns

    # the same reasons, those that read with their push first (ranks are unchanged)
    scores = reorder_reason_columns(base.reset_index(names="account_id"), tidy, k)
    scores = _append_rejects(scores, dataset, model)
    notes = drift.warnings if drift is not None else _schema_notes(model, X)
    return Scored(scores=scores, reasons=tidy, features=X, notes=notes, drift=drift)


def _schema_notes(model: FakeModel, X: pd.DataFrame) -> list[str]:
    """Name the features the model never saw missing but most accounts here lack."""
    if not len(X):
        return []
    never = [f for f in model.metadata.get("never_missing", []) if f in X]
    share = X[never].isna().mean() if never else None
    lacking = [f for f in never if share is not None and share[f] > 0.5]
    if not lacking:
        return []
    return [f"{len(lacking)} feature(s) that were never missing when {model.name} "
            f"v{model.version} was trained are missing for most of these accounts: "
            f"{_listed(lacking)}. The model never learned what their absence means, "
            "so treat these scores with caution (or use a model trained on data like this)."]


def _listed(features: list[str], shown: int = 6) -> str:
    """Plain descriptions of the first ``shown`` features, and how many more there are."""
    from fakedetect.drift import feature_label

    text = "; ".join(feature_label(f) for f in features[:shown])
    return text + (f"; and {len(features) - shown} more" if len(features) > shown else "")


def _audience_share(dataset: Dataset, feats: pd.DataFrame,
                    account_scorer: Callable[[pd.DataFrame], np.ndarray] | None
                    ) -> pd.DataFrame:
    """Fake-follower share with its 95% interval, reusing the features when they hold it."""
    import pandas as pd

    from fakedetect.features import audience_fake_share
    from fakedetect.features.audience import share_method
    from fakedetect.quantify import Z95

    share_col, se_col, n_col = ("audience__fake_share__scorer_model",
                                "audience__fake_share__se", "audience__sample_size")
    if share_col not in feats or n_col not in feats or se_col not in feats:
        out = audience_fake_share(dataset, account_scorer=account_scorer)
        out.index = out.index.astype(str)
        return out
    share = feats[share_col].to_numpy(dtype=np.float64)
    se = feats[se_col].to_numpy(dtype=np.float64)
    n = feats[n_col].fillna(0).to_numpy(dtype=np.float64)
    n = np.where(np.isnan(share), 0.0, n)  # below the minimum sample the share is NaN
    return pd.DataFrame({
        "fake_share": share,
        "fake_share_low": np.clip(share - Z95 * se, 0.0, 1.0),
        "fake_share_high": np.clip(share + Z95 * se, 0.0, 1.0),
        "sample_size": n.astype(np.int64),
        "method": share_method(account_scorer),
    }, index=feats.index)


def _append_rejects(scores: pd.DataFrame, dataset: Dataset, model: FakeModel
                    ) -> pd.DataFrame:
    import pandas as pd

    rej = dataset.rejects
    if rej is None or not len(rej):
        return scores
    # accounts out = accounts in: every dropped accounts row, with an id or without one
    # (rows of other tables naming unknown accounts were never accounts)
    dropped = rej[rej["dropped"] == "account"]
    named = dropped[dropped["account_id"].notna()]
    named = named[~named["account_id"].isin(scores["account_id"])]
    first = named.groupby("account_id", sort=True)["reason"].first()
    unnamed = dropped[dropped["account_id"].isna()]
    ids = np.concatenate([first.index.astype(str).to_numpy(dtype=object),
                          np.full(len(unnamed), "", dtype=object)])
    reasons = np.concatenate([first.astype(str).to_numpy(dtype=object),
                              unnamed["reason"].astype(str).to_numpy(dtype=object)])
    if not len(ids):
        return scores
    extra = pd.DataFrame({
        "account_id": ids,
        "status": "not_scored",
        "status_reason": "invalid input: " + reasons.astype(str),
        "verdict": "",
        "coverage": "",
        "model_name": model.name,
        "model_version": model.version,
        "audience_sample_size": 0,
        "audience_method": "",
        "outside_training": "",
    })
    return pd.concat([scores, extra], ignore_index=True)


def write_scores(scores: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write the scores atomically as CSV, Parquet or JSON Lines (by suffix).

    Parameters
    ----------
    scores : pandas.DataFrame
        ``Scored.scores``.
    path : path-like
        The output file; its suffix (``.csv``, ``.parquet``, ``.jsonl``) picks the format.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    from fakedetect.io import format_of, write_table

    path = Path(path)
    if format_of(path) is None:
        raise UserError(f"{path}: unknown output format {path.suffix!r}",
                        hint="use --out scores.csv, scores.parquet or scores.jsonl")
    return write_table(rounded_for_file(scores), path)


#: Decimals each written column keeps (a multiple to one decimal, like the reasons say it).
FILE_DECIMALS = {"spike_vs_usual": 1}


def rounded_for_file(scores: pd.DataFrame) -> pd.DataFrame:
    """The scores as the file shows them: :data:`FILE_DECIMALS` applied, nothing else
    changed (the in-memory frame keeps full precision)."""
    cols = [c for c in FILE_DECIMALS if c in scores]
    if not cols:
        return scores
    return scores.assign(**{c: scores[c].astype("float64").round(FILE_DECIMALS[c])
                            for c in cols})


def dataset_from_json(text: str) -> Dataset:
    """Build a dataset of the accounts in a JSON document (for ``predict -``).

    The document is read as the served model reads a request
    (:func:`fakedetect.records.dataset_from_records`), in any of these shapes:

    - one account record: the ``accounts`` columns, history nested under ``history``
      (``{"account_id": "lena", "followers": 24100, "history": {"snapshots": [...]}}``);
    - a list of such records, or MLflow's ``{"dataframe_records": [...]}``;
    - ``{"account": {...}, "snapshots": [...], "posts": [...], ...}``.

    ``account_id`` may be omitted (``stdin``, or ``stdin1``, ``stdin2``... for a list).

    Raises
    ------
    UserError
        Not JSON, nested too deep, an unknown key (with the closest known one), or rows
        that break the contract.
    """
    import json

    from fakedetect.io import MAX_JSON_DEPTH, too_deep
    from fakedetect.records import dataset_from_records, records_from_json

    if too_deep(text.encode("utf-8", "surrogatepass"), MAX_JSON_DEPTH) is not None:
        raise UserError(f"<stdin>: arrays or objects nested more than {MAX_JSON_DEPTH} deep",
                        hint="send one JSON object of account columns (and lists of rows)")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"<stdin>: not valid JSON ({exc.msg} at line {exc.lineno}, column "
                        f"{exc.colno})", hint="send one JSON object") from exc
    records = records_from_json(doc, "<stdin>")
    if len(records) == 1:
        records = [{"account_id": "stdin", **records[0]}]
    return dataset_from_records(records, where="<stdin>", row_word="record",
                                default_id="stdin")
