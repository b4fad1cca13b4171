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
#: Vocabulary segment of each kind of comment text.
_KIND_SEGMENTS = ("specific", "generic", "emoji", "pod", "tag")
#: Per source (rows, :data:`SOURCES`): the text kind below the split, above it, and
#: above the second (organic) split; indices into :data:`_KIND_SEGMENTS`. Giveaway
#: entries tag friends (80%), bought comments are generic (70%), pods write pod
#: phrases (75%) or specific ones; the rest are emoji.
_TEXT_KINDS = np.array([[0, 1, 2], [4, 2, 2], [1, 2, 2], [3, 0, 0]])
_TEXT_SPLIT = np.array([0.0, 0.8, 0.7, 0.75])


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

    sel = [np.flatnonzero(source == k) for k in range(len(SOURCES))]
    who = np.empty(m, dtype=np.int64)
    med = np.empty(m)
    a = acc[sel[0]]
    j = np.floor(people["size"][a] * rng.random(len(a)) ** 2.5).astype(np.int64)
    who[sel[0]] = strided(people["start"][a], people["step"][a], j, pool.n_real)
    med[sel[0]] = people["delay_organic"][a]
    who[sel[1]] = rng.integers(0, pool.n_real, len(sel[1]))
    med[sel[1]] = GIVEAWAY_DELAY
    a = acc[sel[2]]
    jb = rng.integers(0, 1 << 30, len(a)) % people["bot_size"][a]
    who[sel[2]] = pool.n_real + strided(people["bot_start"][a], people["bot_step"][a], jb,
                                        pool.n_fake)
    med[sel[2]] = people["delay_bought"][a]
    a = acc[sel[3]]
    jp = rng.integers(0, 1 << 30, len(a)) % np.maximum(people["pod_size"][a], 1)
    who[sel[3]] = strided(people["pod_start"][a], people["pod_step"][a], jp, pool.n_real)
    med[sel[3]] = people["delay_pod"][a]

    # Kind of text: organic comments are specific, generic or emoji at the account's
    # shares; the other sources mix two kinds at fixed shares (_TEXT_KINDS).
    r = rng.random(m)
    p_spec = people["p_specific"][acc]
    organic = source == 0
    t1 = np.where(organic, p_spec, _TEXT_SPLIT[source])
    t2 = np.where(organic, p_spec + (1 - p_spec) * people["p_generic"][acc], 2.0)
    kind = _TEXT_KINDS[source, (r >= t1).astype(np.int64) + (r >= t2)]
    text = np.empty(m, dtype=np.int64)
    for k, seg in enumerate(_KIND_SEGMENTS):
        idx = np.flatnonzero(kind == k)
        if seg == "specific":
            lo_n = np.asarray([segments[f"specific:{name}"][0] for name in d.NICHES])
            len_n = np.asarray([segments[f"specific:{name}"][1]
                                - segments[f"specific:{name}"][0] for name in d.NICHES])
            nc = niche[acc[idx]]
            text[idx] = lo_n[nc] + rng.integers(0, 1 << 30, len(idx)) % len_n[nc]
        else:
            text[idx] = rng.integers(*segments[seg], len(idx))
    sd = np.asarray([DELAY_SD[s] for s in SOURCES])
    delay = med * np.exp(sd[source] * rng.standard_normal(m))
    delay = np.clip(delay, 20, 14 * 86_400).astype(np.int64)
    created = np.minimum(posted_at[post] + delay, end_ts)
    return {"post": post, "pool": who, "text": text, "created_at": created,
            "source": source}
