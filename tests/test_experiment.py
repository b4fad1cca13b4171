"""Experiment files: the shipped ones load, bad ones fail clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from fakedetect.errors import UserError
from fakedetect.experiment import load_experiment

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["influencer", "account-instafake", "account-purba",
                                  "account-demo"])
def test_shipped_experiments_load(name: str) -> None:
    exp = load_experiment(ROOT / "training" / f"{name}.yaml")
    assert exp.task in {"account", "influencer"}
    assert exp.criteria
    assert 0 < exp.max_fpr <= exp.review_fpr < 1
    assert exp.params["deterministic"] is True


def test_unknown_key_is_named(tmp_path: Path) -> None:
    f = tmp_path / "x.yaml"
    f.write_text("task: account\nlearning_rate: 0.1\n")
    with pytest.raises(UserError, match="learning_rate"):
        load_experiment(f)


def test_wrong_type_is_named(tmp_path: Path) -> None:
    f = tmp_path / "x.yaml"
    f.write_text("task: account\nsplit: {folds: five}\n")
    with pytest.raises(UserError, match=r"split\.folds"):
        load_experiment(f)
