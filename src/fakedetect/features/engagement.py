"""Engagement features from the posts table: rates, dispersion, outliers and trends.

The engagement rate of a post is ``(likes + comments) / followers``, with the followers
shown on the profile (the accounts table) and missing comments counted as none (comments
disabled). Posts whose like count is hidden are left out. Rates and dispersion use the
last :data:`~fakedetect.features.registry.LAST_POSTS` posts; an account needs at least
:data:`~fakedetect.features.registry.MIN_POSTS` of them, else its features are NaN.
"""

from __future__ import annotations

import numpy as np

from fakedetect.features.blocks import DAY, Block
from fakedetect.features.outputs import Outputs, group_names
from fakedetect.features.registry import LAST_POSTS, MIN_HISTORY_DAYS, MIN_POSTS
from fakedetect.features.segments import Segments

#: Median engagement rate of the benchmark curve at :data:`PIVOT_FOLLOWERS` followers.
MEDIAN_RATE_AT_PIVOT = 0.016
#: Followers at which the curve's median is :data:`MEDIAN_RATE_AT_PIVOT` (a micro account).
PIVOT_FOLLOWERS = 20_000.0
#: Log-log slope: the rate falls by this power of the follower count.
RATE_SLOPE = -0.2
#: The band is the median divided and multiplied by this factor.
BAND_FACTOR = 3.0
#: Robust deviations above the median of log likes that make a post an outlier.
OUTLIER_Z = 3.0
#: Smallest robust scale of log likes (about a 5% change), so steady accounts do not
#: turn every small wobble into an outlier.
OUTLIER_MIN_SCALE = 0.05
#: Normal-consistency constant of the MAD.
MAD_SCALE = 1.4826

N = LAST_POSTS
#: The engagement features, in registry order.
NAMES = group_names("engagement")


def expected_engagement_rate(followers: np.ndarray
                             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Benchmark engagement rate for an account's follower count, with a wide band.

    A smooth log-linear median, ``0.016 * (followers / 20,000) ** -0.2``, between the
    published tier figures (HypeAuditor 2026, Mavrck, Markerly; engagement falls with
    audience size, micro accounts about 0.5-3%), and a band of a factor 3 either side
    that covers them. Below 1,000 followers the curve is an extrapolation; personal
    accounts there often reach 10-30%.

    Parameters
    ----------
    followers : numpy.ndarray
        Follower counts.

    Returns
    -------
    median, low, high : numpy.ndarray
        Engagement rates as fractions ((likes + comments) / followers per post); NaN
        where followers are missing or not positive.
    """
    f = np.asarray(followers, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        med = np.where(f > 0, MEDIAN_RATE_AT_PIVOT * (f / PIVOT_FOLLOWERS) ** RATE_SLOPE,
                       np.nan)
    return med, med / BAND_FACTOR, med * BAND_FACTOR


def compute(block: Block) -> dict[str, np.ndarray]:
    """Engagement features of one block of accounts.

    Returns
    -------
    dict
        Feature name -> per-account values, plus ``coverage__posts``.
    """
    m = block.m
    out = Outputs("engagement", m)
    posts = block.table("posts")
    if posts is None:
        out["coverage__posts"] = np.zeros(m, dtype=bool)
        return out
    likes_all = posts.floats("likes")
    valid = np.isfinite(likes_all)
    seg_v = posts.seg.filter(valid)
    enough = seg_v.counts >= MIN_POSTS
    out["coverage__posts"] = enough
    last = seg_v.position_from_end() < LAST_POSTS
    seg = seg_v.filter(last)
    likes = likes_all[valid][last]
    comments = posts.floats("comments")[valid][last]
    f = block.followers
    fol = np.where(f > 0, f, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = (likes + np.nan_to_num(comments, nan=0.0)) / fol[seg.codes]
        med_rate = seg.median(rate)
        out[f"posts__median_engagement_rate__last_{N}"] = med_rate
        out[f"posts__engagement_vs_tier__last_{N}"] = med_rate / expected_engagement_rate(fol)[0]
        mean_likes = seg.mean(likes)
        out[f"posts__like_cv__last_{N}"] = np.where(mean_likes > 0, seg.std(likes) / mean_likes,
                                                  np.nan)
        out[f"posts__like_gini__last_{N}"] = seg.gini(likes)
        known = np.isfinite(comments)
        like_sum = seg.sum(np.where(known, likes, 0.0))
        out[f"posts__comment_like_ratio__last_{N}"] = np.where(
            (seg.count(comments) > 0) & (like_sum > 0), seg.sum(comments) / like_sum, np.nan)
        out["posts__share_like_outliers__robust_z_3"] = _outlier_share(seg, np.log1p(likes))
        views = posts.floats("views")[valid][last]
        vpl = np.where(likes > 0, views / likes, np.nan)
        out[f"posts__views_per_like__last_{N}"] = np.where(seg.count(vpl) >= MIN_POSTS,
                                                          seg.median(vpl), np.nan)
    out["posts__engagement_follower_trend__per_30_days"] = _trend(
        block, seg_v, likes_all[valid], posts.floats("comments")[valid],
        posts.seconds("posted_at")[valid])
    weekly = f"posts__posts_per_week__last_{N}"  # counts every post, liked or not
    out[weekly] = _posts_per_week(posts.seg, posts.seconds("posted_at"))
    out.keep_where(enough, besides=(weekly,))
    return out


def _outlier_share(seg: Segments, y: np.ndarray) -> np.ndarray:
    """Share of posts whose ``y`` lies more than :data:`OUTLIER_Z` robust deviations above
    the account's median."""
    med, mad = seg.median_mad(y)
    scale = np.maximum(MAD_SCALE * mad, OUTLIER_MIN_SCALE)
    codes = seg.codes
    z = (y - med[codes]) / scale[codes]
    return seg.mean(np.where(np.isfinite(z), (z > OUTLIER_Z) * 1.0, np.nan))


def _trend(block: Block, seg_v: Segments, likes: np.ndarray, comments: np.ndarray,
           t: np.ndarray) -> np.ndarray:
    """Slope of log1p(engagement) per post minus slope of log1p(followers), per 30 days,
    over the snapshot window; needs enough snapshots and posts inside the window."""
    m = block.m
    snaps = block.table("snapshots")
    if snaps is None:
        return np.full(m, np.nan)
    s = snaps.seg
    day = snaps.days("date").astype(np.float64)
    follower_slope = s.slope(day, np.log1p(snaps.floats("followers")))
    first, last = s.first(day), s.last(day)
    codes = seg_v.codes
    pday = t / DAY
    inside = (pday >= first[codes]) & (pday < last[codes] + 1.0)
    ws = seg_v.filter(inside)
    y = np.log1p(likes + np.nan_to_num(comments, nan=0.0))[inside]
    like_slope = ws.slope(pday[inside], y)
    ok = (ws.counts >= MIN_POSTS) & (s.counts >= MIN_HISTORY_DAYS)
    return np.where(ok, 30.0 * (like_slope - follower_slope), np.nan)


def _posts_per_week(seg: Segments, t: np.ndarray) -> np.ndarray:
    """Posts per week over the span of the last posts (all posts, hidden likes too)."""
    last = seg.position_from_end() < LAST_POSTS
    s = seg.filter(last)
    tt = t[last]
    span_weeks = (s.last(tt) - s.first(tt)) / (7 * DAY)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = (s.counts - 1) / span_weeks
    return np.where((s.counts >= MIN_POSTS) & (span_weeks > 0), rate, np.nan)
