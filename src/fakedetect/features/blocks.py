"""Account-sorted views of a dataset's tables, cut into blocks of accounts.

Features are computed one block of consecutive accounts at a time, so intermediate arrays
stay small however large the dataset is; inside a block every computation is vectorised
over all its accounts. Each table is put in account order once (snapshots and posts
from :func:`~fakedetect.validate.load_dataset` already are; comments and audience are
ordered with one stable argsort of their integer account codes).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from fakedetect.features.segments import Segments

if TYPE_CHECKING:
    import pandas as pd

    from fakedetect.dataset import Dataset

#: Seconds per day.
DAY = 86_400.0
#: Rows (snapshots + posts + comments) per block; bounds the memory of intermediates.
BLOCK_ROWS = 1 << 18
#: Accounts per block at most.
BLOCK_ACCOUNTS = 1 << 18
#: Per table, the time column that orders rows inside an account.
TIME_COLUMN = {"snapshots": "date", "posts": "posted_at", "comments": None, "audience": None}

_UNIT_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}

_T = TypeVar("_T")


def account_codes(frame: pd.DataFrame, categories: pd.Index) -> np.ndarray:
    """Integer account index of every row (``-1`` where the id is unknown).

    The dtype is the categorical's own (often int32), so no copy of a large column is made.

    Uses the categorical codes when the column shares ``categories`` (as
    :func:`~fakedetect.validate.load_dataset` guarantees), else looks the ids up.
    """
    import pandas as pd

    col = frame["account_id"]
    if isinstance(col.dtype, pd.CategoricalDtype) and col.cat.categories.equals(categories):
        return np.asarray(col.array.codes)  # a view: no copy of a large column
    return categories.get_indexer(col.astype("string")).astype(np.int64)


def float_values(arr: object) -> np.ndarray:
    """A pandas array (or numpy array) as float64 with NaN for missing values."""
    import pandas as pd

    if isinstance(arr, np.ndarray):
        return arr.astype(np.float64, copy=False)
    if isinstance(arr.dtype, pd.DatetimeTZDtype) or getattr(arr.dtype, "kind", "") == "M":
        return seconds_values(arr)
    return np.asarray(arr.to_numpy(dtype="float64", na_value=np.nan))  # type: ignore[attr-defined]


def seconds_values(arr: object) -> np.ndarray:
    """Timestamps (a pandas datetime array, or numbers in seconds) as float seconds since
    the epoch, NaN where missing."""
    import pandas as pd

    dtype = getattr(arr, "dtype", None)
    if isinstance(dtype, pd.DatetimeTZDtype) or getattr(dtype, "kind", "") == "M":
        values = pd.array(arr) if isinstance(arr, np.ndarray) else arr
        raw = np.asarray(values.asi8, dtype=np.float64)  # type: ignore[attr-defined]
        raw /= _UNIT_PER_SECOND[values.unit]  # type: ignore[attr-defined]
        raw[np.asarray(values.isna())] = np.nan  # type: ignore[attr-defined]
        return raw
    return float_values(arr)


def time_keys(arr: object) -> np.ndarray:
    """Timestamps as comparable integers (or floats for numeric times), cheaply: the raw
    datetime values without conversion. Missing times compare lowest."""
    import pandas as pd

    dtype = getattr(arr, "dtype", None)
    if isinstance(dtype, pd.DatetimeTZDtype) or getattr(dtype, "kind", "") == "M":
        values = pd.array(arr) if isinstance(arr, np.ndarray) else arr
        return np.asarray(values.asi8)  # type: ignore[attr-defined]
    return np.nan_to_num(float_values(arr), nan=-np.inf)


def epoch_days(arr: object) -> np.ndarray:
    """Timestamps as whole UTC days since the epoch (int64; missing as day 0)."""
    import pandas as pd

    dtype = getattr(arr, "dtype", None)
    if isinstance(dtype, pd.DatetimeTZDtype) or getattr(dtype, "kind", "") == "M":
        values = pd.array(arr) if isinstance(arr, np.ndarray) else arr
        raw = np.asarray(values.asi8)  # type: ignore[attr-defined]
        days = raw // (_UNIT_PER_SECOND[values.unit] * 86_400)  # type: ignore[attr-defined]
        missing = np.asarray(values.isna())  # type: ignore[attr-defined]
        if missing.any():
            days[missing] = 0
        return days
    s = seconds_values(arr)
    return np.floor(np.nan_to_num(s, nan=0.0) / DAY).astype(np.int64)


@dataclass
class TableView:
    """One table in account order.

    Attributes
    ----------
    name : str
    frame : pandas.DataFrame
    codes : numpy.ndarray
        Account index of every row, ascending (rows of unknown accounts dropped).
    order : numpy.ndarray or None
        Frame positions in account order; ``None`` when the frame already is.
    offsets : numpy.ndarray
        ``offsets[k]:offsets[k + 1]`` are the rows of account ``k`` (length n + 1).
    """

    name: str
    frame: pd.DataFrame
    codes: np.ndarray
    order: np.ndarray | None
    offsets: np.ndarray
    _shared: dict[object, object] = field(default_factory=dict, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    @classmethod
    def build(cls, name: str, frame: pd.DataFrame, categories: pd.Index) -> TableView:
        """Put ``frame`` in account (then time) order; a no-op when it already is."""
        n = len(categories)
        codes = account_codes(frame, categories)
        time_col = TIME_COLUMN.get(name)
        if time_col is not None and time_col not in frame:
            time_col = None
        order: np.ndarray | None = None
        if not _in_order(codes, frame, time_col):
            keep = np.flatnonzero(codes >= 0)
            if time_col is None:
                order = keep[np.argsort(codes[keep], kind="stable")]
            else:
                t = seconds_values(frame[time_col].array.take(keep))
                order = keep[np.lexsort((np.nan_to_num(t, nan=np.inf), codes[keep]))]
            codes = codes[order]
        offsets = np.searchsorted(codes, np.arange(n + 1), side="left").astype(np.int64)
        return cls(name, frame, codes, order, offsets)

    def counts(self) -> np.ndarray:
        """Rows per account."""
        return np.diff(self.offsets)

    def column(self, col: str, lo: int, hi: int) -> object | None:
        """Rows ``lo:hi`` (account order) of column ``col`` as a pandas array, or None."""
        if col not in self.frame:
            return None
        arr = self.frame[col].array
        if self.order is None:
            return arr[lo:hi]
        return arr.take(self.order[lo:hi])

    def shared(self, key: object, make: Callable[[], _T]) -> _T:
        """A value computed once per table (e.g. codes of a text column for all rows, in
        stored order) and shared by every block; thread safe."""
        with self._lock:
            if key not in self._shared:
                self._shared[key] = make()
            return self._shared[key]  # type: ignore[return-value]

    def rows(self, values: np.ndarray, lo: int, hi: int) -> np.ndarray:
        """Rows ``lo:hi`` (account order) of a per-row array in stored order."""
        if self.order is None:
            return values[lo:hi]
        return values[self.order[lo:hi]]


#: Rows checked at a time when testing whether a table is already in order.
_CHECK_ROWS = 4_000_000


def _in_order(codes: np.ndarray, frame: pd.DataFrame, time_col: str | None) -> bool:
    """Whether rows ascend by account (then by ``time_col``), with no unknown account."""
    size = len(codes)
    for lo in range(0, size, _CHECK_ROWS):
        hi = min(size, lo + _CHECK_ROWS + 1)
        c = codes[lo:hi]
        if c.size and c[0] < 0:
            return False
        step = np.diff(c)
        if (step < 0).any():
            return False
        if time_col is not None:
            t = time_keys(frame[time_col].array[lo:hi])
            if ((step == 0) & (t[1:] < t[:-1])).any():
                return False
    return True


@dataclass
class TableBlock:
    """The rows of one table for one block of accounts, with cached columns.

    Attributes
    ----------
    view : TableView
    lo, hi : int
        Row range in account order.
    seg : Segments
        Block-local account segments (account ``k`` of the block is code ``k``).
    """

    view: TableView
    lo: int
    hi: int
    seg: Segments
    _cache: dict[tuple[str, str], object] = field(default_factory=dict)

    def has(self, col: str) -> bool:
        """Whether the table has column ``col``."""
        return col in self.view.frame

    def floats(self, col: str) -> np.ndarray:
        """Column as float64 (all NaN when the column is absent)."""
        key = (col, "f")
        if key not in self._cache:
            arr = self.view.column(col, self.lo, self.hi)
            self._cache[key] = (np.full(self.hi - self.lo, np.nan) if arr is None
                                else float_values(arr))
        return self._cache[key]  # type: ignore[return-value]

    def seconds(self, col: str) -> np.ndarray:
        """Timestamp column as seconds since the epoch (NaN when absent or missing)."""
        key = (col, "s")
        if key not in self._cache:
            arr = self.view.column(col, self.lo, self.hi)
            self._cache[key] = (np.full(self.hi - self.lo, np.nan) if arr is None
                                else seconds_values(arr))
        return self._cache[key]  # type: ignore[return-value]

    def days(self, col: str) -> np.ndarray:
        """Timestamp column as whole UTC days since the epoch (int64; 0 when absent)."""
        key = (col, "d")
        if key not in self._cache:
            arr = self.view.column(col, self.lo, self.hi)
            self._cache[key] = (np.zeros(self.hi - self.lo, dtype=np.int64) if arr is None
                                else epoch_days(arr))
        return self._cache[key]  # type: ignore[return-value]

    def array(self, col: str) -> object | None:
        """Column as a pandas array (for text), or None when absent."""
        return self.view.column(col, self.lo, self.hi)

    def rows(self, values: np.ndarray) -> np.ndarray:
        """The block's rows of a per-row array of the whole table (stored order)."""
        return self.view.rows(values, self.lo, self.hi)


@dataclass
class AccountArrays:
    """Per-account values of the accounts table, indexed by account code."""

    n: int
    followers: np.ndarray
    created_s: np.ndarray


@dataclass
class Block:
    """A block of consecutive accounts ``[a0, a1)`` and their rows in every table."""

    a0: int
    a1: int
    views: dict[str, TableView]
    accounts: AccountArrays
    latest_day: float
    _tables: dict[str, TableBlock | None] = field(default_factory=dict)

    @property
    def m(self) -> int:
        """Accounts in the block."""
        return self.a1 - self.a0

    @property
    def followers(self) -> np.ndarray:
        """Followers on the profile (accounts table), per account of the block."""
        return self.accounts.followers[self.a0:self.a1]

    def table(self, name: str) -> TableBlock | None:
        """The block's rows of table ``name``, or None when the dataset has no such
        table."""
        if name not in self._tables:
            view = self.views.get(name)
            if view is None:
                self._tables[name] = None
            else:
                lo, hi = int(view.offsets[self.a0]), int(view.offsets[self.a1])
                seg = Segments.from_codes(view.codes[lo:hi].astype(np.int64) - self.a0,
                                          self.m)
                self._tables[name] = TableBlock(view, lo, hi, seg)
        return self._tables[name]


def account_arrays(dataset: Dataset) -> AccountArrays:
    """Followers and creation time per account code."""
    categories = dataset.account_ids
    n = len(categories)
    acc = dataset.accounts
    codes = account_codes(acc, categories)
    ok = codes >= 0
    followers = np.full(n, np.nan)
    created = np.full(n, np.nan)
    if "followers" in acc:
        followers[codes[ok]] = float_values(acc["followers"].array)[ok]
    if "created_at" in acc:
        created[codes[ok]] = seconds_values(acc["created_at"].array)[ok]
    return AccountArrays(n, followers, created)


def block_bounds(counts: np.ndarray, block_rows: int = BLOCK_ROWS,
                 block_accounts: int = BLOCK_ACCOUNTS) -> np.ndarray:
    """Account boundaries of blocks holding about ``block_rows`` rows each.

    Parameters
    ----------
    counts : numpy.ndarray
        Rows per account (summed over the tables).
    block_rows, block_accounts : int
        Targets per block; an account with more rows than ``block_rows`` is a block of
        its own.

    Returns
    -------
    numpy.ndarray
        Ascending boundaries from 0 to n.
    """
    n = len(counts)
    if n == 0:
        return np.array([0], dtype=np.int64)
    cum = np.cumsum(counts)
    targets = np.arange(block_rows, int(cum[-1]) + 1, block_rows)
    cuts = np.searchsorted(cum, targets, side="left") + 1
    by_accounts = np.arange(block_accounts, n, block_accounts)
    bounds = np.unique(np.concatenate(([0], cuts, by_accounts, [n])))
    return bounds[(bounds >= 0) & (bounds <= n)].astype(np.int64)


def latest_day(views: dict[str, TableView]) -> float:
    """The latest day observed in snapshots or posts (NaN when neither exists)."""
    best = np.nan
    for name, col in (("snapshots", "date"), ("posts", "posted_at")):
        view = views.get(name)
        if view is None or col not in view.frame or len(view.frame) == 0:
            continue
        arr = view.frame[col].array
        keys = time_keys(arr)
        # the latest row, found without converting the whole column
        last = int(np.argmax(keys))
        day = epoch_days(arr[last:last + 1])[0]
        if not (np.asarray(arr[last:last + 1].isna()).any()):
            best = np.fmax(best, float(day))
    return float(best)
