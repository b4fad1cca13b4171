"""Raw margins of a LightGBM model by leaf bit masks, and repetitive rows scored once.

A tree ensemble only ever asks, for each feature, on which side of each of its split
thresholds a value lies (and whether it is missing). :class:`LeafMasks` turns each
(feature, interval between consecutive thresholds) into a bit mask of the leaves each
tree still allows, so every row is scored with a binary search per feature and a few
ANDs (:func:`masked_margin`), summing the leaf values in LightGBM's order: the margins
equal ``booster.predict(X, raw_score=True)`` bit for bit (tested). Rows that fall into
the same intervals on every split feature get the same margin; sampled follower
profiles repeat such patterns a lot, so they are numbered by their intervals
(:func:`interval_keys`) and each distinct key is scored once (:func:`keyed_margin`).

Trees of at most 64 leaves are handled; for others :func:`leaf_masks` gives ``None`` and
the caller uses ``booster.predict``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fakedetect._compiled.runtime import launch
from fakedetect._compiled.trees import Splits, goes_left

#: Bytes the leaf masks of one model may take (:func:`leaf_masks`); a larger model is
#: scored by LightGBM.
MAX_MASK_BYTES = 64 << 20
MASK_TYPES = ((16, np.uint16), (32, np.uint32), (64, np.uint64))


@dataclass(frozen=True)
class LeafMasks:
    """A model's trees as bit masks of their leaves, one per tree and feature interval.

    The QuickScorer idea (Lucchese et al., SIGIR 2015): number each tree's leaves from
    left to right, one bit each. A split that sends a row right rules out every leaf of
    its left subtree, and which splits on a feature send a row right depends only on the
    interval between consecutive thresholds the row's value lies in (as for
    :func:`interval_keys`). So each (feature, interval) gets, per tree, the mask of the
    leaves still possible; ANDing a row's masks over its features leaves the leaf it
    reaches as the lowest set bit. No branch depends on the data.

    Attributes
    ----------
    splits : Splits
    padded : numpy.ndarray
        Shape (split features, 2**k): each split feature's thresholds, padded with +inf.
    sizes : numpy.ndarray
        Thresholds of each split feature (int64).
    zero_missing : numpy.ndarray
        Whether a split on the feature treats zero as missing (bool).
    offsets : numpy.ndarray
        First mask row of each split feature's intervals (int64, one more than features):
        intervals ``0..size`` between thresholds, then NaN, then zero.
    masks : numpy.ndarray
        Shape (mask rows, trees), unsigned: the leaves each tree still allows.
    full : numpy.ndarray
        Every leaf of each tree (the starting mask).
    first_leaf : numpy.ndarray
        Index in ``splits.leaf_value`` of each tree's leftmost leaf.
    """

    splits: Splits
    padded: np.ndarray
    sizes: np.ndarray
    zero_missing: np.ndarray
    offsets: np.ndarray
    masks: np.ndarray
    full: np.ndarray
    first_leaf: np.ndarray


def leaf_masks(splits: Splits, max_bytes: int = MAX_MASK_BYTES) -> LeafMasks | None:
    """Build the :class:`LeafMasks` of a model.

    Parameters
    ----------
    splits : Splits
    max_bytes : int
        Largest mask table allowed.

    Returns
    -------
    LeafMasks or None
        ``None`` when a tree has more than 64 leaves or the masks would take more than
        ``max_bytes``.
    """
    n_nodes, n_trees = len(splits.node_feature), len(splits.roots)
    # Nodes are numbered in pre-order, left child first, and leaves as reached, so the
    # leaves below a node are one run ``low[node]..high[node]``; children come later.
    low = np.zeros(n_nodes, dtype=np.int64)
    high = np.zeros(n_nodes, dtype=np.int64)

    def span(child: int) -> tuple[int, int]:
        return (-child - 1, -child - 1) if child < 0 else (low[child], high[child])

    for node in range(n_nodes - 1, -1, -1):
        low[node] = span(int(splits.node_left[node]))[0]
        high[node] = span(int(splits.node_right[node]))[1]
    spans = [span(int(root)) for root in splits.roots]
    first = np.array([a for a, _ in spans], dtype=np.int64)
    leaves = np.array([b - a + 1 for a, b in spans], dtype=np.int64)
    most = int(leaves.max(initial=1))
    bits, dtype = next(((b, t) for b, t in MASK_TYPES if most <= b), (0, None))
    sizes = np.array([len(th) for th in splits.thresholds], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes + 3)]).astype(np.int64)
    if dtype is None or int(offsets[-1]) * n_trees * np.dtype(dtype).itemsize > max_bytes:
        return None
    full = np.array([(1 << int(k)) - 1 for k in leaves], dtype=np.uint64).astype(dtype)
    masks = np.tile(full, (int(offsets[-1]), 1))
    tree_of = np.zeros(n_nodes, dtype=np.int64)
    for t, root in enumerate(splits.roots):  # a tree's nodes are numbered together
        if root >= 0:
            tree_of[root:root + leaves[t] - 1] = t
    column = {f: j for j, f in enumerate(splits.features)}
    for node in range(n_nodes):
        j = column[int(splits.node_feature[node])]
        t = int(tree_of[node])
        threshold = float(splits.node_threshold[node])
        k = int(np.searchsorted(splits.thresholds[j], threshold))
        a, b = span(int(splits.node_left[node]))  # the leaves a right turn rules out
        clear = dtype(~(((1 << int(b - a + 1)) - 1) << int(a - first[t])) & ((1 << bits) - 1))
        o, size = int(offsets[j]), int(sizes[j])
        masks[o + k + 1:o + size + 1, t] &= clear  # values above the threshold go right
        args = (int(splits.node_missing[node]), bool(splits.node_default_left[node]),
                threshold)
        if not goes_left(math.nan, *args):
            masks[o + size + 1, t] &= clear
        if not goes_left(0.0, *args):
            masks[o + size + 2, t] &= clear
    return LeafMasks(splits=splits, padded=_padded(splits.thresholds), sizes=sizes,
                     zero_missing=np.array(splits.zero_missing, dtype=np.bool_),
                     offsets=offsets, masks=masks, full=full, first_leaf=first)


def masked_margin(masks: LeafMasks, narrow: np.ndarray, *, n_jobs: int | None = None
                  ) -> np.ndarray:
    """The raw margin of every row from its split features, by :class:`LeafMasks`.

    Equal, bit for bit, to ``booster.predict(X, raw_score=True)`` (tested).

    Parameters
    ----------
    masks : LeafMasks
    narrow : numpy.ndarray
        Shape (split features, rows): row ``j`` holds feature ``masks.splits.features[j]``
        of every row, float64 with NaN for missing.
    n_jobs : int, optional
        Threads (``None``: every core).

    Returns
    -------
    numpy.ndarray
    """
    narrow = _narrow(masks, narrow)
    out = np.empty(narrow.shape[1])
    if not narrow.shape[1]:
        return out
    with launch("leafmasks", n_jobs) as kernels:
        kernels.masked_margin(narrow, masks.padded, masks.sizes, masks.zero_missing,
                              masks.offsets, masks.masks, masks.full, masks.first_leaf,
                              masks.splits.leaf_value, out)
    return out


def interval_keys(masks: LeafMasks, columns: Sequence[np.ndarray | None], rows: int, *,
                  n_jobs: int | None = None) -> np.ndarray | None:
    """One integer per row naming its intervals on every split feature: rows with equal
    keys get equal margins (:func:`keyed_margin` gives them).

    Parameters
    ----------
    masks : LeafMasks
    columns : sequence
        One float64 array of ``rows`` values per split feature (``masks.splits.features``
        order; a ``narrow`` matrix as :func:`masked_margin` takes it will do), ``None``
        for a feature missing on every row. Read in place, column by column.
    rows : int
    n_jobs : int, optional
        Threads (``None``: every core).

    Returns
    -------
    numpy.ndarray or None
        int64 keys; ``None`` when the intervals of the model's features do not fit in
        62 bits.
    """
    return _interval_keys(masks.padded, masks.sizes, masks.zero_missing, columns, rows,
                          n_jobs)


def _padded(thresholds: Sequence[np.ndarray]) -> np.ndarray:
    """Each split feature's sorted thresholds in a row, padded with +inf to a power of
    two above the most thresholds (the binary search of the kernels)."""
    width = 1 << max((len(th) for th in thresholds), default=0).bit_length()
    padded = np.full((len(thresholds), width), np.inf)
    for j, th in enumerate(thresholds):
        padded[j, :len(th)] = th
    return padded


def _interval_keys(padded: np.ndarray, sizes: np.ndarray, zero_missing: np.ndarray,
                   columns: Sequence[np.ndarray | None], rows: int, n_jobs: int | None
                   ) -> np.ndarray | None:
    """:func:`interval_keys` from the thresholds as the kernels take them."""
    if np.prod((sizes + 3).astype(np.float64)) >= 2.0**62:
        return None
    if len(columns) != len(sizes):
        raise ValueError(f"expected {len(sizes)} split feature columns, got "
                         f"{len(columns)}")
    keys = np.zeros(rows, dtype=np.int64)
    if not rows:
        return keys
    with launch("leafmasks", n_jobs) as kernels:
        for j, col in enumerate(columns):
            size, zero = int(sizes[j]), bool(zero_missing[j])
            values = np.full(1, np.nan) if col is None else np.asarray(col, dtype=np.float64)
            constant = col is None or (values.shape == (rows,) and values.strides[0] == 0)
            if constant and rows > 1:  # one value repeated (an absent input): bin it once
                values = values[:1]
                one = np.zeros(1, dtype=np.int64)
                kernels.add_interval_keys(values.copy(), padded[j], size, zero, one)
                keys *= size + 3
                keys += one[0]
                continue
            if values.shape != (rows,):
                raise ValueError(f"split feature column {j} has shape {values.shape}; "
                                 f"expected ({rows},)")
            if not (values.flags.c_contiguous and values.flags.writeable):
                values = values.copy()
            kernels.add_interval_keys(values, padded[j], size, zero, keys)
    return keys


def keyed_margin(masks: LeafMasks, keys: np.ndarray, *, n_jobs: int | None = None
                 ) -> np.ndarray:
    """:func:`masked_margin` of the rows whose :func:`interval_keys` are ``keys``.

    Parameters
    ----------
    masks : LeafMasks
    keys : numpy.ndarray
    n_jobs : int, optional
        Threads (``None``: every core).

    Returns
    -------
    numpy.ndarray
        Equal, bit for bit, to the margins of the rows the keys came from (tested).
    """
    keys = np.ascontiguousarray(keys, dtype=np.int64)
    out = np.empty(len(keys))
    if len(keys):
        with launch("leafmasks", n_jobs) as kernels:
            kernels.keyed_margin(keys, masks.sizes, masks.offsets, masks.masks, masks.full,
                                 masks.first_leaf, masks.splits.leaf_value, out)
    return out


def _narrow(masks: LeafMasks, narrow: np.ndarray) -> np.ndarray:
    """``narrow`` as the kernels take it: C order, float64, writable."""
    narrow = np.ascontiguousarray(narrow, dtype=np.float64)
    if narrow.ndim != 2 or narrow.shape[0] != len(masks.sizes):
        raise ValueError(f"expected {len(masks.sizes)} rows of split features, got shape "
                         f"{narrow.shape}")
    return narrow if narrow.flags.writeable else narrow.copy()


def split_columns(splits: Splits, X: np.ndarray) -> np.ndarray:
    """The split features of a matrix as rows, as :func:`masked_margin` takes them.

    Parameters
    ----------
    splits : Splits
    X : numpy.ndarray
        Shape (rows, features).

    Returns
    -------
    numpy.ndarray
        Shape (split features, rows), C order.
    """
    X = _checked(splits, X)
    narrow = np.empty((len(splits.features), X.shape[0]))
    for j, f in enumerate(splits.features):
        narrow[j] = X[:, f]
    return narrow


def _checked(splits: Splits, X: np.ndarray) -> np.ndarray:
    """``X`` as float64, refused unless it has the model's width (compiled code does not
    check its indices)."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != splits.n_features:
        raise ValueError(f"expected a matrix of {splits.n_features} features, got shape "
                         f"{X.shape}")
    return X
