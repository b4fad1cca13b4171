"""Comment features: generic text, repeated commenters (pods), bursts, overlap.

Comments are matched to their post by ``(account_id, post_id)``; features that need the
post's time (bursts, overlap between consecutive posts) are NaN without a posts table.
An account needs :data:`~fakedetect.features.registry.MIN_COMMENTS` comments, else its
comment features are NaN (``coverage__comments`` is false).
"""

from __future__ import annotations

import numpy as np

from fakedetect.features.blocks import Block, TableBlock, arrow_strings
from fakedetect.features.registry import MIN_COMMENTS
from fakedetect.features.segments import Segments

#: Stock phrases that say nothing about the post, after normalisation (lower case,
#: every run of characters other than letters and digits turned into one space).
GENERIC_PHRASES = frozenset({
    "nice", "nice pic", "nice photo", "nice shot", "nice post", "nice one", "nice feed",
    "great", "great pic", "great photo", "great shot", "great post", "great content",
    "cool", "cool pic", "wow", "woow", "wooow", "amazing", "amazing pic", "amazing shot",
    "awesome", "awesome pic", "awesome shot", "beautiful", "so beautiful", "gorgeous",
    "stunning", "lovely", "perfect", "love it", "love this", "i love it", "loved it",
    "so cute", "cute", "fire", "lit", "dope", "super", "superb", "fantastic", "wonderful",
    "incredible", "nice one bro", "keep it up", "keep going", "well done", "good job",
    "great job", "good", "very nice", "so nice", "too good", "omg", "yes", "yess",
    "follow me", "follow back", "follow for follow", "f4f", "l4l", "like for like",
    "check my page", "check out my page", "check my profile", "dm me", "dm us",
    "dm for collab", "send pic", "promote it on", "nice content",
    "brilliant", "so good", "goals", "killing it", "so inspiring", "inspiring",
    "obsessed", "obsessed with this", "this is everything", "absolutely love this",
    "stunning as always", "such a vibe", "vibes", "mood", "love love love", "awesome post",
    "beautiful pic", "beautiful shot", "beautiful photo", "lovely pic",
    "amazing photo", "amazing post", "amazing content", "love your feed", "love your content",
    "nice profile", "great profile", "cool post", "you are amazing", "queen", "king",
})
#: A comment written within this many minutes of its post counts towards a burst.
BURST_MINUTES = 15
#: A commenter on at least this many of an account's posts is a regular.
REGULAR_POSTS = 3

NAMES = (
    "comments__share_generic",
    "comments__share_emoji_only",
    "comments__repeat_commenter_share__min_posts_3",
    "comments__burst_share__minutes_15",
    "comments__commenter_overlap__previous_post",
)


def text_flags(text: object) -> tuple[np.ndarray, np.ndarray]:
    """Classify comment texts as generic and as emoji-only.

    Parameters
    ----------
    text : array-like of str
        Comment texts (missing or blank texts are neither: NaN).

    Returns
    -------
    generic, emoji_only : numpy.ndarray
        float64 1.0/0.0, NaN where the text is missing or blank. Emoji-only means no
        letter or digit at all; generic means emoji-only or one of
        :data:`GENERIC_PHRASES` after normalisation.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    encoded = arrow_strings(text).dictionary_encode()
    # Comments repeat (stock phrases above all): classify each distinct text once.
    arr = encoded.dictionary
    raw = pc.utf8_trim_whitespace(arr)
    norm = pc.utf8_trim_whitespace(pc.replace_substring_regex(
        pc.utf8_lower(arr), pattern=r"[^\p{L}\p{N}]+", replacement=" "))
    present = pc.fill_null(pc.greater(pc.utf8_length(raw), 0), False)
    empty = pc.fill_null(pc.equal(pc.utf8_length(norm), 0), False)
    phrase = pc.fill_null(pc.is_in(norm, value_set=pa.array(sorted(GENERIC_PHRASES),
                                                             type=norm.type)), False)
    present_np = present.to_numpy(zero_copy_only=False)
    emoji = empty.to_numpy(zero_copy_only=False)
    generic = emoji | phrase.to_numpy(zero_copy_only=False)
    gen_d = np.append(np.where(present_np, generic * 1.0, np.nan), np.nan)
    emo_d = np.append(np.where(present_np, emoji * 1.0, np.nan), np.nan)
    idx = encoded.indices.fill_null(len(arr)).to_numpy(zero_copy_only=False)
    return gen_d[idx], emo_d[idx]


def _dict_codes(*arrays: object) -> list[np.ndarray]:
    """Shared integer codes for several string arrays (equal strings, equal codes)."""
    import pyarrow as pa

    parts = [arrow_strings(a).cast(pa.large_string()) for a in arrays]
    enc = pa.chunked_array(parts).combine_chunks().dictionary_encode()
    idx = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    out, start = [], 0
    for p in parts:
        out.append(idx[start:start + len(p)])
        start += len(p)
    return out


def compute(block: Block) -> dict[str, np.ndarray]:
    """Comment features of one block of accounts.

    Returns
    -------
    dict
        Feature name -> per-account values, plus ``coverage__comments``.
    """
    m = block.m
    out = {name: np.full(m, np.nan) for name in NAMES}
    com = block.table("comments")
    if com is None:
        out["coverage__comments"] = np.zeros(m, dtype=bool)
        return out
    seg = com.seg
    enough = seg.counts >= MIN_COMMENTS
    out["coverage__comments"] = enough
    if com.hi == com.lo:
        return out
    if com.has("text"):
        generic, emoji = text_flags(com.array("text"))
        out[NAMES[0]] = seg.mean(generic)
        out[NAMES[1]] = seg.mean(emoji)
    posts = block.table("posts")
    commenter_arr = com.array("commenter")
    pid_arr = com.array("post_id")
    if commenter_arr is not None and pid_arr is not None:
        if posts is not None and posts.has("post_id"):
            cpid, ppid = _dict_codes(pid_arr, posts.array("post_id"))
        else:
            cpid, ppid = _dict_codes(pid_arr)[0], None
        (commenter,) = _dict_codes(commenter_arr)
        pair = _pairs(seg, commenter)
        out[NAMES[2]] = _repeat_share(seg, commenter, pair, cpid)
        if posts is not None and ppid is not None:
            post_row = _match_posts(seg, cpid, posts, ppid)
            out[NAMES[3]] = _burst_share(seg, com, posts, post_row)
            out[NAMES[4]] = _overlap(seg, commenter, pair, post_row, posts)
    for name in NAMES:
        out[name] = np.where(enough, out[name], np.nan)
    return out


def _pairs(seg: Segments, commenter: np.ndarray) -> np.ndarray:
    """Code of every (account, commenter) pair."""
    span = int(commenter.max(initial=0)) + 2
    return _factorize(seg.codes * span + (commenter + 1))


def _unique(keys: np.ndarray) -> np.ndarray:
    """Sorted distinct values (a SIMD sort beats hashing for int64 keys)."""
    s = np.sort(keys)
    keep = np.ones(s.size, dtype=bool)
    keep[1:] = s[1:] != s[:-1]
    return s[keep]


def _factorize(keys: np.ndarray) -> np.ndarray:
    import pandas as pd

    return pd.factorize(keys)[0].astype(np.int64)


def _repeat_share(seg: Segments, commenter: np.ndarray, pair: np.ndarray, post: np.ndarray
                  ) -> np.ndarray:
    """Share of comments by commenters present on :data:`REGULAR_POSTS` or more of the
    account's posts."""
    ok = (commenter >= 0) & (post >= 0)
    npairs = int(pair.max(initial=-1)) + 1
    span = int(post.max(initial=0)) + 1
    triple_keys = _unique((pair * span + post)[ok])
    distinct = np.bincount(triple_keys // span, minlength=npairs)
    regular = (distinct[pair] >= REGULAR_POSTS) * 1.0
    return seg.mean(np.where(ok, regular, np.nan))


def _match_posts(seg: Segments, cpid: np.ndarray, posts: TableBlock, ppid: np.ndarray
                 ) -> np.ndarray:
    """Block-local posts row of every comment (-1 when its post is unknown)."""
    span = int(max(cpid.max(initial=0), ppid.max(initial=0))) + 2
    pkey = posts.seg.codes * span + (ppid + 1)
    order = np.argsort(pkey, kind="stable")
    sk = pkey[order]
    ckey = seg.codes * span + (cpid + 1)
    pos = np.searchsorted(sk, ckey)
    found = (pos < len(sk)) & (cpid >= 0)
    found[found] &= sk[pos[found]] == ckey[found]
    out = np.full(len(ckey), -1, dtype=np.int64)
    out[found] = order[pos[found]]
    return out


def _burst_share(seg: Segments, com: TableBlock, posts: TableBlock, post_row: np.ndarray
                 ) -> np.ndarray:
    """Share of comments (with a known delay) written within :data:`BURST_MINUTES` of
    their post."""
    if not com.has("created_at"):
        return np.full(seg.n, np.nan)
    created = com.seconds("created_at")
    posted = posts.seconds("posted_at")
    ok = post_row >= 0
    delay = np.full(len(created), np.nan)
    delay[ok] = created[ok] - posted[post_row[ok]]
    with np.errstate(invalid="ignore"):
        burst = np.where(np.isfinite(delay),
                         ((delay >= 0) & (delay <= BURST_MINUTES * 60.0)) * 1.0, np.nan)
    return seg.mean(burst)


def _overlap(seg: Segments, commenter: np.ndarray, pair: np.ndarray, post_row: np.ndarray,
             posts: TableBlock) -> np.ndarray:
    """Pooled share of a post's distinct commenters who also commented on the account's
    previous commented post (posts in time order)."""
    ok = (commenter >= 0) & (post_row >= 0)
    rows_span = int(posts.seg.size) + 1
    # Unique (pair, post row) triples; the posts block is in (account, time) order, so a
    # post's row number orders posts in time.
    triples = _unique(pair[ok] * rows_span + post_row[ok])
    t_pair = triples // rows_span
    t_row = triples % rows_span
    commented = _unique(t_row)
    cseg = Segments.from_codes(posts.seg.codes[commented], seg.n)
    rank = cseg.position()
    t_rank = rank[np.searchsorted(commented, t_row)]
    rank_span = int(rank.max(initial=0)) + 2
    keys = t_pair * rank_span + t_rank
    sorted_keys = np.sort(keys)
    has_prev = t_rank >= 1
    want = keys - 1
    pos = np.searchsorted(sorted_keys, want)
    hit = (pos < len(sorted_keys))
    hit[hit] &= sorted_keys[pos[hit]] == want[hit]
    hit &= has_prev
    acc = posts.seg.codes[t_row]
    num = np.bincount(acc, weights=hit * 1.0, minlength=seg.n)
    den = np.bincount(acc, weights=has_prev * 1.0, minlength=seg.n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)
