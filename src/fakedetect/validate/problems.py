"""Problems found in a dataset: what a user reads, grouped by table, rule and column.

Every problem is collected before anything is reported, so a user fixes a file once, not
once per error. Problems are grouped by table, rule and column; each group keeps its exact
count, a few examples (each naming the file, the row (the line number in CSV and JSON
Lines), the column, what was found and what was expected) and, for lenient mode, every
account it concerns. The only per-row Python work is writing the few examples shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from fakedetect.contract import RULES
from fakedetect.errors import UserError

if TYPE_CHECKING:
    import pandas as pd

    from fakedetect.validate.columns import Typed

#: Examples shown per group of identical problems before "... and N more".
EXAMPLES_PER_GROUP = 5
#: Groups shown in a message before "... and N more groups".
GROUPS_SHOWN = 40

Scope = Literal["dataset", "table", "row"]


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



class Collector:
    """Problem groups in the order found, merged by (table, rule, column).

    Each reading thread fills its own collector; they are merged in table order, so the
    report does not depend on which thread finished first.
    """

    def __init__(self) -> None:
        self.groups: dict[tuple[str, str, str | None], ProblemGroup] = {}

    def add(self, group: ProblemGroup) -> None:
        """Add ``group``, merged into the group of the same key if there is one."""
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

    def cells(self, t: Typed, column: str | None, mask: np.ndarray,
              values: pd.Series | None, rule: str, expected: str) -> None:
        """Problems of the rows where ``mask`` is true (``values`` are shown as found)."""
        import pandas as pd

        idx = np.flatnonzero(mask)
        if idx.size == 0:
            return
        raw = t.raw
        examples = []
        for i in idx[:EXAMPLES_PER_GROUP]:
            found = "" if values is None else f"found {show(values.iloc[i], raw.fmt)}; "
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
        """The groups, in the order their first problem was found."""
        return list(self.groups.values())


def show(value: object, fmt: str) -> str:
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
