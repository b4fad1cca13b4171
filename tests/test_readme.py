"""The README works as written: its step-by-step session runs after the demo, its Python
API example runs, and it stays short.

The demo runs small (400 training accounts of 60 days, 60 fresh ones) in a copy of the
project's configuration and experiment files; the influencer experiment's validation
criteria are relaxed there so that, as after a full ``make demo``, both models are
champions. The commands then run exactly as the README spells them, from that folder.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest

from fakedetect.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
WORD_LIMIT = 1500
#: What library chatter looks like; none of it may reach a command's output.
CHATTER = ("RuntimeWarning", "UserWarning", "FutureWarning", "Successfully registered",
           "Created version", "[LightGBM]", "INFO mlflow", "Downloading artifacts")


def _section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else None]


def session_commands() -> list[list[str]]:
    """The ``fakedetect`` command lines of the README's step-by-step session."""
    block = re.search(r"```sh\n(.*?)```", _section("A session, step by step"), re.S)
    assert block, "the step-by-step section has a sh block"
    lines = [ln.strip() for ln in block.group(1).splitlines()]
    commands = [shlex.split(ln, comments=True) for ln in lines if ln and not ln.startswith("#")]
    assert all(c[0] == "fakedetect" for c in commands), commands
    return [c[1:] for c in commands]


def python_example() -> str:
    block = re.search(r"```python\n(.*?)```", _section("Python API"), re.S)
    assert block, "the Python API section has a python block"
    return block.group(1)


def test_readme_is_short_and_has_no_placeholders() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.split()) < WORD_LIMIT, len(text.split())
    assert '"...": 0.0' not in text
    assert "results:start" in text and "never trained on" in text  # the results table
    for name in ("load_dataset", "FeatureBuilder", "mlflow.pyfunc.load_model"):
        assert name in text


@pytest.fixture()
def after_demo(capfd: pytest.CaptureFixture[str], tmp_path: Path,
               monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder in the state ``make demo`` leaves (small sizes); ``capfd`` is
    set up first, so the demo's own output is captured for the test to check."""
    from fakedetect import demo

    shutil.copy(ROOT / "mlflow.yml", tmp_path / "mlflow.yml")
    shutil.copytree(ROOT / "training", tmp_path / "training")
    exp = tmp_path / "training" / "influencer.yaml"
    text = exp.read_text(encoding="utf-8")
    criteria = text.index("validation_criteria:")
    end = text.index("primary_metric:")
    exp.write_text(text[:criteria] + "validation_criteria:\n"
                   "  - {metric: roc_auc, threshold: 0.5}\n" + text[end:], encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)  # the copy's mlflow.yml decides
    assert demo.main(["--accounts", "400", "--fresh", "60", "--days", "60",
                      "--profiles", "1600"]) == 0
    return tmp_path


@pytest.mark.slow
def test_step_by_step_session_runs_as_written_after_the_demo(
        after_demo: Path, capfd: pytest.CaptureFixture[str]) -> None:
    demo_out = capfd.readouterr()
    assert "[6/6] writing the review report" in demo_out.out
    for noise in CHATTER:
        assert noise not in demo_out.out + demo_out.err, noise
    for args in session_commands():
        code = main(args)
        out, err = capfd.readouterr()
        assert code == 0, f"fakedetect {shlex.join(args)} exited {code}:\n{out}\n{err}"
        for noise in CHATTER:
            assert noise not in out + err, (args, noise, err)
        if "--json" in args:
            json.loads(out)
        if "-o" in args:
            assert (after_demo / args[args.index("-o") + 1]).exists(), args
    assert (after_demo / "out" / "batch-review" / "index.html").is_file()
    namespace: dict[str, object] = {}
    exec(compile(python_example(), "README.md", "exec"), namespace)
    scores = namespace["scores"]
    assert len(scores) == 60 and {"authenticity_score", "verdict"} <= set(scores.columns)
    assert len(namespace["features"]) > 0
