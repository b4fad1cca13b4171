"""Engagement features: hand-computed values on tiny post histories."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from fakedetect.features import build_features, dataset_from_frames, expected_engagement_rate

T0 = pd.Timestamp("2024-03-01 12:00", tz="UTC")
N = 30


def _posts(account: str, likes: list[float], comments: list[float] | None = None,
           views: list[float] | None = None, every_days: float = 2.0,
           start: pd.Timestamp = T0) -> pd.DataFrame:
    k = len(likes)
    return pd.DataFrame({
        "account_id": account,
        "post_id": [f"{account}-{i}" for i in range(k)],
        "posted_at": [start + pd.Timedelta(days=every_days * i) for i in range(k)],
        "likes": pd.array(likes, dtype="Int64"),
        "comments": pd.array(comments if comments is not None else [0] * k, dtype="Int64"),
        "views": pd.array(views if views is not None else [None] * k, dtype="Int64"),
    })


@pytest.fixture(scope="module")
def feats() -> pd.DataFrame:
    accounts = pd.DataFrame({"account_id": ["a", "few", "long", "trend", "nofol"],
                             "followers": [1000, 1000, 1000, 1000, 0]})
    long_likes = [10**6] * 5 + [100 + i for i in range(30)]
    posts = pd.concat([
        _posts("a", [10, 20, 30, 40, 1000], [1, 2, None, 4, 5],
               [50, 200, None, 400, 2000]),
        _posts("few", [10, 20]),
        _posts("long", long_likes, every_days=1.0),
        # trend: engagement x10 every 5 days; followers flat
        _posts("trend", [9, 99, 999], [0, 0, 0], every_days=5.0,
               start=pd.Timestamp("2024-01-01 12:00", tz="UTC")),
        _posts("nofol", [10, 20, 30]),
    ])
    snaps = pd.DataFrame({
        "account_id": "trend",
        "date": pd.date_range("2024-01-01", periods=14, tz="UTC"),
        "followers": 1000,
    })
    ds = dataset_from_frames({"accounts": accounts, "posts": posts, "snapshots": snaps})
    return build_features(ds)


def test_median_engagement_rate_and_tier(feats: pd.DataFrame) -> None:
    # (likes + comments, missing comments as 0) / 1000: 11 22 30 44 1005 -> median 30
    a = feats.loc["a"]
    assert a[f"posts__median_engagement_rate__last_{N}"] == pytest.approx(0.030)
    expected = 0.016 * (1000 / 20_000) ** -0.2
    assert a[f"posts__engagement_vs_tier__last_{N}"] == pytest.approx(0.030 / expected)


def test_like_dispersion(feats: pd.DataFrame) -> None:
    # likes 10 20 30 40 1000: mean 220, population variance 761000 / 5
    a = feats.loc["a"]
    assert a[f"posts__like_cv__last_{N}"] == pytest.approx(math.sqrt(152_200) / 220)
    # Gini: (-4*10 - 2*20 + 0*30 + 2*40 + 4*1000) / (5 * 1100)
    assert a[f"posts__like_gini__last_{N}"] == pytest.approx(4000 / 5500)


def test_comment_like_ratio_skips_unknown_comments(feats: pd.DataFrame) -> None:
    # posts with a comment count: likes 10 + 20 + 40 + 1000, comments 1 + 2 + 4 + 5
    assert feats.loc["a", f"posts__comment_like_ratio__last_{N}"] == pytest.approx(12 / 1070)


def test_like_outliers(feats: pd.DataFrame) -> None:
    # log1p(likes) median log 31, MAD log(31/21); log(1001/31) / (1.4826 * log(31/21)) = 6.0
    z = math.log(1001 / 31) / (1.4826 * math.log(31 / 21))
    assert z > 3
    assert feats.loc["a", "posts__share_like_outliers__robust_z_3"] == pytest.approx(1 / 5)
    assert feats.loc["long", "posts__share_like_outliers__robust_z_3"] == 0.0


def test_views_per_like(feats: pd.DataFrame) -> None:
    # views / likes: 5, 10, 10, 2 -> median 7.5
    assert feats.loc["a", f"posts__views_per_like__last_{N}"] == pytest.approx(7.5)
    assert np.isnan(feats.loc["long", f"posts__views_per_like__last_{N}"])


def test_posts_per_week(feats: pd.DataFrame) -> None:
    # 5 posts two days apart: 4 intervals over 8 days
    assert feats.loc["a", f"posts__posts_per_week__last_{N}"] == pytest.approx(3.5)
    # last 30 of 35 daily posts: 29 intervals over 29 days
    assert feats.loc["long", f"posts__posts_per_week__last_{N}"] == pytest.approx(7.0)


def test_only_the_last_posts_count(feats: pd.DataFrame) -> None:
    # the first five posts (a million likes each) are older than the last 30
    likes = np.array([100 + i for i in range(30)], dtype=float)
    row = feats.loc["long"]
    assert row[f"posts__median_engagement_rate__last_{N}"] == pytest.approx(114.5 / 1000)
    assert row[f"posts__like_cv__last_{N}"] == pytest.approx(likes.std() / likes.mean())


def test_engagement_trend_against_followers(feats: pd.DataFrame) -> None:
    # log1p(engagement) = log 10, log 100, log 1000 five days apart; followers are flat
    value = feats.loc["trend", "posts__engagement_follower_trend__per_30_days"]
    assert value == pytest.approx(30 * math.log(10) / 5, rel=1e-3)
    # no snapshots for "a": NaN
    assert np.isnan(feats.loc["a", "posts__engagement_follower_trend__per_30_days"])


def test_too_few_posts_and_no_followers(feats: pd.DataFrame) -> None:
    eng = [c for c in feats.columns if c.startswith("posts__")
           and c != f"posts__posts_per_week__last_{N}"]
    assert feats.loc["few", eng].isna().all()
    assert not feats.loc["few", "coverage__posts"]
    assert feats.loc["a", "coverage__posts"]
    assert np.isnan(feats.loc["nofol", f"posts__median_engagement_rate__last_{N}"])
    assert feats.loc["nofol", f"posts__like_gini__last_{N}"] == pytest.approx(
        (-2 * 10 + 0 + 2 * 30) / (3 * 60))


def test_expected_engagement_rate_curve() -> None:
    f = np.array([1_000, 10_000, 20_000, 50_000, 1_000_000, 0, np.nan])
    med, low, high = expected_engagement_rate(f)
    assert med[2] == pytest.approx(0.016)
    assert np.all(np.diff(med[:5]) < 0)  # falls with audience size
    assert low[:5] == pytest.approx(med[:5] / 3)
    assert high[:5] == pytest.approx(med[:5] * 3)
    assert np.isnan(med[5:]).all()
    # at each tier's geometric midpoint the band covers every published figure
    # (data/README: HypeAuditor 2026, Mavrck, Markerly)
    tiers = {math.sqrt(1e3 * 1e4): (0.0178, 0.04, 0.068),
             math.sqrt(1e4 * 5e4): (0.0054, 0.0307, 0.0237),
             math.sqrt(5e4 * 5e5): (0.022, 0.023),
             math.sqrt(1e6 * 1e7): (0.0033, 0.0166)}
    for followers, published in tiers.items():
        _, lo, hi = expected_engagement_rate(np.array([followers]))
        assert lo[0] <= min(published) and max(published) <= hi[0], followers
