"""Growth features: hand-computed values on tiny histories, and behaviour."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fakedetect.features import (
    SUSPICIOUS_Z,
    build_features,
    dataset_from_frames,
    robust_jump_scores,
)

# Account "a": 14 consecutive days; the daily changes below (13 of them).
D_A = [8, 12, 10, 9, 11, 10, 300, 10, 12, -40, 8, 11, 10]
F_A = list(1000 + np.concatenate(([0], np.cumsum(D_A))))
# = [1000, 1008, 1020, 1030, 1039, 1050, 1060, 1360, 1370, 1382, 1342, 1350, 1361, 1371]
G_A = [100, 100, 100, 110, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100]
# Account "b": 42 days, +1 a day except +10, +20 and +30 on three days.
D_B = [1] * 41
D_B[5], D_B[17], D_B[30] = 10, 20, 30
F_B = list(500 + np.concatenate(([0], np.cumsum(D_B))))
START = pd.Timestamp("2024-01-01", tz="UTC")


def _snapshots(account: str, followers: list[int], following: list[int] | None = None,
               days: list[int] | None = None) -> pd.DataFrame:
    days = list(range(len(followers))) if days is None else days
    return pd.DataFrame({
        "account_id": account,
        "date": [START + pd.Timedelta(days=d) for d in days],
        "followers": followers,
        "following": following if following is not None else [100] * len(followers),
        "posts": [10] * len(followers),
    })


@pytest.fixture(scope="module")
def feats() -> pd.DataFrame:
    accounts = pd.DataFrame({
        "account_id": ["a", "b", "c", "d"],
        "followers": [1371, 541, 50, 10],
        "created_at": pd.to_datetime(["2023-12-01", "2023-01-01", "2023-12-31", None],
                                     utc=True),
    })
    snaps = pd.concat([
        _snapshots("a", F_A, G_A),
        _snapshots("b", F_B),
        _snapshots("c", [50, 51, 52, 53, 54]),
    ])
    posts = pd.DataFrame({
        "account_id": ["a", "a", "d"],
        "post_id": ["p1", "p2", "p1"],
        # a: posts on day 6 (100 likes) and day 9 (18 likes + 2 comments)
        "posted_at": [START + pd.Timedelta(days=6, hours=12),
                      START + pd.Timedelta(days=9, hours=8),
                      START + pd.Timedelta(days=20)],
        "likes": [100, 18, 5],
        "comments": [0, 2, 0],
    })
    ds = dataset_from_frames({"accounts": accounts, "snapshots": snaps, "posts": posts})
    return build_features(ds)


def test_daily_change_statistics(feats: pd.DataFrame) -> None:
    rel = np.array(D_A) / np.array(F_A[:-1])
    a = feats.loc["a"]
    assert a["snapshots__daily_follower_change__mean_pct"] == pytest.approx(rel.mean())
    assert a["snapshots__daily_follower_change__std_pct"] == pytest.approx(rel.std())
    assert a["snapshots__max_jump_share__window_1"] == pytest.approx(300 / 1060)


def test_robust_jump_and_drop(feats: pd.DataFrame) -> None:
    # sorted changes: -40 8 8 9 10 10 [10] 10 11 11 12 12 300 -> median 10
    # |change - 10| sorted: 0 0 0 0 1 1 [1] 2 2 2 2 50 290 -> MAD 1 -> scale 1.4826
    a = feats.loc["a"]
    assert a["snapshots__max_jump_robust_z__window_1"] == pytest.approx(290 / 1.4826)
    assert a["snapshots__max_drop_robust_z__window_1"] == pytest.approx(50 / 1.4826)
    # three-day sums: 30 31 30 30 321 320 322 -18 -20 -21 29 -> median 30
    # |sum - 30| sorted: 0 0 0 1 1 [48] 50 51 290 291 292 -> MAD 48
    assert a["snapshots__max_jump_robust_z__window_3"] == pytest.approx(292 / (1.4826 * 48))


def test_robust_jump_scores_match_the_feature(feats: pd.DataFrame) -> None:
    z = robust_jump_scores(np.array(F_A))
    assert np.isnan(z[0])
    assert len(z) == len(F_A)
    assert np.nanmax(z) == pytest.approx(feats.loc["a", "snapshots__max_jump_robust_z__window_1"])
    assert np.nanargmax(z) == 7
    assert (z > SUSPICIOUS_Z).sum() == 1
    assert z[1] == pytest.approx((8 - 10) / 1.4826)


def test_robust_jump_scores_spread_gaps() -> None:
    # 10 followers over one day, then 20 over two days: 10 a day both times.
    z = robust_jump_scores(np.array([0, 10, 30]), days=np.array([0, 1, 3]))
    assert np.isnan(z[0])
    assert z[1:] == pytest.approx([0.0, 0.0])
    assert np.isnan(robust_jump_scores(np.array([5]))).all()


def test_growth_concentration(feats: pd.DataFrame) -> None:
    # a: gains (negatives as 0) sum to 411; 13 days -> top 1% and top 5% are one day each
    a = feats.loc["a"]
    assert a["snapshots__growth_concentration__top_pct_1"] == pytest.approx(300 / 411)
    assert a["snapshots__growth_concentration__top_pct_5"] == pytest.approx(300 / 411)
    # b: 41 days -> top 1% = 1 day, top 5% = ceil(2.05) = 3 days; total 38 + 60 = 98
    b = feats.loc["b"]
    assert b["snapshots__growth_concentration__top_pct_1"] == pytest.approx(30 / 98)
    assert b["snapshots__growth_concentration__top_pct_5"] == pytest.approx(60 / 98)


def test_purge_after_jump(feats: pd.DataFrame) -> None:
    # detrended by the median change (10 a day): 1000 998 1000 1000 999 1000 1000 1290
    # 1290 1292 1242 1240 1241 1241; the jump day holds 1290, the lowest after is 1240:
    # 50 lost of an excess jump of 300 - 10 = 290.
    assert feats.loc["a", "snapshots__purge_after_jump__days_30"] == pytest.approx(50 / 290)


def test_gains_follow_posts(feats: pd.DataFrame) -> None:
    # engagement lands on the post day and the day after: days 6, 7 -> 100; days 9, 10 -> 20
    e = np.zeros(14)
    e[[6, 7]] = 100
    e[[9, 10]] = 20
    x = np.log1p(e[1:])
    d = np.array(D_A, dtype=float)
    expected = np.corrcoef(d, x)[0, 1]
    a = feats.loc["a"]
    assert a["snapshots__gain_engagement_corr__lag_1"] == pytest.approx(expected)
    # flagged changes (days 6, 7, 9, 10): 10, 300, 12, -40 -> gains 322 of 411, 4 of 13 days
    assert a["snapshots__excess_growth_on_post_days__lag_1"] == pytest.approx(322 / 411 - 4 / 13)
    # b has no posts: NaN
    assert np.isnan(feats.loc["b", "snapshots__gain_engagement_corr__lag_1"])


def test_following_oscillation(feats: pd.DataFrame) -> None:
    expected = (10 / 100 + 10 / 110) / 13
    a = feats.loc["a", "snapshots__following_oscillation__mean_abs_pct"]
    assert a == pytest.approx(expected)
    assert feats.loc["b", "snapshots__following_oscillation__mean_abs_pct"] == 0.0


def test_history_and_age(feats: pd.DataFrame) -> None:
    assert feats.loc["a", "snapshots__history_length_days"] == 14
    assert feats.loc["c", "snapshots__history_length_days"] == 5
    # a: created 2023-12-01, last snapshot 2024-01-14 -> 44 days
    assert feats.loc["a", "accounts__account_age_days"] == 44
    # c: created 2023-12-31, last snapshot 2024-01-05 -> 5 days
    assert feats.loc["c", "accounts__account_age_days"] == 5
    # d has no creation date
    assert np.isnan(feats.loc["d", "accounts__account_age_days"])


def test_too_little_history_is_nan_with_a_flag(feats: pd.DataFrame) -> None:
    growth = [c for c in feats.columns if c.startswith("snapshots__")
              and c != "snapshots__history_length_days"]
    assert feats.loc["c", growth].isna().all()
    assert not feats.loc["c", "coverage__history_ok"]
    assert feats.loc["c", "coverage__snapshots"]
    assert feats.loc["a", "coverage__history_ok"]
    assert not feats.loc["d", "coverage__snapshots"]
    assert feats.loc["d", [*growth, "snapshots__history_length_days"]].isna().all()


def test_a_larger_bought_step_never_lowers_the_jump_features() -> None:
    rng = np.random.default_rng(7)
    base = 20_000 + np.cumsum(rng.poisson(25, 120) - rng.poisson(5, 120))
    steps = [0, 50, 200, 1000, 3000, 8000, 20_000]
    frames, accounts = [], []
    for i, s in enumerate(steps):
        f = base.copy()
        f[60:] += s
        f[61:] += s // 2  # bought followers often arrive over two days
        frames.append(_snapshots(f"s{i}", list(f)))
        accounts.append(f"s{i}")
    ds = dataset_from_frames({
        "accounts": pd.DataFrame({"account_id": accounts, "followers": 20_000}),
        "snapshots": pd.concat(frames),
    })
    out = build_features(ds).loc[accounts]
    for name in ("snapshots__max_jump_robust_z__window_1",
                 "snapshots__max_jump_robust_z__window_3",
                 "snapshots__max_jump_share__window_1",
                 "snapshots__growth_concentration__top_pct_1",
                 "snapshots__growth_concentration__top_pct_5"):
        values = out[name].to_numpy()
        assert np.all(np.diff(values) >= -1e-12), (name, values)
    assert out["snapshots__max_jump_robust_z__window_1"].iloc[-1] > 100
    assert out["snapshots__max_jump_robust_z__window_1"].iloc[0] < SUSPICIOUS_Z
