"""Output paths are checked before any work; operating-system errors on a user's path
are a message and exit 2, never a traceback."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from fakedetect.cli import main

ROOT_USER = hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture()
def dataset(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    (data / "accounts.csv").write_text("account_id,followers\na,100\n")
    return data


@pytest.fixture()
def readonly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A folder nobody may write to (for root, who writes anyway, the access check is
    told so)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    if ROOT_USER:
        import fakedetect.io as fio

        real = os.access

        def access(path: object, mode: int) -> bool:
            if str(path).startswith(str(folder)) and mode & os.W_OK:
                return False
            return real(path, mode)  # type: ignore[arg-type]

        monkeypatch.setattr(fio.os, "access", access)  # the same os module everywhere
    yield folder
    folder.chmod(stat.S_IRWXU)


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


@pytest.mark.parametrize("command", [
    ("predict", "{data}", "--out", "{target}"),
    ("features", "{data}", "--out", "{target}"),
    ("explain", "a", "--data", "{data}", "--html", "{target}"),
])
def test_a_folder_or_a_bad_suffix_as_the_output_file(command, dataset: Path, tmp_path: Path,
                                                     capsys) -> None:
    for target, message in ((tmp_path, "is a folder"),
                            (tmp_path / "x.xlsx", "unknown file type '.xlsx'"),
                            (dataset / "accounts.csv" / "x.csv", "is a file, not a folder")):
        if command[0] == "explain" and target.suffix == ".csv":
            target = target.with_suffix(".html")
        if command[0] == "explain" and target.suffix == ".xlsx":
            target, message = tmp_path / "x.txt", "unknown file type '.txt'"
        args = [a.format(data=dataset, target=target) for a in command]
        code, err = _run(capsys, *args)
        assert code == 2 and message in err, err


@pytest.mark.parametrize("command", [
    ("predict", "{data}", "--out", "{ro}/s.csv"),
    ("features", "{data}", "--out", "{ro}/f.parquet"),
    ("report", "{data}", "--out", "{ro}/review"),
    ("import", "csv", "{data}/accounts.csv", "--out", "{ro}/imp"),
    ("repartition", "{data}", "--out", "{ro}/parts", "--partitions", "2"),
])
def test_a_read_only_folder_is_a_message(command, dataset: Path, readonly: Path,
                                         capsys) -> None:
    args = [a.format(data=dataset, ro=readonly) for a in command]
    code, err = _run(capsys, *args)
    assert code == 2 and str(readonly) in err, err


def _model_folder(folder: Path, seed: int) -> Path:
    import lightgbm as lgb
    import numpy as np

    from fakedetect.model import Calibration, FakeModel

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(300, 2))
    y = (X[:, 0] + rng.normal(size=300) > 0).astype(int)
    names = ["accounts__log_followers", "accounts__bio_length"]
    booster = lgb.train({"objective": "binary", "verbose": -1, "seed": seed},
                        lgb.Dataset(X, label=y, feature_name=names), num_boost_round=5)
    return FakeModel(booster=booster, task="account", features=names,
                     calibration=Calibration(method="sigmoid"), threshold_fake=0.9,
                     threshold_review=0.5).save(folder)


def test_export_never_replaces_another_model_unasked(tmp_path: Path, capsys) -> None:
    one, other = _model_folder(tmp_path / "one", 1), _model_folder(tmp_path / "two", 2)
    out = tmp_path / "exported"
    assert _run(capsys, "export", "--model", str(one), "--out", str(out))[0] == 0
    assert _run(capsys, "export", "--model", str(one), "--out", str(out))[0] == 0  # same
    before = (out / "model.txt").read_bytes()
    code, err = _run(capsys, "export", "--model", str(other), "--out", str(out))
    assert code == 2 and "already holds something else" in err
    assert (out / "model.txt").read_bytes() == before
    assert _run(capsys, "export", "--model", str(other), "--out", str(out), "--force")[0] == 0
    assert (out / "model.txt").read_bytes() == (other / "model.txt").read_bytes()


def test_an_os_error_on_a_path_is_a_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                            capsys) -> None:
    import errno

    import fakedetect.simulate as sim

    def full_disk(out: object, **kw: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(out))

    monkeypatch.setattr(sim, "simulate", full_disk)
    code, err = _run(capsys, "simulate", "--accounts", "20", "--out", str(tmp_path / "s"))
    assert code == 2
    assert f"{tmp_path / 's'}: No space left on device" in err and "free some disk" in err
