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
  ``authenticity_score``, ``verdict``, ``reason_1`` ...).
* **feature rows**: the columns ``fakedetect features`` writes; the answer holds the
  scores and the top reasons per row.

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
    from fakedetect.validate import Dataset

#: Artifact keys of the logged model: the scoring model and, for an influencer model
#: trained with one, the account model that scores follower samples.
MODEL_ARTIFACT = "fakedetect_model"
ACCOUNT_ARTIFACT = "account_model"
#: The history tables an account record may nest under ``history``.
HISTORY_TABLES = ("snapshots", "posts", "comments", "audience")


def is_account_input(frame: pd.DataFrame, features: list[str]) -> bool:
    """Whether ``frame`` holds account records rather than feature rows.

    Feature rows carry the model's feature columns (``accounts__log_followers``, ...);
    account records carry contract columns such as ``account_id`` and ``followers`` and
    none of the features.
    """
    return not (set(features) & set(frame.columns))


def dataset_from_records(frame: pd.DataFrame) -> Dataset:
    """Validate account records (with optional nested history) as a dataset.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per account: ``accounts`` columns, and optionally ``history``, an object
        of ``snapshots``, ``posts``, ``comments`` and ``audience`` lists of row objects.
        A list in a ``snapshots``, ``comments`` or ``audience`` column, or in ``posts``
        (where a number is the profile's post count), is read as that table too.

    Returns
    -------
    Dataset

    Raises
    ------
    UserError
        A row breaks the data contract (named by table, row and column), or the history
        is not an object of lists of objects.
    """
    import tempfile
    from pathlib import Path

    from fakedetect.errors import UserError
    from fakedetect.io import write_table
    from fakedetect.validate import load_dataset

    records = frame.to_dict(orient="records")
    accounts: list[dict[str, Any]] = []
    tables: dict[str, list[dict[str, Any]]] = {t: [] for t in HISTORY_TABLES}
    for i, rec in enumerate(records):
        history = rec.get("history")
        if _missing(history):
            history = {}
        if not isinstance(history, dict):
            raise UserError(f"request row {i + 1}: 'history' must be an object of "
                            f"{', '.join(HISTORY_TABLES)} lists",
                            hint='e.g. "history": {"snapshots": [{"date": "2026-10-01", '
                                 '"followers": 1200}]}')
        account = {k: _plain(v) for k, v in rec.items() if k != "history"
                   and not _is_rows(v) and not _missing(v)}
        account.setdefault("account_id", f"row{i + 1}")
        acc_id = account["account_id"]
        for table in HISTORY_TABLES:
            rows = history.get(table)
            if rows is None and _is_rows(rec.get(table)):
                rows = rec[table]
            if rows is None:
                continue
            if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                raise UserError(f"request row {i + 1}: history {table!r} must be a list "
                                "of objects")
            tables[table].extend({"account_id": acc_id, **{k: _plain(v) for k, v in r.items()}}
                                 for r in rows)
        accounts.append(account)
    with tempfile.TemporaryDirectory(prefix="fakedetect-serve-") as tmp:
        root = Path(tmp)
        write_table(pd.DataFrame(accounts), root / "accounts.jsonl")
        for table, rows in tables.items():
            if rows:
                write_table(pd.DataFrame(rows), root / f"{table}.jsonl")
        try:
            dataset = load_dataset(root)
        except UserError as exc:  # name the request, not a folder that is gone
            raise UserError(exc.message.replace(str(root), "<request>"),
                            hint=exc.hint) from None
    dataset.path = Path("<request>")
    return dataset


def _is_rows(value: object) -> bool:
    return isinstance(value, list)


def _plain(value: object) -> object:
    """A whole number that a table column turned into a float, back as an integer."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def registered_as(artifact: str) -> tuple[str, str] | None:
    """The registered name and version of the logged model holding ``artifact``.

    The model folder is logged before it is registered, so its metadata cannot hold
    the version; the registry knows it by the logged model's run (and, with MLflow 3,
    its model id), read from the ``MLmodel`` file above the artifact. The registry is
    asked only when ``MLFLOW_TRACKING_URI`` names one (as when serving ``models:/...``).

    Parameters
    ----------
    artifact : str
        The local path of the model-folder artifact.

    Returns
    -------
    (name, version) or None
        ``None`` when no tracking URI is set, the model is not registered, or the
        registry cannot say which single version it is.
    """
    import os
    from pathlib import Path

    if not os.environ.get("MLFLOW_TRACKING_URI"):
        return None
    from mlflow.exceptions import MlflowException
    from mlflow.models import Model
    from mlflow.tracking import MlflowClient

    root = next((d for d in Path(artifact).resolve().parents if (d / "MLmodel").is_file()),
                None)
    if root is None:
        return None
    try:
        logged = Model.load(str(root / "MLmodel"))
        if not logged.run_id:
            return None
        versions = MlflowClient().search_model_versions(f"run_id='{logged.run_id}'")
    except (MlflowException, OSError, ValueError):
        return None
    model_id = getattr(logged, "model_id", None)
    if model_id:
        versions = [v for v in versions if getattr(v, "model_id", None) in (None, model_id)]
    if len(versions) != 1:
        return None
    return str(versions[0].name), str(versions[0].version)


class FakedetectPyfunc(mlflow.pyfunc.PythonModel):
    """Score account records or feature rows with a verified fakedetect model folder."""

    def load_context(self, context: Any) -> None:
        """Load and verify the model folder(s) logged as artifacts."""
        from fakedetect.model import FakeModel

        self.model = FakeModel.load(context.artifacts[MODEL_ARTIFACT])
        if not self.model.metadata.get("model_version"):
            found = registered_as(context.artifacts[MODEL_ARTIFACT])
            if found is not None:
                self.model.metadata.update({"model_name": found[0], "model_version": found[1]})
        self.scorer = None
        folder = context.artifacts.get(ACCOUNT_ARTIFACT)
        if folder:
            from fakedetect.scoring import account_scorer_from

            self.scorer = account_scorer_from(FakeModel.load(folder))

    def predict(self, context: Any, model_input: pd.DataFrame,
                params: dict[str, Any] | None = None) -> pd.DataFrame:
        """Scores and the top reasons for each input row."""
        from fakedetect.predict import score_dataset
        from fakedetect.scoring import score_frame

        top = int((params or {}).get("top_reasons", 3))
        frame = pd.DataFrame(model_input)
        if not is_account_input(frame, self.model.features):
            return score_frame(self.model, frame, top_reasons=top)
        scored = score_dataset(dataset_from_records(frame), self.model, top_reasons=top,
                               account_scorer=self.scorer, n_jobs=1)
        scores = scored.scores.astype(object)
        return scores.where(scores.notna(), None)  # JSON null, not NaN, for what is missing


set_model(FakedetectPyfunc())
