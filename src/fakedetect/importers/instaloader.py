"""Import folders written by the instaloader tool into contract tables.

instaloader stores each downloaded structure as JSON (pretty-printed ``.json`` or
LZMA-compressed ``.json.xz``) in the shape
``{"node": {...}, "instaloader": {"version": ..., "node_type": "Profile" | "Post" | ...}}``.
By default it writes one folder per profile (the target, named after the profile) with

* ``<profile>_<id>.json.xz``: the profile (followers in ``edge_followed_by.count``,
  followees in ``edge_follow.count``, ``biography``, ``external_url``, ``is_private``,
  ``is_verified``, ``profile_pic_url``...); files named ``<date>_UTC_profile.json(.xz)``
  are dated observations of the profile;
* ``<date>_UTC.json.xz`` per post (``shortcode``, ``taken_at_timestamp`` or ``date``,
  ``edge_media_preview_like.count`` or ``edge_liked_by.count``,
  ``edge_media_to_comment.count``, ``video_view_count``, the caption, sponsors) with
  the owner's profile embedded under ``owner``;
* ``<date>_UTC_comments.json`` per post when comments were downloaded.

instaloader overwrites ``<profile>_<id>.json.xz`` on every run, so a history comes from
keeping each run's copy. Every profile file is one observation of the account, dated by
(first match wins) a date in its file name (``2024-05-01_travel.anna_123.json.xz``,
``<date>_UTC_profile.json``), a date in a folder above it (``2024-05-01/travel.anna/``),
or its modification time. Each account gets one snapshot per observed day (the latest
observation of the day); an account observed on fewer days than growth features need
is named in a warning.

This importer is liberal in what it accepts: any folder tree, plain or compressed files,
bare nodes without the wrapper, and older field names. Files of other structures
(stories, hashtags, resume files) are skipped and counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from fakedetect.errors import UserError
from fakedetect.importers._common import Imported, read_json

_DATE_RE = re.compile(
    r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?:[_T ](\d{2})[-:](\d{2})[-:](\d{2}))?(?!\d)")
#: A compact day (``20240501``) standing alone between separators.
_COMPACT_RE = re.compile(r"(?:^|[_.\- ])((?:19|20)\d{2})(\d{2})(\d{2})(?=$|[_.\- ])")
_HASHTAG_RE = re.compile(r"#(\w+)")
#: File name of Instagram's default ("no picture") avatar; a URL ending in it means the
#: account has no profile picture of its own.
_DEFAULT_AVATAR = "44884218_345707102882519_2446069589734326272_n"


@dataclass
class _Profile:
    """One observation of a profile, from a profile file or a post's ``owner``."""

    key: str
    username: str | None
    user_id: str | None
    row: dict[str, Any]
    observed: datetime | None
    mtime: float
    from_file: bool
    path: Path


def _json_files(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.name.lower().endswith((".json", ".json.xz"))
        and not p.name.startswith(".")
    )


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".json.xz", ".json"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def _date_in(name: str) -> datetime | None:
    """The date (and time, when given) in a file or folder name, in UTC."""
    for m in _DATE_RE.finditer(name):
        parts = [int(g) if g is not None else 0 for g in m.groups()]
        try:
            return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]
        except ValueError:
            continue
    for m in _COMPACT_RE.finditer(name):
        try:
            return datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), tzinfo=UTC)
        except ValueError:
            continue
    return None


def _observed(path: Path, root: Path) -> tuple[datetime, str]:
    """When a profile file was observed, and where that came from (name, folder, mtime)."""
    when = _date_in(_stem(path))
    if when is not None:
        return when, "name"
    folder = path.parent
    while True:
        when = _date_in(folder.name)
        if when is not None:
            return when, "folder"
        if folder == root or folder.parent == folder or root not in folder.parents:
            break
        folder = folder.parent
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC), "mtime"


def _get(node: dict[str, Any], *paths: str) -> Any:
    """The first present value among dotted ``paths`` (``edge_follow.count``)."""
    for dotted in paths:
        value: Any = node
        for key in dotted.split("."):
            if not isinstance(value, dict) or key not in value:
                value = None
                break
            value = value[key]
        if value is not None:
            return value
    return None


def _unwrap(data: Any) -> tuple[str | None, Any]:
    """Return (node_type, node) for any JSON instaloader (or Instagram) may have written."""
    if isinstance(data, dict):
        meta = data.get("instaloader")
        if isinstance(meta, dict) and "node" in data:
            return str(meta.get("node_type")), data["node"]
        for outer in ("graphql", "data"):
            inner = data.get(outer)
            if isinstance(inner, dict) and isinstance(inner.get("user"), dict):
                return "Profile", inner["user"]
            if isinstance(inner, dict) and isinstance(inner.get("shortcode_media"), dict):
                return "Post", inner["shortcode_media"]
        if "shortcode" in data or "code" in data:
            return "Post", data
        if "username" in data:
            return "Profile", data
    return None, data


def _profile_row(node: dict[str, Any]) -> dict[str, Any]:
    bio = _get(node, "biography")
    url = _get(node, "external_url")
    pic = _get(node, "profile_pic_url_hd", "profile_pic_url")
    anonymous = _get(node, "has_anonymous_profile_picture")
    if anonymous is not None:
        has_pic: Any = not bool(anonymous)
    elif isinstance(pic, str):
        has_pic = bool(pic) and _DEFAULT_AVATAR not in pic
    else:
        has_pic = None
    return {
        "username": _get(node, "username"),
        "followers": _get(node, "edge_followed_by.count", "follower_count", "followed_by.count"),
        "following": _get(node, "edge_follow.count", "following_count", "follows.count"),
        "posts": _get(node, "edge_owner_to_timeline_media.count", "media_count", "media.count"),
        "has_profile_pic": has_pic,
        "is_private": _get(node, "is_private"),
        "is_verified": _get(node, "is_verified"),
        "bio_length": len(bio) if isinstance(bio, str) else None,
        "external_url": bool(url) if url is not None or "external_url" in node else None,
        "user_id": _get(node, "id", "pk"),
        "full_name": _get(node, "full_name"),
        "is_business_account": _get(node, "is_business_account"),
    }


def _caption(node: dict[str, Any]) -> str | None:
    edges = _get(node, "edge_media_to_caption.edges")
    if isinstance(edges, list):
        if not edges:
            return ""
        return _get(edges[0], "node.text")
    caption = node.get("caption")
    if isinstance(caption, dict):
        return caption.get("text")
    return caption if isinstance(caption, str) else None


def _post_row(node: dict[str, Any], path: Path) -> dict[str, Any]:
    shortcode = _get(node, "shortcode", "code", "id")
    if shortcode is None:
        raise UserError(
            f"{path}: post has no shortcode, code or id",
            hint="this file does not look like an instaloader post JSON",
        )
    taken = _get(node, "taken_at_timestamp", "date", "taken_at")
    try:
        posted = (
            pd.Timestamp(float(taken), unit="s", tz="UTC")
            if taken is not None
            else _date_in(path.name)
        )
    except (TypeError, ValueError) as exc:
        raise UserError(
            f"{path}: post {shortcode} has time {taken!r}; expected Unix seconds",
            hint="this file does not look like an instaloader post JSON",
        ) from exc
    if posted is None:
        raise UserError(
            f"{path}: post {shortcode} has no time (taken_at_timestamp or "
            "date) and the file name holds no date",
            hint="keep instaloader's default file names ({date_utc}_UTC) or its full metadata",
        )
    caption = _caption(node)
    comments = _get(
        node,
        "edge_media_to_comment.count",
        "edge_media_to_parent_comment.count",
        "comment_count",
        "comments.count",
    )
    if node.get("comments_disabled") is True:
        comments = None
    sponsors = _get(node, "edge_media_to_sponsor_user.edges")
    sponsored = _get(node, "is_paid_partnership")
    if sponsors is not None:
        sponsored = bool(sponsors) or bool(sponsored)
    is_video = _get(node, "is_video")
    return {
        "post_id": str(shortcode),
        "posted_at": pd.Timestamp(posted),
        "likes": _get(
            node,
            "edge_media_preview_like.count",
            "edge_liked_by.count",
            "like_count",
            "likes.count",
        ),
        "comments": comments,
        "views": _get(node, "video_view_count", "view_count") if is_video else None,
        "caption_length": len(caption) if caption is not None else None,
        "hashtags": len(_HASHTAG_RE.findall(caption)) if caption is not None else None,
        "is_sponsored": sponsored,
        "is_video": is_video,
        "typename": _get(node, "__typename"),
        "has_location": bool(node["location"]) if "location" in node else None,
    }


def _comment_rows(data: Any, path: Path) -> list[dict[str, Any]]:
    if not isinstance(data, list):
        raise UserError(
            f"{path}: expected a JSON list of comments, found {type(data).__name__}",
            hint="comment files hold the list instaloader writes with --comments",
        )
    rows = []
    stack = list(data)
    while stack:
        item = stack.pop()
        if not isinstance(item, dict):
            continue
        answers = item.get("answers")
        if isinstance(answers, list):
            stack.extend(answers)
        commenter = _get(item, "owner.username")
        if commenter is None:
            continue
        created = item.get("created_at")
        rows.append(
            {
                "commenter": commenter,
                "text": item.get("text"),
                "created_at": (
                    pd.Timestamp(float(created), unit="s", tz="UTC")
                    if isinstance(created, int | float)
                    else pd.NaT
                ),
                "comment_id": None if item.get("id") is None else str(item["id"]),
                "comment_likes": item.get("likes_count"),
            }
        )
    return rows


def import_instaloader(src: str | Path) -> Imported:
    """Read a folder written by instaloader into accounts, posts, snapshots and comments.

    Parameters
    ----------
    src : path-like
        The folder instaloader wrote (one sub-folder per profile, or the profile's folder
        itself), or a single profile or post JSON file.

    Returns
    -------
    Imported
        ``accounts`` (one per profile, from its newest observation); ``posts`` when post
        files exist; ``snapshots`` (one row per account and observed day) when profile
        files exist; ``comments`` when comment files exist. ``warnings`` names each
        account observed on fewer days than growth features need.

    Raises
    ------
    UserError
        If the path is missing, holds no instaloader JSON, a file is not valid JSON, or a
        profile has no follower count anywhere (profile file or posts' owner).

    Notes
    -----
    ``account_id`` is the (lowercase) username of the newest observation; observations
    are grouped by Instagram user id when present, so a renamed profile stays one
    account. Posts are attributed to their ``owner`` (id, then username), else to the
    profile named by their folder. Without a profile file, the owner profile embedded
    in the newest post gives the accounts row (and no snapshot: it is a copy from an
    unknown day). ``has_profile_pic`` is
    false when the picture URL is Instagram's default avatar.
    """
    root = Path(src)
    if not root.exists():
        raise UserError(
            f"{root}: no such file or folder",
            hint="pass the folder instaloader downloaded into (its --dirname-"
            "pattern target), e.g. the folder named after the profile",
        )
    files = [root] if root.is_file() else _json_files(root)
    if not files:
        raise UserError(
            f"{root}: no .json or .json.xz file found (searched sub-folders too)",
            hint="run instaloader with metadata JSON enabled (the default; "
            "do not pass --no-metadata-json)",
        )
    profiles: list[_Profile] = []
    posts: list[dict[str, Any]] = []
    comment_files: list[Path] = []
    skipped: dict[str, int] = {}
    dated_by: dict[str, int] = {}
    for path in files:
        if path.name.lower().endswith("_comments.json"):
            comment_files.append(path)
            continue
        node_type, node = _unwrap(read_json(path))
        if node_type not in {"Profile", "Post"} or not isinstance(node, dict):
            label = node_type or "unrecognised JSON"
            skipped[label] = skipped.get(label, 0) + 1
            continue
        mtime = path.stat().st_mtime
        if node_type == "Profile":
            row = _profile_row(node)
            if row["username"] is None:
                raise UserError(
                    f"{path}: profile has no username",
                    hint="this file does not look like an instaloader profile",
                )
            observed, how = _observed(path, root if root.is_dir() else path.parent)
            dated_by[how] = dated_by.get(how, 0) + 1
            profiles.append(
                _Profile(
                    key="",
                    username=str(row["username"]).lower(),
                    user_id=None if row["user_id"] is None else str(row["user_id"]),
                    row=row,
                    observed=observed,
                    mtime=mtime,
                    from_file=True,
                    path=path,
                )
            )
            continue
        row = _post_row(node, path)
        owner = node.get("owner") if isinstance(node.get("owner"), dict) else {}
        row["_owner_name"] = str(owner["username"]).lower() if owner.get("username") else None
        row["_owner_id"] = None if owner.get("id") is None else str(owner["id"])
        row["_folder"] = path.parent.name.lower()
        row["_file"] = path
        posts.append(row)
        if (
            owner.get("username")
            and _get(owner, "edge_followed_by.count", "follower_count") is not None
        ):
            orow = _profile_row(owner)
            profiles.append(
                _Profile(
                    key="",
                    username=row["_owner_name"],
                    user_id=row["_owner_id"],
                    row=orow,
                    observed=None,
                    mtime=row["posted_at"].timestamp(),
                    from_file=False,
                    path=path,
                )
            )
    if not profiles and not posts:
        kinds = ", ".join(f"{n} {k}" for k, n in skipped.items()) or "none"
        raise UserError(
            f"{root}: no instaloader profile or post JSON found (skipped: {kinds})",
            hint="point at the folder holding <profile>_<id>.json.xz and <date>_UTC.json.xz files",
        )
    accounts, snapshots, keys, warnings = _accounts(profiles, root)
    notes = [
        f"read {len(files):,} JSON file(s): {sum(p.from_file for p in profiles):,} "
        f"profile, {len(posts):,} post, {len(comment_files):,} comment file(s)"
    ]
    if dated_by:
        words = {"name": "its file name", "folder": "a folder name",
                 "mtime": "its modification time"}
        notes.append("profile observations dated by " + ", ".join(
            f"{words[k]} ({n:,})" for k, n in dated_by.items()))
    if skipped:
        notes.append("skipped " + ", ".join(f"{n:,} {k}" for k, n in skipped.items()) + " file(s)")
    tables: dict[str, pd.DataFrame] = {"accounts": accounts}
    if snapshots is not None:
        tables["snapshots"] = snapshots
    post_frame, post_keys, n_orphans, n_dups = _posts(posts, keys)
    if n_orphans:
        notes.append(f"{n_orphans:,} post(s) skipped: no profile found for their owner")
    if n_dups:
        notes.append(f"{n_dups:,} post file(s) repeat a post already read; the last kept")
    if post_frame is not None:
        tables["posts"] = post_frame
    if comment_files:
        comments, n_lost = _comments(comment_files, post_keys)
        if comments is not None:
            tables["comments"] = comments
        if n_lost:
            notes.append(f"{n_lost:,} comment file(s) skipped: their post file is missing")
    if accounts["posts"].isna().any():
        notes.append(
            "posts (the profile's post count) is missing where instaloader did "
            "not store edge_owner_to_timeline_media.count"
        )
    return Imported(tables=tables, notes=notes, warnings=warnings)


def _accounts(
    profiles: list[_Profile], root: Path
) -> tuple[pd.DataFrame, pd.DataFrame | None, dict[str, str], list[str]]:
    """Group observations into accounts.

    Returns accounts, snapshots, the lookup to ``account_id`` and the warnings about
    accounts observed on too few days for growth features.
    """
    from fakedetect.features.registry import MIN_HISTORY_DAYS

    for p in profiles:
        p.key = f"id:{p.user_id}" if p.user_id is not None else f"name:{p.username}"
    # A username seen with an id belongs to that id's account.
    name_to_key: dict[str, str] = {}
    for p in profiles:
        if p.user_id is not None and p.username:
            name_to_key[p.username] = p.key
    for p in profiles:
        if p.user_id is None and p.username in name_to_key:
            p.key = name_to_key[p.username]
    groups: dict[str, list[_Profile]] = {}
    for p in profiles:
        groups.setdefault(p.key, []).append(p)
    rows, snaps = [], []
    lookup: dict[str, str] = {}
    warnings: list[str] = []
    for obs in groups.values():
        dated = sorted(
            (p for p in obs if p.observed is not None and p.from_file), key=lambda p: p.observed
        )  # type: ignore[arg-type,return-value]
        undated = sorted(
            (p for p in obs if p.observed is None), key=lambda p: (p.from_file, p.mtime)
        )
        best = dated[-1] if dated else undated[-1]
        row = dict(best.row)
        if row["followers"] is None:
            raise UserError(
                f"{best.path}: profile {best.username} has no follower count "
                "(edge_followed_by.count)",
                hint="download the profile again with instaloader (its profile "
                "JSON holds the counters)",
            )
        account_id = str(best.username)
        for p in obs:
            lookup[f"id:{p.user_id}"] = account_id
            lookup[f"name:{p.username}"] = account_id
        row["account_id"] = account_id
        rows.append(row)
        days: dict[pd.Timestamp, _Profile] = {}
        for p in dated:
            days[pd.Timestamp(p.observed).floor("D")] = p
        if len(days) < MIN_HISTORY_DAYS:
            seen = ("no profile file (counters from the copy in its posts; no snapshot)"
                    if not dated else "1 profile observation" if len(dated) == 1
                    else f"{len(days)} day(s) of profile observations")
            warnings.append(
                f"{seen} for {account_id}: growth features need at least "
                f"{MIN_HISTORY_DAYS} days; run `fakedetect collect` daily or keep each "
                "download")
        for day, p in days.items():
            if p.row["followers"] is None:
                continue
            snaps.append(
                {
                    "account_id": account_id,
                    "date": day.strftime("%Y-%m-%d"),
                    "followers": p.row["followers"],
                    "following": p.row["following"],
                    "posts": p.row["posts"],
                }
            )
    accounts = pd.DataFrame(rows)
    if accounts["account_id"].duplicated().any():
        dup = accounts.loc[accounts["account_id"].duplicated(), "account_id"].iloc[0]
        raise UserError(
            f"{root}: two different Instagram ids use the username {dup!r}",
            hint="import the two downloads into separate datasets",
        )
    accounts.insert(1, "platform", "instagram")
    for col in ("followers", "following", "posts", "bio_length"):
        accounts[col] = pd.to_numeric(accounts[col], errors="coerce").astype("Int64")
    for col in (
        "has_profile_pic",
        "is_private",
        "is_verified",
        "external_url",
        "is_business_account",
    ):
        accounts[col] = _bools(accounts[col])
    accounts["user_id"] = accounts["user_id"].map(lambda v: None if v is None else str(v))
    order = [
        "account_id",
        "platform",
        "username",
        "followers",
        "following",
        "posts",
        "has_profile_pic",
        "is_private",
        "is_verified",
        "bio_length",
        "external_url",
    ]
    accounts = accounts[order + [c for c in accounts if c not in order]]
    accounts = accounts.sort_values("account_id", kind="stable").reset_index(drop=True)
    snapshots = None
    if snaps:
        snapshots = pd.DataFrame(snaps)
        for col in ("followers", "following", "posts"):
            snapshots[col] = pd.to_numeric(snapshots[col], errors="coerce").astype("Int64")
        snapshots = snapshots.sort_values(["account_id", "date"], kind="stable")
        snapshots = snapshots.reset_index(drop=True)
    return accounts, snapshots, lookup, warnings


def _bools(col: pd.Series) -> pd.Series:
    return col.map(lambda v: None if v is None or pd.isna(v) else int(bool(v))).astype("Int64")


def _posts(
    posts: list[dict[str, Any]], lookup: dict[str, str]
) -> tuple[pd.DataFrame | None, dict[tuple[Path, str], tuple[str, str]], int, int]:
    """Attribute posts to accounts; return posts, (folder, file stem) -> key, counts."""
    rows, keys = [], {}
    orphans = 0
    for row in posts:
        account = (
            (lookup.get(f"id:{row['_owner_id']}") if row["_owner_id"] else None)
            or (lookup.get(f"name:{row['_owner_name']}") if row["_owner_name"] else None)
            or lookup.get(f"name:{row['_folder']}")
        )
        if account is None:
            orphans += 1
            continue
        path: Path = row["_file"]
        keys[(path.parent, _stem(path))] = (account, row["post_id"])
        clean = {k: v for k, v in row.items() if not k.startswith("_")}
        clean["account_id"] = account
        rows.append(clean)
    if not rows:
        return None, keys, orphans, 0
    frame = pd.DataFrame(rows)
    dup = frame.duplicated(["account_id", "post_id"], keep="last")
    frame = frame[~dup.to_numpy()]
    frame["posted_at"] = pd.to_datetime(frame["posted_at"], utc=True)
    for col in ("likes", "comments", "views", "caption_length", "hashtags"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("Int64")
    for col in ("is_sponsored", "is_video", "has_location"):
        frame[col] = _bools(frame[col])
    order = [
        "account_id",
        "post_id",
        "posted_at",
        "likes",
        "comments",
        "views",
        "caption_length",
        "hashtags",
        "is_sponsored",
    ]
    frame = frame[order + [c for c in frame if c not in order]]
    frame = frame.sort_values(["account_id", "posted_at"], kind="stable").reset_index(drop=True)
    return frame, keys, orphans, int(dup.sum())


def _comments(
    files: list[Path], keys: dict[tuple[Path, str], tuple[str, str]]
) -> tuple[pd.DataFrame | None, int]:
    rows = []
    lost = 0
    for path in files:
        stem = path.name[: -len("_comments.json")]
        key = keys.get((path.parent, stem))
        if key is None:
            lost += 1
            continue
        for row in _comment_rows(read_json(path), path):
            row["account_id"], row["post_id"] = key
            rows.append(row)
    if not rows:
        return None, lost
    frame = pd.DataFrame(rows)
    frame["comment_likes"] = pd.to_numeric(frame["comment_likes"], errors="coerce").astype("Int64")
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    order = ["account_id", "post_id", "commenter", "text", "created_at"]
    frame = frame[order + [c for c in frame if c not in order]]
    frame = frame.sort_values(["account_id", "post_id", "created_at"], kind="stable")
    return frame.reset_index(drop=True), lost
