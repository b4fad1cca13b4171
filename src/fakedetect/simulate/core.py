"""One block of accounts, simulated end to end: profiles, days, posts, comments, audience.

A block is the unit of randomness: its generator is seeded from (seed, block index), so
the data does not depend on how blocks are grouped into chunks for writing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fakedetect.simulate import design as d
from fakedetect.simulate import fraud as fr
from fakedetect.simulate.audience import (
    FollowerPool,
    build_pool,
    load_pool,
    mix_weights,
    sample_audience,
)
from fakedetect.simulate.comments import SOURCES, sample_comments
from fakedetect.simulate.genuine import (
    DAY,
    draw_accounts,
    draw_confounders,
    following_walk,
    organic_followers,
    posting_schedule,
)
from fakedetect.simulate.names import comment_vocabulary, influencer_usernames
from fakedetect.simulate.params import CAPTION_LIMIT, FOLLOWING_LIMIT, POSTS_FIT
from fakedetect.simulate.tables import account_ids
from fakedetect.simulate.worlds import Worlds, make_worlds

#: Accounts per block (the unit of randomness).
BLOCK = 1000
#: Spawn keys of the independent random streams (3 and 4 are the worlds', see
#: :mod:`~fakedetect.simulate.worlds`). World membership and coverage have their own
#: per-block streams, so switching coverage off leaves every account's behaviour as is.
_STREAM_GLOBAL, _STREAM_POOL, _STREAM_BLOCK = 0, 1, 2
_STREAM_WORLD, _STREAM_COVER = 5, 6


@dataclass(frozen=True)
class Settings:
    """What to simulate.

    Attributes
    ----------
    accounts, days, seed : int
    fraud_rate : float
    difficulty : Difficulty
    label_noise : float
        Share of labels flipped.
    end_date : numpy.datetime64
        Last day of the window (day precision).
    worlds, heldout_worlds : int
        Training and held-out worlds (:func:`~fakedetect.simulate.worlds.make_worlds`).
    coverage : {"partial", "full"}
        ``partial`` leaves tables out per account at each world's coverage rates;
        ``full`` gives every account every table.
    profiles : str, optional
        Labelled profile dataset feeding the follower pools instead of the fitted ones.
    profiles_fold : (int, int), optional
        Keep only fold ``i`` of ``k`` of those profiles.
    """

    accounts: int
    days: int
    seed: int
    fraud_rate: float
    difficulty: d.Difficulty
    label_noise: float
    end_date: np.datetime64
    worlds: int = 1
    heldout_worlds: int = 0
    coverage: str = "partial"
    profiles: str | None = None
    profiles_fold: tuple[int, int] | None = None


@dataclass(frozen=True)
class Context:
    """Everything shared by the blocks of one simulation."""

    settings: Settings
    pool: FollowerPool
    worlds: Worlds
    texts: Any
    segments: dict[str, tuple[int, int]]
    purge_days: np.ndarray
    purge_share: np.ndarray
    purge_length: np.ndarray
    window_start: np.int64
    end_ts: np.int64
    id_width: int


@dataclass
class Block:
    """The tables of one block (pyarrow) and the ground truth behind them (numpy)."""

    tables: dict[str, Any]
    truth: dict[str, np.ndarray] = field(default_factory=dict)


def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def make_context(settings: Settings) -> Context:
    """Draw what the blocks share: follower pools, platform purges, the vocabulary.

    Parameters
    ----------
    settings : Settings

    Returns
    -------
    Context
    """
    import pyarrow as pa

    g = _rng(settings.seed, _STREAM_GLOBAL)
    days = settings.days
    n_purges = g.poisson(d.PURGES_PER_YEAR * days / 365)
    purge_days = np.sort(g.integers(1, max(days, 2), n_purges)) if days > 1 else np.zeros(0)
    purge_share = g.uniform(*d.PURGE_SHARE, len(purge_days))
    purge_length = g.integers(d.PURGE_DAYS[0], d.PURGE_DAYS[1] + 1, len(purge_days))
    pool_rng = _rng(settings.seed, _STREAM_POOL)
    pool = (build_pool(pool_rng, settings.accounts) if settings.profiles is None
            else load_pool(pool_rng, settings.profiles, settings.profiles_fold))
    worlds = make_worlds(settings.seed, settings.worlds, settings.heldout_worlds)
    texts, segments = comment_vocabulary()
    end = settings.end_date.astype("datetime64[D]")
    window_start = (end - np.timedelta64(days - 1, "D")).astype("datetime64[s]").astype(np.int64)
    end_ts = (end + np.timedelta64(1, "D")).astype("datetime64[s]").astype(np.int64) - 1
    return Context(settings=settings, pool=pool, worlds=worlds,
                   texts=pa.array(texts, type=pa.string()), segments=segments,
                   purge_days=purge_days.astype(np.int64),
                   purge_share=purge_share, purge_length=purge_length.astype(np.int64),
                   window_start=np.int64(window_start),
                   end_ts=np.int64(end_ts), id_width=max(7, len(str(settings.accounts - 1))))


def coverage(rng: np.random.Generator, world: dict[str, np.ndarray], days: int,
             post_acc: np.ndarray, *, full: bool = False) -> dict[str, np.ndarray]:
    """Which parts of each account's data a collection would have, drawn per account.

    Independent of the label: the rates are the world's ``cover_*`` parameters, and
    comments disabled on some posts follow the fitted InstaFake shares
    (``POSTS_FIT["disabled_account_share"]``, ``["disabled_post_share"]``).

    Parameters
    ----------
    rng : numpy.random.Generator
        The block's coverage stream.
    world : dict of numpy.ndarray
        Per-account world parameters.
    days : int
    post_acc : numpy.ndarray
        Block row of each post.
    full : bool
        Keep everything (every mask True, nothing hidden).

    Returns
    -------
    dict of numpy.ndarray
        ``snapshots`` ``(n, days)`` bool (day kept), ``audience`` and ``comments``
        ``(n,)`` bool (table kept), ``likes`` ``(n,)`` bool (like counts shown),
        ``post_comments`` ``(posts,)`` bool (comment count shown and comments kept).
    """
    n = len(world["cover_no_audience"])
    m = len(post_acc)
    if full:
        return {"snapshots": np.ones((n, days), dtype=bool), "audience": np.ones(n, bool),
                "comments": np.ones(n, bool), "likes": np.ones(n, bool),
                "post_comments": np.ones(m, bool)}
    u = rng.random((n, 6))
    t = np.arange(days)
    short = u[:, 0] < world["cover_short_history"]
    length = rng.integers(d.SHORT_HISTORY_MIN, days + 1, n)
    gappy = u[:, 1] < world["cover_gappy_history"]
    gap = rng.uniform(*d.GAP_SHARE, n)
    keep = rng.random((n, days)) >= np.where(gappy, gap, 0.0)[:, None]
    keep &= ~short[:, None] | (t[None, :] >= (days - length)[:, None])
    keep[:, -1] = True
    keep &= (u[:, 2] >= world["cover_no_snapshots"])[:, None]
    fit = POSTS_FIT
    disables = u[:, 3] < fit["disabled_account_share"]
    within = fit["disabled_post_share"] / fit["disabled_account_share"]
    post_open = ~(disables[post_acc] & (rng.random(m) < within))
    return {"snapshots": keep, "audience": u[:, 4] >= world["cover_no_audience"],
            "comments": u[:, 5] >= world["cover_no_comments"],
            "likes": rng.random(n) >= world["cover_hidden_likes"],
            "post_comments": post_open}


def generate_block(ctx: Context, index: int) -> Block:
    """Simulate block ``index`` (accounts ``index * BLOCK`` onwards).

    Parameters
    ----------
    ctx : Context
    index : int

    Returns
    -------
    Block
    """
    s = ctx.settings
    start = index * BLOCK
    n = min(BLOCK, s.accounts - start)
    days = s.days
    rng = _rng(s.seed, _STREAM_BLOCK, index)
    pool = ctx.pool

    n_worlds = len(ctx.worlds.ids)
    world_code = (_rng(s.seed, _STREAM_WORLD, index).integers(0, n_worlds, n)
                  if n_worlds > 1 else np.zeros(n, dtype=np.int64))
    world = ctx.worlds.per_account(world_code)
    acc = draw_accounts(rng, n, days, ctx.window_start, world)
    conf = draw_confounders(rng, n, days,
                            s.difficulty.confounder_scale * world["confounders"])
    is_fake, patterns, intensity = fr.assign_patterns(
        rng, n, np.clip(s.fraud_rate * world["fraud_rate"], 0, 1), s.difficulty)
    has = {p: np.flatnonzero(patterns[:, fr.COL[p]]) for p in fr.PATTERNS}
    bot = has["bot_audience"]
    acc["fake_share0"][bot] = intensity[bot, fr.COL["bot_audience"]]

    posts_per_day, paused = posting_schedule(rng, acc, conf, days)
    d_real, engage = organic_followers(rng, acc, conf, paused)
    following = following_walk(rng, acc, conf, days)
    rows = has["follow_unfollow"]
    fr.follow_unfollow(rng, rows, intensity[rows, fr.COL["follow_unfollow"]], following,
                       d_real)

    f0 = acc["f0"]
    real0 = f0 * (1 - acc["fake_share0"])
    real_prov = real0[:, None] + np.cumsum(d_real, axis=1)

    # ---- posts
    flat = posts_per_day.ravel()
    cell = np.repeat(np.arange(n * days), flat)
    tod = rng.integers(6 * 3600, 23 * 3600, len(cell))
    order = np.lexsort((tod, cell))
    cell, tod = cell[order], tod[order]
    p_acc = cell // days
    p_day = cell % days
    m = len(cell)
    posted_at = ctx.window_start + p_day.astype(np.int64) * DAY + tod
    first_of_acc = np.searchsorted(p_acc, np.arange(n))
    seq = np.arange(m) - first_of_acc[p_acc]
    post_number = acc["posts_before"][p_acc] + seq + 1

    fit = POSTS_FIT
    er_like = acc["er"] / (1 + acc["comment_ratio"])
    base = np.maximum(real_prov[p_acc, p_day], 0) * er_like[p_acc] * engage[p_acc, p_day]
    t_noise = np.clip(rng.standard_t(fit["like_t_df"], m) * fit["like_t_scale"], -5, 5)
    mult = np.exp(acc["like_sigma"][p_acc] * t_noise)
    viral = np.where(rng.random(m) < d.VIRAL_POST_RATE, rng.uniform(3, 10, m), 1.0)
    first_post_of_day = np.r_[True, cell[1:] != cell[:-1]]
    is_viral_day = first_post_of_day & (conf["viral"][p_acc] == p_day)
    viral = np.where(is_viral_day, np.exp(rng.uniform(np.log(5), np.log(30), m)), viral)
    is_give = first_post_of_day & (conf["giveaway"][p_acc] == p_day)
    give_mult = np.where(is_give, rng.uniform(1.5, 3.0, m), 1.0)
    sponsored = rng.random(m) < d.SPONSORED_SHARE
    mean_likes = base * mult * viral * give_mult * np.where(sponsored,
                                                            d.SPONSORED_ENGAGEMENT, 1.0)
    likes_org = rng.poisson(mean_likes)
    c_noise = np.exp(0.35 * rng.standard_normal(m))
    comments_org = rng.poisson(likes_org * acc["comment_ratio"][p_acc] * c_noise)
    entries = np.where(is_give, rng.poisson(likes_org * rng.uniform(0.3, 2.0, m)), 0)
    eff = fr.post_effects(rng, p_acc, likes_org, patterns, intensity)
    likes = likes_org + eff["bought_likes"] + eff["pod_likes"]
    counts = np.column_stack([comments_org, entries, eff["bought_comments"],
                              eff["pod_comments"]]).astype(np.int64)
    comments = counts.sum(axis=1)

    # ---- followers: bumps after posts, fake followers, purges
    excess = np.where(viral > 2.5, np.clip(likes_org - base * mult, 0, None), 0.0)
    gain = acc["kappa"][p_acc] * likes_org + acc["viral_kappa"][p_acc] * excess
    per_day = np.bincount(cell, weights=gain, minlength=n * days).reshape(n, days)
    bump = 0.6 * per_day
    bump[:, 1:] += 0.3 * per_day[:, :-1]
    bump[:, 2:] += 0.1 * per_day[:, :-2]
    d_real += bump
    real = real0[:, None] + np.cumsum(d_real, axis=1)

    d_drip = np.broadcast_to((d.AMBIENT_BOT_RATE * f0)[:, None], (n, days)).copy()
    d_bought = np.zeros((n, days))
    rows = has["bought_followers"]
    first_buy = np.full(n, -1, dtype=np.int64)
    first_buy[rows] = fr.bought_followers(rng, rows, intensity[rows, fr.COL["bought_followers"]],
                                          f0, d_bought)
    rows = has["drip_followers"]
    fr.drip_followers(rng, rows, intensity[rows, fr.COL["drip_followers"]], f0, d_drip)
    d_drip[:, 0] = 0.0
    tracks = {"old": np.repeat((f0 * acc["fake_share0"])[:, None], days, axis=1),
              "bought": np.cumsum(d_bought, axis=1), "drip": np.cumsum(d_drip, axis=1)}
    for day0, share, length in zip(ctx.purge_days, ctx.purge_share, ctx.purge_length,
                                   strict=True):
        hit = np.clip(share * rng.uniform(0.6, 1.4, n), 0, 0.95) / length
        for day in range(day0, min(day0 + length, days)):
            for kind, track in tracks.items():
                removed = hit * d.PURGE_FACTOR[kind] * np.maximum(track[:, day - 1], 0)
                track[:, day:] -= removed[:, None]
    fake = tracks["old"] + tracks["bought"] + tracks["drip"]
    real_i = np.maximum(np.rint(real), 0).astype(np.int64)
    fake_i = np.maximum(np.rint(fake), 0).astype(np.int64)
    followers = real_i + fake_i
    following_i = np.clip(np.rint(following), 0, FOLLOWING_LIMIT).astype(np.int64)
    posts_cum = acc["posts_before"][:, None] + np.cumsum(posts_per_day, axis=1)
    fake_share_end = fake_i[:, -1] / np.maximum(followers[:, -1], 1)

    # ---- who: communities, bot sets, pods
    n_real, n_fake = pool.n_real, pool.n_fake
    seller = rng.integers(0, d.COMMENT_SELLERS, n)
    people = {
        "start": rng.integers(0, n_real, n),
        "step": rng.integers(1, n_real, n),
        "size": np.clip(0.05 * f0, 300, 20_000).astype(np.int64),
        "fake_start": rng.integers(0, n_fake, n),
        "fake_step": rng.integers(1, n_fake, n),
        "bot_start": (seller * 104_729 + rng.integers(0, 200, n)) % n_fake,
        "bot_step": 1 + (seller * 7_919) % (n_fake - 1),
        "bot_size": rng.integers(15, 61, n),
        "pod_start": rng.integers(0, n_real, n),
        "pod_step": rng.integers(1, n_real, n),
        "pod_size": np.rint(intensity[:, fr.COL["engagement_pod"]]).astype(np.int64),
        "delay_organic": 3 * 3600 * np.exp(0.7 * rng.standard_normal(n)),
        "delay_bought": 6 * 60 * np.exp(1.0 * rng.standard_normal(d.COMMENT_SELLERS))[seller],
        "delay_pod": 25 * 60 * np.exp(0.5 * rng.standard_normal(n)),
        "p_specific": np.clip(rng.uniform(0.2, 0.7, n) * world["comment_specific"], 0, 0.95),
        "p_generic": np.clip(1 - (1 - rng.uniform(0.4, 0.8, n)) * world["emoji"], 0, 1),
    }
    cm = sample_comments(rng, counts, p_acc, posted_at, acc["niche"], people, pool,
                         ctx.segments, ctx.end_ts)
    aud = sample_audience(rng, pool, fake_share_end, people, world_code,
                          *mix_weights(pool, ctx.worlds.per_account(np.arange(n_worlds))))

    # ---- accounts and labels
    niche = acc["niche"].copy()
    changed = conf["niche_change"] >= 0
    niche[changed] = (niche[changed] + rng.integers(1, len(d.NICHES), changed.sum())) % len(
        d.NICHES)
    usernames = influencer_usernames(rng, niche, world["username_digits"])
    types = fr.fraud_type(patterns)
    flip = rng.random(n) < s.label_noise
    label = is_fake ^ flip
    label_type = np.where(flip & is_fake, "none", np.where(flip & ~is_fake, "fake", types))

    video = rng.random(m) < d.VIDEO_SHARE
    views = np.where(video, np.rint(likes * np.exp(np.log(8) + 0.5 * rng.standard_normal(m))),
                     0).astype(np.int64)
    caption = np.clip(np.rint(np.exp(np.log(120) + 0.9 * rng.standard_normal(m))), 0,
                      CAPTION_LIMIT).astype(np.int64)
    tags = np.where(rng.random(m) < fit["hashtag_zero_share"], 0,
                    1 + rng.poisson(fit["hashtag_mean_positive"] - 1, m))

    raw = {
        "n": n, "start": start, "days": days, "acc": acc, "niche": niche,
        "usernames": usernames, "followers": followers, "following": following_i,
        "posts_cum": posts_cum, "p_acc": p_acc, "post_number": post_number,
        "posted_at": posted_at, "likes": likes, "comments": comments, "video": video,
        "views": views, "caption": caption, "hashtags": tags, "sponsored": sponsored,
        "cm": cm, "aud": aud, "label": label, "label_type": label_type,
        "fake_share_end": fake_share_end, "flip": flip, "world": world_code,
        "cover": coverage(_rng(s.seed, _STREAM_COVER, index), world, days, p_acc,
                          full=s.coverage == "full"),
    }
    truth = {
        "is_fake": is_fake, "patterns": patterns, "intensity": intensity,
        "fake_share_end": fake_share_end, "first_buy": first_buy,
        "f0": f0, "med_interval": acc["med_interval"], "post_acc": p_acc,
        "boosted": eff["boosted"], "world": world_code,
        "comment_source": cm["source"], "comment_post": cm["post"],
        **{f"conf_{k}": v for k, v in conf.items()},
    }
    from fakedetect.simulate.tables import block_tables

    return Block(tables=block_tables(ctx, raw), truth=truth)


__all__ = ["BLOCK", "SOURCES", "Block", "Context", "Settings", "account_ids", "coverage",
           "generate_block", "make_context"]
