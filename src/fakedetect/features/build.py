"""Turn a dataset into one row of features per account.

The same function serves training and scoring. Tables are put in account order once,
then processed in blocks of consecutive accounts (:mod:`~fakedetect.features.blocks`);
inside a block every feature is computed for all its accounts at once.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np

from fakedetect.features import audience, comments, engagement, growth
from fakedetect.features.blocks import (
    BLOCK_ROWS,
    Block,
    TableView,
    account_arrays,
    account_codes,
    block_bounds,
    latest_day,
)
from fakedetect.features.profile import derived_from_posts, profile_features
from fakedetect.features.registry import (
    COVERAGE_COLUMNS,
    MIN_AUDIENCE,
    MIN_COMMENTS,
    MIN_HISTORY_DAYS,
    MIN_POSTS,
    feature_names,
)

if TYPE_CHECKING:
    import pandas as pd

    from fakedetect.dataset import Dataset

AccountScorer = Callable[["pd.DataFrame"], np.ndarray]

#: Tables processed block by block.
BLOCK_TABLES = ("snapshots", "posts", "comments")


def build_features(dataset: Dataset, task: str = "influencer", *,
                   account_scorer: AccountScorer | None = None,
                   block_rows: int = BLOCK_ROWS, n_jobs: int = 1) -> pd.DataFrame:
    """One row of features per account of ``dataset``.

    Parameters
    ----------
    dataset : Dataset
        As returned by :func:`~fakedetect.validate.load_dataset`. Only ``accounts`` is
        required; a missing table gives NaN for the features that need it.
    task : {"account", "influencer"}
        Which features to build (see :func:`~fakedetect.features.feature_names`).
    account_scorer : callable, optional
        Fake probabilities of account-task feature rows, used on the audience sample
        (the registered account model). When None, the rule
        ``profile_rules_v1`` (:func:`~fakedetect.features.rule_based_fake_probability`)
        is used.
    block_rows : int
        Rows per block of accounts; smaller blocks use less memory.
    n_jobs : int
        Blocks (and the audience sample) processed at the same time (threads; numpy
        releases the GIL in its heavy loops). Beside the blocks, an account scorer with
        a ``with_n_jobs`` method (:class:`fakedetect.scoring.ModelScorer`) runs on half
        of them.

    Returns
    -------
    pandas.DataFrame
        Index ``account_id`` (str) in ``dataset.account_ids`` order; the columns of
        ``feature_names(task)`` as float64 (NaN where a table or signal is missing),
        then the boolean coverage flags :data:`COVERAGE_COLUMNS`.
    """
    import pandas as pd

    names = feature_names(task)
    categories = dataset.account_ids
    n = len(categories)
    values = {name: np.full(n, np.nan) for name in names}
    cover = {name: np.zeros(n, dtype=bool) for name in COVERAGE_COLUMNS}

    acc = dataset.accounts
    codes = account_codes(acc, categories)
    known = codes >= 0
    for name, col in profile_features(acc).items():
        values[name][codes[known]] = col[known]

    views = {name: TableView.build(name, dataset.get(name), categories)  # type: ignore[arg-type]
             for name in BLOCK_TABLES if dataset.get(name) is not None}
    accounts = account_arrays(dataset)
    latest = latest_day(views)
    counts = np.zeros(n, dtype=np.int64)
    for view in views.values():
        counts += view.counts()
    bounds = block_bounds(counts, block_rows=block_rows)
    influencer = task == "influencer"

    def run(a0: int, a1: int) -> None:
        block = Block(int(a0), int(a1), views, accounts, latest)
        parts = [derived_from_posts(block)]
        if influencer:
            parts += [engagement.compute(block), growth.compute(block),
                      comments.compute(block)]
        else:
            parts.append(_coverage(block))
        derived = parts[0]
        for name, col in derived.items():
            target = values[name][a0:a1]
            values[name][a0:a1] = np.where(np.isfinite(target), target, col)
        for part in parts[1:]:
            for name, col in part.items():
                if name in cover:
                    cover[name][a0:a1] = col
                elif name in values:
                    values[name][a0:a1] = col

    def audience_part() -> dict[str, np.ndarray]:
        return (audience.compute(dataset, account_scorer) if influencer
                else _audience_coverage(dataset))

    def audience_beside_blocks() -> dict[str, np.ndarray]:
        # the blocks' threads share the cores: the scorer's kernels take half of them
        nonlocal account_scorer
        if hasattr(account_scorer, "with_n_jobs"):
            account_scorer = account_scorer.with_n_jobs(  # type: ignore[union-attr]
                max(1, n_jobs // 2))
        return audience_part()

    pairs = list(itertools.pairwise(bounds.tolist()))
    if n_jobs > 1:
        with ThreadPoolExecutor(max_workers=n_jobs) as pool:
            # the audience sample is one long task: start it first, beside the blocks
            aud_future = pool.submit(audience_beside_blocks)
            for fut in [pool.submit(run, a0, a1) for a0, a1 in pairs]:
                fut.result()
            aud = aud_future.result()
    else:
        for a0, a1 in pairs:
            run(a0, a1)
        aud = audience_part()
    for name, col in aud.items():
        if name in cover:
            cover[name] = col
        elif name in values:
            values[name] = col

    index = pd.Index(np.asarray(categories.astype(str), dtype=object), name="account_id",
                     dtype="str")
    frame = pd.DataFrame({name: values[name] for name in names}, index=index)
    for name in COVERAGE_COLUMNS:
        frame[name] = cover[name]
    return frame


def _coverage(block: Block) -> dict[str, np.ndarray]:
    """Coverage flags of a block without computing the influencer features."""
    out: dict[str, np.ndarray] = {}
    snaps = block.table("snapshots")
    if snaps is not None:
        out["coverage__snapshots"] = snaps.seg.counts >= 1
        out["coverage__history_ok"] = snaps.seg.counts >= MIN_HISTORY_DAYS
    posts = block.table("posts")
    if posts is not None:
        valid = np.isfinite(posts.floats("likes"))
        out["coverage__posts"] = posts.seg.filter(valid).counts >= MIN_POSTS
    com = block.table("comments")
    if com is not None:
        out["coverage__comments"] = com.seg.counts >= MIN_COMMENTS
    return out


def _audience_coverage(dataset: Dataset) -> dict[str, np.ndarray]:
    aud = dataset.get("audience")
    n = len(dataset.account_ids)
    if aud is None:
        return {"coverage__audience": np.zeros(n, dtype=bool)}
    codes = account_codes(aud, dataset.account_ids)
    counts = np.bincount(codes[codes >= 0].astype(np.int64), minlength=n)
    return {"coverage__audience": counts >= MIN_AUDIENCE}


def dataset_from_frames(tables: dict[str, pd.DataFrame], path: str = "<memory>") -> Dataset:
    """Wrap in-memory tables as a :class:`~fakedetect.validate.Dataset` without checks.

    ``account_id`` becomes a categorical with the accounts' sorted ids in every table (as
    :func:`~fakedetect.validate.load_dataset` makes it); the tables are otherwise used as
    given, so this is for frames already typed by the contract (tests, benchmarks,
    scoring rows that came from a validated source).

    Parameters
    ----------
    tables : dict
        Table name -> frame; ``accounts`` is required.
    path : str
        Recorded as the dataset's path.
    """
    from pathlib import Path

    import pandas as pd

    from fakedetect.dataset import Dataset

    if "accounts" not in tables:
        raise ValueError("dataset_from_frames needs an 'accounts' frame")
    ids = tables["accounts"]["account_id"].astype("string")
    categories = pd.Index(sorted(ids.dropna().unique()), dtype="string")
    dtype = pd.CategoricalDtype(categories=categories, ordered=False)
    out: dict[str, pd.DataFrame] = {}
    for name, frame in tables.items():
        f = frame.copy()
        col = f["account_id"]
        if not (isinstance(col.dtype, pd.CategoricalDtype)
                and col.cat.categories.equals(categories)):
            f["account_id"] = col.astype("string").astype(dtype)
        out[name] = f.reset_index(drop=True)
    empty = pd.DataFrame({c: pd.Series(dtype="string")
                          for c in ("account_id", "table", "row", "column", "reason")})
    return Dataset(Path(path), out, empty, {})
