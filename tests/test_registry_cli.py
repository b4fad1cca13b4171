"""The registry under the user's control: names from the command line, a champion trained
on other labelled data kept until the user promotes, promote and rollback with a logged
reason, version descriptions, and ``models --json``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from fakedetect.cli import main

#: A metric identifier said bare instead of in words.
BARE_METRIC = re.compile(r"\b(test_(roc_auc|fpr_op|recall_op|ece|accuracy)|roc_auc|fpr_op|"
                         r"recall_op)\b")

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENT = "fast-account.yaml"


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A configuration with its own store, and two labelled profile sets of other accounts."""
    from fakedetect.demo import profiles_dataset

    (tmp_path / "mlflow.yml").write_text(
        "tracking_uri: sqlite:///mlflow.db\npaths: {output: out}\n", encoding="utf-8")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    text = (ROOT / "training" / "account-demo.yaml").read_text(encoding="utf-8")
    text = (text.replace("learning_rate: 0.05", "learning_rate: 0.2")
            .replace("max_rounds: 1000", "max_rounds: 120")
            .replace("early_stopping_rounds: 50", "early_stopping_rounds: 10")
            .replace("folds: 5", "folds: 3"))
    assert "folds: 3" in text and "max_rounds: 120" in text
    (tmp_path / EXPERIMENT).write_text(text, encoding="utf-8")
    profiles_dataset(tmp_path / "agency-a", genuine=300, fake=120, seed=1)
    profiles_dataset(tmp_path / "agency-b", genuine=300, fake=120, seed=2)
    return tmp_path


def _client(project: Path):
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{project / 'mlflow.db'}"
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def _train(data: str, capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    code, out, err = _run(["train", data, "--task", "account", "--experiment",
                           EXPERIMENT, "--json", *extra], capsys)
    assert code == 0, err
    return json.loads(out)


@pytest.mark.slow
def test_a_champion_on_other_data_is_kept_until_promoted_and_rollback_undoes(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from fakedetect import tracking

    first = _train("agency-a", capsys, "--model-name", "shared-account",
                   "--experiment-name", "agency-trials")
    assert first["promoted"] and first["model"] == "shared-account"
    second = _train("agency-b", capsys, "--model-name", "shared-account",
                    "--experiment-name", "agency-trials")
    assert not second["promoted"]
    gate = " | ".join(second["gate"])
    assert "HOLD" in gate and "other labelled accounts" in gate
    assert "fakedetect promote shared-account 2" in gate
    client = _client(project)
    assert str(client.get_model_version_by_alias("shared-account", "champion").version) == "1"
    exp = client.get_experiment_by_name("agency-trials")
    assert exp is not None
    assert client.get_run(second["run_id"]).info.experiment_id == exp.experiment_id
    described = client.get_model_version("shared-account", "2").description
    assert "agency-b" in described and "ROC-AUC" in described and "420 labelled" in described
    assert "ranks a fake above a genuine account" in described
    assert not BARE_METRIC.search(described)

    code, out, err = _run(["promote", "shared-account", "2", "--reason",
                           "agency B labels approved by the data team"], capsys)
    assert code == 0, err
    assert "-> v2 (was v1)" in out
    mv = client.get_model_version_by_alias("shared-account", "champion")
    assert str(mv.version) == "2"
    assert "agency B labels approved" in mv.tags[tracking.REASON_TAG]
    assert mv.tags[tracking.PREVIOUS_TAG] == "1"
    assert mv.tags[tracking.MANIFEST_TAG]  # the cache's checksum is still the version's
    runs = client.search_runs([client.get_experiment_by_name(
        "fakedetect-registry").experiment_id])
    assert any(r.data.tags.get("fakedetect.reason", "").startswith("agency B") for r in runs)
    from fakedetect.config import load_config

    champion = tracking.resolve_model("models:/shared-account@champion",
                                      load_config(project / "mlflow.yml"))
    assert champion.version == "2"  # downloaded and verified against the checksum tag

    code, out, err = _run(["rollback", "shared-account", "--reason", "B flags too many"],
                          capsys)
    assert code == 0, err
    assert str(client.get_model_version_by_alias("shared-account", "champion").version) == "1"
    code, out, err = _run(["rollback", "shared-account"], capsys)
    assert code == 2 and "records no earlier champion" in err and "Traceback" not in err

    code, out, err = _run(["models", "shared-account", "--json"], capsys)
    assert code == 0, err
    listed = json.loads(out)["shared-account"]
    assert [v["version"] for v in listed] == ["2", "1"]
    assert "champion" in listed[1]["aliases"] and listed[0]["sources"] == "agency-b"


def test_promote_names_the_versions_when_one_is_missing(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = _train("agency-a", capsys, "--model-name", "solo", "--experiment-name", "agency")
    assert first["promoted"]
    code, _out, err = _run(["promote", "solo", "7"], capsys)
    assert code == 2 and "no version '7'" in err and "v1" in err
    assert "Traceback" not in err
    for args in (["promote", "sollo", "1"], ["rollback", "sollo"]):
        code, _out, err = _run(args, capsys)
        assert code == 2 and "no model named 'sollo'; did you mean solo?" in err, err

    client = _client(project)
    registry = client.get_experiment_by_name("fakedetect-registry")
    runs_before = len(client.search_runs([registry.experiment_id])) if registry else 0
    code, out, err = _run(["promote", "solo", "1"], capsys)
    assert code == 0, err
    assert "solo v1 is already champion; nothing changed" in out
    code, out, err = _run(["promote", "solo", "v1", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out) == {"name": "solo", "alias": "champion", "version": "1",
                               "previous": "1", "reason": "promoted by hand (no reason given)",
                               "run_id": "", "changed": False}
    registry = client.get_experiment_by_name("fakedetect-registry")
    assert (len(client.search_runs([registry.experiment_id])) if registry else 0) == runs_before

    # Every model in the store is listed, not only the configured ones.
    code, out, err = _run(["models"], capsys)
    assert code == 0, err
    assert "solo:" in out and "fakedetect-account: no versions registered" in out
    assert "ranks a fake first" in out and "wrongly flags" in out  # figures in words
    assert not BARE_METRIC.search(out)
    code, out, err = _run(["models", "--json"], capsys)
    listed = json.loads(out)["solo"][0]
    assert "MLflow experiment agency" in listed["description"]
    assert "420 labelled" in listed["description"]


def test_config_named_replaces_one_task_and_keeps_the_rest(tmp_path: Path) -> None:
    from fakedetect.config import Config
    from fakedetect.errors import UserError

    cfg = Config(root=tmp_path)
    mine = cfg.named("account", model="agency-account", experiment="agency-trials")
    assert mine.model_name("account") == "agency-account"
    assert mine.experiments["account"] == "agency-trials"
    assert mine.model_name("influencer") == cfg.model_name("influencer")
    assert cfg.model_name("account") == "fakedetect-account"  # unchanged
    with pytest.raises(UserError, match="empty model name"):
        cfg.named("account", model=" ")
    with pytest.raises(UserError, match="unknown task"):
        cfg.named("post", model="x")


def test_evaluate_calibrate_and_export_print_json(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _train("agency-a", capsys, "--model-name", "solo")
    code, out, err = _run(["evaluate", "--model", "models:/solo@champion", "agency-b",
                           "--json"], capsys)
    assert code == 0, err
    got = json.loads(out)
    assert got["accounts"] == 420 and 0.5 < got["metrics"]["roc_auc"] <= 1
    assert Path(got["summary"]).is_file()
    code, out, err = _run(["export", "--model", "models:/solo/1", "-o", "exported",
                           "--json"], capsys)
    assert code == 0, err
    got = json.loads(out)
    assert (got["model"], got["version"]) == ("solo", "1") and "model.txt" in got["files"]
    code, out, err = _run(["export", "--model", "models:/solo/1", "-o", "m.json"], capsys)
    assert code == 2 and "give a folder name" in err
    code, out, err = _run(["calibrate", "--model", "models:/solo@champion", "agency-b",
                           "--json"], capsys)
    assert code == 0, err
    got = json.loads(out)
    assert got["model"] == "solo" and got["version"] == "2"
    assert set(got["before"]) == set(got["after"]) and "ece" in got["after"]
