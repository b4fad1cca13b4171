"""Check a dataset against the contract and load it as typed frames.

Every problem is collected before anything is reported, so a user fixes a file once, not
once per error. Each :class:`Problem` names the table, the file, the row (the line number
for CSV and JSON Lines), the column, what was found and what was expected.

In lenient mode the accounts that have a problem are dropped from every table and listed,
with the reason, in a rejects table; no account disappears silently.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from fakedetect.contract import EARLIEST, REFERENCING, TABLES, Column, Table
from fakedetect.errors import UserError
from fakedetect.io import RawTable, find_tables, read_raw

if TYPE_CHECKING:
    import pandas as pd

#: Examples shown per group of identical problems before "... and N more".
EXAMPLES_PER_GROUP = 5

_TRUE = {"1", "true", "t", "yes", "y", "1.0"}
_FALSE = {"0", "false", "f", "no", "n", "0.0"}


@dataclass(frozen=True)
class Problem:
    """One violation of the contract.

    Attributes
    ----------
    table : str
        Contract table name.
    file : str
        The file, or the dataset folder for problems of the whole dataset.
    rule : str
        Short rule name, e.g. ``negative count`` (problems are grouped by it).
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
        """``file line N, column C`` as far as known."""
        parts = [self.file]
        if self.row is not None:
            parts.append(f"{self.row_word} {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)


class ContractError(UserError):
    """The dataset breaks the contract; carries every problem found.

    Parameters
    ----------
    path : Path
        The dataset folder.
    problems : list of Problem
        Everything that is wrong.
    """

    def __init__(self, path: Path, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(
            format_problems(path, problems),
            hint="fix the files listed, or pass --lenient to drop the accounts with "
                 "problems and list them in a rejects file",
        )


def format_problems(path: Path, problems: list[Problem],
                    per_group: int = EXAMPLES_PER_GROUP) -> str:
    """Render problems grouped by table, rule and column, capped per group.

    Parameters
    ----------
    path : Path
        The dataset folder, for the heading.
    problems : list of Problem
    per_group : int
        Examples shown per group.

    Returns
    -------
    str
    """
    groups: dict[tuple[str, str, str | None], list[Problem]] = defaultdict(list)
    for p in problems:
        groups[(p.table, p.rule, p.column)].append(p)
    lines = [f"{path}: {len(problems)} problem(s) in {len(groups)} group(s)"]
    for (table, rule, column), items in groups.items():
        col = f", column {column!r}" if column else ""
        lines.append(f"- {table}: {rule}{col} ({len(items)})")
        for p in items[:per_group]:
            lines.append(f"    {p.where()}: {p.message}")
        if len(items) > per_group:
            lines.append(f"    ... and {len(items) - per_group} more like this")
    return "\n".join(lines)


@dataclass
class Dataset:
    """A loaded dataset: typed frames keyed by ``account_id``.

    ``account_id`` is a categorical column in every table with the same categories (the
    accounts' ids, sorted), so ``frame["account_id"].cat.codes`` indexes accounts
    consistently across tables.

    Attributes
    ----------
    path : Path
        Where it was loaded from.
    tables : dict
        Table name to frame; absent optional tables are missing from the dict.
    rejects : pandas.DataFrame
        Accounts (or rows) dropped in lenient mode, with the reason; empty otherwise.
    files : dict
        Table name to the file it was read from.
    """

    path: Path
    tables: dict[str, pd.DataFrame]
    rejects: pd.DataFrame
    files: dict[str, Path] = field(default_factory=dict)

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


# ---------------------------------------------------------------------------- typing


def _coerce(raw: RawTable, col: Column, problems: list[Problem],
            ids: pd.Series | None) -> pd.Series:
    """Convert one column to its contract type, recording cells that do not convert."""
    import pandas as pd

    s = raw.frame[col.name]
    kind = col.kind
    present = s.notna()
    if kind in {"id", "string"}:
        if pd.api.types.is_float_dtype(s):
            text = s.map(lambda v: None if pd.isna(v) else (
                str(int(v)) if float(v).is_integer() else str(v)))
            out = text.astype("string")
        else:
            out = s.astype("string")
        if kind == "id":
            out = out.str.strip()
            out = out.mask(out == "")
        return out
    if kind == "category":
        return s.astype("string").astype("category")
    if kind in {"int", "float"}:
        if pd.api.types.is_bool_dtype(s):
            num = s.astype("float64")
        else:
            num = pd.to_numeric(s, errors="coerce")
        bad = present & num.isna()
        expected = "an integer" if kind == "int" else "a number"
        if kind == "int":
            nonint = num.notna() & (np.floor(num.to_numpy(dtype="float64", na_value=np.nan))
                                    != num.to_numpy(dtype="float64", na_value=np.nan))
            bad = bad | nonint
            num = num.mask(nonint)
        _record(raw, col.name, bad, s, "wrong type", f"expected {expected}", problems, ids)
        if kind == "int":
            return num.astype("float64").astype("Int64")
        return num.astype("float64")
    if kind == "bool":
        if pd.api.types.is_bool_dtype(s):
            return s.astype("boolean")
        text = s.astype("string").str.strip().str.lower()
        is_true = text.isin(_TRUE).fillna(False).astype(bool)
        is_false = text.isin(_FALSE).fillna(False).astype(bool)
        bad = present & ~is_true & ~is_false
        _record(raw, col.name, bad, s, "wrong type", "expected 0/1 or true/false",
                problems, ids)
        out = pd.Series(pd.NA, index=s.index, dtype="boolean")
        out[is_true.to_numpy()] = True
        out[is_false.to_numpy()] = False
        return out
    # timestamps and dates
    if pd.api.types.is_datetime64_any_dtype(s):
        ts = s if isinstance(s.dtype, pd.DatetimeTZDtype) else s.dt.tz_localize("UTC")
        ts = ts.dt.tz_convert("UTC")
    elif pd.api.types.is_numeric_dtype(s):
        ts = pd.to_datetime(s, unit="s", utc=True, errors="coerce")
    else:
        ts = pd.to_datetime(s, utc=True, errors="coerce", format="ISO8601")
        retry = present & ts.isna()
        if retry.any():
            ts.loc[retry] = pd.to_datetime(s[retry], utc=True, errors="coerce",
                                           format="mixed")
    bad = present & ts.isna()
    what = "a date (YYYY-MM-DD)" if kind == "date" else "an ISO 8601 timestamp"
    _record(raw, col.name, bad, s, "wrong type", f"expected {what}", problems, ids)
    ts = ts.astype("datetime64[ns, UTC]")
    if kind == "date":
        ts = ts.dt.floor("D")
    return ts


def _record(raw: RawTable, column: str | None, bad: pd.Series, values: pd.Series | None,
            rule: str, expected: str, problems: list[Problem],
            ids: pd.Series | None) -> None:
    mask = np.asarray(bad.fillna(False) if hasattr(bad, "fillna") else bad, dtype=bool)
    if not mask.any():
        return
    idx = np.flatnonzero(mask)
    rows = raw.rows[idx]
    found = values.iloc[idx] if values is not None else None
    acc = ids.iloc[idx] if ids is not None else None
    for k, pos in enumerate(idx):
        shown = ""
        if found is not None:
            v = found.iloc[k]
            shown = "missing" if _isna(v) else repr(_plain(v))
            shown = f"found {shown}; "
        account = None
        if acc is not None:
            a = acc.iloc[k]
            account = None if _isna(a) else str(a)
        problems.append(Problem(
            table=raw.name, file=str(raw.path), rule=rule, message=f"{shown}{expected}",
            row=int(rows[k]), column=column, account_id=account, row_word=raw.row_word,
        ))
        del pos


def _isna(v: object) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _plain(v: object) -> object:
    if isinstance(v, np.generic):
        return v.item()
    if hasattr(v, "isoformat"):
        return v.isoformat()  # type: ignore[union-attr]
    return v


# ----------------------------------------------------------------------------- rules


def _check_table(raw: RawTable, table: Table, problems: list[Problem],
                 now: pd.Timestamp) -> pd.DataFrame | None:
    """Type one table and check its column rules; ``None`` if it is unusable."""
    import pandas as pd

    missing = [c.name for c in table.columns if c.required and c.name not in raw.frame]
    for name in missing:
        problems.append(Problem(
            table=table.name, file=str(raw.path), rule="missing required column",
            message=f"expected a column {name!r}; found columns "
                    f"{', '.join(map(repr, raw.frame.columns[:12]))}",
            column=name, row_word=raw.row_word,
        ))
    if "account_id" in missing:
        return None
    ids = _coerce(raw, table.column("account_id"), problems, None)
    out: dict[str, pd.Series] = {"account_id": ids}
    for col in table.columns:
        if col.name == "account_id" or col.name not in raw.frame:
            continue
        typed = _coerce(raw, col, problems, ids)
        out[col.name] = typed
        present = typed.notna()
        if not col.nullable:
            _record(raw, col.name, ~present & raw.frame[col.name].isna(),
                    raw.frame[col.name], "missing value", "a value is required here",
                    problems, ids)
        if col.kind in {"int", "float"}:
            vals = typed.astype("float64")
            if col.minimum is not None:
                low = vals < col.minimum
                rule = "negative count" if col.minimum == 0 else "below minimum"
                _record(raw, col.name, low, typed, rule,
                        f"expected a value >= {col.minimum:g}", problems, ids)
            if col.maximum is not None:
                _record(raw, col.name, vals > col.maximum, typed, "above maximum",
                        f"expected a value <= {col.maximum:g}", problems, ids)
            if col.kind == "float":
                _record(raw, col.name, pd.Series(np.isinf(vals.to_numpy())), typed,
                        "infinite value", "expected a finite number", problems, ids)
        if col.kind in {"timestamp", "date"}:
            early = typed < pd.Timestamp(EARLIEST, tz="UTC")
            late = typed > now
            _record(raw, col.name, early, typed, "timestamp out of range",
                    f"expected a time on or after {EARLIEST}", problems, ids)
            _record(raw, col.name, late, typed, "timestamp out of range",
                    "expected a time not in the future", problems, ids)
    _record(raw, "account_id", ids.isna(), raw.frame["account_id"], "missing value",
            "every row needs an account_id", problems, None)
    frame = pd.DataFrame(out)
    for extra in raw.frame.columns:
        if extra not in frame:
            frame[extra] = raw.frame[extra].to_numpy()
    if table.key and all(k in frame for k in table.key):
        dup = frame.duplicated(list(table.key), keep="first") & frame[list(table.key)].notna().all(axis=1)
        keys = " + ".join(table.key)
        _record(raw, None, dup, None, "duplicate key",
                f"a row with the same {keys} appears earlier; keep one row per key",
                problems, ids)
    if table.name == "snapshots" and {"account_id", "date"} <= set(frame):
        _check_sorted(raw, frame, problems)
    return frame


def _check_sorted(raw: RawTable, frame: pd.DataFrame, problems: list[Problem]) -> None:
    ids = frame["account_id"]
    days = frame["date"]
    same = ids.eq(ids.shift()).fillna(False).astype(bool)
    back = same & (days < days.shift()).fillna(False).astype(bool)
    _record(raw, "date", back, days, "unsorted snapshot days",
            "days must ascend within each account; sort by account_id, date", problems, ids)


def _check_references(raws: dict[str, RawTable], frames: dict[str, pd.DataFrame],
                      problems: list[Problem]) -> None:
    accounts = frames.get("accounts")
    if accounts is None:
        return
    known = set(accounts["account_id"].dropna())
    for name in REFERENCING:
        frame = frames.get(name)
        if frame is None:
            continue
        ids = frame["account_id"]
        unknown = ids.notna() & ~ids.isin(known)
        _record(raws[name], "account_id", unknown, ids, "unknown account",
                "expected an account_id listed in the accounts table", problems, ids)
    posts, comments = frames.get("posts"), frames.get("comments")
    if posts is not None and comments is not None:
        post_keys = set(zip(posts["account_id"], posts["post_id"], strict=True))
        pairs = list(zip(comments["account_id"], comments["post_id"], strict=True))
        bad = np.fromiter((p not in post_keys for p in pairs), dtype=bool, count=len(pairs))
        bad &= comments["account_id"].isin(known).to_numpy()
        _record(raws["comments"], "post_id", _series(bad), comments["post_id"],
                "unknown post", "expected a post_id of this account in the posts table",
                problems, comments["account_id"])


def _series(mask: np.ndarray) -> pd.Series:
    import pandas as pd

    return pd.Series(mask)


# ---------------------------------------------------------------------------- public


def check_dataset(path: str | os.PathLike[str],
                  now: pd.Timestamp | None = None
                  ) -> tuple[dict[str, pd.DataFrame], list[Problem], dict[str, Path]]:
    """Read every table of a dataset and collect all contract problems.

    Parameters
    ----------
    path : path-like
        The dataset folder.
    now : pandas.Timestamp, optional
        The present, for the "not in the future" rule (default: the clock).

    Returns
    -------
    frames : dict
        Typed frames of the tables that could be read (account_id still text).
    problems : list of Problem
        Everything wrong, in file order.
    files : dict
        Table name to file.
    """
    import pandas as pd

    root = Path(path)
    now = now if now is not None else pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=1)
    if not root.exists():
        raise UserError(f"{root}: no such dataset folder",
                        hint="pass the folder that holds accounts.csv (or .parquet/.jsonl)")
    if not root.is_dir():
        raise UserError(f"{root}: not a folder",
                        hint="a dataset is a folder of tables, e.g. accounts.csv")
    files, file_problems = find_tables(root)
    problems = [Problem(table="dataset", file=str(root), rule="unusable file", message=m)
                for m in file_problems]
    if "accounts" not in files:
        problems.append(Problem(
            table="accounts", file=str(root), rule="missing required table",
            message="expected a file accounts.csv, accounts.parquet or accounts.jsonl",
        ))
    raws: dict[str, RawTable] = {}
    frames: dict[str, pd.DataFrame] = {}
    for name, file in files.items():
        try:
            raws[name] = read_raw(name, file)
        except UserError as exc:
            problems.append(Problem(table=name, file=str(file), rule="unreadable file",
                                    message=exc.message))
            continue
        frame = _check_table(raws[name], TABLES[name], problems, now)
        if frame is not None:
            frames[name] = frame
    _check_references(raws, frames, problems)
    return frames, problems, files


def _finish(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Share account_id categories across tables and fill derived columns."""
    import pandas as pd

    accounts = frames["accounts"]
    categories = pd.Index(sorted(accounts["account_id"].dropna().unique()), dtype="string")
    dtype = pd.CategoricalDtype(categories=categories, ordered=False)
    out: dict[str, pd.DataFrame] = {}
    for name, frame in frames.items():
        f = frame.copy()
        f["account_id"] = f["account_id"].astype(dtype)
        out[name] = f.reset_index(drop=True)
    acc = out["accounts"]
    if "username" in acc:
        names = acc["username"].astype("string")
        if "username_length" not in acc:
            acc["username_length"] = names.str.len().astype("Int64")
        if "username_digits" not in acc:
            acc["username_digits"] = names.str.count(r"\d").astype("Int64")
    if "snapshots" in out:
        out["snapshots"] = out["snapshots"].sort_values(
            ["account_id", "date"], kind="stable").reset_index(drop=True)
    if "posts" in out:
        out["posts"] = out["posts"].sort_values(
            ["account_id", "posted_at"], kind="stable").reset_index(drop=True)
    return out


def load_dataset(path: str | os.PathLike[str], *, lenient: bool = False,
                 now: pd.Timestamp | None = None) -> Dataset:
    """Load a dataset folder as typed frames, checking it against the contract.

    Parameters
    ----------
    path : path-like
        The dataset folder.
    lenient : bool, default False
        Keep the valid accounts and drop those with a problem (listed in
        ``Dataset.rejects``) instead of failing. Problems that concern a whole file
        of an optional table drop that table; a broken accounts file still fails.
    now : pandas.Timestamp, optional
        The present, for the "not in the future" rule.

    Returns
    -------
    Dataset
        Frames with nullable integers (``Int64``), booleans (``boolean``), UTC
        timestamps, categories, and ``account_id`` as a shared categorical.

    Raises
    ------
    ContractError
        If the dataset breaks the contract (in lenient mode: only if the accounts table
        itself is unusable, or no valid account is left).
    """
    import pandas as pd

    root = Path(path)
    frames, problems, files = check_dataset(root, now=now)
    empty_rejects = pd.DataFrame({"account_id": pd.Series(dtype="string"),
                                  "table": pd.Series(dtype="string"),
                                  "row": pd.Series(dtype="Int64"),
                                  "column": pd.Series(dtype="string"),
                                  "reason": pd.Series(dtype="string")})
    if not problems:
        return Dataset(root, _finish(frames), empty_rejects, files)
    if not lenient:
        raise ContractError(root, problems)
    fatal = [p for p in problems if p.row is None and p.table in {"accounts", "dataset"}]
    if fatal or "accounts" not in frames:
        raise ContractError(root, fatal or problems)
    broken_tables = {p.table for p in problems if p.row is None}
    bad_accounts: dict[str, str] = {}
    reject_rows: list[dict[str, object]] = []
    for p in problems:
        if p.row is None:
            reject_rows.append({"account_id": None, "table": p.table, "row": None,
                                "column": p.column,
                                "reason": f"table dropped: {p.rule}: {p.message}"})
            continue
        reason = f"{p.table} {p.row_word} {p.row}" + (
            f", column {p.column}" if p.column else "") + f": {p.rule}: {p.message}"
        if p.account_id is None or (p.rule == "unknown account"):
            reject_rows.append({"account_id": p.account_id, "table": p.table, "row": p.row,
                                "column": p.column, "reason": f"row dropped: {reason}"})
        else:
            bad_accounts.setdefault(p.account_id, reason)
    for acc, reason in bad_accounts.items():
        reject_rows.append({"account_id": acc, "table": "accounts", "row": None,
                            "column": None, "reason": f"account dropped: {reason}"})
    kept: dict[str, pd.DataFrame] = {}
    bad = set(bad_accounts)
    for name, frame in frames.items():
        if name in broken_tables:
            continue
        ids = frame["account_id"]
        keep = ids.notna() & ~ids.isin(bad)
        if name != "accounts":
            keep &= ids.isin(set(frames["accounts"]["account_id"].dropna()))
        kept[name] = frame[keep.to_numpy()]
    if kept["accounts"].empty:
        problems.append(Problem(table="accounts", file=str(files["accounts"]),
                                rule="no valid account left",
                                message="every account has a problem, so --lenient kept none"))
        raise ContractError(root, problems)
    rejects = pd.DataFrame(reject_rows, columns=list(empty_rejects.columns))
    rejects = rejects.astype({"account_id": "string", "table": "string", "row": "Int64",
                              "column": "string", "reason": "string"})
    return Dataset(root, _finish(kept), rejects, files)
