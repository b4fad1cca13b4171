"""A ``--model`` the registry or the disk does not hold is a user error on every command
that takes one: exit 2, the wording of ``promote``/``rollback`` ("no model named ...; did
you mean ...?"), the versions the model has, and no traceback, before any data is read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fakedetect.cli import main
from fakedetect.config import Config
from fakedetect.errors import UserError

#: A dataset folder that does not exist: an error about it would mean the data was read
#: before the model was checked.
NO_DATA = "no-such-dataset"


@pytest.fixture()
def registry(trained, store: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
             ) -> Config:
    """The session's store, with a project folder of its own as the working directory."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store.tracking_uri)
    monkeypatch.chdir(tmp_path)
    return store


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(args)
    _, err = capsys.readouterr()
    return code, err


#: Every command that takes a model, with its arguments around ``--model URI``.
COMMANDS = {
    "predict": (["predict", NO_DATA, "-o", "s.csv"], "--model", []),
    "explain": (["explain", "sim0000007", NO_DATA], "--model", []),
    "report": (["report", NO_DATA, "-o", "rep"], "--model", []),
    "evaluate": (["evaluate", "--data", NO_DATA], "--model", []),
    "calibrate": (["calibrate", "--data", NO_DATA], "--model", []),
    "export": (["export", "--out", "m"], "--model", []),
    "features": (["features", NO_DATA, "-o", "f.parquet"], "--account-model", []),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_misspelt_model_name_gets_did_you_mean_on_every_command(
        registry: Config, capsys: pytest.CaptureFixture[str], command: str) -> None:
    head, option, tail = COMMANDS[command]
    name = "fakedetect-influencr"
    for uri in (f"models:/{name}/1", f"models:/{name}@champion"):
        code, err = _run([*head, option, uri, *tail], capsys)
        assert code == 2, err
        assert f"no model named '{name}'; did you mean fakedetect-influencer?" in err, err
        assert f"--model models:/fakedetect-influencer{uri[len('models:/' + name):]}" in err
        assert "Traceback" not in err and NO_DATA not in err
        assert "train one" not in err  # the diagnosis is the name, not a missing alias


def test_a_missing_version_or_alias_names_the_versions_there_are(
        registry: Config, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run(["predict", NO_DATA, "-o", "s.csv", "--model",
                      "models:/fakedetect-influencer/77"], capsys)
    assert code == 2 and "Traceback" not in err and NO_DATA not in err
    assert re.search(r"model fakedetect-influencer has versions \d+(, \d+)*; no version 77",
                     err), err
    code, err = _run(["explain", "x", NO_DATA, "--model",
                      "models:/fakedetect-influencer@best"], capsys)
    assert code == 2 and "none carries the alias 'best'" in err, err
    assert "@champion (v" in err  # the aliases it has


def test_a_bare_model_name_suggests_the_registry_uri(
        registry: Config, capsys: pytest.CaptureFixture[str]) -> None:
    for value in ("fakedetect-influencer", "fakedetect-influencr"):
        code, err = _run(["explain", "x", NO_DATA, "--model", value], capsys)
        assert code == 2 and f"{value}: no such model folder" in err
        assert "--model models:/fakedetect-influencer@champion" in err, err
    code, err = _run(["explain", "x", NO_DATA, "--model", "out/nothing-here"], capsys)
    assert code == 2 and "no such model folder" in err and "fakedetect export" in err


def test_the_checks_download_nothing_and_resolve_agrees(registry: Config,
                                                        trained) -> None:
    from fakedetect import tracking

    uri = f"models:/fakedetect-influencer/{trained.version}"
    assert tracking.check_model_uri(uri, registry) == ("fakedetect-influencer",
                                                      trained.version)
    assert tracking.check_model_uri(str(trained.folder), registry) is None
    with pytest.raises(UserError, match="expected models:/NAME@ALIAS"):
        tracking.check_model_uri("models:/fakedetect-influencer", registry)
    with pytest.raises(UserError, match="no version 77"):
        tracking.resolve_model("models:/fakedetect-influencer/77", registry)
    assert tracking.resolve_model(uri, registry).version == trained.version


def test_a_configured_model_not_registered_yet_is_not_mistaken_for_another(
        registry: Config, capsys: pytest.CaptureFixture[str]) -> None:
    from fakedetect import tracking

    client = tracking.connect(registry, create=False)
    if "fakedetect-account" in tracking.registered_names(client):
        pytest.skip("the session store holds an account model")
    code, err = _run(["predict", NO_DATA, "-o", "s.csv", "--task", "account"], capsys)
    assert code == 2 and "no model named 'fakedetect-account' is registered yet" in err
    assert "did you mean" not in err and "fakedetect train" in err
