"""Modelling choices of the simulator: rates, ranges and difficulty levels.

These are assumptions, not facts (those are in :mod:`fakedetect.simulate.params`).
``data/README.md`` lists them; the tests check that the simulated data shows them.
Rates are per account over a 180-day window and scale with the window length.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Niches and their weights.
NICHES: tuple[str, ...] = ("travel", "fashion", "beauty", "photography", "fitness", "food",
                           "lifestyle", "parenting", "gaming", "music")
NICHE_WEIGHTS: tuple[float, ...] = (0.14, 0.15, 0.13, 0.10, 0.11, 0.11, 0.12, 0.05, 0.05,
                                    0.04)

#: Followers at the start of the window: log10 normal centred on micro, truncated.
FOLLOWERS_LOG10_CENTRE = 4.3        # 20k
FOLLOWERS_LOG10_SD = 0.45
FOLLOWERS_RANGE = (1_000, 500_000)  # nano to mid-tier

#: Reference window (days) that the per-window rates below are stated for.
RATE_WINDOW_DAYS = 180

#: Genuine confounders: share of accounts showing each within a 180-day window.
CONFOUNDER_RATES: dict[str, float] = {
    "giveaway": 0.15,          # follower step of 2-12% and a comment burst; entrants leave
                               # in 1-3 days once it closes (30-60% of the step)
    "shoutout": 0.18,          # a larger account mentions them: step of 1-8% in 1-2 days
    "viral": 0.12,             # one post with 5-30x the usual likes and a follower bump
    "press": 0.05,             # press mention: 0.5-5% spread over 2-5 days
    "pause": 0.20,             # no posting for 2-6 weeks; growth slows
    "niche_change": 0.05,      # engagement drops to 60-85% and churn doubles for a month
    "following_cleanup": 0.06,  # unfollows 10-40% of the accounts it follows in one day
}

#: Organic growth.
GROWTH_MEAN = 0.0008       # net follower growth per day (about +15% in 180 days)
GROWTH_SD = 0.0010
CHURN_RANGE = (0.0003, 0.0012)  # share of followers lost per day
SEASON_AMPLITUDE = (0.05, 0.25)  # weekly seasonality of new followers
OVERDISPERSION = 4.0       # gamma shape of the daily new-follower noise
FOLLOWS_PER_LIKE = (0.01, 0.06)  # new followers per like on a post (spread over 3 days)
VIRAL_FOLLOWS_PER_EXTRA_LIKE = (0.05, 0.25)  # per like above the usual on a viral post
VIRAL_POST_RATE = 0.004    # ordinary posts with a 3-10x like multiplier
#: Fake followers of genuine accounts (bots that follow anyone, inactive accounts they
#: never bought): Beta with the world's mean (``WORLD_RANGES["genuine_fake_share"]``) and
#: this concentration (a + b). SRF Data 2017 found a median of 14-20% and a mean of
#: 26-31% over all 115 influencers, fraudulent ones included (a cluster above 50%); the
#: genuine share is set a little below that median (mean 15%, median 13%, 90th
#: percentile 30%), and the worlds spread its mean from 7% to 25%.
GENUINE_FAKE_CONCENTRATION = 10.0
#: Engagement per real follower is the tier curve times (1 - this) / (1 - the world's
#: mean genuine fake share): the published tier rates are per follower, fake ones
#: included, and the curve was matched to them with a 10% genuine fake share. So a
#: world's fake share leaves its tier medians alone, and only an account's own excess
#: of fake followers lowers its engagement rate.
TIER_REFERENCE_FAKE_SHARE = 0.10
AMBIENT_BOT_RATE = 0.00005  # share of followers per day that are bots following anyone
PURGES_PER_YEAR = 1.5      # platform-wide purges of fake accounts
PURGE_SHARE = (0.05, 0.30)  # share of bought fake followers one purge removes
PURGE_DAYS = (1, 4)        # a purge rolls out over this many days
#: Purge susceptibility by kind of fake follower, relative to freshly bought ones: older
#: fakes (before the window) survived purges before; drip-fed and ambient bots are
#: better disguised.
PURGE_FACTOR = {"old": 0.1, "bought": 1.0, "drip": 0.5}

#: Profile of the influencer itself (shared by genuine and fraudulent accounts).
#: Accounts the influencer follows: log-normal. Purba et al.'s real accounts follow a
#: median of 1,400 (1k-10k followers) and 2,100 (10k-50k), 10-90% about 300-6,800.
FOLLOWING_LOG_MEDIAN = 1_500.0
FOLLOWING_LOG_SD = 0.9
FOLLOWING_STEP_SD = (0.5, 12.0)  # daily random walk of the following count (log-uniform)
VIDEO_SHARE = 0.35
SPONSORED_SHARE = 0.08
SPONSORED_ENGAGEMENT = 0.8

#: Comments and audience samples.
COMMENT_SAMPLE_CAP = 6     # comments kept per post (a sample)
AUDIENCE_SAMPLE = (100, 200)  # followers sampled per influencer (inclusive)

#: Fraud patterns: weight as the first pattern, chance of being added to another, and
#: intensity range (low, high; drawn log-uniformly between them at the account's
#: intensity quantile).
FRAUD_WEIGHTS: dict[str, float] = {
    "bought_followers": 0.30,
    "drip_followers": 0.12,
    "bought_likes": 0.16,
    "bought_comments": 0.10,
    "engagement_pod": 0.12,
    "follow_unfollow": 0.10,
    "bot_audience": 0.10,
}
EXTRA_PATTERN_CHANCE = 0.5  # expected number of extra patterns per fake account
FRAUD_INTENSITY: dict[str, tuple[float, float]] = {
    "bought_followers": (0.02, 0.5),    # bought total as a share of followers (>= 500)
    "drip_followers": (0.0006, 0.005),  # bought share of followers per day
    "bought_likes": (0.4, 4.0),         # extra likes as a multiple of the organic likes
    "bought_comments": (3.0, 40.0),     # extra comments per boosted post
    "engagement_pod": (6.0, 30.0),      # pod members commenting on each post
    "follow_unfollow": (0.03, 1.2),     # oscillation amplitude as a share of following
    "bot_audience": (0.30, 0.75),       # share of followers that are bots
}


@dataclass(frozen=True)
class Difficulty:
    """How far fraud and genuine behaviour overlap.

    Attributes
    ----------
    name : str
    intensity_a, intensity_b : float
        Beta(a, b) of the intensity quantile: low values mean subtle fraud.
    confounder_scale : float
        Multiplier on :data:`CONFOUNDER_RATES`.
    """

    name: str
    intensity_a: float
    intensity_b: float
    confounder_scale: float


DIFFICULTIES: dict[str, Difficulty] = {
    "easy": Difficulty("easy", 3.0, 1.0, 0.5),
    "realistic": Difficulty("realistic", 1.6, 1.2, 1.0),
    "hard": Difficulty("hard", 1.0, 3.0, 1.6),
}

#: Mixture of fitted profile components (see ``params.PROFILE_COMPONENTS``) that audience
#: followers and commenters are drawn from, per class. Purba components take the private
#: share and username shape of the InstaFake component of the same class.
GENUINE_FOLLOWER_MIX: dict[str, float] = {"instafake_real": 0.5, "purba_r": 0.5}
FAKE_FOLLOWER_MIX: dict[str, float] = {"instafake_fake": 0.4, "purba_a": 0.2,
                                       "purba_i": 0.2, "purba_s": 0.2}
#: Pool sizes of follower profiles: per simulated account, with bounds (memory stays flat).
REAL_POOL_PER_ACCOUNT, REAL_POOL_RANGE = 30, (20_000, 400_000)
FAKE_POOL_PER_ACCOUNT, FAKE_POOL_RANGE = 12, (10_000, 150_000)
#: Comment sellers (bot sets shared between their customers).
COMMENT_SELLERS = 30


# ----------------------------------------------------------------------------- worlds


@dataclass(frozen=True)
class Span:
    """A population parameter of a world: its default and the range worlds draw it from.

    Attributes
    ----------
    default : float
        The value of the default world (``w00``).
    low, high : float
        Training worlds draw uniformly between them (log-uniformly when ``log``).
    log : bool
        Whether the parameter is a multiplier drawn on the log scale.
    floor, ceiling : float
        Hard bounds of the widened ranges of held-out worlds.
    doc : str
        What the parameter does, and the evidence behind the range.
    """

    default: float
    low: float
    high: float
    log: bool = False
    floor: float = 0.0
    ceiling: float = math.inf
    doc: str = ""


#: Population parameters of a world. A world is one market or platform era: every
#: account of the world shares these. Training worlds draw each uniformly in
#: ``[low, high]``; held-out worlds draw from ranges whose half-widths around the default
#: are :data:`HELDOUT_WIDEN` times larger (clipped to ``[floor, ceiling]``). Where
#: published evidence exists the range covers it; elsewhere the range is deliberately
#: wide.
WORLD_RANGES: dict[str, Span] = {
    "er_nano": Span(1.0, 0.6, 1.7, log=True, doc=(
        "multiplier on the nano tier's engagement centre; the published band 1.78-6.8% "
        "is 0.51-1.95 times its centre (params.TIER_BANDS)")),
    "er_micro": Span(1.0, 0.5, 2.0, log=True, doc=(
        "the same for the micro tier; published 0.54-3.07%, 0.42-2.38 times the centre")),
    "er_mid": Span(1.0, 0.5, 2.0, log=True, doc=(
        "the same for the mid tier; published 0.33-2.3%, 0.38-2.64 times the centre")),
    "cadence": Span(1.0, 0.7, 2.2, log=True, doc=(
        "multiplier on the posting rate fitted by tier (params.POSTS_FIT interval_slope); "
        "up to Purba's real micro accounts, which post every 2.3 days (1.8 times the fit)")),
    "like_dispersion": Span(1.0, 0.7, 1.8, log=True, doc=(
        "multiplier on each account's fitted spread of likes across posts (fitted on "
        "ordinary accounts; creators' likes can spread more unevenly)")),
    "comment_ratio": Span(1.0, 0.45, 1.8, log=True, doc=(
        "multiplier on the fitted comments per like (2.5%); Purba's real accounts have "
        "a median of 4.4% at 1k-10k followers and 1.3% at 10k-50k")),
    "growth_mean": Span(GROWTH_MEAN, 0.0002, 0.0016, floor=-0.001, doc=(
        "mean net organic follower growth per day (+4% to +33% in 180 days)")),
    "growth_sd": Span(GROWTH_SD, 0.0005, 0.0020, log=True, doc=(
        "spread of the growth rate across accounts")),
    "season": Span(1.0, 0.4, 1.8, log=True, doc=(
        "multiplier on the weekly seasonality amplitude (SEASON_AMPLITUDE)")),
    "overdispersion": Span(OVERDISPERSION, 2.0, 8.0, log=True, doc=(
        "gamma shape of the daily new-follower noise (smaller: noisier growth)")),
    "genuine_fake_share": Span(0.15, 0.07, 0.25, floor=0.02, ceiling=0.4, doc=(
        "mean fake-follower share of genuine accounts (SRF 2017: median 14-20% over all "
        "influencers, fraud included)")),
    "genuine_purba_share": Span(0.5, 0.2, 0.8, ceiling=1.0, doc=(
        "share of genuine followers drawn like Purba's real accounts (public, follow "
        "more) rather than InstaFake's (72% private)")),
    "fake_instafake_share": Span(0.4, 0.2, 0.7, ceiling=1.0, doc=(
        "share of fake followers drawn like InstaFake's fakes (the rest like Purba's "
        "active fakes, inactive accounts and spammers, in equal parts)")),
    "comment_specific": Span(1.0, 0.7, 1.3, log=True, doc=(
        "multiplier on the share of specific (on-topic) organic comments")),
    "emoji": Span(1.0, 0.6, 1.6, log=True, doc=(
        "multiplier on the share of emoji-only comments among the other organic ones")),
    "confounders": Span(1.0, 0.6, 1.6, log=True, doc=(
        "multiplier on every genuine confounder rate (CONFOUNDER_RATES)")),
    "fraud_rate": Span(1.0, 0.7, 1.4, log=True, doc=(
        "multiplier on the requested fraud rate (HypeAuditor: 42-66% of influencers "
        "involved in some fraud, depending on tier)")),
    "username_digits": Span(0.2, 0.05, 0.4, ceiling=1.0, doc=(
        "share of influencer handles ending in digits")),
    # Coverage: what a collection misses. No published rates; assumptions, independent
    # of the label.
    "cover_no_audience": Span(0.25, 0.1, 0.5, ceiling=0.9, doc=(
        "accounts without an audience sample (follower lists not collected)")),
    "cover_no_comments": Span(0.15, 0.05, 0.3, ceiling=0.9, doc=(
        "accounts whose comments were not collected (counts still known)")),
    "cover_hidden_likes": Span(0.08, 0.02, 0.2, ceiling=0.9, doc=(
        "accounts that hide like counts (an Instagram option since 2021): likes missing")),
    "cover_short_history": Span(0.2, 0.05, 0.4, ceiling=0.9, doc=(
        "accounts tracked only lately: the last 14 days up to the whole window "
        "(uniform)")),
    "cover_gappy_history": Span(0.15, 0.05, 0.3, ceiling=0.9, doc=(
        "accounts whose daily snapshots miss 10-40% of the days")),
    "cover_no_snapshots": Span(0.05, 0.01, 0.15, ceiling=0.9, doc=(
        "accounts without any snapshot (profile only)")),
}
#: Held-out worlds draw from ranges this many times wider around the default.
HELDOUT_WIDEN = 1.5
#: Share of the days a gappy history misses (uniform range per account).
GAP_SHARE = (0.1, 0.4)
#: Shortest tracked history (days) of a short one.
SHORT_HISTORY_MIN = 14
