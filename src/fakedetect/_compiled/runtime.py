"""Launch the numba kernels of :mod:`fakedetect._compiled` on a given number of threads.

numba is imported on first launch only (it is slow to import); the kernels compile on
their first call and numba caches the machine code beside their sources
(:func:`compile_kernels` does that once at install time).
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

#: numba's fallback threading layer (``workqueue``) aborts when two threads launch
#: parallel kernels at once, so launches take turns.
_LAUNCH_LOCK = threading.Lock()
_KERNEL_MODULES = {"treeshap": "fakedetect._compiled._treeshap_numba",
                   "leafmasks": "fakedetect._compiled._leafmasks_numba"}


def effective_n_jobs(n_jobs: int | None) -> int:
    """Threads to use for ``n_jobs``: the machine's cores for ``None``, else ``n_jobs``.

    Parameters
    ----------
    n_jobs : int or None
        At least 1, or ``None``.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        For ``n_jobs`` below 1.
    """
    if n_jobs is None:
        return os.cpu_count() or 1
    if int(n_jobs) < 1:
        raise ValueError(f"n_jobs must be at least 1, got {n_jobs}")
    return int(n_jobs)


def kernels(name: str) -> ModuleType:
    """The compiled module of one algorithm (``treeshap`` or ``leafmasks``)."""
    return importlib.import_module(_KERNEL_MODULES[name])


@contextmanager
def launch(name: str, n_jobs: int | None) -> Iterator[ModuleType]:
    """The kernels of algorithm ``name``, held for one call on ``n_jobs`` threads.

    Parameters
    ----------
    name : str
        ``treeshap`` or ``leafmasks``.
    n_jobs : int or None
        Threads of the parallel kernels (``None``: every core); numba's setting belongs
        to the calling thread and is set on every launch.

    Yields
    ------
    module
    """
    import numba

    module = kernels(name)
    threads = min(effective_n_jobs(n_jobs), numba.config.NUMBA_NUM_THREADS)
    with _LAUNCH_LOCK:
        numba.set_num_threads(threads)
        yield module


def compile_kernels() -> None:
    """Compile every kernel for the array layouts fakedetect passes them, so the first
    large scoring run after installing does not pay for it (``make install`` calls this).

    Returns
    -------
    None
    """
    from dataclasses import replace

    import lightgbm as lgb
    import numpy as np

    from fakedetect._compiled import leafmasks, treeshap
    from fakedetect._compiled.trees import model_splits

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    X[::7, 1] = np.nan
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 4,
                         "min_data_in_leaf": 5, "num_threads": 1},
                        lgb.Dataset(X, (X[:, 0] > 0) * 1), 2)
    splits = model_splits(booster)
    assert splits is not None
    tables = treeshap.tabulate(splits, n_jobs=1)
    assert tables is not None
    # numba compiles per memory layout and per writability (pandas hands out read-only
    # views): C and Fortran order, writable and not.
    for layout in (np.ascontiguousarray(X), np.asfortranarray(X)):
        for writable in (True, False):
            A = layout.copy(order="K")
            A.flags.writeable = writable
            treeshap.contributions(tables, A, n_jobs=1)
    masks = leafmasks.leaf_masks(splits)
    assert masks is not None
    narrow = leafmasks.split_columns(splits, X)
    keys = leafmasks.interval_keys(masks, narrow, len(X), n_jobs=1)
    assert keys is not None
    for _, kind in leafmasks.MASK_TYPES:  # one machine code per mask width
        typed = replace(masks, masks=masks.masks.astype(kind), full=masks.full.astype(kind))
        leafmasks.masked_margin(typed, narrow, n_jobs=1)
        leafmasks.keyed_margin(typed, keys, n_jobs=1)
