"""Compiled loops of :mod:`fakedetect._compiled.treeshap` (numba; imported by
:func:`fakedetect._compiled.runtime.kernels` on first use, machine code cached beside
this file)."""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from fakedetect._compiled.trees import ZERO as _ZERO  # LightGBM's kZeroThreshold

#: Rows handled together by one thread.
_CHUNK = 64


@njit(cache=True, inline="always")
def _left_bit(x: float, missing: int, default_left: bool, threshold: float
              ) -> bool:  # pragma: no cover - compiled
    """:func:`fakedetect._compiled.trees.goes_left` with bitwise operators only, so it
    compiles without branches (every split of the model is decided for every row, and
    the outcomes are unpredictable)."""
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


