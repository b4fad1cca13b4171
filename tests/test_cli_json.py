"""``--json`` summaries of explain and report, and report folders named like files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fakedetect.cli import main
from tests.test_explain_text import model_and_rows  # noqa: F401 - a fixture
from tests.test_report import write_dataset


def test_explain_json_has_the_score_row_reasons_and_not_assessed(
        model_and_rows, tmp_path: Path,  # noqa: F811 - the fixture
        capsys: pytest.CaptureFixture[str]) -> None:
    model, _, _ = model_and_rows
    folder = model.save(tmp_path / "model")
    data = write_dataset(tmp_path / "data")
    assert main(["explain", "bob_bought", "--data", str(data), "--model", str(folder),
                 "--json", "--top-reasons", "2"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["account_id"] == "bob_bought"
    assert got["score"]["status"] == "scored"
    assert got["score"]["verdict"] in {"authentic", "review", "likely fake"}
    assert 0 <= got["score"]["fake_probability"] <= 1
    assert [r["rank"] for r in got["reasons"]] == [1, 2]
    assert all(r["toward"] in {"fake", "genuine"} and r["sentence"] for r in got["reasons"])
    for r in got["reasons"]:  # how the sentence reads, and whether the push runs against it
        assert r["reads_as"] in {"fake", "genuine", "neutral"}
        against = r["reads_as"] not in ("neutral", r["toward"])
        assert r["against_usual"] is against
        assert ("but the model weighs it" in r["sentence"]) is against
    assessed = {r["feature"] for r in got["reasons"]}
    assert not assessed & {r["feature"] for r in got["not_assessed"]}
    assert isinstance(got["not_assessed_text"], list)
    if got["score"]["verdict"] == "authentic":
        assert got["checklist"] is None
    else:  # the same three lists the text output and the account page show
        assert set(got["checklist"]) >= {"check", "ask", "clears"}
        assert all(got["checklist"][k] for k in ("check", "ask", "clears"))


def test_report_json_and_a_file_name_is_refused(
        model_and_rows, tmp_path: Path,  # noqa: F811 - the fixture
        capsys: pytest.CaptureFixture[str]) -> None:
    model, _, _ = model_and_rows
    folder = model.save(tmp_path / "model")
    data = write_dataset(tmp_path / "data")
    for name in ("x.csv", "r.html", "r.PDF", "r.parquet", "r.json"):
        code = main(["report", str(data), "-o", str(tmp_path / "out" / name),
                     "--model", str(folder)])
        err = capsys.readouterr().err
        assert code == 2 and "give a folder name" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
    assert main(["report", str(data), "-o", str(tmp_path / "review"), "--model",
                 str(folder), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["folder"] == str(tmp_path / "review")
    assert got["pages"] == len(list((tmp_path / "review" / "accounts").glob("*.html"))) > 0
    counts = got["counts"]
    assert counts["scored"] == sum(counts.get(v, 0)
                                   for v in ("authentic", "review", "likely fake"))
