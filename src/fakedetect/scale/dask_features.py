"""Features on Dask: :func:`~fakedetect.features.build_features` on every part.

A part holds whole accounts (see :mod:`~fakedetect.scale.partition`), and every feature of
an account is computed from that account's rows alone, with one exception: an account with
neither snapshots nor posts measures its age up to the latest day seen in the *dataset*
(``accounts__account_age_days``). Each part reports its own latest day and those accounts,
and the client puts in the dataset's latest day, so the frame is identical to the local
engine's.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from fakedetect.errors import UserError
from fakedetect.scale.engine import RETRIES, in_account_order, run_partitions

if TYPE_CHECKING:
    import pandas as pd
    from distributed import Client

    from fakedetect.config import Config
    from fakedetect.dataset import Dataset
    from fakedetect.scale.dask_predict import ModelRef

#: The one feature that looks beyond its account (see the module docstring).
AGE_FEATURE = "accounts__account_age_days"


@dataclass
class PartFeatures:
    """Features of one part, and what the client needs to finish the age feature.

    Attributes
    ----------
    frame : pandas.DataFrame
        :func:`~fakedetect.features.build_features` of the part.
    latest_day : float
        Latest day (days since 1970) in the part's snapshots and posts; NaN without any.
    undated : pandas.Index
        Accounts with neither snapshots nor posts (their age needs the dataset's latest
        day).
    created_day : numpy.ndarray
        Their creation day (``floor(created_at / 1 day)``), aligned with ``undated``.
    """

    frame: pd.DataFrame
    latest_day: float
    undated: pd.Index
    created_day: np.ndarray


def undated_accounts(dataset: Dataset) -> tuple[float, np.ndarray, np.ndarray]:
    """The latest day of a dataset and its accounts without a dated row.

    Returns
    -------
    latest_day : float
        As :func:`~fakedetect.features.blocks.latest_day` measures it.
    undated : numpy.ndarray
        Account codes with no snapshot and no post.
    created_day : numpy.ndarray
        Their creation day, NaN when unknown.
    """
    from fakedetect.features.blocks import DAY, TableView, account_arrays, latest_day

    categories = dataset.account_ids
    n = len(categories)
    views = {name: TableView.build(name, dataset.get(name), categories)  # type: ignore[arg-type]
             for name in ("snapshots", "posts") if dataset.get(name) is not None}
    rows = np.zeros(n, dtype=np.int64)
    for view in views.values():
        rows += view.counts()
    undated = np.flatnonzero(rows == 0)
    created = account_arrays(dataset).created_s[undated]
    return latest_day(views), undated, np.floor(created / DAY)


def featurise_partition(k: int, *, root: str, task: str, account_model: ModelRef | None,
                        lenient: bool) -> PartFeatures | None:
    """Load, validate and featurise part ``k`` (runs on a worker).

    Returns
    -------
    PartFeatures or None
        None for a part without accounts.
    """
    from fakedetect.features import build_features
    from fakedetect.scale.partition import load_partition
    from fakedetect.scoring import account_scorer_from

    dataset = load_partition(root, k, lenient=lenient)
    if dataset is None:
        return None
    scorer = None
    if account_model is not None and task == "influencer" and (
            dataset.get("audience") is not None):
        scorer = account_scorer_from(account_model.load(), n_jobs=1)  # Dask owns the cores
    frame = build_features(dataset, task, account_scorer=scorer)
    latest, undated, created = undated_accounts(dataset)
    ids = frame.index[undated]
    return PartFeatures(frame, latest, ids, created)


def finish_age(parts: list[PartFeatures]) -> float:
    """Give undated accounts the age the whole dataset would give them, in place.

    Returns
    -------
    float
        The dataset's latest day.
    """
    latest = [p.latest_day for p in parts]
    overall = float(np.fmax.reduce(np.asarray(latest, dtype=np.float64))) if latest else (
        np.nan)
    for p in parts:
        if AGE_FEATURE not in p.frame or not len(p.undated):
            continue
        if p.latest_day == overall or (np.isnan(p.latest_day) and np.isnan(overall)):
            continue
        age = np.maximum(overall - p.created_day, 0.0)
        p.frame.loc[p.undated, AGE_FEATURE] = age
    return overall


def features_on_dask(client: Client, root: str | os.PathLike[str], task: str = "influencer",
                     *, account_model: ModelRef | None = None, lenient: bool = False,
                     parts: Sequence[int] | None = None, retries: int = RETRIES,
                     progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """One row of features per account of a partitioned dataset, computed on Dask.

    Parameters
    ----------
    client : distributed.Client
    root : path-like
        A partitioned dataset (``fakedetect repartition``), on storage every worker
        reads at the same path.
    task : {"account", "influencer"}
    account_model : ModelRef, optional
        The account model that scores audience samples (the rule-based fallback when
        None). Workers load it from its folder and verify its checksums.
    lenient : bool
        Drop invalid accounts instead of failing.
    parts : sequence of int, optional
        Only these parts (default: all).
    retries : int
        Extra tries of a part whose task raised.
    progress : callable, optional
        Called with (parts done, parts in all).

    Returns
    -------
    pandas.DataFrame
        Exactly what :func:`~fakedetect.features.build_features` returns for the whole
        dataset.
    """
    import pandas as pd

    from fakedetect.features.registry import TASKS
    from fakedetect.scale.partition import require_layout

    if task not in TASKS:
        raise UserError(f"unknown task {task!r}", hint=f"use one of: {', '.join(TASKS)}")
    layout = require_layout(root)
    chosen = list(range(layout.partitions)) if parts is None else list(parts)
    results = run_partitions(client, featurise_partition, chosen, retries=retries,
                             progress=progress, root=str(layout.root.resolve()), task=task,
                             account_model=account_model, lenient=lenient)
    found = [r for r in results if r is not None]
    if not found:
        raise UserError(f"{layout.root}: no account in the parts processed")
    finish_age(found)
    frame = pd.concat([p.frame for p in found])
    return in_account_order(frame)


def run_features(cfg: Config, directory: str | os.PathLike[str], task: str, *,
                 account_model: str = "champion", lenient: bool = False,
                 scheduler: str | None = None, note: Callable[[str], None] | None = None,
                 progress: Callable[[int, int], None] | None = None
                 ) -> tuple[pd.DataFrame, bool, bool]:
    """``fakedetect features --engine dask``: check the layout and the audience model,
    start or reach the cluster, featurise every part.

    Returns
    -------
    frame : pandas.DataFrame
        The features (as :func:`features_on_dask`).
    audience : bool
        Whether the dataset has an audience table.
    model_scored : bool
        Whether an account model (rather than the rule) scored the audience samples.
    """
    from fakedetect.scale.dask_predict import account_ref_for
    from fakedetect.scale.engine import dask_client
    from fakedetect.scale.partition import require_layout

    layout = require_layout(directory)
    audience = "audience" in layout.tables
    with dask_client(scheduler) as client:
        ref = (account_ref_for(cfg, account_model, note=note)
               if task == "influencer" and audience else None)
        frame = features_on_dask(client, layout.root, task, account_model=ref,
                                 lenient=lenient, progress=progress)
    return frame, audience, ref is not None
