"""The command line shell: fast help, no heavy imports, clean exit codes for usage errors."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fakedetect.cli import main

HEAVY = ("pandas", "numpy", "mlflow", "lightgbm", "pyarrow", "sklearn", "shap", "matplotlib",
         "dask", "yaml")


def _help_seconds() -> float:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "fakedetect", "--help"], capture_output=True,
                          text=True, timeout=60)
    elapsed = time.perf_counter() - start
    assert done.returncode == 0, done.stderr
    assert "Usage: fakedetect" in done.stdout and "validate" in done.stdout
    return elapsed


def test_help_answers_in_under_a_second() -> None:
    best = min(_help_seconds() for _ in range(3))
    assert best < 1.0, f"fakedetect --help took {best:.2f} s at best"


def test_registering_every_command_imports_nothing_heavy() -> None:
    code = ("import fakedetect.cli, sys, json; fakedetect.cli._register(); "
            "print(json.dumps(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=60)
    loaded = {m.split(".")[0] for m in json.loads(done.stdout)}
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == "fakedetect 0.1.0"


@pytest.mark.parametrize("args,text", [
    (["validate"], "needs a dataset folder"),
    (["predict", "a", "--data", "b", "-o", "s.csv"], "two datasets given"),
    (["validate", ".", "--bogus"], "No such option"),
    (["no-such-command"], "No such command"),
    ([], "Usage: fakedetect"),
])
def test_usage_errors_exit_2_without_traceback(args: list[str], text: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert text in out + err and "Traceback" not in out + err


def test_user_error_exits_2_with_a_hint(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "no such dataset folder" in err
    assert "what to do:" in err


def test_script_entry_point_exits_with_the_code(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "fakedetect", "validate",
                           str(tmp_path / "missing")], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr
