"""The MLflow pyfunc model, logged as code (no pickled Python object, no pickled booster).

MLflow executes this file when it loads a registered fakedetect model; the booster comes
from the model folder's LightGBM text file, verified against its checksums. It accepts
two kinds of input, one row per account:

* **accounts**: the columns of the data contract's ``accounts`` table (``account_id``,
  ``followers``, ``following``, ...), optionally with the account's history nested in a
  ``history`` column, an object of ``snapshots``, ``posts``, ``comments`` and
  ``audience`` lists of rows (``account_id`` may be left out in them). The rows are
  validated against the contract and featurised by the same code as ``fakedetect
  predict``; the answer holds ``predict``'s columns (``account_id``, ``status``,
  ``authenticity_score``, ``verdict``, the evidence such as ``spike_date``,
  ``reason_1`` ...) and ``not_assessed``, the lines ``fakedetect explain`` prints under
  "Not assessed".
* **feature rows**: the columns ``fakedetect features`` writes; the answer holds the
  scores, the top reasons, the model, the evidence columns (null: feature rows carry no
  history) and ``not_assessed``.

``model_version`` is the registered version, found in the registry MLflow resolved the
model with or, failing that, in the one the model was logged to; when neither knows it,
it says so and what to set.

An influencer model trained with an account model carries that account model as a second
artifact, so follower samples are scored as in training.

    mlflow models serve -m models:/fakedetect-influencer@champion --env-manager local
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mlflow.pyfunc
import pandas as pd
from mlflow.models import set_model

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from mlflow.types import Schema

    from fakedetect.model import FakeModel
    from fakedetect.predict import Scored
    from fakedetect.validate import Dataset

#: Artifact keys of the logged model: the scoring model and, for an influencer model
#: trained with one, the account model that scores follower samples.
MODEL_ARTIFACT = "fakedetect_model"
ACCOUNT_ARTIFACT = "account_model"
#: Key of the logged ``model_config`` that records the registry the model was logged to.
REGISTRY_KEY = "registry_uri"


def is_account_input(frame: pd.DataFrame, features: list[str]) -> bool:
    """Whether ``frame`` holds account records rather than feature rows.

    Feature rows carry the model's feature columns (``accounts__log_followers``, ...);
    account records carry contract columns such as ``account_id`` and ``followers`` and
    none of the features.
    """
    return not (set(features) & set(frame.columns))


def dataset_from_records(frame: pd.DataFrame) -> Dataset:
    """Validate account records (with optional nested history) as a dataset: the
    request's reading of :func:`fakedetect.records.dataset_from_records`, which ``fakedetect
    predict -`` shares.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per account: ``accounts`` columns, and optionally ``history``, an object
        of ``snapshots``, ``posts``, ``comments`` and ``audience`` lists of row objects.

    Returns
    -------
    Dataset

    Raises
    ------
    UserError
        An unknown key (named, with the closest known one), a row that breaks the data
        contract (named by table, row and column), or a history that is not an object of
        lists of objects.
    """
    from fakedetect.records import dataset_from_records as read

    return read(frame, where="<request>", row_word="row")


def recorded_registry(uri: str) -> str:
    """The registry URI as the logged model records it (``model_config``).

    A local SQLite or file store is made absolute, so the model finds it from any
    working directory; user name and password are dropped from a server address.

    Parameters
    ----------
    uri : str
        The registry URI the model is logged and registered to.

    Returns
    -------
    str
    """
    from pathlib import Path
    from urllib.parse import unquote, urlsplit, urlunsplit

    if uri.startswith("sqlite:///"):
        path = Path(unquote(uri[len("sqlite:///"):]))
        return f"sqlite:///{path.resolve()}"
    parts = urlsplit(uri)
    if _is_path(uri):
        return str(Path(uri).resolve())
    if parts.username or parts.password:
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit(parts._replace(netloc=netloc))
    return uri


def _local_store_exists(uri: str) -> bool | None:
    """Whether a local store (SQLite file, file-store folder with a registry) exists;
    ``None`` for a server or database the caller must decide about."""
    from pathlib import Path
    from urllib.parse import unquote, urlsplit

    if uri.startswith("sqlite:"):
        path = uri[len("sqlite:///"):] if uri.startswith("sqlite:///") else ""
        return bool(path) and Path(unquote(path)).is_file()
    parts = urlsplit(uri)
    if parts.scheme == "file":
        return (Path(unquote(parts.path)) / "models").is_dir()
    if _is_path(uri):
        return (Path(uri) / "models").is_dir()
    return None


def _is_path(uri: str) -> bool:
    """Whether a store URI is a plain folder path (no scheme, or a Windows drive letter;
    ``databricks`` and ``databricks-uc`` name a service, not a folder)."""
    from urllib.parse import urlsplit

    return len(urlsplit(uri).scheme) <= 1 and not uri.startswith("databricks")


def registries(recorded: str | None = None) -> list[str]:
    """The registries that may hold the served model, in the order they are asked.

    First the registry MLflow resolves ``models:/`` URIs with in this process (from
    ``MLFLOW_TRACKING_URI``, or MLflow's default ``sqlite:///mlflow.db`` in the working
    directory), then the one recorded when the model was logged. A local store that
    does not exist is left out, so asking never creates one; a recorded server or
    database is left out too (a registry that does not answer would hold up loading):
    point ``MLFLOW_TRACKING_URI`` at it.

    Parameters
    ----------
    recorded : str, optional
        :func:`recorded_registry` of the registry the model was logged to.

    Returns
    -------
    list of str
    """
    import mlflow

    out = []
    current = mlflow.get_registry_uri()
    if current and _local_store_exists(current) is not False:
        out.append(current)
    if recorded and recorded != current and _local_store_exists(recorded):
        out.append(recorded)
    return out


def registered_as(artifact: str, recorded: str | None = None) -> tuple[str, str] | None:
    """The registered name and version of the logged model holding ``artifact``.

    The model folder is logged before it is registered, so its metadata cannot hold
    the version; the registry knows it by the logged model's run (and, with MLflow 3,
    its model id), read from the ``MLmodel`` file above the artifact. The registries of
    :func:`registries` are asked in turn, each with its own client (no process-wide
    setting changes).

    Parameters
    ----------
    artifact : str
        The local path of the model-folder artifact.
    recorded : str, optional
        The registry URI recorded at logging time.

    Returns
    -------
    (name, version) or None
        ``None`` when no registry that exists knows exactly one version of the model.
    """
    import logging
    from pathlib import Path

    from mlflow.models import Model
    from mlflow.tracking import MlflowClient

    root = next((d for d in Path(artifact).resolve().parents if (d / "MLmodel").is_file()),
                None)
    if root is None:
        return None
    try:
        logged = Model.load(str(root / "MLmodel"))
    except (OSError, ValueError):
        return None
    if not logged.run_id:
        return None
    model_id = getattr(logged, "model_id", None)
    for uri in registries(recorded):
        try:
            client = MlflowClient(tracking_uri=uri, registry_uri=uri)
            versions = client.search_model_versions(f"run_id='{logged.run_id}'")
        except Exception as exc:  # MLflow raises many kinds; a failing registry is skipped
            logging.getLogger("fakedetect").warning(
                "registry %s could not be asked for this model's version: %s", uri,
                str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__)
            continue
        if model_id:
            versions = [v for v in versions
                        if getattr(v, "model_id", None) in (None, model_id)]
        if len(versions) == 1:
            return str(versions[0].name), str(versions[0].version)
    return None


def unknown_version(recorded: str | None = None) -> str:
    """What the answer's ``model_version`` says when no registry names the version."""
    where = (f" (it was logged to {recorded})" if recorded else "")
    return ("unknown: serve with MLFLOW_TRACKING_URI set to the registry that holds this "
            f"model{where}")


def not_assessed_column(model: FakeModel, X: pd.DataFrame,
                        evidence: Sequence[Mapping[str, object] | None] | None = None
                        ) -> list[list[str]]:
    """What could not be assessed for every row of ``X``, as ``fakedetect explain`` says
    it (:func:`fakedetect.explain.not_assessed_lines`).

    Parameters
    ----------
    model : FakeModel
    X : pandas.DataFrame
        Feature rows.
    evidence : sequence of mappings, optional
        Each row's score columns (the spike seen in a history too short to score is
        stated from them); ``None`` for feature rows, which carry no history.

    Returns
    -------
    list of list of str
        One list of lines per row, empty when everything was assessed.
    """
    import numpy as np

    from fakedetect.explain import not_assessed_lines
    from fakedetect.features import get_feature

    # the order explain_frame ranks missing features in (amount-of-data ones last, ties
    # in the model's order), so the lines list the signals as `explain` does
    feats = sorted(model.features, key=lambda f: get_feature(f).context)
    values = X[feats].to_numpy(dtype=np.float64, na_value=np.nan)
    days_at = feats.index("snapshots__history_length_days") if (
        "snapshots__history_length_days" in feats) else None
    seen: dict[tuple[bytes, float], list[str]] = {}
    out: list[list[str]] = []
    for i, row in enumerate(values):
        ev = evidence[i] if evidence is not None else None
        key = (np.isnan(row).tobytes(), float(row[days_at]) if days_at is not None else 0.0)
        if ev is None and key in seen:  # rows missing the same features read the same
            out.append(list(seen[key]))
            continue
        frame = pd.DataFrame({"account_id": "row", "feature": feats, "value": row})
        lines = not_assessed_lines(frame, "row", ev)
        if ev is None:
            seen[key] = lines
        out.append(lines)
    return out


def answer_accounts(scored: Scored, model: FakeModel) -> pd.DataFrame:
    """The served answer for account records: ``predict``'s columns and ``not_assessed``.

    Parameters
    ----------
    scored : Scored
        :func:`fakedetect.predict.score_dataset` of the request.
    model : FakeModel

    Returns
    -------
    pandas.DataFrame
        One row per account; missing values as ``None`` (JSON null).
    """
    from fakedetect.explain import verdict_basis_column

    scores = scored.scores  # reason columns already in display order (score_dataset)
    by_id = scores.assign(account_id=scores["account_id"].astype(str)).set_index(
        "account_id")
    X = scored.features
    rows = [by_id.loc[str(a)].to_dict() for a in X.index]
    lines = dict(zip(X.index.astype(str), not_assessed_column(model, X, rows), strict=True))
    out = scores.astype(object)
    out = out.where(scores.notna(), None)
    out["not_assessed"] = [lines.get(str(a), []) for a in scores["account_id"]]
    basis = dict(zip(X.index.astype(str), verdict_basis_column(model, X), strict=True))
    out["verdict_basis"] = [basis.get(str(a)) for a in scores["account_id"]]
    return out


def answer_feature_rows(model: FakeModel, frame: pd.DataFrame, top_reasons: int = 3
                        ) -> pd.DataFrame:
    """The served answer for feature rows, as ``predict`` gives it for the same account:
    ``account_id``, ``status`` and ``status_reason``, the scores and top reasons, the
    model, ``predict``'s evidence columns (null: feature rows carry no history) and
    ``not_assessed``.

    A row whose features say the account has no history (see
    :func:`fakedetect.scoring.history_gate`) is ``not_scored`` with ``predict``'s
    reason and no score, as ``predict`` leaves it.

    Parameters
    ----------
    model : FakeModel
    frame : pandas.DataFrame
        Feature rows; the ``account_id`` column, or an index named ``account_id`` (as
        ``FeatureBuilder`` returns it), names the accounts.
    top_reasons : int

    Returns
    -------
    pandas.DataFrame
        One row per input row; missing values as ``None`` (JSON null).
    """
    import numpy as np

    from fakedetect.evidence import SCORE_COLUMNS
    from fakedetect.scoring import history_gate, score_frame

    can, why = history_gate(frame, model.task)
    scores = score_frame(model, frame, top_reasons=top_reasons)
    scores = scores.drop(columns=[c for c in scores if c.startswith("feature_")])
    if "account_id" in frame:
        ids = frame["account_id"].astype(str).to_numpy()
    elif frame.index.name == "account_id":
        ids = frame.index.astype(str).to_numpy()
    else:
        ids = np.full(len(frame), None, dtype=object)
    scores.insert(0, "account_id", ids)
    scores.insert(1, "status", np.where(can, "scored", "not_scored"))
    scores.insert(2, "status_reason", why)
    scores["model_name"] = model.name
    scores["model_version"] = model.version
    out = scores.astype(object).where(scores.notna(), None)
    dropped = [c for c in out if c.startswith(("fake_probability", "authenticity_score",
                                               "reason_", "contribution_"))]
    out.loc[~can, dropped] = None
    out.loc[~can, "verdict"] = ""
    out.loc[~can, [c for c in out if c.startswith("reason_")]] = ""
    for col in SCORE_COLUMNS:
        out[col] = None
    lines = not_assessed_column(model, frame)
    out["not_assessed"] = [found if ok else [] for found, ok in zip(lines, can, strict=True)]
    from fakedetect.explain import verdict_basis_column

    basis = verdict_basis_column(model, frame)
    out["verdict_basis"] = [found if ok else None for found, ok in zip(basis, can, strict=True)]
    return out


def answer_schema(answer: pd.DataFrame) -> Schema:
    """The output schema of :func:`answer_feature_rows`' answer, with the types the
    null evidence columns and the ``not_assessed`` lists hold in an account answer."""
    import warnings

    from mlflow.models import infer_signature
    from mlflow.types import ColSpec, DataType, Schema
    from mlflow.types.schema import Array

    from fakedetect.evidence import SCORE_COLUMNS

    text = {"spike_date", "follower_tier"}
    typed = [c for c in answer.columns
             if c not in (*SCORE_COLUMNS, "not_assessed", "verdict_basis")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # integer-column hint
        inferred = infer_signature(answer[typed].iloc[:1], answer[typed]).outputs
    cols = list(inferred.inputs)  # type: ignore[union-attr]
    cols += [ColSpec(DataType.string if c in text else DataType.double, c, required=False)
             for c in SCORE_COLUMNS]
    cols.append(ColSpec(Array(DataType.string), "not_assessed"))
    cols.append(ColSpec(DataType.string, "verdict_basis", required=False))
    return Schema(cols)


class FakedetectPyfunc(mlflow.pyfunc.PythonModel):
    """Score account records or feature rows with a verified fakedetect model folder."""

    def load_context(self, context: Any) -> None:
        """Load and verify the model folder(s) logged as artifacts, and name the
        registered version from the registry that holds it."""
        from fakedetect.model import FakeModel

        self.model = FakeModel.load(context.artifacts[MODEL_ARTIFACT])
        config = getattr(context, "model_config", None) or {}
        recorded = config.get(REGISTRY_KEY) or None
        if not self.model.metadata.get("model_version"):
            found = registered_as(context.artifacts[MODEL_ARTIFACT], recorded)
            self.model.metadata.update(
                {"model_name": found[0], "model_version": found[1]} if found is not None
                else {"model_version": unknown_version(recorded)})
        self.scorer = None
        folder = context.artifacts.get(ACCOUNT_ARTIFACT)
        if folder:
            from fakedetect.scoring import account_scorer_from

            self.scorer = account_scorer_from(FakeModel.load(folder))

    def predict(self, context: Any, model_input: pd.DataFrame,
                params: dict[str, Any] | None = None) -> pd.DataFrame:
        """Scores, the top reasons and what was not assessed for each input row.

        Raises
        ------
        mlflow.exceptions.MlflowException
            A request that breaks the data contract (``INVALID_PARAMETER_VALUE``: the
            scoring server answers 400 with the problem and what to do).
        """
        from mlflow.exceptions import MlflowException
        from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

        from fakedetect.errors import UserError
        from fakedetect.predict import score_dataset

        top = int((params or {}).get("top_reasons", 3))
        frame = pd.DataFrame(model_input)
        if not is_account_input(frame, self.model.features):
            return answer_feature_rows(self.model, frame, top_reasons=top)
        try:
            dataset = dataset_from_records(frame)
        except UserError as exc:
            # the files' hint offers --lenient, which a request does not have
            hint = (exc.hint if exc.hint and "--lenient" not in exc.hint
                    else "fix the rows and columns named above and send the request again")
            raise MlflowException(f"{exc.message}\nwhat to do: {hint}",
                                  error_code=INVALID_PARAMETER_VALUE) from None
        scored = score_dataset(dataset, self.model, top_reasons=top,
                               account_scorer=self.scorer, n_jobs=1)
        return answer_accounts(scored, self.model)


set_model(FakedetectPyfunc())
