"""Genuine behaviour: account profiles, posting cadence, organic growth and confounders.

Every function works on a block of accounts at once: arrays of shape ``(n,)`` per account
and ``(n, days)`` per account and day. Fraudulent accounts are genuine accounts first;
:mod:`fakedetect.simulate.fraud` adds their patterns on top.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr, ndtri

from fakedetect.simulate import design as d
from fakedetect.simulate.params import POSTS_FIT, TIER_BANDS
from fakedetect.simulate.worlds import tier_multiplier

DAY = 86_400


def spread_add(mat: np.ndarray, rows: np.ndarray, start: np.ndarray, length: np.ndarray,
               amount: np.ndarray) -> None:
    """Add ``amount`` spread evenly over ``length`` days from ``start``, in place.

    Days past the end of the window are dropped (their share of the amount is lost).

    Parameters
    ----------
    mat : numpy.ndarray
        ``(n, days)`` float matrix of daily increments.
    rows, start, length : numpy.ndarray
        Account row, first day and number of days of each spread (integers, length >= 1).
    amount : numpy.ndarray
        Total added by each spread.
    """
    if len(rows) == 0:
        return
    days = mat.shape[1]
    length = np.maximum(length, 1)
    diff = np.zeros((mat.shape[0], days + 1))
    per_day = amount / length
    s = np.clip(start, 0, days)
    e = np.clip(start + length, 0, days)
    np.add.at(diff, (rows, s), per_day)
    np.add.at(diff, (rows, e), -per_day)
    mat += np.cumsum(diff[:, :days], axis=1)


def window_mask(n: int, days: int, rows: np.ndarray, start: np.ndarray,
                length: np.ndarray) -> np.ndarray:
    """Boolean ``(n, days)`` mask that is True on ``length`` days from ``start`` per row."""
    m = np.zeros((n, days))
    spread_add(m, rows, start, length, length.astype(float))
    return m > 0.5


def tier_engagement(followers: np.ndarray) -> np.ndarray:
    """Median engagement rate expected at ``followers``: the published tier bands' centres.

    The geometric centre of each tier's published band sits at the tier's geometric
    middle; between centres the rate is interpolated in log-log space, beyond them
    extrapolated with the nearest segment's slope.

    Parameters
    ----------
    followers : numpy.ndarray

    Returns
    -------
    numpy.ndarray
        Engagement rate per post as a fraction of followers.
    """
    xs = np.log([np.sqrt(lo * hi) for lo, hi, _, _ in TIER_BANDS.values()])
    ys = np.log([np.sqrt(a * b) for _, _, a, b in TIER_BANDS.values()])
    x = np.log(np.maximum(followers, 1.0))
    seg = np.clip(np.searchsorted(xs, x) - 1, 0, len(xs) - 2)
    slope = (ys[seg + 1] - ys[seg]) / (xs[seg + 1] - xs[seg])
    return np.exp(ys[seg] + slope * (x - xs[seg]))


def _lognormal(rng: np.random.Generator, n: int, median: float, sd: float) -> np.ndarray:
    return median * np.exp(sd * rng.standard_normal(n))


def _uniform(rng: np.random.Generator, rng_pair: tuple[float, float], n: int) -> np.ndarray:
    return rng.uniform(rng_pair[0], rng_pair[1], n)


def draw_accounts(rng: np.random.Generator, n: int, days: int, window_start: np.int64,
                  world: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Draw the per-account parameters of genuine behaviour.

    Engagement follows the published tier curve times the world's tier multipliers;
    the median interval between posts follows the fitted cadence by follower count
    (``POSTS_FIT["interval_slope"]``) divided by the world's ``cadence``; growth, its
    spread, seasonality, noise and the fake-follower share of genuine accounts come
    from the world's parameters.

    Parameters
    ----------
    rng : numpy.random.Generator
    n : int
        Accounts in the block.
    days : int
        Window length.
    window_start : numpy.int64
        Unix seconds of the first day of the window.
    world : dict of numpy.ndarray
        The parameters of each account's world
        (:meth:`~fakedetect.simulate.worlds.Worlds.per_account`).

    Returns
    -------
    dict of numpy.ndarray
        One array of length ``n`` per parameter (followers at the start, niche code,
        engagement rate, comment share, like dispersion, growth, churn, cadence, ...).
    """
    lo, hi = np.log10(d.FOLLOWERS_RANGE)
    a = ndtr((lo - d.FOLLOWERS_LOG10_CENTRE) / d.FOLLOWERS_LOG10_SD)
    b = ndtr((hi - d.FOLLOWERS_LOG10_CENTRE) / d.FOLLOWERS_LOG10_SD)
    u = rng.uniform(a, b, n)
    f0 = 10 ** (d.FOLLOWERS_LOG10_CENTRE + d.FOLLOWERS_LOG10_SD * ndtri(u))
    niche = rng.choice(len(d.NICHES), size=n, p=np.asarray(d.NICHE_WEIGHTS)
                       / np.sum(d.NICHE_WEIGHTS))
    fit = POSTS_FIT
    comment_ratio = world["comment_ratio"] * np.exp(
        fit["comment_ratio_log_mean"] + fit["comment_ratio_log_sd"] * rng.standard_normal(n))
    er = (tier_engagement(f0) * tier_multiplier(f0, world)
          * (1 - d.TIER_REFERENCE_FAKE_SHARE) / (1 - world["genuine_fake_share"])
          * np.exp(fit["er_resid_sd"] * rng.standard_normal(n)))
    log_interval = (fit["log_interval_mean"] - np.log(world["cadence"])
                    + fit["interval_slope"] * (np.log(f0) - fit["interval_log_followers"]))
    med_interval = np.clip(np.exp(log_interval + fit["log_interval_sd"]
                                  * rng.standard_normal(n)), 0.3, 60)
    launch = np.datetime64("2010-10-06", "s").astype(np.int64)
    age_days = rng.uniform(60, 12 * 365, n)
    created = np.maximum(window_start - (age_days * DAY).astype(np.int64), launch)
    created += rng.integers(0, DAY, n)
    created = np.minimum(created, window_start - 30 * DAY)
    lived = (window_start - created) / DAY
    rate = np.log(2) / med_interval
    posts_before = rng.poisson(np.clip(lived * rate * 0.6, 1, None))
    verified_p = np.where(f0 > 50_000, 0.10, np.where(f0 > 10_000, 0.02, 0.005))
    following0 = np.clip(_lognormal(rng, n, d.FOLLOWING_LOG_MEDIAN, d.FOLLOWING_LOG_SD),
                         20, 7_000)
    return {
        "f0": f0,
        "niche": niche.astype(np.int64),
        "er": er,
        "comment_ratio": comment_ratio,
        "like_sigma": world["like_dispersion"] * np.exp(
            fit["like_sigma_log_mean"] + fit["like_sigma_log_sd"] * rng.standard_normal(n)),
        "growth": world["growth_mean"] + world["growth_sd"] * rng.standard_normal(n),
        "churn": _uniform(rng, d.CHURN_RANGE, n),
        "season_amp": _uniform(rng, d.SEASON_AMPLITUDE, n) * world["season"],
        "season_phase": rng.uniform(0, 7, n),
        "kappa": np.exp(rng.uniform(*np.log(d.FOLLOWS_PER_LIKE), n)),
        "viral_kappa": np.exp(rng.uniform(*np.log(d.VIRAL_FOLLOWS_PER_EXTRA_LIKE), n)),
        "fake_share0": rng.beta(world["genuine_fake_share"] * d.GENUINE_FAKE_CONCENTRATION,
                                (1 - world["genuine_fake_share"])
                                * d.GENUINE_FAKE_CONCENTRATION),
        "overdispersion": world["overdispersion"],
        "med_interval": med_interval,
        "post_rate": rate,
        "created_at": created,
        "posts_before": posts_before.astype(np.int64),
        "following0": following0,
        "following_step": np.exp(rng.uniform(*np.log(d.FOLLOWING_STEP_SD), n)),
        "has_profile_pic": rng.random(n) < 0.995,
        "is_private": rng.random(n) < 0.01,
        "is_verified": rng.random(n) < verified_p,
        "bio_length": np.clip(rng.normal(85, 35, n), 0, 150).astype(np.int64),
        "external_url": rng.random(n) < 0.6,
    }


def draw_confounders(rng: np.random.Generator, n: int, days: int,
                     scale: np.ndarray) -> dict[str, np.ndarray]:
    """Draw which accounts show each genuine confounder, and on which day.

    Parameters
    ----------
    rng : numpy.random.Generator
    n, days : int
    scale : numpy.ndarray
        Multiplier on :data:`~fakedetect.simulate.design.CONFOUNDER_RATES` per account
        (difficulty times the world's ``confounders``).

    Returns
    -------
    dict of numpy.ndarray
        For each confounder, the day it starts, ``-1`` for accounts without it.
    """
    out: dict[str, np.ndarray] = {}
    lo, hi = min(5, days - 1), max(days - 5, min(5, days - 1) + 1)
    for name, rate in d.CONFOUNDER_RATES.items():
        p = np.minimum(rate * scale * days / d.RATE_WINDOW_DAYS, 0.95)
        has = rng.random(n) < p
        day = rng.integers(lo, hi, n)
        out[name] = np.where(has, day, -1)
    return out


def posting_schedule(rng: np.random.Generator, acc: dict[str, np.ndarray],
                     conf: dict[str, np.ndarray], days: int
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Posts per account and day: a Poisson rate with pauses and same-day bursts.

    The account's rate follows its fitted median interval; pauses start after a post with
    the fitted excess pause share and last the fitted multiple of the median interval;
    a post is followed by another within hours with the fitted burst share. The long
    pause confounder adds 2-6 weeks without posts.

    Returns
    -------
    posts : numpy.ndarray
        ``(n, days)`` int32 posts per day.
    paused : numpy.ndarray
        ``(n, days)`` bool, days inside a pause.
    """
    n = len(acc["f0"])
    fit = POSTS_FIT
    rate = acc["post_rate"]
    # A Poisson process already has exp(-5 ln 2) ~ 3% of intervals over 5x its median.
    extra_pause = max(fit["pause_share"] - np.exp(-5 * np.log(2)), 0.0)
    n_pauses = rng.poisson(extra_pause * rate * days)
    rows = np.repeat(np.arange(n), n_pauses)
    start = rng.integers(0, days, len(rows))
    length = np.ceil(acc["med_interval"][rows] * np.exp(
        fit["pause_log_ratio_mean"] + fit["pause_log_ratio_sd"]
        * rng.standard_normal(len(rows)))).astype(np.int64)
    paused = window_mask(n, days, rows, start, np.minimum(length, days))
    long_rows = np.flatnonzero(conf["pause"] >= 0)
    long_len = rng.integers(14, 43, len(long_rows))
    paused |= window_mask(n, days, long_rows, conf["pause"][long_rows], long_len)
    lam = np.where(paused, 0.0, rate[:, None])
    posts = rng.poisson(lam)
    # Bursts: the fitted share of intervals under 6 hours, minus what Poisson gives.
    same_day = 1.0 - np.exp(-rate * 0.25)
    p_burst = np.clip(fit["burst_share"] - same_day, 0.0, 0.5)
    posts = posts + rng.binomial(posts, p_burst[:, None])
    for name in ("giveaway", "viral"):
        r = np.flatnonzero(conf[name] >= 0)
        posts[r, conf[name][r]] = np.maximum(posts[r, conf[name][r]], 1)
    return posts.astype(np.int32), paused


def organic_followers(rng: np.random.Generator, acc: dict[str, np.ndarray],
                      conf: dict[str, np.ndarray], paused: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Daily change of real followers before post bumps, and the engagement multiplier.

    Slow trend, weekly seasonality, over-dispersed daily noise, slow churn and the
    follower-side confounders (giveaway step and later unfollows, shout-out, press,
    niche change).

    Returns
    -------
    d_real : numpy.ndarray
        ``(n, days)`` float daily change of real followers.
    engage : numpy.ndarray
        ``(n, days)`` engagement multiplier (niche change lowers it).
    """
    n, days = paused.shape
    t = np.arange(days)
    real0 = acc["f0"] * (1 - acc["fake_share0"])
    base = real0[:, None] * np.exp(acc["growth"][:, None] * t)
    season = 1 + acc["season_amp"][:, None] * np.sin(
        2 * np.pi * (t + acc["season_phase"][:, None]) / 7)
    churn = np.broadcast_to(acc["churn"][:, None], (n, days)).copy()
    engage = np.ones((n, days))
    r = np.flatnonzero(conf["niche_change"] >= 0)
    if len(r):
        nc = conf["niche_change"][r]
        churn += acc["churn"][:, None] * window_mask(n, days, r, nc, np.full(len(r), 30))
        drop = rng.uniform(0.6, 0.85, len(r))
        after = t[None, :] >= nc[:, None]
        engage[r] = np.where(after, drop[:, None], 1.0)
    inflow = base * np.clip(acc["growth"] + acc["churn"], 0.0001, None)[:, None] * season
    inflow *= np.where(paused, 0.5, 1.0)
    outflow = base * churn
    sd = np.sqrt(inflow + inflow**2 / acc["overdispersion"][:, None] + outflow)
    d_real = inflow - outflow + sd * rng.standard_normal((n, days))
    f0 = acc["f0"]
    for name, (lo, hi), (l_lo, l_hi) in (("giveaway", (0.02, 0.12), (1, 4)),
                                         ("shoutout", (0.01, 0.08), (1, 3)),
                                         ("press", (0.005, 0.05), (2, 6))):
        r = np.flatnonzero(conf[name] >= 0)
        size = f0[r] * rng.uniform(lo, hi, len(r))
        spread_add(d_real, r, conf[name][r], rng.integers(l_lo, l_hi, len(r)), size)
        if name == "giveaway":
            # Entrants leave once the giveaway is over.
            spread_add(d_real, r, conf[name][r] + rng.integers(7, 15, len(r)),
                       rng.integers(1, 4, len(r)), -size * rng.uniform(0.3, 0.6, len(r)))
    return d_real, engage


def following_walk(rng: np.random.Generator, acc: dict[str, np.ndarray],
                   conf: dict[str, np.ndarray], days: int) -> np.ndarray:
    """Following count per day: a small random walk, with the occasional clean-up.

    Returns
    -------
    numpy.ndarray
        ``(n, days)`` float following count.
    """
    n = len(acc["f0"])
    steps = np.rint(acc["following_step"][:, None] * rng.standard_normal((n, days)))
    steps[:, 0] = 0
    g = acc["following0"][:, None] + np.cumsum(steps, axis=1)
    r = np.flatnonzero(conf["following_cleanup"] >= 0)
    if len(r):
        day = conf["following_cleanup"][r]
        cut = g[r, day] * rng.uniform(0.1, 0.4, len(r))
        after = np.arange(days)[None, :] >= day[:, None]
        g[r] -= np.where(after, cut[:, None], 0.0)
    return g
