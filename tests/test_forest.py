"""Predicting once per decision pattern gives exactly LightGBM's predictions."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from fakedetect import forest
from fakedetect.model import PATTERN_ROWS, Calibration, FakeModel
from tests.test_treeshap import _booster, _data


def _repetitive(n: int, seed: int) -> np.ndarray:
    """Rows drawn from a small pool (like follower profiles), plus edge values."""
    X, _ = _data(n=n // 4 + 20, seed=seed)
    rng = np.random.default_rng(seed)
    X = X[rng.integers(0, len(X), n)]
    X[:8] = np.array([np.nan, 0.0, -0.0, 1e-36, -1e-35, 2e-35, np.inf, -np.inf])[:, None]
    return X


@pytest.mark.parametrize("params", [
    {"num_leaves": 15, "max_depth": 4},
    {"num_leaves": 63, "max_bin": 1023},  # many thresholds per feature
    {"num_leaves": 31, "zero_as_missing": True},
    {"num_leaves": 31, "use_missing": False},
])
def test_raw_margin_equals_predict(params: dict[str, object]) -> None:
    booster = _booster(params, rounds=60)
    splits = forest.model_splits(booster)
    assert splits is not None
    X = _repetitive(20_000, seed=5)
    first, group = forest.pattern_groups(splits, X)
    assert len(first) < len(X)  # repeated rows were grouped
    assert np.array_equal(group[first], np.arange(len(first)))
    np.testing.assert_array_equal(forest.raw_margin(booster, splits, X),
                                  booster.predict(X, raw_score=True))


@pytest.mark.parametrize("params", [
    {"num_leaves": 15, "max_depth": 4},
    {"num_leaves": 63, "max_depth": 12},
    {"num_leaves": 31, "zero_as_missing": True},
    {"num_leaves": 31, "use_missing": False},
])
def test_tree_margin_equals_predict_bit_for_bit(params: dict[str, object]) -> None:
    booster = _booster(params, rounds=50)
    splits = forest.model_splits(booster)
    assert splits is not None
    X = _repetitive(5_000, seed=11)
    np.testing.assert_array_equal(forest.tree_margin(splits, X),
                                  booster.predict(X, raw_score=True))
    np.testing.assert_array_equal(forest.tree_margin(splits, np.asfortranarray(X)),
                                  booster.predict(X, raw_score=True))
    with pytest.raises(ValueError, match="6 features"):
        forest.tree_margin(splits, X[:, :5])


def test_tree_margin_respects_best_iteration_and_single_leaf_trees() -> None:
    booster = _booster({"num_leaves": 7}, rounds=30)
    booster.best_iteration = 12
    X = _repetitive(1_000, seed=12)
    splits = forest.model_splits(booster)
    assert splits is not None and len(splits.roots) == 12
    np.testing.assert_array_equal(forest.tree_margin(splits, X),
                                  booster.predict(X, raw_score=True))
    X2, y2 = _data(n=200)
    flat = lgb.train({"objective": "binary", "verbose": -1, "min_data_in_leaf": 1_000},
                     lgb.Dataset(X2, y2), num_boost_round=3)
    flat_splits = forest.model_splits(flat)
    assert flat_splits is not None and (flat_splits.roots < 0).all()
    np.testing.assert_array_equal(forest.tree_margin(flat_splits, X2),
                                  flat.predict(X2, raw_score=True))


def test_rows_exactly_on_thresholds_are_grouped_correctly() -> None:
    booster = _booster({"num_leaves": 31}, rounds=30)
    splits = forest.model_splits(booster)
    assert splits is not None
    base = np.nanmedian(_data()[0], axis=0)
    rows = []
    for f, th in zip(splits.features, splits.thresholds, strict=True):
        for t in th:
            for v in (np.nextafter(t, -np.inf), t, np.nextafter(t, np.inf)):
                r = base.copy()
                r[f] = v
                rows.append(r)
    X = np.array(rows)
    np.testing.assert_array_equal(forest.raw_margin(booster, splits, X),
                                  booster.predict(X, raw_score=True))


def test_wide_keys_fall_back_to_refactorising() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5_000, 30))
    y = (X[:, :10].sum(axis=1) + rng.normal(size=5_000) > 0).astype(int)
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 31},
                        lgb.Dataset(X, y), num_boost_round=80)
    splits = forest.model_splits(booster)
    assert splits is not None
    span = np.prod([float(len(t) + 3) for t in splits.thresholds])
    assert span > 2.0**62  # the combined key had to be re-factorised on the way
    np.testing.assert_array_equal(forest.raw_margin(booster, splits, X),
                                  booster.predict(X, raw_score=True))


def test_categorical_models_predict_every_row() -> None:
    X, y = _data()
    X[:, 1] = X[:, 1].astype(int)
    booster = lgb.train({"objective": "binary", "verbose": -1, "min_data_per_group": 5},
                        lgb.Dataset(X, y, categorical_feature=[1]), num_boost_round=10)
    assert forest.model_splits(booster) is None
    np.testing.assert_array_equal(forest.raw_margin(booster, None, X[:50]),
                                  booster.predict(X[:50], raw_score=True))


def test_fake_model_margin_uses_leaf_masks_on_large_inputs() -> None:
    booster = _booster({"num_leaves": 15, "max_depth": 4})
    names = [f"f{i}" for i in range(6)]
    model = FakeModel(booster=booster, task="account", features=names,
                      calibration=Calibration(), threshold_fake=0.5, threshold_review=0.3)
    X = pd.DataFrame(_repetitive(PATTERN_ROWS + 100, seed=6), columns=names)
    margin = model.margin(X)
    assert model._leaf_masks() is not None and model._patterns is None
    np.testing.assert_array_equal(margin, booster.predict(X.to_numpy(), raw_score=True))
    columns = {name: X[name].to_numpy() for name in names[1:]}  # f0 missing everywhere
    want = booster.predict(X.assign(f0=np.nan).to_numpy(), raw_score=True)
    np.testing.assert_array_equal(model.predict_proba_columns(columns, len(X)),
                                  model.calibration(want))


def test_pattern_margins_remember_patterns_across_chunks(
        monkeypatch: pytest.MonkeyPatch) -> None:
    booster = _booster({"num_leaves": 15, "max_depth": 4}, rounds=40)
    splits = forest.model_splits(booster)
    assert splits is not None
    asked: list[int] = []
    walk = forest.tree_margin
    monkeypatch.setattr(forest, "tree_margin",
                        lambda sp, X: asked.append(len(X)) or walk(sp, X))
    margins = forest.PatternMargins(splits)
    X = _repetitive(30_000, seed=8)
    ref = booster.predict(X, raw_score=True)
    parts = [margins(X[lo:lo + 7_000]) for lo in range(0, len(X), 7_000)]
    np.testing.assert_array_equal(np.concatenate(parts), ref)
    distinct = len(forest.pattern_groups(splits, X)[0])
    assert sum(asked) == distinct == len(margins)  # each pattern predicted once
    np.testing.assert_array_equal(margins(X[::-1]), ref[::-1])
    assert sum(asked) == distinct  # nothing new to predict


def test_pattern_margins_start_over_when_full() -> None:
    booster = _booster({"num_leaves": 15}, rounds=20)
    splits = forest.model_splits(booster)
    assert splits is not None
    margins = forest.PatternMargins(splits, max_patterns=500)
    X = _repetitive(6_000, seed=9)
    for lo in range(0, len(X), 1_000):
        np.testing.assert_array_equal(margins(X[lo:lo + 1_000]),
                                      booster.predict(X[lo:lo + 1_000], raw_score=True))
        assert 0 < len(margins) <= 500


def test_pattern_margins_from_threads() -> None:
    from concurrent.futures import ThreadPoolExecutor

    booster = _booster({"num_leaves": 15}, rounds=20)
    splits = forest.model_splits(booster)
    assert splits is not None
    margins = forest.PatternMargins(splits)
    X = _repetitive(16_000, seed=10)
    chunks = [X[lo:lo + 2_000] for lo in range(0, len(X), 2_000)]
    with ThreadPoolExecutor(4) as pool:
        out = list(pool.map(margins, chunks))
    np.testing.assert_array_equal(np.concatenate(out), booster.predict(X, raw_score=True))


def test_matrices_of_the_wrong_width_are_refused() -> None:
    booster = _booster({"num_leaves": 7}, rounds=5)
    splits = forest.model_splits(booster)
    assert splits is not None
    margins = forest.PatternMargins(splits)
    X = _repetitive(100, seed=13)
    margins(X)
    for bad in (X[:, :5], np.hstack([X, X[:, :1]])):
        for call in (margins, lambda A: forest.pattern_keys(splits, A),
                     lambda A: forest.pattern_groups(splits, A)):
            with pytest.raises(ValueError, match="6 features"):
                call(bad)


def test_a_model_that_has_scored_still_pickles() -> None:
    import pickle

    booster = _booster({"num_leaves": 15}, rounds=10)
    names = [f"f{i}" for i in range(6)]
    model = FakeModel(booster=booster, task="account", features=names,
                      calibration=Calibration(), threshold_fake=0.5, threshold_review=0.3)
    X = pd.DataFrame(_repetitive(PATTERN_ROWS + 10, seed=14), columns=names)
    before = model.margin(X)
    model.contributions(X.iloc[:3_000])
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.margin(X), before)


def test_infinite_thresholds_send_infinity_where_lightgbm_does() -> None:
    """A split of missing values against every number has the threshold inf; the JSON
    dump writes it as 1e300, which once sent +inf and values beyond 1e300 the wrong way."""
    from fakedetect import treeshap

    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 2))
    X[rng.random(3000) < 0.3, 1] = np.nan
    y = ((X[:, 0] > 0) ^ np.isnan(X[:, 1])).astype(int)
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 4},
                        lgb.Dataset(X, y), 3)
    assert "inf" in booster.model_to_string().split("threshold=", 1)[1].split("\n", 1)[0]
    from_dump = forest.model_splits(booster)
    read = forest.text_splits(booster.model_to_string())
    assert from_dump is not None and read is not None
    assert np.isinf(from_dump.node_threshold).any()
    np.testing.assert_array_equal(read[0].node_threshold, from_dump.node_threshold)
    A = np.tile([[0.5, np.inf], [0.5, 1e301], [0.5, 1.0], [-0.5, np.nan], [np.inf, -np.inf]],
                (600, 1))
    want = booster.predict(A, raw_score=True)
    np.testing.assert_array_equal(forest.tree_margin(from_dump, A), want)
    np.testing.assert_array_equal(forest.PatternMargins(from_dump)(A), want)
    tables = treeshap.tabulate(from_dump)
    assert tables is not None
    np.testing.assert_allclose(treeshap.contributions(tables, A),
                               booster.predict(A, pred_contrib=True), rtol=0, atol=1e-12)


def _masked_case(params: dict[str, object], *, rounds: int, rows: int, seed: int,
                 nan_column: int, zero_column: int
                 ) -> tuple[lgb.Booster, forest.Splits, forest.LeafMasks, np.ndarray]:
    """A model with its splits and leaf masks, and repetitive rows with NaN and zeros."""
    booster = _booster(params, rounds=rounds)
    splits = forest.model_splits(booster)
    assert splits is not None
    masks = forest.leaf_masks(splits)
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
    np.testing.assert_array_equal(forest.masked_margin(masks, forest.split_columns(splits, X)),
                                  want)
    np.testing.assert_array_equal(forest.tree_margin(splits, X), want)
    # every threshold itself, and the values just around it, land on LightGBM's side
    parts = [X[:1]]
    for j, f in enumerate(splits.features):
        th = splits.thresholds[j]
        rows = np.tile(X[10], (3 * len(th), 1))
        rows[:, f] = np.concatenate([th, np.nextafter(th, -np.inf), np.nextafter(th, np.inf)])
        parts.append(rows)
    probe = np.vstack(parts)
    np.testing.assert_array_equal(
        forest.masked_margin(masks, forest.split_columns(splits, probe)),
        booster.predict(probe, raw_score=True))
    assert forest.masked_margin(masks, np.zeros((len(splits.features), 0))).shape == (0,)
    with pytest.raises(ValueError, match="rows of split features"):
        forest.masked_margin(masks, np.zeros((len(splits.features) + 1, 4)))


def test_leaf_masks_mix_single_leaf_trees_and_splits() -> None:
    from dataclasses import replace

    booster = _booster({"num_leaves": 7}, rounds=10)
    splits = forest.model_splits(booster)
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
    masks = forest.leaf_masks(mixed)
    assert masks is not None
    X = _repetitive(2_000, seed=4)
    want = forest.tree_margin(mixed, X)
    np.testing.assert_allclose(want, booster.predict(X, raw_score=True) - 0.25, atol=1e-12)
    np.testing.assert_array_equal(forest.masked_margin(masks, forest.split_columns(mixed, X)),
                                  want)


def test_leaf_masks_refuse_wide_trees_and_big_tables() -> None:
    booster = _booster({"num_leaves": 100, "min_data_in_leaf": 2}, rounds=5)
    splits = forest.model_splits(booster)
    assert splits is not None
    assert forest.leaf_masks(splits) is None  # more than 64 leaves: no mask width fits
    small = forest.model_splits(_booster({"num_leaves": 15}, rounds=20))
    assert small is not None
    assert forest.leaf_masks(small, max_bytes=100) is None
    names = [f"f{i}" for i in range(splits.n_features)]
    model = FakeModel(booster=booster, task="account", features=names,
                      calibration=Calibration(), threshold_fake=0.5, threshold_review=0.3)
    X = pd.DataFrame(_repetitive(PATTERN_ROWS + 10, seed=3), columns=names)
    np.testing.assert_array_equal(model.margin(X), booster.predict(X.to_numpy(),
                                                                   raw_score=True))
    assert model._leaf_masks() is None and model._patterns  # the pattern walk took over


@pytest.mark.parametrize("params", [
    {"num_leaves": 15, "max_depth": 4},
    {"num_leaves": 31, "zero_as_missing": True},
    {"num_leaves": 63, "max_bin": 1023},
])
def test_pattern_keys_give_the_margins_of_their_rows(params: dict[str, object]) -> None:
    booster, splits, masks, X = _masked_case(params, rounds=40, rows=4_000, seed=8,
                                             nan_column=1, zero_column=4)
    narrow = forest.split_columns(splits, X)
    keys = forest.interval_keys(masks, narrow, len(X))
    assert keys is not None and keys.dtype == np.int64
    # column by column, in place: views, read-only arrays, a constant (absent) column
    cols: list[np.ndarray | None] = [X[:, f] for f in splits.features]
    cols[0] = np.broadcast_to(np.nan, (len(X),))
    cols[1] = cols[1].copy()
    cols[1].flags.writeable = False
    same = narrow.copy()
    same[0] = np.nan
    np.testing.assert_array_equal(forest.interval_keys(masks, cols, len(X)),
                                  forest.interval_keys(masks, same, len(X)))
    np.testing.assert_array_equal(forest.interval_keys(masks, [None, *cols[1:]], len(X)),
                                  forest.interval_keys(masks, same, len(X)))
    with pytest.raises(ValueError, match="split feature column"):
        forest.interval_keys(masks, [c[:5] if c is not None else None for c in cols], len(X))
    with pytest.raises(ValueError, match="split feature column"):  # not spread silently
        forest.interval_keys(masks, [np.zeros(1), *cols[1:]], len(X))
    np.testing.assert_array_equal(forest.keyed_margin(masks, keys),
                                  booster.predict(X, raw_score=True))
    assert len(np.unique(keys)) < len(keys)  # repeated rows share a key
    # equal keys exactly when the pattern keys of the tree walk are equal
    walk = forest.pattern_keys(splits, X)
    assert walk is not None
    assert len(np.unique(np.stack([keys, walk]), axis=1).T) == len(np.unique(keys))
    assert forest.keyed_margin(masks, np.zeros(0, dtype=np.int64)).shape == (0,)


def test_pattern_keys_refuse_models_whose_patterns_do_not_fit() -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(5_000, 12))
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 63,
                         "min_data_in_leaf": 2, "max_bin": 1023},
                        lgb.Dataset(X, (X.sum(axis=1) > 0) * 1), 40)
    splits = forest.model_splits(booster)
    assert splits is not None
    masks = forest.leaf_masks(splits)
    assert masks is not None
    assert forest.interval_keys(masks, forest.split_columns(splits, X), len(X)) is None
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
    X = _repetitive(PATTERN_ROWS + 50, seed=2)
    columns = {name: X[:, i] for i, name in enumerate(names) if i != 3}  # f3 missing
    keys = model.pattern_keys_columns(columns, len(X))
    assert keys is not None
    np.testing.assert_array_equal(model.predict_proba_keys(keys),
                                  model.predict_proba_columns(columns, len(X)))


@pytest.mark.parametrize("values", [
    np.zeros(0, dtype=np.int64),
    np.array([7]),
    np.array([-1, 5, -1, 2**62, -(2**63), 5, 0], dtype=np.int64),
    np.arange(5000, dtype=np.int32)[::-1],  # the table grows many times
    np.random.default_rng(3).integers(-50, 50, 20_000),  # few values, many repeats
    np.random.default_rng(4).integers(0, 2**63 - 1, 30_000, dtype=np.int64),
    np.arange(0, 1 << 40, 1 << 28, dtype=np.int64),  # low bits all zero
    # a progression in the multiplier's inverse: one slot for plain Fibonacci hashing
    (np.arange(20_000, dtype=np.uint64) * np.uint64(pow(0x9E3779B97F4A7C15, -1, 2**64))
     ).view(np.int64),
])
def test_factorize_ints_equals_pandas(values: np.ndarray) -> None:
    codes, uniques = forest.factorize_ints(values)
    want_codes, want_uniques = pd.factorize(values.astype(np.int64))
    assert codes.dtype == np.int64 and uniques.dtype == np.int64
    np.testing.assert_array_equal(codes, want_codes)
    np.testing.assert_array_equal(uniques, want_uniques)
