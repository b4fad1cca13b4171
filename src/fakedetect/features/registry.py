"""The feature registry: one explicit table of every feature fakedetect computes.

Each :class:`FeatureSpec` names one feature (tsfresh style,
``<source>__<calculator>__<param>_<value>``), the tables it needs, a one-line description
in plain words, a sentence template that explanations fill with the account's value, and
the expected direction of the signal. The calculators live in one module per group
(:mod:`~fakedetect.features.profile`, :mod:`~fakedetect.features.engagement`,
:mod:`~fakedetect.features.growth`, :mod:`~fakedetect.features.comments`,
:mod:`~fakedetect.features.audience`); a test checks that they produce exactly these
names. ``python -m fakedetect.features.registry`` prints the table as Markdown.
"""

from __future__ import annotations

import functools
import math
import string
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Callable

    import pandas as pd

Group = Literal["engagement", "growth", "profile", "comments", "audience"]
GROUPS: tuple[str, ...] = ("profile", "engagement", "growth", "comments", "audience")
TASKS: tuple[str, ...] = ("account", "influencer")

#: Recent posts the engagement features look at (the last N by ``posted_at``).
LAST_POSTS = 30
#: Snapshot days an account needs before growth features are computed.
MIN_HISTORY_DAYS = 14
#: Posts with a known like count an account needs before engagement features are computed.
MIN_POSTS = 3
#: Comments an account needs before comment features are computed.
MIN_COMMENTS = 10
#: Sampled followers an influencer needs before audience shares become features.
MIN_AUDIENCE = 10
#: Coverage flags added to every feature frame, in order.
COVERAGE_COLUMNS: tuple[str, ...] = (
    "coverage__snapshots", "coverage__history_ok", "coverage__posts", "coverage__comments",
    "coverage__audience",
)

#: Evidence topics a feature can be explained by (see :mod:`fakedetect.evidence`).
EVIDENCE_TOPICS: tuple[str, ...] = ("", "spike", "drop", "engagement", "comments", "share")

#: How a sentence reads on its own: +1 as a sign of fake, -1 as genuine or ordinary, 0 as a
#: plain description with no judgement.
LEANS: tuple[int, ...] = (-1, 0, 1)


class Band(NamedTuple):
    """A sentence for the values from ``bound`` up (to the next band's bound).

    Attributes
    ----------
    bound : float
        The band holds the values ``>= bound`` that no earlier band holds.
    lean : int
        How the sentence reads on its own: +1 as a sign of fake ("close to the platform's
        limit"), -1 as genuine or ordinary ("in the ordinary way", "kept pace"), 0 as a
        plain description ("Posts come every 30 hours").
    template : str
        The sentence, with the fields of :attr:`FeatureSpec.template`.
    """

    bound: float
    lean: int
    template: str


_BOTH = frozenset({"account", "influencer"})
_INFL = frozenset({"influencer"})


@dataclass(frozen=True)
class FeatureSpec:
    """One registered feature.

    Attributes
    ----------
    name : str
        ``<source>__<calculator>__<param>_<value>``, e.g.
        ``snapshots__max_jump_robust_z__window_1``.
    group : str
        ``profile``, ``engagement``, ``growth``, ``comments`` or ``audience``.
    tables : tuple of str
        Tables the feature needs; without any of them the feature is NaN.
    description : str
        One line in plain words.
    template : str
        A sentence for explanations. Fields: ``{value}``, and the derived ``{count}``
        (``10**value - 1``, for log10(1 + count) features), ``{ratio}`` (``10**value``,
        for log10 ratios), ``{per}`` (``10**-value``), ``{pct_change}``
        (``exp(value) - 1``, for natural-log changes), ``{monthly}`` (a daily rate
        compounded over 30 days), ``{inverse}`` (``1 / value``), ``{size}``
        (``abs(value)``), ``{years}`` (days as years) and ``{yesno}`` (``yes`` when
        ``value >= 0.5``).
    direction : int
        +1: a higher value makes fake more likely; -1: a higher value makes genuine more
        likely; 0: unclear (both ends can be suspicious).
    monotone : bool
        The direction is certain enough to be a LightGBM monotone constraint.
    tasks : frozenset of str
        ``account`` (computable from one profile row, including a sampled follower)
        and/or ``influencer``.
    evidence : str
        The topic of :mod:`fakedetect.evidence` whose facts explain this feature to an
        analyst (``spike``, ``drop``, ``engagement``, ``comments``, ``share``), or ``""``.
        Where the account has that evidence, its sentence (with the date, the size and
        the comparison) replaces the template.
    bands : tuple of Band
        Templates for ranges of the value, highest bound first: the first whose bound the
        value reaches (``value >= bound``) is used, else ``template``. They let a sentence
        compare ("a few posts get most of the likes") instead of quoting a statistic.
    context : bool
        The feature measures how much data there is (history length, sample size, the
        uncertainty of an estimate), not the account's behaviour: it is never given as a
        reason, even when the model leans on it.
    lean : int
        How ``template`` reads on its own (see :class:`Band`); every entry of the registry
        states it. An explanation whose push runs against the lean of its sentence says
        so (:func:`fakedetect.explain.sentence`).
    """

    name: str
    group: Group
    tables: tuple[str, ...]
    description: str
    template: str
    direction: int = 0
    monotone: bool = False
    tasks: frozenset[str] = _INFL
    evidence: str = ""
    bands: tuple[Band, ...] = ()
    context: bool = False
    lean: int | None = None

    def __post_init__(self) -> None:
        if self.direction not in (-1, 0, 1):
            raise ValueError(f"{self.name}: direction must be -1, 0 or +1")
        if self.monotone and self.direction == 0:
            raise ValueError(f"{self.name}: a monotone feature needs a direction")
        if self.group not in GROUPS:
            raise ValueError(f"{self.name}: unknown group {self.group!r}")
        if self.evidence not in EVIDENCE_TOPICS:
            raise ValueError(f"{self.name}: unknown evidence topic {self.evidence!r}")
        if self.lean not in LEANS or any(b.lean not in LEANS for b in self.bands):
            raise ValueError(f"{self.name}: the template and every band need a lean of "
                             "-1, 0 or +1")
        bounds = [b.bound for b in self.bands]
        if bounds != sorted(bounds, reverse=True) or len(set(bounds)) != len(bounds):
            raise ValueError(f"{self.name}: band bounds must fall strictly")


def _p(name: str, description: str, template: str, direction: int = 0, *,
       monotone: bool = False, evidence: str = "",
       bands: tuple[Band, ...] = (), lean: int) -> FeatureSpec:
    return FeatureSpec(name, "profile", ("accounts",), description, template, direction,
                       monotone, _BOTH, evidence, bands, lean=lean)


def _e(name: str, description: str, template: str, direction: int = 0, *,
       tables: tuple[str, ...] = ("posts", "accounts"), monotone: bool = False,
       evidence: str = "", bands: tuple[Band, ...] = (), lean: int) -> FeatureSpec:
    return FeatureSpec(name, "engagement", tables, description, template, direction,
                       monotone, _INFL, evidence, bands, lean=lean)


def _g(name: str, description: str, template: str, direction: int = 0, *,
       tables: tuple[str, ...] = ("snapshots",), monotone: bool = False,
       evidence: str = "", bands: tuple[Band, ...] = (), context: bool = False,
       lean: int) -> FeatureSpec:
    return FeatureSpec(name, "growth", tables, description, template, direction, monotone,
                       _INFL, evidence, bands, context, lean)


def _c(name: str, description: str, template: str, direction: int = 0, *,
       tables: tuple[str, ...] = ("comments",), monotone: bool = False,
       evidence: str = "", bands: tuple[Band, ...] = (), lean: int) -> FeatureSpec:
    return FeatureSpec(name, "comments", tables, description, template, direction,
                       monotone, _INFL, evidence, bands, lean=lean)


def _a(name: str, description: str, template: str, direction: int = 0, *,
       monotone: bool = False, evidence: str = "", context: bool = False,
       lean: int) -> FeatureSpec:
    return FeatureSpec(name, "audience", ("audience",), description, template, direction,
                       monotone, _INFL, evidence, (), context, lean)


N = LAST_POSTS

#: The registry, in the order feature frames hold the columns.
#: Band bounds of the count features, on their log10(1 + count) scale.
_LOG_10K, _LOG_100K, _LOG_1M = math.log10(10_001), math.log10(100_001), math.log10(1_000_001)
_LOG_1500, _LOG_7500 = math.log10(1_501), math.log10(7_501)

FEATURES: tuple[FeatureSpec, ...] = (
    # ------------------------------------------------------------------ profile
    _p("accounts__log_followers", "Followers on the profile (on a logarithmic scale).",
       "The profile shows {count:,.0f} followers, a small account (under 10k)",
       bands=(Band(_LOG_1M, 0, "The profile shows {count:,.0f} followers, a very large "
                               "account (over 1M)"),
              Band(_LOG_100K, 0, "The profile shows {count:,.0f} followers, a large account "
                                 "(100k-1M)"),
              Band(_LOG_10K, 0, "The profile shows {count:,.0f} followers, a mid-sized "
                                "account (10k-100k)")), lean=0),
    _p("accounts__log_following", "Accounts followed (on a logarithmic scale).",
       "The account follows {count:,.0f} accounts, an ordinary number", +1,
       bands=(Band(_LOG_7500, +1, "The account follows {count:,.0f} accounts, close to the "
                                  "platform's limit of 7,500, as follow-for-follow accounts do"),
              Band(_LOG_1500, +1, "The account follows {count:,.0f} accounts, more than "
                                  "1,500, a level common among mass-following accounts")), lean=-1),
    _p("accounts__log_posts", "Posts on the profile (on a logarithmic scale).",
       "The account has published only {count:,.0f} posts", -1,
       bands=(Band(math.log10(101), -1, "The account has published {count:,.0f} posts, an "
                                        "established feed"),
              Band(math.log10(21), 0, "The account has published {count:,.0f} posts, a "
                                      "modest feed")), lean=+1),
    _p("accounts__follower_following_ratio__log",
       "Followers per account followed (on a logarithmic scale).",
       "The account follows more accounts than follow it: {ratio:,.2f} followers per "
       "account it follows, as in follow-for-follow", -1,
       bands=(Band(1.0, -1, "The account has {ratio:,.0f} followers for each account it follows, "
                            "far more followers than follows"),
              Band(0.0, 0, "The account has {ratio:,.1f} followers for each account it follows")),
       lean=+1),
    _p("accounts__posts_per_follower__log",
       "Posts per follower (on a logarithmic scale).",
       "The account has one post for every {per:,.0f} followers",
       bands=(Band(0.0, 0, "The account has more posts than followers ({ratio:,.1f} posts per "
                           "follower)"),), lean=0),
    _p("accounts__bio_length", "Length of the biography in characters.",
       "The biography is empty", -1,
       bands=(Band(0.5, 0, "The biography is {value:.0f} characters long"),), lean=+1),
    _p("accounts__username_length", "Length of the username in characters.",
       "The username is {value:.0f} characters long", lean=0),
    _p("accounts__username_digits", "Digits in the username.",
       "The username contains no digits", +1,
       bands=(Band(2.5, +1, "The username contains {value:.0f} digits; names with many digits are "
                            "often generated"),
              Band(1.5, 0, "The username contains {value:.0f} digits"),
              Band(0.5, 0, "The username contains one digit")), lean=0),
    _p("accounts__has_profile_pic", "Whether the account has a profile picture.",
       "The account has no profile picture", -1,
       bands=(Band(0.5, -1, "The account has a profile picture"),), lean=+1),
    _p("accounts__is_private", "Whether the account is private.",
       "The account is public", bands=(Band(0.5, 0, "The account is private"),), lean=0),
    _p("accounts__is_verified", "Whether the account is verified.",
       "The account is not verified", -1, bands=(Band(0.5, -1, "The account is verified"),),
       lean=0),
    _p("accounts__external_url", "Whether the profile links to an external site.",
       "The profile has no link to an external site", -1,
       bands=(Band(0.5, -1, "The profile links to an external site"),), lean=0),
    _p("accounts__like_rate_pct",
       f"Mean likes per post as a percentage of followers (imported, else from the last "
       f"{N} posts).", "Posts get likes from {value:.2f}% of followers on average",
       evidence="engagement", lean=0),
    _p("accounts__comment_rate_pct",
       f"Mean comments per post as a percentage of followers (imported, else from the last "
       f"{N} posts).", "Posts get comments from {value:.2f}% of followers on average", lean=0),
    _p("accounts__avg_caption_length",
       "Mean caption length in characters (imported, else from the posts).",
       "Captions average {value:.0f} characters", lean=0),
    _p("accounts__share_empty_captions",
       "Share of posts with an (almost) empty caption (imported, else captions under 3 "
       "characters in the posts).",
       "{value:.0%} of posts have an (almost) empty caption", +1, lean=0),
    _p("accounts__share_non_image_posts", "Share of posts that are not images (imported).",
       "{value:.0%} of posts are videos or carousels rather than single images", lean=0),
    _p("accounts__share_location_tagged",
       "Share of posts with a location tag (imported, else from the posts' has_location).",
       "{value:.0%} of posts carry a location tag", -1, lean=0),
    _p("accounts__avg_hashtags", "Mean hashtags per post (imported, else from the posts).",
       "Posts carry {value:.1f} hashtags on average", lean=0),
    _p("accounts__promo_keywords", "Use of promotional keywords in captions (imported).",
       "Captions use promotional words (a score of {value:.2f}, where 0 means none)", +1, lean=0),
    _p("accounts__follower_hunt_keywords",
       "Use of follower-hunting keywords such as follow4follow (imported).",
       "Captions use follower-hunting words such as follow4follow (a score of "
       "{value:.2f}, where 0 means none)", +1, lean=0),
    _p("accounts__post_similarity", "Mean similarity between posts (imported).",
       "Posts are {value:.0%} similar to each other on average", +1, lean=0),
    _p("accounts__post_interval_hours",
       f"Mean hours between posts (imported, else from the last {N} posts).",
       "Posts come every {value:,.0f} hours on average", lean=0),
    # --------------------------------------------------------------- engagement
    _e(f"posts__median_engagement_rate__last_{N}",
       f"Median of (likes + comments) / followers over the last {N} posts.",
       "Posts typically get likes and comments from {value:.2%} of followers",
       evidence="engagement", lean=0),
    _e(f"posts__engagement_vs_tier__last_{N}",
       "Median engagement rate against the usual rate for an account of that size "
       "(1 = usual).",
       "Engagement is only {value:.0%} of the usual rate for an account of this size, well "
       "below it", evidence="engagement",
       bands=(Band(3.0, +1, "Engagement is {value:.1f}x the usual rate for an account of this "
                            "size, more than most genuine audiences give"),
              Band(1.5, 0, "Engagement is {value:.1f}x the usual rate for an account of this "
                           "size"),
              Band(0.85, -1, "Engagement is about the usual rate for an account of this size"),
              Band(0.5, 0, "Engagement is {value:.0%} of the usual rate for an account of "
                           "this size")),
       lean=+1),
    # "unusually even" holds below about the 10th percentile of genuine creators in the
    # simulator (whose per-post likes follow the real series); above it, ordinary
    _e(f"posts__like_cv__last_{N}",
       f"How much likes vary from post to post (spread over mean) over the last {N} posts.",
       "Likes are unusually even across posts: they vary by only {value:.0%} of the "
       "average from post to post", tables=("posts",),
       bands=(Band(1.0, 0, "Likes swing widely from post to post (by {value:.0%} of the average): "
                           "a few posts get most of the likes"),
              Band(0.12, -1, "Likes vary by {value:.0%} of the average from post to post, an "
                             "ordinary amount")), lean=+1),
    _e(f"posts__like_gini__last_{N}",
       f"How unequally likes are spread over the last {N} posts (0 even, 1 all on one "
       "post).",
       "Likes are unusually even across posts: nearly every post gets the same number",
       tables=("posts",),
       bands=(Band(0.5, 0, "A few posts get most of the likes"),
              Band(0.07, -1, "Likes are spread across posts in the ordinary way: some posts do "
                             "better than others")), lean=+1),
    # the usual levels are the medians of Purba's real accounts (comments per like 4.4% at
    # 1k-10k followers, 1.3% at 10k-50k; see fakedetect.simulate.design)
    _e(f"posts__comment_like_ratio__last_{N}",
       f"Total comments over total likes on the last {N} posts.",
       "Posts get likes but no comments", tables=("posts",),
       bands=(Band(1.0, +1, "Posts get more comments than likes ({value:.1f} comments per like)"),
              Band(1e-12, 0, "Posts get one comment for every {inverse:,.0f} likes (real "
                             "accounts: about one for every 23 likes at 1k-10k followers, one "
                             "for every 77 at 10k-50k)")), lean=+1),
    _e("posts__share_like_outliers__robust_z_3",
       f"Share of the last {N} posts with far more likes than the account's usual post "
       "(more than 3 times the usual post-to-post variation above its median).",
       "{value:.0%} of recent posts got far more likes than the account usually gets", +1,
       tables=("posts",), lean=0),
    _e("posts__engagement_follower_trend__per_30_days",
       "Trend of engagement per post against the trend of followers, per 30 days, over "
       "the snapshot window (negative: followers grow, engagement does not).",
       "Engagement per post fell behind follower growth: {pct_change:+.0%} a month "
       "relative to followers", tables=("posts", "snapshots"),
       bands=(Band(0.05, 0, "Engagement per post grew faster than the followers: {pct_change:+.0%}"
                            " a month relative to followers"),
              Band(-0.05, -1, "Engagement per post kept pace with follower growth")), lean=+1),
    _e(f"posts__views_per_like__last_{N}",
       f"Median views per like over the last {N} posts that report views.",
       "Videos get {value:,.1f} views per like", tables=("posts",), lean=0),
    _e(f"posts__posts_per_week__last_{N}",
       f"Posting rate over the span of the last {N} posts.",
       "The account posts {value:.1f} times a week", tables=("posts",), lean=0),
    # ------------------------------------------------------------------- growth
    # a genuine creator's organic growth in the simulator, calibrated on published
    # figures (fakedetect.simulate.design.GROWTH_MEAN: 0.08% a day, about +2% a month)
    _g("snapshots__daily_follower_change__mean_pct",
       "Mean daily follower change as a fraction of the previous day's followers.",
       "Followers changed by {value:+.2%} a day on average, about {monthly:+.0%} over 30 "
       "days (a typical genuine creator grows about +2% a month)",
       bands=(Band(0.003, +1, "Followers grew by {value:+.2%} a day on average, about "
                              "{monthly:+.0%} over 30 days, far faster than the +2% a month "
                              "of a typical genuine creator"),), lean=0),
    _g("snapshots__daily_follower_change__std_pct",
       "How much the daily relative follower change varies from day to day.",
       "The follower count is steady from day to day (it varies by {value:.2%} of "
       "followers)", +1, evidence="spike",
       bands=(Band(0.02, +1, "The follower count jumps around from day to day (it varies by "
                             "{value:.1%} of followers; steady accounts vary by well under 1%)"),
              Band(0.005, +1, "The follower count varies by {value:.1%} of followers from day to "
                              "day, more than a steady account")), lean=-1),
    _g("snapshots__max_jump_robust_z__window_1",
       "Largest one-day follower change above the account's usual daily change, in "
       "multiples of its usual day-to-day swing.",
       "No single day's follower gain stands out from the account's usual day-to-day "
       "swings", +1, monotone=True, evidence="spike",
       bands=(Band(10.0, +1, "The biggest one-day follower gain was {value:,.0f} times the "
                             "account's usual day-to-day swing: a sudden spike"),
              Band(3.0, +1, "The biggest one-day follower gain was {value:,.0f} times the "
                            "account's usual day-to-day swing: a noticeable jump")), lean=-1),
    _g("snapshots__max_jump_robust_z__window_3",
       "Largest three-day follower change above the account's usual three-day change, in "
       "multiples of its usual swing.",
       "No three days of follower gains stand out from the account's usual swings", +1,
       monotone=True, evidence="spike",
       bands=(Band(10.0, +1, "The biggest three-day follower gain was {value:,.0f} times the "
                             "account's usual swing: a sudden spike"),
              Band(3.0, +1, "The biggest three-day follower gain was {value:,.0f} times the "
                            "account's usual swing: a noticeable jump")), lean=-1),
    _g("snapshots__max_jump_share__window_1",
       "Largest one-day follower gain as a fraction of the previous day's followers.",
       "No day added more than {value:.1%} to the followers", +1, evidence="spike",
       bands=(Band(0.1, +1, "Followers jumped {value:.0%} in a single day, a very large jump for "
                            "one day"),
              Band(0.01, 0, "Followers grew {value:.1%} on the biggest day")), lean=-1),
    _g("snapshots__max_drop_robust_z__window_1",
       "Largest one-day follower loss below the usual daily change, in multiples of the "
       "usual day-to-day swing (purges).",
       "No day shows an unusual follower loss", +1, evidence="drop",
       bands=(Band(10.0, +1, "The biggest one-day follower loss was {value:,.0f} times the "
                             "account's usual day-to-day swing: a sudden purge, as when bought "
                             "followers are removed"),
              Band(3.0, +1, "The biggest one-day follower loss was {value:,.0f} times the "
                            "account's usual day-to-day swing: a noticeable drop")), lean=-1),
    _g("snapshots__growth_concentration__top_pct_1",
       "Share of all follower gains made on the busiest 1% of days.",
       "Follower gains are spread out: the busiest 1% of days brought only {value:.0%} "
       "of them", +1, evidence="spike",
       bands=(Band(0.5, +1, "Follower gains are concentrated: {value:.0%} of them came on the "
                            "busiest 1% of days (about one day in every hundred, at least one)"),),
       lean=-1),
    _g("snapshots__growth_concentration__top_pct_5",
       "Share of all follower gains made on the busiest 5% of days.",
       "Follower gains are spread out: the busiest 5% of days brought only {value:.0%} "
       "of them", +1, evidence="spike",
       bands=(Band(0.5, +1, "Follower gains are concentrated: {value:.0%} of them came on the "
                            "busiest 5% of days"),), lean=-1),
    _g("snapshots__purge_after_jump__days_30",
       "Share of the largest one-day gain (above the usual daily change) lost again "
       "within 30 days, against the usual trend.",
       "{value:.0%} of the biggest one-day gain was lost again within 30 days", +1,
       evidence="drop", lean=0),
    _g("snapshots__gain_engagement_corr__lag_1",
       "How closely daily follower changes follow the engagement of posts published that "
       "day or the day before (organic growth follows posts).",
       "Follower gains do not follow the engagement of new posts (organic growth "
       "usually does)", -1, tables=("snapshots", "posts"),
       bands=(Band(0.3, -1, "Follower gains rise and fall with the engagement of new posts, as "
                            "organic growth does"),
              Band(0.1, 0, "Follower gains follow the engagement of new posts only loosely")),
       lean=+1),
    _g("snapshots__excess_growth_on_post_days__lag_1",
       "Share of follower gains made on posting days (or the day after) minus the share "
       "of such days.",
       "Posting days brought {size:.0%} less of the follower growth than their share of "
       "the days: followers arrive independently of posts", -1,
       tables=("snapshots", "posts"),
       bands=(Band(0.05, -1, "Posting days (and the day after) brought {size:.0%} more of the "
                             "follower growth than their share of the days: followers arrive with "
                             "posts, as in organic growth"),
              Band(-0.05, 0, "Follower growth comes about as much on days without posts as on "
                             "posting days")), lean=+1),
    _g("snapshots__following_oscillation__mean_abs_pct",
       "Mean absolute daily change in accounts followed, as a fraction of the previous "
       "day's count (follow/unfollow churn).",
       "The number of accounts followed barely changes ({value:.1%} a day on average)", +1,
       bands=(Band(0.02, +1, "The account follows and unfollows in bulk: the number of accounts it"
                             " follows changes by {value:.1%} a day on average (steady accounts: "
                             "well under 1%)"),
              Band(0.005, +1, "The number of accounts followed changes by {value:.1%} a day on "
                              "average, more than on a steady account")), lean=-1),
    _g("accounts__account_age_days",
       "Days from account creation to the last observed snapshot or post.",
       "The account is only {value:,.0f} days old", -1, tables=("accounts",),
       bands=(Band(730.0, -1, "The account is about {years:.0f} years old"),
              Band(365.0, 0, "The account is about a year old"),
              Band(90.0, 0, "The account is {value:,.0f} days old")), lean=+1),
    _g("snapshots__history_length_days",
       "Days between the first and the last snapshot, inclusive.",
       "The follower history covers {value:,.0f} days", context=True, lean=0),
    # ----------------------------------------------------------------- comments
    _c("comments__share_generic",
       "Share of comments that are emoji or punctuation only, or a stock phrase (nice "
       "pic, love it, ...).",
       "Few comments are generic phrases or emoji only ({value:.0%})", +1, monotone=True,
       bands=(Band(0.5, +1, "{value:.0%} of comments are generic phrases or emoji only: "
                            "most comments say nothing about the post"),
              Band(0.1, 0, "{value:.0%} of comments are generic phrases or emoji only")),
       lean=-1),
    _c("comments__share_emoji_only",
       "Share of comments with no letter or digit (emoji or punctuation only).",
       "Few comments are emoji only ({value:.0%})", +1,
       bands=(Band(0.5, +1, "{value:.0%} of comments are emoji only: most comments say "
                            "nothing about the post"),
              Band(0.05, 0, "{value:.0%} of comments are emoji only")),
       lean=-1),
    _c("comments__repeat_commenter_share__min_posts_3",
       "Share of comments written by accounts that comment on 3 or more of the posts "
       "(pods).",
       "Few comments come from accounts that comment on 3 or more posts ({value:.0%})", +1,
       evidence="comments",
       bands=(Band(0.5, +1, "{value:.0%} of comments come from accounts that comment on 3 "
                            "or more posts: most comments come from the same group"),
              Band(0.05, 0, "{value:.0%} of comments come from accounts that comment on 3 "
                            "or more posts")),
       lean=-1),
    _c("comments__burst_share__minutes_15",
       "Share of comments written within 15 minutes of the post.",
       "Few comments arrived within 15 minutes of posting ({value:.0%})", +1,
       tables=("comments", "posts"),
       bands=(Band(0.4, +1, "{value:.0%} of comments arrived within 15 minutes of posting, an "
                             "unusually fast rush (on organic posts comments keep coming for "
                             "hours)"),
              Band(0.05, 0, "{value:.0%} of comments arrived within 15 minutes of posting")),
       lean=-1),
    _c("comments__commenter_overlap__previous_post",
       "Share of a post's commenters who also commented on the previous commented post "
       "(pooled over posts).",
       "Few of a post's commenters had also commented on the post before it ({value:.0%}, "
       "over all posts)", +1,
       tables=("comments", "posts"),
       bands=(Band(0.5, +1, "{value:.0%} of a post's commenters had also commented on the "
                            "post before it (over all posts): the same accounts comment post "
                            "after post"),
              Band(0.05, 0, "{value:.0%} of a post's commenters had also commented on the "
                            "post before it (over all posts)")),
       lean=-1),
    # ----------------------------------------------------------------- audience
    _a("audience__fake_share__scorer_model",
       "Estimated share of fake followers in the audience sample (the account model's "
       "scores corrected for its known error rates, else a rule-based estimate).",
       "An estimated {value:.0%} of sampled followers look fake", +1, monotone=True,
       evidence="share", lean=0),
    _a("audience__fake_share__se",
       "How uncertain the estimated fake-follower share is (the sampling error plus the "
       "uncertainty of the account model's error rates).",
       "The fake-follower share estimate is uncertain by about {value:.0%}", context=True, lean=0),
    _a("audience__mass_follower_share__following_1500",
       "Share of sampled followers who follow more than 1,500 accounts.",
       "{value:.0%} of sampled followers follow more than 1,500 accounts", +1, lean=0),
    _a("audience__no_picture_share", "Share of sampled followers without a profile picture.",
       "{value:.0%} of sampled followers have no profile picture", +1, lean=0),
    _a("audience__sample_size", "Number of sampled followers.",
       "The audience sample holds {value:,.0f} followers", context=True, lean=0),
)

_BY_NAME: dict[str, FeatureSpec] = {f.name: f for f in FEATURES}


def get_feature(name: str) -> FeatureSpec:
    """Return the registered feature called ``name``.

    Raises
    ------
    KeyError
        If no feature has that name.
    """
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown feature {name!r}; `fakedetect features --list` prints "
                       "the registry") from None


def feature_names(task: str = "influencer") -> list[str]:
    """Model inputs for ``task``, in registry order.

    Parameters
    ----------
    task : {"account", "influencer"}
        ``account``: profile features computable from a single profile row (an
        InstaFake profile, a Purba row or a sampled follower). ``influencer``: every
        feature.

    Returns
    -------
    list of str
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
    return [f.name for f in FEATURES if task in f.tasks]


#: Template fields derived from a feature's value (see :class:`FeatureSpec`).
DERIVED_FIELDS: tuple[tuple[str, Callable[[float], float]], ...] = (
    ("count", lambda x: 10.0**x - 1.0), ("ratio", lambda x: 10.0**x),
    ("per", lambda x: 10.0**-x), ("pct_change", lambda x: math.exp(x) - 1.0),
    ("monthly", lambda x: (1.0 + x) ** 30 - 1.0),
    ("inverse", lambda x: 1.0 / x if x else math.inf), ("size", abs),
    ("years", lambda x: x / 365.25))


def _fields(value: float, used: frozenset[str] | None = None) -> dict[str, object]:
    v = float(value)
    out: dict[str, object] = {"value": v, "yesno": "yes" if v >= 0.5 else "no"}
    for key, fn in DERIVED_FIELDS:
        if used is not None and key not in used:
            continue
        try:
            out[key] = fn(v)
        except OverflowError:
            out[key] = math.inf
    return out


@functools.cache
def _used_fields(template: str) -> frozenset[str]:
    """Names of the fields a template fills."""
    return frozenset(f for _, f, _, _ in string.Formatter().parse(template) if f)


def render_reason(name: str, value: float, **fields: object) -> str:
    """Fill the registry sentence of ``name`` with an account's value.

    Parameters
    ----------
    name : str
        A registered feature.
    value : float
        The account's value; NaN gives a sentence saying the signal is missing.
    **fields
        Extra template fields (override the derived ones).

    Returns
    -------
    str
    """
    spec = get_feature(name)
    if value is None or (isinstance(value, float) and math.isnan(value)) or (
            not isinstance(value, float) and _is_nan(value)):
        need = " and ".join(spec.tables)
        return f"Not assessed: {spec.description.rstrip('.')} (needs {need})"
    return template_for(spec, float(value)).format(**{**_fields(float(value)), **fields})


def template_for(spec: FeatureSpec, value: float) -> str:
    """The template of ``spec`` for ``value``: the first of its ``bands`` whose bound the
    value reaches, else its main template."""
    for band in spec.bands:
        if value >= band.bound:
            return band.template
    return spec.template


def lean_for(spec: FeatureSpec, value: float) -> int:
    """How the sentence of ``spec`` for ``value`` reads on its own: +1 as a sign of fake,
    -1 as genuine or ordinary, 0 as a plain description (0 for a missing value)."""
    if value != value:
        return 0
    for band in spec.bands:
        if value >= band.bound:
            return band.lean
    return int(spec.lean or 0)


def reason_leans(name: str, values: np.ndarray) -> np.ndarray:
    """:func:`lean_for` of many values of one feature.

    Parameters
    ----------
    name : str
        A registered feature.
    values : numpy.ndarray
        Float values; NaN gives 0.

    Returns
    -------
    numpy.ndarray of int8
    """
    spec = get_feature(name)
    values = np.asarray(values, dtype=np.float64)
    out = np.full(values.shape, int(spec.lean or 0), dtype=np.int8)
    done = np.isnan(values)
    out[done] = 0
    for band in spec.bands:
        here = ~done & (values >= band.bound)
        out[here] = band.lean
        done |= here
    return out


def render_reasons(name: str, values: np.ndarray) -> list[str]:
    """:func:`render_reason` for many values of one feature (the same sentences, faster).

    Parameters
    ----------
    name : str
        A registered feature.
    values : numpy.ndarray
        Float values; NaN gives the missing-signal sentence.

    Returns
    -------
    list of str
        One sentence per value.
    """
    spec = get_feature(name)
    need = " and ".join(spec.tables)
    missing = f"Not assessed: {spec.description.rstrip('.')} (needs {need})"
    values = np.asarray(values, dtype=np.float64)
    # each distinct value is rendered once (by its bits, so that -0.0 keeps its sign)
    bits, where = np.unique(values.view(np.int64), return_inverse=True)
    distinct = bits.view(np.float64).tolist()
    if spec.bands:
        once = [missing if v != v else _fill(template_for(spec, v), v) for v in distinct]
        return np.asarray(once, dtype=object)[where.reshape(-1)].tolist()
    numbered = _numbered(spec.template)
    if numbered is None:
        fill, used = spec.template.format, _used_fields(spec.template)
        once = [missing if v != v else fill(**_fields(v, used)) for v in distinct]
    else:  # the template's fields by position: no dictionary per value
        fill, getters = numbered[0].format, [_GETTERS[f] for f in numbered[1]]
        if len(getters) == 1:
            get = getters[0]
            once = [missing if v != v else fill(get(v)) for v in distinct]
        else:
            once = [missing if v != v else fill(*[g(v) for g in getters]) for v in distinct]
    return np.asarray(once, dtype=object)[where.reshape(-1)].tolist()


def _fill(template: str, value: float) -> str:
    """``template`` filled with ``value`` and its derived fields."""
    numbered = _numbered(template)
    if numbered is None:
        return template.format(**_fields(value, _used_fields(template)))
    return numbered[0].format(*[_GETTERS[f](value) for f in numbered[1]])


def _overflow_inf(fn: Callable[[float], float]) -> Callable[[float], float]:
    """``fn``, giving inf where it overflows (as :func:`_fields`)."""
    def get(v: float) -> float:
        try:
            return fn(v)
        except OverflowError:
            return math.inf
    return get


#: How :func:`render_reasons` fills each field: :func:`_fields`, one field at a time.
_GETTERS: dict[str, Callable[[float], object]] = {
    "value": lambda v: v, "yesno": lambda v: "yes" if v >= 0.5 else "no",
    **{key: _overflow_inf(fn) for key, fn in DERIVED_FIELDS}}


@functools.cache
def _numbered(template: str) -> tuple[str, tuple[str, ...]] | None:
    """The template with its fields numbered (``{0:.1f}``), and the field of each
    number; ``None`` when it uses more than the plain fields of :data:`_GETTERS`."""
    parts, names = [], []
    for literal, field, spec, conversion in string.Formatter().parse(template):
        parts.append(literal.replace("{", "{{").replace("}", "}}"))
        if field is None:
            continue
        if field not in _GETTERS or conversion or "{" in (spec or ""):
            return None
        if field not in names:
            names.append(field)
        parts.append("{" + str(names.index(field)) + (f":{spec}" if spec else "") + "}")
    return "".join(parts), tuple(names)


def _is_nan(value: object) -> bool:
    try:
        return math.isnan(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True


def registry_frame(task: str | None = None) -> pd.DataFrame:
    """The registry as a table (one row per feature).

    Parameters
    ----------
    task : str, optional
        Keep only the features of this task.

    Returns
    -------
    pandas.DataFrame
        Columns name, group, tables, tasks, direction, monotone, description, template.
    """
    import pandas as pd

    rows = [{
        "name": f.name, "group": f.group, "tables": "+".join(f.tables),
        "tasks": "+".join(t for t in TASKS if t in f.tasks), "direction": f.direction,
        "monotone": f.monotone, "description": f.description, "template": f.template,
    } for f in FEATURES if task is None or task in f.tasks]
    return pd.DataFrame(rows)


def registry_text(task: str | None = None, *, width: int = 100) -> str:
    """The registry as plain text for a terminal, one block per group.

    Parameters
    ----------
    task : str, optional
        Keep only the features of this task.
    width : int
        Wrap descriptions at this many characters.
    """
    import textwrap

    lines: list[str] = []
    sign = {1: "+", -1: "-", 0: "0"}
    for group in GROUPS:
        feats = [f for f in FEATURES if f.group == group and (task is None or task in f.tasks)]
        if not feats:
            continue
        lines.append(f"{group} ({len(feats)})")
        for f in feats:
            mono = " monotone" if f.monotone else ""
            tasks = "+".join(t for t in TASKS if t in f.tasks)
            lines.append(f"  {f.name}  [{'+'.join(f.tables)}; {tasks}; "
                         f"direction {sign[f.direction]}{mono}]")
            lines.extend(textwrap.wrap(f.description, width=width, initial_indent="      ",
                                       subsequent_indent="      "))
        lines.append("")
    lines.append("direction: + higher means more likely fake, - more likely genuine, "
                 "0 either end")
    return "\n".join(lines)


def registry_markdown() -> str:
    """The registry as a Markdown table (the reference section of ``docs/features.md``)."""
    lines = ["| feature | group | tables | tasks | direction | sentence reads, low to high "
             "| description |",
             "|---|---|---|---|---|---|---|"]
    sign = {1: "+1", -1: "-1", 0: "0"}
    for f in FEATURES:
        mono = " (monotone)" if f.monotone else ""
        tasks = ", ".join(t for t in TASKS if t in f.tasks)
        lines.append(f"| `{f.name}` | {f.group} | {', '.join(f.tables)} | {tasks} | "
                     f"{sign[f.direction]}{mono} | {reads_text(f)} | "
                     f"{f.description.replace('|', '/')} |")
    return "\n".join(lines)


def reads_text(spec: FeatureSpec) -> str:
    """How the sentences of ``spec`` read from its lowest values to its highest, in words
    (``"genuine, plain, fake"``; repeats merged): the leans of its template and bands."""
    words = {1: "fake", -1: "genuine", 0: "plain"}
    leans = [int(spec.lean or 0), *(b.lean for b in reversed(spec.bands))]
    merged = [x for k, x in enumerate(leans) if k == 0 or x != leans[k - 1]]
    return ", ".join(words[x] for x in merged)


if __name__ == "__main__":  # pragma: no cover - documentation generator
    print(registry_markdown())
