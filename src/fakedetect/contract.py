"""The data contract: every table, column, type, unit, range and key, in one place.

A dataset is a folder of tables keyed by ``account_id``. Each table is one file named
after it (``accounts.csv``, ``posts.parquet``, ``snapshots.jsonl``, ...). Only
``accounts`` is required; a missing optional table yields missing features, never a
crash. ``data/README.md`` is generated from this module (``python -m fakedetect.contract``)
and a test checks the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["id", "string", "int", "float", "bool", "timestamp", "date", "category"]

#: Earliest timestamp accepted anywhere (before this, a value is a unit or parsing error).
EARLIEST = "2006-01-01"
#: File formats a table may be stored in, by file suffix.
FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl",
           ".ndjson": "jsonl"}
#: What each logical type accepts, in plain words; messages say "expected <this>".
KINDS: dict[str, str] = {
    "id": "text; a number is read as its digits (42 or 42.0 become \"42\"); surrounding "
          "spaces are removed",
    "string": "text",
    "int": "a whole number such as 42 (1e3 reads as 1000), at most 2^53 in size",
    "float": "a finite number such as 0.25",
    "bool": "1/0, true/false, t/f, yes/no or y/n (any case), or a native boolean",
    "timestamp": "ISO 8601 text such as 2024-05-01T12:30:00Z (no offset means UTC), "
                 "Unix seconds, or a native timestamp",
    "date": "a day such as 2024-05-01 (a time of day is dropped), or a timestamp as above",
    "category": "text from a small set of values",
}

#: Every rule a dataset is checked against: name (as printed) and what breaks it.
RULES: dict[str, str] = {
    "missing required table": "the folder has no `accounts` file",
    "unknown file format": "a file named after a table has a suffix other than "
                           + ", ".join(f"`{s}`" for s in FORMATS),
    "duplicate table file": "a table is stored in two files (e.g. `posts.csv` and "
                            "`posts.parquet`)",
    "empty file": "a file of 0 bytes, of blank lines only, or with a header and no rows",
    "unreadable file": "a file that cannot be opened or parsed: a folder instead of a "
                       "file, no read permission, not UTF-8, truncated Parquet, a "
                       "malformed JSON line, a CSV line with more or fewer fields than "
                       "the header",
    "duplicate column": "the header names a column twice",
    "missing required column": "a required column is absent",
    "wrong type": "a value does not read as the column's type (a nested JSON object or "
                  "list included)",
    "missing value": "no value where one is required: an empty cell, `null` or `NaN` (and, "
                     "in number, flag and time columns, the text `NA`, `NaN`, `null`, "
                     "`None`)",
    "negative count": "a count below 0",
    "below minimum": "a value below the column's range",
    "above maximum": "a value above the column's range",
    "not 0/1": "a label other than 0 or 1",
    "integer too large": "a whole number beyond 2^53, which cannot be stored exactly",
    "infinite value": "`inf` in a number column",
    "timestamp before 2006": f"a time before {EARLIEST} (usually a unit or parsing error)",
    "timestamp in the future": "a time later than one day after now",
    "duplicate key": "two rows with the same key (the first is kept as the original)",
    "unsorted snapshot days": "a snapshot day earlier than the one before it for the "
                              "same account",
    "unknown account": "an `account_id` that the `accounts` table does not list",
    "unknown post": "a comment on a `post_id` that the `posts` table does not list for "
                    "that account",
    "no valid account left": "in lenient mode, every account had a problem",
}

#: Values ``fraud_type`` may combine (joined with ``+``), besides ``none``.
FRAUD_TYPES = (
    "bought_followers",
    "drip_followers",
    "bought_likes",
    "bought_comments",
    "engagement_pod",
    "follow_unfollow",
    "bot_audience",
    "active_fake",
    "inactive_fake",
    "spammer",
    "fake",
)


@dataclass(frozen=True)
class Column:
    """One column of a table.

    Attributes
    ----------
    name : str
        Column name as it appears in the file.
    kind : str
        Logical type: ``id`` (text key), ``string``, ``int``, ``float``, ``bool``,
        ``timestamp`` (UTC), ``date`` (a calendar day) or ``category``.
    description : str
        What the column holds, in plain words.
    required : bool
        Whether the column must be present in the file.
    nullable : bool
        Whether a value may be missing.
    unit : str
        Unit of the value (``count``, ``characters``, ``UTC``...), empty if none.
    minimum, maximum : float or None
        Allowed range (inclusive), ``None`` for unbounded.
    """

    name: str
    kind: Kind
    description: str
    required: bool = False
    nullable: bool = True
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class Table:
    """One table of a dataset.

    Attributes
    ----------
    name : str
        Table name, also the file stem.
    description : str
        What one row is.
    columns : tuple of Column
        The contract's columns; other columns are kept as they are.
    key : tuple of str
        Columns that identify a row; duplicates are an error.
    required : bool
        Whether a dataset must have this table.
    """

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    required: bool = False

    def column(self, name: str) -> Column:
        """Return the column called ``name``."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        """Names of the contract's columns, in order."""
        return tuple(c.name for c in self.columns)


def _id(description: str = "Account identifier, unique within a dataset.") -> Column:
    return Column("account_id", "id", description, required=True, nullable=False)


def _count(name: str, description: str, *, required: bool = False,
           nullable: bool = True) -> Column:
    return Column(name, "int", description, required=required, nullable=nullable,
                  unit="count", minimum=0)


def _flag(name: str, description: str) -> Column:
    return Column(name, "bool", description, unit="0/1")


_ACCOUNTS = Table(
    name="accounts",
    description="one row per account (the influencer, or any account to classify)",
    key=("account_id",),
    required=True,
    columns=(
        _id(),
        Column("platform", "category", "Social network, e.g. instagram.", unit=""),
        Column("username", "string", "Handle without the @; used for name-shape features."),
        _count("followers", "Followers at the time of the profile snapshot.",
               required=True, nullable=False),
        _count("following", "Accounts this account follows."),
        _count("posts", "Posts published, as shown on the profile."),
        _flag("has_profile_pic", "Whether the account has a profile picture."),
        _flag("is_private", "Whether the account is private."),
        _flag("is_verified", "Whether the account is verified."),
        Column("bio_length", "int", "Length of the biography.", unit="characters",
               minimum=0),
        _flag("external_url", "Whether the profile links to an external site."),
        Column("username_length", "int", "Length of the username; derived from username "
               "when absent.", unit="characters", minimum=0),
        Column("username_digits", "int", "Digits in the username; derived from username "
               "when absent.", unit="count", minimum=0),
        Column("created_at", "timestamp", "When the account was created.", unit="UTC"),
        Column("niche", "category", "Content niche (travel, fashion, beauty, ...)."),
        # Engagement aggregates as published by some datasets (kept when imported).
        Column("avg_caption_length", "float", "Mean caption length of recent posts.",
               unit="characters", minimum=0),
        Column("share_empty_captions", "float", "Share of posts with an (almost) empty "
               "caption.", unit="fraction", minimum=0, maximum=1),
        Column("share_non_image_posts", "float", "Share of posts that are not images.",
               unit="fraction", minimum=0, maximum=1),
        Column("like_rate_pct", "float", "Mean likes per post over followers.",
               unit="percent", minimum=0),
        Column("comment_rate_pct", "float", "Mean comments per post over followers.",
               unit="percent", minimum=0),
        Column("share_location_tagged", "float", "Share of posts with a location tag.",
               unit="fraction", minimum=0, maximum=1),
        Column("avg_hashtags", "float", "Mean hashtags per post.", unit="count", minimum=0),
        Column("promo_keywords", "float", "Use of promotional keywords in captions.",
               unit="score", minimum=0),
        Column("follower_hunt_keywords", "float", "Use of follower-hunting keywords "
               "(follow4follow, ...).", unit="score", minimum=0),
        Column("post_similarity", "float", "Mean cosine similarity between posts.",
               unit="fraction", minimum=0, maximum=1),
        Column("post_interval_hours", "float", "Mean interval between posts.",
               unit="hours", minimum=0),
    ),
)

_SNAPSHOTS = Table(
    name="snapshots",
    description="one row per account and day: the profile counters that day",
    key=("account_id", "date"),
    columns=(
        _id(),
        Column("date", "date", "Calendar day of the snapshot; days ascending per account.",
               required=True, nullable=False, unit="UTC day"),
        _count("followers", "Followers that day.", required=True, nullable=False),
        _count("following", "Accounts followed that day."),
        _count("posts", "Posts published so far."),
    ),
)

_POSTS = Table(
    name="posts",
    description="one row per post",
    key=("account_id", "post_id"),
    columns=(
        _id(),
        Column("post_id", "id", "Post identifier, unique per account.", required=True,
               nullable=False),
        Column("posted_at", "timestamp", "When the post was published.", required=True,
               nullable=False, unit="UTC"),
        _count("likes", "Likes on the post (missing when hidden).", required=True),
        _count("comments", "Comments on the post (missing when disabled)."),
        _count("views", "Video views, for videos."),
        Column("caption_length", "int", "Caption length.", unit="characters", minimum=0),
        _count("hashtags", "Hashtags in the caption."),
        _flag("is_sponsored", "Whether the post is a paid partnership."),
    ),
)

_COMMENTS = Table(
    name="comments",
    description="one row per comment (a sample per post is enough)",
    key=(),
    columns=(
        _id("The influencer whose post was commented."),
        Column("post_id", "id", "The commented post.", required=True, nullable=False),
        Column("commenter", "string", "Username of the commenter.", required=True,
               nullable=False),
        Column("text", "string", "Comment text."),
        Column("created_at", "timestamp", "When the comment was written.", unit="UTC"),
    ),
)

_AUDIENCE = Table(
    name="audience",
    description="one row per sampled follower of an influencer",
    key=("account_id", "follower_username"),
    columns=(
        _id("The influencer whose follower this is."),
        Column("follower_username", "string", "Username of the sampled follower.",
               required=True, nullable=False),
        _count("followers", "The follower's own followers.", required=True, nullable=False),
        _count("following", "Accounts the follower follows."),
        _count("posts", "The follower's posts."),
        _flag("has_profile_pic", "Whether the follower has a profile picture."),
        _flag("is_private", "Whether the follower's account is private."),
        Column("bio_length", "int", "Length of the follower's biography.",
               unit="characters", minimum=0),
    ),
)

_LABELS = Table(
    name="labels",
    description="one row per labelled account",
    key=("account_id",),
    columns=(
        _id(),
        Column("is_fake", "int", "1 if the account is fake or inflated, 0 if genuine.",
               required=True, nullable=False, unit="0/1", minimum=0, maximum=1),
        Column("fraud_type", "string", "`none`, or the fraud patterns joined with `+` "
               "(e.g. `bought_followers+bought_likes`)."),
        Column("source", "string", "The population the account was drawn from (e.g. "
               "`instafake`, `purba`, `sim`): training can leave each source out in "
               "turn to measure how the model does on a population it never saw."),
        Column("world", "string", "The simulated world the account belongs to "
               "(`fakedetect simulate --worlds`): training can hold whole worlds out."),
    ),
)

#: Every table of the contract, by name, in the order they are read.
TABLES: dict[str, Table] = {
    t.name: t for t in (_ACCOUNTS, _SNAPSHOTS, _POSTS, _COMMENTS, _AUDIENCE, _LABELS)
}
#: Tables whose ``account_id`` must name an account of the ``accounts`` table.
REFERENCING = ("snapshots", "posts", "comments", "audience", "labels")


def markdown() -> str:
    """Render the contract as the Markdown section of ``data/README.md``.

    Returns
    -------
    str
        The accepted values of each type, the checks, then one subsection per table
        with a row per column.
    """
    lines: list[str] = ["### Types", "", "| type | accepted values |", "|---|---|"]
    lines += [f"| {kind} | {text} |" for kind, text in KINDS.items()]
    lines += ["", "### Checks", "", "| problem | what breaks the rule |", "|---|---|"]
    lines += [f"| {rule} | {text} |" for rule, text in RULES.items()]
    lines.append("")
    for table in TABLES.values():
        need = "required" if table.required else "optional"
        key = ", ".join(f"`{k}`" for k in table.key) or "none"
        lines.append(f"### `{table.name}` ({need})")
        lines.append("")
        lines.append(f"One row per {table.description.removeprefix('one row per ')}. "
                     f"Key: {key}.")
        lines.append("")
        lines.append("| column | type | unit | required | missing allowed | range | meaning |")
        lines.append("|---|---|---|---|---|---|---|")
        for c in table.columns:
            if c.minimum is None and c.maximum is None:
                rng = ""
            else:
                lo = "" if c.minimum is None else f"{c.minimum:g}"
                hi = "" if c.maximum is None else f"{c.maximum:g}"
                rng = f"{lo} – {hi}".strip()
            lines.append(
                f"| `{c.name}` | {c.kind} | {c.unit} | {'yes' if c.required else 'no'} | "
                f"{'yes' if c.nullable else 'no'} | {rng} | {c.description} |"
            )
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - documentation generator
    print(markdown())
