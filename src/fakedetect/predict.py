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
from fakedetect.memory import ordinary_pages

if TYPE_CHECKING:
    from collections.abc import Callable

    import pandas as pd

    from fakedetect.config import Config
    from fakedetect.drift import DriftReport
    from fakedetect.model import FakeModel
    from fakedetect.validate import Dataset

#: The tables whose presence each account's coverage lists.
COVERAGE_TABLES = ("snapshots", "posts", "comments", "audience")
#: Feature threads :func:`score_dataset` uses at most by default.
MAX_FEATURE_THREADS = 4


def score_frame(model: FakeModel, X: pd.DataFrame, *, top_reasons: int = 3
                ) -> pd.DataFrame:
    """Score feature rows; the pyfunc's output and the core of ``predict``.

    Parameters
    ----------
    model : FakeModel
    X : pandas.DataFrame
        Feature rows (missing features are an error; extra columns are ignored).
    top_reasons : int
        Reasons per row.

    Returns
    -------
    pandas.DataFrame
        ``fake_probability`` with its Venn-ABERS interval ``fake_probability_low`` and
        ``fake_probability_high`` (:mod:`fakedetect.intervals`), ``authenticity_score``
        (0-100, 100 = authentic; 0 or 100 only when the interval reaches it),
        ``verdict`` (``likely fake`` only when the interval's low end clears the
        threshold), and ``reason_i``, ``feature_i``, ``contribution_i`` for i = 1..top.
    """
    import pandas as pd

    from fakedetect.explain import explain_frame
    from fakedetect.intervals import authenticity_score, probability_interval

    margin = model.margin(X)
    p = model.calibration(margin)
    low, high = probability_interval(model, margin, p)
    out = pd.DataFrame({
        "fake_probability": p,
        "fake_probability_low": low,
        "fake_probability_high": high,
        "authenticity_score": authenticity_score(p, low, high),
        "verdict": model.verdict(p, low),
    }, index=X.index)
    if top_reasons > 0 and len(X):
        tidy = explain_frame(model, X, top=top_reasons)
        k = min(top_reasons, len(model.features))
        for i in range(k):
            part = tidy.iloc[i::k]
            out[f"reason_{i + 1}"] = part["sentence"].to_numpy()
            out[f"feature_{i + 1}"] = part["feature"].to_numpy()
            out[f"contribution_{i + 1}"] = part["contribution"].to_numpy()
    return out


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


@ordinary_pages()
def score_dataset(dataset: Dataset, model: FakeModel, *, top_reasons: int = 3,
                  account_scorer: Callable[[pd.DataFrame], np.ndarray] | None = None,
                  all_reasons: bool = False,
                  on_stage: Callable[[str], None] | None = None,
                  n_jobs: int | None = None) -> Scored:
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
        Threads building features (default: the machine's cores, at most
        :data:`MAX_FEATURE_THREADS`; pass 1 where other work shares the cores, as on a
        Dask worker).

    Returns
    -------
    Scored
    """
    import pandas as pd

    from fakedetect.explain import explain_frame
    from fakedetect.features import build_features

    stage = on_stage or (lambda name: None)
    stage("features")
    if n_jobs is None:
        n_jobs = min(os.cpu_count() or 1, MAX_FEATURE_THREADS)
    feats = build_features(dataset, model.task, account_scorer=account_scorer,
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
    can = pd.Series(True, index=feats.index)
    why = pd.Series("", index=feats.index, dtype=object)
    if model.task == "influencer":
        none = ~covered["snapshots"] & ~covered["posts"]
        can &= ~none
        from fakedetect.features.registry import MIN_POSTS

        why = why.where(~none, f"too little history: no snapshots and fewer than {MIN_POSTS} "
                               "posts with likes, so nothing to judge growth or engagement "
                               "by (use --task account for a profile-only score)")
    scored_ids = feats.index[can.to_numpy()]
    X = feats.loc[scored_ids]
    base = pd.DataFrame(index=feats.index)
    base["status"] = np.where(can, "scored", "not_scored")
    base["status_reason"] = why
    stage("scores")
    wide = score_frame(model, X, top_reasons=0)
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
        if share is not None else "")
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
        contrib, b = model.contributions(X)
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
    scores = base.reset_index(names="account_id")
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
    return write_table(scores, path)


def dataset_from_json(text: str) -> Dataset:
    """Build a one-account dataset from a JSON document (for ``predict -``).

    The document is either a flat account object (the accounts columns) or an object with
    an ``account`` key and optional ``snapshots``, ``posts``, ``comments``, ``audience``
    lists of row objects (``account_id`` may be omitted in them).

    Raises
    ------
    UserError
        Not JSON, not an object, or the rows break the contract.
    """
    import json
    import tempfile
    from pathlib import Path

    import pandas as pd

    from fakedetect.io import MAX_JSON_DEPTH, too_deep, write_table
    from fakedetect.validate import load_dataset

    if too_deep(text.encode("utf-8", "surrogatepass"), MAX_JSON_DEPTH) is not None:
        raise UserError(f"<stdin>: arrays or objects nested more than {MAX_JSON_DEPTH} deep",
                        hint="send one JSON object of account columns (and lists of rows)")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"<stdin>: not valid JSON ({exc.msg} at line {exc.lineno}, column "
                        f"{exc.colno})", hint="send one JSON object") from exc
    if not isinstance(doc, dict):
        raise UserError("<stdin>: expected a JSON object describing one account")
    nested = "account" in doc
    account = doc["account"] if nested else doc
    if not isinstance(account, dict):
        raise UserError("<stdin>: 'account' must be an object of account columns")
    # In a flat document `posts` is the profile's post count; lists are always tables.
    tables = {t: doc.get(t) for t in ("snapshots", "posts", "comments", "audience")
              if nested or isinstance(doc.get(t), list)}
    account = {k: v for k, v in account.items() if not isinstance(v, list | dict)}
    account.setdefault("account_id", "stdin")
    acc_id = account["account_id"]
    with tempfile.TemporaryDirectory(prefix="fakedetect-stdin-") as tmp:
        root = Path(tmp)
        write_table(pd.DataFrame([account]), root / "accounts.jsonl")
        for table, rows in tables.items():
            if rows is None:
                continue
            if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                raise UserError(f"<stdin>: {table!r} must be a list of objects")
            if rows:
                frame = pd.DataFrame([{"account_id": acc_id, **r} for r in rows])
                write_table(frame, root / f"{table}.jsonl")
        try:
            ds = load_dataset(root)
        except UserError as exc:  # name what the user sent, not a folder that is gone
            raise UserError(exc.message.replace(str(root), "<stdin>"),
                            hint=exc.hint) from None
        ds.path = Path("<stdin>")
        return ds


def load_models(cfg: Config, model_uri: str | None, task: str
                ) -> tuple[FakeModel, Callable[[pd.DataFrame], np.ndarray] | None]:
    """Load the scoring model and, for an influencer model, the audience scorer.

    Parameters
    ----------
    cfg : Config
    model_uri : str or None
        ``models:/...`` or an exported folder; default the task's champion.
    task : str
        ``account`` or ``influencer`` (used for the default URI).

    Returns
    -------
    model : FakeModel
    account_scorer : callable or None
        The account model scoring audience samples, chosen to match how the influencer
        model's audience features were computed in training (its metadata
        ``audience_method`` and ``audience_model``): ``None`` (the rule-based fallback)
        when it was trained on rule-based shares; otherwise the recorded account model
        version when the registry still has it, else the account champion, with a
        warning. For a model loaded from a folder, a sibling ``account`` folder (as
        ``fakedetect export`` writes for the demo) is used, with a warning when it is
        not the recorded version.
    """
    from fakedetect import tracking
    from fakedetect.train import account_scorer_from

    uri = model_uri or cfg.champion_uri(task)
    model = tracking.resolve_model(uri, cfg)
    return model, account_scorer_from(resolve_account_model(cfg, model, uri))


def resolve_account_model(cfg: Config, model: FakeModel, uri: str) -> FakeModel | None:
    """The account model that scores an influencer model's audience samples: the one
    place that decides it, for the local and the Dask engine alike (see
    :func:`load_models`). ``None`` means the rule-based fallback. The returned model's
    metadata ``model_folder`` names the verified folder it was loaded from.
    """
    import logging
    from pathlib import Path

    from fakedetect import tracking
    from fakedetect.model import FakeModel

    if model.task != "influencer" or model.metadata.get("audience_method") == "rules":
        return None
    log = logging.getLogger("fakedetect")
    recorded = model.metadata.get("audience_model")  # "NAME vVERSION" or None
    account: FakeModel | None = None
    if uri.startswith("models:/"):
        client = tracking.connect(cfg)
        name = cfg.model_name("account")
        if recorded and " v" in str(recorded):
            rec_name, rec_version = str(recorded).rsplit(" v", 1)
            try:
                account = tracking.resolve_model(f"models:/{rec_name}/{rec_version}", cfg)
            except Exception:  # deleted from the registry, or its artifacts are gone
                log.warning("%s v%s was trained with audience shares from %s, which the "
                            "registry no longer has; using the account champion instead",
                            model.name, model.version, recorded)
        if account is None and tracking.alias_version(client, name,
                                                      cfg.champion_alias) is not None:
            account = tracking.resolve_model(cfg.champion_uri("account"), cfg)
    else:
        sibling = _recorded_sibling(Path(uri), str(recorded or ""))
        if sibling is None and (Path(uri).parent / "account" / "MANIFEST.sha256").is_file():
            sibling = Path(uri).parent / "account"
        if sibling is not None:
            account = FakeModel.load(sibling)
            account.metadata["model_folder"] = str(sibling)
            found = f"{account.name} v{account.version}"
            if recorded and found != recorded:
                log.warning("%s v%s was trained with audience shares from %s, but the "
                            "folder beside it holds %s; audience features may be off "
                            "(export %s beside it: fakedetect export --model "
                            "models:/%s --out %s)", model.name, model.version, recorded,
                            found, recorded, str(recorded).replace(" v", "/"),
                            Path(uri).parent / "account")
    if account is None and model.metadata.get("audience_method") == "model":
        log.warning("%s v%s was trained with audience shares from %s, which is not beside "
                    "the model folder; the rule-based fallback is used instead (export it "
                    "beside it: fakedetect export --model models:/%s --out %s)",
                    model.name, model.version, recorded or "an account model",
                    str(recorded or "fakedetect-account@champion").replace(" v", "/"),
                    Path(uri).parent / "account")
    return account


def _recorded_sibling(folder: Path, recorded: str) -> Path | None:
    """The model folder beside ``folder`` that holds the recorded account model
    (``NAME vVERSION``), read from each sibling's metadata; ``None`` if there is none."""
    import json

    if " v" not in recorded:
        return None
    name, version = recorded.rsplit(" v", 1)
    for sibling in sorted(folder.parent.iterdir()) if folder.parent.is_dir() else []:
        meta = sibling / "metadata.json"
        if sibling == folder or not (sibling / "MANIFEST.sha256").is_file() or not meta.is_file():
            continue
        try:
            raw = json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if (raw.get("task") == "account" and str(raw.get("model_name")) == name
                and str(raw.get("model_version")) == version):
            return sibling
    return None
