"""Import the InstaFake dataset (Akyon & Kalfaoglu, 2019) into contract tables.

The set has two kinds of files, none with account ids or usernames:

* profile files, ``fakeAccountData.json`` and ``realAccountData.json``: one record per
  account with its profile counters and ``isFake``;
* per-post files, ``nonautomatedAccountData.json`` (and ``automatedAccountData.json``
  when present): profile counters plus parallel arrays, one entry per post (likes,
  comments, upload time, hashtags, location, comments disabled), and
  ``automatedBehaviour``.

Accounts get stable ids from the file and the record's position in it
(``instafake-fake-000001`` is the first record of ``fakeAccountData.json``).
"""

from __future__ import annotations

from itertools import chain
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from fakedetect.errors import UserError
from fakedetect.importers._common import Imported, flag, read_json, stable_ids

Part = Literal["profiles", "posts", "all"]
PARTS = ("profiles", "posts", "all")

#: File name -> (kind, id prefix, label field).
FILES = {
    "fakeAccountData.json": ("profiles", "instafake-fake", "isFake"),
    "realAccountData.json": ("profiles", "instafake-real", "isFake"),
    "nonautomatedAccountData.json": ("posts", "instafake-nonautomated", "automatedBehaviour"),
    "automatedAccountData.json": ("posts", "instafake-automated", "automatedBehaviour"),
}

#: Source field -> accounts column, for both kinds of file.
_PROFILE_FIELDS = {
    "userFollowerCount": "followers",
    "userFollowingCount": "following",
    "userMediaCount": "posts",
    "userBiographyLength": "bio_length",
    "usernameLength": "username_length",
    "usernameDigitCount": "username_digits",
}
_PROFILE_FLAGS = {"userHasProfilPic": "has_profile_pic", "userIsPrivate": "is_private"}
_POST_ACCOUNT_FLAGS = {
    "userHasExternalUrl": "external_url",
    "userHasHighlighReels": "has_highlight_reels",
}
_POST_ACCOUNT_COUNTS = {"userTagsCount": "user_tags_count"}
#: Per-post arrays -> posts column (None: used but not stored as is).
_POST_ARRAYS = {
    "mediaUploadTimes": "posted_at",
    "mediaLikeNumbers": "likes",
    "mediaCommentNumbers": "comments",
    "mediaHashtagNumbers": "hashtags",
    "mediaHasLocationInfo": "has_location",
    "mediaCommentsAreDisabled": "comments_disabled",
}
#: ``fraud_type`` of a fake account, per file kind. The contract has no ``automated``
#: type yet, so automated (bot-driven) accounts are labelled with the generic ``fake``.
_FRAUD_TYPE = {"profiles": "fake", "posts": "fake"}


def _records(path: Path) -> pd.DataFrame:
    data = read_json(path)
    if not isinstance(data, list):
        raise UserError(
            f"{path}: expected a JSON list of account records, found {type(data).__name__}",
            hint="use the files of the InstaFake dataset as published",
        )
    bad = next((i for i, r in enumerate(data) if not isinstance(r, dict)), None)
    if bad is not None:
        raise UserError(
            f"{path} record {bad + 1}: expected a JSON object, found {type(data[bad]).__name__}",
            hint="each list item must be one account's object of field: value",
        )
    if not data:
        raise UserError(
            f"{path}: the list holds no account records",
            hint="remove the file or use the published one",
        )
    return pd.DataFrame.from_records(data)


def _require(frame: pd.DataFrame, path: Path, fields: list[str]) -> None:
    missing = [f for f in fields if f not in frame]
    if missing:
        raise UserError(
            f"{path}: records lack the field(s) {', '.join(missing)}",
            hint="this does not look like an InstaFake file; check the file name and content",
        )
    for f in fields:
        if f.startswith("media"):
            continue
        num = pd.to_numeric(frame[f], errors="coerce")
        bad = np.flatnonzero(pd.isna(num).to_numpy())
        if bad.size:
            raise UserError(
                f"{path} record {bad[0] + 1}: field {f!r} is missing or not "
                f"a number ({frame[f].iloc[bad[0]]!r}); {bad.size} record(s) "
                "like this",
                hint="every record needs a numeric value for this field",
            )


def _labels(
    frame: pd.DataFrame, ids: np.ndarray, path: Path, field: str, kind: str
) -> pd.DataFrame:
    value = pd.to_numeric(frame[field], errors="coerce")
    bad = np.flatnonzero(~value.isin([0, 1]).to_numpy())
    if bad.size:
        raise UserError(
            f"{path} record {bad[0] + 1}: {field} is "
            f"{frame[field].iloc[bad[0]]!r}; expected 0 or 1",
            hint="labels must be 0 (genuine) or 1",
        )
    is_fake = value.astype("int64").to_numpy()
    fraud = np.where(is_fake == 1, _FRAUD_TYPE[kind], "none")
    return pd.DataFrame({"account_id": ids, "is_fake": is_fake, "fraud_type": fraud,
                         "source": "instafake"})


def _profile_accounts(frame: pd.DataFrame, ids: np.ndarray, path: Path) -> pd.DataFrame:
    out = pd.DataFrame({"account_id": ids, "platform": "instagram"})
    for src, dst in _PROFILE_FIELDS.items():
        out[dst] = pd.to_numeric(frame[src]).astype("Int64").to_numpy()
    for src, dst in _PROFILE_FLAGS.items():
        if src in frame:
            out[dst] = flag(frame[src]).to_numpy()
    out["source"] = f"instafake/{path.name}"
    return out


def _post_accounts(frame: pd.DataFrame, ids: np.ndarray, path: Path) -> pd.DataFrame:
    out = _profile_accounts(frame, ids, path)
    for src, dst in _POST_ACCOUNT_FLAGS.items():
        if src in frame:
            out[dst] = flag(frame[src]).to_numpy()
    for src, dst in _POST_ACCOUNT_COUNTS.items():
        if src in frame:
            out[dst] = pd.to_numeric(frame[src], errors="coerce").astype("Int64").to_numpy()
    return out


def _posts(frame: pd.DataFrame, ids: np.ndarray, path: Path) -> pd.DataFrame:
    arrays = {}
    lengths = None
    for src in _POST_ARRAYS:
        col = frame[src]
        not_list = np.flatnonzero(~col.map(lambda v: isinstance(v, list)).to_numpy())
        if not_list.size:
            raise UserError(
                f"{path} record {not_list[0] + 1}: field {src!r} is not a list of per-post values",
                hint="per-post fields hold one JSON list per account",
            )
        n = col.map(len).to_numpy(dtype=np.int64)
        if lengths is None:
            lengths = n
        elif not np.array_equal(n, lengths):
            rec = int(np.flatnonzero(n != lengths)[0])
            raise UserError(
                f"{path} record {rec + 1}: {src!r} has {n[rec]} entries but "
                f"mediaUploadTimes has {lengths[rec]}",
                hint="every per-post list of an account must have one entry per post",
            )
        flat = np.fromiter(chain.from_iterable(col), dtype=float, count=int(n.sum()))
        arrays[src] = flat
    assert lengths is not None
    owner = np.repeat(ids, lengths)
    # Position within the account's arrays (0 = first entry, the newest post).
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    position = np.arange(int(lengths.sum()), dtype=np.int64) - starts
    disabled = arrays["mediaCommentsAreDisabled"] == 1
    comments = pd.array(arrays["mediaCommentNumbers"], dtype="Float64")
    comments[disabled] = pd.NA
    posts = pd.DataFrame(
        {
            "account_id": owner,
            "post_id": stable_ids("p", position + 1, width=4),
            "posted_at": pd.to_datetime(arrays["mediaUploadTimes"], unit="s", utc=True),
            "likes": pd.array(arrays["mediaLikeNumbers"], dtype="Float64").astype("Int64"),
            "comments": comments.astype("Int64"),
            "hashtags": pd.array(arrays["mediaHashtagNumbers"], dtype="Float64").astype("Int64"),
            "has_location": flag(arrays["mediaHasLocationInfo"]).to_numpy(),
            "comments_disabled": flag(arrays["mediaCommentsAreDisabled"]).to_numpy(),
        }
    )
    return posts


def import_instafake(src: str | Path, *, part: Part = "all") -> Imported:
    """Read the InstaFake JSON files into accounts, posts and labels.

    Parameters
    ----------
    src : path-like
        The folder holding the InstaFake files, or one of the files.
    part : {"all", "profiles", "posts"}
        Which files to import: the profile files (``fakeAccountData.json``,
        ``realAccountData.json``), the per-post files (``nonautomatedAccountData.json``,
        ``automatedAccountData.json``) or every one present.

    Returns
    -------
    Imported
        ``accounts`` and ``labels``; ``posts`` when a per-post file is imported.

    Raises
    ------
    UserError
        If no InstaFake file is found, a file is not valid JSON, or a record lacks a field.

    Notes
    -----
    Profile counters map to ``followers``, ``following``, ``posts``, ``bio_length``,
    ``username_length``, ``username_digits``, ``has_profile_pic`` and ``is_private``;
    per-post files add ``external_url`` and the extra columns ``has_highlight_reels`` and
    ``user_tags_count``. Each account keeps a ``source`` column naming its file. Fake
    profiles and automated accounts are labelled ``is_fake = 1`` with ``fraud_type``
    ``fake``; the others ``is_fake = 0``, ``none``. Comments of posts whose comments are
    disabled are missing, not zero.
    """
    if part not in PARTS:
        raise UserError(f"unknown --part {part!r}", hint=f"use one of: {', '.join(PARTS)}")
    root = Path(src)
    if not root.exists():
        raise UserError(
            f"{root}: no such file or folder",
            hint="pass the folder holding fakeAccountData.json, "
            "realAccountData.json and nonautomatedAccountData.json",
        )
    if root.is_file():
        if root.name not in FILES:
            raise UserError(
                f"{root}: not an InstaFake file name", hint=f"expected one of: {', '.join(FILES)}"
            )
        paths = [root]
    else:
        paths = [root / name for name in FILES if (root / name).is_file()]
    kinds = ("profiles", "posts") if part == "all" else (part,)
    paths = [p for p in paths if FILES[p.name][0] in kinds]
    if not paths:
        wanted = [n for n, (k, _, _) in FILES.items() if k in kinds]
        raise UserError(
            f"{root}: no InstaFake file found for --part {part}",
            hint=f"expected one of: {', '.join(wanted)}",
        )
    accounts, labels, posts = [], [], []
    notes = []
    for path in paths:
        kind, prefix, label_field = FILES[path.name]
        frame = _records(path)
        fields = [*_PROFILE_FIELDS, label_field]
        if kind == "posts":
            fields += list(_POST_ARRAYS)
        _require(frame, path, fields)
        ids = stable_ids(prefix, np.arange(1, len(frame) + 1))
        labels.append(_labels(frame, ids, path, label_field, kind))
        if kind == "profiles":
            accounts.append(_profile_accounts(frame, ids, path))
        else:
            accounts.append(_post_accounts(frame, ids, path))
            posts.append(_posts(frame, ids, path))
            if path.name == "automatedAccountData.json":
                notes.append(
                    "automated accounts are labelled fraud_type 'fake' (the "
                    "contract has no 'automated' type)"
                )
    tables = {"accounts": pd.concat(accounts, ignore_index=True)}
    if posts:
        tables["posts"] = pd.concat(posts, ignore_index=True)
    tables["labels"] = pd.concat(labels, ignore_index=True)
    kinds_read = {FILES[p.name][0] for p in paths}
    if kinds_read == {"profiles", "posts"}:
        notes.append(
            "profile and per-post files come from different collections with "
            "different fields (e.g. has_profile_pic only in profile files); "
            "train an account model on --part profiles to avoid learning the "
            "source instead of the label"
        )
    notes.insert(0, "files: " + ", ".join(p.name for p in paths))
    return Imported(tables=tables, notes=notes)
