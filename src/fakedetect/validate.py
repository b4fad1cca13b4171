"""Check a dataset against the contract and load it as typed frames.

Every problem is collected before anything is reported, so a user fixes a file once, not
once per error. Problems are grouped by table, rule and column; each group keeps its exact
count, a few examples (each naming the file, the row (the line number in CSV and JSON
Lines), the column, what was found and what was expected) and, for lenient mode, every
account it concerns. All checks are vectorised: the only per-row Python work is writing
the few examples shown.

In lenient mode the accounts that have a problem are dropped from every table and listed,
with the reason, in a rejects table; no account disappears silently.

A Parquet table whose columns are already stored in their contract types is typed
straight from Arrow (:func:`_check_arrow`): null counts and minimum/maximum prove that no
column rule can fail, keys and snapshot order are proven in one pass over rows grouped
by account, and nothing is converted twice. Any table where that proof fails, and every
CSV and JSON Lines table, goes through the general path, which finds and names each
problem; both paths give the same frames and the same problems.
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from fakedetect.contract import EARLIEST, REFERENCING, RULES, TABLES, Column, Table
from fakedetect.errors import UserError
from fakedetect.io import FileError, RawTable, arrow_frame, find_tables, read_raw
from fakedetect.treeshap import kernel_threads

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

#: Examples shown per group of identical problems before "... and N more".
EXAMPLES_PER_GROUP = 5
#: Tables read and fast-checked at the same time.
READ_THREADS = 2
#: From this many rows on, (account, text) keys are proven distinct by compiled code
#: (importing numba costs a few tenths of a second, more than small tables need).
COMPILED_KEY_ROWS = 200_000
#: Groups shown in a message before "... and N more groups".
GROUPS_SHOWN = 40
#: Largest whole number stored exactly (as a float, as LightGBM and numpy see it).
MAX_EXACT_INT = 2**53

_TRUE = frozenset({"1", "true", "t", "yes", "y", "1.0"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "0.0"})
#: Text read as a missing value in number, flag and time columns (never in text columns,
#: where "NA" may be a real username).
_NA_TEXT = frozenset({"", "na", "n/a", "nan", "null", "none", "<na>", "nat"})
_EXPECTED = {
    "id": "a plain text or number",
    "string": "a plain text or number",
    "category": "a plain text or number",
    "int": "a whole number",
    "float": "a number",
    "bool": "a flag (1/0, true/false, yes/no)",
    "timestamp": "an ISO 8601 timestamp (2024-05-01T12:30:00Z) or Unix seconds",
    "date": "a date (YYYY-MM-DD)",
}
#: Bounds of a nanosecond timestamp; anything outside is flagged (before 2006 or in the
#: future) and kept missing in the typed frame.
_NS_MIN, _NS_MAX = "1677-09-22", "2262-04-11"

#: Type Parquet tables straight from Arrow when their columns already have the contract
#: types (see :func:`_check_arrow`). ``False`` sends every table through the general path,
#: which the tests compare the fast one against.
_FAST = True
#: Rows per batch (rounded up to whole accounts) when proving text keys distinct.
_KEY_BATCH = 16_384
_NS_PER_UNIT = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}
_DAY_NS = 86_400 * 10**9

Scope = Literal["dataset", "table", "row"]
REJECT_COLUMNS = ("account_id", "dropped", "table", "row", "column", "rule", "reason",
                  "problems")


@dataclass(frozen=True)
class Problem:
    """One violation of the contract (one example of a :class:`ProblemGroup`).

    Attributes
    ----------
    table : str
        Contract table name (``dataset`` for a problem of the whole folder).
    file : str
        The file, or the dataset folder for problems of the whole dataset.
    rule : str
        Rule name, a key of :data:`fakedetect.contract.RULES`.
    message : str
        What was found and what was expected.
    row : int or None
        Line number (CSV, JSON Lines) or 1-based row (Parquet); ``None`` for a whole file.
    column : str or None
        The column, ``None`` for a whole row or file.
    account_id : str or None
        The account the row belongs to, when known.
    row_word : str
        ``line`` or ``row``.
    """

    table: str
    file: str
    rule: str
    message: str
    row: int | None = None
    column: str | None = None
    account_id: str | None = None
    row_word: str = "line"

    def where(self) -> str:
        """``file line N, column 'C'`` as far as known."""
        parts = [self.file]
        if self.row is not None:
            parts.append(f"{self.row_word} {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)


@dataclass(frozen=True)
class ProblemGroup:
    """Every occurrence of one rule in one column of one table.

    Attributes
    ----------
    table, file, rule, column, row_word :
        As in :class:`Problem`.
    scope : {"dataset", "table", "row"}
        What the problem spoils: the whole dataset, one table, or single rows.
    count : int
        Exact number of occurrences (rows, or 1 for a file).
    examples : tuple of Problem
        The first occurrences, at most :data:`EXAMPLES_PER_GROUP`.
    accounts : pandas.DataFrame or None
        For row problems, one row per account concerned: ``account_id``, ``row`` (its
        first occurrence), ``found`` (the value there) and ``n`` (occurrences).
    loose_rows : numpy.ndarray or None
        Row numbers of occurrences in rows without an ``account_id``.
    expected : str
        What was expected, as in the messages.
    """

    table: str
    file: str
    rule: str
    column: str | None
    scope: Scope
    count: int
    examples: tuple[Problem, ...]
    row_word: str = "line"
    accounts: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    loose_rows: np.ndarray | None = field(default=None, repr=False, compare=False)
    expected: str = ""

    @property
    def key(self) -> tuple[str, str, str | None]:
        """``(table, rule, column)``, what a group is identified by."""
        return (self.table, self.rule, self.column)


class ContractError(UserError):
    """The dataset breaks the contract; carries every problem found.

    Parameters
    ----------
    path : Path
        The dataset folder.
    groups : list of ProblemGroup
        Everything that is wrong.
    lenient : bool, default False
        Whether lenient mode already failed (changes the hint).

    Attributes
    ----------
    groups : list of ProblemGroup
    problems : list of Problem
        The examples of every group, in order.
    count : int
        Exact number of problems.
    """

    def __init__(self, path: Path, groups: list[ProblemGroup], *,
                 lenient: bool = False) -> None:
        self.path = path
        self.groups = groups
        self.problems = [p for g in groups for p in g.examples]
        self.count = sum(g.count for g in groups)
        hint = ("fix the files listed, or pass --lenient to drop the accounts with "
                "problems and list them in a rejects file")
        if lenient:
            hint = ("fix the files listed: --lenient drops accounts and optional tables, "
                    "not a problem of the folder or of the accounts file as a whole")
        super().__init__(format_problems(path, groups), hint=hint)


def format_problems(path: Path, groups: list[ProblemGroup],
                    per_group: int = EXAMPLES_PER_GROUP,
                    max_groups: int = GROUPS_SHOWN) -> str:
    """Render problem groups as text, with examples capped per group.

    Parameters
    ----------
    path : Path
        The dataset folder, for the heading.
    groups : list of ProblemGroup
    per_group : int
        Examples shown per group.
    max_groups : int
        Groups shown before the rest are only counted.

    Returns
    -------
    str
        A heading with the totals, then per group a line ``- table: rule, column 'c'
        (N rows)`` followed by its examples.
    """
    total = sum(g.count for g in groups)
    lines = [f"{path}: {total:,} problem(s) in {len(groups)} group(s)"]
    for g in groups[:max_groups]:
        col = f", column {g.column!r}" if g.column else ""
        unit = g.row_word if g.scope == "row" else "file"
        plural = "" if g.count == 1 else "s"
        lines.append(f"- {g.table}: {g.rule}{col} ({g.count:,} {unit}{plural})")
        for p in g.examples[:per_group]:
            lines.append(f"    {p.where()}: {p.message}")
        if g.count > min(per_group, len(g.examples)) and g.scope == "row":
            lines.append(f"    ... and {g.count - min(per_group, len(g.examples)):,} more "
                         "like this")
    if len(groups) > max_groups:
        lines.append(f"... and {len(groups) - max_groups} more group(s)")
    return "\n".join(lines)


@dataclass
class Dataset:
    """A loaded dataset: typed frames keyed by ``account_id``.

    ``account_id`` is a categorical column in every table with the same categories (the
    kept accounts' ids, sorted), so ``frame["account_id"].cat.codes`` indexes accounts
    consistently across tables; the accounts table is in that order, so a code is also
    the account's row. Every contract column is present (an optional column the
    file lacks is all missing); integers are ``Int64``, flags ``boolean``, numbers
    ``float64`` (missing is NaN), text ``string``, times ``datetime64[ns, UTC]``; other
    columns of the files follow, as read. Snapshots are sorted by account and date, posts
    by account and ``posted_at``, accounts by id; other tables keep the file's order.

    Attributes
    ----------
    path : Path
        Where it was loaded from.
    tables : dict
        Table name to frame; absent optional tables are missing from the dict.
    rejects : pandas.DataFrame
        What lenient mode dropped (columns :data:`REJECT_COLUMNS`); empty otherwise.
    files : dict
        Table name to the file it was read from.
    problems : list of ProblemGroup
        The problems lenient mode worked around; empty otherwise.
    """

    path: Path
    tables: dict[str, pd.DataFrame]
    rejects: pd.DataFrame
    files: dict[str, Path] = field(default_factory=dict)
    problems: list[ProblemGroup] = field(default_factory=list)

    @property
    def accounts(self) -> pd.DataFrame:
        """The accounts table."""
        return self.tables["accounts"]

    @property
    def account_ids(self) -> pd.Index:
        """Account ids in the shared category order."""
        return self.tables["accounts"]["account_id"].cat.categories

    def get(self, name: str) -> pd.DataFrame | None:
        """The table called ``name``, or ``None`` if the dataset has none."""
        return self.tables.get(name)


# ------------------------------------------------------------------------ collection


@dataclass
class _Typed:
    """One table after typing: the frame and its accounts as integer codes."""

    raw: RawTable
    frame: pd.DataFrame
    codes: np.ndarray  # position of each row's account_id in ``uniques``; -1 if missing
    uniques: np.ndarray  # distinct account_id values of this table (object array)
    account: np.ndarray | None = None  # position in the dataset's categories; -1 if none
    # ``account`` as a categorical of the dataset's ids, and whether the rows are in the
    # final order: computed on the table's reading thread when it can be (see _frames)
    final: tuple[pd.Categorical, bool] | None = None


class _Collector:
    """Problem groups in the order found, merged by (table, rule, column)."""

    def __init__(self) -> None:
        self.groups: dict[tuple[str, str, str | None], ProblemGroup] = {}

    def add(self, group: ProblemGroup) -> None:
        if group.rule not in RULES:  # a bug, not a user mistake
            raise KeyError(f"rule {group.rule!r} is not documented in contract.RULES")
        old = self.groups.get(group.key)
        if old is None:
            self.groups[group.key] = group
            return
        import pandas as pd

        frames = [f for f in (old.accounts, group.accounts) if f is not None]
        accounts = None
        if frames:
            both = pd.concat(frames, ignore_index=True)
            n = both.groupby("account_id", sort=False)["n"].sum()
            accounts = both.drop_duplicates("account_id").assign(
                n=lambda f: f["account_id"].map(n).to_numpy())
        loose = [x for x in (old.loose_rows, group.loose_rows) if x is not None]
        self.groups[group.key] = replace(
            old, count=old.count + group.count,
            examples=(old.examples + group.examples)[:EXAMPLES_PER_GROUP],
            accounts=accounts, loose_rows=np.concatenate(loose) if loose else None)

    def whole(self, table: str, file: Path | str, rule: str, message: str, *,
              scope: Scope = "table", row: int | None = None, column: str | None = None,
              row_word: str = "line") -> None:
        """A problem of a whole file or of the dataset."""
        p = Problem(table=table, file=str(file), rule=rule, message=message, row=row,
                    column=column, row_word=row_word)
        self.add(ProblemGroup(table=table, file=str(file), rule=rule, column=column,
                              scope=scope, count=1, examples=(p,), row_word=row_word))

    def cells(self, t: _Typed, column: str | None, mask: np.ndarray,
              values: pd.Series | None, rule: str, expected: str) -> None:
        """Problems of the rows where ``mask`` is true (``values`` are shown as found)."""
        import pandas as pd

        idx = np.flatnonzero(mask)
        if idx.size == 0:
            return
        raw = t.raw
        examples = []
        for i in idx[:EXAMPLES_PER_GROUP]:
            found = "" if values is None else f"found {_show(values.iloc[i], raw.fmt)}; "
            code = t.codes[i]
            examples.append(Problem(
                table=raw.name, file=str(raw.path), rule=rule,
                message=f"{found}expected {expected}", row=int(raw.rows[i]), column=column,
                account_id=None if code < 0 else str(t.uniques[code]),
                row_word=raw.row_word))
        codes = t.codes[idx]
        named = codes >= 0
        uniq, first, n = np.unique(codes[named], return_index=True, return_counts=True)
        pos = idx[named][first]
        if values is None:
            found_text = np.full(len(pos), "", dtype=object)
        else:
            shown = values.iloc[pos].astype("string")
            found_text = shown.fillna("missing").to_numpy(dtype=object)
        accounts = pd.DataFrame({
            "account_id": t.uniques[uniq].astype(str),
            "row": raw.rows[pos],
            "found": found_text,
            "n": n.astype(np.int64),
        })
        self.add(ProblemGroup(
            table=raw.name, file=str(raw.path), rule=rule, column=column, scope="row",
            count=int(idx.size), examples=tuple(examples), row_word=raw.row_word,
            accounts=accounts, loose_rows=raw.rows[idx[~named]], expected=expected))

    def result(self) -> list[ProblemGroup]:
        return list(self.groups.values())


def _show(value: object, fmt: str) -> str:
    """A found value as a user would recognise it in the file."""
    import pandas as pd

    if isinstance(value, dict | list | np.ndarray):
        kind = "object" if isinstance(value, dict) else "list"
        text = repr(value if not isinstance(value, np.ndarray) else value.tolist())
        return f"a nested JSON {kind} {text[:40]}{'...' if len(text) > 40 else ''}"
    if isinstance(value, float) and np.isnan(value) and fmt != "csv":
        return "NaN"
    try:
        if pd.isna(value):
            return "an empty cell" if fmt == "csv" else "null"
    except (TypeError, ValueError):
        pass
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --------------------------------------------------------------------------- typing


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


def _as_text(s: pd.Series, nested: np.ndarray) -> pd.Series:
    """Any column as ``string``; whole floats lose their ``.0`` (ids read as numbers)."""
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
            s[is_float] = _as_text(s[is_float].astype("float64"), nested[is_float])
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
    text = _as_text(s, nested).str.strip()
    text = text.mask(missing | nested)
    num = pd.to_numeric(text, errors="coerce")
    return np.asarray(pd.Series(num).to_numpy(dtype="float64", na_value=np.nan)), None


@dataclass
class _Column:
    """A typed column and what went wrong while typing it."""

    values: pd.Series
    missing: np.ndarray
    bad: np.ndarray  # present but not of the right type
    nested: np.ndarray
    too_large: np.ndarray | None = None
    infinite: np.ndarray | None = None


def _coerce(raw: RawTable, col: Column) -> _Column:
    """Convert one column to its contract type, vectorised."""
    import pandas as pd

    s = _plain(raw.frame[col.name])
    nested = _nested_mask(raw, s)
    missing = _missing(s, col.kind) & ~nested
    none = np.zeros(len(s), dtype=bool)
    kind = col.kind
    if kind in {"id", "string", "category"}:
        text = _as_text(s, nested)
        if kind == "id":
            text = text.str.strip()
        text = text.mask(missing | nested)
        if kind == "category":
            return _Column(text.astype("category"), missing, none, nested)
        return _Column(text, missing, none, nested)
    if kind in {"int", "float"}:
        f, exact = _numbers(s, missing, nested)
        finite = np.isfinite(f)
        bad = ~missing & ~nested & np.isnan(f)
        if kind == "float":
            infinite = np.isinf(f)
            f = np.where(finite, f, np.nan)
            return _Column(pd.Series(f, index=s.index, name=col.name), missing, bad, nested,
                           infinite=infinite)
        bad = bad | np.isinf(f) | (finite & (np.floor(np.where(finite, f, 0)) != f))
        too_large = finite & ~bad & (np.abs(np.where(finite, f, 0)) > MAX_EXACT_INT)
        ok = finite & ~bad & ~too_large
        if exact is not None:
            values = exact.mask(~ok)
        else:
            values = pd.Series(pd.arrays.IntegerArray(np.where(ok, f, 0).astype(np.int64),
                                                      ~ok), index=s.index)
        return _Column(values.rename(col.name), missing, bad, nested, too_large=too_large)
    if kind == "bool":
        if pd.api.types.is_bool_dtype(s):
            values = s.astype("boolean")
            return _Column(values, missing, none, nested)
        if pd.api.types.is_numeric_dtype(s):
            f, _ = _numbers(s, missing, nested)
            is_true, is_false = f == 1, f == 0
        else:
            text = _as_text(s, nested).str.strip().str.lower()
            is_true = text.isin(_TRUE).fillna(False).to_numpy(dtype=bool)
            is_false = text.isin(_FALSE).fillna(False).to_numpy(dtype=bool)
        ok = is_true | is_false
        bad = ~missing & ~nested & ~ok
        values = pd.Series(pd.arrays.BooleanArray(is_true, ~ok), index=s.index, name=col.name)
        return _Column(values, missing, bad, nested)
    ts = _timestamps(s, missing, nested)
    bad = ~missing & ~nested & ts.isna().to_numpy(dtype=bool)
    return _Column(ts.rename(col.name), missing, bad, nested)


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
    text = _as_text(s, nested).str.strip().mask(missing | nested)
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


def _check_table(raw: RawTable, table: Table, sink: _Collector,
                 now: pd.Timestamp) -> _Typed | None:
    """Type one table and check its column rules; ``None`` if it is unusable."""
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
    acc = _coerce(raw, table.column("account_id"))
    codes, uniques = _factorize(acc.values)
    typed = _Typed(raw=raw, frame=pd.DataFrame(index=raw.frame.index), codes=codes,
                   uniques=uniques)
    out: dict[str, pd.Series] = {}
    earliest = pd.Timestamp(EARLIEST, tz="UTC")
    for col in table.columns:
        if col.name not in raw.frame:
            out[col.name] = _empty(col, raw.frame.index)
            continue
        c = acc if col.name == "account_id" else _coerce(raw, col)
        found = raw.frame[col.name]
        sink.cells(typed, col.name, c.nested, found, "wrong type",
                   "a plain value, not a nested object or list")
        sink.cells(typed, col.name, c.bad, found, "wrong type", _EXPECTED[col.kind])
        if not col.nullable:
            sink.cells(typed, col.name, c.missing, found, "missing value",
                       "a value; this column may not be missing")
        if c.too_large is not None:
            sink.cells(typed, col.name, c.too_large, found, "integer too large",
                       f"a whole number of at most {MAX_EXACT_INT:,} in size")
        if c.infinite is not None:
            sink.cells(typed, col.name, c.infinite, found, "infinite value",
                       "a finite number")
        values = c.values
        if col.kind in {"int", "float"}:
            _check_range(typed, col, values, found, sink)
        if col.kind in {"timestamp", "date"}:
            present = values.notna().to_numpy(dtype=bool)
            early = present & (values < earliest).to_numpy(dtype=bool)
            late = present & (values > now).to_numpy(dtype=bool)
            sink.cells(typed, col.name, early, found, "timestamp before 2006",
                       f"a time on or after {EARLIEST}")
            sink.cells(typed, col.name, late, found, "timestamp in the future",
                       "a time that is not in the future")
            values = _to_ns(values, col.kind)
        out[col.name] = values
    frame = pd.DataFrame(out, index=raw.frame.index)
    for extra in raw.frame.columns:
        if extra not in frame:
            frame[extra] = raw.frame[extra]
    typed.frame = frame.reset_index(drop=True)
    if table.key:
        _check_duplicates(typed, table, sink)
    if table.name == "snapshots" and "date" in raw.frame:
        _check_sorted(typed, sink)
    return typed


def _empty(col: Column, index: pd.Index) -> pd.Series:
    """An all-missing column of the contract type, for an optional column not in the file."""
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


def _check_range(t: _Typed, col: Column, values: pd.Series, found: pd.Series,
                 sink: _Collector) -> None:
    f = values.to_numpy(dtype="float64", na_value=np.nan)
    if col.minimum == 0 and col.maximum == 1 and col.kind == "int":
        outside = (f < 0) | (f > 1)
        sink.cells(t, col.name, outside, found, "not 0/1", "0 or 1")
        return
    if col.minimum is not None:
        rule = "negative count" if col.minimum == 0 and col.unit == "count" else (
            "below minimum")
        sink.cells(t, col.name, f < col.minimum, found, rule,
                   f"a value of at least {col.minimum:g}")
    if col.maximum is not None:
        sink.cells(t, col.name, f > col.maximum, found, "above maximum",
                   f"a value of at most {col.maximum:g}")


def _factorize(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    import pandas as pd

    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64), np.asarray(uniques, dtype=object)


def _key_codes(t: _Typed, key: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
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


def _check_duplicates(t: _Typed, table: Table, sink: _Collector) -> None:
    import pandas as pd

    codes, complete = _key_codes(t, table.key)
    dup = pd.Series(codes).duplicated(keep="first").to_numpy(dtype=bool) & complete
    keys = " + ".join(table.key)
    sink.cells(t, None, dup, None, "duplicate key",
               f"one row per {keys}; an earlier row has the same {keys}")


def _check_sorted(t: _Typed, sink: _Collector) -> None:
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


def _account_lookup(categories: pd.Index, uniques: np.ndarray) -> np.ndarray:
    """Position in ``categories`` of each of a table's distinct ids (-1: unknown)."""
    if not len(uniques):
        return np.empty(0, dtype=np.int64)
    return categories.get_indexer(uniques.astype(str))


def _map_accounts(name: str, t: _Typed, lookup: np.ndarray) -> np.ndarray | None:
    """Set ``t.account`` from the table's id ``lookup``; the rows naming an unknown
    account (``None`` when the table cannot have any)."""
    shifted = np.append(lookup, -1)  # a missing id (code -1) maps to -1
    t.account = shifted[t.codes] if _FAST else np.where(t.codes >= 0, shifted[t.codes], -1)
    if name in REFERENCING and not (_FAST and (lookup >= 0).all()):
        return (t.codes >= 0) & (t.account < 0)
    return None


def _check_references(typed: dict[str, _Typed], categories: pd.Index,
                      sink: _Collector, mapped: dict[str, np.ndarray | None] | None = None,
                      unknown_posts: np.ndarray | None = None) -> None:
    """Every table's account_id must be an account; every comment's post a post.

    ``mapped`` holds the tables whose ``account`` is already set (with their rows of
    unknown accounts), ``unknown_posts`` the comments on unknown posts when already
    found; the problems are reported here, in table order, either way.
    """
    mapped = mapped or {}
    known: tuple[np.ndarray, np.ndarray] | None = None  # the accounts' (uniques, lookup)
    for name, t in typed.items():
        if name in mapped:
            unknown = mapped[name]
        else:
            if known is not None and _same_ids(known[0], t.uniques):
                lookup = known[1]  # tables of one export usually list the ids in one order
            else:
                lookup = _account_lookup(categories, t.uniques)
            if known is None:
                known = (t.uniques, lookup)
            unknown = _map_accounts(name, t, lookup)
        if unknown is not None:
            sink.cells(t, "account_id", unknown, t.frame["account_id"], "unknown account",
                       "an account_id listed in the accounts table")
    posts, comments = typed.get("posts"), typed.get("comments")
    if posts is not None and comments is not None:
        if unknown_posts is None:
            unknown_posts = _comments_on_unknown_posts(posts, comments)
        sink.cells(comments, "post_id", unknown_posts, comments.frame["post_id"],
                   "unknown post", "a post_id that the posts table lists for this account")


def _same_ids(a: np.ndarray, b: np.ndarray) -> bool:
    return _FAST and len(a) == len(b) and bool((a == b).all())


def _comments_on_unknown_posts(posts: _Typed, comments: _Typed) -> np.ndarray:
    """Comments whose (account, post_id) the posts table lacks."""
    assert posts.account is not None and comments.account is not None
    unknown = _unknown_posts_arrow(posts, comments) if _FAST else None
    return _unknown_posts(posts, comments) if unknown is None else unknown


def _unknown_posts(posts: _Typed, comments: _Typed) -> np.ndarray:
    """Comments whose (account, post_id) the posts table lacks, by a merge."""
    import pandas as pd

    assert posts.account is not None and comments.account is not None
    known = pd.DataFrame({"a": posts.account, "p": posts.frame["post_id"].to_numpy()})
    known = known[known["a"] >= 0].dropna().drop_duplicates()
    asked = pd.DataFrame({"a": comments.account, "p": comments.frame["post_id"].to_numpy()})
    merged = asked.merge(known.assign(hit=True), on=["a", "p"], how="left")
    return (comments.account >= 0) & comments.frame["post_id"].notna().to_numpy(bool) & (
        merged["hit"].isna().to_numpy(dtype=bool))


def _unknown_posts_arrow(posts: _Typed, comments: _Typed) -> np.ndarray | None:
    """As :func:`_unknown_posts`, with post ids numbered by Arrow and pairs compared as
    integers; ``None`` if the pair numbers could overflow."""
    import pandas as pd
    import pyarrow.compute as pc

    assert posts.account is not None and comments.account is not None
    pid = _arrow_of(posts.frame["post_id"])
    cid = _arrow_of(comments.frame["post_id"])
    values = pc.unique(pid)
    size = len(values) + 1
    top = max(int(posts.account.max(initial=0)), int(comments.account.max(initial=0))) + 1
    if top * size >= 2**62:
        return None
    where_p = pc.index_in(pid, value_set=values).fill_null(-1).to_numpy().astype(np.int64)
    where_c = pc.index_in(cid, value_set=values).fill_null(-1).to_numpy().astype(np.int64)
    known = (posts.account >= 0) & pid.is_valid().to_numpy(zero_copy_only=False)
    asked = (comments.account >= 0) & cid.is_valid().to_numpy(zero_copy_only=False)
    pairs = posts.account[known] * size + where_p[known]
    wanted = comments.account * size + where_c
    hit = (where_c >= 0) & pd.Series(wanted).isin(pairs).to_numpy(dtype=bool)
    return asked & ~hit


# ------------------------------------------------------------------ Arrow fast path


def _check_arrow(raw: RawTable, table: Table, sink: _Collector,
                 now: pd.Timestamp) -> _Typed | None:
    """Type a Parquet table straight from Arrow when no column rule can fail.

    Every contract column must be stored in its contract type (integers, booleans,
    floats, UTC or naive timestamps, dates, text or dictionary-encoded text) and hold
    nothing a column rule rejects, which Arrow's null counts and minimum/maximum prove
    without looking at single cells. Otherwise this returns ``None`` having reported
    nothing, and the general path (:func:`_check_table`) types the table and names the
    problems. The frame built here is the one the general path would build. Keys and
    snapshot order are proven in one pass over the rows where the file allows it, and
    checked by the general rules where it does not.
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
    bounds = (pd.Timestamp(EARLIEST, tz="UTC").value, now.value)
    out: dict[str, object] = {}
    for col in table.columns:
        if col.name == "account_id":
            out[col.name] = ids
        elif col.name not in names:
            out[col.name] = _empty(col, index)
        else:
            values = _arrow_column(arrow.column(col.name), col, bounds)
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
    typed = _Typed(raw=raw, frame=pd.DataFrame(out, index=index, copy=False), codes=codes,
                   uniques=uniques)
    proven = bool(table.key) and _keys_distinct(typed, table.key)
    if table.key and not proven:
        _check_duplicates(typed, table, sink)
    # A snapshot key proven distinct has its days strictly ascending within accounts.
    if table.name == "snapshots" and not proven:
        _check_sorted(typed, sink)
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
    """Codes and distinct values of ``account_id`` numbered as :func:`_factorize` numbers
    them (by first appearance), and the column; ``None`` if an id is missing or blank.

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
        codes, uniques = _factorize(ids)
    else:
        return None
    column = pd.Categorical.from_codes(codes, categories=pd.Index(uniques, dtype="string"))
    return codes, uniques, column


def _arrow_column(arr: pa.ChunkedArray, col: Column,
                  bounds: tuple[int, int]) -> object | None:
    """One contract column typed straight from Arrow; ``None`` if its storage type is not
    the contract's or a cell may break a rule."""
    import pandas as pd
    import pyarrow as pa

    if col.kind in {"id", "string", "category"}:
        return _arrow_text(arr, col)
    nulls = arr.null_count
    if nulls and not col.nullable:
        return None
    if col.kind == "int":
        return _arrow_ints(arr, col)
    if col.kind == "float":
        return _arrow_floats(arr, col)
    if col.kind == "bool":
        if not pa.types.is_boolean(arr.type):
            return None
        values = (arr.fill_null(False) if nulls else arr).to_numpy()
        return pd.arrays.BooleanArray(_own(values, bool), _null_mask(arr))
    return _arrow_times(arr, col, bounds)


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


def _arrow_ints(arr: pa.ChunkedArray, col: Column) -> object | None:
    import pandas as pd
    import pyarrow as pa

    if not pa.types.is_integer(arr.type) or arr.type == pa.uint64():
        return None
    if arr.null_count < len(arr):
        lo, hi = _min_max(arr)
        assert isinstance(lo, int) and isinstance(hi, int)
        if lo < -MAX_EXACT_INT or hi > MAX_EXACT_INT:
            return None
        if (col.minimum is not None and lo < col.minimum) or (
                col.maximum is not None and hi > col.maximum):
            return None
    data = (arr.fill_null(0) if arr.null_count else arr).to_numpy()
    return pd.arrays.IntegerArray(_own(data, np.int64), _null_mask(arr))


def _arrow_floats(arr: pa.ChunkedArray, col: Column) -> np.ndarray | None:
    import pyarrow as pa

    if not (pa.types.is_float32(arr.type) or pa.types.is_float64(arr.type)):
        return None
    f = _own(arr.to_numpy(), np.float64)
    if np.isinf(f).any():
        return None
    if not col.nullable and np.isnan(f).any():
        return None
    if (col.minimum is not None and (f < col.minimum).any()) or (
            col.maximum is not None and (f > col.maximum).any()):
        return None
    return f


def _arrow_times(arr: pa.ChunkedArray, col: Column, bounds: tuple[int, int]
                 ) -> pd.Series | None:
    """UTC nanosecond times from Arrow timestamps (naive or UTC) or dates, all between
    2006 and ``now``."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    t = arr.type
    if pa.types.is_timestamp(t) and t.tz in (None, "UTC"):
        scale = _NS_PER_UNIT[t.unit]
        ints = pc.cast(arr, pa.int64())
    elif pa.types.is_date32(t):
        scale = _DAY_NS
        ints = pc.cast(pc.cast(arr, pa.int32()), pa.int64())
    else:
        return None
    if ints.null_count < len(ints):
        lo, hi = _min_max(ints)
        assert isinstance(lo, int) and isinstance(hi, int)
        if lo * scale < bounds[0] or hi * scale > bounds[1]:
            return None
    ns = _own((ints.fill_null(0) if ints.null_count else ints).to_numpy(), np.int64) * scale
    if col.kind == "date" and scale != _DAY_NS:
        ns -= ns % _DAY_NS  # every time is after 2006, so this floors to the day
    if ints.null_count:
        ns[_null_mask(ints)] = np.iinfo(np.int64).min  # NaT
    return pd.Series(ns.view("datetime64[ns]")).dt.tz_localize("UTC")


def _keys_distinct(t: _Typed, key: tuple[str, ...]) -> bool:
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
    return _text_keys_distinct(codes, starts, _arrow_of(other))


def _arrow_of(s: pd.Series) -> pa.ChunkedArray:
    """A text column as Arrow data (no copy for Arrow-backed text)."""
    import pyarrow as pa

    arr = pa.array(s.array)
    return arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr])


def _text_keys_distinct(codes: np.ndarray, starts: np.ndarray,
                        text: pa.ChunkedArray) -> bool:
    """Whether (account, text) pairs are distinct, for rows grouped by account
    (``starts``: the rows where an account begins)."""
    import pandas as pd
    import pyarrow.compute as pc

    n, begin = len(codes), 0
    if n >= COMPILED_KEY_ROWS:
        return _text_keys_distinct_compiled(starts, text)
    while begin < n:
        j = int(np.searchsorted(starts, begin + _KEY_BATCH))
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


def _text_keys_distinct_compiled(starts: np.ndarray, text: pa.ChunkedArray) -> bool:
    """:func:`_text_keys_distinct` in one compiled pass over the text bytes."""
    import pyarrow as pa

    from fakedetect.treeshap import launch

    arr = text.combine_chunks()
    if pa.types.is_large_string(arr.type) or pa.types.is_large_binary(arr.type):
        width: type = np.int64
    elif pa.types.is_string(arr.type) or pa.types.is_binary(arr.type):
        width = np.int32
    else:
        arr = arr.cast(pa.large_string())
        width = np.int64
    _, offsets_buf, data_buf = arr.buffers()[:3]
    offsets = np.frombuffer(offsets_buf, dtype=width)[arr.offset:arr.offset + len(arr) + 1]
    data = (np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None
            else np.zeros(0, dtype=np.uint8))
    bounds = np.concatenate([[0], starts, [len(arr)]]).astype(np.int64)
    with launch() as kernels:
        return bool(kernels.texts_distinct_in_segments(offsets, data, bounds))


# ---------------------------------------------------------------------------- public


@dataclass
class _Checked:
    typed: dict[str, _Typed]
    groups: list[ProblemGroup]
    files: dict[str, Path]
    categories: pd.Index | None


def _check(root: Path, now: pd.Timestamp | None) -> _Checked:
    import pandas as pd

    now = now if now is not None else pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=1)
    if not root.exists():
        raise UserError(f"{root}: no such dataset folder",
                        hint="pass the folder that holds accounts.csv (or .parquet, .jsonl)")
    if not root.is_dir():
        raise UserError(f"{root}: not a folder",
                        hint=f"a dataset is a folder of tables: pass {root.parent}, which "
                             f"holds {root.name}, if that is one of them")
    sink = _Collector()
    files, file_problems = find_tables(root)
    for fp in file_problems:
        table = fp.path.name.split(".", 1)[0]
        scope: Scope = "dataset" if fp.rule == "duplicate table file" else "table"
        sink.whole(table, fp.path, fp.rule, fp.detail, scope=scope)
    if "accounts" not in files and not any(
            fp.path.name.startswith("accounts.") for fp in file_problems):
        present = sorted(p.name for p in root.iterdir() if not p.name.startswith("."))
        listing = ", ".join(present[:10]) + (", ..." if len(present) > 10 else "")
        sink.whole("accounts", root, "missing required table",
                   "expected a file accounts.csv, accounts.parquet or accounts.jsonl; the "
                   f"folder has {listing or 'no files'}", scope="dataset")
    typed: dict[str, _Typed] = {}

    def read(name: str) -> tuple[RawTable | FileError, _Typed | None, _Collector]:
        """Read a table and try the Arrow fast path, reporting into its own collector."""
        own = _Collector()
        try:
            raw = read_raw(name, files[name], keep_arrow=_FAST)
            # the other reading threads keep their cores busy
            with kernel_threads(max(1, (os.cpu_count() or 1) // READ_THREADS)):
                t = None if raw.arrow is None else _check_arrow(raw, TABLES[name], own, now)
            if t is None:
                raw.frame  # noqa: B018 - a kept Parquet table is converted here (may fail)
        except FileError as exc:
            return exc, None, own
        return raw, t, own

    # Tables are read and fast-checked side by side (Arrow and numpy release the GIL);
    # their problems are then merged, and the general path run, in table order.
    names = [name for name in TABLES if name in files]
    ids: list[tuple[pd.Index, np.ndarray, np.ndarray]] = []  # accounts: categories, ...

    def read_accounts() -> tuple[RawTable | FileError, _Typed | None, _Collector,
                                 np.ndarray | None]:
        """The accounts table first: its ids let the other threads number theirs."""
        raw, t, own = read("accounts")
        if t is not None and _FAST:
            categories = pd.Index(sorted(str(u) for u in t.uniques), dtype="string")
            lookup = _account_lookup(categories, t.uniques)
            _map_accounts("accounts", t, lookup)
            ids.append((categories, t.uniques, lookup))
            _finish("accounts", t, categories)
        return raw, t, own, None

    def _finish(name: str, t: _Typed, categories: pd.Index) -> None:
        """The final account_id column and order of a numbered table, here on its own
        thread rather than in :func:`_frames` after all tables are read."""
        assert t.account is not None
        dtype = pd.CategoricalDtype(categories=categories, ordered=False)
        t.final = _final(name, t.frame, t.account, dtype)

    def read_and_map(name: str) -> tuple[RawTable | FileError, _Typed | None, _Collector,
                                         np.ndarray | None]:
        """A table read and fast-checked, its accounts numbered when the accounts table
        took the fast path too (the rows of unknown accounts are returned)."""
        raw, t, own = read(name)
        unknown = None
        if t is not None and "accounts" in started:
            started["accounts"].result()  # submitted first: running or done, no deadlock
            if ids:
                categories, acc_uniques, acc_lookup = ids[0]
                lookup = (acc_lookup if _same_ids(acc_uniques, t.uniques)
                          else _account_lookup(categories, t.uniques))
                unknown = _map_accounts(name, t, lookup)
                _finish(name, t, categories)
        return raw, t, own, unknown

    def comment_posts() -> np.ndarray | None:
        """Comments on unknown posts, once posts and comments are numbered (submitted
        after both, so both tables are running or done: no deadlock)."""
        posts, comments = started["posts"].result()[1], started["comments"].result()[1]
        if posts is None or comments is None or posts.account is None or (
                comments.account is None):
            return None
        return _comments_on_unknown_posts(posts, comments)

    mapped: dict[str, np.ndarray | None] = {}
    with ThreadPoolExecutor(max_workers=min(READ_THREADS, len(names) or 1)) as pool:
        # Accounts (small) first; then the biggest files, so the longest table is not
        # left to the end while the other thread idles (20k simulated accounts: 0.85 ->
        # 0.6 s); the check of comments against posts as soon as both are queued.
        started: dict[str, Future[tuple[RawTable | FileError, _Typed | None, _Collector,
                                        np.ndarray | None]]] = {}
        if "accounts" in names:
            started["accounts"] = pool.submit(read_accounts)
        posts_check = None
        for name in sorted(names, key=lambda n: -_file_bytes(files[n])):
            if name != "accounts":
                started[name] = pool.submit(read_and_map, name)
            if _FAST and posts_check is None and {"posts", "comments"} <= started.keys():
                # next in the queue: it starts as soon as both are done, not after the
                # smaller tables
                posts_check = pool.submit(comment_posts)
        for name in names:
            raw, t, own, unknown = started[name].result()
            for group in own.result():
                sink.add(group)
            if isinstance(raw, FileError):
                sink.whole(name, files[name], raw.rule, raw.detail, row=raw.line)
                continue
            if t is None:
                t = _check_table(raw, TABLES[name], sink, now)
            elif t.account is not None:
                mapped[name] = unknown
            if t is not None:
                typed[name] = t
        unknown_posts = posts_check.result() if posts_check is not None else None
    categories = None
    if "accounts" in typed:
        acc = typed["accounts"]
        categories = (ids[0][0] if ids and "accounts" in mapped else
                      pd.Index(sorted(str(u) for u in acc.uniques), dtype="string"))
        if "accounts" not in mapped:  # its general path ran: number everything here
            mapped, unknown_posts = {}, None
        elif not ("posts" in mapped and "comments" in mapped):
            unknown_posts = None
        _check_references(typed, categories, sink, mapped, unknown_posts)
    return _Checked(typed, sink.result(), files, categories)


def _file_bytes(path: Path) -> int:
    """Size of a table's file, or of the files of a table folder (0 if unreadable)."""
    try:
        if path.is_dir():
            return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        return path.stat().st_size
    except OSError:
        return 0


def check_dataset(path: str | os.PathLike[str], *,
                  now: pd.Timestamp | None = None) -> list[ProblemGroup]:
    """Read every table of a dataset and collect all contract problems.

    Parameters
    ----------
    path : path-like
        The dataset folder.
    now : pandas.Timestamp, optional
        The present, for the "not in the future" rule (default: the clock plus one day,
        so a dataset written today in any time zone passes).

    Returns
    -------
    list of ProblemGroup
        Everything wrong, grouped, in the order found; empty when the dataset is valid.

    Raises
    ------
    UserError
        If ``path`` is not a readable folder.
    """
    return _check(Path(path), now).groups


def _frames(typed: dict[str, _Typed], categories: pd.Index,
            keep: dict[str, np.ndarray] | None = None) -> dict[str, pd.DataFrame]:
    """Final frames: shared account_id categories, derived columns, sorted rows."""
    import pandas as pd

    dtype = pd.CategoricalDtype(categories=categories, ordered=False)
    out: dict[str, pd.DataFrame] = {}
    for name, t in typed.items():
        assert t.account is not None
        rows = slice(None) if keep is None else keep[name]
        if keep is not None:
            frame = t.frame[rows].reset_index(drop=True)
        else:  # copy-on-write: a shallow copy shares the data until a column changes
            frame = t.frame.copy(deep=not _FAST)
        codes = t.account[rows]
        final = t.final if keep is None and t.final is not None and (
            t.final[0].categories is categories) else None
        if final is None:
            final = _final(name, frame, codes, dtype)
        frame["account_id"] = final[0]
        if not final[1]:
            when = _order_time(name, frame)
            order = (np.argsort(codes, kind="stable") if when is None
                     else np.lexsort((when, codes)))
            frame = frame.take(order).reset_index(drop=True)
        out[name] = frame
    acc = out["accounts"]
    names = acc["username"]
    length = names.str.len().astype("Int64")
    digits = names.str.count(r"\d").astype("Int64")
    acc["username_length"] = acc["username_length"].fillna(length)
    acc["username_digits"] = acc["username_digits"].fillna(digits)
    return out


#: The column that orders a table's rows within an account (other tables keep the
#: stored order; accounts are ordered by id alone).
_ORDER_BY = {"snapshots": "date", "posts": "posted_at"}


def _order_time(name: str, frame: pd.DataFrame) -> np.ndarray | None:
    """The times that order a table's rows within an account (None: stored order)."""
    if name not in _ORDER_BY:
        return None
    return frame[_ORDER_BY[name]].to_numpy(dtype="datetime64[ns]").view(np.int64)


def _final(name: str, frame: pd.DataFrame, codes: np.ndarray, dtype: pd.CategoricalDtype
           ) -> tuple[pd.Categorical, bool]:
    """The account_id column of a table's final frame, and whether its rows already are
    in the final order (accounts by id; snapshots and posts by id then time; the other
    tables need no order)."""
    import pandas as pd

    column = pd.Categorical.from_codes(codes, dtype=dtype)
    if name != "accounts" and name not in _ORDER_BY:
        return column, True
    return column, _FAST and _in_order(codes, _order_time(name, frame))


def _in_order(codes: np.ndarray, when: np.ndarray | None = None) -> bool:
    """Whether rows already are in the order a stable sort by (codes, when) gives."""
    step = np.diff(codes)
    if (step < 0).any():
        return False
    return when is None or not ((step == 0) & (when[1:] < when[:-1])).any()


def _empty_rejects() -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame({c: pd.Series(dtype="Int64" if c in {"row", "problems"} else "string")
                         for c in REJECT_COLUMNS})


def load_dataset(path: str | os.PathLike[str], *, lenient: bool = False,
                 now: pd.Timestamp | None = None) -> Dataset:
    """Load a dataset folder as typed frames, checking it against the contract.

    Parameters
    ----------
    path : path-like
        The dataset folder.
    lenient : bool, default False
        Keep the valid accounts and drop those with a problem (listed in
        ``Dataset.rejects``) instead of failing. An optional table whose file is
        unusable is dropped (and listed); rows naming no account, or an account the
        accounts table lacks, are dropped (and counted). A problem of the accounts file
        itself, or of the folder, still fails.
    now : pandas.Timestamp, optional
        The present, for the "not in the future" rule.

    Returns
    -------
    Dataset
        See :class:`Dataset` for the types.

    Raises
    ------
    ContractError
        If the dataset breaks the contract (in lenient mode: only if the accounts table
        itself is unusable, or no valid account is left).
    UserError
        If ``path`` is not a readable folder.
    """
    root = Path(path)
    checked = _check(root, now)
    groups = checked.groups
    if not groups:
        assert checked.categories is not None
        return Dataset(root, _frames(checked.typed, checked.categories), _empty_rejects(),
                       checked.files)
    if not lenient:
        raise ContractError(root, groups)
    fatal = [g for g in groups if g.scope == "dataset"
             or (g.scope == "table" and g.table == "accounts")]
    if fatal or "accounts" not in checked.typed:
        raise ContractError(root, fatal or groups, lenient=True)
    return _lenient(root, checked)


def _lenient(root: Path, checked: _Checked) -> Dataset:
    """Drop what has a problem; list every dropped account, table and row group."""
    import pandas as pd

    groups = checked.groups
    categories = checked.categories
    assert categories is not None
    broken = {g.table for g in groups if g.scope == "table"}
    typed = {n: t for n, t in checked.typed.items() if n not in broken}
    rejects: list[pd.DataFrame] = []
    for g in groups:
        if g.scope == "table":
            p = g.examples[0]
            rejects.append(_rejects(
                account_id=None, dropped="table", table=g.table, row=p.row, column=g.column,
                rule=g.rule, reason=f"table dropped: {p.where()}: {p.message}", problems=1))
    row_groups = [g for g in groups if g.scope == "row" and g.table not in broken]
    named = [g.accounts.assign(table=g.table, rule=g.rule, column=g.column,
                               word=g.row_word, expected=g.expected)
             for g in row_groups if g.accounts is not None and len(g.accounts)]
    dropped = pd.Index([], dtype="string")
    if named:
        per = pd.concat(named, ignore_index=True)
        known = categories.get_indexer(per["account_id"].astype(str)) >= 0
        bad = per[known]
        first = bad.drop_duplicates("account_id")
        total = bad.groupby("account_id", sort=False)["n"].sum()
        rejects.append(_rejects(
            account_id=first["account_id"], dropped="account", table=first["table"],
            row=first["row"], column=first["column"], rule=first["rule"],
            reason="account dropped: " + _reason(first),
            problems=first["account_id"].map(total)))
        unknown = per[~known & (per["rule"] == "unknown account")]
        rejects.append(_rejects(
            account_id=unknown["account_id"], dropped="rows", table=unknown["table"],
            row=unknown["row"], column=unknown["column"], rule=unknown["rule"],
            reason=unknown["n"].astype(str) + " row(s) dropped: " + _reason(unknown),
            problems=unknown["n"]))
        dropped = pd.Index(first["account_id"].astype(str), dtype="string")
    loose = [pd.DataFrame({"row": g.loose_rows, "table": g.table, "rule": g.rule,
                           "column": g.column, "word": g.row_word, "expected": g.expected,
                           "found": ""})
             for g in row_groups if g.loose_rows is not None and len(g.loose_rows)]
    if loose:
        rows = pd.concat(loose, ignore_index=True)
        in_accounts = rows[rows["table"] == "accounts"].drop_duplicates("row")
        rejects.append(_rejects(
            account_id=None, dropped="account", table="accounts", row=in_accounts["row"],
            column=in_accounts["column"], rule=in_accounts["rule"],
            reason="account dropped (no account_id): " + _reason(in_accounts), problems=1))
        others = rows[rows["table"] != "accounts"]
        for (table, rule), part in others.groupby(["table", "rule"], sort=False):
            example = part.iloc[:1]
            rejects.append(_rejects(
                account_id=None, dropped="rows", table=table, row=example["row"],
                column=example["column"], rule=rule,
                reason=f"{len(part)} row(s) without an account_id dropped, the first: "
                       + _reason(example), problems=len(part)))
    drop = np.append(categories.isin(dropped), True)
    keep = {name: (t.account >= 0) & ~drop[t.account]
            for name, t in typed.items() if t.account is not None}
    if not keep["accounts"].any():
        p = Problem(table="accounts", file=str(checked.files["accounts"]),
                    rule="no valid account left",
                    message="every account has a problem, so --lenient kept none")
        raise ContractError(root, [*groups, ProblemGroup(
            table="accounts", file=p.file, rule=p.rule, column=None, scope="dataset",
            count=1, examples=(p,))], lenient=True)
    kept_categories = categories[~drop[:-1]]
    remap = np.full(len(categories) + 1, -1, dtype=np.int64)
    remap[np.flatnonzero(~drop[:-1])] = np.arange(len(kept_categories))
    for t in typed.values():
        assert t.account is not None
        t.account = remap[t.account]
    frames = _frames(typed, kept_categories, keep)
    table = pd.concat([_empty_rejects(), *rejects], ignore_index=True)
    table = table.astype(_empty_rejects().dtypes.to_dict())
    return Dataset(root, frames, table, checked.files, groups)


def _reason(per: pd.DataFrame) -> pd.Series:
    """``table line N, column C: rule: found X; expected Y`` for each row of ``per``."""
    column = per["column"].astype("string")
    col = (", column " + column).fillna("")
    found = ("found " + per["found"].astype("string") + "; ").where(per["found"] != "", "")
    return (per["table"] + " " + per["word"] + " " + per["row"].astype(str) + col + ": "
            + per["rule"] + ": " + found + "expected " + per["expected"])


def _rejects(**columns: object) -> pd.DataFrame:
    """Reject rows from columns given as Series or as one value for every row."""
    import pandas as pd

    lengths = {len(v) for v in columns.values() if isinstance(v, pd.Series)}
    n = lengths.pop() if lengths else 1
    data = {c: (v.to_numpy(dtype=object) if isinstance(v, pd.Series) else [v] * n)
            for c, v in columns.items()}
    return pd.DataFrame(data, columns=list(REJECT_COLUMNS))
