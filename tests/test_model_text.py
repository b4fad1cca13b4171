"""Model folders: LightGBM reads and writes the booster's text; the compiled algorithms
read the trees from LightGBM's own dump (``booster.dump_model()``)."""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from fakedetect._compiled import leafmasks, treeshap
from fakedetect._compiled.trees import Splits, model_splits
from fakedetect.errors import UserError
from fakedetect.model import COMPILED_ROWS, Calibration, FakeModel


def _data(n: int = 1_500, seed: int = 0, width: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Features with NaNs, exact zeros and ties; a label that needs them."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, width))
    X[:, 1] = rng.integers(0, 5, n)
    X[rng.random(n) < 0.15, 2] = np.nan
    X[rng.random(n) < 0.2, 3] = 0.0
    X[rng.random(n) < 0.1, 4] = np.nan
    logit = X[:, 0] * X[:, 1] - np.nan_to_num(X[:, 2], nan=1.5) + (X[:, 3] == 0) + X[:, 5]
    y = (logit + rng.normal(size=n) > 1).astype(int)
    return X, y


def _train(params: dict[str, object], rounds: int = 25, X: np.ndarray | None = None,
           y: np.ndarray | None = None, names: list[str] | None = None, **kwargs: object
           ) -> lgb.Booster:
    if X is None or y is None:
        X, y = _data()
    base = {"objective": "binary", "verbose": -1, "seed": 0, "num_threads": 1,
            "num_leaves": 15, "min_data_in_leaf": 5}
    return lgb.train({**base, **params}, lgb.Dataset(X, y, feature_name=names or "auto"),
                     num_boost_round=rounds, **kwargs)


def _check_dump(booster: lgb.Booster) -> Splits:
    """The trees read from the dump score as LightGBM predicts: margins bit for bit (leaf
    masks), contributions up to rounding (tabulated TreeSHAP)."""
    splits = model_splits(booster)
    assert splits is not None
    X, _ = _data(n=300, seed=9, width=splits.n_features)
    X[:5] = np.array([0.0, -0.0, 1e-36, np.nan, np.inf])[:, None]
    masks = leafmasks.leaf_masks(splits)
    if masks is not None:
        np.testing.assert_array_equal(
            leafmasks.masked_margin(masks, leafmasks.split_columns(splits, X)),
            booster.predict(X, raw_score=True))
    tables = treeshap.tabulate(splits)
    if tables is not None:
        np.testing.assert_allclose(treeshap.contributions(tables, X),
                                   booster.predict(X, pred_contrib=True), rtol=0, atol=1e-9)
    assert masks is not None or tables is not None
    return splits


# ---------------------------------------------------------------- the dump


@pytest.mark.parametrize("params", [
    {},
    {"zero_as_missing": True},
    {"use_missing": False},
    {"monotone_constraints": [1, 0, -1, 0, 0, 1], "num_leaves": 7},
    {"objective": "regression"},
    {"boosting": "dart", "drop_rate": 0.3},
    {"max_bin": 1023, "num_leaves": 40},
])
def test_the_dump_reads_as_lightgbm_predicts(params: dict[str, object]) -> None:
    booster = _train(params)
    splits = _check_dump(booster)
    assert len(splits.roots) == booster.num_trees()
    if params.get("zero_as_missing"):
        assert any(splits.zero_missing)
    if params.get("use_missing") is False:
        assert not splits.node_missing.any()


def test_unused_features_beyond_the_split_ones() -> None:
    X, y = _data()
    X = np.hstack([X, np.ones((len(X), 3))])  # never split on: max_feature_idx is 8
    splits = _check_dump(_train({}, X=X, y=y))
    assert splits.n_features == 9 and max(splits.features) < 6


def test_single_leaf_trees() -> None:
    X, y = _data(n=300)
    flat = _train({"min_data_in_leaf": 1_000}, rounds=1, X=X, y=y)
    booster = _train({}, rounds=8, X=X, y=y, init_model=flat)
    assert booster.num_trees() == 9
    splits = _check_dump(booster)
    assert splits.roots[0] == -1 and (splits.roots[1:] >= 0).all()
    only_flat = model_splits(flat)
    assert only_flat is not None
    assert (only_flat.roots < 0).all() and len(only_flat.node_feature) == 0


def test_early_stopping_reads_the_trees_predict_uses() -> None:
    X, y = _data(n=3_000)
    booster = _train({"learning_rate": 0.5}, rounds=300, X=X[:2_000], y=y[:2_000],
                     valid_sets=[lgb.Dataset(X[2_000:], y[2_000:])],
                     callbacks=[lgb.early_stopping(5, verbose=False)],
                     keep_training_booster=True)  # else lgb.train keeps the best trees only
    assert 0 < booster.best_iteration < booster.num_trees()
    best = _check_dump(booster)  # only the best iteration's trees
    assert len(best.roots) == booster.best_iteration


@pytest.mark.parametrize("objective", [
    "regression_l1", "huber", "fair", "quantile", "poisson", "mape", "gamma", "tweedie",
    "cross_entropy", "cross_entropy_lambda"])
def test_plain_objectives(objective: str) -> None:
    X, y = _data(n=500)
    label = (y.astype(float) if "cross" in objective
             else np.abs(X[:, 0]) + 0.1 + y)  # positive for poisson, gamma, tweedie, mape
    _check_dump(_train({"objective": objective}, rounds=3, X=X, y=label))


def _categorical() -> lgb.Booster:
    X, y = _data()
    return lgb.train({"objective": "binary", "verbose": -1, "min_data_per_group": 5,
                      "cat_smooth": 1}, lgb.Dataset(X, y, categorical_feature=[1]), 10)


@pytest.mark.parametrize("make", [
    _categorical,
    lambda: _train({"linear_tree": True, "objective": "regression"}, rounds=3),
    lambda: _train({"boosting": "rf", "bagging_freq": 1, "bagging_fraction": 0.5}, 3),
    lambda: lgb.train({"objective": "multiclass", "num_class": 3, "verbose": -1},
                      lgb.Dataset(_data()[0], _data()[1] + (_data()[0][:, 0] > 1)), 3),
], ids=["categorical", "linear", "random-forest", "multiclass"])
def test_what_model_splits_does_not_handle_is_none(make: Callable[[], lgb.Booster]
                                                   ) -> None:
    assert model_splits(make()) is None


# ---------------------------------------------------------------- model folders


def _model(rounds: int = 25) -> tuple[FakeModel, lgb.Booster]:
    names = [f"f{i}" for i in range(6)]
    booster = _train({}, rounds=rounds, names=names)
    model = FakeModel(booster=booster, task="account", features=names,
                      calibration=Calibration(a=1.3, b=-0.2), threshold_fake=0.8,
                      threshold_review=0.5)
    return model, booster


def _remanifest(folder: Path) -> None:
    lines = [f"{hashlib.sha256((folder / n).read_bytes()).hexdigest()}  {n}"
             for n in ("model.txt", "metadata.json")]
    (folder / "MANIFEST.sha256").write_text("\n".join(lines) + "\n")


def _remanifest(folder: Path) -> None:
    lines = [f"{hashlib.sha256((folder / n).read_bytes()).hexdigest()}  {n}"
             for n in ("model.txt", "metadata.json")]
    (folder / "MANIFEST.sha256").write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("garble", [
    lambda t: "not a model\n",
    lambda t: t.replace("objective=binary sigmoid:1", "objective=nonsense"),
], ids=["not a model", "unknown objective"])
def test_a_damaged_model_folder_is_refused(tmp_path: Path, garble: Callable[[str], str]
                                           ) -> None:
    model, _ = _model(rounds=5)
    folder = model.save(tmp_path / "m")
    text = (folder / "model.txt").read_text()
    (folder / "model.txt").write_text(garble(text))
    with pytest.raises(UserError, match="does not match its checksum"):
        FakeModel.load(folder, check_registry=False)
    _remanifest(folder)
    with pytest.raises(UserError, match="not a LightGBM text model"):
        FakeModel.load(folder, check_registry=False)


def test_a_booster_whose_features_differ_from_the_metadata_is_refused(tmp_path: Path
                                                                      ) -> None:
    model, _ = _model(rounds=3)
    folder = model.save(tmp_path / "m")
    meta = (folder / "metadata.json").read_text().replace('"f5"', '"g5"')
    (folder / "metadata.json").write_text(meta)
    _remanifest(folder)
    with pytest.raises(UserError, match="does not match the booster"):
        FakeModel.load(folder, check_registry=False)


@pytest.mark.parametrize("rows", [1, COMPILED_ROWS - 1, COMPILED_ROWS, 5_000])
def test_loaded_models_score_as_the_booster(tmp_path: Path, rows: int) -> None:
    model, booster = _model()
    back = FakeModel.load(model.save(tmp_path / "m"), check_registry=False)
    X, _ = _data(n=rows, seed=4)
    X[:min(rows, 4)] = np.array([0.0, -0.0, 1e-36, np.nan])[:min(rows, 4), None]
    frame = pd.DataFrame(X, columns=model.features)
    margin = booster.predict(X, raw_score=True)
    np.testing.assert_array_equal(back.margin(frame), margin)
    np.testing.assert_array_equal(back.predict_proba(frame), model.calibration(margin))
    contrib, base = back.contributions(frame)
    ref = booster.predict(X, pred_contrib=True)
    np.testing.assert_allclose(contrib, ref[:, :-1], rtol=0, atol=1e-10)
    np.testing.assert_allclose(base, ref[:, -1], rtol=0, atol=1e-12)
    # the compiled algorithms are set up for large inputs only
    assert ("leaf_masks" in back.__dict__) == (rows >= COMPILED_ROWS)


def test_save_of_a_loaded_model_is_byte_identical(tmp_path: Path) -> None:
    model, _ = _model()
    first = model.save(tmp_path / "a")
    back = FakeModel.load(first, check_registry=False)
    second = back.save(tmp_path / "b")
    for name in ("model.txt", "metadata.json", "MANIFEST.sha256"):
        assert (second / name).read_bytes() == (first / name).read_bytes()
    FakeModel.load(second, check_registry=False)  # its manifest verifies


def test_loaded_models_pickle_and_replacing_the_booster_drops_its_tables(tmp_path: Path
                                                                         ) -> None:
    model, booster = _model()
    back = FakeModel.load(model.save(tmp_path / "m"), check_registry=False)
    X = pd.DataFrame(_data(n=COMPILED_ROWS, seed=6)[0], columns=model.features)
    before = back.margin(X)
    again = pickle.loads(pickle.dumps(back))
    np.testing.assert_array_equal(again.margin(X), before)
    assert again.booster.num_trees() == booster.num_trees()
    fewer, _ = _model(rounds=3)
    again.booster = fewer.booster
    assert "leaf_masks" not in again.__dict__
    np.testing.assert_array_equal(again.margin(X), fewer.booster.predict(
        X.to_numpy(), raw_score=True))
