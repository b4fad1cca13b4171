"""Profile features: hand-computed values, derived aggregates, audience rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fakedetect.features import (
    audience_profile_features,
    build_features,
    dataset_from_frames,
    feature_names,
)

T0 = pd.Timestamp("2024-05-01", tz="UTC")


@pytest.fixture(scope="module")
def feats() -> pd.DataFrame:
    accounts = pd.DataFrame({
        "account_id": ["a", "p", "imported"],
        "username": ["ab12c3", "plain", "x"],
        "followers": pd.array([999, 1000, 1000], dtype="Int64"),
        "following": pd.array([99, 0, None], dtype="Int64"),
        "posts": pd.array([9, 3, 3], dtype="Int64"),
        "bio_length": pd.array([12, 0, None], dtype="Int64"),
        "has_profile_pic": pd.array([True, False, None], dtype="boolean"),
        "is_private": pd.array([False, True, None], dtype="boolean"),
        "external_url": pd.array([True, False, None], dtype="boolean"),
        "is_verified": pd.array([True, None, False], dtype="boolean"),
        "like_rate_pct": [np.nan, np.nan, 5.0],
        "post_similarity": [np.nan, np.nan, 0.25],
        "share_non_image_posts": [np.nan, np.nan, 0.5],
        "promo_keywords": [np.nan, np.nan, 2.0],
        "follower_hunt_keywords": [np.nan, np.nan, 1.0],
    })
    posts = pd.DataFrame({
        "account_id": ["p", "p", "p", "imported", "imported", "imported"],
        "post_id": ["1", "2", "3", "1", "2", "3"],
        "posted_at": [T0, T0 + pd.Timedelta(days=1), T0 + pd.Timedelta(days=3)] * 2,
        "likes": [10, 20, 30] * 2,
        "comments": pd.array([1, None, 3] * 2, dtype="Int64"),
        "caption_length": [0, 10, 2] * 2,
        "hashtags": [1, 2, 3] * 2,
        "has_location": [1, 0, 1] * 2,
    })
    return build_features(dataset_from_frames({"accounts": accounts, "posts": posts}),
                          "account")


def test_counts_and_ratios(feats: pd.DataFrame) -> None:
    a = feats.loc["a"]
    assert a["accounts__log_followers"] == pytest.approx(3.0)
    assert a["accounts__log_following"] == pytest.approx(2.0)
    assert a["accounts__log_posts"] == pytest.approx(1.0)
    assert a["accounts__follower_following_ratio__log"] == pytest.approx(1.0)
    assert a["accounts__posts_per_follower__log"] == pytest.approx(-2.0)
    assert feats.loc["p", "accounts__log_following"] == 0.0
    assert np.isnan(feats.loc["imported", "accounts__follower_following_ratio__log"])


def test_bio_username_and_flags(feats: pd.DataFrame) -> None:
    a = feats.loc["a"]
    assert a["accounts__bio_length"] == 12
    assert a["accounts__username_length"] == 6
    assert a["accounts__username_digits"] == 3
    assert a["accounts__has_profile_pic"] == 1.0
    assert a["accounts__is_private"] == 0.0
    assert a["accounts__external_url"] == 1.0
    assert a["accounts__is_verified"] == 1.0
    assert np.isnan(feats.loc["p", "accounts__is_verified"])
    assert feats.loc["p", "accounts__has_profile_pic"] == 0.0
    assert np.isnan(feats.loc["imported", "accounts__has_profile_pic"])


def test_aggregates_derived_from_posts(feats: pd.DataFrame) -> None:
    p = feats.loc["p"]
    assert p["accounts__like_rate_pct"] == pytest.approx(2.0)  # 1%, 2%, 3%
    assert p["accounts__comment_rate_pct"] == pytest.approx(0.2)  # 0.1%, 0.3%
    assert p["accounts__avg_caption_length"] == pytest.approx(4.0)
    assert p["accounts__share_empty_captions"] == pytest.approx(2 / 3)  # 0 and 2 chars
    assert p["accounts__share_location_tagged"] == pytest.approx(2 / 3)
    assert p["accounts__avg_hashtags"] == pytest.approx(2.0)
    assert p["accounts__post_interval_hours"] == pytest.approx(36.0)  # 3 days, 2 gaps
    assert np.isnan(p["accounts__post_similarity"])
    assert np.isnan(feats.loc["a", "accounts__like_rate_pct"])  # no posts


def test_imported_aggregates_win(feats: pd.DataFrame) -> None:
    row = feats.loc["imported"]
    assert row["accounts__like_rate_pct"] == 5.0
    assert row["accounts__post_similarity"] == 0.25
    assert row["accounts__share_non_image_posts"] == 0.5
    assert row["accounts__promo_keywords"] == 2.0
    assert row["accounts__follower_hunt_keywords"] == 1.0
    assert row["accounts__is_verified"] == 0.0
    assert np.isnan(feats.loc["p", "accounts__promo_keywords"])  # never derived
    assert row["accounts__comment_rate_pct"] == pytest.approx(0.2)  # not imported: derived


def test_account_task_columns(feats: pd.DataFrame) -> None:
    names = feature_names("account")
    assert list(feats.columns[:len(names)]) == names
    assert all(n.startswith("accounts__") for n in names)
    assert set(names) < set(feature_names("influencer"))
    assert all(feats[n].dtype == np.float64 for n in names)


def test_audience_rows_get_the_account_features() -> None:
    audience = pd.DataFrame({
        "account_id": ["inf", "inf"],
        "follower_username": ["maria_1990", "bob"],
        "followers": [9, 99],
        "following": [999, 9],
        "posts": [0, 99],
        "has_profile_pic": [False, True],
        "is_private": [True, False],
        "bio_length": [0, 30],
    })
    out = audience_profile_features(audience)
    assert list(out.columns) == [*feature_names("account"), "account_id"]
    assert out["accounts__log_followers"].tolist() == pytest.approx([1.0, 2.0])
    assert out["accounts__follower_following_ratio__log"].tolist() == pytest.approx([-2.0, 1.0])
    assert out["accounts__username_length"].tolist() == [10, 3]
    assert out["accounts__username_digits"].tolist() == [4, 0]
    assert out["accounts__has_profile_pic"].tolist() == [0.0, 1.0]
    assert out["accounts__is_verified"].isna().all()
    assert (out["account_id"] == "inf").all()
