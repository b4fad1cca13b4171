"""A report folder holds one whole report: a run killed midway leaves the previous one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fakedetect.errors import UserError
from fakedetect.report import pages
from fakedetect.report.pages import REPORT_MARKER, write_report
from tests.test_report import MODEL, make_frames, make_reasons, make_scores, to_dataset


def _write(out: Path, **kw: object) -> Path:
    dataset = to_dataset(make_frames())
    scores = make_scores(dataset)
    return write_report(out, scores=scores, reasons=make_reasons(scores), dataset=dataset,
                        model=MODEL, **kw)


def test_a_run_that_dies_midway_leaves_the_previous_report(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    out = tmp_path / "review"
    _write(out, max_pages=1)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    calls = []
    real = pages._account_html

    def dying(*args: object, **kw: object) -> str:
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt  # killed between two pages
        return real(*args, **kw)

    monkeypatch.setattr(pages, "_account_html", dying)
    with pytest.raises(KeyboardInterrupt):
        _write(out)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert [p.name for p in tmp_path.iterdir()] == ["review"]  # no staging left behind
    monkeypatch.setattr(pages, "_account_html", real)
    index = _write(out)
    assert (out / REPORT_MARKER).is_file() and index == out / "index.html"
    assert len(list((out / "accounts").iterdir())) > 1


def test_a_killed_process_leaves_staging_that_the_next_run_removes(tmp_path: Path) -> None:
    out = tmp_path / "review"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    stale = tmp_path / f".review.staging-{dead}-abcd1234"
    (stale / "accounts").mkdir(parents=True)
    mine = tmp_path / f".review.staging-{os.getppid()}-abcd1234"  # a live process's
    mine.mkdir()
    _write(out)
    assert not stale.exists() and mine.exists()


def test_a_folder_with_other_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "thesis.docx").write_text("mine")
    with pytest.raises(UserError, match=r"holds other files \(thesis.docx\)"):
        _write(tmp_path)
    assert (tmp_path / "thesis.docx").read_text() == "mine"
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(UserError, match="not a folder"):
        _write(afile)


def test_temporary_files_of_killed_runs_are_swept(tmp_path: Path) -> None:
    import subprocess as sp

    from fakedetect.io import write_text

    dead = sp.run([sys.executable, "-c", "import os; print(os.getpid())"],
                  capture_output=True, text=True, check=True).stdout.strip()
    stale = tmp_path / f".scores.csv.{dead}.abc123.tmp"
    stale.write_text("half")
    live = tmp_path / f".scores.csv.{os.getppid()}.abc123.tmp"
    live.write_text("someone else's, still running")
    other = tmp_path / ".scores.csv.notapid.tmp"
    other.write_text("not ours")
    write_text(tmp_path / "scores.csv", "done")
    assert not stale.exists() and live.exists() and other.exists()
    assert (tmp_path / "scores.csv").read_text() == "done"
