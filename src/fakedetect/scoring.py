"""Which models score, and how: the one place that decides it.

``train``, ``predict``, ``evaluate``, ``features``, ``calibrate``, the command line and
the Dask engine all come here for:

- :func:`load_models` and :func:`resolve_account_model`: from an influencer model's
  metadata, the account model that scores its audience samples (the one recorded at
  training when it can be found, else the account champion, else the rule-based
  fallback);
- :func:`account_scorer_from` and :class:`ModelScorer`: an account model wrapped as the
  audience scorer the features take;
- :func:`score_frame`: scores, verdicts and reasons of feature rows (the pyfunc's output).
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from fakedetect.errors import UserError

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pandas as pd

    from fakedetect.config import Config
    from fakedetect.model import FakeModel
    from fakedetect.quantify import ErrorRates

AccountScorer = Callable[["pd.DataFrame"], np.ndarray]


def score_frame(model: FakeModel, X: pd.DataFrame, *, top_reasons: int = 3,
                n_jobs: int | None = None) -> pd.DataFrame:
    """Score feature rows; the pyfunc's output and the core of ``predict``.

    Parameters
    ----------
    model : FakeModel
    X : pandas.DataFrame
        Feature rows (missing features are an error; extra columns are ignored).
    top_reasons : int
        Reasons per row.
    n_jobs : int, optional
        Threads of LightGBM and the compiled kernels (``None``: every core).

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

    from fakedetect.explain import explain_frame, is_reason
    from fakedetect.intervals import authenticity_score, probability_interval

    margin = model.margin(X, n_jobs=n_jobs)
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
        contrib, base = model.contributions(X, n_jobs=n_jobs)
        tidy = explain_frame(model, X, top=top_reasons, contrib=contrib, base=base)
        k = min(top_reasons, len(model.features))
        for i in range(k):
            part = tidy.iloc[i::k]
            shown = is_reason(part["feature"], part["value"])  # computed behaviour only
            out[f"reason_{i + 1}"] = np.where(shown, part["sentence"].to_numpy(), "")
            out[f"feature_{i + 1}"] = part["feature"].to_numpy()
            out[f"contribution_{i + 1}"] = part["contribution"].to_numpy()
    return out


#: Why an influencer account with no history is not scored, as ``predict`` says it.
NO_HISTORY = ("too little history: no snapshots and fewer than {min_posts} posts with "
              "likes, so nothing to judge growth or engagement by (use --task account for "
              "a profile-only score)")
#: The feature that is computed exactly when an account has a snapshot.
SNAPSHOT_MARK = "snapshots__history_length_days"
#: Engagement features computed on every post, liked or not: not a mark of coverage.
_ALWAYS_POSTS = ("posts__posts_per_week__last_30",)


def history_gate(X: pd.DataFrame, task: str) -> tuple[np.ndarray, np.ndarray]:
    """Which feature rows ``predict`` scores, and why it leaves the others unscored.

    An influencer account with no snapshot and fewer than
    :data:`~fakedetect.features.registry.MIN_POSTS` posts with likes has nothing to be
    judged by; ``predict`` gives it ``status = not_scored``. Feature rows say so by
    their ``coverage__snapshots`` and ``coverage__posts`` columns (``fakedetect
    features`` writes them) or, without them (``FeatureBuilder`` returns the features
    only), by the features those tables give: ``snapshots__history_length_days`` is
    computed exactly when there is a snapshot, the engagement features exactly when
    there are enough posts with likes.

    Parameters
    ----------
    X : pandas.DataFrame
        Feature rows.
    task : str
        The model's task; only ``influencer`` rows need a history.

    Returns
    -------
    can : numpy.ndarray of bool
        Rows to score.
    why : numpy.ndarray of str
        Empty for rows to score, else the reason ``predict`` gives.
    """
    from fakedetect.features.outputs import group_names
    from fakedetect.features.registry import MIN_POSTS

    n = len(X)
    can = np.ones(n, dtype=bool)
    if task != "influencer":
        return can, np.full(n, "", dtype=object)
    if "coverage__snapshots" in X:
        snaps = X["coverage__snapshots"].fillna(False).to_numpy(dtype=bool)
    elif SNAPSHOT_MARK in X:
        snaps = X[SNAPSHOT_MARK].notna().to_numpy()
    else:
        snaps = np.ones(n, dtype=bool)  # nothing tells: score as before
    if "coverage__posts" in X:
        posts = X["coverage__posts"].fillna(False).to_numpy(dtype=bool)
    else:
        marks = [f for f in group_names("engagement")
                 if f.startswith("posts__") and f not in _ALWAYS_POSTS and f in X]
        posts = (X[marks].notna().any(axis=1).to_numpy() if marks
                 else np.ones(n, dtype=bool))
    can = snaps | posts
    why = np.where(can, "", NO_HISTORY.format(min_posts=MIN_POSTS)).astype(object)
    return can, why


def audience_gaps(model: FakeModel) -> list[str]:
    """Features the model always had in training but a follower sample cannot provide.

    An audience row holds only followers, following, posts, profile picture, private flag,
    bio length and the username; a model that never saw those other features missing
    (e.g. one trained on Purba's engagement aggregates) reads their absence as a value
    it never learned, and would call every follower fake.
    """
    import pandas as pd

    from fakedetect.features import audience_profile_features

    probe = pd.DataFrame({"account_id": ["a"], "follower_username": ["probe_user1"],
                          "followers": [10], "following": [10], "posts": [1],
                          "has_profile_pic": [True], "is_private": [False],
                          "bio_length": [5]})
    filled = audience_profile_features(probe).iloc[0]
    never = model.metadata.get("never_missing") or []
    return [f for f in never if f in filled.index and pd.isna(filled[f])]


def account_scorer_from(model: FakeModel | None, *, n_jobs: int | None = None
                        ) -> ModelScorer | None:
    """Wrap an account model as the audience scorer the features expect.

    Parameters
    ----------
    model : FakeModel or None
    n_jobs : int, optional
        Threads the scorer's predictions use (``None``: every core).

    Returns
    -------
    ModelScorer or None
        ``None`` (the rule-based fallback) for no model, or when the model depends on
        features a follower sample cannot provide (see :func:`audience_gaps`), with a
        warning that names them.
    """
    if model is None:
        return None
    gaps = audience_gaps(model)
    if gaps:
        logging.getLogger("fakedetect").warning(
            "%s v%s needs %s, which follower samples do not have; the audience share "
            "uses the rule-based fallback instead (train the account model on profile "
            "fields only, e.g. training/account-instafake.yaml)",
            model.name, model.version, ", ".join(gaps[:4]))
        return None

    return ModelScorer(model, n_jobs=n_jobs)


class ModelScorer:
    """An account model as the audience scorer: called with a frame of account features,
    or, faster on large samples, with the feature columns (:meth:`score_columns`).

    Parameters
    ----------
    model : FakeModel
        An ``account``-task model.
    n_jobs : int, optional
        Threads of its predictions (``None``: every core).
    """

    def __init__(self, model: FakeModel, *, n_jobs: int | None = None) -> None:
        self.model = model
        self.n_jobs = n_jobs

    def with_n_jobs(self, n_jobs: int | None) -> ModelScorer:
        """The same scorer on ``n_jobs`` threads."""
        twin = copy.copy(self)
        twin.n_jobs = n_jobs
        return twin

    @property
    def error_rates(self) -> ErrorRates | None:
        """The model's error rates on accounts it did not train on (stored at training),
        which correct the audience share; ``None`` for a model trained without them."""
        from fakedetect.quantify import ErrorRates

        raw = self.model.metadata.get("error_rates")
        if not raw:
            return None
        try:
            return ErrorRates.from_dict(raw)
        except (KeyError, TypeError, ValueError) as exc:
            raise UserError(f"{self.model.name} v{self.model.version}: the stored error "
                            f"rates are unreadable ({exc})",
                            hint="retrain the account model") from exc

    def __call__(self, frame: pd.DataFrame) -> np.ndarray:
        """Fake probability of every row of an account-feature frame."""
        return self.model.predict_proba(frame, n_jobs=self.n_jobs)

    def score_columns(self, columns: Mapping[str, np.ndarray], rows: int) -> np.ndarray:
        """The same probabilities from feature columns (see
        :meth:`FakeModel.predict_proba_columns`)."""
        return self.model.predict_proba_columns(columns, rows, n_jobs=self.n_jobs)

    def keys(self, columns: Mapping[str, np.ndarray], rows: int) -> np.ndarray | None:
        """Decision-pattern keys of feature columns (see
        :meth:`FakeModel.pattern_keys_columns`); ``None`` when the model has none."""
        return self.model.pattern_keys_columns(columns, rows, n_jobs=self.n_jobs)

    def score_keys(self, keys: np.ndarray) -> np.ndarray:
        """Fake probabilities of rows given by :meth:`keys`, each pattern scored once."""
        return self.model.predict_proba_keys(keys, n_jobs=self.n_jobs)

    @property
    def inputs(self) -> list[str] | None:
        """The features :meth:`score_columns` needs: those the trees split on (a tree
        never reads the others, so leaving them out changes nothing); ``None`` when the
        trees cannot be read (all features)."""
        return self.model.split_features()


def check_model(cfg: Config, model_uri: str | None, task: str) -> None:
    """Refuse a model the registry or the disk does not hold, downloading nothing: what
    the scoring commands run before reading any data.

    Parameters
    ----------
    cfg : Config
    model_uri : str or None
        ``models:/...`` or a model folder; default the task's champion.
    task : str
        ``account`` or ``influencer`` (used for the default URI).

    Raises
    ------
    UserError
        See :func:`fakedetect.tracking.check_model_uri`.
    """
    from fakedetect import tracking

    tracking.check_model_uri(model_uri or cfg.champion_uri(task), cfg)


def load_models(cfg: Config, model_uri: str | None, task: str, *,
                n_jobs: int | None = None) -> tuple[FakeModel, ModelScorer | None]:
    """Load the scoring model and, for an influencer model, the audience scorer.

    Parameters
    ----------
    cfg : Config
    model_uri : str or None
        ``models:/...`` or an exported folder; default the task's champion.
    task : str
        ``account`` or ``influencer`` (used for the default URI).
    n_jobs : int, optional
        Threads of the account scorer (``None``: every core).

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

    uri = model_uri or cfg.champion_uri(task)
    model = tracking.resolve_model(uri, cfg)
    return model, account_scorer_from(resolve_account_model(cfg, model, uri), n_jobs=n_jobs)


def resolve_account_model(cfg: Config, model: FakeModel, uri: str) -> FakeModel | None:
    """The account model that scores an influencer model's audience samples: the one
    place that decides it, for the local and the Dask engine alike (see
    :func:`load_models`). ``None`` means the rule-based fallback. The returned model's
    metadata ``model_folder`` names the verified folder it was loaded from.
    """
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
