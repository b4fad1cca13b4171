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


def test_fake_model_margin_uses_patterns_on_large_inputs() -> None:
    booster = _booster({"num_leaves": 15, "max_depth": 4})
    names = [f"f{i}" for i in range(6)]
    model = FakeModel(booster=booster, task="account", features=names,
                      calibration=Calibration(), threshold_fake=0.5, threshold_review=0.3)
    X = pd.DataFrame(_repetitive(PATTERN_ROWS + 100, seed=6), columns=names)
    margin = model.margin(X)
    assert model._splits  # the pattern path was taken
    np.testing.assert_array_equal(margin, booster.predict(X.to_numpy(), raw_score=True))
