"""Import the Purba, Asirvatham & Murugesan (2020) 4-class CSV into contract tables.

One row per account: profile counters plus engagement aggregates over the account's
recent posts, and a class (``r`` real, ``a`` active fake, ``i`` inactive fake, ``s``
spammer). Checked against the published file (43,307 rows):

* counts of 1,000 and more are rounded to hundreds (Instagram shows "1.1k");
* ``cl`` (average caption length) is ``-1`` on 162 empty profiles: a "no posts" marker,
  imported as missing;
* ``erl`` and ``erc`` are percentages of followers (median 7.85 and 0.32) that exceed 100
  for accounts with few followers; ``cz``, ``ni``, ``lt`` and ``cs`` are shares in [0, 1];
  ``pi`` is in hours (median 146) and is 0 where fewer than two posts were seen;
* 1,082 rows (all class ``i``) are exact duplicates; they are dropped, keeping the first.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from fakedetect.errors import UserError
from fakedetect.importers._common import Imported, stable_ids

#: The published file name, looked for when ``src`` is a folder.
FILE_NAME = "user_fake_authentic_4class.csv"

#: Source column -> accounts column, in the source's order.
COLUMNS = {
    "pos": "posts",
    "flw": "followers",
    "flg": "following",
    "bl": "bio_length",
    "pic": "has_profile_pic",
    "lin": "external_url",
    "cl": "avg_caption_length",
    "cz": "share_empty_captions",
    "ni": "share_non_image_posts",
    "erl": "like_rate_pct",
    "erc": "comment_rate_pct",
    "lt": "share_location_tagged",
    "hc": "avg_hashtags",
    "pr": "promo_keywords",
    "fo": "follower_hunt_keywords",
    "cs": "post_similarity",
    "pi": "post_interval_hours",
}
_INTS = ("posts", "followers", "following", "bio_length", "has_profile_pic", "external_url")

#: Class letter -> (is_fake, fraud_type).
CLASSES = {
    "r": (0, "none"),
    "a": (1, "active_fake"),
    "i": (1, "inactive_fake"),
    "s": (1, "spammer"),
}


def _find(src: Path) -> Path:
    if not src.exists():
        raise UserError(
            f"{src}: no such file or folder",
            hint=f"pass the CSV ({FILE_NAME}) or the folder holding it",
        )
    if src.is_file():
        return src
    named = src / FILE_NAME
    if named.is_file():
        return named
    csvs = sorted(src.glob("*.csv"))
    if len(csvs) == 1:
        return csvs[0]
    raise UserError(
        f"{src}: no {FILE_NAME} in this folder"
        + (f" (found {', '.join(p.name for p in csvs)})" if csvs else ""),
        hint="pass the CSV file itself",
    )


def import_purba(src: str | Path) -> Imported:
    """Read the Purba et al. 4-class CSV into accounts and labels.

    Parameters
    ----------
    src : path-like
        The CSV file, or the folder holding ``user_fake_authentic_4class.csv``.

    Returns
    -------
    Imported
        ``accounts`` (profile counters and the engagement aggregates as the contract's
        extra account columns) and ``labels`` (``r`` -> genuine ``none``; ``a``, ``i``,
        ``s`` -> fake ``active_fake``, ``inactive_fake``, ``spammer``), with exact
        duplicate rows dropped and counted.

    Raises
    ------
    UserError
        If the file is missing, lacks a column, or holds a non-numeric value or an
        unknown class (naming the line).

    Notes
    -----
    Account ids are ``purba-NNNNN``, the row's position among the data rows of the file
    (1 = the first row under the header), so they stay the same on every import.
    """
    path = _find(Path(src))
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(
            f"{path}: not UTF-8 text ({exc.reason})", hint="re-save the file as UTF-8"
        ) from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise UserError(
            f"{path}: not a readable CSV file ({exc})", hint="use the published file as downloaded"
        ) from exc
    raw.columns = [c.strip() for c in raw.columns]
    missing = [c for c in [*COLUMNS, "class"] if c not in raw]
    if missing:
        raise UserError(
            f"{path}: missing column(s) {', '.join(missing)}; found {', '.join(raw.columns[:20])}",
            hint="this importer reads the Purba et al. 4-class CSV; for other "
            "CSVs use `fakedetect import csv` with --map",
        )
    if raw.empty:
        raise UserError(f"{path}: the file has a header but no rows", hint="use the published file")
    lines = np.arange(len(raw)) + 2
    values = {}
    for src_col in COLUMNS:
        text = raw[src_col].str.strip()
        num = pd.to_numeric(text, errors="coerce")
        bad = np.flatnonzero(num.isna().to_numpy())
        if bad.size:
            raise UserError(
                f"{path} line {lines[bad[0]]}, column {src_col!r}: "
                f"{raw[src_col].iloc[bad[0]]!r} is not a number; "
                f"{bad.size} cell(s) like this",
                hint="every feature cell must hold a number",
            )
        values[src_col] = num.to_numpy(dtype="float64")
    cls = raw["class"].str.strip().str.lower()
    unknown = np.flatnonzero(~cls.isin(list(CLASSES)).to_numpy())
    if unknown.size:
        raise UserError(
            f"{path} line {lines[unknown[0]]}, column 'class': "
            f"{raw['class'].iloc[unknown[0]]!r} is not a known class; "
            f"{unknown.size} row(s) like this",
            hint="classes are r (real), a (active fake), i (inactive fake), s (spammer)",
        )
    numeric = pd.DataFrame(values)
    numeric["class"] = cls.to_numpy()
    dup = numeric.duplicated(keep="first").to_numpy()
    conflicting = int(numeric[~dup].drop(columns="class").duplicated(keep=False).sum())
    keep = np.flatnonzero(~dup)
    kept = numeric.iloc[keep].reset_index(drop=True)
    ids = stable_ids("purba", keep + 1, width=5)

    accounts = pd.DataFrame({"account_id": ids, "platform": "instagram"})
    for src_col, dst in COLUMNS.items():
        col = kept[src_col]
        if dst in _INTS:
            accounts[dst] = col.astype("Int64").to_numpy()
        else:
            accounts[dst] = col.to_numpy()
    # -1 marks "no posts seen", not a length.
    accounts["avg_caption_length"] = accounts["avg_caption_length"].where(
        accounts["avg_caption_length"] >= 0
    )
    fake = kept["class"].map({k: v[0] for k, v in CLASSES.items()}).to_numpy(dtype=np.int64)
    kind = kept["class"].map({k: v[1] for k, v in CLASSES.items()}).to_numpy(dtype=object)
    labels = pd.DataFrame(
        {
            "account_id": ids,
            "is_fake": fake,
            "fraud_type": kind,
            "purba_class": kept["class"].to_numpy(dtype=object),
            "source": "purba",
        }
    )
    before = cls.value_counts()
    notes = [
        "classes before dropping duplicates: "
        + ", ".join(f"{c} {int(before.get(c, 0)):,}" for c in CLASSES),
        f"avg_caption_length missing on {int(accounts['avg_caption_length'].isna().sum()):,}"
        " account(s) where the source has -1 (no posts)",
    ]
    if conflicting:
        notes.append(
            f"{conflicting:,} row(s) share identical features but differ in class; they are kept"
        )
    return Imported(
        tables={"accounts": accounts, "labels": labels},
        duplicates_dropped=int(dup.sum()),
        notes=notes,
    )
