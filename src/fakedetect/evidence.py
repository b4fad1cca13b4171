"""Headline evidence per account, in the units an analyst checks by hand.

The model reads features; an analyst reads facts with a date, a size and a comparison.
:func:`headline_evidence` computes, for every account of a dataset:

- the largest one-day follower gain, its day, its size against the account's usual
  daily change, and what likes did on the posts published around it; the largest
  one-day loss the same way (bought followers are often removed later);
- the median engagement rate of the last posts against the benchmark for an account of
  that size (the curve :func:`fakedetect.features.expected_engagement_rate` draws);
- how concentrated the comments are: the share written by accounts that comment on
  three or more posts, how many such accounts there are, and how many comment on every
  commented post;
- the fake-follower share with its 95% interval, when the caller supplies it (it needs
  the account model, so it comes from the scores).

:func:`evidence_sentences` turns one account's evidence into the plain sentences that
replace the feature templates of the matching features (:func:`evidence_features`), and
:func:`review_checklist` into what to check, what to ask the creator for and what would
clear the account.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from fakedetect.validate import Dataset

#: Days either side of the spike whose posts count as "the posts that week".
SPIKE_WEEK_DAYS = 3
#: Likes on the spike week's posts within this factor of the usual count "stayed usual".
LIKES_USUAL_FACTOR = 1.5
#: A commenter on at least this many of an account's posts is a repeat commenter (as the
#: feature ``comments__repeat_commenter_share__min_posts_3``).
REPEAT_MIN_POSTS = 3
#: A largest one-day gain this many times the usual daily change gets a checklist item.
SPIKE_CHECK_RATIO = 8.0
#: Below this many times the usual daily change, no day's gain (or loss) stands out.
STANDS_OUT_RATIO = 1.5
#: From this many times the usual daily change, a gain (with likes that did not rise with
#: it) or a loss reads as a sign of fake; below it, the largest day of a few months is
#: stated as a plain fact (on simulated genuine creators the largest gain is a median
#: 5x the usual daily change, and the largest loss 2x).
JUMP_LEAN_RATIO = SPIKE_CHECK_RATIO
#: A share of comments from repeat commenters from which it reads as a sign of fake and
#: gets a checklist item.
COMMENT_CHECK_SHARE = 0.2
#: The usual fake-follower share of a genuine creator: the simulator's mean for genuine
#: accounts (:mod:`fakedetect.simulate.design`, set a little below SRF Data's 2017 median
#: of 14-20% over 115 influencers). A share whose interval lies wholly above it, or a
#: share of :data:`SHARE_CHECK_SHARE` or more, gets a checklist item on its own.
SHARE_USUAL = 0.15
SHARE_CHECK_SHARE = 0.2
#: What a checklist item found in the evidence but not among the reasons starts with.
EVIDENCE_ONLY = "Seen in the data, though not among the strongest reasons: "
#: Follower tiers used to name the size of an account, as (upper bound, label).
TIERS: tuple[tuple[float, str], ...] = (
    (1_000, "under 1k"), (5_000, "1k-5k"), (10_000, "5k-10k"), (20_000, "10k-20k"),
    (50_000, "20k-50k"), (100_000, "50k-100k"), (500_000, "100k-500k"),
    (1_000_000, "500k-1M"), (math.inf, "over 1M"),
)

#: Evidence columns, in the order :func:`headline_evidence` returns them (days as
#: timestamps, the tier as text, the rest as floats).
EVIDENCE_COLUMNS: tuple[str, ...] = (
    "spike_date", "spike_followers", "spike_usual_daily_change", "spike_vs_usual",
    "spike_week_likes_vs_usual", "spike_week_posts", "drop_date", "drop_followers",
    "drop_vs_usual", "engagement_rate", "engagement_benchmark", "engagement_vs_benchmark",
    "follower_tier", "comment_repeat_share", "comment_repeat_accounts",
    "comment_every_post_accounts", "comment_posts",
)
#: Columns added to the scores file (the headline of every account).
SCORE_COLUMNS: tuple[str, ...] = (
    "spike_date", "spike_followers", "spike_vs_usual", "engagement_rate",
    "engagement_benchmark", "engagement_vs_benchmark", "follower_tier",
    "comment_repeat_share",
)


def evidence_features() -> dict[str, str]:
    """Features whose reason sentence is the evidence sentence of a topic (the registry's
    ``evidence`` field), by name."""
    from fakedetect.features.registry import FEATURES

    return {f.name: f.evidence for f in FEATURES if f.evidence}


def follower_tier(followers: float) -> str:
    """The tier label of a follower count (``"20k-50k"``), or ``""`` when unknown."""
    if not (isinstance(followers, int | float | np.integer | np.floating)
            and math.isfinite(float(followers)) and followers >= 0):
        return ""
    for bound, label in TIERS:
        if followers < bound:
            return label
    return TIERS[-1][1]


def headline_evidence(dataset: Dataset, shares: pd.DataFrame | None = None
                      ) -> pd.DataFrame:
    """The headline evidence of every account of ``dataset``.

    Parameters
    ----------
    dataset : Dataset
        A loaded dataset; missing optional tables leave their columns missing.
    shares : pandas.DataFrame, optional
        Indexed by account id, with ``fake_follower_share``, ``fake_follower_share_low``
        and ``fake_follower_share_high`` (as in the scores); copied into the result.

    Returns
    -------
    pandas.DataFrame
        Indexed by account id (str), columns :data:`EVIDENCE_COLUMNS` (plus the share
        columns when given). ``spike_date`` is a ``datetime64`` day; counts are floats,
        NaN where the evidence could not be computed.
    """
    import pandas as pd

    accounts = dataset.accounts
    ids = pd.Index(accounts["account_id"].astype(str).to_numpy(dtype=object),
                   name="account_id")
    followers = pd.to_numeric(accounts["followers"], errors="coerce").astype(
        "float64").to_numpy(na_value=np.nan)
    out = pd.DataFrame(index=ids)
    spike = _spikes(dataset, ids)
    for col in spike.columns:
        out[col] = spike[col]
    eng = _engagement(dataset, ids, followers)
    for col in eng.columns:
        out[col] = eng[col]
    out["follower_tier"] = [follower_tier(f) for f in followers.tolist()]
    com = _comments(dataset, ids)
    for col in com.columns:
        out[col] = com[col]
    if shares is not None:
        for col in ("fake_follower_share", "fake_follower_share_low",
                    "fake_follower_share_high"):
            if col in shares:
                out[col] = pd.to_numeric(shares[col], errors="coerce").reindex(ids)
    return out[[c for c in (*EVIDENCE_COLUMNS, "fake_follower_share",
                            "fake_follower_share_low", "fake_follower_share_high")
                if c in out]]


def _account_codes(frame: pd.DataFrame, ids: pd.Index) -> np.ndarray:
    """Row of ``ids`` of each row's account (-1 for an unknown account)."""
    import pandas as pd

    col = frame["account_id"]
    if isinstance(col.dtype, pd.CategoricalDtype):
        cats = ids.get_indexer(col.cat.categories.astype(str).to_numpy(dtype=object))
        codes = col.cat.codes.to_numpy(dtype=np.int64)
        return np.where(codes >= 0, cats[codes], -1)
    return ids.get_indexer(col.astype(str).to_numpy(dtype=object))  # type: ignore[no-any-return]


def _spikes(dataset: Dataset, ids: pd.Index) -> pd.DataFrame:
    """Largest one-day follower gain per account, its day and its context."""
    import pandas as pd

    cols = ("spike_date", "spike_followers", "spike_usual_daily_change", "spike_vs_usual",
            "spike_week_likes_vs_usual", "spike_week_posts", "drop_date", "drop_followers",
            "drop_vs_usual")
    out = pd.DataFrame({c: np.nan for c in cols}, index=ids)
    for c in ("spike_date", "drop_date"):
        out[c] = pd.Series(pd.NaT, index=ids, dtype="datetime64[ns]")
    snaps = dataset.get("snapshots")
    if snaps is None or not len(snaps):
        return out
    code = _account_codes(snaps, ids)
    day = (pd.to_datetime(snaps["date"]).dt.tz_localize(None)
           .to_numpy(dtype="datetime64[D]").astype(np.int64))
    fol = pd.to_numeric(snaps["followers"], errors="coerce").astype("float64").to_numpy(
        na_value=np.nan)
    order = np.lexsort((day, code))
    code, day, fol = code[order], day[order], fol[order]
    ok = (code >= 0) & np.isfinite(fol)
    code, day, fol = code[ok], day[ok], fol[ok]
    same = np.r_[False, code[1:] == code[:-1]]
    rows = np.flatnonzero(same)
    if not rows.size:
        return out
    gap = np.maximum(day[rows] - day[rows - 1], 1).astype(np.float64)
    change = (fol[rows] - fol[rows - 1]) / gap
    frame = pd.DataFrame({"code": code[rows], "day": day[rows], "change": change})
    frame["abs"] = frame["change"].abs()
    best = frame.loc[frame.groupby("code", sort=False)["change"].idxmax()]
    best = best[best["change"] > 0]
    # the usual daily change: the median size of the other days' changes
    rest = frame.drop(index=best.index)
    usual = rest.groupby("code")["abs"].median().reindex(best["code"]).to_numpy()
    usual = np.maximum(np.nan_to_num(usual, nan=0.0), 1.0)
    where = best["code"].to_numpy()
    out.iloc[where, 0] = pd.to_datetime(best["day"].to_numpy().astype("datetime64[D]"))
    out.iloc[where, 1] = best["change"].to_numpy()
    out.iloc[where, 2] = usual
    out.iloc[where, 3] = best["change"].to_numpy() / usual
    likes, posts_n = _likes_around(dataset, ids, where, best["day"].to_numpy())
    out.iloc[where, 4] = likes
    out.iloc[where, 5] = posts_n
    worst = frame.loc[frame.groupby("code", sort=False)["change"].idxmin()]
    worst = worst[worst["change"] < 0]
    usual = (frame.drop(index=worst.index).groupby("code")["abs"].median()
             .reindex(worst["code"]).to_numpy())
    usual = np.maximum(np.nan_to_num(usual, nan=0.0), 1.0)
    where = worst["code"].to_numpy()
    out.iloc[where, 6] = pd.to_datetime(worst["day"].to_numpy().astype("datetime64[D]"))
    out.iloc[where, 7] = worst["change"].to_numpy()
    out.iloc[where, 8] = -worst["change"].to_numpy() / usual
    return out


def _likes_around(dataset: Dataset, ids: pd.Index, codes: np.ndarray, days: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Median likes of each account's posts within :data:`SPIKE_WEEK_DAYS` of its spike
    day over the median likes of its other posts, and the number of such posts."""
    import pandas as pd

    posts = dataset.get("posts")
    if posts is None or not len(posts) or not len(codes):
        return np.full(len(codes), np.nan), np.full(len(codes), np.nan)
    pcode = _account_codes(posts, ids)
    pday = (pd.to_datetime(posts["posted_at"], utc=True).dt.tz_localize(None)
            .to_numpy(dtype="datetime64[D]").astype(np.int64))
    likes = pd.to_numeric(posts["likes"], errors="coerce").astype("float64").to_numpy(
        na_value=np.nan)
    spike_day = np.full(len(ids), np.iinfo(np.int64).min // 2, dtype=np.int64)
    has = np.zeros(len(ids), dtype=bool)
    spike_day[codes] = days
    has[codes] = True
    keep = (pcode >= 0) & np.isfinite(likes)
    keep[keep] = has[pcode[keep]]
    frame = pd.DataFrame({"code": pcode[keep], "likes": likes[keep]})
    frame["near"] = np.abs(pday[keep] - spike_day[pcode[keep]]) <= SPIKE_WEEK_DAYS
    near = frame[frame["near"]].groupby("code")["likes"].agg(["median", "size"])
    other = frame[~frame["near"]].groupby("code")["likes"].median()
    count = near["size"].reindex(codes).fillna(0).to_numpy(dtype=float)
    usual = other.reindex(codes).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(usual > 0, near["median"].reindex(codes).to_numpy(dtype=float)
                         / usual, np.nan)
    return ratio, count


def _engagement(dataset: Dataset, ids: pd.Index, followers: np.ndarray) -> pd.DataFrame:
    """Median engagement rate of the last posts against the benchmark (as the feature
    ``posts__engagement_vs_tier__last_30``: profile followers, posts with likes)."""
    import pandas as pd

    from fakedetect.features import expected_engagement_rate
    from fakedetect.features.registry import LAST_POSTS, MIN_POSTS

    out = pd.DataFrame({"engagement_rate": np.nan, "engagement_benchmark": np.nan,
                        "engagement_vs_benchmark": np.nan}, index=ids)
    fol = np.where(followers > 0, followers, np.nan)
    out["engagement_benchmark"] = expected_engagement_rate(fol)[0]
    posts = dataset.get("posts")
    if posts is None or not len(posts):
        return out
    code = _account_codes(posts, ids)
    likes = pd.to_numeric(posts["likes"], errors="coerce").astype("float64").to_numpy(
        na_value=np.nan)
    comments = pd.to_numeric(posts["comments"], errors="coerce").astype(
        "float64").to_numpy(na_value=np.nan)
    when = pd.to_datetime(posts["posted_at"], utc=True).to_numpy(dtype="datetime64[ns]")
    keep = (code >= 0) & np.isfinite(likes)
    frame = pd.DataFrame({"code": code[keep], "when": when[keep],
                          "rate": (likes[keep] + np.nan_to_num(comments[keep], nan=0.0))
                          / fol[code[keep]]})
    frame = frame.sort_values(["code", "when"], kind="stable")
    counts = frame.groupby("code")["rate"].size()
    last = frame.groupby("code").tail(LAST_POSTS)
    med = last.groupby("code")["rate"].median()
    med = med[counts.reindex(med.index) >= MIN_POSTS]
    rate = np.full(len(ids), np.nan)
    rate[med.index.to_numpy(dtype=np.int64)] = med.to_numpy()
    out["engagement_rate"] = rate
    with np.errstate(invalid="ignore", divide="ignore"):
        out["engagement_vs_benchmark"] = rate / out["engagement_benchmark"].to_numpy()
    return out


def _comments(dataset: Dataset, ids: pd.Index) -> pd.DataFrame:
    """How much of each account's comments come from its repeat commenters."""
    import pandas as pd

    from fakedetect.features.registry import MIN_COMMENTS

    cols = ("comment_repeat_share", "comment_repeat_accounts",
            "comment_every_post_accounts", "comment_posts")
    out = pd.DataFrame({c: np.nan for c in cols}, index=ids)
    com = dataset.get("comments")
    if com is None or not len(com):
        return out
    code = _account_codes(com, ids)
    who, _ = pd.factorize(com["commenter"], use_na_sentinel=True)
    post, _ = pd.factorize(com["post_id"], use_na_sentinel=True)
    keep = (code >= 0) & (who >= 0) & (post >= 0)
    frame = pd.DataFrame({"code": code[keep], "who": who[keep], "post": post[keep]})
    total = frame.groupby("code").size()
    n_posts = frame.groupby("code")["post"].nunique()
    per = frame.groupby(["code", "who"]).agg(n=("post", "size"), posts=("post", "nunique"))
    per = per.reset_index()
    per["repeat"] = per["posts"] >= REPEAT_MIN_POSTS
    per["every"] = per["repeat"] & (per["posts"] == n_posts.reindex(per["code"]).to_numpy())
    rep = per[per["repeat"]].groupby("code").agg(comments=("n", "sum"),
                                                 accounts=("who", "size"),
                                                 every=("every", "sum"))
    enough = total[total >= MIN_COMMENTS].index
    where = enough.to_numpy(dtype=np.int64)
    rep = rep.reindex(enough, fill_value=0)
    out.iloc[where, 0] = (rep["comments"] / total.reindex(enough)).to_numpy(dtype=float)
    out.iloc[where, 1] = rep["accounts"].to_numpy(dtype=float)
    out.iloc[where, 2] = rep["every"].to_numpy(dtype=float)
    out.iloc[where, 3] = n_posts.reindex(enough).to_numpy(dtype=float)
    return out


# --------------------------------------------------------------------------- words


def _finite(x: object) -> bool:
    return (isinstance(x, int | float | np.integer | np.floating)
            and math.isfinite(float(x)))


def times_text(ratio: float) -> str:
    """A ratio in words: ``"41x"``, ``"about the same as"``, ``"a quarter of"``."""
    r = float(ratio)
    if r >= 1.5:
        return f"{r:,.0f}x" if r >= 10 else f"{r:.1f}x"
    if r >= 0.85:
        return "about the same as"
    words = {2: "half", 3: "a third", 4: "a quarter", 5: "a fifth", 6: "a sixth",
             8: "an eighth", 10: "a tenth"}
    inv = 1.0 / r if r > 0 else math.inf
    for k, w in words.items():
        if abs(inv - k) <= 0.12 * k:
            return f"{w} of"
    return f"{r:.0%} of"


def percent(x: float, digits: int | None = None) -> str:
    """A share as a percentage for an analyst, never a rounded certainty: ``>99%`` and
    ``<1%`` at the ends (``>99.9%`` and ``<0.1%`` with one digit), ``—`` when unknown.

    Parameters
    ----------
    x : float
        A fraction (0.25 for 25%).
    digits : int, optional
        Decimals; default 0, or 1 below 10%.
    """
    try:
        v = float(x)
    except (TypeError, ValueError):
        return "—"
    if not math.isfinite(v):
        return "—"
    if digits is None:
        digits = 1 if 0.0 < abs(v) < 0.1 else 0
    shown = f"{100 * v:.{digits}f}"
    if 0.0 <= v <= 1.0 and float(shown) == 100.0:
        return f">{100 - 10.0 ** -digits:.{digits}f}%"
    if 0.0 <= v <= 1.0 and float(shown) == 0.0:
        return f"<{10.0 ** -digits:.{digits}f}%"
    return f"{shown}%"


def score_text(score: float) -> str:
    """An authenticity score (0-100) as text: ``<1`` and ``>99`` at the ends."""
    try:
        v = float(score)
    except (TypeError, ValueError):
        return "—"
    if not math.isfinite(v):
        return "—"
    shown = f"{v:.0f}"
    if shown in ("0", "-0"):
        return "<1"
    if shown == "100":
        return ">99"
    return shown


def _day_text(day: object) -> str:
    import pandas as pd

    ts = pd.Timestamp(day)  # type: ignore[arg-type]
    return f"{ts.day} {ts.strftime('%b %Y')}"


def spike_sentence(ev: Mapping[str, object]) -> str | None:
    """``+8,225 followers on 26 Nov 2026, 41x the usual daily change, while likes ...``;
    ``None`` without a follower gain."""
    gain = ev.get("spike_followers")
    if not _finite(gain) or float(gain) <= 0:  # type: ignore[arg-type]
        return None
    ratio = float(ev["spike_vs_usual"])  # type: ignore[arg-type]
    usual = ev.get("spike_usual_daily_change")
    of = f" of about {float(usual):,.0f}" if _finite(usual) else ""  # type: ignore[arg-type]
    day = _day_text(ev["spike_date"])
    if ratio < STANDS_OUT_RATIO:
        return (f"No day stands out: the largest one-day gain, +{float(gain):,.0f} "  # type: ignore[arg-type]
                f"followers on {day}, is close to the usual daily change{of}")
    text = (f"+{float(gain):,.0f} followers on {day}, "  # type: ignore[arg-type]
            f"{times_text(ratio)} the usual daily change{of}")
    likes, n = ev.get("spike_week_likes_vs_usual"), ev.get("spike_week_posts")
    if _finite(likes):
        lk = float(likes)  # type: ignore[arg-type]
        if 1 / LIKES_USUAL_FACTOR <= lk <= LIKES_USUAL_FACTOR:
            text += ", while likes on the posts that week stayed at their usual level"
        elif lk > LIKES_USUAL_FACTOR:
            text += f", and likes on the posts that week were {times_text(lk)} the usual"
        else:
            text += (f", while likes on the posts that week were {times_text(lk)} the "
                     "usual")
    elif _finite(n) and float(n) == 0:  # type: ignore[arg-type]
        text += ", in a week without posts"
    return text


def drop_sentence(ev: Mapping[str, object]) -> str | None:
    """``-1,204 followers on 3 Oct 2026, 37x the usual daily change``; ``None`` without
    a loss."""
    loss = ev.get("drop_followers")
    if not _finite(loss) or float(loss) >= 0:  # type: ignore[arg-type]
        return None
    ratio = float(ev["drop_vs_usual"])  # type: ignore[arg-type]
    day = _day_text(ev["drop_date"])
    if ratio < STANDS_OUT_RATIO:
        return (f"No sudden loss: the largest one-day loss, {float(loss):,.0f} followers "  # type: ignore[arg-type]
                f"on {day}, is close to the usual daily change")
    return (f"{float(loss):,.0f} followers on {day}, a loss {times_text(ratio)} the "  # type: ignore[arg-type]
            "usual daily change")


def engagement_sentence(ev: Mapping[str, object]) -> str | None:
    """``engagement 0.4%, a quarter of the usual 1.6% for accounts of 20k-50k followers``."""
    rate, bench = ev.get("engagement_rate"), ev.get("engagement_benchmark")
    if not (_finite(rate) and _finite(bench)) or float(bench) <= 0:  # type: ignore[arg-type]
        return None
    r, b = float(rate), float(bench)  # type: ignore[arg-type]
    tier = ev.get("follower_tier") or ""
    who = f"accounts of {tier} followers" if tier else "accounts of this size"
    ratio = r / b
    rel = times_text(ratio)
    if rel == "about the same as":
        return f"Engagement {percent(r, 1)}, about the usual {percent(b, 1)} for {who}"
    return f"Engagement {percent(r, 1)}, {rel} the usual {percent(b, 1)} for {who}"


def comments_sentence(ev: Mapping[str, object]) -> str | None:
    """``38% of comments come from 12 accounts that comment on 3 or more posts (4 on
    every post)``."""
    share, n = ev.get("comment_repeat_share"), ev.get("comment_repeat_accounts")
    if not (_finite(share) and _finite(n)):
        return None
    k = int(float(n))  # type: ignore[arg-type]
    if k == 0:
        return "No account comments on 3 or more of the posts"
    every = int(float(ev.get("comment_every_post_accounts") or 0))  # type: ignore[arg-type]
    posts = ev.get("comment_posts")
    of = f" of the {int(float(posts)):,} commented posts" if _finite(posts) else ""  # type: ignore[arg-type]
    who = "account that comments" if k == 1 else "accounts that comment"
    text = (f"{percent(float(share))} of comments come from {k:,} {who} on "  # type: ignore[arg-type]
            f"{REPEAT_MIN_POSTS} or more{of}")
    if every and k > 1:
        text += f" ({every:,} of them on every post)"
    elif every:
        text += " (on every post)"
    return text


def topic_sentence(topic: str, ev: Mapping[str, object]) -> str | None:
    """The sentence of one topic (``spike``, ``drop``, ``engagement``, ``comments``,
    ``share``) for one account's evidence, capitalised; ``None`` without evidence."""
    text = _TOPICS[topic](ev)
    return text[:1].upper() + text[1:] if text else None


def topic_lean(topic: str, ev: Mapping[str, object]) -> int:
    """How the sentence of :func:`topic_sentence` reads on its own, as the registry's
    leans: +1 as a sign of fake (a large spike with flat likes, engagement far from the
    usual, many repeat commenters), -1 as genuine or ordinary ("No day stands out",
    "about the usual", no repeat commenters), 0 as a plain description."""
    return _LEANS[topic](ev) if topic in _LEANS else 0


def _spike_lean(ev: Mapping[str, object]) -> int:
    ratio = ev.get("spike_vs_usual")
    if not (_finite(ratio) and _finite(ev.get("spike_followers"))):
        return 0
    if float(ratio) < STANDS_OUT_RATIO:  # type: ignore[arg-type]
        return -1
    likes = ev.get("spike_week_likes_vs_usual")
    rose = _finite(likes) and float(likes) > LIKES_USUAL_FACTOR  # type: ignore[arg-type]
    return 1 if float(ratio) >= JUMP_LEAN_RATIO and not rose else 0  # type: ignore[arg-type]


def _drop_lean(ev: Mapping[str, object]) -> int:
    ratio = ev.get("drop_vs_usual")
    if not _finite(ratio):
        return 0
    r = float(ratio)  # type: ignore[arg-type]
    return -1 if r < STANDS_OUT_RATIO else 1 if r >= JUMP_LEAN_RATIO else 0


def _engagement_lean(ev: Mapping[str, object]) -> int:
    """The lean of the registry's engagement-against-the-usual sentence for this ratio,
    so that the evidence and the template read alike."""
    from fakedetect.features.registry import get_feature, lean_for

    rate, bench = ev.get("engagement_rate"), ev.get("engagement_benchmark")
    if not (_finite(rate) and _finite(bench)) or float(bench) <= 0:  # type: ignore[arg-type]
        return 0
    spec = get_feature("posts__engagement_vs_tier__last_30")
    return lean_for(spec, float(rate) / float(bench))  # type: ignore[arg-type]


def _comments_lean(ev: Mapping[str, object]) -> int:
    share, n = ev.get("comment_repeat_share"), ev.get("comment_repeat_accounts")
    if not (_finite(share) and _finite(n)):
        return 0
    if float(n) == 0:  # type: ignore[arg-type]
        return -1
    return 1 if float(share) >= COMMENT_CHECK_SHARE else 0  # type: ignore[arg-type]


def evidence_sentences(ev: Mapping[str, object]) -> dict[str, str]:
    """One account's evidence as sentences by topic; topics without evidence are left
    out (see :func:`topic_sentence`)."""
    out = {}
    for topic in _TOPICS:
        text = topic_sentence(topic, ev)
        if text:
            out[topic] = text
    return out


class EvidenceTable:
    """Column arrays of :func:`headline_evidence`, read one account at a time without
    building a row per account.

    Parameters
    ----------
    evidence : pandas.DataFrame
        Indexed by account id.
    """

    def __init__(self, evidence: pd.DataFrame) -> None:
        self.index = evidence.index.astype(str)
        self.columns = {str(c): evidence[c].to_numpy() for c in evidence.columns}

    def positions(self, account_ids: np.ndarray) -> np.ndarray:
        """Row of each account id (-1 when it has no evidence)."""
        return self.index.get_indexer(account_ids)  # type: ignore[no-any-return]

    def row(self, pos: int) -> Mapping[str, object]:
        """The evidence of the account in row ``pos``, as a read-only mapping."""
        return _Row(self.columns, pos)


class _Row(Mapping[str, object]):
    def __init__(self, columns: dict[str, np.ndarray], pos: int) -> None:
        self._columns, self._pos = columns, pos

    def __getitem__(self, key: str) -> object:
        return self._columns[key][self._pos]

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)


def share_sentence(ev: Mapping[str, object]) -> str | None:
    """``An estimated 34% of sampled followers look fake (95% interval 22%–46%), more than
    the usual share of about 15% for genuine creators``; ``None`` without a share."""
    share = ev.get("fake_follower_share")
    if not _finite(share):
        return None
    lo, hi = ev.get("fake_follower_share_low"), ev.get("fake_follower_share_high")
    interval = (f" (95% interval {percent(float(lo))}–{percent(float(hi))})"  # type: ignore[arg-type]
                if _finite(lo) and _finite(hi) else "")
    lean = _share_lean(ev)
    usual = (f", more than the usual share of about {percent(SHARE_USUAL)} for genuine "
             "creators" if lean > 0 else
             f", within the usual share for genuine creators (about {percent(SHARE_USUAL)})"
             if lean < 0 else "")
    return (f"An estimated {percent(float(share))} of sampled followers look "  # type: ignore[arg-type]
            f"fake{interval}{usual}")


def _share_lean(ev: Mapping[str, object]) -> int:
    """+1 when the share's interval lies wholly above :data:`SHARE_USUAL`, -1 when the
    share is at most that (and its interval, when known, does not lie wholly above it),
    0 when the share is above it but its interval reaches down to it."""
    share, lo = ev.get("fake_follower_share"), ev.get("fake_follower_share_low")
    if not _finite(share):
        return 0
    if _finite(lo) and float(lo) > SHARE_USUAL:  # type: ignore[arg-type]
        return 1
    return -1 if float(share) <= SHARE_USUAL else 0  # type: ignore[arg-type]


_TOPICS = {"spike": spike_sentence, "drop": drop_sentence,
           "engagement": engagement_sentence, "comments": comments_sentence,
           "share": share_sentence}
#: Leans of the topics' sentences.
_LEANS = {"spike": _spike_lean, "drop": _drop_lean, "engagement": _engagement_lean,
          "comments": _comments_lean, "share": _share_lean}


def score_columns(evidence: pd.DataFrame) -> pd.DataFrame:
    """The :data:`SCORE_COLUMNS` of ``evidence`` as the scores file holds them (the spike
    day as ``YYYY-MM-DD`` text, empty when there is none)."""
    out = evidence[list(SCORE_COLUMNS)].copy()
    day = out["spike_date"]
    out["spike_date"] = day.dt.strftime("%Y-%m-%d").fillna("").astype(object)
    return out


#: Checklist topic of each feature that can push an account toward fake, by name (the
#: rest fall back to their registry evidence topic, then to their group).
CHECK_TOPICS: dict[str, str] = {
    "snapshots__following_oscillation__mean_abs_pct": "churn",
    "accounts__log_following": "churn",
    "accounts__follower_following_ratio__log": "churn",
    "comments__burst_share__minutes_15": "timing",
    "comments__commenter_overlap__previous_post": "comments",
    "comments__share_generic": "generic",
    "comments__share_emoji_only": "generic",
    "snapshots__purge_after_jump__days_30": "drop",
    "snapshots__max_drop_robust_z__window_1": "drop",
}
_GROUP_TOPICS = {"growth": "spike", "engagement": "engagement", "comments": "comments",
                 "audience": "share", "profile": "profile"}


def check_topic(feature: str) -> str:
    """The checklist topic of a feature (``spike``, ``churn``, ``timing``, ...)."""
    from fakedetect.features import get_feature

    if feature in CHECK_TOPICS:
        return CHECK_TOPICS[feature]
    try:
        spec = get_feature(feature)
    except KeyError:
        return ""
    return spec.evidence or _GROUP_TOPICS.get(spec.group, "profile")


def _spike_items(ev: Mapping[str, object]) -> tuple[str, str, str] | None:
    gain = ev.get("spike_followers")
    if not (_finite(gain) and float(gain) > 0 and _finite(ev.get("spike_vs_usual"))):  # type: ignore[arg-type]
        return None
    day = _day_text(ev["spike_date"])
    return (f"Open the posts around {day} and look for what could bring "
            f"+{float(gain):,.0f} followers in a day: a viral post, a giveaway, a "  # type: ignore[arg-type]
            "shout-out or press coverage.",
            f"A screenshot of the platform analytics showing where followers came from on "
            f"{day} and the days after (follower sources, reach of that week's posts).",
            f"Analytics showing the {day} followers arrived from a post, a collaboration or "
            "an ad campaign with matching reach, and likes that rose with them.")


def _drop_items(ev: Mapping[str, object]) -> tuple[str, str, str] | None:
    loss = ev.get("drop_followers")
    when = (f" such as the {float(loss):,.0f} on {_day_text(ev['drop_date'])}"  # type: ignore[arg-type]
            if _finite(loss) and float(loss) < 0 else "")  # type: ignore[arg-type]
    return (f"Look at the follower history for losses{when}: the platform removes bought "
            "followers in purges, often weeks after they were added.",
            "The follower growth chart of the platform analytics for the last 90 days.",
            "Losses that match a known event (a purge of inactive accounts across the "
            "platform, a controversy) rather than the removal of an earlier spike.")


def _engagement_items(ev: Mapping[str, object]) -> tuple[str, str, str]:
    ratio = ev.get("engagement_vs_benchmark")
    if _finite(ratio) and float(ratio) > 3:  # type: ignore[arg-type]
        return ("Look at who likes and comments on the last posts: the same small group on "
                "every post, or accounts without pictures or posts, point to bought "
                "engagement or a pod.",
                "Reach and impressions of the posts with the most likes.",
                "Reach that matches the likes, from a known viral post or campaign.")
    return ("Count the likes and comments on the last ten posts by hand and compare them "
            "with the follower count: are the commenters real people who follow the "
            "account's topic?",
            "Reach and impressions of the last ten posts (platform insights), to see how "
            "many followers actually see the posts.",
            "Reach per post that is a normal share of the followers, showing the audience "
            "is there even if it rarely likes.")


def _comments_items(ev: Mapping[str, object]) -> tuple[str, str, str]:
    rep = ev.get("comment_repeat_share")
    said = comments_sentence(ev) if _finite(rep) and float(rep) > 0 else None  # type: ignore[arg-type]
    who = f"{said}. " if said else ""
    are = "Are" if who else "are"
    return (f"Open the comments of the last posts: {who}{are} the commenters friends and "
            "regular fans, or the same accounts leaving generic comments on every post, as "
            "in an engagement pod?",
            "The names of the creator's regular commenters and how they know them, if the "
            "same accounts comment on every post.",
            "Repeat commenters who are real people with their own varied posts and "
            "specific comments.")


_ITEMS = {
    "spike": _spike_items,
    "drop": _drop_items,
    "engagement": _engagement_items,
    "comments": _comments_items,
    "churn": lambda ev: (
        "Watch the account's following count over a few days (or compare it with an "
        "earlier screenshot): following and unfollowing hundreds of accounts is how "
        "follow-for-follow schemes gain followers.",
        "Whether the creator uses a growth service or an automation app that follows "
        "accounts for them.",
        "A following count that stays steady, and no growth service in use."),
    "timing": lambda ev: (
        "Open the comments of the last posts and look at their times: a rush of comments "
        "in the first minutes, from the same accounts each time, points to an engagement "
        "pod or bought comments.",
        "Whether the creator is in an engagement group (pod) that comments on each "
        "other's posts on a schedule.",
        "Early comments from varied, real followers who also comment later and "
        "elsewhere."),
    "generic": lambda ev: (
        "Read the comments: many 'nice pic' or emoji-only comments from accounts with "
        "few posts are typical of bought comments.",
        "Whether the creator has bought comments or used a comment service.",
        "Comments that refer to what the post shows, from accounts with their own "
        "posts."),
    "share": lambda ev: (
        "Open twenty of the followers at random: no picture, no posts and following "
        "thousands of accounts are the signs of bought followers.",
        "The audience breakdown from the platform analytics (countries, ages, active "
        "hours) to compare with the account's market.",
        "An audience breakdown that matches the account's language and market."),
    "profile": lambda ev: (
        "Look at the profile itself: a picture, a biography, a link and a history of "
        "posts are what an active creator's profile usually has.",
        "A short introduction from the creator: who they are and where their audience "
        "comes from.",
        "A complete, long-standing profile with posts that match its audience."),
}


def review_checklist(ev: Mapping[str, object], topics: Sequence[str] = ()
                     ) -> dict[str, list[str]]:
    """What to check, what to ask the creator for and what would clear the account,
    built from one account's strongest reasons and its own evidence.

    Parameters
    ----------
    ev : mapping
        One row of :func:`headline_evidence` (plus the share columns when known).
    topics : sequence of str
        Checklist topics (:func:`check_topic`) of the account's reasons toward fake,
        strongest first; one item per topic, in that order. The evidence's own topics
        (a large spike, engagement far from the benchmark, many repeat commenters, a
        notably high fake-follower share: :func:`share_is_high`) follow, so that a spike
        the model could not weigh (too short a history) is still checked; their "check"
        item starts with :data:`EVIDENCE_ONLY` unless a reason gave the same topic.

    Returns
    -------
    dict
        ``check``, ``ask`` and ``clears``: lists of sentences (never empty).
    """
    found = list(topics)  # the reasons' topics, then the evidence's own
    if _finite(ev.get("spike_vs_usual")) and float(
            ev["spike_vs_usual"]) >= SPIKE_CHECK_RATIO:  # type: ignore[arg-type]
        found.append("spike")
    ratio = ev.get("engagement_vs_benchmark")
    if _finite(ratio) and (float(ratio) < 0.5 or float(ratio) > 3):  # type: ignore[arg-type]
        found.append("engagement")
    rep = ev.get("comment_repeat_share")
    if _finite(rep) and float(rep) >= COMMENT_CHECK_SHARE:  # type: ignore[arg-type]
        found.append("comments")
    if share_is_high(ev):
        found.append("share")
    check: list[str] = []
    ask: list[str] = []
    clears: list[str] = []
    from_reasons = set(topics)
    for topic in dict.fromkeys(found):
        make = _ITEMS.get(topic)
        items = make(ev) if make is not None else None
        if items is None:
            continue
        if topic not in from_reasons:
            items = (EVIDENCE_ONLY + items[0][:1].lower() + items[0][1:], *items[1:])
        for out, text in zip((check, ask, clears), items, strict=True):
            if text not in out:
                out.append(text)
    if not check:
        check.append("Read the reasons above and open the account's last posts: do the "
                     "likes, comments and follower count tell the same story?")
    if not ask:
        ask.append("The platform analytics overview of the last 90 days (follower growth, "
                   "reach, audience).")
    if not clears:
        clears.append("Analytics that match the public counts: steady follower growth and "
                      "a reach in line with the follower count.")
    return {"check": check, "ask": ask, "clears": clears}


def share_is_high(ev: Mapping[str, object]) -> bool:
    """Whether the estimated fake-follower share is notably high on its own: at least
    :data:`SHARE_CHECK_SHARE`, or its 95% interval wholly above :data:`SHARE_USUAL`."""
    share, low = ev.get("fake_follower_share"), ev.get("fake_follower_share_low")
    if not _finite(share):
        return False
    return float(share) >= SHARE_CHECK_SHARE or (  # type: ignore[arg-type]
        _finite(low) and float(low) > SHARE_USUAL)  # type: ignore[arg-type]


def checklist_topics(features: Sequence[str], contributions: Sequence[float],
                     limit: int = 5, *, leans: Sequence[float] | None = None) -> list[str]:
    """Checklist topics of the strongest reasons toward fake, strongest first.

    Parameters
    ----------
    features, contributions : sequence
        An account's reasons (computed, not amount-of-data features), in any order.
    limit : int
        Reasons toward fake to take topics from.
    leans : sequence, optional
        The ``lean`` column of the reasons (:func:`fakedetect.explain.explain_frame`): a
        reason whose sentence reads as genuine or ordinary ("No day stands out") gives no
        item, even when the model counts it toward fake; a profile reason gives the
        profile item only when it reads as fake; a missing lean (NaN) does not exclude
        the reason.
    """
    lean = [0.0] * len(features) if leans is None else [float(x) for x in leans]
    pairs = sorted(((float(c), str(f), le) for f, c, le in zip(features, contributions, lean,
                                                                 strict=True)
                    if float(c) > 0 and not le < 0), reverse=True)[:limit]
    # the profile item asks to look at the profile: only for a profile reason that reads
    # as fake (an unknown lean, NaN, counts as such)
    return list(dict.fromkeys(t for _, f, le in pairs
                              if (t := check_topic(f)) != "profile" or not le <= 0))
