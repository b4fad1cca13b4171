"""Headline evidence: hand-computed cases, agreement with the features, speed-free."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from fakedetect.evidence import (
    SCORE_COLUMNS,
    follower_tier,
    headline_evidence,
    percent,
    score_columns,
    score_text,
    times_text,
)
from fakedetect.features import expected_engagement_rate
from tests.test_report import make_frames, to_dataset


def _dataset() -> object:
    days = pd.date_range("2026-11-20", periods=10, freq="D").astype(str)
    followers = [1000, 1010, 1020, 1030, 2030, 2040, 2050, 1550, 1560, 1570]
    snaps = pd.DataFrame({"account_id": "a", "date": days, "followers": followers,
                          "following": 100})
    posted = ["2026-11-20", "2026-11-22", "2026-11-24", "2026-11-26", "2026-11-29"]
    posts = pd.DataFrame({"account_id": "a", "post_id": [f"p{k}" for k in range(5)],
                          "posted_at": [f"{d}T10:00:00Z" for d in posted],
                          "likes": [20, 30, 20, 25, 40], "comments": [0, 0, 0, 0, 0]})
    who = ["u1"] * 4 + ["u2"] * 3 + ["u3", "u4", "u5", "u6", "u7"]
    on = ["p0", "p1", "p2", "p3", "p0", "p1", "p2", "p0", "p0", "p0", "p0", "p0"]
    comments = pd.DataFrame({"account_id": "a", "post_id": on, "commenter": who,
                             "text": "nice"})
    accounts = pd.DataFrame({"account_id": ["a", "b"], "username": ["a", "b"],
                             "followers": [2000, 45_000], "following": [100, 100],
                             "posts": [5, 0]})
    return to_dataset({"accounts": accounts, "snapshots": snaps, "posts": posts,
                       "comments": comments})


def test_hand_computed_account() -> None:
    ev = headline_evidence(_dataset())
    a = ev.loc["a"]
    # daily changes: +10 x3, +1000, +10 x2, -500, +10 x2; usual size of the others: 10
    assert a["spike_date"] == pd.Timestamp("2026-11-24")
    assert a["spike_followers"] == 1000 and a["spike_usual_daily_change"] == 10
    assert a["spike_vs_usual"] == 100
    # posts within 3 days of 24 Nov: 22, 24, 26 Nov (likes 30, 20, 25: median 25);
    # the others 20 and 40 (median 30)
    assert a["spike_week_posts"] == 3
    assert a["spike_week_likes_vs_usual"] == pytest.approx(25 / 30)
    assert a["drop_date"] == pd.Timestamp("2026-11-27")
    assert a["drop_followers"] == -500 and a["drop_vs_usual"] == 50
    med = float(expected_engagement_rate(np.array([2000.0]))[0][0])
    assert a["engagement_rate"] == pytest.approx(25 / 2000)
    assert a["engagement_benchmark"] == pytest.approx(med)
    assert a["engagement_vs_benchmark"] == pytest.approx(25 / 2000 / med)
    assert a["follower_tier"] == "1k-5k"
    # u1 on 4 posts (every commented post), u2 on 3: 7 of 12 comments
    assert a["comment_repeat_share"] == pytest.approx(7 / 12)
    assert (a["comment_repeat_accounts"], a["comment_every_post_accounts"],
            a["comment_posts"]) == (2, 1, 4)
    b = ev.loc["b"]  # no history, posts or comments: nothing but the benchmark and tier
    assert pd.isna(b["spike_date"]) and math.isnan(b["spike_followers"])
    assert math.isnan(b["engagement_rate"]) and math.isnan(b["comment_repeat_share"])
    assert b["follower_tier"] == "20k-50k" and b["engagement_benchmark"] > 0


def test_engagement_agrees_with_the_model_feature() -> None:
    from fakedetect.features import build_features

    dataset = to_dataset(make_frames())
    feats = build_features(dataset, "influencer", n_jobs=1)
    feats.index = feats.index.astype(str)
    ev = headline_evidence(dataset)
    name = "posts__engagement_vs_tier__last_30"
    np.testing.assert_allclose(ev["engagement_vs_benchmark"].to_numpy(dtype=float),
                               feats[name].reindex(ev.index).to_numpy(dtype=float),
                               rtol=1e-9, equal_nan=True)
    rate = feats["posts__median_engagement_rate__last_30"].reindex(ev.index)
    np.testing.assert_allclose(ev["engagement_rate"].to_numpy(dtype=float),
                               rate.to_numpy(dtype=float), rtol=1e-9, equal_nan=True)


def test_missing_tables_leave_evidence_missing() -> None:
    dataset = to_dataset(make_frames(tables=()))
    ev = headline_evidence(dataset)
    assert len(ev) == 6
    assert ev["spike_followers"].isna().all() and ev["engagement_rate"].isna().all()
    assert ev["comment_repeat_share"].isna().all()


def test_shares_are_copied_and_scores_columns_are_text_dates() -> None:
    dataset = _dataset()
    shares = pd.DataFrame({"fake_follower_share": [0.3], "fake_follower_share_low": [0.2],
                           "fake_follower_share_high": [0.4]}, index=["a"])
    ev = headline_evidence(dataset, shares)
    assert ev.loc["a", "fake_follower_share_low"] == 0.2
    assert math.isnan(ev.loc["b", "fake_follower_share"])
    cols = score_columns(ev)
    assert tuple(cols.columns) == SCORE_COLUMNS
    assert cols.loc["a", "spike_date"] == "2026-11-24" and cols.loc["b", "spike_date"] == ""


def test_words_for_numbers() -> None:
    assert [percent(x) for x in (0.0, 0.004, 0.0049, 0.2, 0.994, 0.995, 1.0)] == [
        "<1%", "0.4%", "0.5%", "20%", "99%", ">99%", ">99%"]
    assert [percent(x, 0) for x in (0.0, 0.004, 0.006)] == ["<1%", "<1%", "1%"]
    assert percent(float("nan")) == "—" and percent(None) == "—"  # type: ignore[arg-type]
    assert [score_text(x) for x in (0.0, 0.4, 0.6, 50.2, 99.4, 99.6, 100.0)] == [
        "<1", "<1", "1", "50", "99", ">99", ">99"]
    assert [times_text(x) for x in (41.1, 2.04, 1.0, 0.5, 0.33, 0.26, 0.12, 0.6)] == [
        "41x", "2.0x", "about the same as", "half of", "a third of", "a quarter of",
        "an eighth of", "60% of"]
    assert [follower_tier(x) for x in (500, 1000, 25_000, 2e6, float("nan"))] == [
        "under 1k", "1k-5k", "20k-50k", "over 1M", ""]


def test_scores_carry_the_headline_columns(tmp_path) -> None:
    import lightgbm as lgb

    from fakedetect.model import Calibration, FakeModel
    from fakedetect.predict import score_dataset, write_scores

    names = ["snapshots__max_jump_robust_z__window_1", "posts__engagement_vs_tier__last_30",
             "accounts__log_followers"]
    rng = np.random.default_rng(3)
    y = (rng.random(300) < 0.4).astype(int)
    X = np.column_stack([rng.gamma(2, 2, 300) + 8 * y, rng.lognormal(0, 0.4, 300) - 0.5 * y,
                         rng.normal(4.3, 0.3, 300)])
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 7, "seed": 1},
                        lgb.Dataset(X, label=y, feature_name=names), num_boost_round=20)
    model = FakeModel(booster=booster, task="influencer", features=names,
                      calibration=Calibration(method="sigmoid"), threshold_fake=0.9,
                      threshold_review=0.5)
    dataset = to_dataset(make_frames())
    scored = score_dataset(dataset, model, top_reasons=3)
    scores = scored.scores.set_index("account_id")
    assert set(SCORE_COLUMNS) <= set(scores.columns)
    ev = headline_evidence(dataset)
    assert scores.loc["bob_bought", "spike_date"] == "2024-03-11"
    assert scores.loc["bob_bought", "spike_followers"] == ev.loc["bob_bought",
                                                                  "spike_followers"] > 5000
    assert scores.loc["carol", "spike_date"] == ""  # no history
    bob = " ".join(scores.loc["bob_bought", [f"reason_{k}" for k in (1, 2, 3)]])
    assert "followers on 11 Mar 2024" in bob, bob
    written = pd.read_csv(write_scores(scored.scores, tmp_path / "scores.csv"))
    assert written["engagement_vs_benchmark"].dtype.kind == "f"
    assert written["fake_probability"].dtype.kind == "f"  # numeric columns stay numeric
