"""The comment sample of each post: who commented, what they wrote, and when."""

from __future__ import annotations

import numpy as np

from fakedetect.simulate import design as d
from fakedetect.simulate.audience import FollowerPool, strided

#: Comment sources, in the order of the ``counts`` columns of :func:`sample_comments`.
SOURCES = ("organic", "giveaway", "bought", "pod")
#: Log-sd of the delay between a post and a comment around the account's median delay
#: (``people["delay_<source>"]``; giveaway entries have a fixed 8-hour median).
DELAY_SD = {"organic": 1.2, "giveaway": 1.0, "bought": 0.6, "pod": 0.7}
GIVEAWAY_DELAY = 8 * 3600


def sample_comments(rng: np.random.Generator, counts: np.ndarray, post_acc: np.ndarray,
                    posted_at: np.ndarray, niche: np.ndarray, people: dict[str, np.ndarray],
                    pool: FollowerPool, segments: dict[str, tuple[int, int]],
                    end_ts: np.int64) -> dict[str, np.ndarray]:
    """Sample up to ``COMMENT_SAMPLE_CAP`` comments per post from its comment sources.

    Parameters
    ----------
    rng : numpy.random.Generator
    counts : numpy.ndarray
        ``(posts, 4)`` comments per source (:data:`SOURCES`) on each post.
    post_acc : numpy.ndarray
        Block row of each post's account.
    posted_at : numpy.ndarray
        Unix seconds of each post.
    niche : numpy.ndarray
        Niche code per account (for niche-specific comments).
    people : dict
        Per account: ``start``, ``step``, ``size`` (genuine community in the real pool),
        ``bot_start``, ``bot_step``, ``bot_size`` (bought commenters in the fake pool),
        ``pod_start``, ``pod_step``, ``pod_size`` (pod members in the real pool),
        ``delay_organic``, ``delay_bought``, ``delay_pod`` (median seconds from post to
        comment), ``p_specific`` (share of specific organic comments) and ``p_generic``
        (share of generic ones among the rest; emoji-only otherwise).
    pool : FollowerPool
    segments : dict
        Comment vocabulary segments (:func:`~fakedetect.simulate.names.comment_vocabulary`).
    end_ts : numpy.int64
        Last second of the window; no comment is later.

    Returns
    -------
    dict of numpy.ndarray
        Per sampled comment: ``post`` (index into the posts), ``pool`` (commenter's
        global pool index), ``text`` (vocabulary index), ``created_at`` (unix seconds),
        ``source`` (index into :data:`SOURCES`).
    """
    total = counts.sum(axis=1)
    k = np.minimum(total, d.COMMENT_SAMPLE_CAP)
    post = np.repeat(np.arange(len(total)), k)
    acc = post_acc[post]
    m = len(post)
    cum = np.cumsum(counts, axis=1)[post]
    u = rng.random(m) * total[post]
    source = np.minimum((u[:, None] >= cum).sum(axis=1), len(SOURCES) - 1)

    who = np.empty(m, dtype=np.int64)
    j = np.floor(people["size"][acc] * rng.random(m) ** 2.5).astype(np.int64)
    organic = strided(people["start"][acc], people["step"][acc], j, pool.n_real)
    entrant = rng.integers(0, pool.n_real, m)
    jb = rng.integers(0, 1 << 30, m) % people["bot_size"][acc]
    bot = pool.n_real + strided(people["bot_start"][acc], people["bot_step"][acc], jb,
                                pool.n_fake)
    jp = rng.integers(0, 1 << 30, m) % np.maximum(people["pod_size"][acc], 1)
    pod = strided(people["pod_start"][acc], people["pod_step"][acc], jp, pool.n_real)
    who[:] = np.choose(source, [organic, entrant, bot, pod])

    def pick(seg: str) -> np.ndarray:
        lo, hi = segments[seg]
        return rng.integers(lo, hi, m)

    lo_n = np.asarray([segments[f"specific:{name}"][0] for name in d.NICHES])
    len_n = np.asarray([segments[f"specific:{name}"][1] - segments[f"specific:{name}"][0]
                        for name in d.NICHES])
    nc = niche[acc]
    specific = lo_n[nc] + rng.integers(0, 1 << 30, m) % len_n[nc]
    generic, emoji, podtext, tag = pick("generic"), pick("emoji"), pick("pod"), pick("tag")
    r = rng.random(m)
    p_spec = people["p_specific"][acc]
    p_gen = p_spec + (1 - p_spec) * people["p_generic"][acc]
    text = np.choose(source, [
        np.where(r < p_spec, specific, np.where(r < p_gen, generic, emoji)),
        np.where(r < 0.8, tag, emoji),
        np.where(r < 0.7, generic, emoji),
        np.where(r < 0.75, podtext, specific),
    ])
    med = np.choose(source, [people["delay_organic"][acc], np.full(m, GIVEAWAY_DELAY),
                             people["delay_bought"][acc], people["delay_pod"][acc]])
    sd = np.asarray([DELAY_SD[s] for s in SOURCES])
    delay = med * np.exp(sd[source] * rng.standard_normal(m))
    delay = np.clip(delay, 20, 14 * 86_400).astype(np.int64)
    created = np.minimum(posted_at[post] + delay, end_ts)
    return {"post": post, "pool": who, "text": text, "created_at": created,
            "source": source}
