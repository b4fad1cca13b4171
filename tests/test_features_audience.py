"""Audience features: the rule-based fallback, a scorer, shares and their interval."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fakedetect.features import (
    RULE_NAME,
    audience_fake_share,
    audience_profile_features,
    build_features,
    dataset_from_frames,
    feature_names,
    rule_based_fake_probability,
    wilson_interval,
)

CLEAN = {"follower_username": "anna", "followers": 400, "following": 300, "posts": 50,
         "has_profile_pic": True, "is_private": False, "bio_length": 20}
FAKE = {"follower_username": "user12345", "followers": 10, "following": 2000, "posts": 0,
        "has_profile_pic": False, "is_private": False, "bio_length": 0}
P_CLEAN = 1 / (1 + math.exp(3.0))  # no points
P_FAKE = 1 / (1 + math.exp(-(2.0 + 1.5 + 0.5 + 1.5 + 0.5 + 0.7 - 3.0)))


def _audience() -> pd.DataFrame:
    rows = []
    for i in range(6):
        rows.append({**CLEAN, "account_id": "a", "follower_username": f"anna{i}"})
    for i in range(4):
        rows.append({**FAKE, "account_id": "a", "follower_username": f"user12345{i}"})
    for i in range(3):
        rows.append({**CLEAN, "account_id": "small", "follower_username": f"x{i}"})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def dataset():
    accounts = pd.DataFrame({"account_id": ["a", "small", "none"], "followers": 1000})
    return dataset_from_frames({"accounts": accounts, "audience": _audience()})


def test_rule_on_clean_and_fake_profiles() -> None:
    frame = audience_profile_features(pd.DataFrame([{**CLEAN, "account_id": "x"},
                                                    {**FAKE, "account_id": "x"}]))
    p = rule_based_fake_probability(frame)
    assert p == pytest.approx([P_CLEAN, P_FAKE])
    # missing inputs score no points
    empty = pd.DataFrame({n: [np.nan] for n in feature_names("account")})
    assert rule_based_fake_probability(empty) == pytest.approx([P_CLEAN])


def test_audience_features_with_the_rule(dataset) -> None:
    feats = build_features(dataset)
    a = feats.loc["a"]
    assert a["audience__fake_share__scorer_model"] == pytest.approx(
        (6 * P_CLEAN + 4 * P_FAKE) / 10)
    assert a["audience__mass_follower_share__following_1500"] == pytest.approx(0.4)
    assert a["audience__no_picture_share"] == pytest.approx(0.4)
    assert a["audience__sample_size"] == 10
    assert a["coverage__audience"]
    small = feats.loc["small"]
    assert small["audience__sample_size"] == 3
    assert np.isnan(small["audience__fake_share__scorer_model"])
    assert not small["coverage__audience"]
    assert feats.loc["none", "audience__sample_size"] == 0


def test_fake_share_interval_and_method(dataset) -> None:
    share = audience_fake_share(dataset)
    assert list(share.columns) == ["fake_share", "fake_share_low", "fake_share_high",
                                   "fake_share_se", "fake_share_at_bound", "sample_size",
                                   "method"]
    assert share.index.name == "account_id"
    assert list(share.index) == ["a", "none", "small"]
    assert (share["method"] == RULE_NAME).all()
    # the rule has no measured error rates: the plain mean, with its sampling interval
    values = np.array([P_CLEAN] * 6 + [P_FAKE] * 4)
    p, n = values.mean(), 10
    se = math.sqrt((9 * values.var(ddof=1) + p * (1 - p)) / n / n)
    half = 1.959964 * se
    row = share.loc["a"]
    assert row["fake_share"] == pytest.approx(p)
    assert row["fake_share_se"] == pytest.approx(se)
    assert row["fake_share_low"] == pytest.approx(p - half)
    assert row["fake_share_high"] == pytest.approx(p + half)
    assert not share["fake_share_at_bound"].any()
    # the small sample still gets an estimate, with a wider interval
    small = share.loc["small"]
    assert small["sample_size"] == 3
    # followers who all look alike still leave the share uncertain in a small sample
    assert small["fake_share_low"] <= small["fake_share"] < small["fake_share_high"] - 0.1
    assert share.loc["none", "sample_size"] == 0 and np.isnan(share.loc["none", "fake_share"])


def test_a_scorer_replaces_the_rule(dataset) -> None:
    seen: list[list[str]] = []

    def scorer(frame: pd.DataFrame) -> np.ndarray:
        seen.append(list(frame.columns))
        return np.where(frame["accounts__has_profile_pic"] == 0, 0.9, 0.1)

    feats = build_features(dataset, account_scorer=scorer)
    assert seen[0] == feature_names("account")
    assert feats.loc["a", "audience__fake_share__scorer_model"] == pytest.approx(
        (6 * 0.1 + 4 * 0.9) / 10)
    share = audience_fake_share(dataset, account_scorer=scorer)
    assert (share["method"] == "account_model").all()
    with pytest.raises(ValueError, match="one probability per audience row"):
        build_features(dataset, account_scorer=lambda f: np.zeros(3))


def test_wilson_interval_edges() -> None:
    low, high = wilson_interval(np.array([0.0, 1.0, 0.5, 0.5]), np.array([20, 20, 0, 10_000]))
    assert low[0] == 0.0 and 0 < high[0] < 0.2
    assert high[1] == 1.0 and 0.8 < low[1] < 1.0
    assert np.isnan(low[2]) and np.isnan(high[2])
    assert high[3] - low[3] < 0.02


def test_rule_separates_real_instafake_profiles(shared_data) -> None:
    rows = []
    for name, label in (("fakeAccountData.json", 1), ("realAccountData.json", 0)):
        for rec in json.loads((shared_data / "instafake" / name).read_text()):
            rows.append({
                "account_id": "x", "followers": rec["userFollowerCount"],
                "following": rec["userFollowingCount"], "posts": rec["userMediaCount"],
                "bio_length": rec["userBiographyLength"],
                "has_profile_pic": bool(rec["userHasProfilPic"]),
                "is_private": bool(rec["userIsPrivate"]),
                "username_digits": rec["usernameDigitCount"],
                "username_length": rec["usernameLength"], "label": label,
            })
    frame = pd.DataFrame(rows)
    feats = audience_profile_features(frame.drop(columns="label"))
    p = rule_based_fake_probability(feats)
    y = frame["label"].to_numpy()
    # rank-based AUC
    ranks = pd.Series(p).rank().to_numpy()
    n1, n0 = y.sum(), len(y) - y.sum()
    auc = (ranks[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)
    assert auc > 0.9
    assert p[y == 1].mean() > 0.5 > p[y == 0].mean()


@pytest.mark.parametrize(("chunk", "keyed"), [
    (None, None),  # one chunk
    (7_919, None),  # accounts across chunks, all keys scored at once
    (7_919, 20_000),  # ... and keys scored about every third chunk
])
def test_model_scorer_columns_path_equals_the_frame_path(
        sim_dir: Path, chunk: int | None, keyed: int | None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import lightgbm as lgb

    from fakedetect.features import audience, audience_fake_share, feature_names
    from fakedetect.model import COMPILED_ROWS, Calibration, FakeModel
    from fakedetect.scoring import ModelScorer
    from fakedetect.validate import load_dataset

    if chunk is not None:
        monkeypatch.setattr(audience, "SCORE_ROWS", chunk)
    if keyed is not None:
        monkeypatch.setattr(audience, "KEYED_ROWS", keyed)
    dataset = load_dataset(sim_dir)
    assert len(dataset.get("audience")) >= COMPILED_ROWS  # the columns skip the frame
    names = feature_names("account")
    rng = np.random.default_rng(3)
    X = rng.normal(size=(2_000, len(names)))
    X[:, 8:] = np.nan  # like a follower sample: engagement aggregates missing
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 15},
                        lgb.Dataset(X, (X[:, 0] + X[:, 3] > 0) * 1, feature_name=names), 30)
    model = FakeModel(booster=booster, task="account", features=names,
                      calibration=Calibration(), threshold_fake=0.5, threshold_review=0.3)
    calls: list[int] = []

    class Spy(ModelScorer):
        def score_keys(self, keys: np.ndarray) -> np.ndarray:
            calls.append(len(keys))
            return super().score_keys(keys)

    fast = audience_fake_share(dataset, account_scorer=Spy(model))
    rows = len(dataset.get("audience"))
    assert sum(calls) == rows  # every follower keyed and scored
    if keyed is None:
        assert len(calls) == 1  # all at once
    else:  # whenever the waiting chunks reach KEYED_ROWS
        assert chunk is not None
        assert len(calls) == math.ceil(rows / (math.ceil(keyed / chunk) * chunk)) > 1
    plain = audience_fake_share(dataset, account_scorer=lambda f: model.predict_proba(f))
    pd.testing.assert_frame_equal(fast, plain, check_exact=True)
    unkeyed = Spy(model)
    unkeyed.keys = lambda columns, rows: None  # type: ignore[method-assign]
    pd.testing.assert_frame_equal(audience_fake_share(dataset, account_scorer=unkeyed), plain,
                                  check_exact=True)  # without keys: chunk by chunk
    assert fast["fake_share"].notna().any()
    assert model.leaf_masks is not None  # scored by the leaf masks
    needed = ModelScorer(model).inputs  # only these were built for the followers
    assert needed is not None and len(needed) > 0 and set(needed) <= set(names[:8])
