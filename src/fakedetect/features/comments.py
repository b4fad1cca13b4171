"""Comment features: generic text, repeated commenters (pods), bursts, overlap.

Comments are matched to their post by ``(account_id, post_id)``; features that need the
post's time (bursts, overlap between consecutive posts) are NaN without a posts table.
An account needs :data:`~fakedetect.features.registry.MIN_COMMENTS` comments, else its
comment features are NaN (``coverage__comments`` is false).
"""

from __future__ import annotations

import numpy as np

from fakedetect.features.blocks import Block, TableBlock
from fakedetect.features.outputs import Outputs, group_names
from fakedetect.features.registry import MIN_COMMENTS
from fakedetect.features.segments import Segments
from fakedetect.features.strings import arrow_string_parts

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

#: The comment features, in registry order.
NAMES = group_names("comments")


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
    generic, emoji, idx = text_flag_codes(text)
    return generic[idx], emoji[idx]


def text_flag_codes(text: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`text_flags` of every distinct text, and which one each text is.

    Comments repeat (stock phrases above all), so each distinct text is classified once.

    Returns
    -------
    generic, emoji_only : numpy.ndarray
        Flags of the distinct texts, plus a last NaN entry for missing texts.
    index : numpy.ndarray
        Entry of every text (``generic[index]`` are the per-text flags).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    parts = arrow_string_parts(text)
    if isinstance(parts, pa.ChunkedArray):
        parts = parts.combine_chunks()
    encoded = parts.dictionary_encode()
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
    return gen_d, emo_d, idx


def _dict_codes(*arrays: object) -> list[np.ndarray]:
    """Shared integer codes for several string arrays (equal strings, equal codes; -1
    for missing)."""
    import pyarrow as pa

    parts = [arrow_string_parts(a).cast(pa.large_string()) for a in arrays]
    chunks = [c for p in parts for c in (p.chunks if isinstance(p, pa.ChunkedArray) else [p])]
    enc = pa.chunked_array(chunks, type=pa.large_string()).combine_chunks().dictionary_encode()
    dtype = np.int32 if len(enc.dictionary) < np.iinfo(np.int32).max else np.int64
    idx = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(dtype)
    out, start = [], 0
    for p in parts:
        out.append(idx[start:start + len(p)])
        start += len(p)
    return out


def compute(block: Block) -> dict[str, np.ndarray]:
    """Comment features of one block of accounts.

    Texts and post ids are coded once for the whole table
    (:meth:`~fakedetect.features.blocks.TableView.shared`); a block reads its rows of
    the codes.

    Returns
    -------
    dict
        Feature name -> per-account values, plus ``coverage__comments``.
    """
    m = block.m
    out = Outputs("comments", m)
    com = block.table("comments")
    if com is None:
        out["coverage__comments"] = np.zeros(m, dtype=bool)
        return out
    seg = com.seg
    enough = seg.counts >= MIN_COMMENTS
    out["coverage__comments"] = enough
    if com.hi == com.lo:
        return out
    table = com.view.frame
    if com.has("text"):
        gen_d, emo_d, text_idx = com.view.shared(
            "text_flags", lambda: text_flag_codes(table["text"].array))
        idx = com.rows(text_idx)
        out["comments__share_generic"] = seg.mean(gen_d[idx])
        out["comments__share_emoji_only"] = seg.mean(emo_d[idx])
    posts = block.table("posts")
    if com.has("commenter") and com.has("post_id"):
        with_posts = posts is not None and posts.has("post_id")
        if with_posts:
            post_table = posts.view.frame  # type: ignore[union-attr]
            cpid_all, ppid_all = com.view.shared(
                ("post_id", id(post_table)),
                lambda: _dict_codes(table["post_id"].array, post_table["post_id"].array))
            ppid = posts.rows(ppid_all)  # type: ignore[union-attr]
        else:
            (cpid_all,) = com.view.shared("post_id",
                                          lambda: _dict_codes(table["post_id"].array))
        cpid = com.rows(cpid_all)
        commenter = _block_codes(com, "commenter")
        pair = _pairs(seg, commenter)
        post_row = _match_posts(seg, cpid, posts, ppid) if with_posts else None
        n_rows = posts.seg.size if with_posts else 0  # type: ignore[union-attr]
        pair_post, span = _pair_posts(commenter, pair, cpid, post_row, n_rows)
        out["comments__repeat_commenter_share__min_posts_3"] = _repeat_share(
            seg, commenter, pair, cpid, pair_post, span)
        if with_posts:
            assert posts is not None and post_row is not None
            out["comments__burst_share__minutes_15"] = _burst_share(seg, com, posts, post_row)
            out["comments__commenter_overlap__previous_post"] = _overlap(seg, pair_post, span,
                                                                         posts)
    out.keep_where(enough)
    return out


def _block_codes(tb: TableBlock, col: str) -> np.ndarray:
    """Codes of a string column for the block's rows (equal strings, equal codes)."""
    if tb.view.order is None:
        # A slice of the table: coding only its rows keeps the hash table small, faster
        # than coding the whole column once.
        return _dict_codes(tb.array(col))[0]
    table = tb.view.frame
    return tb.rows(tb.view.shared(col, lambda: _dict_codes(table[col].array)[0]))


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
    """Codes of integer keys, numbered by first appearance."""
    import pandas as pd

    return np.asarray(pd.factorize(keys)[0], dtype=np.int64)


def _pair_posts(commenter: np.ndarray, pair: np.ndarray, post: np.ndarray,
                post_row: np.ndarray | None, n_rows: int) -> tuple[np.ndarray, int]:
    """Distinct (pair, post) of the comments with a commenter and a post id, as sorted
    keys ``pair * span + p``.

    ``p`` is the post's block row when the post is in the posts table (rows are in
    account then time order), else ``n_rows`` + its post id code: one number per post
    of the account either way.
    """
    ok = (commenter >= 0) & (post >= 0)
    p = post.astype(np.int64) + n_rows
    if post_row is not None:
        p = np.where(post_row >= 0, post_row, p)
    span = int(p.max(initial=0)) + 1
    return _unique((pair * span + p)[ok]), span


def _repeat_share(seg: Segments, commenter: np.ndarray, pair: np.ndarray, post: np.ndarray,
                  pair_post: np.ndarray, span: int) -> np.ndarray:
    """Share of comments by commenters present on :data:`REGULAR_POSTS` or more of the
    account's posts."""
    ok = (commenter >= 0) & (post >= 0)
    npairs = int(pair.max(initial=-1)) + 1
    distinct = np.bincount(pair_post // span, minlength=npairs)
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


def _overlap(seg: Segments, pair_post: np.ndarray, span: int, posts: TableBlock
             ) -> np.ndarray:
    """Pooled share of a post's distinct commenters who also commented on the account's
    previous commented post (posts in time order)."""
    n_rows = posts.seg.size
    # (pair, post row) of the comments on posts of the posts table; sorted by pair then
    # row, i.e. by pair then time.
    t_pair = pair_post // span
    t_row = pair_post - t_pair * span
    on_post = t_row < n_rows
    t_pair, t_row = t_pair[on_post], t_row[on_post]
    commented = np.zeros(n_rows, dtype=bool)
    commented[t_row] = True
    rows = np.flatnonzero(commented)
    rank = np.zeros(n_rows, dtype=np.int64)
    rank[rows] = Segments.from_codes(posts.seg.codes[rows], seg.n).position()
    t_rank = rank[t_row]
    has_prev = t_rank >= 1
    hit = np.zeros(len(t_rank), dtype=bool)
    hit[1:] = (t_pair[1:] == t_pair[:-1]) & (t_rank[1:] == t_rank[:-1] + 1)
    acc = posts.seg.codes[t_row]
    num = np.bincount(acc, weights=hit * 1.0, minlength=seg.n)
    den = np.bincount(acc, weights=has_prev * 1.0, minlength=seg.n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)
