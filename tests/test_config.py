"""mlflow.yml -> one typed, immutable Config; MLFLOW_TRACKING_URI overrides the file."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path

import pytest

from fakedetect.cli import main
from fakedetect.config import Config, load_config
from fakedetect.errors import UserError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_file_loads(no_env: None) -> None:
    cfg = load_config(ROOT / "mlflow.yml")
    assert cfg.source == ROOT / "mlflow.yml" and cfg.root == ROOT
    assert cfg.tracking_uri == f"sqlite:///{ROOT / 'mlflow.db'}"
    assert cfg.experiments["account"] == "fakedetect-account"
    assert cfg.model_name("influencer") == "fakedetect-influencer"
    assert cfg.champion_uri("account") == "models:/fakedetect-account@champion"
    assert cfg.output_dir == ROOT / "out"


def test_defaults_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 no_env: None) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = load_config()
    assert cfg.source is None and cfg.root == tmp_path
    assert cfg.tracking_uri == f"sqlite:///{tmp_path / 'mlflow.db'}"
    assert cfg.data_dir == tmp_path / "data" / "demo"


def test_cwd_file_is_found_and_paths_are_relative_to_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_env: None) -> None:
    write(tmp_path / "mlflow.yml", """
tracking_uri: sqlite:///store/runs.db
artifact_location: art
experiments: {account: my-acc}
registered_models: {influencer: my-infl}
aliases: {champion: prod}
paths: {data: d, output: o, report: o/r, models: m}
""")
    monkeypatch.chdir(tmp_path)
    cfg = load_config()
    assert cfg.tracking_uri == f"sqlite:///{tmp_path / 'store' / 'runs.db'}"
    assert cfg.artifact_location == tmp_path / "art"
    assert cfg.experiments == {"account": "my-acc", "influencer": "fakedetect-influencer",
                               "evaluation": "fakedetect-evaluation"}
    assert cfg.model_name("influencer") == "my-infl"
    assert cfg.champion_uri("account") == "models:/fakedetect-account@prod"
    assert cfg.challenger_alias == "challenger"
    assert (cfg.data_dir, cfg.output_dir, cfg.report_dir, cfg.models_dir) == (
        tmp_path / "d", tmp_path / "o", tmp_path / "o" / "r", tmp_path / "m")


def test_environment_overrides_the_file(tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    cfg_file = write(tmp_path / "conf" / "mlflow.yml", "tracking_uri: sqlite:///file.db\n")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    assert load_config(cfg_file).tracking_uri == "http://127.0.0.1:5000"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///env.db")  # relative to the cwd
    assert load_config(cfg_file).tracking_uri == f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "")
    assert load_config(cfg_file).tracking_uri == f"sqlite:///{tmp_path / 'conf' / 'file.db'}"


def test_config_is_immutable_but_still_plain_data(no_env: None) -> None:
    cfg = load_config(ROOT / "mlflow.yml")
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.tracking_uri = "x"  # type: ignore[misc]
    with pytest.raises(TypeError, match="read-only"):
        cfg.experiments["account"] = "x"
    with pytest.raises(TypeError, match="read-only"):
        cfg.registered_models.update(account="x")
    assert isinstance(cfg.experiments, dict)
    assert json.loads(json.dumps(cfg.experiments)) == dict(cfg.experiments)
    assert copy.deepcopy(cfg) == cfg and hash(cfg) == hash(copy.copy(cfg))
    assert dataclasses.asdict(cfg)["registered_models"] == dict(cfg.registered_models)
    assert dataclasses.replace(cfg, champion_alias="x").champion_alias == "x"


@pytest.mark.parametrize("text,message", [
    ("tracking_uri: a: b\n", "line 1: not valid YAML \\(mapping values"),
    ("paths:\n  data: a\n bad: b\n", "not valid YAML"),
    ("- a\n- b\n", "expected a mapping"),
    ("traking_uri: sqlite:///x.db\n", "unknown key 'traking_uri'"),
    ("tracking_uri: 5\n", "'tracking_uri' should be a text"),
    ("paths: out\n", "'paths' should be a mapping"),
    ("paths: {outputs: o}\n", "unknown key paths.outputs"),
    ("experiments: {account: ''}\n", "experiments.account should be a non-empty text"),
    ("aliases: {champion: 3}\n", "aliases.champion should be a non-empty text"),
])
def test_bad_yaml_is_a_user_error(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path / "mlflow.yml", text)
    with pytest.raises(UserError, match=message) as info:
        load_config(path)
    assert str(path) in str(info.value)


def test_missing_folder_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not found"):
        load_config(tmp_path / "nope.yml")
    with pytest.raises(UserError, match="not a file"):
        load_config(tmp_path)
    (tmp_path / "latin.yml").write_bytes(b"tracking_uri: caf\xe9\n")
    with pytest.raises(UserError, match="not UTF-8"):
        load_config(tmp_path / "latin.yml")


def test_empty_file_gives_defaults(tmp_path: Path, no_env: None) -> None:
    cfg = load_config(write(tmp_path / "mlflow.yml", "# nothing\n"))
    assert cfg == dataclasses.replace(Config(root=tmp_path), source=cfg.source,
                                      tracking_uri=cfg.tracking_uri,
                                      artifact_location=tmp_path / "mlruns",
                                      data_dir=tmp_path / "data" / "demo",
                                      output_dir=tmp_path / "out",
                                      report_dir=tmp_path / "out" / "review",
                                      models_dir=tmp_path / "models",
                                      cache_dir=tmp_path / ".cache" / "fakedetect")


def test_unknown_task_is_a_user_error(no_env: None) -> None:
    with pytest.raises(UserError, match="unknown task 'audience'"):
        load_config(ROOT / "mlflow.yml").model_name("audience")


def test_cli_reports_a_bad_config_without_traceback(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "ds").mkdir()
    (tmp_path / "ds" / "accounts.csv").write_text("account_id,followers\na,1\n")
    bad = write(tmp_path / "mlflow.yml", "paths: [1, 2\n")
    code = main(["validate", str(tmp_path / "ds"), "--lenient", "--config", str(bad)])
    out, err = capsys.readouterr()
    assert code == 2
    assert "not valid YAML" in err and "Traceback" not in out + err
