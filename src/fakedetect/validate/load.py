"""Reading a dataset folder: every table read, typed and checked, then the checks across
tables, then the final frames.

Tables are read and typed side by side (Arrow, numpy and pandas release the GIL for most
of the work), biggest file first so the longest one is not left to the end. Each table
reports into its own :class:`~fakedetect.validate.problems.Collector`; they are merged in
contract table order, so the report is the same whichever thread finishes first.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from fakedetect.contract import TABLES
from fakedetect.errors import UserError
from fakedetect.io import FileError, find_tables, read_raw
from fakedetect.validate.arrow import check_arrow
from fakedetect.validate.columns import Typed, check_table
from fakedetect.validate.problems import Collector, ProblemGroup, Scope
from fakedetect.validate.rules import check_references

if TYPE_CHECKING:
    import pandas as pd

#: Tables read and typed at the same time, unless the caller says.
READ_THREADS = 2
#: Type Parquet tables straight from Arrow when they are stored in the contract types
#: (:mod:`fakedetect.validate.arrow`). ``False`` sends every table through the general
#: path, which the tests compare the Arrow path against.
FAST = True


@dataclass
class Checked:
    """Every table typed, and every problem found.

    Attributes
    ----------
    typed : dict
        Table name to :class:`~fakedetect.validate.columns.Typed`, for the usable tables.
    groups : list of ProblemGroup
        The problems, in the order of the report.
    files : dict
        Table name to its file.
    categories : pandas.Index or None
        The accounts' ids, sorted (``None`` without a usable accounts table).
    """

    typed: dict[str, Typed]
    groups: list[ProblemGroup]
    files: dict[str, Path]
    categories: pd.Index | None


def check(root: Path, now: pd.Timestamp | None, n_jobs: int | None = None) -> Checked:
    """Read, type and check every table of the dataset folder ``root``.

    Parameters
    ----------
    root : Path
        The dataset folder.
    now : pandas.Timestamp or None
        The present, for the "not in the future" rule (default: the clock plus one day).
    n_jobs : int, optional
        Tables read at the same time (threads; default :data:`READ_THREADS`).

    Returns
    -------
    Checked

    Raises
    ------
    UserError
        If ``root`` is not a folder.
    """
    import pandas as pd

    now = now if now is not None else pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=1)
    if not root.exists():
        raise UserError(f"{root}: no such dataset folder",
                        hint="pass the folder that holds accounts.csv (or .parquet, .jsonl)")
    if not root.is_dir():
        raise UserError(f"{root}: not a folder",
                        hint=f"a dataset is a folder of tables: pass {root.parent}, which "
                             f"holds {root.name}, if that is one of them")
    sink = Collector()
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
    names = [name for name in TABLES if name in files]
    biggest_first = sorted(names, key=lambda n: -file_bytes(files[n]))
    threads = max(1, min(n_jobs or READ_THREADS, len(names) or 1))
    with ThreadPoolExecutor(max_workers=threads) as pool:
        read = dict(zip(biggest_first,
                        pool.map(lambda n: _read_table(n, files[n], now), biggest_first),
                        strict=True))
    typed: dict[str, Typed] = {}
    for name in names:
        t, own = read[name]
        for group in own.result():
            sink.add(group)
        if isinstance(t, FileError):
            sink.whole(name, files[name], t.rule, t.detail, row=t.line)
        elif t is not None:
            typed[name] = t
    categories = None
    if "accounts" in typed:
        categories = pd.Index(sorted(str(u) for u in typed["accounts"].uniques),
                              dtype="string")
        check_references(typed, categories, sink)
    return Checked(typed, sink.result(), files, categories)


def _read_table(name: str, path: Path, now: pd.Timestamp
                ) -> tuple[Typed | FileError | None, Collector]:
    """One table read and typed, by the Arrow path where it proves the table clean and by
    the general path otherwise, with the problems found."""
    own = Collector()
    try:
        raw = read_raw(name, path, keep_arrow=FAST)
        t = None if raw.arrow is None else check_arrow(raw, TABLES[name], own, now)
        if t is None:
            t = check_table(raw, TABLES[name], own, now)
    except FileError as exc:
        return exc, own
    return t, own


def file_bytes(path: Path) -> int:
    """Size of a table's file, or of the files of a table folder (0 if unreadable).

    Parameters
    ----------
    path : Path

    Returns
    -------
    int
    """
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
    return check(Path(path), now).groups


def frames(typed: dict[str, Typed], categories: pd.Index,
           keep: dict[str, np.ndarray] | None = None) -> dict[str, pd.DataFrame]:
    """Final frames: shared account_id categories, derived columns, sorted rows.

    Parameters
    ----------
    typed : dict
        The typed tables, their accounts numbered (``Typed.account``) in ``categories``.
    categories : pandas.Index
        The ids of the accounts kept, sorted.
    keep : dict, optional
        Per table, a mask of the rows kept (default: all).

    Returns
    -------
    dict
        Table name to frame, as :class:`~fakedetect.dataset.Dataset` holds them.
    """
    import pandas as pd

    dtype = pd.CategoricalDtype(categories=categories, ordered=False)
    out: dict[str, pd.DataFrame] = {}
    for name, t in typed.items():
        assert t.account is not None
        rows = slice(None) if keep is None else keep[name]
        if keep is not None:
            frame = t.frame[rows].reset_index(drop=True)
        else:  # a shallow copy: columns are replaced below, never written in place
            frame = t.frame.copy(deep=False)
        codes = t.account[rows]
        frame["account_id"] = pd.Categorical.from_codes(codes, dtype=dtype)
        when = _order_time(name, frame)
        if name in {"accounts", *_ORDER_BY} and not in_order(codes, when):
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


def in_order(codes: np.ndarray, when: np.ndarray | None = None) -> bool:
    """Whether rows already are in the order a stable sort by (codes, when) gives.

    Parameters
    ----------
    codes : numpy.ndarray
        Account codes of the rows.
    when : numpy.ndarray, optional
        Times within an account.

    Returns
    -------
    bool
    """
    step = np.diff(codes)
    if (step < 0).any():
        return False
    return when is None or not ((step == 0) & (when[1:] < when[:-1])).any()
