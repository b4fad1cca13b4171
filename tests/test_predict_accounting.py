"""Every input account appears in the scores exactly once, lenient or not."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from fakedetect.cli import main
from tests.test_output_paths import _model_folder


def test_lenient_predict_counts_accounts_as_validate_does(tmp_path: Path, capsys) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "accounts.csv").write_text("account_id,followers,bio_length\na,100,3\n,200,1\n"
                                       "b,abc,2\nc,300,0\n")
    (data / "posts.csv").write_text("account_id,post_id,posted_at,likes,comments\n"
                                    "zz,p1,2026-01-01,3,1\na,p2,2026-01-01,3,1\n")
    model = _model_folder(tmp_path / "model", 1)
    out = tmp_path / "scores.csv"
    code = main(["predict", str(data), "--out", str(out), "--model", str(model), "--task",
                 "account", "--lenient"])
    err = capsys.readouterr()
    assert code == 0, err
    scores = pd.read_csv(out, keep_default_na=False)
    assert len(scores) == 4  # a, c scored; b and the row without an id not scored
    assert sorted(scores["account_id"]) == ["", "a", "b", "c"]
    assert "zz" not in set(scores["account_id"])  # named only in posts: never an account
    missing_id = scores[scores["account_id"] == ""].iloc[0]
    assert missing_id["status"] == "not_scored" and "line 3" in missing_id["status_reason"]
    rejects = pd.read_csv(tmp_path / "scores.rejects.csv", keep_default_na=False)
    assert set(rejects["account_id"]) == {"", "b", "zz"}


def test_stdin_with_out_writes_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys) -> None:
    import io
    import sys

    model = _model_folder(tmp_path / "model", 1)
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"account_id": "x", "followers": 50}'))
    out = tmp_path / "one.csv"
    code = main(["predict", "-", "--out", str(out), "--model", str(model), "--task",
                 "account"])
    assert code == 0, capsys.readouterr().err
    assert pd.read_csv(out)["account_id"].tolist() == ["x"]
