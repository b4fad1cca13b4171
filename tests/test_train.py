"""Training: quality on held-out data, calibration, determinism, the champion gate and
model behaviour (monotone directions, row order)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fakedetect.config import Config
from fakedetect.errors import UserError
from fakedetect.features import get_feature
from fakedetect.train import fit_model, prepare, train
from fakedetect.validate import load_dataset
from tests.conftest import small_experiment


def test_trained_model_clears_quality_bars_on_held_out_data(trained) -> None:
    m = trained.metrics
    assert m["test_roc_auc"] > 0.80
    assert m["test_ece"] < 0.08
    assert m["test_fpr_op"] < 0.08
    assert m["cv_roc_auc_std"] < 0.05
    assert trained.promoted, trained.gate
    assert trained.version == "1"


def test_run_is_tracked_with_artifacts_and_registered(trained, store: Config) -> None:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=store.tracking_uri, registry_uri=store.tracking_uri)
    run = client.get_run(trained.run_id)
    assert run.data.metrics["test_roc_auc"] == pytest.approx(trained.metrics["test_roc_auc"])
    assert "test_brier" in run.data.metrics and "cv_accuracy_std" in run.data.metrics
    assert any(k.startswith("test_tier_") for k in run.data.metrics)
    assert any(k.startswith("test_recall_op_fraud_") for k in run.data.metrics)
    arts = {a.path for a in client.list_artifacts(trained.run_id, "plots")}
    for name in ("roc_curve.png", "pr_curve.png", "calibration_curve.png",
                 "confusion_matrix.png", "shap_summary.png", "feature_importance.png"):
        assert f"plots/{name}" in arts
    assert run.inputs.dataset_inputs, "the training dataset is logged with its digest"
    assert run.inputs.dataset_inputs[0].dataset.digest
    mv = client.get_model_version_by_alias("fakedetect-influencer", "champion")
    assert str(mv.version) == trained.version


def test_same_data_and_seed_give_identical_model(sim_dir: Path) -> None:
    ds = load_dataset(sim_dir)
    exp = small_experiment()
    prep = prepare(ds, exp)
    a, ma, _ = fit_model(prep, exp)
    b, mb, _ = fit_model(prep, exp)
    assert a.booster.model_to_string() == b.booster.model_to_string()
    assert ma == mb


def test_worse_model_never_becomes_champion(trained, sim_dir: Path, store: Config) -> None:
    weak = small_experiment(features=("accounts__log_followers", "accounts__bio_length"),
                            criteria=())
    result = train(sim_dir, weak, store)
    assert not result.promoted
    assert any("FAIL" in r for r in result.gate)
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=store.tracking_uri, registry_uri=store.tracking_uri)
    champ = client.get_model_version_by_alias("fakedetect-influencer", "champion")
    chall = client.get_model_version_by_alias("fakedetect-influencer", "challenger")
    assert str(champ.version) == trained.version
    assert str(chall.version) == result.version


def test_monotone_features_never_move_against_their_direction(trained, sim_dir: Path
                                                               ) -> None:
    model = trained.model
    from fakedetect.features import build_features

    X = build_features(load_dataset(sim_dir), "influencer")[model.features].iloc[:200]
    checked = 0
    for name in model.features:
        spec = get_feature(name)
        if not spec.monotone:
            continue
        col = X[name].dropna()
        if col.empty:
            continue
        lo, hi = X.copy(), X.copy()
        lo[name] = col.quantile(0.05)
        hi[name] = col.quantile(0.95)
        diff = model.margin(hi) - model.margin(lo)
        assert np.all(diff * spec.direction >= -1e-9), name
        checked += 1
    assert checked >= 3


def test_row_order_changes_nothing(trained, sim_dir: Path, tmp_path: Path) -> None:
    from fakedetect.features import build_features
    from fakedetect.io import write_table

    shuffled = tmp_path / "shuffled"
    rng = np.random.default_rng(0)
    for f in sim_dir.glob("*.parquet"):
        frame = pd.read_parquet(f)
        if f.stem != "snapshots":  # snapshots must stay sorted by day per account
            frame = frame.iloc[rng.permutation(len(frame))]
        write_table(frame, shuffled / f.name)
    model = trained.model
    a = build_features(load_dataset(sim_dir), "influencer")
    b = build_features(load_dataset(shuffled), "influencer").loc[a.index]
    np.testing.assert_allclose(model.predict_proba(a), model.predict_proba(b))


def test_unreachable_tracking_store_fails_before_training(sim_dir: Path, tmp_path: Path
                                                          ) -> None:
    locked = tmp_path / "ro"
    locked.mkdir()
    (locked / "mlflow.db").write_bytes(b"not a database at all" * 100)
    cfg = Config(root=tmp_path, tracking_uri=f"sqlite:///{locked / 'mlflow.db'}",
                 output_dir=tmp_path / "out")
    with pytest.raises(UserError, match="unreachable or locked"):
        train(sim_dir, small_experiment(), cfg)
    assert not (tmp_path / "out").exists()


def test_training_needs_labels(tmp_path: Path, store: Config) -> None:
    from fakedetect.io import write_table

    write_table(pd.DataFrame({"account_id": ["a"], "followers": [10]}),
                tmp_path / "accounts.csv")
    with pytest.raises(UserError, match="labels"):
        train(tmp_path, small_experiment(), store)
