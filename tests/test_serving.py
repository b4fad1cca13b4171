"""The logged pyfunc serves accounts: raw account records with nested history, as the
README's curl example sends them, and feature rows as before.

The pyfunc is loaded with ``mlflow.pyfunc.load_model`` and the README's JSON body goes
through MLflow's own request handler (``scoring_server.invocations``, what ``mlflow
models serve`` runs per request), without starting a server: the HTTP round trip of
feature rows is covered by ``tests/test_predict.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fakedetect.config import Config
from fakedetect.errors import UserError

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_body() -> str:
    """The JSON body of the README's curl example (between ``-d '`` and ``'``)."""
    text = README.read_text(encoding="utf-8")
    found = re.search(r"curl [^\n]*/invocations.*?-d '(\{.*?\})'", text, re.S)
    assert found, "the README has a curl example posting to /invocations"
    return found.group(1)


@pytest.fixture()
def pyfunc(trained, store: Config, monkeypatch: pytest.MonkeyPatch):
    import mlflow

    monkeypatch.setenv("MLFLOW_TRACKING_URI", store.tracking_uri)
    mlflow.set_tracking_uri(store.tracking_uri)
    return mlflow.pyfunc.load_model(f"models:/fakedetect-influencer/{trained.version}")


def _invoke(model, body: str) -> list[dict[str, object]]:
    from mlflow.pyfunc import scoring_server

    response = scoring_server.invocations(body, "application/json", model, None)
    assert response.status == 200, response.response
    return json.loads(response.response)["predictions"]


def test_readme_body_is_real_json_of_account_records() -> None:
    body = json.loads(readme_body())
    records = body["dataframe_records"]
    assert records and "..." not in readme_body()
    assert {"account_id", "followers", "history"} <= set(records[0])
    assert not any(k.startswith(("accounts__", "growth__", "engagement__"))
                   for r in records for k in r)


def test_pyfunc_scores_the_readme_body_like_predict(pyfunc, trained) -> None:
    from fakedetect.model import FakeModel
    from fakedetect.predict import dataset_from_json, score_dataset

    rows = _invoke(pyfunc, readme_body())
    records = json.loads(readme_body())["dataframe_records"]
    assert [r["account_id"] for r in rows] == [r["account_id"] for r in records]
    assert all(r["status"] == "scored" for r in rows), rows
    assert all(r["verdict"] in {"authentic", "review", "likely fake"} for r in rows)
    assert all(r["reason_1"] for r in rows)
    assert rows[0]["fake_follower_share"] is None  # no audience sample: null, not NaN
    # the same account through `fakedetect predict -` gives the same probability
    model = FakeModel.load(trained.folder)
    first = records[0]
    doc = {"account": {k: v for k, v in first.items() if k != "history"},
           **first["history"]}
    expected = score_dataset(dataset_from_json(json.dumps(doc)), model, top_reasons=3)
    assert rows[0]["fake_probability"] == pytest.approx(
        float(expected.scores["fake_probability"].iloc[0]), abs=1e-9)


def test_pyfunc_still_scores_feature_rows(pyfunc, trained, sim_dir: Path) -> None:
    from fakedetect.features import build_features
    from fakedetect.model import FakeModel
    from fakedetect.validate import load_dataset

    model = FakeModel.load(trained.folder)
    X = build_features(load_dataset(sim_dir), "influencer")[model.features].iloc[:3]
    body = json.dumps({"dataframe_records": json.loads(X.to_json(orient="records"))})
    rows = _invoke(pyfunc, body)
    np.testing.assert_allclose([r["fake_probability"] for r in rows],
                               model.predict_proba(X), atol=1e-9)


def test_account_records_break_the_contract_with_a_clear_message() -> None:
    from fakedetect.serving import dataset_from_records

    bad = pd.DataFrame([{"account_id": "a", "followers": -5}])
    with pytest.raises(UserError) as err:
        dataset_from_records(bad)
    assert "followers" in str(err.value) and "<request>" in str(err.value)
    with pytest.raises(UserError, match="history"):
        dataset_from_records(pd.DataFrame([{"account_id": "a", "followers": 5,
                                            "history": "yesterday"}]))


def test_profile_only_records_are_answered_not_scored(pyfunc) -> None:
    body = json.dumps({"dataframe_records": [{"account_id": "p1", "followers": 1200,
                                              "following": 300, "posts": 40}]})
    rows = _invoke(pyfunc, body)
    assert rows[0]["status"] == "not_scored" and "history" in rows[0]["status_reason"]


def test_the_answer_names_the_registered_version(pyfunc, trained) -> None:
    answer = _invoke(pyfunc, readme_body())
    assert {(r["model_name"], r["model_version"]) for r in answer} == {
        ("fakedetect-influencer", str(trained.version))}
