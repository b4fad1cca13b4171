"""The model folder: round trip, checksums, tampering, calibration and verdicts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fakedetect.errors import UserError
from fakedetect.model import Calibration, FakeModel


def _tiny_model() -> tuple[FakeModel, pd.DataFrame]:
    import lightgbm as lgb

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400)})
    y = (X["a"] + 0.3 * rng.normal(size=400) > 0).astype(int)
    booster = lgb.train({"objective": "binary", "verbosity": -1, "num_threads": 1,
                         "deterministic": True, "seed": 1},
                        lgb.Dataset(X.to_numpy(), y.to_numpy(), feature_name=["a", "b"]),
                        num_boost_round=20)
    model = FakeModel(booster=booster, task="account", features=["a", "b"],
                      calibration=Calibration(), threshold_fake=0.9, threshold_review=0.5)
    return model, X


def test_round_trip_scores_identically(tmp_path: Path) -> None:
    model, X = _tiny_model()
    model.save(tmp_path / "m")
    back = FakeModel.load(tmp_path / "m", check_registry=False)
    np.testing.assert_allclose(back.predict_proba(X), model.predict_proba(X))
    assert back.threshold_fake == 0.9
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == [
        "MANIFEST.sha256", "metadata.json", "model.txt"]


@pytest.mark.parametrize("victim", ["model.txt", "metadata.json"])
def test_tampered_file_is_refused(tmp_path: Path, victim: str) -> None:
    model, _ = _tiny_model()
    folder = model.save(tmp_path / "m")
    path = folder / victim
    path.write_text(path.read_text().replace("0.9", "0.1", 1) + "\n")
    with pytest.raises(UserError, match="does not match its checksum"):
        FakeModel.load(folder, check_registry=False)


def test_missing_manifest_is_refused(tmp_path: Path) -> None:
    model, _ = _tiny_model()
    folder = model.save(tmp_path / "m")
    (folder / "MANIFEST.sha256").unlink()
    with pytest.raises(UserError, match="unverifiable"):
        FakeModel.load(folder, check_registry=False)


def test_feature_list_must_match_booster(tmp_path: Path) -> None:
    import hashlib

    model, _ = _tiny_model()
    folder = model.save(tmp_path / "m")
    meta = json.loads((folder / "metadata.json").read_text())
    meta["features"] = ["b", "a"]
    (folder / "metadata.json").write_text(json.dumps(meta))
    lines = [f"{hashlib.sha256((folder / n).read_bytes()).hexdigest()}  {n}"
             for n in ("model.txt", "metadata.json")]
    (folder / "MANIFEST.sha256").write_text("\n".join(lines) + "\n")
    with pytest.raises(UserError, match="does not match"):
        FakeModel.load(folder, check_registry=False)


def test_unknown_features_are_refused_against_the_registry(tmp_path: Path) -> None:
    model, _ = _tiny_model()
    folder = model.save(tmp_path / "m")
    with pytest.raises(UserError, match="does not build"):
        FakeModel.load(folder)


def test_calibration_maps() -> None:
    rng = np.random.default_rng(3)
    margin = rng.normal(size=2000)
    y = (rng.random(2000) < 1 / (1 + np.exp(-2 * margin))).astype(int)
    platt = Calibration.fit(margin, y, "sigmoid")
    assert platt.a == pytest.approx(2.0, rel=0.2)
    iso = Calibration.fit(margin, y, "isotonic")
    p = iso(np.sort(margin))
    assert np.all(np.diff(p) >= -1e-12)
    back = Calibration.from_dict(json.loads(json.dumps(iso.to_dict())))
    np.testing.assert_allclose(back(margin), iso(margin))


def test_verdicts_follow_thresholds() -> None:
    model, _ = _tiny_model()
    v = model.verdict(np.array([0.1, 0.5, 0.89, 0.9, 1.0]))
    assert list(v) == ["authentic", "review", "review", "likely fake", "likely fake"]


def test_replacing_the_booster_drops_what_came_from_the_old_trees(tmp_path: Path) -> None:
    import lightgbm as lgb

    model, X = _tiny_model()
    model.save(tmp_path / "m")
    loaded = FakeModel.load(tmp_path / "m", check_registry=False)
    big = pd.concat([X] * 6, ignore_index=True)  # 2,400 rows: the compiled tree walk
    before = loaded.margin(big)
    other = lgb.train({"objective": "binary", "verbosity": -1, "num_threads": 1, "seed": 2},
                      lgb.Dataset(X.to_numpy(), (X["b"] > 0).astype(int).to_numpy(),
                                  feature_name=["a", "b"]), num_boost_round=5)
    loaded.booster = other
    after = loaded.margin(big)
    np.testing.assert_array_equal(after, other.predict(big.to_numpy(), raw_score=True))
    assert not np.array_equal(before, after)
    loaded.save(tmp_path / "n")  # the new trees are written, not the text read before
    assert FakeModel.load(tmp_path / "n", check_registry=False).booster.num_trees() == 5
