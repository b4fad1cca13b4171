"""``fakedetect calibrate``: a shifted market's false-positive rate brought back within the
cap on held-back accounts, too few labels refused, lineage tags, folder models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fakedetect.calibrate import check_labels, data_digest, recalibrate
from fakedetect.cli import main
from fakedetect.config import Config
from fakedetect.errors import UserError


def test_too_few_labels_are_refused_with_the_counts() -> None:
    check_labels(np.r_[np.zeros(150), np.ones(50)].astype(int), 0.02)
    for y, why in ((np.r_[np.zeros(30), np.ones(10)], "40 (30 genuine, 10 fake)"),
                   (np.r_[np.zeros(45), np.ones(40)], "50 genuine"),
                   (np.r_[np.zeros(150), np.ones(5)], "10 fake")):
        with pytest.raises(UserError, match="too few labelled accounts") as err:
            check_labels(y.astype(int), 0.02)
        assert why in str(err.value)
    check_labels(np.r_[np.zeros(30), np.ones(20)].astype(int), 0.05)


def test_digest_ignores_row_order_and_sees_a_changed_label() -> None:
    X = pd.DataFrame({"a": [1.0, np.nan, 3.0]})
    ids = pd.Index(["b", "a", "c"])
    y = np.array([0, 1, 0])
    d = data_digest(ids, y, X)
    assert d == data_digest(ids[[2, 0, 1]], y[[2, 0, 1]], X.iloc[[2, 0, 1]])
    assert d != data_digest(ids, np.array([0, 1, 1]), X)


@pytest.fixture(scope="module")
def market(trained, unseen_dir: Path):
    """A market unlike the training one: fresh accounts of the training world whose most
    important feature (the audience share, for this model) reads two standard deviations
    more fake for everyone, genuine creators included: followers who look fake to the
    audience scorer but are not, as in a market of many silent, picture-less followers."""
    from fakedetect.experiment import default_experiment
    from fakedetect.features import get_feature
    from fakedetect.train import prepare
    from fakedetect.validate import load_dataset

    dest = unseen_dir
    model = trained.model
    prep = prepare(load_dataset(dest), default_experiment("influencer"))
    X = prep.X[model.features].copy()
    gain = model.booster.feature_importance(importance_type="gain")
    top = model.features[int(np.argmax(gain))]
    sign = get_feature(top).direction or 1
    X[top] = X[top] + sign * 2 * np.nanstd(X[top])
    return model, X, prep.y


@pytest.mark.slow
def test_calibrate_brings_the_false_positive_rate_back_on_held_back_accounts(market
                                                                             ) -> None:
    model, X, y = market
    rng = np.random.default_rng(3)
    order = rng.permutation(len(y))
    cal, held = order[:600], order[600:]
    margin = model.margin(X)
    neg = y[held] == 0
    before = model.verdict(model.calibration(margin[held]))
    fpr_before = float((before[neg] == "likely fake").mean())
    assert fpr_before > 0.04, "the shift makes the parent flag too many genuine creators"
    new, b, a, _ = recalibrate(model, margin[cal], y[cal], max_fpr=0.02, review_fpr=0.10)
    from fakedetect.scoring import score_frame

    after = score_frame(new, X.iloc[held], top_reasons=0)["verdict"].to_numpy()
    fpr_after = float((after[neg] == "likely fake").mean())
    slack = 1.645 * np.sqrt(0.02 * 0.98 / neg.sum())
    assert fpr_after <= 0.02 + slack, (fpr_before, fpr_after)
    assert a["fpr_fake"] <= 0.02 + 1.645 * np.sqrt(0.02 * 0.98 / (y[cal] == 0).sum())
    assert b["fpr_fake"] > a["fpr_fake"]
    assert new.booster.model_to_string() == model.booster.model_to_string()


@pytest.mark.slow
def test_calibrate_cli_registers_a_child_with_lineage(trained, store: Config,
                                                      tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    from mlflow.tracking import MlflowClient

    from fakedetect.simulate import simulate

    monkeypatch.setenv("MLFLOW_TRACKING_URI", store.tracking_uri)
    monkeypatch.chdir(tmp_path)
    labelled = tmp_path / "market"
    simulate(labelled, accounts=200, days=90, seed=41, coverage="full")
    small = tmp_path / "small"
    simulate(small, accounts=40, days=90, seed=42, coverage="full")
    name = "fakedetect-influencer"
    client = MlflowClient(tracking_uri=store.tracking_uri)
    champion = str(client.get_model_version_by_alias(name, "champion").version)
    try:
        code = main(["calibrate", "--model", f"models:/{name}@champion", "--data",
                     str(small)])
        assert code == 2 and "too few labelled accounts" in capsys.readouterr().err
        code = main(["calibrate", "--model", f"models:/{name}@champion", "--data",
                     str(labelled), "--out", str(tmp_path / "child")])
        out = capsys.readouterr().out
        assert code == 0, out
        assert "false positives, likely fake" in out and "registered" in out
        child = client.get_model_version_by_alias(name, "challenger")
        assert str(child.version) != champion
        assert child.tags["parent_version"] == champion
        assert len(child.tags["calibration_data_sha256"]) == 64
        assert len(child.tags["fakedetect.manifest_sha256"]) == 64  # checked on download
        run = client.get_run(child.run_id)
        assert "after_ece" in run.data.metrics and "before_fpr_fake" in run.data.metrics
        arts = [a.path for a in client.list_artifacts(child.run_id, "plots")]
        assert "plots/reliability_before_after.png" in arts
        from fakedetect.model import FakeModel

        loaded = FakeModel.load(tmp_path / "child")
        assert loaded.metadata["parent"] == f"{name} v{champion}"
        assert loaded.metadata["venn_abers"]["n"] == 200
    finally:
        client.set_registered_model_alias(name, "champion", champion)


@pytest.mark.slow
def test_calibrate_a_folder_model_writes_a_new_folder(trained, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    from fakedetect.model import FakeModel
    from fakedetect.simulate import simulate

    monkeypatch.chdir(tmp_path)
    labelled = tmp_path / "market"
    simulate(labelled, accounts=200, days=90, seed=43)
    code = main(["calibrate", "--model", str(trained.folder), "--data", str(labelled),
                 "--out", str(tmp_path / "mine")])
    assert code == 0, capsys.readouterr().out
    mine = FakeModel.load(tmp_path / "mine")
    assert mine.metadata["calibration_data_sha256"]
    assert mine.threshold_fake != trained.model.threshold_fake
