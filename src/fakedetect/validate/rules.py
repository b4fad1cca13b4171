"""The rules a dataset is checked against, each written once.

Column rules on values (:func:`value_rules`) are data: a name from
:data:`fakedetect.contract.RULES`, what was expected in plain words, and a vectorised
test of the values that break it. Every such test is a threshold (below a bound, above a
bound, beyond a magnitude), so a column passes all of them exactly when its smallest and
its largest value pass: the general path applies the tests to every value to find and
name the rows, the Arrow path (:mod:`fakedetect.validate.arrow`) to a column's minimum
and maximum to prove that no row breaks them. Rules across rows and tables (keys,
snapshot order, references) are the functions below, used by both paths.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from fakedetect.contract import EARLIEST, REFERENCING, Column, Table

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from fakedetect.validate.columns import Typed
    from fakedetect.validate.problems import Collector

#: Largest whole number stored exactly (as a float, as LightGBM and numpy see it).
MAX_EXACT_INT = 2**53

#: What a column of each kind expects, for the "wrong type" rule.
EXPECTED = {
    "id": "a plain text or number",
    "string": "a plain text or number",
    "category": "a plain text or number",
    "int": "a whole number",
    "float": "a number",
    "bool": "a flag (1/0, true/false, yes/no)",
    "timestamp": "an ISO 8601 timestamp (2024-05-01T12:30:00Z) or Unix seconds",
    "date": "a date (YYYY-MM-DD)",
}
#: The "wrong type" rule for a cell holding a JSON object or list.
EXPECTED_PLAIN = "a plain value, not a nested object or list"
#: The "missing value" rule, for columns that are not nullable.
EXPECTED_VALUE = "a value; this column may not be missing"


@dataclass(frozen=True)
class ValueRule:
    """A rule on the present values of one column.

    Attributes
    ----------
    name : str
        The rule, a key of :data:`fakedetect.contract.RULES`.
    expected : str
        What was expected, as the messages say it.
    fails : callable
        Values to a boolean mask of those that break the rule. Numbers come as a float
        array (NaN where missing), times as a ``datetime64`` series in UTC (NaT where
        missing); a missing value never fails.
    drops : bool
        Whether a value that fails is kept missing in the typed frame and not tested by
        the rules after this one.
    """

    name: str
    expected: str
    fails: Callable[[Any], np.ndarray]
    drops: bool = False


def value_rules(col: Column, now: pd.Timestamp) -> tuple[ValueRule, ...]:
    """The rules on the values of ``col``, in the order their problems are reported.

    Parameters
    ----------
    col : Column
        A contract column.
    now : pandas.Timestamp
        The present, for the "not in the future" rule.

    Returns
    -------
    tuple of ValueRule
        Empty for text and flag columns.
    """
    import pandas as pd

    rules: list[ValueRule] = []
    if col.kind == "int":
        rules.append(ValueRule(
            "integer too large", f"a whole number of at most {MAX_EXACT_INT:,} in size",
            lambda f: np.abs(f) > MAX_EXACT_INT, drops=True))
    if col.kind == "float":
        rules.append(ValueRule("infinite value", "a finite number", np.isinf, drops=True))
    if col.kind in {"int", "float"}:
        lo, hi = col.minimum, col.maximum
        if lo == 0 and hi == 1 and col.kind == "int":
            rules.append(ValueRule("not 0/1", "0 or 1", lambda f: (f < 0) | (f > 1)))
        else:
            if lo is not None:
                rules.append(ValueRule(
                    "negative count" if lo == 0 and col.unit == "count" else "below minimum",
                    f"a value of at least {lo:g}", lambda f: f < lo))
            if hi is not None:
                rules.append(ValueRule("above maximum", f"a value of at most {hi:g}",
                                       lambda f: f > hi))
    if col.kind in {"timestamp", "date"}:
        earliest = pd.Timestamp(EARLIEST, tz="UTC")
        rules.append(ValueRule("timestamp before 2006", f"a time on or after {EARLIEST}",
                               lambda v: (v < earliest).to_numpy(dtype=bool)))
        rules.append(ValueRule("timestamp in the future", "a time that is not in the future",
                               lambda v: (v > now).to_numpy(dtype=bool)))
    return tuple(rules)


def apply_value_rules(t: Typed, col: Column, values: Any, found: pd.Series,
                      rules: tuple[ValueRule, ...], sink: Collector) -> np.ndarray:
    """Report every value of ``col`` that breaks one of ``rules``.

    Parameters
    ----------
    t : Typed
        The table, for rows and accounts.
    col : Column
    values : numpy.ndarray or pandas.Series
        The typed values, as :attr:`ValueRule.fails` takes them.
    found : pandas.Series
        The values as read, shown in the messages.
    rules : tuple of ValueRule
    sink : Collector

    Returns
    -------
    numpy.ndarray
        Where a value broke a dropping rule (to be kept missing).
    """
    dropped = np.zeros(len(values), dtype=bool)
    for rule in rules:
        fails = rule.fails(values) & ~dropped
        sink.cells(t, col.name, fails, found, rule.name, rule.expected)
        if rule.drops:
            dropped |= fails
            if fails.any():
                values = np.where(fails, np.nan, values)
    return dropped


def extremes_pass(rules: tuple[ValueRule, ...], extremes: Any) -> bool:
    """Whether a column whose smallest and largest values are ``extremes`` breaks none
    of ``rules`` (every rule is a threshold test, so the extremes decide).

    Parameters
    ----------
    rules : tuple of ValueRule
    extremes : numpy.ndarray or pandas.Series
        The column's minimum and maximum, as :attr:`ValueRule.fails` takes values.

    Returns
    -------
    bool
    """
    return not any(bool(np.any(rule.fails(extremes))) for rule in rules)


# --------------------------------------------------------------------- rows and tables


def factorize(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes by first appearance (-1 where missing) and the distinct values."""
    import pandas as pd

    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64), np.asarray(uniques, dtype=object)


def key_codes(t: Typed, key: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """One integer per row identifying its key, and which rows have the whole key."""
    import pandas as pd

    combined = np.zeros(len(t.frame), dtype=np.int64)
    complete = np.ones(len(t.frame), dtype=bool)
    for name in key:
        if name == "account_id":
            codes, n = t.codes, len(t.uniques)
        else:
            codes, uniques = pd.factorize(t.frame[name], use_na_sentinel=True)
            codes, n = np.asarray(codes, dtype=np.int64), len(uniques)
        complete = complete & (codes >= 0)
        if n and combined.max(initial=0) >= np.iinfo(np.int64).max // (n + 1):
            combined = np.asarray(pd.factorize(combined)[0], dtype=np.int64)
        combined = combined * (n + 1) + (codes + 1)
    return combined, complete


def check_duplicates(t: Typed, table: Table, sink: Collector) -> None:
    """One row per key: every repeat of an earlier row's key is a problem."""
    import pandas as pd

    codes, complete = key_codes(t, table.key)
    dup = pd.Series(codes).duplicated(keep="first").to_numpy(dtype=bool) & complete
    keys = " + ".join(table.key)
    sink.cells(t, None, dup, None, "duplicate key",
               f"one row per {keys}; an earlier row has the same {keys}")


def check_sorted(t: Typed, sink: Collector) -> None:
    """Days must ascend within each account, in file order (accounts may interleave)."""
    days = t.frame["date"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    valid = np.flatnonzero((t.codes >= 0) & ~np.isnat(days.view("datetime64[ns]")))
    order = valid[np.argsort(t.codes[valid], kind="stable")]
    c, d = t.codes[order], days[order]
    back = (c[1:] == c[:-1]) & (d[1:] < d[:-1])
    mask = np.zeros(len(t.frame), dtype=bool)
    mask[order[1:][back]] = True
    sink.cells(t, "date", mask, t.raw.frame["date"],
               "unsorted snapshot days",
               "days ascending within each account; sort the file by account_id, date")


def account_lookup(categories: pd.Index, uniques: np.ndarray) -> np.ndarray:
    """Position in ``categories`` of each of a table's distinct ids (-1: unknown)."""
    if not len(uniques):
        return np.empty(0, dtype=np.int64)
    return categories.get_indexer(uniques.astype(str))


def map_accounts(name: str, t: Typed, lookup: np.ndarray) -> np.ndarray | None:
    """Set ``t.account`` from the table's id ``lookup``; the rows naming an unknown
    account (``None`` when the table cannot have any)."""
    shifted = np.append(lookup, -1)  # a missing id (code -1) maps to -1
    t.account = shifted[t.codes]
    if name in REFERENCING and not (lookup >= 0).all():
        return (t.codes >= 0) & (t.account < 0)
    return None


def check_references(typed: dict[str, Typed], categories: pd.Index,
                     sink: Collector) -> None:
    """Every table's account_id must be an account; every comment's post a post.

    Numbers each table's accounts (``Typed.account``) by their place in ``categories``
    on the way, and reports the problems in table order.
    """
    known: tuple[np.ndarray, np.ndarray] | None = None  # the accounts' (uniques, lookup)
    for name, t in typed.items():
        if known is not None and same_ids(known[0], t.uniques):
            lookup = known[1]  # tables of one export usually list the ids in one order
        else:
            lookup = account_lookup(categories, t.uniques)
        if known is None:
            known = (t.uniques, lookup)
        unknown = map_accounts(name, t, lookup)
        if unknown is not None:
            sink.cells(t, "account_id", unknown, t.frame["account_id"], "unknown account",
                       "an account_id listed in the accounts table")
    posts, comments = typed.get("posts"), typed.get("comments")
    if posts is not None and comments is not None:
        sink.cells(comments, "post_id", comments_on_unknown_posts(posts, comments),
                   comments.frame["post_id"], "unknown post",
                   "a post_id that the posts table lists for this account")


def same_ids(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two tables list the same distinct ids in the same order."""
    return len(a) == len(b) and bool((a == b).all())


def comments_on_unknown_posts(posts: Typed, comments: Typed) -> np.ndarray:
    """Comments whose (account, post_id) the posts table lacks.

    Post ids are numbered by Arrow and the (account, post) pairs compared as integers.
    """
    import pandas as pd
    import pyarrow.compute as pc

    assert posts.account is not None and comments.account is not None
    pid = as_arrow(posts.frame["post_id"])
    cid = as_arrow(comments.frame["post_id"])
    values = pc.unique(pid)
    size = len(values) + 1
    top = max(int(posts.account.max(initial=0)), int(comments.account.max(initial=0))) + 1
    where_p = pc.index_in(pid, value_set=values).fill_null(-1).to_numpy().astype(np.int64)
    where_c = pc.index_in(cid, value_set=values).fill_null(-1).to_numpy().astype(np.int64)
    known = (posts.account >= 0) & pid.is_valid().to_numpy(zero_copy_only=False)
    asked = (comments.account >= 0) & cid.is_valid().to_numpy(zero_copy_only=False)
    pairs: pd.Index
    if top * size < 2**62:
        pairs = pd.Index(posts.account[known] * size + where_p[known])
        wanted = pd.Index(comments.account * size + where_c)
    else:  # the pair numbers would overflow: compare the pairs themselves
        pairs = pd.MultiIndex.from_arrays([posts.account[known], where_p[known]])
        wanted = pd.MultiIndex.from_arrays([comments.account, where_c])
    hit = (where_c >= 0) & wanted.isin(pairs)
    return asked & ~hit


def as_arrow(s: pd.Series) -> pa.ChunkedArray:
    """A text column as Arrow data (no copy for Arrow-backed text)."""
    import pyarrow as pa

    arr = pa.array(s.array)
    return arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr])
