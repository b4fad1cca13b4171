"""The loaded dataset: typed frames keyed by ``account_id``, as every later stage reads it.

:func:`fakedetect.validate.load_dataset` builds a :class:`Dataset` from a folder after
checking it against the contract; features, training, scoring and the report read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from fakedetect.validate.problems import ProblemGroup

#: Columns of :attr:`Dataset.rejects`, what lenient mode dropped.
REJECT_COLUMNS = ("account_id", "dropped", "table", "row", "column", "rule", "reason",
                  "problems")


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


def empty_rejects() -> pd.DataFrame:
    """A rejects table with no rows, typed as :attr:`Dataset.rejects` is.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`REJECT_COLUMNS`: ``row`` and ``problems`` ``Int64``, the rest
        ``string``.
    """
    import pandas as pd

    return pd.DataFrame({c: pd.Series(dtype="Int64" if c in {"row", "problems"} else "string")
                         for c in REJECT_COLUMNS})
