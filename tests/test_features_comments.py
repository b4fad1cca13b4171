"""Comment features: hand-computed values on one tiny comment sample."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fakedetect.features import build_features, dataset_from_frames
from fakedetect.features.comments import text_flags

T0 = pd.Timestamp("2024-02-01 18:00", tz="UTC")
MIN = pd.Timedelta(minutes=1)

# (post, commenter, text, minutes after the post)
COMMENTS_A = [
    ("p1", "u1", "Nice pic!", 5),
    ("p1", "u2", "🔥🔥", 10),
    ("p1", "u3", "What a view of the lake", 120),
    ("p1", "u4", "love it", 20),
    ("p2", "u1", "great shot", 1),
    ("p2", "u2", "❤️", 3),
    ("p2", "u5", "Where is this?", 24 * 60),
    ("p3", "u1", "WOW", 2),
    ("p3", "u2", "beautiful colours here", 14),
    ("p3", "u3", "nice", 16),
    ("p3", "u6", "...", 60),
    ("p3", "u7", None, 5),
]


@pytest.fixture(scope="module")
def feats() -> pd.DataFrame:
    posts = pd.DataFrame({
        "account_id": ["a"] * 3 + ["b"],
        "post_id": ["p1", "p2", "p3", "p1"],
        "posted_at": [T0, T0 + pd.Timedelta(days=1), T0 + pd.Timedelta(days=2), T0],
        "likes": [100, 100, 100, 100],
    })
    post_time = dict(zip(["p1", "p2", "p3"], posts["posted_at"][:3], strict=True))
    rows = [{"account_id": "a", "post_id": p, "commenter": u, "text": t,
             "created_at": post_time[p] + m * MIN} for p, u, t, m in COMMENTS_A]
    rows += [{"account_id": "b", "post_id": "p1", "commenter": f"v{i}", "text": "nice",
              "created_at": T0 + MIN} for i in range(5)]
    comments = pd.DataFrame(rows).astype({"text": "string"})
    # shuffled on purpose: comments need not be in any order
    comments = comments.sample(frac=1.0, random_state=3)
    accounts = pd.DataFrame({"account_id": ["a", "b", "c"], "followers": 500})
    ds = dataset_from_frames({"accounts": accounts, "posts": posts, "comments": comments})
    return build_features(ds)


def test_generic_and_emoji_shares(feats: pd.DataFrame) -> None:
    # 11 texts; generic: nice pic, fire emoji, love it, great shot, heart, wow, nice, "..."
    # emoji or punctuation only: fire, heart, "..."
    assert feats.loc["a", "comments__share_generic"] == pytest.approx(8 / 11)
    assert feats.loc["a", "comments__share_emoji_only"] == pytest.approx(3 / 11)


def test_text_flags_normalise() -> None:
    generic, emoji = text_flags(pd.array(["  Love it!!! ", "LOVE IT ❤️", "🙂", "", None,
                                          "love it so much, the colours"], dtype="string"))
    assert generic[:3].tolist() == [1.0, 1.0, 1.0]
    assert emoji[:3].tolist() == [0.0, 0.0, 1.0]
    assert np.isnan(generic[3]) and np.isnan(generic[4])
    assert generic[5] == 0.0


def test_repeat_commenters(feats: pd.DataFrame) -> None:
    # u1 and u2 comment on all three posts: their 6 comments of 12
    assert feats.loc["a", "comments__repeat_commenter_share__min_posts_3"] == pytest.approx(0.5)


def test_burst_after_posting(feats: pd.DataFrame) -> None:
    # within 15 minutes: 5, 10, 1, 3, 2, 14 and 5 minutes -> 7 of 12
    assert feats.loc["a", "comments__burst_share__minutes_15"] == pytest.approx(7 / 12)


def test_commenter_overlap(feats: pd.DataFrame) -> None:
    # p2 {u1 u2 u5}: 2 were on p1; p3 {u1 u2 u3 u6 u7}: 2 were on p2 -> (2 + 2) / (3 + 5)
    assert feats.loc["a", "comments__commenter_overlap__previous_post"] == pytest.approx(0.5)


def test_too_few_comments_and_none(feats: pd.DataFrame) -> None:
    cols = [c for c in feats.columns if c.startswith("comments__")]
    assert feats.loc["a", "coverage__comments"]
    for acc in ("b", "c"):
        assert feats.loc[acc, cols].isna().all()
        assert not feats.loc[acc, "coverage__comments"]


def test_comments_without_posts_keep_text_features() -> None:
    comments = pd.DataFrame({"account_id": "a", "post_id": [f"p{i % 4}" for i in range(12)],
                             "commenter": [f"u{i % 3}" for i in range(12)],
                             "text": ["nice"] * 6 + ["a real sentence"] * 6})
    ds = dataset_from_frames({"accounts": pd.DataFrame({"account_id": ["a"], "followers": [1]}),
                              "comments": comments})
    row = build_features(ds).loc["a"]
    assert row["comments__share_generic"] == 0.5
    # every commenter is on 3 or 4 of the 4 posts
    assert row["comments__repeat_commenter_share__min_posts_3"] == 1.0
    assert np.isnan(row["comments__burst_share__minutes_15"])
    assert np.isnan(row["comments__commenter_overlap__previous_post"])
