"""Hostile JSON is reported like any malformed line: never a crash, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fakedetect.errors import UserError
from fakedetect.io import MAX_JSON_DEPTH, _line_depth, too_deep
from fakedetect.validate import load_dataset

DEEP = "[" * 5000 + "]" * 5000


def test_depth_by_hand() -> None:
    assert _line_depth(b'{"a": [1, [2, {"b": 3}]]}') == 4
    assert _line_depth(b'{"a": "[[[[[[[[[[", "b": "\\\\\\"[[["}') == 1  # brackets in strings
    lines = b'{"a": 1}\n' + b'{"x": ' + b"[" * 70 + b"]" * 70 + b"}\n" + b'{"a": 2}\n'
    assert too_deep(lines) == 2
    assert too_deep(lines, limit=80) is None
    fake = b'{"s": "' + b"[" * 200 + b'"}\n'  # many brackets, all inside a string
    assert too_deep(fake) is None


def test_deep_nesting_in_a_file_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "accounts.jsonl").write_text(
        '{"account_id": "a", "followers": 10}\n'
        f'{{"account_id": "b", "followers": 10, "extra": {DEEP}}}\n', encoding="utf-8")
    with pytest.raises(UserError) as err:
        load_dataset(tmp_path)
    text = str(err.value)
    assert "accounts.jsonl" in text and "line 2" in text
    assert f"nested more than {MAX_JSON_DEPTH} deep" in text


def _predict_stdin(payload: bytes, tmp_path: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "fakedetect", "predict", "-"],
                          input=payload, capture_output=True, timeout=120, cwd=tmp_path,
                          env={**os.environ,
                               "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'm.db'}"})


def test_stdin_deep_nesting_and_bad_bytes_exit_2(tmp_path: Path) -> None:
    for payload, expected in ((f'{{"followers": 5, "x": {DEEP}}}'.encode(), b"nested"),
                              (b'{"followers": 5, "bio": "\xff\xfe"}', b"not UTF-8"),
                              (b"{not json", b"<stdin>: not valid JSON")):
        done = _predict_stdin(payload, tmp_path)
        assert done.returncode == 2, done.stderr
        assert expected in done.stderr and b"Traceback" not in done.stderr
