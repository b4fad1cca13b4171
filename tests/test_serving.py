"""The logged pyfunc serves accounts: raw account records with nested history, as the
README's curl example sends them, and feature rows as before.

The pyfunc is loaded with ``mlflow.pyfunc.load_model`` and the README's JSON body goes
through MLflow's own request handler (``scoring_server.invocations``, what ``mlflow
models serve`` runs per request), without starting a server: the HTTP round trip of
feature rows is covered by ``tests/test_predict.py``.

The answer names the registered version whenever the registry that served the model can
be found, also without ``MLFLOW_TRACKING_URI`` (as ``mlflow models serve`` runs in a
project folder holding ``mlflow.db``), and carries the evidence and the not-assessed
lines of ``fakedetect explain``.
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


@pytest.fixture()
def no_tracking_uri(monkeypatch: pytest.MonkeyPatch) -> None:
    """A process as ``mlflow models serve`` starts it: no tracking or registry URI set,
    in the environment or in MLflow (the session's trainings set MLflow's)."""
    from mlflow.tracking._model_registry import utils as registry_utils
    from mlflow.tracking._tracking_service import utils as tracking_utils

    for var in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(tracking_utils, "_tracking_uri", None)
    monkeypatch.setattr(registry_utils, "_registry_uri", None)


@pytest.fixture(scope="module")
def downloaded(trained, store: Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The registered model's files in a folder (as ``mlflow models serve`` fetches them)."""
    import mlflow

    dest = tmp_path_factory.mktemp("served")
    return Path(mlflow.artifacts.download_artifacts(
        f"models:/fakedetect-influencer/{trained.version}", dst_path=str(dest),
        tracking_uri=store.tracking_uri))


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
    # four days of history: the line on what the score rests on is there when it applies
    assert all(r["verdict_basis"] is None or "how little data" in r["verdict_basis"]
               for r in rows)
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
    assert all("verdict_basis" in r for r in rows)


def test_account_records_break_the_contract_with_a_clear_message() -> None:
    from fakedetect.serving import dataset_from_records

    bad = pd.DataFrame([{"account_id": "a", "followers": -5}])
    with pytest.raises(UserError) as err:
        dataset_from_records(bad)
    assert "followers" in str(err.value) and "<request>" in str(err.value)
    with pytest.raises(UserError, match="history"):
        dataset_from_records(pd.DataFrame([{"account_id": "a", "followers": 5,
                                            "history": "yesterday"}]))


def test_a_request_that_breaks_the_contract_gets_a_400_naming_the_problem(pyfunc) -> None:
    from mlflow.exceptions import MlflowException
    from mlflow.pyfunc import scoring_server

    body = json.dumps({"dataframe_records": [{
        "account_id": "a", "followers": -5,
        "history": {"snapshots": [{"date": "2026-10-01", "followers": 10}]}}]})
    with pytest.raises(MlflowException) as err:  # the server sends it as its JSON answer
        scoring_server.invocations(body, "application/json", pyfunc, None)
    assert err.value.get_http_status_code() == 400
    text = err.value.message
    assert "column 'followers': found -5" in text and "<request>" in text
    assert "what to do: fix the rows" in text and "--lenient" not in text


def test_profile_only_records_are_answered_not_scored(pyfunc) -> None:
    body = json.dumps({"dataframe_records": [{"account_id": "p1", "followers": 1200,
                                              "following": 300, "posts": 40}]})
    rows = _invoke(pyfunc, body)
    assert rows[0]["status"] == "not_scored" and "history" in rows[0]["status_reason"]


def test_the_answer_names_the_registered_version(pyfunc, trained) -> None:
    answer = _invoke(pyfunc, readme_body())
    assert {(r["model_name"], r["model_version"]) for r in answer} == {
        ("fakedetect-influencer", str(trained.version))}


def _readme_folder(root: Path) -> Path:
    """The README's account as a dataset folder (for ``fakedetect explain``)."""
    from fakedetect.io import write_table

    rec = json.loads(readme_body())["dataframe_records"][0]
    acc = rec["account_id"]
    write_table(pd.DataFrame([{k: v for k, v in rec.items() if k != "history"}]),
                root / "accounts.jsonl")
    for table, rows in rec["history"].items():
        write_table(pd.DataFrame([{"account_id": acc, **r} for r in rows]),
                    root / f"{table}.jsonl")
    return root


def test_served_from_the_project_folder_the_answer_names_version_and_evidence(
        trained, store: Config, no_tracking_uri: None, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import mlflow

    from fakedetect.cli import main
    from fakedetect.serving import REGISTRY_KEY

    monkeypatch.chdir(store.root)  # holds mlflow.db: MLflow's default store, as mlflow.yml's
    # the registry recorded at logging is switched off: the working directory's store names it
    model = mlflow.pyfunc.load_model(f"models:/fakedetect-influencer/{trained.version}",
                                     model_config={REGISTRY_KEY: ""})
    (row,) = _invoke(model, readme_body())
    assert (row["model_name"], row["model_version"]) == ("fakedetect-influencer",
                                                         str(trained.version))
    assert row["spike_date"] == "2026-10-03" and row["spike_followers"] == 8225
    assert row["spike_vs_usual"] > 100 and row["follower_tier"] == "20k-50k"
    lines = row["not_assessed"]
    assert lines[0].startswith("Follower history too short: it covers 4 day(s); the "
                               "growth signals need")
    assert lines[1].startswith("Seen in the history but not scored: +8,225 followers on "
                               "3 Oct 2026")
    assert lines[1].endswith("check it by hand.")
    # word for word what `fakedetect explain` says of the same account
    data = _readme_folder(tmp_path / "lena")
    assert main(["explain", "lena", "--data", str(data), "--model", str(trained.folder),
                 "--json"]) == 0
    explained = json.loads(capsys.readouterr().out)
    assert lines == explained["not_assessed_text"]
    assert row["spike_date"] == explained["score"]["spike_date"]


def test_the_registry_recorded_at_logging_names_the_version_from_anywhere(
        trained, downloaded: Path, no_tracking_uri: None, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    import mlflow

    monkeypatch.chdir(tmp_path)  # no mlflow.db here
    model = mlflow.pyfunc.load_model(str(downloaded))
    (row,) = _invoke(model, readme_body())
    assert row["model_version"] == str(trained.version)
    assert not (tmp_path / "mlflow.db").exists()  # asking created no store


def test_an_unknown_version_says_what_to_do_and_creates_no_store(
        downloaded: Path, no_tracking_uri: None, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    import mlflow

    from fakedetect.serving import REGISTRY_KEY

    gone = tmp_path / "elsewhere" / "mlflow.db"
    monkeypatch.chdir(tmp_path)
    model = mlflow.pyfunc.load_model(str(downloaded),
                                     model_config={REGISTRY_KEY: f"sqlite:///{gone}"})
    (row,) = _invoke(model, readme_body())
    assert row["model_version"].startswith("unknown: serve with MLFLOW_TRACKING_URI set to")
    assert str(gone) in row["model_version"]
    assert not gone.parent.exists() and not (tmp_path / "mlflow.db").exists()
    assert row["verdict"] in {"authentic", "review", "likely fake"}  # still answered


def test_feature_rows_carry_null_evidence_and_what_was_not_assessed(
        pyfunc, trained, sim_dir: Path) -> None:
    from fakedetect.evidence import SCORE_COLUMNS
    from fakedetect.features import build_features
    from fakedetect.model import FakeModel
    from fakedetect.validate import load_dataset

    model = FakeModel.load(trained.folder)
    X = build_features(load_dataset(sim_dir), "influencer")[model.features].iloc[:2].copy()
    X.loc[X.index[0], "comments__repeat_commenter_share__min_posts_3"] = np.nan
    records = json.loads(X.reset_index(names="account_id").to_json(orient="records"))
    rows = _invoke(pyfunc, json.dumps({"dataframe_records": records}))
    assert [r["account_id"] for r in rows] == [str(i) for i in X.index]
    assert all(r[c] is None for r in rows for c in SCORE_COLUMNS)
    assert rows[0]["model_version"] == str(trained.version)
    assert any("3 or more of the posts" in line for line in rows[0]["not_assessed"])
    assert not any("3 or more of the posts" in line for line in rows[1]["not_assessed"])


def test_the_logged_signature_types_the_answer(trained, downloaded: Path) -> None:
    from mlflow.models import Model

    outputs = {c.name: c for c in Model.load(str(downloaded)).signature.outputs.inputs}
    assert str(outputs["not_assessed"].type) == "Array(string)"
    assert outputs["spike_date"].type.name == "string" and not outputs["spike_date"].required
    assert outputs["spike_followers"].type.name == "double"
    assert {"model_name", "model_version", "fake_probability", "reason_1"} <= set(outputs)


def test_the_recorded_registry_is_absolute_and_without_credentials(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fakedetect.serving import recorded_registry

    monkeypatch.chdir(tmp_path)
    assert recorded_registry("sqlite:///mlflow.db") == f"sqlite:///{tmp_path / 'mlflow.db'}"
    assert recorded_registry("mlruns") == str(tmp_path / "mlruns")
    assert recorded_registry("https://ann:secret@mlflow.example:5000/x") == (
        "https://mlflow.example:5000/x")
    assert recorded_registry("databricks") == "databricks"


def test_only_stores_that_exist_are_asked(no_tracking_uri: None, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from fakedetect.serving import registries

    monkeypatch.chdir(tmp_path)
    kept = tmp_path / "kept.db"
    kept.write_bytes(b"")
    assert registries(f"sqlite:///{kept}") == [f"sqlite:///{kept}"]  # no ./mlflow.db
    assert registries(f"sqlite:///{tmp_path / 'gone.db'}") == []
    assert registries("http://127.0.0.1:9/") == []  # a recorded server is not contacted
    assert registries(str(tmp_path)) == []  # a folder without a file-store registry
    (tmp_path / "mlflow.db").write_bytes(b"")
    assert registries(f"sqlite:///{kept}") == [f"sqlite:///{tmp_path / 'mlflow.db'}",
                                               f"sqlite:///{kept}"]
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9/")
    assert registries(None) == ["http://127.0.0.1:9/"]  # the user's choice is asked
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "databricks")
    assert registries(None) == ["databricks-uc"]  # the registry MLflow pairs with it
    assert not (tmp_path / "gone.db").exists()


# --------------------------------------------------- one JSON shape for predict - and serving


def _stdin_predict(payload: str, model: Path, capsys: pytest.CaptureFixture[str],
                   monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    import io
    import sys

    from fakedetect.cli import main

    monkeypatch.setattr(sys, "stdin", io.StringIO(payload))
    code = main(["predict", "-", "--model", str(model)])
    out, err = capsys.readouterr()
    return code, out, err


def test_predict_stdin_reads_the_served_shape_like_the_document_shape(
        trained, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    body = json.loads(readme_body())
    record = body["dataframe_records"][0]
    document = {"account": {k: v for k, v in record.items() if k != "history"},
                **record["history"]}
    answers = {}
    for shape, payload in (("record", record), ("document", document), ("body", body),
                           ("list", [record])):
        code, out, err = _stdin_predict(json.dumps(payload), trained.folder, capsys,
                                        monkeypatch)
        assert code == 0, err
        answers[shape] = json.loads(out)
    assert answers["record"]["status"] == "scored"  # the history was read
    for shape in ("document", "body", "list"):
        assert answers[shape]["fake_probability"] == answers["record"]["fake_probability"]
        assert answers[shape]["account_id"] == "lena"
    two = [record, {**record, "account_id": "lena2"}]
    code, out, err = _stdin_predict(json.dumps(two), trained.folder, capsys, monkeypatch)
    assert code == 0, err
    assert [r["account_id"] for r in json.loads(out)] == ["lena", "lena2"]


@pytest.mark.parametrize(("change", "expected"), [
    (lambda r: {**{k: v for k, v in r.items() if k != "history"}, "histroy": r["history"]},
     "unknown key 'histroy' in an account record (did you mean 'history'?)"),
    (lambda r: {**r, "history": {"snapshot": r["history"]["snapshots"]}},
     "unknown key 'snapshot' in 'history' (did you mean 'snapshots'?)"),
])
def test_an_unknown_key_is_refused_by_predict_and_by_the_server(
        pyfunc, trained, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, change, expected: str) -> None:
    from mlflow.exceptions import MlflowException
    from mlflow.pyfunc import scoring_server

    record = change(json.loads(readme_body())["dataframe_records"][0])
    code, _, err = _stdin_predict(json.dumps(record), trained.folder, capsys, monkeypatch)
    assert code == 2 and f"<stdin>: {expected}" in err, err
    assert "the keys understood are" in err and "Traceback" not in err
    body = json.dumps({"dataframe_records": [record]})
    with pytest.raises(MlflowException) as raised:
        scoring_server.invocations(body, "application/json", pyfunc, None)
    assert raised.value.get_http_status_code() == 400
    assert f"<request> row 1: {expected}" in raised.value.message
    with pytest.raises(UserError, match="unknown key 'extra' in a request body"):
        from fakedetect.records import records_from_json

        records_from_json({"dataframe_records": [record], "extra": 1})
