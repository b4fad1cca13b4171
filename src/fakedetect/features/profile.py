"""Profile features: computable from one profile row (an account or a sampled follower).

These are the ``account`` task's inputs. They use only counters and flags that every
source has (InstaFake, Purba, scraped profiles, audience samples), in robust forms (log
counts, log ratios), plus the engagement aggregates some datasets publish. Where an
aggregate is missing from the accounts table but the dataset has posts, it is derived
from the last posts with the same definition (see :func:`derived_from_posts`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fakedetect.features.blocks import Block, arrow_strings, float_values
from fakedetect.features.registry import LAST_POSTS, MIN_POSTS, feature_names

if TYPE_CHECKING:
    import pandas as pd

#: Caption shorter than this many characters counts as (almost) empty.
EMPTY_CAPTION_CHARS = 3

#: Imported aggregate column of the accounts table -> feature.
AGGREGATES = {
    "like_rate_pct": "accounts__like_rate_pct",
    "comment_rate_pct": "accounts__comment_rate_pct",
    "avg_caption_length": "accounts__avg_caption_length",
    "share_empty_captions": "accounts__share_empty_captions",
    "share_non_image_posts": "accounts__share_non_image_posts",
    "share_location_tagged": "accounts__share_location_tagged",
    "avg_hashtags": "accounts__avg_hashtags",
    "promo_keywords": "accounts__promo_keywords",
    "follower_hunt_keywords": "accounts__follower_hunt_keywords",
    "post_similarity": "accounts__post_similarity",
    "post_interval_hours": "accounts__post_interval_hours",
}
_FLAGS = {
    "has_profile_pic": "accounts__has_profile_pic",
    "is_private": "accounts__is_private",
    "is_verified": "accounts__is_verified",
    "external_url": "accounts__external_url",
}


def _col(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame:
        return np.full(len(frame), np.nan)
    return float_values(frame[name].array)


def log1p10(x: np.ndarray) -> np.ndarray:
    """log10(1 + x), NaN for missing or negative counts."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(x >= 0, np.log10(1.0 + np.maximum(x, 0.0)), np.nan)


def username_shape(names: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Length and count of ASCII digits of usernames (NaN where missing)."""
    import pyarrow.compute as pc

    arr = arrow_strings(names.array)
    length = float_values(pc.utf8_length(arr).to_numpy(zero_copy_only=False))
    digits = np.zeros(len(arr))
    for d in "0123456789":
        digits += np.nan_to_num(float_values(
            pc.count_substring(arr, pattern=d).to_numpy(zero_copy_only=False)))
    return length, np.where(np.isnan(length), np.nan, digits)


def profile_features(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Account-task features of every row of a profile-shaped frame.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows with (some of) the accounts columns: ``followers``, ``following``,
        ``posts``, ``bio_length``, ``username_length``, ``username_digits`` (or
        ``username``), the flags and the imported aggregates. Missing columns give NaN.

    Returns
    -------
    dict
        Feature name -> float64 array, one value per row, for every ``account`` feature.
    """
    followers = _col(frame, "followers")
    following = _col(frame, "following")
    posts = _col(frame, "posts")
    length = _col(frame, "username_length")
    digits = _col(frame, "username_digits")
    if "username" in frame and ("username_length" not in frame
                                or "username_digits" not in frame):
        ln, dg = username_shape(frame["username"])
        length = np.where(np.isfinite(length), length, ln)
        digits = np.where(np.isfinite(digits), digits, dg)
    lf, lg, lp = log1p10(followers), log1p10(following), log1p10(posts)
    out: dict[str, np.ndarray] = {
        "accounts__log_followers": lf,
        "accounts__log_following": lg,
        "accounts__log_posts": lp,
        "accounts__follower_following_ratio__log": lf - lg,
        "accounts__posts_per_follower__log": lp - lf,
        "accounts__bio_length": _col(frame, "bio_length"),
        "accounts__username_length": length,
        "accounts__username_digits": digits,
    }
    for col, name in _FLAGS.items():
        out[name] = _col(frame, col)
    for col, name in AGGREGATES.items():
        out[name] = _col(frame, col)
    names = feature_names("account")
    assert list(out) == names, "profile calculators out of step with the registry"
    return out


def derived_from_posts(block: Block) -> dict[str, np.ndarray]:
    """Engagement aggregates of the last posts, as the accounts table would publish them.

    Over the last :data:`LAST_POSTS` posts of an account with at least :data:`MIN_POSTS`
    of them: mean likes / followers (%), mean comments / followers (%), mean caption
    length, share of captions under :data:`EMPTY_CAPTION_CHARS` characters, share with a
    location (posts column ``has_location`` when present), mean hashtags, and the mean
    hours between posts.

    Returns
    -------
    dict
        Feature name -> per-account values of the block (NaN where not derivable).
    """
    posts = block.table("posts")
    m = block.m
    names = ["accounts__like_rate_pct", "accounts__comment_rate_pct",
             "accounts__avg_caption_length", "accounts__share_empty_captions",
             "accounts__share_location_tagged", "accounts__avg_hashtags",
             "accounts__post_interval_hours"]
    if posts is None:
        return {n: np.full(m, np.nan) for n in names}
    last = posts.seg.position_from_end() < LAST_POSTS
    seg = posts.seg.filter(last)
    enough = seg.counts >= MIN_POSTS
    f = block.followers
    fol = np.where(f > 0, f, np.nan)[seg.codes]
    caption = posts.floats("caption_length")[last]
    t = posts.seconds("posted_at")[last]
    with np.errstate(invalid="ignore", divide="ignore"):
        span_h = (seg.last(t) - seg.first(t)) / 3600.0 / (seg.counts - 1)
        out = {
            "accounts__like_rate_pct": seg.mean(100.0 * posts.floats("likes")[last] / fol),
            "accounts__comment_rate_pct": seg.mean(
                100.0 * posts.floats("comments")[last] / fol),
            "accounts__avg_caption_length": seg.mean(caption),
            "accounts__share_empty_captions": seg.mean(
                np.where(np.isfinite(caption), (caption < EMPTY_CAPTION_CHARS) * 1.0, np.nan)),
            "accounts__share_location_tagged": seg.mean(posts.floats("has_location")[last]),
            "accounts__avg_hashtags": seg.mean(posts.floats("hashtags")[last]),
            "accounts__post_interval_hours": np.where(seg.counts >= 2, span_h, np.nan),
        }
    return {k: np.where(enough, v, np.nan) for k, v in out.items()}
