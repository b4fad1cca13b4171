"""Shared fixtures: the real datasets beside the project, and temporary folders."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from fakedetect.config import Config
from fakedetect.experiment import Criterion, load_experiment

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``; tests using it skip with a reason when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real datasets not found at {SHARED_DATA} (they live beside the "
                    "project, not in it; see data/README.md)")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _isolated_mlflow(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep every test's MLflow store in its own temporary folder."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")


def small_experiment(**changes: object):
    exp = load_experiment(ROOT / "training" / "influencer.yaml")
    # Small test data: ECE over a few hundred accounts is noisy, so gate on ROC-AUC only.
    base = {"folds": 3, "max_rounds": 400, "early_stopping_rounds": 30,
            "criteria": (Criterion("roc_auc", 0.8),)}
    base.update(changes)
    return replace(exp, **base)


@pytest.fixture(scope="session")
def sim_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from fakedetect.simulate import simulate

    out = tmp_path_factory.mktemp("sim") / "train"
    simulate(out, accounts=1200, days=90, seed=5, coverage="full")
    return out


@pytest.fixture(scope="session")
def unseen_dir(tmp_path_factory: pytest.TempPathFactory, sim_dir: Path) -> Path:
    """About 2,000 accounts of :func:`sim_dir`'s world that are not in it (the same
    simulation, larger, less the accounts ``sim_dir`` holds)."""
    import pandas as pd

    from fakedetect.simulate import simulate

    root = tmp_path_factory.mktemp("unseen")
    simulate(root / "pool", accounts=3200, days=90, seed=5, coverage="full")
    seen = set(pd.read_parquet(sim_dir / "accounts.parquet")["account_id"].astype(str))
    dest = root / "unseen"
    dest.mkdir()
    for f in (root / "pool").glob("*.parquet"):
        frame = pd.read_parquet(f)
        frame[~frame["account_id"].astype(str).isin(seen)].to_parquet(dest / f.name)
    return dest


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> Config:
    root = tmp_path_factory.mktemp("store")
    return Config(root=root, tracking_uri=f"sqlite:///{root / 'mlflow.db'}",
                  artifact_location=root / "mlruns", output_dir=root / "out",
                  report_dir=root / "out" / "review", data_dir=root / "data",
                  models_dir=root / "models")


@pytest.fixture(scope="session")
def trained(sim_dir: Path, store: Config):
    """An influencer model trained and registered once per session (about 20 s)."""
    from fakedetect.train import train

    return train(sim_dir, small_experiment(), store)


