"""Modelling choices of the simulator: rates, ranges and difficulty levels.

These are assumptions, not facts (those are in :mod:`fakedetect.simulate.params`).
``data/README.md`` lists them; the tests check that the simulated data shows them.
Rates are per account over a 180-day window and scale with the window length.
"""

from __future__ import annotations

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
GENUINE_FAKE_SHARE = (2.0, 18.0)  # Beta(a, b) of fake followers of genuine accounts (~10%)
AMBIENT_BOT_RATE = 0.00005  # share of followers per day that are bots following anyone
PURGES_PER_YEAR = 1.5      # platform-wide purges of fake accounts
PURGE_SHARE = (0.05, 0.30)  # share of bought fake followers one purge removes
PURGE_DAYS = (1, 4)        # a purge rolls out over this many days
#: Purge susceptibility by kind of fake follower, relative to freshly bought ones: older
#: fakes (before the window) survived purges before; drip-fed and ambient bots are
#: better disguised.
PURGE_FACTOR = {"old": 0.1, "bought": 1.0, "drip": 0.5}

#: Profile of the influencer itself (shared by genuine and fraudulent accounts).
FOLLOWING_LOG_MEDIAN = 700.0
FOLLOWING_LOG_SD = 0.8
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
