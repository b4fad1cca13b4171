"""Lenient mode: keep the valid accounts, drop those with a problem and list every one.

No account disappears silently: each dropped account, optional table and group of rows
without an account is a row of the rejects table, with the reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from fakedetect.dataset import REJECT_COLUMNS, Dataset, empty_rejects
from fakedetect.validate.load import Checked, frames
from fakedetect.validate.problems import ContractError, Problem, ProblemGroup

if TYPE_CHECKING:
    import pandas as pd


def load_lenient(root: Path, checked: Checked) -> Dataset:
    """Drop what has a problem; list every dropped account, table and row group.

    Parameters
    ----------
    root : Path
        The dataset folder.
    checked : Checked
        The tables read and the problems found; no problem of the folder or of the
        accounts file as a whole.

    Returns
    -------
    Dataset
        The accounts without a problem, with the rejects table.

    Raises
    ------
    ContractError
        If no valid account is left.
    """
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
    kept = frames(typed, kept_categories, keep)
    table = pd.concat([empty_rejects(), *rejects], ignore_index=True)
    table = table.astype(empty_rejects().dtypes.to_dict())
    return Dataset(root, kept, table, checked.files, groups)


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
