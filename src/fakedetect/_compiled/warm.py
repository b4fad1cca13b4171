"""Compile every kernel of :mod:`fakedetect._compiled` once, at install time.

``make install`` runs :func:`compile_kernels`, so the first large scoring run does not
pay for numba's compilation (the machine code is cached beside the kernels' sources).
"""

from __future__ import annotations


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
