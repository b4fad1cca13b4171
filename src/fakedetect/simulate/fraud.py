"""Fraud patterns, each with an intensity drawn from a range, alone or combined.

A fraudulent account is simulated as a genuine one (with the same confounders) and then
each of its patterns leaves its trace:

- ``bought_followers``: steps of bought (fake) followers within 1-3 days, no matching rise
  in likes, partly removed later by the seller or a platform purge;
- ``drip_followers``: slow, steady inorganic growth over weeks;
- ``bought_likes``: inflated likes on some posts, so comments per like collapse there;
- ``bought_comments``: the same few bot commenters across posts, short generic comments
  arriving in bursts minutes after the post;
- ``engagement_pod``: a fixed group of accounts commenting early on every post;
- ``follow_unfollow``: the following count oscillates, bringing follow-backs that leave;
- ``bot_audience``: a large share of followers are bots, so engagement is far below the
  tier's and the audience sample is full of fake-looking profiles.
"""

from __future__ import annotations

import numpy as np

from fakedetect.simulate import design as d
from fakedetect.simulate.genuine import spread_add

#: Pattern names, in the order of the columns of the pattern and intensity matrices.
PATTERNS: tuple[str, ...] = tuple(d.FRAUD_WEIGHTS)
#: Column of each pattern.
COL = {name: k for k, name in enumerate(PATTERNS)}


def assign_patterns(rng: np.random.Generator, n: int, fraud_rate: float | np.ndarray,
                    difficulty: d.Difficulty) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Choose which accounts are fraudulent, their patterns and each pattern's intensity.

    Parameters
    ----------
    rng : numpy.random.Generator
    n : int
    fraud_rate : float or numpy.ndarray
        Share of fraudulent accounts (one, or one per account).
    difficulty : Difficulty
        Shapes the intensity quantile (subtle or blatant).

    Returns
    -------
    is_fake : numpy.ndarray
        ``(n,)`` bool.
    patterns : numpy.ndarray
        ``(n, len(PATTERNS))`` bool; only fake accounts have any.
    intensity : numpy.ndarray
        ``(n, len(PATTERNS))`` float intensity in each pattern's own unit (see
        :data:`~fakedetect.simulate.design.FRAUD_INTENSITY`).
    """
    w = np.asarray([d.FRAUD_WEIGHTS[p] for p in PATTERNS], dtype=float)
    w /= w.sum()
    is_fake = rng.random(n) < fraud_rate
    first = rng.choice(len(PATTERNS), size=n, p=w)
    patterns = rng.random((n, len(PATTERNS))) < d.EXTRA_PATTERN_CHANCE * w[None, :]
    patterns[np.arange(n), first] = True
    patterns &= is_fake[:, None]
    q = rng.beta(difficulty.intensity_a, difficulty.intensity_b, (n, len(PATTERNS)))
    lo = np.log([d.FRAUD_INTENSITY[p][0] for p in PATTERNS])
    hi = np.log([d.FRAUD_INTENSITY[p][1] for p in PATTERNS])
    intensity = np.exp(lo + (hi - lo) * q)
    return is_fake, patterns, intensity


def fraud_type(patterns: np.ndarray) -> np.ndarray:
    """``none`` or the pattern names joined with ``+``, per account (object array)."""
    out = np.full(len(patterns), "none", dtype=object)
    for k in np.flatnonzero(patterns.any(axis=1)):
        out[k] = "+".join(p for p, on in zip(PATTERNS, patterns[k], strict=True) if on)
    return out


def bought_followers(rng: np.random.Generator, rows: np.ndarray, share: np.ndarray,
                     f0: np.ndarray, d_fake: np.ndarray) -> np.ndarray:
    """Add purchases of fake followers (1-3 batches) and the seller's later removals.

    Parameters
    ----------
    rows : numpy.ndarray
        Accounts with the pattern.
    share : numpy.ndarray
        Total bought as a share of the starting followers (at least 500 followers).
    f0 : numpy.ndarray
        Starting followers of every account of the block.
    d_fake : numpy.ndarray
        ``(n, days)`` daily change of fake followers, modified in place.

    Returns
    -------
    numpy.ndarray
        First purchase day per row.
    """
    days = d_fake.shape[1]
    total = np.maximum(share * f0[rows], 500.0)
    batches = rng.choice([1, 2, 3], size=len(rows), p=[0.7, 0.2, 0.1])
    r = np.repeat(rows, batches)
    amount = np.repeat(total / batches, batches)
    day = rng.integers(min(3, days - 1), max(days - 3, 4), len(r))
    length = rng.integers(1, 4, len(r))
    spread_add(d_fake, r, day, length, amount)
    purge_at = day + rng.integers(7, 46, len(r))
    spread_add(d_fake, r, purge_at, rng.integers(3, 11, len(r)),
               -amount * rng.uniform(0.1, 0.5, len(r)))
    first = np.full(len(rows), days, dtype=np.int64)
    pos = np.searchsorted(rows, r)
    np.minimum.at(first, pos, day)
    return first


def drip_followers(rng: np.random.Generator, rows: np.ndarray, rate: np.ndarray,
                   f0: np.ndarray, d_fake: np.ndarray) -> None:
    """Add a steady daily trickle of bought followers over a campaign of weeks."""
    days = d_fake.shape[1]
    length = np.maximum((days * rng.uniform(0.5, 1.0, len(rows))).astype(np.int64), 1)
    start = rng.integers(0, np.maximum(days - length, 1))
    mask = np.zeros_like(d_fake)
    spread_add(mask, rows, start, length, length.astype(float))
    noise = 1 + 0.25 * rng.standard_normal((len(rows), days))
    d_fake[rows] += (mask[rows] > 0.5) * (rate * f0[rows])[:, None] * np.clip(noise, 0, None)


def follow_unfollow(rng: np.random.Generator, rows: np.ndarray, amplitude: np.ndarray,
                    following: np.ndarray, d_real: np.ndarray) -> None:
    """Make the following count oscillate and add the follow-backs that later leave.

    Parameters
    ----------
    amplitude : numpy.ndarray
        Peak extra accounts followed, as a share of the account's following (at least 15).
    following : numpy.ndarray
        ``(n, days)`` following count, modified in place.
    d_real : numpy.ndarray
        ``(n, days)`` daily change of real followers, modified in place.
    """
    days = following.shape[1]
    t = np.arange(days)
    amp = np.maximum(amplitude * following[rows, 0], 15.0)
    period = rng.uniform(4, 12, len(rows))
    phase = rng.uniform(0, 1, len(rows))
    wave = 0.5 - 0.5 * np.cos(2 * np.pi * (t[None, :] / period[:, None] + phase[:, None]))
    length = np.maximum((days * rng.uniform(0.4, 1.0, len(rows))).astype(np.int64), 1)
    start = rng.integers(0, np.maximum(days - length, 1))
    active = (t[None, :] >= start[:, None]) & (t[None, :] < (start + length)[:, None])
    jitter = 1 + 0.15 * rng.standard_normal((len(rows), days))
    extra = amp[:, None] * wave * active * np.clip(jitter, 0, None)
    following[rows] += np.rint(extra)
    gained = np.clip(np.diff(extra, axis=1, prepend=0.0), 0, None)
    back = gained * rng.uniform(0.03, 0.12, len(rows))[:, None]
    lag = 5
    leave = np.zeros_like(back)
    leave[:, lag:] = back[:, :-lag] * 0.5
    d_real[rows] += back - leave


def post_effects(rng: np.random.Generator, post_acc: np.ndarray, likes: np.ndarray,
                 patterns: np.ndarray, intensity: np.ndarray
                 ) -> dict[str, np.ndarray]:
    """Bought likes, bought comments and pod activity per post.

    Parameters
    ----------
    post_acc : numpy.ndarray
        Block row of the account of each post.
    likes : numpy.ndarray
        Organic likes of each post.
    patterns, intensity : numpy.ndarray
        From :func:`assign_patterns`.

    Returns
    -------
    dict of numpy.ndarray
        Per post: ``bought_likes``, ``bought_comments``, ``pod_comments``,
        ``pod_likes`` (counts), ``boosted`` (bool: bought likes on this post).
    """
    n = len(patterns)
    m = len(post_acc)
    share_likes = rng.uniform(0.3, 0.9, n)[post_acc]
    share_comments = rng.uniform(0.5, 1.0, n)[post_acc]
    has_bl = patterns[post_acc, COL["bought_likes"]]
    boosted = has_bl & (rng.random(m) < share_likes)
    mult = intensity[post_acc, COL["bought_likes"]] * np.exp(0.3 * rng.standard_normal(m))
    bought_likes = np.where(boosted, rng.poisson(likes * mult), 0)
    has_bc = patterns[post_acc, COL["bought_comments"]]
    commented = has_bc & (rng.random(m) < share_comments)
    bought_comments = np.where(
        commented, rng.poisson(intensity[post_acc, COL["bought_comments"]]), 0)
    has_pod = patterns[post_acc, COL["engagement_pod"]]
    pod_size = np.rint(intensity[post_acc, COL["engagement_pod"]]).astype(np.int64)
    pod_comments = np.where(has_pod, rng.binomial(pod_size, 0.7), 0)
    pod_likes = np.where(has_pod, rng.binomial(pod_size, 0.95), 0)
    return {"bought_likes": bought_likes, "bought_comments": bought_comments,
            "pod_comments": pod_comments, "pod_likes": pod_likes, "boosted": boosted}
