"""What evidence a dataset holds, per table, and the command that fills each gap.

``fakedetect validate`` and ``fakedetect predict`` print this summary before anything is
scored, so missing evidence is stated as missing (and never read as a clean result)::

    snapshots: 3 of 3 accounts, 0 with the 14 days growth features need; follower growth
      will not be assessed for 3. Fill it with: fakedetect collect WATCHLIST --out data/x
      (run daily)
    audience: 0 of 3 accounts; the fake-follower share will not be assessed. Fill it
      with: fakedetect collect WATCHLIST --out data/x --audience 200 --login USER

:func:`coverage` returns the facts as a plain dict (for ``--json``); :func:`coverage_lines`
renders them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from fakedetect.validate import Dataset

__all__ = ["EVIDENCE", "coverage", "coverage_lines", "print_coverage"]


@dataclass(frozen=True)
class Evidence:
    """One table's evidence: what an account needs, what it feeds, how to get it.

    Attributes
    ----------
    table : str
        Contract table.
    unit : str
        What is counted per account (``days``, ``posts``...).
    assesses : str
        What the score cannot assess without it.
    fill : str
        The ``fakedetect collect`` options that fill it (after ``--out DIR``).
    """

    table: str
    unit: str
    assesses: str
    fill: str


def _minimums() -> dict[str, int]:
    from fakedetect.features.registry import (
        MIN_AUDIENCE,
        MIN_COMMENTS,
        MIN_HISTORY_DAYS,
        MIN_POSTS,
    )

    return {"snapshots": MIN_HISTORY_DAYS, "posts": MIN_POSTS, "comments": MIN_COMMENTS,
            "audience": MIN_AUDIENCE}


#: The optional evidence tables, in the order they are reported.
EVIDENCE: tuple[Evidence, ...] = (
    Evidence("snapshots", "days", "follower growth", "(run daily)"),
    Evidence("posts", "posts with likes", "engagement", "--posts 30"),
    Evidence("comments", "comments", "comment quality", "--comments 20 --login USER"),
    Evidence("audience", "sampled followers", "the fake-follower share",
             "--audience 200 --login USER"),
)


def _per_account(dataset: Dataset, name: str) -> np.ndarray:
    """Rows (usable rows for posts) per account, in account order."""
    n = len(dataset.accounts)
    table = dataset.get(name)
    if table is None or table.empty:
        return np.zeros(n, dtype=np.int64)
    rows = table
    if name == "posts" and "likes" in table:
        rows = table[table["likes"].notna().to_numpy()]
    codes = rows["account_id"].cat.codes.to_numpy()
    codes = codes[codes >= 0]
    return np.bincount(codes, minlength=n).astype(np.int64)


def coverage(dataset: Dataset) -> dict[str, Any]:
    """Count, per evidence table, the accounts that have it and that have enough.

    Parameters
    ----------
    dataset : Dataset
        A loaded dataset (:func:`fakedetect.validate.load_dataset`).

    Returns
    -------
    dict
        ``{"path": str, "accounts": int, "tables": {name: {...}}}``; each table has
        ``accounts_with_rows``, ``accounts_enough`` (at least ``minimum`` ``unit``),
        ``rows``, ``assesses`` and ``fill`` (the command that fills the gap). Plain
        values only, so ``json.dumps`` takes it as is.
    """
    minimums = _minimums()
    n = len(dataset.accounts)
    tables: dict[str, Any] = {}
    for ev in EVIDENCE:
        per = _per_account(dataset, ev.table)
        table = dataset.get(ev.table)
        tables[ev.table] = {
            "rows": 0 if table is None else len(table),
            "accounts_with_rows": int((per > 0).sum()),
            "accounts_enough": int((per >= minimums[ev.table]).sum()),
            "minimum": minimums[ev.table],
            "unit": ev.unit,
            "assesses": ev.assesses,
            "fill": f"fakedetect collect WATCHLIST --out {dataset.path} {ev.fill}",
        }
    return {"path": str(dataset.path), "accounts": n, "tables": tables}


def coverage_lines(summary: dict[str, Any]) -> list[str]:
    """Render :func:`coverage` as one line per table.

    Parameters
    ----------
    summary : dict
        What :func:`coverage` returned.

    Returns
    -------
    list of str
        ``audience: 0 of 3 accounts; the fake-follower share will not be assessed. Fill
        it with: ...`` for a gap; ``posts: 3 of 3 accounts`` when complete.
    """
    n = summary["accounts"]
    out = []
    for name, t in summary["tables"].items():
        has, enough, lack = t["accounts_with_rows"], t["accounts_enough"], n - t["accounts_enough"]
        line = f"{name}: {has} of {n} accounts"
        if lack == 0:
            out.append(line)
            continue
        if has:
            line += f", {enough} with the {t['minimum']} {t['unit']} needed"
        what = f"{t['assesses']} will not be assessed"
        if has:
            what += f" for {lack}"
        out.append(f"{line}; {what}. Fill it with: {t['fill']}")
    return out


def print_coverage(dataset: Dataset, echo: Callable[..., None], *,
                   err: bool = False) -> dict[str, Any]:
    """Print the coverage lines with ``echo`` (the CLI's) and return the summary.

    Parameters
    ----------
    dataset : Dataset
        The loaded dataset.
    echo : callable
        Called as ``echo(line, err=err)`` for each line.
    err : bool
        Print on stderr (``predict``, whose stdout may carry results).

    Returns
    -------
    dict
        What :func:`coverage` returned.
    """
    summary = coverage(dataset)
    for line in coverage_lines(summary):
        echo(f"coverage: {line}", err=err)
    return summary
