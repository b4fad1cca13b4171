"""Compiled loops of :mod:`fakedetect.treeshap` and :mod:`fakedetect.forest` (imported on
first use: numba is slow to import and compiles on first call; compiled code is cached
beside this file)."""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from fakedetect.forest import ZERO as _ZERO  # LightGBM's kZeroThreshold

#: Rows handled together by one thread.
_CHUNK = 64


@njit(cache=True, inline="always")
def _goes_left(x: float, missing: int, default_left: bool, threshold: float
               ) -> bool:  # pragma: no cover - compiled
    """LightGBM's numerical decision: NaN (unless missing values are NaN) and magnitudes
    up to ``kZeroThreshold`` read as 0; a missing value takes the default side."""
    if (missing != 2 and math.isnan(x)) or -_ZERO <= x <= _ZERO:
        x = 0.0
    if (missing == 1 and x == 0.0) or (missing == 2 and math.isnan(x)):
        return default_left
    return x <= threshold


@njit(cache=True, inline="always")
def _left_bit(x: float, missing: int, default_left: bool, threshold: float
              ) -> bool:  # pragma: no cover - compiled
    """:func:`_goes_left` with bitwise operators only, so it compiles without branches.

    For deciding every split of a model at once (TreeSHAP), where a split's outcome is
    unpredictable and a mispredicted branch cost three times the decision itself. A
    tree walk, which branches on the outcome anyway, is faster with :func:`_goes_left`.
    """
    isnan = x != x
    zero = ((x >= -_ZERO) & (x <= _ZERO)) | (isnan & (missing != 2))
    miss = ((missing == 1) & zero) | ((missing == 2) & isnan)
    below = (zero & (threshold >= 0.0)) | (~zero & (x <= threshold))
    return (miss & default_left) | (~miss & below)


@njit(cache=True)
def fill_tables(values: np.ndarray, depth: np.ndarray, z: np.ndarray, offsets: np.ndarray,
                table: np.ndarray) -> None:  # pragma: no cover - compiled
    """Contribution of each path feature, for each leaf and each pattern of met
    conditions (bit k set: the row meets the leaf's conditions on feature k)."""
    for leaf in range(values.shape[0]):
        d = depth[leaf]
        full = (1 << d) - 1
        for pat in range(1 << d):
            for k in range(d):
                o_k = (pat >> k) & 1
                rest = full & ~(1 << k)
                ones = pat & rest
                total = 0.0
                sub = ones
                while True:
                    s = 0
                    prod = 1.0
                    for m in range(d):
                        if (rest >> m) & 1:
                            if (sub >> m) & 1:
                                s += 1
                            else:
                                prod *= z[leaf, m]
                    total += (math.gamma(s + 1) * math.gamma(d - s) / math.gamma(d + 1)
                              * prod)
                    if sub == 0:
                        break
                    sub = (sub - 1) & ones
                table[offsets[leaf] + pat * d + k] = values[leaf] * (o_k - z[leaf, k]) * total


@njit(cache=True)
def fill_groups(leaf_off: np.ndarray, leaves: np.ndarray, feat_off: np.ndarray,
                group_table: np.ndarray, leaf_entries: np.ndarray, entry_bit: np.ndarray,
                entry_left: np.ndarray, entry_pos: np.ndarray, leaf_depth: np.ndarray,
                leaf_fpos: np.ndarray, leaf_table: np.ndarray, table: np.ndarray,
                gtable: np.ndarray) -> None:  # pragma: no cover - compiled
    """Sum the leaf tables of each group, for every combination of decisions at the
    group's nodes (bit u set: the row goes left at the group's node u)."""
    for g in range(leaf_off.shape[0] - 1):
        nf = feat_off[g + 1] - feat_off[g]
        combos = (group_table[g + 1] - group_table[g]) // max(nf, 1)
        for idx in range(combos):
            row = group_table[g] + idx * nf
            for r in range(leaf_off[g], leaf_off[g + 1]):
                leaf = leaves[r]
                d = leaf_depth[leaf]
                pat = (1 << d) - 1
                for e in range(leaf_entries[leaf], leaf_entries[leaf + 1]):
                    if ((idx >> entry_bit[e]) & 1 == 1) != entry_left[e]:
                        pat &= ~(1 << entry_pos[e])
                base = leaf_table[leaf] + pat * d
                for k in range(d):
                    gtable[row + leaf_fpos[leaf, k]] += table[base + k]


@njit(parallel=True, cache=True)
def explain(X: np.ndarray, node_feature: np.ndarray, node_threshold: np.ndarray,
            node_missing: np.ndarray, node_default_left: np.ndarray,
            group_node_off: np.ndarray, group_nodes: np.ndarray, group_feat_off: np.ndarray,
            group_feats: np.ndarray, group_table: np.ndarray, gtable: np.ndarray,
            rest_leaves: np.ndarray, leaf_entries: np.ndarray, entry_node: np.ndarray,
            entry_left: np.ndarray, entry_pos: np.ndarray, leaf_depth: np.ndarray,
            leaf_features: np.ndarray, leaf_table: np.ndarray, table: np.ndarray,
            out: np.ndarray) -> None:  # pragma: no cover - compiled
    """Add every group's (and every ungrouped leaf's) tabulated contributions to ``out``
    (rows x features + 1)."""
    n = X.shape[0]
    n_nodes = node_feature.shape[0]
    n_groups = group_node_off.shape[0] - 1
    chunks = (n + _CHUNK - 1) // _CHUNK
    for c in prange(chunks):
        left = np.empty(n_nodes, dtype=np.int64)
        for i in range(c * _CHUNK, min(n, (c + 1) * _CHUNK)):
            for node in range(n_nodes):
                left[node] = np.int64(_left_bit(X[i, node_feature[node]],
                                                node_missing[node], node_default_left[node],
                                                node_threshold[node]))
            for g in range(n_groups):
                u0 = group_node_off[g]
                idx = 0
                for u in range(u0, group_node_off[g + 1]):
                    idx |= left[group_nodes[u]] << (u - u0)
                f0 = group_feat_off[g]
                nf = group_feat_off[g + 1] - f0
                row = group_table[g] + idx * nf
                for k in range(nf):
                    out[i, group_feats[f0 + k]] += gtable[row + k]
            for r in range(rest_leaves.shape[0]):
                leaf = rest_leaves[r]
                d = leaf_depth[leaf]
                pat = (1 << d) - 1
                for e in range(leaf_entries[leaf], leaf_entries[leaf + 1]):
                    if (left[entry_node[e]] == 1) != entry_left[e]:
                        pat &= ~(1 << entry_pos[e])
                base = leaf_table[leaf] + pat * d
                for k in range(d):
                    out[i, leaf_features[leaf, k]] += table[base + k]


@njit(parallel=True, cache=True)
def tree_margin(X: np.ndarray, node_feature: np.ndarray, node_threshold: np.ndarray,
                node_missing: np.ndarray, node_default_left: np.ndarray,
                node_left: np.ndarray, node_right: np.ndarray, roots: np.ndarray,
                leaf_value: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover
    """Sum of the leaf values each row reaches, tree by tree (LightGBM's order)."""
    for i in prange(X.shape[0]):
        total = 0.0
        for t in range(roots.shape[0]):
            node = roots[t]
            while node >= 0:
                if _goes_left(X[i, node_feature[node]], node_missing[node],
                              node_default_left[node], node_threshold[node]):
                    node = node_left[node]
                else:
                    node = node_right[node]
            total += leaf_value[-node - 1]
        out[i] = total


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
    (:func:`fakedetect.forest.pattern_keys` numbers rows by them).
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
    """Raw margins by leaf bit masks (see :class:`fakedetect.forest.LeafMasks`):
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


@njit(cache=True)
def _same_bytes(offsets: np.ndarray, data: np.ndarray, a: int, b: int
                ) -> bool:  # pragma: no cover - compiled
    length = offsets[a + 1] - offsets[a]
    if length != offsets[b + 1] - offsets[b]:
        return False
    same = True
    for k in range(length):
        same = same and data[offsets[a] + k] == data[offsets[b] + k]
    return same


@njit(cache=True)
def _fnv1a(data: np.ndarray, lo: int, hi: int) -> np.uint64:  # pragma: no cover - compiled
    h = np.uint64(14695981039346656037)
    for b in range(lo, hi):
        h = (h ^ np.uint64(data[b])) * np.uint64(1099511628211)
    return h


@njit(parallel=True, cache=True)
def texts_distinct_in_segments(offsets: np.ndarray, data: np.ndarray,
                               starts: np.ndarray) -> bool:  # pragma: no cover - compiled
    """Whether no segment ``starts[s]:starts[s + 1]`` of a string array (Arrow offsets
    and bytes) holds the same text twice: FNV-1a hashes sorted per segment; a repeated
    hash is confirmed byte by byte."""
    segments = starts.shape[0] - 1
    repeat = np.zeros(segments, dtype=np.bool_)
    for s in prange(segments):
        lo, hi = starts[s], starts[s + 1]
        hashes = np.empty(hi - lo, dtype=np.uint64)
        for r in range(hi - lo):
            hashes[r] = _fnv1a(data, offsets[lo + r], offsets[lo + r + 1])
        order = np.argsort(hashes)
        q, m = 0, hi - lo
        while q < m - 1 and not repeat[s]:
            end = q + 1  # rows order[q:end] share a hash (almost always one row)
            while end < m and hashes[order[end]] == hashes[order[q]]:
                end += 1
            for x in range(q, end - 1):
                for y in range(x + 1, end):
                    if _same_bytes(offsets, data, lo + order[x], lo + order[y]):
                        repeat[s] = True  # one confirmed repeat settles the segment
                        break
                if repeat[s]:
                    break
            q = end
    return not repeat.any()


#: The multipliers of MurmurHash3's 64-bit finaliser (public domain constants).
_MIX1, _MIX2 = np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53)


@njit(cache=True, inline="always")
def _slot(key: int, bits: int) -> int:  # pragma: no cover - compiled
    """Table slot of ``key``: the top ``bits`` of MurmurHash3's finaliser, which mixes
    every input bit into every output bit, so that structured keys (arithmetic
    progressions, multiples of powers of two) spread over the table."""
    x = np.uint64(key)
    x ^= x >> np.uint64(33)
    x *= _MIX1
    x ^= x >> np.uint64(33)
    x *= _MIX2
    x ^= x >> np.uint64(33)
    return np.int64(x >> np.uint64(64 - bits))


@njit(cache=True, nogil=True)
def factorize_ints(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
    """``pandas.factorize`` of int64 values: the code of every value, in order of first
    appearance, and the distinct values. An open-addressing table of codes, grown to
    keep it at most half full; it holds the GIL for none of its work."""
    n = keys.shape[0]
    bits = 10
    slots = np.full(1 << bits, -1, dtype=np.int64)
    uniques = np.empty(1 << bits, dtype=np.int64)
    codes = np.empty(n, dtype=np.int64)
    k = 0
    for i in range(n):
        key = keys[i]
        mask = (1 << bits) - 1
        j = _slot(key, bits)
        while True:
            s = slots[j]
            if s < 0:
                if k == uniques.shape[0]:
                    more = np.empty(2 * k, dtype=np.int64)
                    more[:k] = uniques
                    uniques = more
                slots[j] = k
                uniques[k] = key
                codes[i] = k
                k += 1
                break
            if uniques[s] == key:
                codes[i] = s
                break
            j = (j + 1) & mask
        if 2 * k > slots.shape[0]:
            bits += 1
            slots = np.full(1 << bits, -1, dtype=np.int64)
            for u in range(k):
                j = _slot(uniques[u], bits)
                while slots[j] >= 0:
                    j = (j + 1) & ((1 << bits) - 1)
                slots[j] = u
    return codes, uniques[:k].copy()


@njit(cache=True, nogil=True)
def top_abs(values: np.ndarray, k: int) -> np.ndarray:  # pragma: no cover - compiled
    """Columns of the ``k`` largest absolute values of every row, largest first, ties in
    column order: the first ``k`` columns of a stable ``argsort(-abs(values))``, found
    by insertion into a list of ``k``."""
    n, m = values.shape
    out = np.empty((n, k), dtype=np.int64)
    best = np.empty(k)
    for i in range(n):
        have = 0
        for j in range(m):
            a = abs(values[i, j])
            if have == k and not a > best[k - 1]:
                continue
            q = have if have < k else k - 1
            while q > 0 and a > best[q - 1]:  # strictly larger: earlier columns stay ahead
                if q < k:
                    best[q] = best[q - 1]
                    out[i, q] = out[i, q - 1]
                q -= 1
            best[q] = a
            out[i, q] = j
            if have < k:
                have += 1
    return out
