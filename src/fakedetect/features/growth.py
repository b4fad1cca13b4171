"""Growth features from daily snapshots: jumps, concentration, purges, churn, age.

The daily follower change of a snapshot row is the change since the previous snapshot
divided by the days between them (a gap of ``g`` days spreads its change evenly), so a
missing day never looks like a one-day jump. Jumps are measured against the account's
own robust baseline: the median daily change and the MAD (scaled by 1.4826, at least
:data:`MIN_SCALE` follower a day). An account needs
:data:`~fakedetect.features.registry.MIN_HISTORY_DAYS` snapshots, else its growth
features are NaN (``coverage__history_ok`` is false); history length and account age are
always given when their inputs exist.
"""

from __future__ import annotations

import numpy as np

from fakedetect.features.blocks import DAY, Block, TableBlock
from fakedetect.features.outputs import Outputs, group_names
from fakedetect.features.registry import MIN_HISTORY_DAYS
from fakedetect.features.segments import Segments, range_reduce

#: Robust z of a daily change above which charts mark the day as suspicious.
SUSPICIOUS_Z = 6.0
#: Smallest robust scale of a daily change, in followers per day.
MIN_SCALE = 1.0
#: Normal-consistency constant of the MAD.
MAD_SCALE = 1.4826
#: Days after the largest jump in which a purge is looked for.
PURGE_DAYS = 30
#: Top shares of days for the growth concentration features, in percent.
TOP_PCTS = (1, 5)
#: Stride between accounts in (account, day) search keys; larger than any day number.
_KEY_SPAN = 1 << 22

#: The growth features, in registry order.
NAMES = group_names("growth")


def robust_z(seg: Segments, values: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Robust z-score of every (finite) value against its segment's median and MAD.

    Returns
    -------
    z : numpy.ndarray
        ``(value - median) / max(1.4826 * MAD, MIN_SCALE)`` per row.
    median, scale : numpy.ndarray
        Per segment.
    sorted_values : numpy.ndarray
        The values sorted within each segment (missing values as -inf, first).
    """
    finite = np.isfinite(values)
    if not finite.all():
        sub = seg.filter(finite)
        z_sub, med, scale, _ = robust_z(sub, values[finite])
        z = np.full(len(values), np.nan)
        z[finite] = z_sub
        return z, med, scale, seg.sort(np.where(finite, values, -np.inf))
    ordered = seg.sort(values)
    med = seg.sorted_median(ordered)
    codes = seg.codes
    dev = values - med[codes]
    mad = seg.sorted_median(seg.sort(np.abs(dev)))
    scale = np.maximum(MAD_SCALE * mad, MIN_SCALE)
    return dev / scale[codes], med, scale, ordered


def daily_change(followers: np.ndarray, days: np.ndarray, seg: Segments
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, Segments]:
    """Per-day follower change of every snapshot row after an account's first.

    Returns
    -------
    rows : numpy.ndarray
        Snapshot row of each change.
    change : numpy.ndarray
        ``(followers[r] - followers[r - 1]) / max(days[r] - days[r - 1], 1)``.
    gap : numpy.ndarray
        Days between the two snapshots (at least 1).
    dseg : Segments
        Segments of the change rows.
    """
    has_prev = seg.position() >= 1
    rows = np.flatnonzero(has_prev)
    gap = np.maximum(days[rows] - days[rows - 1], 1).astype(np.float64)
    change = (followers[rows] - followers[rows - 1]) / gap
    return rows, change, gap, seg.filter(has_prev)


def robust_jump_scores(followers: np.ndarray, days: np.ndarray | None = None) -> np.ndarray:
    """Per-day robust z-score of the daily follower change of one account.

    Parameters
    ----------
    followers : numpy.ndarray
        One account's follower counts, one per snapshot, in time order.
    days : numpy.ndarray, optional
        Day numbers of the snapshots (default: consecutive days). A gap spreads its
        change evenly over its days.

    Returns
    -------
    numpy.ndarray
        Same length as ``followers``; the first value is NaN. The maximum equals the
        feature ``snapshots__max_jump_robust_z__window_1`` for that account; days above
        :data:`SUSPICIOUS_Z` are marked in charts.
    """
    f = np.asarray(followers, dtype=np.float64)
    n = len(f)
    out = np.full(n, np.nan)
    if n < 2:
        return out
    d = np.arange(n, dtype=np.int64) if days is None else np.asarray(days, dtype=np.int64)
    seg = Segments.from_codes(np.zeros(n, dtype=np.int64), 1)
    rows, change, _, dseg = daily_change(f, d, seg)
    out[rows] = robust_z(dseg, change)[0]
    return out


def compute(block: Block) -> dict[str, np.ndarray]:
    """Growth features of one block of accounts.

    Returns
    -------
    dict
        Feature name -> per-account values, plus ``coverage__snapshots`` and
        ``coverage__history_ok``.
    """
    m = block.m
    out = Outputs("growth", m)
    snaps = block.table("snapshots")
    posts = block.table("posts")
    last_seen = np.full(m, np.nan)
    if posts is not None:
        last_seen = np.fmax(last_seen, np.floor(posts.seg.max(posts.seconds("posted_at"))
                                                / DAY))
    if snaps is None:
        out["coverage__snapshots"] = np.zeros(m, dtype=bool)
        out["coverage__history_ok"] = np.zeros(m, dtype=bool)
        out["accounts__account_age_days"] = _age(block, last_seen)
        return out
    seg = snaps.seg
    day = snaps.days("date")
    f = snaps.floats("followers")
    out["coverage__snapshots"] = seg.counts >= 1
    ok = seg.counts >= MIN_HISTORY_DAYS
    out["coverage__history_ok"] = ok
    dayf = day.astype(np.float64)
    last_seen = np.fmax(last_seen, seg.last(dayf))
    out["accounts__account_age_days"] = _age(block, last_seen)
    out["snapshots__history_length_days"] = seg.last(dayf) - seg.first(dayf) + 1.0

    rows, d, gap, dseg = daily_change(f, day, seg)
    prev = f[rows - 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.where(prev > 0, d / prev, np.nan)
    out["snapshots__daily_follower_change__mean_pct"] = dseg.mean(rel)
    out["snapshots__daily_follower_change__std_pct"] = dseg.std(rel)
    out["snapshots__max_jump_share__window_1"] = dseg.max(rel)

    z, med, _, d_sorted = robust_z(dseg, d)
    out["snapshots__max_jump_robust_z__window_1"] = dseg.max(z)
    out["snapshots__max_drop_robust_z__window_1"] = dseg.max(-z)

    dpos = dseg.position()
    has3 = dpos >= 2
    # three-day sums (d[i - 2] + d[i - 1] + d[i]) of the rows with two changes before
    s3 = (d[2:] + d[1:-1] + d[:-2])[has3[2:]]
    seg3 = dseg.filter(has3)
    out["snapshots__max_jump_robust_z__window_3"] = seg3.max(robust_z(seg3, s3)[0])

    gains = np.maximum(d, 0.0)
    total = dseg.sum(gains)
    top = np.maximum(d_sorted, 0.0)  # clipping keeps the order
    for pct in TOP_PCTS:
        k = (dseg.counts * pct + 99) // 100
        with np.errstate(invalid="ignore", divide="ignore"):
            share = dseg.top_sum(top, k) / total
        out[f"snapshots__growth_concentration__top_pct_{pct}"] = np.where(total > 0, share,
                                                                          np.nan)

    out["snapshots__purge_after_jump__days_30"] = _purge(seg, dseg, f, day, rows, d, gap,
                                                         med)
    if posts is not None:
        corr, excess = _post_days(seg, dseg, day, rows, d, posts)
        out["snapshots__gain_engagement_corr__lag_1"] = corr
        out["snapshots__excess_growth_on_post_days__lag_1"] = excess

    g = snaps.floats("following")
    gprev = g[rows - 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        churn = np.where(gprev > 0, np.abs(g[rows] - gprev) / gap / gprev, np.nan)
    out["snapshots__following_oscillation__mean_abs_pct"] = dseg.mean(churn)

    out.keep_where(ok, besides=("accounts__account_age_days",
                                "snapshots__history_length_days"))
    return out


def _age(block: Block, last_seen: np.ndarray) -> np.ndarray:
    """Days from creation to the account's last observed day (else the dataset's)."""
    created = block.accounts.created_s[block.a0:block.a1]
    ref = np.where(np.isfinite(last_seen), last_seen, block.latest_day)
    return np.maximum(ref - np.floor(created / DAY), 0.0)


def _purge(seg: Segments, dseg: Segments, f: np.ndarray, day: np.ndarray, rows: np.ndarray,
           d: np.ndarray, gap: np.ndarray, med: np.ndarray) -> np.ndarray:
    """Share of the largest one-day gain (above the usual change) lost within
    :data:`PURGE_DAYS` days, measured on the follower series detrended by the median
    daily change."""
    m = seg.n
    out = np.full(m, np.nan)
    jump = dseg.argmax_first(d)
    has = jump >= 0
    if not has.any():
        return out
    acc = np.flatnonzero(has)
    j = jump[has]
    r = rows[j]
    medc = np.nan_to_num(med, nan=0.0)
    first_day = seg.first(day.astype(np.float64))
    h = f - medc[seg.codes] * (day - first_day[seg.codes])
    excess = (d[j] - medc[acc]) * gap[j]
    key = seg.codes * _KEY_SPAN + day
    end = np.searchsorted(key, key[r] + PURGE_DAYS, side="right")
    low = range_reduce(np.fmin, h, r + 1, end, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.clip((h[r] - low) / excess, 0.0, 1.0)
    out[acc] = np.where((excess > 0) & np.isfinite(low), share, np.nan)
    return out


def _post_days(seg: Segments, dseg: Segments, day: np.ndarray, rows: np.ndarray,
               d: np.ndarray, posts: TableBlock) -> tuple[np.ndarray, np.ndarray]:
    """Correlation of daily change with the engagement of posts that day or the day
    before, and the excess share of gains on such days."""
    n_rows = seg.size
    key = seg.codes * _KEY_SPAN + day
    pt = posts.seconds("posted_at")
    known = np.isfinite(pt)
    pday = np.floor(np.nan_to_num(pt, nan=0.0) / DAY).astype(np.int64)
    eng = (np.nan_to_num(posts.floats("likes"), nan=0.0)
           + np.nan_to_num(posts.floats("comments"), nan=0.0))
    pkey = posts.seg.codes * _KEY_SPAN + pday
    found, weights = [], []
    for lag in (0, 1):
        target = pkey + lag
        pos = np.searchsorted(key, target)
        match = known & (pos < n_rows)
        match[match] &= key[pos[match]] == target[match]
        found.append(pos[match])
        weights.append(eng[match])
    at = np.concatenate(found)
    e_row = np.bincount(at, weights=np.concatenate(weights), minlength=n_rows)[rows]
    hits = np.zeros(n_rows, dtype=bool)
    hits[at] = True
    flag = hits[rows].astype(np.float64)
    # most days have no post: log1p(0) is 0
    e = np.zeros(len(rows))
    some = e_row != 0
    e[some] = np.log1p(e_row[some])
    corr = dseg.corr(d, e)
    gains = np.maximum(d, 0.0)
    total = dseg.sum(gains)
    with np.errstate(invalid="ignore", divide="ignore"):
        excess = dseg.sum(gains * flag) / total - dseg.mean(flag)
    excess = np.where((total > 0) & (dseg.sum(flag) > 0), excess, np.nan)
    return corr, excess
