"""Typing a table read as it is stored (the general path): every column converted to its
contract type, vectorised, and every row that breaks a rule found and named.

CSV and JSON Lines tables, and any Parquet table the Arrow path
(:mod:`fakedetect.validate.arrow`) cannot prove clean, are typed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from fakedetect.contract import Column, Table
from fakedetect.io import RawTable
from fakedetect.validate.rules import (
    EXPECTED,
    EXPECTED_PLAIN,
    EXPECTED_VALUE,
    MAX_EXACT_INT,
    apply_value_rules,
    check_duplicates,
    check_sorted,
    factorize,
    value_rules,
)

if TYPE_CHECKING:
    import pandas as pd

    from fakedetect.validate.problems import Collector

_TRUE = frozenset({"1", "true", "t", "yes", "y", "1.0"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "0.0"})
#: Text read as a missing value in number, flag and time columns (never in text columns,
#: where "NA" may be a real username).
_NA_TEXT = frozenset({"", "na", "n/a", "nan", "null", "none", "<na>", "nat"})
#: Bounds of a nanosecond timestamp; anything outside is flagged (before 2006 or in the
#: future) and kept missing in the typed frame.
_NS_MIN, _NS_MAX = "1677-09-22", "2262-04-11"


@dataclass
class Typed:
    """One table after typing: the frame and its accounts as integer codes."""

    raw: RawTable
    frame: pd.DataFrame
    codes: np.ndarray  # position of each row's account_id in ``uniques``; -1 if missing
    uniques: np.ndarray  # distinct account_id values of this table (object array)
    account: np.ndarray | None = None  # position in the dataset's categories; -1 if none


def _is_text(s: pd.Series) -> bool:
    import pandas as pd

    return s.dtype == object or isinstance(s.dtype, pd.StringDtype)


def _plain(s: pd.Series) -> pd.Series:
    """Undo storage encodings: categorical columns become their values."""
    import pandas as pd

    if isinstance(s.dtype, pd.CategoricalDtype):
        return s.astype(s.cat.categories.dtype)
    return s


def _nested_mask(raw: RawTable, s: pd.Series) -> np.ndarray:
    """Cells holding a JSON object or list (only looked at in columns known to have any)."""
    if s.name not in raw.nested:
        return np.zeros(len(s), dtype=bool)
    return s.map(lambda v: isinstance(v, dict | list | np.ndarray)).to_numpy(dtype=bool)


def _missing(s: pd.Series, kind: str) -> np.ndarray:
    missing = s.isna().to_numpy(dtype=bool)
    if kind not in {"id", "string", "category"} and _is_text(s):
        text = s.astype("string").str.strip().str.lower()
        missing = missing | text.isin(_NA_TEXT).fillna(False).to_numpy(dtype=bool)
    elif kind == "id" and _is_text(s):
        blank = (s.astype("string").str.strip() == "").fillna(False).to_numpy(dtype=bool)
        missing = missing | blank
    return missing


def as_text(s: pd.Series, nested: np.ndarray) -> pd.Series:
    """Any column as ``string``; whole floats lose their ``.0`` (ids read as numbers).

    Parameters
    ----------
    s : pandas.Series
        A column as read (text, numbers, flags or a mix).
    nested : numpy.ndarray
        Cells holding a JSON object or list; they become missing.

    Returns
    -------
    pandas.Series
        ``string`` dtype; booleans as ``true``/``false``; missing stays missing.
    """
    import pandas as pd

    if pd.api.types.is_float_dtype(s):
        f = s.to_numpy(dtype="float64", na_value=np.nan)
        whole = np.isfinite(f) & (np.floor(f) == f) & (np.abs(f) < MAX_EXACT_INT)
        out = s.astype("string")
        if whole.any():
            out[whole] = pd.array(f[whole].astype(np.int64)).astype("string")
        return out
    if s.dtype == object:
        s = s.where(~nested, None)
        is_float = s.map(lambda v: isinstance(v, float)).to_numpy(dtype=bool)
        if is_float.any():
            s = s.copy()
            s[is_float] = as_text(s[is_float].astype("float64"), nested[is_float])
        is_bool = s.map(lambda v: isinstance(v, bool | np.bool_)).to_numpy(dtype=bool)
        if is_bool.any():
            s = s.copy()
            s[is_bool] = s[is_bool].map(lambda v: "true" if v else "false")
    return s.astype("string")


def _numbers(s: pd.Series, missing: np.ndarray, nested: np.ndarray
             ) -> tuple[np.ndarray, pd.Series | None]:
    """Float values of a column (NaN where missing or not a number), and exact integers
    when the column is stored as integers."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(s):
        return s.astype("Float64").to_numpy(dtype="float64", na_value=np.nan), None
    if pd.api.types.is_integer_dtype(s):
        exact = s.astype("Int64") if s.dtype != np.uint64 or s.max() < 2**63 else None
        return s.to_numpy(dtype="float64", na_value=np.nan), exact
    if pd.api.types.is_float_dtype(s):
        return s.to_numpy(dtype="float64", na_value=np.nan), None
    if pd.api.types.is_datetime64_any_dtype(s) or pd.api.types.is_timedelta64_dtype(s):
        return np.full(len(s), np.nan), None
    text = as_text(s, nested).str.strip()
    text = text.mask(missing | nested)
    num = pd.to_numeric(text, errors="coerce")
    return np.asarray(pd.Series(num).to_numpy(dtype="float64", na_value=np.nan)), None



@dataclass
class Coerced:
    """A column converted to its contract type, and what went wrong on the way."""

    values: pd.Series | None  # ``None`` for integers: built once the value rules ran
    missing: np.ndarray
    bad: np.ndarray  # present but not of the right type
    nested: np.ndarray
    numbers: np.ndarray | None = None  # numbers as floats, NaN where missing or bad
    exact: pd.Series | None = None  # integers as stored, when stored as integers


def coerce(raw: RawTable, col: Column) -> Coerced:
    """Convert one column to its contract type, vectorised.

    Parameters
    ----------
    raw : RawTable
        The table as read.
    col : Column
        A contract column that the table has.

    Returns
    -------
    Coerced
    """
    import pandas as pd

    s = _plain(raw.frame[col.name])
    nested = _nested_mask(raw, s)
    missing = _missing(s, col.kind) & ~nested
    none = np.zeros(len(s), dtype=bool)
    kind = col.kind
    if kind in {"id", "string", "category"}:
        text = as_text(s, nested)
        if kind == "id":
            text = text.str.strip()
        text = text.mask(missing | nested)
        if kind == "category":
            return Coerced(text.astype("category"), missing, none, nested)
        return Coerced(text, missing, none, nested)
    if kind in {"int", "float"}:
        f, exact = _numbers(s, missing, nested)
        bad = ~missing & ~nested & np.isnan(f)
        if kind == "int":
            finite = np.isfinite(f)
            bad = bad | np.isinf(f) | (finite & (np.floor(np.where(finite, f, 0)) != f))
        return Coerced(None, missing, bad, nested, numbers=np.where(bad, np.nan, f),
                       exact=exact)
    if kind == "bool":
        if pd.api.types.is_bool_dtype(s):
            return Coerced(s.astype("boolean"), missing, none, nested)
        if pd.api.types.is_numeric_dtype(s):
            f, _ = _numbers(s, missing, nested)
            is_true, is_false = f == 1, f == 0
        else:
            text = as_text(s, nested).str.strip().str.lower()
            is_true = text.isin(_TRUE).fillna(False).to_numpy(dtype=bool)
            is_false = text.isin(_FALSE).fillna(False).to_numpy(dtype=bool)
        ok = is_true | is_false
        bad = ~missing & ~nested & ~ok
        values = pd.Series(pd.arrays.BooleanArray(is_true, ~ok), index=s.index, name=col.name)
        return Coerced(values, missing, bad, nested)
    ts = _timestamps(s, missing, nested)
    bad = ~missing & ~nested & ts.isna().to_numpy(dtype=bool)
    return Coerced(ts.rename(col.name), missing, bad, nested)


def _integers(c: Coerced, dropped: np.ndarray, index: pd.Index, name: str) -> pd.Series:
    """The ``Int64`` values of an integer column, missing where missing, bad or dropped
    by a value rule."""
    import pandas as pd

    assert c.numbers is not None
    f = c.numbers
    ok = np.isfinite(f) & ~dropped
    if c.exact is not None:
        values = c.exact.mask(~ok)
    else:
        values = pd.Series(pd.arrays.IntegerArray(np.where(ok, f, 0).astype(np.int64), ~ok),
                           index=index)
    return values.rename(name)


def _timestamps(s: pd.Series, missing: np.ndarray, nested: np.ndarray) -> pd.Series:
    """UTC timestamps (any resolution) from native times, ISO 8601 text or Unix seconds."""
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(s):
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            return s.dt.tz_convert("UTC")
        return s.dt.tz_localize("UTC")
    if pd.api.types.is_bool_dtype(s):
        return pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns, UTC]")
    if pd.api.types.is_numeric_dtype(s):
        return _from_seconds(_numbers(s, missing, nested)[0], s.index)
    text = as_text(s, nested).str.strip().mask(missing | nested)
    ts = pd.to_datetime(text, utc=True, errors="coerce", format="ISO8601")
    retry = ~missing & ~nested & ts.isna().to_numpy(dtype=bool)
    if retry.any():
        seconds = pd.to_numeric(text[retry], errors="coerce")
        from_num = _from_seconds(np.asarray(seconds, dtype="float64"), text.index[retry])
        ts[retry] = from_num.astype(ts.dtype)
    return ts


def _from_seconds(f: np.ndarray, index: pd.Index) -> pd.Series:
    import pandas as pd

    # Beyond +-9.2e9 s the value would overflow nanoseconds; such a number is flagged.
    ok = np.isfinite(f) & (np.abs(f) < 9.2e9)
    ts = pd.to_datetime(np.where(ok, f, np.nan), unit="s", utc=True)
    return pd.Series(ts, index=index)


# ----------------------------------------------------------------------------- rules



def check_table(raw: RawTable, table: Table, sink: Collector,
                now: pd.Timestamp) -> Typed | None:
    """Type one table and report every problem of its columns, keys and order.

    Parameters
    ----------
    raw : RawTable
        The table as read.
    table : Table
        Its contract.
    sink : Collector
        Where the problems go.
    now : pandas.Timestamp
        The present, for the "not in the future" rule.

    Returns
    -------
    Typed or None
        ``None`` if the table is unusable (it has no ``account_id`` column).
    """
    import pandas as pd

    missing_cols = [c.name for c in table.columns if c.required and c.name not in raw.frame]
    for name in missing_cols:
        found = ", ".join(map(repr, list(raw.frame.columns)[:12]))
        more = ", ..." if len(raw.frame.columns) > 12 else ""
        sink.whole(table.name, raw.path, "missing required column",
                   f"expected a column {name!r}; the file has {found}{more}",
                   column=name, row_word=raw.row_word)
    if "account_id" in missing_cols:
        return None
    acc = coerce(raw, table.column("account_id"))
    assert acc.values is not None
    codes, uniques = factorize(acc.values)
    typed = Typed(raw=raw, frame=pd.DataFrame(index=raw.frame.index), codes=codes,
                  uniques=uniques)
    out: dict[str, pd.Series] = {}
    for col in table.columns:
        if col.name not in raw.frame:
            out[col.name] = empty_column(col, raw.frame.index)
            continue
        c = acc if col.name == "account_id" else coerce(raw, col)
        found = raw.frame[col.name]
        sink.cells(typed, col.name, c.nested, found, "wrong type", EXPECTED_PLAIN)
        sink.cells(typed, col.name, c.bad, found, "wrong type", EXPECTED[col.kind])
        if not col.nullable:
            sink.cells(typed, col.name, c.missing, found, "missing value", EXPECTED_VALUE)
        rules = value_rules(col, now)
        if c.numbers is not None:
            dropped = apply_value_rules(typed, col, c.numbers, found, rules, sink)
            if col.kind == "int":
                values = _integers(c, dropped, raw.frame.index, col.name)
            else:
                values = pd.Series(np.where(dropped, np.nan, c.numbers),
                                   index=raw.frame.index, name=col.name)
        else:
            assert c.values is not None
            values = c.values
            if rules:
                apply_value_rules(typed, col, values, found, rules, sink)
                values = _to_ns(values, col.kind)
        out[col.name] = values
    frame = pd.DataFrame(out, index=raw.frame.index)
    for extra in raw.frame.columns:
        if extra not in frame:
            frame[extra] = raw.frame[extra]
    typed.frame = frame.reset_index(drop=True)
    if table.key:
        check_duplicates(typed, table, sink)
    if table.name == "snapshots" and "date" in raw.frame:
        check_sorted(typed, sink)
    return typed


def empty_column(col: Column, index: pd.Index) -> pd.Series:
    """An all-missing column of the contract type, for an optional column not in the file.

    Parameters
    ----------
    col : Column
        A contract column.
    index : pandas.Index
        The table's index.

    Returns
    -------
    pandas.Series
        Typed as validation types ``col`` (``float64``, ``Int64``, ``boolean``,
        ``string``, ``category`` or ``datetime64[ns, UTC]``).
    """
    import pandas as pd

    if col.kind == "float":
        return pd.Series(np.nan, index=index, name=col.name, dtype="float64")
    if col.kind in {"timestamp", "date"}:
        return pd.Series(pd.NaT, index=index, name=col.name, dtype="datetime64[ns, UTC]")
    dtype = {"int": "Int64", "bool": "boolean"}.get(col.kind, "string")
    out = pd.Series(pd.NA, index=index, name=col.name, dtype=dtype)
    return out.astype("category") if col.kind == "category" else out


def _to_ns(values: pd.Series, kind: str) -> pd.Series:
    """Nanosecond UTC times; values outside that range (already flagged) become NaT."""
    import pandas as pd

    inside = (values >= pd.Timestamp(_NS_MIN, tz="UTC")) & (
        values < pd.Timestamp(_NS_MAX, tz="UTC"))
    out = values.where(inside).astype("datetime64[ns, UTC]")
    return out.dt.floor("D") if kind == "date" else out
