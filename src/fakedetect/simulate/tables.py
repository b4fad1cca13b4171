"""Arrow schemas of the simulated tables and their construction from a block's arrays."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from fakedetect.simulate.design import NICHES

if TYPE_CHECKING:
    import pyarrow as pa

    from fakedetect.simulate.core import Context

#: Tables written, in order.
TABLE_NAMES = ("accounts", "snapshots", "posts", "comments", "audience", "labels")


def schemas() -> dict[str, pa.Schema]:
    """The Arrow schema of each simulated table (contract columns plus documented extras)."""
    import pyarrow as pa

    ident = pa.dictionary(pa.int32(), pa.string())
    ts = pa.timestamp("s", tz="UTC")
    return {
        "accounts": pa.schema([
            ("account_id", ident), ("platform", ident), ("username", pa.string()),
            ("followers", pa.int64()), ("following", pa.int64()), ("posts", pa.int64()),
            ("has_profile_pic", pa.bool_()), ("is_private", pa.bool_()),
            ("is_verified", pa.bool_()), ("bio_length", pa.int32()),
            ("external_url", pa.bool_()), ("created_at", ts), ("niche", ident),
        ]),
        "snapshots": pa.schema([
            ("account_id", ident), ("date", pa.date32()), ("followers", pa.int32()),
            ("following", pa.int32()), ("posts", pa.int32()),
        ]),
        "posts": pa.schema([
            ("account_id", ident), ("post_id", pa.string()), ("posted_at", ts),
            ("likes", pa.int32()), ("comments", pa.int32()), ("views", pa.int32()),
            ("caption_length", pa.int32()), ("hashtags", pa.int32()),
            ("is_sponsored", pa.bool_()),
        ]),
        "comments": pa.schema([
            ("account_id", ident), ("post_id", pa.string()), ("commenter", pa.string()),
            ("text", ident), ("created_at", ts),
        ]),
        "audience": pa.schema([
            ("account_id", ident), ("follower_username", pa.string()),
            ("followers", pa.int32()), ("following", pa.int32()), ("posts", pa.int32()),
            ("has_profile_pic", pa.bool_()), ("is_private", pa.bool_()),
            ("bio_length", pa.int32()),
        ]),
        "labels": pa.schema([
            ("account_id", ident), ("is_fake", pa.int8()), ("fraud_type", pa.string()),
            ("true_fake_share", pa.float32()), ("label_flipped", pa.bool_()),
            ("source", pa.string()), ("world", pa.string()),
        ]),
    }


def block_tables(ctx: Context, raw: dict[str, Any]) -> dict[str, pa.Table]:
    """Assemble the six tables of one block from its arrays.

    The coverage masks in ``raw["cover"]`` (:func:`~fakedetect.simulate.core.coverage`)
    decide which snapshot days, comments and audience rows are kept and which like and
    comment counts are shown.

    Parameters
    ----------
    ctx : Context
    raw : dict
        The arrays :func:`~fakedetect.simulate.core.generate_block` computed.

    Returns
    -------
    dict of pyarrow.Table
    """
    import pyarrow as pa
    import pyarrow.compute as pc


    sch = schemas()
    n, days = raw["n"], raw["days"]
    ids = pa.array(account_ids(ctx, raw["start"], n), type=pa.string())

    def idcol(rows: np.ndarray) -> pa.DictionaryArray:
        return pa.DictionaryArray.from_arrays(pa.array(rows, type=pa.int32()), ids)

    acc = raw["acc"]
    niches = pa.array(list(NICHES), type=pa.string())
    accounts = pa.Table.from_arrays([
        idcol(np.arange(n)),
        pa.DictionaryArray.from_arrays(pa.array(np.zeros(n), type=pa.int32()),
                                       pa.array(["instagram"])),
        pa.array(raw["usernames"], type=pa.string()),
        pa.array(raw["followers"][:, -1]), pa.array(raw["following"][:, -1]),
        pa.array(raw["posts_cum"][:, -1].astype(np.int64)),
        pa.array(acc["has_profile_pic"]), pa.array(acc["is_private"]),
        pa.array(acc["is_verified"]), pa.array(acc["bio_length"].astype(np.int32)),
        pa.array(acc["external_url"]),
        pa.array(acc["created_at"], type=pa.int64()).cast(pa.timestamp("s", tz="UTC")),
        pa.DictionaryArray.from_arrays(pa.array(raw["niche"], type=pa.int32()), niches),
    ], schema=sch["accounts"])

    cover = raw["cover"]
    first_day = int(ctx.window_start // 86_400)
    keep = cover["snapshots"].ravel()
    snap_rows = np.repeat(np.arange(n), days)[keep]
    dates = np.tile(np.arange(first_day, first_day + days, dtype=np.int32), n)[keep]
    snapshots = pa.Table.from_arrays([
        idcol(snap_rows), pa.array(dates, type=pa.int32()).cast(pa.date32()),
        pa.array(raw["followers"].ravel()[keep].astype(np.int32)),
        pa.array(raw["following"].ravel()[keep].astype(np.int32)),
        pa.array(raw["posts_cum"].ravel()[keep].astype(np.int32)),
    ], schema=sch["snapshots"])

    post_id = pc.binary_join_element_wise(
        "p", pc.cast(pa.array(raw["post_number"], type=pa.int64()), pa.string()), "")
    posted = pa.array(raw["posted_at"], type=pa.int64()).cast(pa.timestamp("s", tz="UTC"))
    posts = pa.Table.from_arrays([
        idcol(raw["p_acc"]), post_id, posted,
        pa.array(raw["likes"].astype(np.int32), mask=~cover["likes"][raw["p_acc"]]),
        pa.array(raw["comments"].astype(np.int32), mask=~cover["post_comments"]),
        pa.array(raw["views"].astype(np.int32), mask=~raw["video"]),
        pa.array(raw["caption"].astype(np.int32)),
        pa.array(np.asarray(raw["hashtags"]).astype(np.int32)),
        pa.array(raw["sponsored"]),
    ], schema=sch["posts"])

    cm = raw["cm"]
    c_post = cm["post"]
    c_keep = cover["post_comments"][c_post] & cover["comments"][raw["p_acc"][c_post]]
    c_post = c_post[c_keep]
    comments = pa.Table.from_arrays([
        idcol(raw["p_acc"][c_post]), post_id.take(pa.array(c_post, type=pa.int64())),
        ctx.pool.names.take(pa.array(cm["pool"][c_keep], type=pa.int64())),
        pa.DictionaryArray.from_arrays(pa.array(cm["text"][c_keep], type=pa.int32()),
                                       ctx.texts),
        pa.array(cm["created_at"][c_keep], type=pa.int64()).cast(
            pa.timestamp("s", tz="UTC")),
    ], schema=sch["comments"])

    aud = raw["aud"]
    a_keep = cover["audience"][aud["row"]]
    who = aud["pool"][a_keep]
    pool = ctx.pool

    def profile(col: str) -> pa.Array:
        missing = pool.missing.get(col)
        return pa.array(getattr(pool, col)[who],
                        mask=None if missing is None else missing[who])

    audience = pa.Table.from_arrays([
        idcol(aud["row"][a_keep]), pool.names.take(pa.array(who, type=pa.int64())),
        profile("followers"), profile("following"), profile("posts"),
        profile("has_profile_pic"), profile("is_private"), profile("bio_length"),
    ], schema=sch["audience"])

    labels = pa.Table.from_arrays([
        idcol(np.arange(n)), pa.array(raw["label"].astype(np.int8)),
        pa.array(raw["label_type"].tolist(), type=pa.string()),
        pa.array(np.round(raw["fake_share_end"], 4).astype(np.float32)),
        pa.array(raw["flip"]), pa.array(["sim"] * n, type=pa.string()),
        pa.array(ctx.worlds.ids, type=pa.string()).take(
            pa.array(raw["world"], type=pa.int64())),
    ], schema=sch["labels"])
    return {"accounts": accounts, "snapshots": snapshots, "posts": posts,
            "comments": comments, "audience": audience, "labels": labels}


def account_ids(ctx: Context, start: int, n: int) -> list[str]:
    """Ids of accounts ``start .. start + n - 1`` (zero-padded, so they sort by number)."""
    w = ctx.id_width
    return [f"sim{k:0{w}d}" for k in range(start, start + n)]
