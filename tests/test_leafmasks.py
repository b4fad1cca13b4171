"""Leaf bit masks (fakedetect._compiled.leafmasks) score as booster.predict does, bit for
bit, and FakeModel uses them on large inputs only."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from fakedetect._compiled import leafmasks, treeshap
from fakedetect._compiled.trees import Splits, model_splits
from fakedetect.model import COMPILED_ROWS, Calibration, FakeModel
from tests.test_treeshap import _booster, _data


def _repetitive(n: int, seed: int) -> np.ndarray:
    """Rows drawn from a small pool (like follower profiles), plus edge values."""
    X, _ = _data(n=n // 4 + 20, seed=seed)
    rng = np.random.default_rng(seed)
    X = X[rng.integers(0, len(X), n)]
    X[:8] = np.array([np.nan, 0.0, -0.0, 1e-36, -1e-35, 2e-35, np.inf, -np.inf])[:, None]
    return X


def test_fake_model_margin_uses_leaf_masks_on_large_inputs() -> None:
    booster = _booster({"num_leaves": 15, "max_depth": 4})
    names = [f"f{i}" for i in range(6)]
    model = FakeModel(booster=booster, task="account", features=names,
                      calibration=Calibration(), threshold_fake=0.5, threshold_review=0.3)
    X = pd.DataFrame(_repetitive(COMPILED_ROWS + 100, seed=6), columns=names)
    margin = model.margin(X)
    assert model.__dict__.get("leaf_masks") is not None  # the compiled path was taken
    np.testing.assert_array_equal(margin, booster.predict(X.to_numpy(), raw_score=True))
    columns = {name: X[name].to_numpy() for name in names[1:]}  # f0 missing everywhere
    want = booster.predict(X.assign(f0=np.nan).to_numpy(), raw_score=True)
    np.testing.assert_array_equal(model.predict_proba_columns(columns, len(X)),
                                  model.calibration(want))


def test_matrices_of_the_wrong_width_are_refused() -> None:
    booster = _booster({"num_leaves": 7}, rounds=5)
    splits = model_splits(booster)
    assert splits is not None
    X = _repetitive(100, seed=13)
    for bad in (X[:, :5], np.hstack([X, X[:, :1]])):
        with pytest.raises(ValueError, match="6 features"):
            leafmasks.split_columns(splits, bad)


def test_a_model_that_has_scored_still_pickles() -> None:
    import pickle

    booster = _booster({"num_leaves": 15}, rounds=10)
    names = [f"f{i}" for i in range(6)]
    model = FakeModel(booster=booster, task="account", features=names,
                      calibration=Calibration(), threshold_fake=0.5, threshold_review=0.3)
    X = pd.DataFrame(_repetitive(COMPILED_ROWS + 10, seed=14), columns=names)
    before = model.margin(X)
    model.contributions(X.iloc[:3_000])
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.margin(X), before)


def test_infinite_thresholds_send_infinity_where_lightgbm_does() -> None:
    """A split of missing values against every number has the threshold inf; the JSON
    dump writes it as 1e300, which once sent +inf and values beyond 1e300 the wrong way."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 2))
    X[rng.random(3000) < 0.3, 1] = np.nan
    y = ((X[:, 0] > 0) ^ np.isnan(X[:, 1])).astype(int)
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 4},
                        lgb.Dataset(X, y), 3)
    assert "inf" in booster.model_to_string().split("threshold=", 1)[1].split("\n", 1)[0]
    from_dump = model_splits(booster)
    assert from_dump is not None
    assert np.isinf(from_dump.node_threshold).any()
    A = np.tile([[0.5, np.inf], [0.5, 1e301], [0.5, 1.0], [-0.5, np.nan], [np.inf, -np.inf]],
                (600, 1))
    want = booster.predict(A, raw_score=True)
    masks = leafmasks.leaf_masks(from_dump)
    assert masks is not None
    np.testing.assert_array_equal(
        leafmasks.masked_margin(masks, leafmasks.split_columns(from_dump, A)), want)
    tables = treeshap.tabulate(from_dump)
    assert tables is not None
    np.testing.assert_allclose(treeshap.contributions(tables, A),
                               booster.predict(A, pred_contrib=True), rtol=0, atol=1e-12)


def _masked_case(params: dict[str, object], *, rounds: int, rows: int, seed: int,
                 nan_column: int, zero_column: int
                 ) -> tuple[lgb.Booster, Splits, leafmasks.LeafMasks, np.ndarray]:
    """A model with its splits and leaf masks, and repetitive rows with NaN and zeros."""
    booster = _booster(params, rounds=rounds)
    splits = model_splits(booster)
    assert splits is not None
    masks = leafmasks.leaf_masks(splits)
    assert masks is not None
    X = _repetitive(rows, seed=seed)
    X[8::7, nan_column] = np.nan
    X[9::11, zero_column] = 0.0
    return booster, splits, masks, X


@pytest.mark.parametrize("params", [
    {"num_leaves": 15, "max_depth": 4},  # 16-bit masks
    {"num_leaves": 31, "zero_as_missing": True},  # 32-bit masks, zero as missing
    {"num_leaves": 63, "max_bin": 1023},  # 64-bit masks, many thresholds per feature
    {"num_leaves": 31, "use_missing": False},
    {"num_leaves": 8, "max_depth": 3, "min_data_in_leaf": 2000},  # single-leaf trees only
])
def test_leaf_masks_equal_predict_bit_for_bit(params: dict[str, object]) -> None:
    booster, splits, masks, X = _masked_case(params, rounds=50, rows=3_000, seed=21,
                                             nan_column=2, zero_column=3)
    want = booster.predict(X, raw_score=True)
    narrow = leafmasks.split_columns(splits, X)
    np.testing.assert_array_equal(leafmasks.masked_margin(masks, narrow), want)
    # every threshold itself, and the values just around it, land on LightGBM's side
    parts = [X[:1]]
    for j, f in enumerate(splits.features):
        th = splits.thresholds[j]
        rows = np.tile(X[10], (3 * len(th), 1))
        rows[:, f] = np.concatenate([th, np.nextafter(th, -np.inf), np.nextafter(th, np.inf)])
        parts.append(rows)
    probe = np.vstack(parts)
    np.testing.assert_array_equal(
        leafmasks.masked_margin(masks, leafmasks.split_columns(splits, probe)),
        booster.predict(probe, raw_score=True))
    assert leafmasks.masked_margin(masks, np.zeros((len(splits.features), 0))).shape == (0,)
    with pytest.raises(ValueError, match="rows of split features"):
        leafmasks.masked_margin(masks, np.zeros((len(splits.features) + 1, 4)))


def test_leaf_masks_mix_single_leaf_trees_and_splits() -> None:
    from dataclasses import replace

    booster = _booster({"num_leaves": 7}, rounds=10)
    splits = model_splits(booster)
    assert splits is not None
    # a single-leaf tree in front, one in the middle: leaves shift, roots go negative
    shift = lambda c: np.where(c < 0, c - 2, c).astype(np.int32)  # noqa: E731
    middle = int(splits.roots[5])
    mixed = replace(splits, node_left=shift(splits.node_left),
                    node_right=shift(splits.node_right),
                    leaf_value=np.concatenate([[0.25, -0.5], splits.leaf_value]),
                    leaf_count=np.concatenate([[1.0, 1.0], splits.leaf_count]),
                    roots=np.concatenate([[-1], splits.roots[:5], [-2],
                                          splits.roots[5:]]).astype(np.int32))
    assert middle in mixed.roots
    masks = leafmasks.leaf_masks(mixed)
    assert masks is not None
    X = _repetitive(2_000, seed=4)
    got = leafmasks.masked_margin(masks, leafmasks.split_columns(mixed, X))
    np.testing.assert_allclose(got, booster.predict(X, raw_score=True) - 0.25, rtol=0,
                               atol=1e-12)


def test_leaf_masks_refuse_wide_trees_and_big_tables() -> None:
    booster = _booster({"num_leaves": 100, "min_data_in_leaf": 2}, rounds=5)
    splits = model_splits(booster)
    assert splits is not None
    assert leafmasks.leaf_masks(splits) is None  # more than 64 leaves: no mask width fits
    small = model_splits(_booster({"num_leaves": 15}, rounds=20))
    assert small is not None
    assert leafmasks.leaf_masks(small, max_bytes=100) is None
    names = [f"f{i}" for i in range(splits.n_features)]
    model = FakeModel(booster=booster, task="account", features=names,
                      calibration=Calibration(), threshold_fake=0.5, threshold_review=0.3)
    X = pd.DataFrame(_repetitive(COMPILED_ROWS + 10, seed=3), columns=names)
    np.testing.assert_array_equal(model.margin(X), booster.predict(X.to_numpy(),
                                                                   raw_score=True))
    assert model.leaf_masks is None  # LightGBM scored them


@pytest.mark.parametrize("params", [
    {"num_leaves": 15, "max_depth": 4},
    {"num_leaves": 31, "zero_as_missing": True},
    {"num_leaves": 63, "max_bin": 1023},
])
def test_pattern_keys_give_the_margins_of_their_rows(params: dict[str, object]) -> None:
    booster, splits, masks, X = _masked_case(params, rounds=40, rows=4_000, seed=8,
                                             nan_column=1, zero_column=4)
    narrow = leafmasks.split_columns(splits, X)
    keys = leafmasks.interval_keys(masks, narrow, len(X))
    assert keys is not None and keys.dtype == np.int64
    # column by column, in place: views, read-only arrays, a constant (absent) column
    cols: list[np.ndarray | None] = [X[:, f] for f in splits.features]
    cols[0] = np.broadcast_to(np.nan, (len(X),))
    cols[1] = cols[1].copy()
    cols[1].flags.writeable = False
    same = narrow.copy()
    same[0] = np.nan
    np.testing.assert_array_equal(leafmasks.interval_keys(masks, cols, len(X)),
                                  leafmasks.interval_keys(masks, same, len(X)))
    np.testing.assert_array_equal(leafmasks.interval_keys(masks, [None, *cols[1:]], len(X)),
                                  leafmasks.interval_keys(masks, same, len(X)))
    with pytest.raises(ValueError, match="split feature column"):
        leafmasks.interval_keys(masks, [c[:5] if c is not None else None for c in cols], len(X))
    with pytest.raises(ValueError, match="split feature column"):  # not spread silently
        leafmasks.interval_keys(masks, [np.zeros(1), *cols[1:]], len(X))
    np.testing.assert_array_equal(leafmasks.keyed_margin(masks, keys),
                                  booster.predict(X, raw_score=True))
    assert len(np.unique(keys)) < len(keys)  # repeated rows share a key
    assert leafmasks.keyed_margin(masks, np.zeros(0, dtype=np.int64)).shape == (0,)


def test_pattern_keys_refuse_models_whose_patterns_do_not_fit() -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(5_000, 12))
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 63,
                         "min_data_in_leaf": 2, "max_bin": 1023},
                        lgb.Dataset(X, (X.sum(axis=1) > 0) * 1), 40)
    splits = model_splits(booster)
    assert splits is not None
    masks = leafmasks.leaf_masks(splits)
    assert masks is not None
    assert leafmasks.interval_keys(masks, leafmasks.split_columns(splits, X), len(X)) is None
    names = [f"f{i}" for i in range(12)]
    model = FakeModel(booster=booster, task="account", features=names,
                      calibration=Calibration(), threshold_fake=0.5, threshold_review=0.3)
    assert model.pattern_keys_columns({}, 0) is None


def test_fake_model_scores_pattern_keys_like_columns() -> None:
    booster = _booster({"num_leaves": 15}, rounds=30)
    names = [f"f{i}" for i in range(6)]
    model = FakeModel(booster=booster, task="account", features=names,
                      calibration=Calibration.fit(booster.predict(_data()[0], raw_score=True),
                                                  _data()[1], "isotonic"),
                      threshold_fake=0.5, threshold_review=0.3)
    X = _repetitive(COMPILED_ROWS + 50, seed=2)
    columns = {name: X[:, i] for i, name in enumerate(names) if i != 3}  # f3 missing
    keys = model.pattern_keys_columns(columns, len(X))
    assert keys is not None
    np.testing.assert_array_equal(model.predict_proba_keys(keys),
                                  model.predict_proba_columns(columns, len(X)))
