"""Collect: watch accounts on Instagram and build their histories in a dataset folder.

``fakedetect collect WATCHLIST --out DATASET`` reads a watch list (one username a line, or
a CSV with a ``username`` column), fetches each account through instaloader's Python API
(the optional extra ``pip install 'fakedetect[collect]'``) and appends to DATASET:

* ``accounts``: one row per account, its newest profile counters;
* ``snapshots``: one row per account and UTC day (the history growth features need);
* ``posts``: the recent posts with their likes and comment counts (``--posts N``);
* ``comments``: a sample of comments per post (``--comments N``, needs a login);
* ``audience``: N sampled followers with their public counters (``--audience N``, needs
  a login).

The dataset is append-only and idempotent: a second run on the same day replaces that
day's rows instead of adding new ones. Each account is written as soon as it is
fetched, table by table in an order that keeps every reference valid (accounts, posts,
comments, snapshots, audience), each file atomically, so a crash leaves a valid dataset
and the next run resumes: accounts without a snapshot today go first.

The platform is asked politely: instaloader's own rate control, an optional cap of
accounts per run, and exponential back-off on "429 Too Many Requests" and "please wait"
answers. Accounts the platform refuses (private, gone, login required, rate limited)
are listed with the reason and make the run end with :data:`SKIPPED_EXIT`.

fakedetect never sees or stores a password: ``--login USER`` loads the session file
that ``instaloader --login USER`` wrote.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from fakedetect.errors import UserError

if TYPE_CHECKING:
    from instaloader import Instaloader, Post, Profile

__all__ = [
    "SKIPPED_EXIT",
    "AccountHistory",
    "AccountOutcome",
    "Client",
    "CollectOptions",
    "CollectSummary",
    "InstaloaderClient",
    "collect",
    "collect_status",
    "make_client",
    "read_watchlist",
    "status_lines",
]

#: Exit code of a run in which the platform refused some accounts (the others were written).
SKIPPED_EXIT = 4
#: Order in which an account's tables are written (each reference stays valid between).
WRITE_ORDER = ("accounts", "posts", "comments", "snapshots", "audience")
#: File name of Instagram's default avatar; a picture URL holding it means "no picture".
DEFAULT_AVATAR = "44884218_345707102882519_2446069589734326272_n"
_USERNAME = re.compile(r"^[a-z0-9._]{1,30}$")
_URL = re.compile(r"^(?:https?://)?(?:www\.)?instagram\.com/([^/?#]+)/?", re.IGNORECASE)
_MARKER = ".import.json"
_INSTALL = "pip install 'fakedetect[collect]'  (instaloader 4.10 or later)"


# ----------------------------------------------------------------------- watch list


def read_watchlist(path: str | Path) -> list[str]:
    """Read the usernames to watch.

    Parameters
    ----------
    path : path-like
        A text file with one username a line (``@name`` and profile URLs are accepted;
        blank lines and lines starting with ``#`` are ignored), or a ``.csv`` file with a
        ``username`` column (else its first column).

    Returns
    -------
    list of str
        Lowercase usernames in file order, each once.

    Raises
    ------
    UserError
        If the file is missing or empty, or a line holds something that is not an
        Instagram username (naming the line).
    """
    src = Path(path)
    if not src.is_file():
        raise UserError(f"{src}: no such file",
                        hint="pass a text file with one username a line")
    try:
        text = src.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(f"{src}: not UTF-8 text ({exc.reason})",
                        hint="re-save the watch list as UTF-8") from exc
    cells: list[tuple[int, str]] = []
    if src.suffix.lower() == ".csv":
        rows = list(csv.reader(text.splitlines()))
        if not rows:
            raise UserError(f"{src}: the file is empty", hint="add a username column")
        header = [h.strip().lower() for h in rows[0]]
        col = header.index("username") if "username" in header else 0
        cells = [(i + 2, r[col] if col < len(r) else "") for i, r in enumerate(rows[1:])]
    else:
        cells = [(i + 1, line) for i, line in enumerate(text.splitlines())]
    names: list[str] = []
    for line, raw in cells:
        cell = raw.strip()
        if not cell or cell.startswith("#"):
            continue
        m = _URL.match(cell)
        name = (m.group(1) if m else cell).lstrip("@").strip().lower()
        if not _USERNAME.match(name):
            raise UserError(
                f"{src} line {line}: {raw.strip()!r} is not an Instagram username",
                hint="usernames have 1 to 30 letters, digits, dots or underscores; "
                     "one a line (a profile URL or @name works too)")
        if name not in names:
            names.append(name)
    if not names:
        raise UserError(f"{src}: no username in the file",
                        hint="write one username a line")
    return names


# --------------------------------------------------------------------------- client


class Client(Protocol):
    """What the collector asks the platform; :class:`InstaloaderClient` is the real one."""

    @property
    def logged_in(self) -> bool:
        """Whether requests run under a logged-in session."""

    def profile(self, username: str, user_id: str | None) -> Profile:
        """The profile called ``username`` (or, if renamed, the one with ``user_id``)."""

    def posts(self, profile: Profile, limit: int) -> Iterable[Post]:
        """The newest ``limit`` posts of ``profile``."""

    def comments(self, post: Post, limit: int) -> Iterable[Any]:
        """Up to ``limit`` comments of ``post`` (instaloader ``PostComment``)."""

    def followers(self, profile: Profile, limit: int) -> Iterable[Profile]:
        """Up to ``limit`` followers of ``profile``."""


class InstaloaderClient:
    """The platform, through instaloader's public Python API.

    Parameters
    ----------
    loader : instaloader.Instaloader
        A configured loader; its context carries the session and the rate controller.
    """

    def __init__(self, loader: Instaloader) -> None:
        self.loader = loader

    @property
    def logged_in(self) -> bool:
        """Whether the loader holds a logged-in session."""
        return bool(self.loader.context.is_logged_in)

    def profile(self, username: str, user_id: str | None) -> Profile:
        """Resolve ``username``; follow a rename through the known ``user_id``."""
        from instaloader import Profile, ProfileNotExistsException

        try:
            return Profile.from_username(self.loader.context, username)
        except ProfileNotExistsException:
            if user_id is None:
                raise
            return Profile.from_id(self.loader.context, int(user_id))

    def posts(self, profile: Profile, limit: int) -> Iterable[Post]:
        """The newest ``limit`` posts (``Profile.get_posts``)."""
        return itertools.islice(profile.get_posts(), limit)

    def comments(self, post: Post, limit: int) -> Iterable[Any]:
        """Up to ``limit`` comments (``Post.get_comments``)."""
        return itertools.islice(post.get_comments(), limit)

    def followers(self, profile: Profile, limit: int) -> Iterable[Profile]:
        """The first ``limit`` followers Instagram lists (``Profile.get_followers``;
        mostly the most recent ones, so not a uniform sample)."""
        return itertools.islice(profile.get_followers(), limit)


def make_client(login: str | None = None, session_file: str | Path | None = None,
                *, max_connection_attempts: int = 3) -> InstaloaderClient:
    """Build the real client: an ``instaloader.Instaloader`` that downloads nothing itself.

    Parameters
    ----------
    login : str, optional
        Instagram user whose saved session to load (created beforehand with
        ``instaloader --login USER``; fakedetect never asks for or stores a password).
    session_file : path-like, optional
        The session file, when not in instaloader's default place.
    max_connection_attempts : int
        instaloader's own retries of a failed request.

    Returns
    -------
    InstaloaderClient

    Raises
    ------
    UserError
        If instaloader is not installed or the session file is missing.
    """
    try:
        import instaloader
    except ModuleNotFoundError as exc:
        raise UserError("fakedetect collect needs instaloader, which is not installed",
                        hint=_INSTALL) from exc
    loader = instaloader.Instaloader(
        quiet=True, download_pictures=False, download_videos=False,
        download_video_thumbnails=False, download_geotags=False, download_comments=False,
        save_metadata=False, compress_json=False, iphone_support=False,
        max_connection_attempts=max_connection_attempts)
    if login:
        try:
            loader.load_session_from_file(login, None if session_file is None
                                          else str(session_file))
        except FileNotFoundError as exc:
            where = session_file or "instaloader's default place"
            raise UserError(
                f"no saved instaloader session for {login} ({where})",
                hint=f"create it once with `instaloader --login {login}` (instaloader asks "
                     "for the password and keeps only a session cookie); fakedetect "
                     "never stores a password") from exc
    return InstaloaderClient(loader)


# -------------------------------------------------------------------------- options


@dataclass(frozen=True)
class CollectOptions:
    """What to fetch per account and how politely.

    Attributes
    ----------
    posts : int
        Newest posts to fetch per account (their likes and comment counts).
    comments : int
        Comments to sample per post (0: none; needs a login).
    audience : int
        Followers to sample per account (0: none; needs a login).
    max_accounts : int or None
        At most this many accounts per run (the rest wait for the next run).
    retries : int
        Back-off rounds after a rate-limit answer before the run stops.
    backoff : float
        Seconds to wait after the first rate-limit answer; doubled each round.
    """

    posts: int = 12
    comments: int = 0
    audience: int = 0
    max_accounts: int | None = None
    retries: int = 4
    backoff: float = 60.0

    def check(self, logged_in: bool) -> None:
        """Raise :class:`UserError` for impossible settings before any request."""
        for name in ("posts", "comments", "audience"):
            if getattr(self, name) < 0:
                raise UserError(f"--{name} {getattr(self, name)}: must be 0 or more",
                                hint=f"pass --{name} 0 to skip")
        if self.max_accounts is not None and self.max_accounts < 1:
            raise UserError(f"--max-accounts-per-run {self.max_accounts}: must be 1 or more",
                            hint="leave it out to collect every account")
        needs = [f"--{n} {getattr(self, n)}" for n in ("comments", "audience")
                 if getattr(self, n) > 0]
        if needs and not logged_in:
            raise UserError(
                f"{' and '.join(needs)} need a logged-in session (Instagram shows "
                "followers and comments only to logged-in users)",
                hint="create a session once with `instaloader --login USER`, then pass "
                     "--login USER; fakedetect never stores a password")


# -------------------------------------------------------------------------- results


@dataclass
class AccountOutcome:
    """What happened to one account of the watch list.

    Attributes
    ----------
    username : str
        As in the watch list.
    status : str
        ``collected``, ``partial`` (counters written, some evidence refused),
        ``skipped`` (nothing written), ``not attempted`` (the run stopped before it) or
        ``deferred`` (over ``--max-accounts-per-run``).
    reason : str
        Why, for every status but ``collected``.
    account_id : str or None
        The dataset's id for the account, once known.
    rows : dict
        Table name to rows written for this account.
    detail : str
        The library's own message behind ``reason``, when ``reason`` is a plain summary
        of it (shown with ``-v``).
    """

    username: str
    status: str
    reason: str = ""
    account_id: str | None = None
    rows: dict[str, int] = field(default_factory=dict)
    detail: str = ""


@dataclass
class CollectSummary:
    """The result of one run.

    Attributes
    ----------
    out : Path
        The dataset folder.
    day : str
        The UTC day the snapshots were recorded for.
    outcomes : list of AccountOutcome
        One per watched account, in watch-list order.
    """

    out: Path
    day: str
    outcomes: list[AccountOutcome]

    @property
    def refused(self) -> list[AccountOutcome]:
        """Accounts the platform refused in full or in part, or not reached."""
        return [o for o in self.outcomes
                if o.status in {"partial", "skipped", "not attempted"}]

    @property
    def exit_code(self) -> int:
        """0 when every attempted account was collected in full, else :data:`SKIPPED_EXIT`."""
        return SKIPPED_EXIT if self.refused else 0

    def as_dict(self) -> dict[str, Any]:
        """The summary as plain JSON-able values."""
        return {"out": str(self.out), "day": self.day, "exit_code": self.exit_code,
                "accounts": [vars(o) for o in self.outcomes]}

    def lines(self, *, verbose: bool = False) -> list[str]:
        """The summary as short lines for the terminal.

        Accounts skipped for the same network cause share one line; with ``verbose``
        each one's raw message follows.
        """
        done = [o for o in self.outcomes if o.status == "collected"]
        totals: dict[str, int] = {}
        for o in self.outcomes:
            for name, n in o.rows.items():
                totals[name] = totals.get(name, 0) + n
        out = [f"collected {len(done)} of {len(self.outcomes)} account(s) for {self.day} "
               f"into {self.out}"]
        if totals:
            out.append("rows written: " + ", ".join(f"{k} {v:,}" for k, v in totals.items()))
        shared: dict[str, list[AccountOutcome]] = {}
        for o in self.outcomes:
            if o.status == "skipped" and o.reason.startswith(_UNREACHABLE):
                shared.setdefault(o.reason, []).append(o)
            elif o.status != "collected":
                out.append(f"{o.status}: {o.username}: {o.reason}")
        for reason, group in shared.items():
            out.append(f"skipped: {reason} ({len(group)} account(s) skipped: "
                       f"{', '.join(o.username for o in group[:5])}"
                       f"{', ...' if len(group) > 5 else ''})")
            if verbose:
                out.extend(f"skipped: {o.username}: {o.detail}" for o in group if o.detail)
        return out


#: How a network failure's reason starts (such accounts share one summary line).
_UNREACHABLE = "cannot reach "


def network_reason(exc: BaseException) -> str | None:
    """One plain line for a failure to reach the platform, or ``None`` for other errors.

    Parameters
    ----------
    exc : BaseException
        What instaloader raised (its ``ConnectionException`` wraps the requests error).

    Returns
    -------
    str or None
        ``cannot reach HOST: CAUSE`` with the cause in plain words (no network or DNS,
        connection refused, timed out, TLS failure, or the connection failed).
    """
    chain = []
    seen: BaseException | None = exc
    while seen is not None and len(chain) < 10:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    text = " ".join(f"{type(e).__name__}: {e}" for e in chain)
    low = text.lower()
    causes = (
        (("nameresolutionerror", "name or service not known", "temporary failure in name "
          "resolution", "nodename nor servname", "getaddrinfo failed", "no address "
          "associated", "network is unreachable", "no route to host"),
         "no network or DNS"),
        (("connection refused", "connectionrefusederror"), "the connection was refused"),
        (("timed out", "timeout"), "no answer in time (timed out)"),
        (("sslerror", "certificate", "ssl:"), "the secure connection failed (TLS)"),
        (("connectionerror", "connection aborted", "connection reset",
          "remotedisconnected", "max retries exceeded"), "the connection failed"),
    )
    for needles, cause in causes:
        if any(n in low for n in needles):
            match = re.search(r"host='([^']+)'", text) or re.search(
                r"https?://([^/:\s]+)", text)
            host = match.group(1) if match else "the platform"
            return f"{_UNREACHABLE}{host}: {cause}"
    return None


class _RateLimitedError(Exception):
    """The platform kept answering 'too many requests' after every back-off round."""


# ------------------------------------------------------------------------ the store


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """A loaded table with text ids and 0/1 flags, as collect writes new rows."""
    out = frame.copy()
    for col in ("account_id", "post_id"):
        if col in out:
            out[col] = out[col].astype(str)
    for col in out.columns:
        if isinstance(out[col].dtype, pd.BooleanDtype):
            out[col] = out[col].astype("Int64")
    return out


class _Store:
    """The dataset folder being extended, one account at a time."""

    def __init__(self, out: Path) -> None:
        from fakedetect.io import find_tables

        self.out = out
        self.tables: dict[str, pd.DataFrame] = {}
        self.files: dict[str, Path] = {}
        if out.exists() and not out.is_dir():
            raise UserError(f"{out}: exists and is not a folder",
                            hint="pass --out a folder (it is created when missing)")
        if out.is_dir():
            files, problems = find_tables(out)
            if problems:
                raise UserError(f"{out}: {problems[0]}",
                                hint="fix the dataset folder before collecting into it")
            if files and "accounts" not in files:
                raise UserError(f"{out}: holds tables but no accounts table",
                                hint="collect into an empty folder or a valid dataset")
            if files:
                from fakedetect.validate import ContractError, load_dataset

                try:
                    ds = load_dataset(out)
                except ContractError as exc:
                    raise UserError(f"{out}: the dataset is not valid, so collect will not "
                                    f"add to it\n{exc.message}",
                                    hint="fix it (see `fakedetect validate`) or collect "
                                         "into another folder") from exc
                self.files = dict(files)
                for name, frame in ds.tables.items():
                    self.tables[name] = _plain(frame)
                if "snapshots" in self.tables:
                    snaps = self.tables["snapshots"]
                    snaps["date"] = pd.to_datetime(snaps["date"], utc=True).dt.strftime(
                        "%Y-%m-%d")

    def account_for(self, username: str) -> tuple[str | None, str | None]:
        """The known (account_id, Instagram user id) of ``username``, if any."""
        acc = self.tables.get("accounts")
        if acc is None or acc.empty:
            return None, None
        users = acc["username"].astype("string").str.lower() if "username" in acc else None
        hit = (acc[(users == username).fillna(False).to_numpy(dtype=bool)]
               if users is not None else acc.iloc[0:0])
        if hit.empty:
            hit = acc[acc["account_id"] == username]
        if hit.empty:
            return None, None
        row = hit.iloc[-1]
        uid = row.get("user_id") if "user_id" in acc else None
        return str(row["account_id"]), (None if uid is None or pd.isna(uid) else str(uid))

    def account_by_user_id(self, user_id: str) -> str | None:
        """The account id already holding Instagram user ``user_id``."""
        acc = self.tables.get("accounts")
        if acc is None or "user_id" not in acc:
            return None
        ids = acc["user_id"].astype("string")
        hit = acc[(ids == user_id).fillna(False).to_numpy(dtype=bool)]
        return None if hit.empty else str(hit["account_id"].iloc[-1])

    def observed_on(self, account_id: str | None, day: str) -> bool:
        """Whether the account already has a snapshot for ``day``."""
        snaps = self.tables.get("snapshots")
        if account_id is None or snaps is None:
            return False
        return bool(((snaps["account_id"] == account_id) & (snaps["date"] == day)).any())

    def put(self, account_id: str, new: dict[str, pd.DataFrame], day: str) -> dict[str, int]:
        """Merge one account's fresh rows and write each changed table atomically."""
        from fakedetect.io import write_table

        written: dict[str, int] = {}
        for name in WRITE_ORDER:
            rows = new.get(name)
            if rows is None:
                continue
            old = self.tables.get(name)
            if old is not None and not old.empty:
                if name in {"accounts", "audience"}:
                    keep = old["account_id"] != account_id
                elif name == "snapshots":
                    keep = ~((old["account_id"] == account_id) & (old["date"] == day))
                elif name == "posts":
                    keep = ~((old["account_id"] == account_id)
                             & old["post_id"].isin(set(rows["post_id"])))
                else:  # comments: replace those of the posts whose comments were sampled
                    sampled = set(new.get("_sampled_posts", pd.DataFrame(
                        {"post_id": []}))["post_id"])
                    keep = ~((old["account_id"] == account_id) & old["post_id"].isin(sampled))
                merged = pd.concat([old[keep.to_numpy()], rows], ignore_index=True)
            else:
                merged = rows.reset_index(drop=True)
            merged = _ordered(name, merged)
            path = self.files.get(name, self.out / f"{name}.csv")
            write_table(merged, path)
            self.files[name] = path
            self.tables[name] = merged
            written[name] = len(rows)
        return written

    def mark(self) -> None:
        """Record the written files, so `fakedetect import` may merge into the folder."""
        from fakedetect.io import write_text

        record = {"format": "collect", "source": "fakedetect collect",
                  "files": sorted(p.name for p in self.files.values()),
                  "written_at": datetime.now(UTC).isoformat(timespec="seconds")}
        write_text(self.out / _MARKER, json.dumps(record, indent=2) + "\n")


def _ordered(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    by = {"accounts": ["account_id"], "snapshots": ["account_id", "date"],
          "posts": ["account_id", "posted_at"], "audience": ["account_id"]}.get(name)
    if by is None:
        return frame.reset_index(drop=True)
    if name == "posts":
        frame = frame.assign(posted_at=pd.to_datetime(frame["posted_at"], utc=True))
    return frame.sort_values(by, kind="stable").reset_index(drop=True)


# ------------------------------------------------------------------ rows from objects


def _safe(get: Callable[[], Any]) -> Any:
    """A property that instaloader could not fill (``KeyError``) reads as missing."""
    try:
        return get()
    except KeyError:
        return None


def _has_pic(profile: Profile) -> bool | None:
    url = _safe(lambda: profile.profile_pic_url_no_iphone)
    if not isinstance(url, str):
        return None
    return bool(url) and DEFAULT_AVATAR not in url


def _counters(profile: Profile) -> dict[str, Any]:
    bio = _safe(lambda: profile.biography)
    return {
        "followers": _safe(lambda: profile.followers),
        "following": _safe(lambda: profile.followees),
        "posts": _safe(lambda: profile.mediacount),
        "has_profile_pic": _has_pic(profile),
        "is_private": _safe(lambda: profile.is_private),
        "bio_length": len(bio) if isinstance(bio, str) else None,
    }


def _account_row(account_id: str, profile: Profile, day: str) -> dict[str, Any]:
    c = _counters(profile)
    url = _safe(lambda: profile.external_url)
    return {
        "account_id": account_id,
        "platform": "instagram",
        "username": profile.username,
        "followers": c["followers"],
        "following": c["following"],
        "posts": c["posts"],
        "has_profile_pic": c["has_profile_pic"],
        "is_private": c["is_private"],
        "is_verified": _safe(lambda: profile.is_verified),
        "bio_length": c["bio_length"],
        "external_url": bool(url),
        "user_id": str(profile.userid),
        "full_name": _safe(lambda: profile.full_name),
        "is_business_account": _safe(lambda: profile.is_business_account),
        "last_collected": day,
    }


def _post_row(account_id: str, post: Post) -> dict[str, Any]:
    caption = post.caption
    is_video = _safe(lambda: post.is_video)
    likes = _safe(lambda: post.likes)
    comments = _safe(lambda: post.comments)
    return {
        "account_id": account_id,
        "post_id": post.shortcode,
        "posted_at": pd.Timestamp(post.date_utc, tz="UTC"),
        "likes": likes if isinstance(likes, int) and likes >= 0 else None,
        "comments": comments if isinstance(comments, int) and comments >= 0 else None,
        "views": _safe(lambda: post.video_view_count) if is_video else None,
        # instaloader gives no caption (None) for a post published without one.
        "caption_length": len(caption or ""),
        "hashtags": len(post.caption_hashtags),
        "is_sponsored": _safe(lambda: post.is_sponsored),
        "is_video": is_video,
        "typename": _safe(lambda: post.typename),
    }


def _frame(rows: list[dict[str, Any]], ints: Sequence[str] = (),
           flags: Sequence[str] = ()) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for col in ints:
        if col in frame:
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("Int64")
    for col in flags:
        if col in frame:
            frame[col] = frame[col].map(
                lambda v: None if v is None or v is pd.NA else int(bool(v))).astype("Int64")
    return frame


# ----------------------------------------------------------------------- the run


def _is_rate_limit(exc: BaseException) -> bool:
    from instaloader import (
        ConnectionException,
        QueryReturnedBadRequestException,
        TooManyRequestsException,
    )

    if isinstance(exc, TooManyRequestsException):
        return True
    text = str(exc).lower()
    if isinstance(exc, QueryReturnedBadRequestException | ConnectionException):
        return "429" in text or "please wait" in text or "too many" in text
    return False


def collect(
    watchlist: Sequence[str],
    out: str | Path,
    client: Client,
    options: CollectOptions | None = None,
    *,
    today: date | None = None,
    sleep: Callable[[float], None] = time.sleep,
    on_account: Callable[[int, int, str], None] | None = None,
) -> CollectSummary:
    """Fetch each watched account and append it to the dataset in ``out``.

    Parameters
    ----------
    watchlist : sequence of str
        Usernames (see :func:`read_watchlist`).
    out : path-like
        Dataset folder (created when missing; an existing one must be valid).
    client : Client
        The platform (:func:`make_client`; tests pass a recorded one).
    options : CollectOptions, optional
        What to fetch and how politely.
    today : datetime.date, optional
        The day the snapshots are recorded for (default: today in UTC).
    sleep : callable
        Waits the given seconds during back-off (tests pass a recorder).
    on_account : callable, optional
        Called as ``on_account(done, total, username)`` after each account.

    Returns
    -------
    CollectSummary
        Per account what was written, or why not; ``exit_code`` is non-zero when the
        platform refused some account.

    Raises
    ------
    UserError
        For an invalid dataset in ``out`` or impossible options.
    """
    from instaloader import (
        AbortDownloadException,
        InstaloaderException,
        LoginRequiredException,
        PrivateProfileNotFollowedException,
        ProfileNotExistsException,
    )

    opts = options or CollectOptions()
    opts.check(client.logged_in)
    dest = Path(out)
    store = _Store(dest)
    day = (today or datetime.now(UTC).date()).isoformat()
    # Accounts without a snapshot today first: a rerun after a crash resumes there.
    known = {u: store.account_for(u) for u in watchlist}
    order = sorted(watchlist, key=lambda u: store.observed_on(known[u][0], day))
    chosen = order if opts.max_accounts is None else order[:opts.max_accounts]
    outcomes = {u: AccountOutcome(u, "deferred", "over --max-accounts-per-run; the next "
                                  "run takes it", known[u][0]) for u in watchlist}
    dest.mkdir(parents=True, exist_ok=True)
    stop: str | None = None
    for i, username in enumerate(chosen):
        if stop is not None:
            outcomes[username] = AccountOutcome(username, "not attempted", stop,
                                                known[username][0])
            continue
        account_id, user_id = known[username]
        outcome = AccountOutcome(username, "collected", "", account_id)
        try:
            outcome = _with_backoff(
                lambda u=username, a=account_id, k=user_id: _one(
                    store, client, opts, u, a, k, day),
                opts, sleep)
        except _RateLimitedError:
            outcome = AccountOutcome(
                username, "skipped", f"rate limited: the platform still answered 'too many "
                f"requests' after {opts.retries} back-off round(s)", account_id)
            stop = "the run stopped after rate limiting; run again later"
        except LoginRequiredException as exc:
            outcome = AccountOutcome(
                username, "skipped", f"login required ({exc}); pass --login USER with a "
                "session saved by `instaloader --login USER`", account_id)
            stop = "the run stopped: the platform requires a login"
        except AbortDownloadException as exc:
            outcome = AccountOutcome(
                username, "skipped", f"the platform asks to stop ({exc}); wait, check the "
                "account in a browser (a checkpoint or a logged-out session), then run "
                "again", account_id)
            stop = "the run stopped: the platform asked to stop"
        except ProfileNotExistsException:
            outcome = AccountOutcome(
                username, "skipped", "no such profile (deleted, renamed or blocking you); "
                "update the watch list", account_id)
        except PrivateProfileNotFollowedException:
            outcome = AccountOutcome(username, "skipped", "private and not followed",
                                     account_id)
        except InstaloaderException as exc:
            raw = f"{type(exc).__name__}: {exc}"
            plain = network_reason(exc)
            outcome = AccountOutcome(username, "skipped", plain or raw, account_id,
                                     detail=raw if plain else "")
        outcomes[username] = outcome
        if on_account is not None:
            on_account(i + 1, len(chosen), username)
    if store.files:
        store.mark()
    return CollectSummary(dest, day, [outcomes[u] for u in watchlist])


def _with_backoff(fetch: Callable[[], AccountOutcome], opts: CollectOptions,
                  sleep: Callable[[float], None]) -> AccountOutcome:
    """Run ``fetch``; on a rate-limit answer wait ``backoff * 2**round`` and retry."""
    for attempt in range(opts.retries + 1):
        try:
            return fetch()
        except Exception as exc:
            if not _is_rate_limit(exc):
                raise
            if attempt == opts.retries:
                raise _RateLimitedError from exc
            sleep(opts.backoff * 2 ** attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def _one(store: _Store, client: Client, opts: CollectOptions, username: str,
         account_id: str | None, user_id: str | None, day: str) -> AccountOutcome:
    """Fetch one account, write it, and say what was written."""
    profile = client.profile(username, user_id)
    uid = str(profile.userid)
    aid = account_id or store.account_by_user_id(uid) or profile.username
    notes: list[str] = []
    if profile.username != username:
        notes.append(f"renamed to {profile.username} (same Instagram id {uid}); "
                     "update the watch list")
    acc = _frame([_account_row(aid, profile, day)],
                 ints=("followers", "following", "posts", "bio_length"),
                 flags=("has_profile_pic", "is_private", "is_verified", "external_url",
                        "is_business_account"))
    if acc["followers"].isna().all():
        from instaloader import LoginRequiredException

        raise LoginRequiredException(f"the profile of {username} came without counters")
    snap = acc[["account_id", "followers", "following", "posts"]].copy()
    snap.insert(1, "date", day)
    new: dict[str, pd.DataFrame] = {"accounts": acc}
    private = bool(acc["is_private"].fillna(0).iloc[0] == 1) and not _safe(
        lambda: profile.followed_by_viewer)
    if private:
        notes.append("private account: only its counters are public (posts, comments and "
                     "followers were not collected)")
    elif opts.posts:
        posts = list(client.posts(profile, opts.posts))
        if posts:
            new["posts"] = _frame([_post_row(aid, p) for p in posts],
                                  ints=("likes", "comments", "views", "caption_length",
                                        "hashtags"),
                                  flags=("is_sponsored", "is_video"))
        if opts.comments:
            rows = []
            for post in posts:
                for c in client.comments(post, opts.comments):
                    rows.append({"account_id": aid, "post_id": post.shortcode,
                                 "commenter": c.owner.username, "text": c.text,
                                 "created_at": pd.Timestamp(c.created_at_utc, tz="UTC")})
            new["_sampled_posts"] = pd.DataFrame({"post_id": [p.shortcode for p in posts]})
            if rows:
                new["comments"] = pd.DataFrame(rows)
    new["snapshots"] = snap
    if opts.audience and not private:
        rows = []
        for f in client.followers(profile, opts.audience):
            rows.append({"account_id": aid, "follower_username": f.username, **_counters(f),
                         "sampled_on": day})
        if rows:
            audience = _frame(rows, ints=("followers", "following", "posts", "bio_length"),
                              flags=("has_profile_pic", "is_private"))
            audience = audience[audience["followers"].notna()]
            new["audience"] = audience.drop_duplicates("follower_username", keep="first")
    written = store.put(aid, new, day)
    status = "partial" if private else "collected"
    return AccountOutcome(username, status, "; ".join(notes), aid, written)


# ------------------------------------------------------------------------- status


@dataclass(frozen=True)
class AccountHistory:
    """How much history one account has.

    Attributes
    ----------
    account_id : str
    days : int
        Days with a snapshot.
    first, last : str or None
        First and last observed day.
    gaps : list of str
        Runs of missing days between first and last (``2024-05-03`` or
        ``2024-05-03..2024-05-05``).
    history_ok : bool
        Whether growth features will be computed.
    missing : str
        What is missing, in plain words (empty when nothing is).
    posts, comments, audience : int
        Rows of each table for the account.
    """

    account_id: str
    days: int
    first: str | None
    last: str | None
    gaps: list[str]
    history_ok: bool
    missing: str
    posts: int
    comments: int
    audience: int


def collect_status(path: str | Path) -> list[AccountHistory]:
    """Per account: days observed, first and last day, gaps, and what is missing.

    Parameters
    ----------
    path : path-like
        A dataset folder.

    Returns
    -------
    list of AccountHistory
        In account order.

    Raises
    ------
    UserError
        If the folder is not a valid dataset.
    """
    from fakedetect.features.registry import MIN_AUDIENCE, MIN_HISTORY_DAYS, MIN_POSTS
    from fakedetect.io import find_tables
    from fakedetect.validate import load_dataset

    folder = Path(path)
    if not folder.is_dir():
        raise UserError(f"{folder}: no such dataset folder",
                        hint=f"collect into it first: fakedetect collect WATCHLIST -o {folder}")
    if "accounts" not in find_tables(folder)[0]:
        return []  # nothing collected (or imported) yet
    ds = load_dataset(folder)
    ids = [str(a) for a in ds.accounts["account_id"]]

    def counts(name: str) -> dict[str, int]:
        t = ds.get(name)
        if t is None:
            return {}
        return {str(k): int(v) for k, v in t["account_id"].astype(str).value_counts().items()}

    posts, comments, audience = counts("posts"), counts("comments"), counts("audience")
    by_account: dict[str, list[pd.Timestamp]] = {}
    snaps = ds.get("snapshots")
    if snaps is not None:
        for aid, day in zip(snaps["account_id"].astype(str),
                            pd.to_datetime(snaps["date"], utc=True), strict=True):
            by_account.setdefault(aid, []).append(day.normalize())
    out = []
    for aid in ids:
        days = sorted(set(by_account.get(aid, [])))
        gaps: list[str] = []
        for a, b in itertools.pairwise(days):
            if (b - a).days > 1:
                start = a + pd.Timedelta(days=1)
                end = b - pd.Timedelta(days=1)
                gaps.append(start.strftime("%Y-%m-%d") if start == end
                            else f"{start:%Y-%m-%d}..{end:%Y-%m-%d}")
        ok = len(days) >= MIN_HISTORY_DAYS
        missing = []
        if not ok:
            missing.append(f"{MIN_HISTORY_DAYS - len(days)} more day(s) of snapshots for "
                           "growth features")
        if posts.get(aid, 0) < MIN_POSTS:
            missing.append(f"at least {MIN_POSTS} posts for engagement features")
        if audience.get(aid, 0) < MIN_AUDIENCE:
            missing.append(f"an audience sample of at least {MIN_AUDIENCE} followers "
                           "(--audience N with --login)")
        out.append(AccountHistory(
            account_id=aid, days=len(days),
            first=days[0].strftime("%Y-%m-%d") if days else None,
            last=days[-1].strftime("%Y-%m-%d") if days else None,
            gaps=gaps, history_ok=ok, missing="; ".join(missing),
            posts=posts.get(aid, 0), comments=comments.get(aid, 0),
            audience=audience.get(aid, 0)))
    return out


def status_lines(rows: list[AccountHistory], path: str | Path | None = None) -> list[str]:
    """:func:`collect_status` as lines for the terminal (``path`` names the folder)."""
    if not rows:
        where = f" in {path}" if path is not None else ""
        target = path if path is not None else "DATASET"
        return [f"nothing collected yet{where}; run: fakedetect collect WATCHLIST -o "
                f"{target}"]
    width = max(len(r.account_id) for r in rows)
    out = [f"{'account':<{width}}  days  first       last        gaps  growth  posts  "
           "audience"]
    for r in rows:
        out.append(f"{r.account_id:<{width}}  {r.days:>4}  {r.first or '-':<10}  "
                   f"{r.last or '-':<10}  {len(r.gaps):>4}  "
                   f"{'ok' if r.history_ok else 'no':<6}  {r.posts:>5}  {r.audience:>8}")
    for r in rows:
        if r.gaps:
            shown = ", ".join(r.gaps[:5]) + (" ..." if len(r.gaps) > 5 else "")
            out.append(f"{r.account_id}: missing days {shown}")
        if r.missing:
            out.append(f"{r.account_id}: needs {r.missing}")
    return out
