"""Benchmark of ``fakedetect.features``: throughput, one million accounts, and a reference.

One command prints every figure::

    .venv/bin/python benchmarks/features.py            # full run (several minutes)
    .venv/bin/python benchmarks/features.py --quick    # small sizes, a smoke run

1. Throughput per table (rows/s) on an in-memory dataset, one thread and two.
2. Load from Parquet: ``load_dataset`` on the same tables written as Parquet files.
3. One million accounts with 180 days of snapshots and about 60 posts each: time and
   peak memory of ``build_features`` (the dataset is built in memory from numpy arrays,
   counts as int32 columns, so that it fits beside the features).
4. A straightforward pandas groupby-apply reference of the same features (kept here, not
   in the package) on 20k accounts with every table: time, speed-up, and the check that
   both give identical outputs (every cell equal within 1e-9 relative, NaN where NaN).

The data are synthetic (a seeded generator below), shaped like micro-influencer
histories: daily follower counts with noise, some bought steps and purges, some
follow/unfollow churn, posts with likes around the tier benchmark, comment samples with
pods and stock phrases, audience samples with bot-like followers.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import math
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fakedetect.features import COVERAGE_COLUMNS, build_features, feature_names
from fakedetect.features.comments import GENERIC_PHRASES
from fakedetect.validate import Dataset

T = TypeVar("T")
DAY_S = 86_400
EPOCH_DAY = np.datetime64("2024-01-01", "s")
PHRASES = ["nice pic", "🔥🔥", "love it!", "great shot", "❤️", "wow", "amazing",
           "Where was this taken?", "The light in this one is lovely",
           "Can't wait for the next trip", "so jealous right now", "what camera do you use",
           "follow me back", "check my page", "👏👏👏", "beautiful colours here"]


# ----------------------------------------------------------------------------- data


def _strings(pool: list[str], idx: np.ndarray) -> pd.Series:
    arr = pc.take(pa.array(pool, type=pa.large_string()), pa.array(idx))
    return pd.Series(arr.to_pandas(types_mapper={pa.large_string():
                                                 pd.StringDtype("pyarrow")}.get))


def _times(codes: np.ndarray, offsets_s: np.ndarray, span: int) -> pd.Series:
    """Seconds after the start (below ``span``) as UTC timestamps, sorted within each
    account (``codes`` ascending)."""
    key = codes.astype(np.int64) * span + offsets_s
    key.sort()
    key -= codes.astype(np.int64) * span
    values = (EPOCH_DAY + key.astype("timedelta64[s]"))
    return pd.Series(pd.DatetimeIndex(values).tz_localize("UTC"))


def make_tables(n: int, *, days: int = 180, posts_mean: float = 60.0,
                comments_per_post: float = 0.0, audience_per_account: int = 0,
                seed: int = 0) -> dict[str, pd.DataFrame]:
    """Synthetic tables for ``n`` accounts, built from numpy arrays.

    ``account_id`` is a categorical with shared categories, as ``load_dataset`` returns
    it; counts are int32 (float32 with NaN where missing) to keep memory low.
    """
    rng = np.random.default_rng(seed)
    ids = pd.Index([f"acc{i:07d}" for i in range(n)], dtype="string")
    cat = pd.CategoricalDtype(ids)
    f0 = np.clip(rng.lognormal(math.log(15_000), 0.9, n), 100, 2e6).astype(np.int64)
    created = (-rng.integers(200, 4000, n)).astype("timedelta64[D]") + np.datetime64(
        "2024-01-01")
    accounts = pd.DataFrame({
        "account_id": pd.Categorical.from_codes(np.arange(n), dtype=cat),
        "followers": f0.astype(np.int32),
        "following": rng.integers(50, 3000, n).astype(np.int32),
        "posts": rng.integers(0, 2000, n).astype(np.int32),
        "bio_length": rng.integers(0, 150, n).astype(np.int32),
        "username_length": rng.integers(4, 20, n).astype(np.int32),
        "username_digits": rng.integers(0, 5, n).astype(np.int32),
        "has_profile_pic": rng.random(n) > 0.05,
        "is_private": rng.random(n) > 0.9,
        "created_at": pd.DatetimeIndex(created.astype("datetime64[s]")).tz_localize("UTC"),
    }, copy=False)
    tables = {"accounts": accounts}

    # snapshots: n x days, organic noise, bought steps (10%) partly purged, churn (5%)
    lam = np.maximum(f0 * 0.002, 0.5)
    change = np.empty((n, days), dtype=np.int32)
    for lo in range(0, n, 50_000):  # in chunks, to keep the generator's memory low
        hi = min(n, lo + 50_000)
        change[lo:hi] = (rng.poisson(lam[lo:hi, None], (hi - lo, days))
                         - rng.poisson(lam[lo:hi, None] / 3, (hi - lo, days)))
    bought = np.flatnonzero(rng.random(n) < 0.10)
    at = rng.integers(10, days - 40, bought.size)
    size = (f0[bought] * rng.uniform(0.05, 0.5, bought.size)).astype(np.int32)
    change[bought, at] += size // 2
    change[bought, at + 1] += size - size // 2
    purged = rng.random(bought.size) < 0.5
    change[bought[purged], at[purged] + 20] -= (size[purged] * 0.3).astype(np.int32)
    followers = np.cumsum(change, axis=1, dtype=np.int32)
    followers += (f0 - followers[:, -1]).astype(np.int32)[:, None]  # ends at the profile's
    np.maximum(followers, 0, out=followers)
    del change
    following = np.repeat(accounts["following"].to_numpy()[:, None], days, axis=1)
    churn = np.flatnonzero(rng.random(n) < 0.05)
    following[churn] += rng.integers(0, 400, (churn.size, days)).astype(np.int32)
    codes = np.repeat(np.arange(n, dtype=np.int32), days)
    dates = np.tile(EPOCH_DAY + (np.arange(days) * DAY_S).astype("timedelta64[s]"), n)
    tables["snapshots"] = pd.DataFrame({
        "account_id": pd.Categorical.from_codes(codes, dtype=cat),
        "date": pd.Series(pd.DatetimeIndex(dates).tz_localize("UTC")),
        "followers": followers.ravel(),
        "following": following.ravel(),
        "posts": np.zeros(n * days, dtype=np.int32),
    }, copy=False)
    del followers, following, dates, codes

    # posts: Poisson(posts_mean) per account over the same days
    k = rng.poisson(posts_mean, n)
    pcodes = np.repeat(np.arange(n, dtype=np.int32), k)
    m = pcodes.size
    t = rng.integers(0, days * DAY_S, m)
    posted = _times(pcodes, t, days * DAY_S)
    rate = 0.016 * (f0 / 20_000.0) ** -0.2 * rng.lognormal(0, 0.6, n)
    mean_likes = (f0 * rate)[pcodes] * rng.lognormal(0, 0.35, m)
    likes = rng.poisson(mean_likes).astype(np.float32)
    likes[rng.random(m) < 0.01] = np.nan  # hidden like counts
    comments = rng.poisson(mean_likes * 0.03).astype(np.float32)
    comments[rng.random(m) < 0.02] = np.nan  # comments disabled
    views = np.where(rng.random(m) < 0.3,
                     np.round(np.nan_to_num(likes) * rng.uniform(5, 20, m)),
                     np.nan).astype(np.float32)
    pos = np.arange(m) - np.repeat(np.cumsum(k) - k, k)
    tables["posts"] = pd.DataFrame({
        "account_id": pd.Categorical.from_codes(pcodes, dtype=cat),
        "post_id": pos.astype(np.int32), "posted_at": posted,
        "likes": likes, "comments": comments, "views": views,
    }, copy=False)

    if comments_per_post > 0:
        per = rng.poisson(comments_per_post, m)
        post_row = np.repeat(np.arange(m), per)
        c = post_row.size
        pod = rng.random(n) < 0.1
        ccodes = pcodes[post_row]
        commenter = rng.integers(0, 50_000, c)
        in_pod = pod[ccodes]
        commenter[in_pod] = 50_000 + rng.integers(0, 12, int(in_pod.sum()))
        generic_bias = np.where(in_pod, 0, rng.integers(0, len(PHRASES), c))
        text = np.where(rng.random(c) < 0.5, generic_bias,
                        rng.integers(0, len(PHRASES), c))
        delay = np.where(in_pod, rng.exponential(300, c), rng.exponential(4 * 3600, c))
        created = posted.to_numpy(dtype="datetime64[s]")[post_row] + delay.astype(
            "timedelta64[s]")
        order = rng.permutation(c)  # comments come in no particular order
        tables["comments"] = pd.DataFrame({
            "account_id": pd.Categorical.from_codes(ccodes[order], dtype=cat),
            "post_id": pos[post_row][order].astype(np.int32),
            "commenter": _strings([f"user{i}" for i in range(50_012)], commenter[order]),
            "text": _strings(PHRASES, text[order]),
            "created_at": pd.Series(pd.DatetimeIndex(created[order]).tz_localize("UTC")),
        }, copy=False)

    if audience_per_account > 0:
        a = audience_per_account * n
        acodes = np.repeat(np.arange(n, dtype=np.int32), audience_per_account)
        bot = rng.random(a) < np.repeat(rng.beta(2, 6, n), audience_per_account)
        tables["audience"] = pd.DataFrame({
            "account_id": pd.Categorical.from_codes(acodes, dtype=cat),
            "follower_username": _strings([f"fan_{i}" for i in range(5000)]
                                          + [f"user{i:06d}" for i in range(5000)],
                                          np.where(bot, 5000, 0) + rng.integers(0, 5000, a)),
            "followers": np.where(bot, rng.integers(0, 50, a),
                                  rng.lognormal(6, 1.2, a)).astype(np.int32),
            "following": np.where(bot, rng.integers(1000, 7500, a),
                                  rng.lognormal(6, 0.8, a)).astype(np.int32),
            "posts": np.where(bot, rng.integers(0, 3, a), rng.integers(0, 400, a)
                              ).astype(np.int32),
            "has_profile_pic": ~bot | (rng.random(a) < 0.4),
            "is_private": rng.random(a) < 0.3,
            "bio_length": np.where(bot, 0, rng.integers(0, 150, a)).astype(np.int32),
        }, copy=False)
    return tables


def as_dataset(tables: dict[str, pd.DataFrame]) -> Dataset:
    """The tables as a Dataset (no validation; they are built typed)."""
    return Dataset(Path("<memory>"), dict(tables), pd.DataFrame(), {})


# --------------------------------------------------------------------------- memory


def _status(field: str) -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field):
                return int(line.split()[1]) / 1024**2
    return float("nan")


def reset_peak() -> bool:
    """Reset the kernel's peak-RSS counter (Linux); False when not possible."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def rss_gb() -> float:
    return _status("VmRSS:")


def peak_gb() -> float:
    return _status("VmHWM:")


# ------------------------------------------------------------------------ reference


def _f(s: pd.Series) -> np.ndarray:
    return s.to_numpy(dtype="float64", na_value=np.nan)


def _secs(s: pd.Series) -> np.ndarray:
    """UTC timestamps as float seconds since the epoch."""
    return s.to_numpy(dtype="datetime64[ns]").astype(np.int64) / 1e9


def _log1p10(x: float) -> float:
    return math.log10(1 + x) if x == x and x >= 0 else math.nan


def _ceil_pct(n: int, pct: int) -> int:
    return -(-n * pct // 100)


def ref_profile(accounts: pd.DataFrame, posts: pd.DataFrame | None) -> pd.DataFrame:
    """Profile features, row by row, with the posts-derived aggregates per account."""
    rows = {}
    post_groups = ({} if posts is None else
                   {k: g for k, g in posts.groupby("account_id", observed=True, sort=False)})
    for rec in accounts.to_dict("records"):
        acc = str(rec["account_id"])

        def val(col: str, rec: dict = rec) -> float:
            v = rec.get(col, math.nan)
            return math.nan if v is None or v is pd.NA else float(v)

        fo, fg, po = val("followers"), val("following"), val("posts")
        lf, lg, lp = _log1p10(fo), _log1p10(fg), _log1p10(po)
        out = {"accounts__log_followers": lf, "accounts__log_following": lg,
               "accounts__log_posts": lp, "accounts__follower_following_ratio__log": lf - lg,
               "accounts__posts_per_follower__log": lp - lf,
               "accounts__bio_length": val("bio_length"),
               "accounts__username_length": val("username_length"),
               "accounts__username_digits": val("username_digits")}
        for col in ("has_profile_pic", "is_private", "is_verified", "external_url",
                    "like_rate_pct", "comment_rate_pct", "avg_caption_length",
                    "share_empty_captions", "share_non_image_posts", "share_location_tagged",
                    "avg_hashtags", "promo_keywords", "follower_hunt_keywords",
                    "post_similarity", "post_interval_hours"):
            out[f"accounts__{col}"] = val(col)
        g = post_groups.get(acc)
        if g is not None:
            last = g.sort_values("posted_at", kind="stable").tail(30)
            if len(last) >= 3:
                fol = fo if fo > 0 else math.nan
                derived = {
                    "like_rate_pct": (100 * _f(last["likes"]) / fol),
                    "comment_rate_pct": (100 * _f(last["comments"]) / fol),
                }
                for col, x in derived.items():
                    if math.isnan(out[f"accounts__{col}"]):
                        out[f"accounts__{col}"] = (float(np.nanmean(x)) if np.isfinite(x).any()
                                                   else math.nan)
                t = _secs(last["posted_at"])
                if math.isnan(out["accounts__post_interval_hours"]):
                    out["accounts__post_interval_hours"] = (t[-1] - t[0]) / 3600 / (len(t) - 1)
        rows[acc] = out
    return pd.DataFrame.from_dict(rows, orient="index")


def ref_engagement(g: pd.DataFrame, followers: float, snaps: pd.DataFrame | None) -> dict:
    """Engagement features of one account from its posts (sorted by time)."""
    names = ["posts__median_engagement_rate__last_30", "posts__engagement_vs_tier__last_30",
             "posts__like_cv__last_30", "posts__like_gini__last_30",
             "posts__comment_like_ratio__last_30", "posts__share_like_outliers__robust_z_3",
             "posts__engagement_follower_trend__per_30_days", "posts__views_per_like__last_30",
             "posts__posts_per_week__last_30"]
    out = dict.fromkeys(names, math.nan)
    t_all = _secs(g["posted_at"])
    tail = t_all[-30:]
    if len(tail) >= 3 and tail[-1] > tail[0]:
        out["posts__posts_per_week__last_30"] = (len(tail) - 1) / ((tail[-1] - tail[0])
                                                                   / (7 * DAY_S))
    valid = g[g["likes"].notna()]
    if len(valid) < 3:
        return out
    last = valid.tail(30)
    likes, com = _f(last["likes"]), _f(last["comments"])
    fol = followers if followers > 0 else math.nan
    rate = (likes + np.nan_to_num(com)) / fol
    med = float(np.median(rate)) if not math.isnan(fol) else math.nan
    out[names[0]] = med
    out[names[1]] = med / (0.016 * (fol / 20_000) ** -0.2)
    if likes.mean() > 0:
        out[names[2]] = likes.std() / likes.mean()
        x = np.sort(likes)
        n = len(x)
        out[names[3]] = float(((2 * np.arange(1, n + 1) - n - 1) * x).sum() / (n * x.sum()))
    known = ~np.isnan(com)
    if known.any() and likes[known].sum() > 0:
        out[names[4]] = com[known].sum() / likes[known].sum()
    y = np.log1p(likes)
    my = np.median(y)
    scale = max(1.4826 * np.median(np.abs(y - my)), 0.05)
    out[names[5]] = float(np.mean((y - my) / scale > 3))
    views = _f(last["views"]) if "views" in last else np.full(len(last), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        vpl = np.where(likes > 0, views / likes, np.nan)
    vpl = vpl[~np.isnan(vpl)]
    if len(vpl) >= 3:
        out[names[7]] = float(np.median(vpl))
    if snaps is not None and len(snaps) >= 14:
        sday = (_secs(snaps["date"]) // DAY_S).astype(float)
        fslope = np.polyfit(sday - sday[0], np.log1p(_f(snaps["followers"])), 1)[0]
        pday = _secs(valid["posted_at"]) / DAY_S
        inside = (pday >= sday[0]) & (pday < sday[-1] + 1)
        if inside.sum() >= 3 and np.ptp(pday[inside]) > 0:
            ey = np.log1p(_f(valid["likes"]) + np.nan_to_num(_f(valid["comments"])))[inside]
            lslope = np.polyfit(pday[inside] - pday[inside][0], ey, 1)[0]
            out[names[6]] = 30 * (lslope - fslope)
    return out


def ref_growth(s: pd.DataFrame | None, posts: pd.DataFrame | None, created_s: float,
               latest_day: float) -> dict:
    """Growth features of one account from its snapshots (sorted by date)."""
    names = ["snapshots__daily_follower_change__mean_pct",
             "snapshots__daily_follower_change__std_pct",
             "snapshots__max_jump_robust_z__window_1", "snapshots__max_jump_robust_z__window_3",
             "snapshots__max_jump_share__window_1", "snapshots__max_drop_robust_z__window_1",
             "snapshots__growth_concentration__top_pct_1",
             "snapshots__growth_concentration__top_pct_5",
             "snapshots__purge_after_jump__days_30", "snapshots__gain_engagement_corr__lag_1",
             "snapshots__excess_growth_on_post_days__lag_1",
             "snapshots__following_oscillation__mean_abs_pct", "accounts__account_age_days",
             "snapshots__history_length_days"]
    out = dict.fromkeys(names, math.nan)
    last_seen = math.nan
    if posts is not None and len(posts):
        last_seen = float(_secs(posts["posted_at"]).max() // DAY_S)
    created_day = math.floor(created_s / DAY_S) if created_s == created_s else math.nan
    if s is None or not len(s):
        ref = last_seen if not math.isnan(last_seen) else latest_day
        out["accounts__account_age_days"] = max(ref - created_day, 0)
        return out
    day = (_secs(s["date"]) // DAY_S).astype(np.int64)
    ref = float(day[-1]) if math.isnan(last_seen) else max(float(day[-1]), last_seen)
    out["accounts__account_age_days"] = (max(ref - created_day, 0)
                                         if created_day == created_day else math.nan)
    out["snapshots__history_length_days"] = float(day[-1] - day[0] + 1)
    if len(s) < 14:
        return out
    f = _f(s["followers"])
    gap = np.maximum(np.diff(day), 1).astype(float)
    d = np.diff(f) / gap
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(f[:-1] > 0, d / f[:-1], np.nan)
    out[names[0]] = float(np.nanmean(rel))
    out[names[1]] = float(np.nanstd(rel))
    out[names[4]] = float(np.nanmax(rel))
    med = np.median(d)
    scale = max(1.4826 * np.median(np.abs(d - med)), 1.0)
    z = (d - med) / scale
    out[names[2]], out[names[5]] = float(z.max()), float((-z).max())
    s3 = d[2:] + d[1:-1] + d[:-2]
    m3 = np.median(s3)
    out[names[3]] = float(((s3 - m3) / max(1.4826 * np.median(np.abs(s3 - m3)), 1.0)).max())
    gains = np.clip(d, 0, None)
    total = gains.sum()
    if total > 0:
        desc = np.sort(gains)[::-1]
        out[names[6]] = desc[:_ceil_pct(len(d), 1)].sum() / total
        out[names[7]] = desc[:_ceil_pct(len(d), 5)].sum() / total
    j = int(np.argmax(d))
    r = j + 1
    h = f - med * (day - day[0])
    after = (day > day[r]) & (day <= day[r] + 30)
    excess = (d[j] - med) * gap[j]
    if after.any() and excess > 0:
        out[names[8]] = float(np.clip((h[r] - h[after].min()) / excess, 0, 1))
    if posts is not None:
        e = np.zeros(len(day))
        hit = np.zeros(len(day), dtype=bool)
        pt = _secs(posts["posted_at"])
        pday = np.floor(pt / DAY_S).astype(np.int64)
        eng = np.nan_to_num(_f(posts["likes"])) + np.nan_to_num(_f(posts["comments"]))
        where = {int(v): i for i, v in enumerate(day)}
        for pd_, en in zip(pday, eng, strict=True):
            for lag in (0, 1):
                i = where.get(int(pd_) + lag)
                if i is not None:
                    e[i] += en
                    hit[i] = True
        x = np.log1p(e[1:])
        flag = hit[1:]
        if x.std() > 0 and d.std() > 0:
            out[names[9]] = float(np.corrcoef(d, x)[0, 1])
        if total > 0 and flag.any():
            out[names[10]] = gains[flag].sum() / total - flag.mean()
    g = _f(s["following"])
    with np.errstate(divide="ignore", invalid="ignore"):
        churn = np.where(g[:-1] > 0, np.abs(np.diff(g)) / gap / g[:-1], np.nan)
    if np.isfinite(churn).any():
        out[names[11]] = float(np.nanmean(churn))
    return out


_NON_WORD = re.compile(r"[\W_]+")


def ref_comments(c: pd.DataFrame, posts: pd.DataFrame | None) -> dict:
    """Comment features of one account from its comments (any order)."""
    names = ["comments__share_generic", "comments__share_emoji_only",
             "comments__repeat_commenter_share__min_posts_3",
             "comments__burst_share__minutes_15", "comments__commenter_overlap__previous_post"]
    out = dict.fromkeys(names, math.nan)
    if len(c) < 10:
        return out
    gen, emo = [], []
    for text in c["text"]:
        if text is None or text is pd.NA or not str(text).strip():
            continue
        norm = _NON_WORD.sub(" ", str(text).lower()).strip()
        emo.append(norm == "")
        gen.append(norm == "" or norm in GENERIC_PHRASES)
    if gen:
        out[names[0]], out[names[1]] = float(np.mean(gen)), float(np.mean(emo))
    pid = c["post_id"].astype(str)
    per = pd.Series(pid.to_numpy(), index=c["commenter"].to_numpy()).groupby(level=0).nunique()
    regular = set(per[per >= 3].index)
    out[names[2]] = float(c["commenter"].isin(regular).mean())
    if posts is None:
        return out
    when = dict(zip(posts["post_id"].astype(str), posts["posted_at"], strict=True))
    delays = [(ts - when[p]).total_seconds() for p, ts in zip(pid, c["created_at"],
                                                                 strict=True) if p in when]
    delays = [x for x in delays if x == x]
    if delays:
        out[names[3]] = float(np.mean([0 <= x <= 900 for x in delays]))
    order = [p for p in posts.sort_values("posted_at", kind="stable")["post_id"].astype(str)]
    sets: dict[str, set] = {}
    for p, u in zip(pid, c["commenter"], strict=True):
        if p in when:
            sets.setdefault(p, set()).add(u)
    seq = [p for p in order if p in sets]
    num = den = 0
    for prev, cur in itertools.pairwise(seq):
        num += len(sets[cur] & sets[prev])
        den += len(sets[cur])
    if den:
        out[names[4]] = num / den
    return out


def ref_audience(a: pd.DataFrame) -> dict:
    """Audience features of one influencer, with profile_rules_v1 follower by follower
    (the follower/following ratio compared in log10, as the registry defines it)."""
    n = len(a)
    out = {"audience__fake_share__scorer_model": math.nan, "audience__fake_share__se": math.nan,
           "audience__mass_follower_share__following_1500": math.nan,
           "audience__no_picture_share": math.nan, "audience__sample_size": float(n)}
    if n < 10:
        return out
    fo, fg, po = _f(a["followers"]), _f(a["following"]), _f(a["posts"])
    log_fo, log_fg = np.log10(1 + fo), np.log10(1 + fg)
    log_po = np.log10(1 + po)
    p = []
    for i, rec in enumerate(a.to_dict("records")):
        ratio = log_fo[i] - log_fg[i]
        digits = sum(ch.isdigit() for ch in str(rec["follower_username"]))
        points = -3.0
        if not rec["has_profile_pic"]:
            points += 2.0
        if log_po[i] < np.log10(1 + 3):
            points += 1.5
        if rec["bio_length"] == 0:
            points += 0.5
        if log_fg[i] > np.log10(1 + 1000) and ratio < np.log10(0.2):
            points += 1.5
        if ratio < np.log10(0.5):
            points += 0.5
        if digits >= 3:
            points += 0.7
        p.append(1 / (1 + math.exp(-points)))
    out["audience__fake_share__scorer_model"] = float(np.mean(p))
    # the rule is not corrected: the standard error of the mean, with one Bernoulli
    # pseudo-observation (fakedetect.quantify.sample_moments)
    m = float(np.mean(p))
    spread = float(np.var(p, ddof=1)) * (n - 1) + m * (1 - m)
    out["audience__fake_share__se"] = math.sqrt(spread / n / n)
    out["audience__mass_follower_share__following_1500"] = float((fg > 1500).mean())
    out["audience__no_picture_share"] = float((~a["has_profile_pic"]).mean())
    return out


def reference(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The influencer features by pandas groupby-apply, one account at a time."""
    acc = tables["accounts"]
    ids = [str(x) for x in acc["account_id"]]
    followers = dict(zip(ids, _f(acc["followers"]), strict=True))
    created = dict(zip(ids, _secs(acc["created_at"]), strict=True))
    snaps, posts = tables.get("snapshots"), tables.get("posts")

    def groups(name: str) -> dict[str, pd.DataFrame]:
        t = tables.get(name)
        if t is None:
            return {}
        return {str(k): g for k, g in t.groupby("account_id", observed=True, sort=False)}

    sg, pg = groups("snapshots"), groups("posts")
    latest = max(float(_secs(snaps["date"]).max() // DAY_S) if snaps is not None
                 else -math.inf,
                 float(_secs(posts["posted_at"]).max() // DAY_S)
                 if posts is not None else -math.inf)
    parts = [ref_profile(acc, posts)]
    if posts is not None:
        eng = posts.groupby("account_id", observed=True).apply(
            lambda g: pd.Series(ref_engagement(g, followers[str(g.name)],
                                               sg.get(str(g.name)))),
            include_groups=False)
        parts.append(eng)
    gro = pd.DataFrame.from_dict(
        {a: ref_growth(sg.get(a), pg.get(a), created[a], latest) for a in ids},
        orient="index")
    parts.append(gro)
    if "comments" in tables:
        com = tables["comments"].groupby("account_id", observed=True).apply(
            lambda g: pd.Series(ref_comments(g, pg.get(str(g.name)))), include_groups=False)
        parts.append(com)
    if "audience" in tables:
        aud = tables["audience"].groupby("account_id", observed=True).apply(
            lambda g: pd.Series(ref_audience(g)), include_groups=False)
        parts.append(aud)
    out = pd.concat([p.set_axis(p.index.astype(str)) for p in parts], axis=1)
    names = feature_names("influencer")
    out = out.reindex(index=sorted(ids), columns=names)
    if "audience" in tables:
        out["audience__sample_size"] = out["audience__sample_size"].fillna(0.0)
    return out.astype("float64")


def compare(fast: pd.DataFrame, ref: pd.DataFrame) -> tuple[int, dict[str, float]]:
    """Cells that differ (beyond 1e-9 relative) and the worst difference per feature."""
    bad = 0
    worst: dict[str, float] = {}
    for col in ref.columns:
        a = fast[col].to_numpy(dtype="float64")
        b = ref[col].to_numpy(dtype="float64")
        same = np.isclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True)
        bad += int((~same).sum())
        if not same.all():
            diff = np.abs(a - b)
            worst[col] = float(np.nanmax(np.where(same, 0, np.where(np.isnan(diff), np.inf,
                                                                       diff))))
    return bad, worst


# ---------------------------------------------------------------------------- runs


def _time(fn: Callable[[], T], repeat: int = 1) -> tuple[T, float]:
    best, out = math.inf, None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return out, best


def throughput(n: int, n_jobs: int) -> tuple[dict[str, float], dict[str, int]]:
    tables = make_tables(n, comments_per_post=2.0, audience_per_account=50, seed=1)
    acc = tables["accounts"]
    rows = {name: len(t) for name, t in tables.items()}
    res: dict[str, float] = {}

    def run(names: tuple[str, ...]) -> float:
        ds = as_dataset({"accounts": acc, **{k: tables[k] for k in names}})
        return _time(lambda: build_features(ds, n_jobs=n_jobs), repeat=2)[1]

    base = run(())
    snap = run(("snapshots",))
    post = run(("posts",))
    comm = run(("posts", "comments"))
    aud = run(("audience",))
    res["snapshots"] = rows["snapshots"] / (snap - base)
    res["posts"] = rows["posts"] / (post - base)
    res["comments"] = rows["comments"] / max(comm - post, 1e-9)
    res["audience"] = rows["audience"] / (aud - base)
    return res, rows


def parquet_load(n: int) -> tuple[dict[str, int], float]:
    from fakedetect.io import write_table
    from fakedetect.validate import load_dataset

    tables = make_tables(n, comments_per_post=0.0, seed=2)
    with tempfile.TemporaryDirectory() as tmp:
        for name, frame in tables.items():
            f = frame.copy()
            f["account_id"] = f["account_id"].astype("string")
            write_table(f, Path(tmp) / f"{name}.parquet")
        ds, secs = _time(lambda: load_dataset(tmp))
    return {k: len(v) for k, v in ds.tables.items()}, secs


def million(n: int, n_jobs: int) -> dict[str, float]:
    t0 = time.perf_counter()
    tables = make_tables(n, seed=3)
    built = time.perf_counter() - t0
    ds = as_dataset(tables)
    gc.collect()
    before = rss_gb()
    resettable = reset_peak()
    t0 = time.perf_counter()
    out = build_features(ds, n_jobs=n_jobs)
    secs = time.perf_counter() - t0
    peak = peak_gb() if resettable else float("nan")
    ok = out["coverage__history_ok"].mean()
    return {"accounts": len(out), "snapshots": len(tables["snapshots"]),
            "posts": len(tables["posts"]), "build_s": built, "seconds": secs,
            "rss_before_gb": before, "peak_gb": peak, "history_ok": ok}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    parser.add_argument("--accounts", type=int, default=None,
                        help="accounts of the large run (default 1,000,000)")
    parser.add_argument("--reference-accounts", type=int, default=None,
                        help="accounts of the reference comparison (default 20,000)")
    parser.add_argument("--jobs", type=int, default=1, help="threads of the large run")
    parser.add_argument("--skip", nargs="*", default=[],
                        choices=["throughput", "parquet", "million", "reference"])
    args = parser.parse_args(argv)
    n_big = args.accounts or (20_000 if args.quick else 1_000_000)
    n_ref = args.reference_accounts or (500 if args.quick else 20_000)
    n_tp = 2_000 if args.quick else 50_000
    print(f"fakedetect features benchmark  (cpus: {os.cpu_count()}, numpy {np.__version__}, "
          f"pandas {pd.__version__})", flush=True)
    ok = True

    if "throughput" not in args.skip:
        for jobs in (1, 2):
            tp, rows = throughput(n_tp, jobs)
            print(f"\n[1] throughput, {n_tp:,} accounts, {jobs} thread(s): " + ", ".join(
                f"{k} {rows[k]:,} rows" for k in ("snapshots", "posts", "comments",
                                                  "audience")))
            for k, v in tp.items():
                print(f"    {k:<10} {v / 1e6:7.2f} M rows/s")
            sys.stdout.flush()

    if "parquet" not in args.skip:
        rows, secs = parquet_load(n_tp // 5)
        total = sum(rows.values())
        print(f"\n[2] load_dataset from Parquet (validation included), {n_tp // 5:,} accounts: "
              f"{total:,} rows in {secs:.1f} s = {total / secs / 1e6:.2f} M rows/s", flush=True)

    if "million" not in args.skip:
        r = million(n_big, args.jobs)
        rows = r["snapshots"] + r["posts"]
        print(f"\n[3] {r['accounts']:,} accounts, {r['snapshots']:,} snapshot rows, "
              f"{r['posts']:,} post rows ({args.jobs} threads; data built in "
              f"{r['build_s']:.0f} s, not counted)")
        print(f"    build_features: {r['seconds']:.1f} s = {rows / r['seconds'] / 1e6:.2f} M "
              f"rows/s")
        print(f"    memory: {r['rss_before_gb']:.2f} GB resident before (the dataset), "
              f"peak {r['peak_gb']:.2f} GB during featurisation")
        print(f"    accounts with enough history: {r['history_ok']:.1%}", flush=True)

    if "reference" not in args.skip:
        tables = make_tables(n_ref, comments_per_post=2.0, audience_per_account=30, seed=4)
        ds = as_dataset(tables)
        fast, t_fast = _time(lambda: build_features(ds, n_jobs=1), repeat=3)
        ref, t_ref = _time(lambda: reference(tables))
        names = feature_names("influencer")
        bad, worst = compare(fast[names], ref)
        print(f"\n[4] reference (pandas groupby-apply), {n_ref:,} accounts, every table:")
        print(f"    fakedetect {t_fast:.2f} s, reference {t_ref:.1f} s: "
              f"{t_ref / t_fast:.0f}x faster (one thread)")
        cells = fast[names].size
        print(f"    identical outputs: {cells - bad:,} of {cells:,} cells equal "
              f"(rtol 1e-9, NaN = NaN); coverage columns: {len(COVERAGE_COLUMNS)}")
        for col, diff in worst.items():
            print(f"    MISMATCH {col}: max |diff| {diff:.3g}")
        ok &= bad == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
