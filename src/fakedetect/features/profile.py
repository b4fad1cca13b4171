"""Profile features: computable from one profile row (an account or a sampled follower).

These are the ``account`` task's inputs. They use only counters and flags that every
source has (InstaFake, Purba, scraped profiles, audience samples), in robust forms (log
counts, log ratios), plus the engagement aggregates some datasets publish. Where an
aggregate is missing from the accounts table but the dataset has posts, it is derived
from the last posts with the same definition (see :func:`derived_from_posts`).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

import numpy as np

from fakedetect.features.blocks import Block, float_values
from fakedetect.features.registry import LAST_POSTS, MIN_POSTS, feature_names
from fakedetect.features.strings import arrow_string_parts, utf8_shape

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


def log1p10(x: np.ndarray) -> np.ndarray:
    """log10(1 + x), NaN for missing or negative counts."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(x >= 0, np.log10(1.0 + np.maximum(x, 0.0)), np.nan)


def username_shape(names: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Length and count of ASCII digits of usernames (NaN where missing)."""
    return utf8_shape(arrow_string_parts(names.array))


#: A source of profile input columns: column name -> float64 values (None when absent).
ColumnGetter = Callable[[str], "np.ndarray | None"]
#: The usernames' (length, digits), computed only when asked for.
ShapeGetter = Callable[[], "tuple[np.ndarray, np.ndarray]"]


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
    def get(name: str) -> np.ndarray | None:
        return float_values(frame[name].array) if name in frame else None

    shape: ShapeGetter | None = None
    if "username" in frame and ("username_length" not in frame
                                or "username_digits" not in frame):
        shape = functools.partial(username_shape, frame["username"])
    out = profile_columns(get, len(frame), shape)
    names = feature_names("account")
    assert list(out) == names, "profile calculators out of step with the registry"
    return {k: v if v.flags.writeable else np.array(v) for k, v in out.items()}


def profile_columns(get: ColumnGetter, size: int, shape: ShapeGetter | None = None,
                    names: Collection[str] | None = None) -> dict[str, np.ndarray]:
    """Account-task features from input columns already converted to float64.

    The calculator behind :func:`profile_features`, for callers that hold the columns
    as arrays (the audience sample, scored in slices).

    Parameters
    ----------
    get : callable
        Input column name -> float64 values (NaN for missing), or None when absent.
    size : int
        Rows.
    shape : callable, optional
        Returns the usernames' (length, digits); used where ``username_length`` or
        ``username_digits`` is missing. None when there are no usernames.
    names : collection of str, optional
        Only these features (default: every ``account`` feature, in registry order).

    Returns
    -------
    dict
        Feature name -> float64 array of length ``size``; a feature whose input is absent
        is a read-only all-NaN view (no memory per row).
    """
    def col(name: str) -> np.ndarray:
        values = get(name)
        # A read-only NaN view: an absent input costs no memory (nothing writes to it).
        return np.broadcast_to(np.nan, (size,)) if values is None else values

    def want(*features: str) -> bool:
        return names is None or any(f in names for f in features)

    out: dict[str, np.ndarray] = {}
    lf = log1p10(col("followers"))
    lg = log1p10(col("following"))
    lp = log1p10(col("posts"))
    out["accounts__log_followers"] = lf
    out["accounts__log_following"] = lg
    out["accounts__log_posts"] = lp
    if want("accounts__follower_following_ratio__log"):
        out["accounts__follower_following_ratio__log"] = lf - lg
    if want("accounts__posts_per_follower__log"):
        out["accounts__posts_per_follower__log"] = lp - lf
    if want("accounts__bio_length"):
        out["accounts__bio_length"] = col("bio_length")
    if want("accounts__username_length", "accounts__username_digits"):
        length = col("username_length")
        digits = col("username_digits")
        if shape is not None:
            ln, dg = shape()
            length = np.where(np.isfinite(length), length, ln)
            digits = np.where(np.isfinite(digits), digits, dg)
        out["accounts__username_length"] = length
        out["accounts__username_digits"] = digits
    for source, name in itertools.chain(_FLAGS.items(), AGGREGATES.items()):
        if want(name):
            out[name] = col(source)
    if names is not None:
        return {name: out[name] for name in names}
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
        Feature name -> per-account values of the block (NaN where not derivable);
        empty without a posts table, so the accounts table's values stand.
    """
    posts = block.table("posts")
    if posts is None:
        return {}
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
