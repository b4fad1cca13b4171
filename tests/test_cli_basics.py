"""The command line shell: fast help, no heavy imports, clean exit codes for usage errors."""

from __future__ import annotations

import io
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


# --- one grammar -------------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ["predict", "{data}", "-o", "{tmp}/scores.xlsx"],
    ["predict", "--data", "{data}", "--out", "{tmp}/scores.xlsx"],
    ["features", "{data}", "-o", "{tmp}/features.xlsx"],
    ["explain", "a1", "{data}", "-o", "{tmp}/a1.pdf"],
    ["validate", "{data}", "--lenient", "-o", "{tmp}/rejects.xlsx"],
])
def test_a_wrong_output_format_fails_before_any_work(args: list[str], tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    # the dataset does not exist: reading it would fail with another message
    filled = [a.format(data=tmp_path / "no-such-data", tmp=tmp_path) for a in args]
    assert main(filled) == 2
    err = capsys.readouterr().err
    assert "unknown file type" in err and "no such dataset" not in err, err
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("args", [
    ["simulate", "--accounts", "5", "-o", "{tmp}/sim"],
    ["import", "csv", "{tmp}/x.csv", "-o", "{tmp}/imp"],
    ["repartition", "{tmp}/data", "-o", "{tmp}/parts", "--partitions", "2"],
    ["validate", "{tmp}/data"],
    ["predict", "{tmp}/data", "-o", "{tmp}/s.csv"],
    ["report", "{tmp}/data", "-o", "{tmp}/review"],
    ["train", "{tmp}/data"],
    ["models"],
    ["promote", "m", "1"],
    ["rollback", "m"],
])
def test_every_command_takes_config(args: list[str], tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "mlflow.yml"
    bad.write_text("no_such_key: 1\n", encoding="utf-8")
    filled = [a.format(tmp=tmp_path) for a in args] + ["--config", str(bad)]
    assert main(filled) == 2
    err = capsys.readouterr().err
    assert "unknown key 'no_such_key'" in err, err
    assert not (tmp_path / "sim").exists() and not (tmp_path / "imp").exists()


def test_dataset_is_positional_or_data_and_not_both(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]
                                                    ) -> None:
    from fakedetect.simulate import simulate

    simulate(tmp_path / "d", accounts=20, days=20, seed=1)
    assert main(["validate", str(tmp_path / "d")]) == 0
    assert main(["validate", "--data", str(tmp_path / "d")]) == 0
    assert main(["validate", str(tmp_path / "d"), "--json"]) == 0
    out = capsys.readouterr().out
    summary = json.loads(out[out.index("{"):])
    assert summary["valid"] and summary["rows"]["accounts"] == 20
    assert main(["validate", str(tmp_path / "d"), "--data", str(tmp_path / "e")]) == 2
    assert "two datasets given" in capsys.readouterr().err


def test_library_warnings_are_hidden_unless_verbose() -> None:
    import warnings

    import numpy as np

    from fakedetect.cli._common import quiet_libraries, split_verbose

    assert split_verbose(["predict", "-v", "x", "--", "-v"]) == (
        ["predict", "x", "--", "-v"], True)

    def all_nan() -> list[str]:
        with warnings.catch_warnings(record=True) as seen:
            np.nanmax(np.array([np.nan]))  # numpy: "All-NaN slice encountered"
        return [str(w.message) for w in seen]

    with quiet_libraries(verbose=False):
        assert all_nan() == []
    with quiet_libraries(verbose=True):
        assert any("All-NaN" in m for m in all_nan())
    assert any("All-NaN" in m for m in all_nan())  # nothing left changed afterwards


# --- progress ----------------------------------------------------------------------------

class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_is_silent_off_a_terminal_and_for_short_work() -> None:
    from fakedetect.progress import ProgressBar

    pipe = io.StringIO()
    with ProgressBar("predict", stream=pipe, delay=0.0) as bar:
        bar(1, 2)
        bar(2, 2)
    assert pipe.getvalue() == ""
    tty = _Terminal()
    with ProgressBar("predict", stream=tty, delay=60.0) as bar:
        bar(1, 2)
    assert tty.getvalue() == ""


def test_progress_bar_draws_on_a_terminal_with_elapsed_and_remaining() -> None:
    from fakedetect.progress import ProgressBar

    tty = _Terminal()
    with ProgressBar("writing pages", unit="pages", stream=tty, delay=0.0) as bar:
        bar(3, 10)
        bar._bar.refresh()
        drawn = tty.getvalue()
    assert "writing pages" in drawn and "3/10" in drawn and "pages" in drawn
    assert "elapsed" in drawn and "left" in drawn


def test_progress_stages_count_as_steps_and_estimate_what_is_left() -> None:
    from fakedetect.progress import ProgressBar

    bar = ProgressBar("predict", enabled=False, stages=("a", "b", "c", "d"))
    assert bar.remaining() == "? left"
    bar.stage("c")
    assert (bar._done, bar._total) == (2, 4)
    bar.started -= 30.0  # 2 of 4 steps took 30 s: about 30 s to go
    assert bar.remaining() in ("about 0:30 left", "about 0:31 left")
    bar(4, 4)
    assert bar.remaining() == "done"


def test_describe_cluster_names_workers_threads_memory_and_dashboard() -> None:
    from fakedetect.progress import describe_cluster

    info = {"workers": {"w1": {"nthreads": 2, "memory_limit": 2 * 2**30},
                        "w2": {"nthreads": 2, "memory_limit": 2 * 2**30}}}
    line = describe_cluster(info, "http://127.0.0.1:8787/status")
    assert line == ("Dask cluster: 2 worker(s), 4 thread(s), 4.0 GiB memory; dashboard "
                    "http://127.0.0.1:8787/status")
    assert "no dashboard" in describe_cluster(info, None)


def test_fakedetect_log_lines_reach_stderr_during_a_command(
        capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    from fakedetect.cli._common import quiet_libraries

    with quiet_libraries(verbose=False):
        logging.getLogger("fakedetect.scale.engine").info("Dask cluster: 2 worker(s)")
        logging.getLogger("fakedetect").warning("v3 needs a sample")
        logging.getLogger("fakedetect").debug("only with -v")
    err = capsys.readouterr().err
    assert "Dask cluster: 2 worker(s)\n" in err and "warning: v3 needs a sample" in err
    assert "only with -v" not in err
    logging.getLogger("fakedetect").info("after the command")
    assert "after the command" not in capsys.readouterr().err
