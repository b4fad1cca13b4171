"""Check a dataset against the contract and load it as typed frames.

The package has one module per part:

- :mod:`~fakedetect.validate.problems`: problems, their groups and the messages a user
  reads;
- :mod:`~fakedetect.validate.rules`: every rule, written once, used by both paths below;
- :mod:`~fakedetect.validate.columns`: the general path, typing any table as read and
  naming each row that breaks a rule;
- :mod:`~fakedetect.validate.arrow`: the Arrow path, typing a Parquet table stored in
  the contract types when its null counts and extremes prove that no rule can fail;
- :mod:`~fakedetect.validate.load`: reading the tables, the checks across tables and the
  final frames;
- :mod:`~fakedetect.validate.lenient`: lenient mode.

Every problem is collected before anything is reported, so a user fixes a file once, not
once per error. In lenient mode the accounts that have a problem are dropped from every
table and listed, with the reason, in a rejects table; no account disappears silently.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from fakedetect.dataset import REJECT_COLUMNS, Dataset, empty_rejects
from fakedetect.validate.lenient import load_lenient
from fakedetect.validate.load import check, check_dataset, frames
from fakedetect.validate.problems import (
    EXAMPLES_PER_GROUP,
    GROUPS_SHOWN,
    ContractError,
    Problem,
    ProblemGroup,
    format_problems,
)
from fakedetect.validate.rules import MAX_EXACT_INT

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "EXAMPLES_PER_GROUP",
    "GROUPS_SHOWN",
    "MAX_EXACT_INT",
    "REJECT_COLUMNS",
    "ContractError",
    "Dataset",
    "Problem",
    "ProblemGroup",
    "check_dataset",
    "format_problems",
    "load_dataset",
]


def load_dataset(path: str | os.PathLike[str], *, lenient: bool = False,
                 now: pd.Timestamp | None = None, n_jobs: int | None = None) -> Dataset:
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
    n_jobs : int, optional
        Tables read at the same time (threads; default
        :data:`~fakedetect.validate.load.READ_THREADS`). The result does not depend on it.

    Returns
    -------
    Dataset
        See :class:`~fakedetect.dataset.Dataset` for the types.

    Raises
    ------
    ContractError
        If the dataset breaks the contract (in lenient mode: only if the accounts table
        itself is unusable, or no valid account is left).
    UserError
        If ``path`` is not a readable folder.
    """
    root = Path(path)
    checked = check(root, now, n_jobs)
    groups = checked.groups
    if not groups:
        assert checked.categories is not None
        return Dataset(root, frames(checked.typed, checked.categories), empty_rejects(),
                       checked.files)
    if not lenient:
        raise ContractError(root, groups)
    fatal = [g for g in groups if g.scope == "dataset"
             or (g.scope == "table" and g.table == "accounts")]
    if fatal or "accounts" not in checked.typed:
        raise ContractError(root, fatal or groups, lenient=True)
    return load_lenient(root, checked)
