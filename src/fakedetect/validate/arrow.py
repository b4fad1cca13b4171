"""Typing a Parquet table straight from Arrow, when no rule can fail (the fast path).

A Parquet table whose columns are already stored in their contract types is typed
without converting anything twice: null counts and each column's minimum and maximum,
tested against the same rules the general path applies (:mod:`fakedetect.validate.rules`),
prove that no cell breaks a column rule, and keys and snapshot order are proven in one
pass over rows grouped by account. A table where a proof fails goes through the general
path (:func:`fakedetect.validate.columns.check_table`), which finds and names each
problem; both give the same frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fakedetect.contract import Column, Table
from fakedetect.io import FileError, RawTable, arrow_frame
from fakedetect.validate.columns import Typed, empty_column
from fakedetect.validate.rules import (
    ValueRule,
    as_arrow,
    check_duplicates,
    check_sorted,
    extremes_pass,
    factorize,
    value_rules,
)

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from fakedetect.validate.problems import Collector

#: Rows per batch (rounded up to whole accounts) when proving text keys distinct.
KEY_BATCH = 16_384
_DAY_NS = 86_400 * 10**9


def check_arrow(raw: RawTable, table: Table, sink: Collector,
                now: pd.Timestamp) -> Typed | None:
    """Type a Parquet table straight from Arrow when no column rule can fail.

    Every contract column must be stored in its contract type (integers, booleans,
    floats, UTC or naive timestamps, dates, text or dictionary-encoded text) and hold
    nothing a column rule rejects, which Arrow's null counts and minimum/maximum prove
    without looking at single cells. Otherwise this returns ``None`` having reported
    nothing, and the general path (:func:`~fakedetect.validate.columns.check_table`)
    types the table and names the problems. The frame built here is the one the general
    path would build. Keys and snapshot order are proven in one pass over the rows where
    the file allows it, and checked by the general rules where it does not.

    Parameters
    ----------
    raw : RawTable
        A Parquet table read with its Arrow data kept.
    table : Table
        Its contract.
    sink : Collector
        Where the problems of keys and order go.
    now : pandas.Timestamp
        The present, for the "not in the future" rule.

    Returns
    -------
    Typed or None
        ``None`` when the table needs the general path.
    """
    import pandas as pd

    arrow = raw.arrow
    assert arrow is not None
    names = set(arrow.column_names)
    if now.tzinfo is None or any(c.required and c.name not in names for c in table.columns):
        return None
    account = _arrow_accounts(arrow.column("account_id"))
    if account is None:
        return None
    codes, uniques, ids = account
    index = pd.RangeIndex(arrow.num_rows)
    out: dict[str, object] = {}
    for col in table.columns:
        if col.name == "account_id":
            out[col.name] = ids
        elif col.name not in names:
            out[col.name] = empty_column(col, index)
        else:
            values = _arrow_column(arrow.column(col.name), col, value_rules(col, now))
            if values is None:
                return None
            out[col.name] = values
    extras = [c for c in arrow.column_names if c not in out]
    if extras:
        try:
            stored = arrow_frame(arrow.select(extras), raw.path)
        except FileError:
            return None  # the general path converts the whole table and reports it
        stored.index = index
        out.update({c: stored[c] for c in extras})
    typed = Typed(raw=raw, frame=pd.DataFrame(out, index=index, copy=False), codes=codes,
                  uniques=uniques)
    proven = bool(table.key) and keys_distinct(typed, table.key)
    if table.key and not proven:
        check_duplicates(typed, table, sink)
    # A snapshot key proven distinct has its days strictly ascending within accounts.
    if table.name == "snapshots" and not proven:
        check_sorted(typed, sink)
    return typed


def _is_arrow_text(t: pa.DataType) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_string(t) or pa.types.is_large_string(t))


def _plain_dictionary(arr: pa.ChunkedArray) -> bool:
    """A dictionary of text whose chunks each hold distinct, present values, as pandas
    needs to read it as a categorical."""
    import pyarrow.compute as pc

    if not _is_arrow_text(arr.type.value_type):
        return False
    checked: pa.Array | None = None
    for chunk in arr.chunks:
        d = chunk.dictionary
        if checked is not None and d.equals(checked):
            continue  # chunks read from one file usually share their dictionary
        if d.null_count or len(pc.unique(d)) != len(d):
            return False
        checked = d
    return True


def _one_dictionary(arr: pa.ChunkedArray) -> pa.ChunkedArray:
    """``arr`` with one dictionary for all chunks."""
    if arr.num_chunks < 2 or all(c.dictionary.equals(arr.chunk(0).dictionary)
                                 for c in arr.chunks[1:]):
        return arr
    return arr.unify_dictionaries()


def _arrow_ids(arr: pa.Array | pa.ChunkedArray) -> pd.Series | None:
    """Text ids with surrounding spaces removed (as ``str.strip`` does for Arrow text);
    ``None`` if one is missing or blank."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pc.utf8_trim_whitespace(pc.cast(arr, pa.large_string()))
    if text.null_count or pc.any(pc.equal(text, "")).as_py():
        return None
    return pd.Series(pd.arrays.ArrowStringArray(text))


def _arrow_accounts(arr: pa.ChunkedArray
                    ) -> tuple[np.ndarray, np.ndarray, pd.Categorical] | None:
    """Codes and distinct values of ``account_id`` numbered as
    :func:`~fakedetect.validate.rules.factorize` numbers them (by first appearance), and
    the column; ``None`` if an id is missing or blank.

    A dictionary-encoded column is numbered through its dictionary, so the ids are never
    decoded row by row.
    """
    import pandas as pd
    import pyarrow as pa

    if pa.types.is_dictionary(arr.type):
        if not _plain_dictionary(arr) or arr.null_count or arr.num_chunks == 0:
            return None
        arr = _one_dictionary(arr)
        ids = _arrow_ids(arr.chunk(0).dictionary)
        if ids is None:
            return None
        # Two dictionary entries may be the same id once stripped: number distinct ids.
        same, distinct = pd.factorize(ids)
        entry = np.concatenate([c.indices.to_numpy(zero_copy_only=False)
                                for c in arr.chunks])
        # Number the first row of each run of equal entries only (rows of an account
        # usually follow each other), then spread the numbers over the runs.
        starts = np.flatnonzero(entry[1:] != entry[:-1]) + 1
        heads, first = pd.factorize(same[entry[np.concatenate(([0], starts))]])
        lengths = np.diff(np.concatenate(([0], starts, [len(entry)])))
        codes = np.repeat(np.asarray(heads, dtype=np.int64), lengths)
        uniques = np.asarray(distinct[first], dtype=object)
    elif _is_arrow_text(arr.type):
        ids = _arrow_ids(arr)
        if ids is None:
            return None
        codes, uniques = factorize(ids)
    else:
        return None
    column = pd.Categorical.from_codes(codes, categories=pd.Index(uniques, dtype="string"))
    return codes, uniques, column


def _arrow_column(arr: pa.ChunkedArray, col: Column,
                  rules: tuple[ValueRule, ...]) -> object | None:
    """One contract column typed straight from Arrow; ``None`` if its storage type is not
    the contract's or a cell may break a rule (``rules``: the column's value rules)."""
    import pandas as pd
    import pyarrow as pa

    if col.kind in {"id", "string", "category"}:
        return _arrow_text(arr, col)
    nulls = arr.null_count
    if nulls and not col.nullable:
        return None
    if col.kind == "int":
        return _arrow_ints(arr, rules)
    if col.kind == "float":
        return _arrow_floats(arr, col, rules)
    if col.kind == "bool":
        if not pa.types.is_boolean(arr.type):
            return None
        values = (arr.fill_null(False) if nulls else arr).to_numpy()
        return pd.arrays.BooleanArray(_own(values, bool), _null_mask(arr))
    return _arrow_times(arr, col, rules)


def _own(values: np.ndarray, dtype: type) -> np.ndarray:
    """``values`` as a writable array of ``dtype`` (Arrow hands out read-only views)."""
    out = np.asarray(values, dtype=dtype)
    return out if out.flags.writeable else out.copy()


def _null_mask(arr: pa.ChunkedArray) -> np.ndarray:
    if not arr.null_count:
        return np.zeros(len(arr), dtype=bool)
    return _own(arr.is_null().to_numpy(), bool)


def _min_max(arr: pa.ChunkedArray) -> tuple[object, object]:
    import pyarrow.compute as pc

    mm = pc.min_max(arr)
    return mm["min"].as_py(), mm["max"].as_py()


def _arrow_text(arr: pa.ChunkedArray, col: Column) -> object | None:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(arr.type):
        if not _plain_dictionary(arr):
            return None
    elif not _is_arrow_text(arr.type):
        return None
    text = pc.cast(arr, pa.large_string())
    if col.kind == "id":
        text = pc.utf8_trim_whitespace(text)
        blank = pc.equal(text, "")
        if pc.any(blank).as_py():
            text = pc.if_else(blank, pa.scalar(None, pa.large_string()), text)
    if text.null_count and not col.nullable:
        return None
    values = pd.arrays.ArrowStringArray(text)
    return pd.Series(values).astype("category") if col.kind == "category" else values


def _arrow_ints(arr: pa.ChunkedArray, rules: tuple[ValueRule, ...]) -> object | None:
    import pandas as pd
    import pyarrow as pa

    if not pa.types.is_integer(arr.type) or arr.type == pa.uint64():
        return None
    if arr.null_count < len(arr):
        lo, hi = _min_max(arr)
        if not extremes_pass(rules, np.array([lo, hi], dtype=np.float64)):
            return None
    data = (arr.fill_null(0) if arr.null_count else arr).to_numpy()
    return pd.arrays.IntegerArray(_own(data, np.int64), _null_mask(arr))


def _arrow_floats(arr: pa.ChunkedArray, col: Column, rules: tuple[ValueRule, ...]
                  ) -> np.ndarray | None:
    import pyarrow as pa

    if not (pa.types.is_float32(arr.type) or pa.types.is_float64(arr.type)):
        return None
    f = _own(arr.to_numpy(), np.float64)
    if not col.nullable and np.isnan(f).any():  # NaN is a missing value
        return None
    return f if extremes_pass(rules, f) else None


def _arrow_times(arr: pa.ChunkedArray, col: Column, rules: tuple[ValueRule, ...]
                 ) -> pd.Series | None:
    """UTC nanosecond times from Arrow timestamps (naive or UTC) or dates that break none
    of ``rules``."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    t = arr.type
    if pa.types.is_timestamp(t) and t.tz in (None, "UTC"):
        unit = f"datetime64[{t.unit}]"
        ints = pc.cast(arr, pa.int64())
    elif pa.types.is_date32(t):
        unit = "datetime64[D]"
        ints = pc.cast(pc.cast(arr, pa.int32()), pa.int64())
    else:
        return None
    if ints.null_count < len(ints):
        lo, hi = _min_max(ints)
        extremes = np.array([lo, hi], dtype=np.int64).view(unit)
        if unit == "datetime64[D]":  # pandas keeps times in s, ms, us or ns
            extremes = extremes.astype("datetime64[s]")
        if not extremes_pass(rules, pd.Series(extremes).dt.tz_localize("UTC")):
            return None
    values = np.asarray((ints.fill_null(0) if ints.null_count else ints).to_numpy(),
                        dtype=np.int64).view(unit)
    ns = values.astype("datetime64[ns]").view(np.int64).copy()
    if col.kind == "date" and unit != "datetime64[D]":
        ns -= ns % _DAY_NS  # every time is after 2006, so this floors to the day
    if ints.null_count:
        ns[_null_mask(ints)] = np.iinfo(np.int64).min  # NaT
    return pd.Series(ns.view("datetime64[ns]")).dt.tz_localize("UTC")


def keys_distinct(t: Typed, key: tuple[str, ...]) -> bool:
    """Prove that no two rows share a key, without hashing every key at once.

    ``False`` means "not proven" (the general check decides). An account key is proven
    by counting ids. For (account, day) the rows of each account must be contiguous
    with days strictly ascending: one pass. For (account, text) the accounts must be
    contiguous; the text is then numbered in batches of whole accounts, whose small
    hash tables stay in cache.
    """
    codes = t.codes
    n = len(codes)
    if key == ("account_id",):
        return len(t.uniques) == n and bool((codes >= 0).all())
    if len(key) != 2 or key[0] != "account_id" or (codes < 0).any():
        return False
    # First-appearance codes ascend exactly when each account's rows are contiguous.
    if (codes[1:] < codes[:-1]).any():
        return False
    other = t.frame[key[1]]
    if other.isna().any():
        return False
    if str(other.dtype).startswith("datetime64"):
        when = other.to_numpy(dtype="datetime64[ns]").view(np.int64)
        return not ((codes[1:] == codes[:-1]) & (when[1:] <= when[:-1])).any()
    starts = np.flatnonzero(codes[1:] != codes[:-1]) + 1
    return _text_keys_distinct(codes, starts, as_arrow(other))


def _text_keys_distinct(codes: np.ndarray, starts: np.ndarray,
                        text: pa.ChunkedArray) -> bool:
    """Whether (account, text) pairs are distinct, for rows grouped by account
    (``starts``: the rows where an account begins)."""
    import pandas as pd
    import pyarrow.compute as pc

    n, begin = len(codes), 0
    while begin < n:
        j = int(np.searchsorted(starts, begin + KEY_BATCH))
        end = int(starts[j]) if j < len(starts) else n
        encoded = pc.dictionary_encode(text.slice(begin, end - begin).combine_chunks())
        k = len(encoded.dictionary)
        if k < end - begin:  # some text repeats in the batch: is it in one account?
            which = encoded.indices.to_numpy(zero_copy_only=False)
            again = np.bincount(which, minlength=k)[which] > 1
            pairs = (codes[begin:end][again] - codes[begin]) * k + which[again]
            if len(pd.unique(pairs)) < len(pairs):
                return False
        begin = end
    return True
