"""Compiled loops of :mod:`fakedetect._compiled.leafmasks` (numba; imported by
:func:`fakedetect._compiled.runtime.kernels` on first use, machine code cached beside
this file)."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from fakedetect._compiled.trees import ZERO as _ZERO  # LightGBM's kZeroThreshold

#: Rows binned together by one thread in :func:`masked_margin` (each feature's searches
#: run over the block, so they overlap instead of waiting on each other).
_BLOCK = 256


@njit(cache=True, inline="always")
def _trailing_zeros(a: int) -> int:  # pragma: no cover - compiled
    """Zero bits below the lowest set bit of a non-zero int64 (LLVM recognises the loop
    as a popcount of the bits below it)."""
    x = (a & -a) - 1
    n = 0
    while x:
        x &= x - 1
        n += 1
    return n


@njit(cache=True, inline="always")
def _bin_column(values: np.ndarray, lo: int, m: int, th: np.ndarray, size: int, zero: bool,
                xs: np.ndarray, base: np.ndarray) -> None:  # pragma: no cover - compiled
    """Interval of ``values[lo:lo + m]`` between the sorted thresholds ``th`` (padded
    with +inf to the next power of two above their number ``size``), into ``base``.

    A branch-free binary search, run over the whole block at once so that the searches
    overlap instead of waiting on each other; NaN (``size + 1``) and, where a split
    treats zero as missing (``zero``), zero (``size + 2``) are intervals of their own
    (:func:`fakedetect._compiled.leafmasks.interval_keys` numbers rows by them).
    """
    for r in range(m):
        x = values[lo + r]
        if x >= -_ZERO and x <= _ZERO:
            x = 0.0
        xs[r] = x
        base[r] = 0
    step = 1  # half the smallest power of two above the number of thresholds
    while step <= size:
        step <<= 1
    step >>= 1
    while step > 0:
        for r in range(m):
            base[r] += step * (th[base[r] + step - 1] < xs[r])
        step >>= 1
    for r in range(m):
        x = xs[r]
        if x != x:
            base[r] = size + 1
        elif zero and x == 0.0:
            base[r] = size + 2


@njit(cache=True, inline="always")
def _bin_block(narrow: np.ndarray, lo: int, m: int, padded: np.ndarray, sizes: np.ndarray,
               zero_missing: np.ndarray, shift: np.ndarray, bins: np.ndarray,
               xs: np.ndarray, base: np.ndarray) -> None:  # pragma: no cover - compiled
    """:func:`_bin_column` of every split feature ``narrow[j]``, plus ``shift[j]``, into
    ``bins[r, j]``."""
    for j in range(narrow.shape[0]):
        _bin_column(narrow[j], lo, m, padded[j], sizes[j], zero_missing[j], xs, base)
        o = shift[j]
        for r in range(m):
            bins[r, j] = o + base[r]


@njit(cache=True, inline="always")
def _masked_sum(bins: np.ndarray, r: int, masks: np.ndarray,
                full: np.ndarray, first_leaf: np.ndarray, leaf_value: np.ndarray,
                acc: np.ndarray, leaf: np.ndarray) -> float:  # pragma: no cover - compiled
    """The margin of one row from its mask rows ``bins[r]`` (intervals plus
    ``offsets``): the masks of its intervals
    ANDed tree by tree leave the leaf it reaches as the lowest set bit; leaf values are
    summed in tree order, as LightGBM does."""
    T = full.shape[0]
    for t in range(T):
        acc[t] = full[t]
    for j in range(bins.shape[1]):
        row = bins[r, j]
        for t in range(T):
            acc[t] &= masks[row, t]
    for t in range(T):
        leaf[t] = first_leaf[t] + _trailing_zeros(np.int64(acc[t]))
    total = 0.0
    for t in range(T):
        total += leaf_value[leaf[t]]
    return total


@njit(parallel=True, cache=True)
def masked_margin(narrow: np.ndarray, padded: np.ndarray, sizes: np.ndarray,
                  zero_missing: np.ndarray, offsets: np.ndarray, masks: np.ndarray,
                  full: np.ndarray, first_leaf: np.ndarray, leaf_value: np.ndarray,
                  out: np.ndarray) -> None:  # pragma: no cover - compiled
    """Raw margins by leaf bit masks (see :class:`fakedetect._compiled.leafmasks.LeafMasks`):
    :func:`_bin_block`, then :func:`_masked_sum` row by row."""
    J, n = narrow.shape
    T = full.shape[0]
    for c in prange((n + _BLOCK - 1) // _BLOCK):
        lo = c * _BLOCK
        m = min(n, lo + _BLOCK) - lo
        bins = np.empty((_BLOCK, J), dtype=np.int64)
        xs = np.empty(_BLOCK)
        base = np.empty(_BLOCK, dtype=np.int64)
        acc = np.empty(T, dtype=masks.dtype)
        leaf = np.empty(T, dtype=np.int64)
        _bin_block(narrow, lo, m, padded, sizes, zero_missing, offsets, bins, xs, base)
        for r in range(m):
            out[lo + r] = _masked_sum(bins, r, masks, full, first_leaf, leaf_value, acc,
                                      leaf)


@njit(parallel=True, cache=True)
def add_interval_keys(values: np.ndarray, th: np.ndarray, size: int, zero: bool,
                      keys: np.ndarray) -> None:  # pragma: no cover - compiled
    """Append one split feature to rows' interval keys (mixed radix, ``size + 3`` per
    feature): ``keys = keys * (size + 3) + interval``. Equal keys, equal margins."""
    n = values.shape[0]
    for c in prange((n + _BLOCK - 1) // _BLOCK):
        lo = c * _BLOCK
        m = min(n, lo + _BLOCK) - lo
        xs = np.empty(_BLOCK)
        base = np.empty(_BLOCK, dtype=np.int64)
        _bin_column(values, lo, m, th, size, zero, xs, base)
        for r in range(m):
            keys[lo + r] = keys[lo + r] * (size + 3) + base[r]


@njit(parallel=True, cache=True)
def keyed_margin(keys: np.ndarray, sizes: np.ndarray, offsets: np.ndarray,
                 masks: np.ndarray, full: np.ndarray, first_leaf: np.ndarray,
                 leaf_value: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover
    """:func:`masked_margin` of rows given by their :func:`interval_keys`."""
    J = sizes.shape[0]
    T = full.shape[0]
    n = keys.shape[0]
    for c in prange((n + _BLOCK - 1) // _BLOCK):
        bins = np.empty((1, J), dtype=np.int64)
        acc = np.empty(T, dtype=masks.dtype)
        leaf = np.empty(T, dtype=np.int64)
        for i in range(c * _BLOCK, min(n, (c + 1) * _BLOCK)):
            key = keys[i]
            for j in range(J - 1, -1, -1):
                radix = sizes[j] + 3
                bins[0, j] = offsets[j] + key % radix
                key //= radix
            out[i] = _masked_sum(bins, 0, masks, full, first_leaf, leaf_value, acc, leaf)

