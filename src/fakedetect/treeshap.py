"""Exact path-dependent TreeSHAP for shallow LightGBM models, compiled and tabulated.

LightGBM's ``pred_contrib`` runs the recursive TreeSHAP algorithm for every row and
tree, at a cost of O(leaves x depth^2) per tree. For shallow trees most of that work can
be done once per model instead of once per row: for a leaf whose path tests the unique
features ``j_1 .. j_d`` (with cover fractions ``z_k``), a row's contribution to feature
``j_k`` depends only on which of those features' conditions the row meets (its *pattern*,
one bit per feature). With the Shapley weights ``w(s) = s! (d - s - 1)! / d!``::

    phi_k = v_leaf * (o_k - z_k) * sum over S of (P \\ k) with o_S = 1 of
            w(|S|) * prod over m in (P \\ k) \\ S of z_m

so every leaf gets a table of ``2^d x d`` contributions, computed once. Scoring a row
is then: decide each split of a tree once, build each leaf's pattern from the split
decisions, and add that pattern's row of the leaf's table (the tabulated form of
"Fast TreeSHAP v2", Yang 2021, arXiv:2109.09847). One step further, the leaves below a
node whose leaves' paths test few nodes (:data:`MAX_GROUP_NODES`) share one summed table,
indexed by the row's decisions at those nodes: a row then looks up one row of numbers per
group instead of one per leaf; with the splits decided without branches, 20,000 rows of
the demo's depth-4 model take 0.08 s instead of 0.31 s leaf by leaf. The values equal
LightGBM's ``pred_contrib`` up to floating-point rounding, which the tests check.

Only plain numerical splits are handled (the trees are read by
:func:`fakedetect.forest.model_splits`); a model with categorical splits, linear trees,
averaged output, several trees per iteration, paths testing more than :data:`MAX_PATH_FEATURES`
features, or tables too costly to fill (:data:`MAX_TABLE_WORK`, deep trees) is refused
with ``None`` from :func:`compile_tables`, and the caller falls back to ``pred_contrib``.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import lightgbm as lgb

    from fakedetect.forest import Splits

#: Largest number of distinct features on one root-to-leaf path that is tabulated
#: (tables grow as 2^d per leaf).
MAX_PATH_FEATURES = 10
#: Models whose tables would take more steps than this to fill (about a second) or hold
#: more numbers than :data:`MAX_TABLE_VALUES` are declined: LightGBM's ``pred_contrib``
#: is then the faster choice.
MAX_TABLE_WORK = 2e8
MAX_TABLE_VALUES = 2e7
#: Leaves are scored in groups: all the leaves below one node, whose paths together
#: test at most this many nodes, share one table indexed by the row's decisions at those
#: nodes (2^n rows of the group's distinct features).
MAX_GROUP_NODES = 8


@dataclass(frozen=True)
class ShapTables:
    """A model's flat trees (:class:`~fakedetect.forest.Splits`) with every leaf's
    contribution table.

    A leaf's path entries list the nodes on its path, the direction its path takes there
    (1 = left) and the position of the node's feature among the leaf's distinct path
    features.
    """

    splits: Splits
    leaf_entries: np.ndarray  # int64 (leaves + 1,): entry range of each leaf
    entry_node: np.ndarray  # int32 (entries,)
    entry_left: np.ndarray  # bool (entries,)
    entry_pos: np.ndarray  # int8 (entries,)
    leaf_depth: np.ndarray  # int8 (leaves,): distinct path features d
    leaf_features: np.ndarray  # int32 (leaves, max d)
    leaf_table: np.ndarray  # int64 (leaves + 1,): offset of each leaf's table
    table: np.ndarray  # float64: per leaf 2^d rows of d contributions
    expected: float  # the base value: the cover-weighted mean of the leaf values
    group_node_off: np.ndarray  # int64 (groups + 1,): node range of each group
    group_nodes: np.ndarray  # int32: the nodes a group's table is indexed by
    group_feat_off: np.ndarray  # int64 (groups + 1,): feature range of each group
    group_feats: np.ndarray  # int32: the distinct features of a group's nodes
    group_table: np.ndarray  # int64 (groups + 1,): offset of each group's table
    gtable: np.ndarray  # float64: per group 2^nodes rows of its features' contributions
    rest_leaves: np.ndarray  # int32: leaves in no group (scored leaf by leaf)

    @property
    def n_features(self) -> int:
        """Columns of the model's input."""
        return self.splits.n_features


def compile_tables(booster: lgb.Booster) -> ShapTables | None:
    """Tabulate a booster for :func:`contributions`, or ``None`` when it cannot be.

    Parameters
    ----------
    booster : lightgbm.Booster
        A model with one tree per iteration and numerical splits only.

    Returns
    -------
    ShapTables or None
        ``None`` for models this module does not handle (use ``pred_contrib``).
    """
    from fakedetect.forest import model_splits

    splits = model_splits(booster)
    return tabulate(splits) if splits is not None else None


def tabulate(splits: Splits) -> ShapTables | None:
    """:func:`compile_tables` from a model's flat trees (read once, shared with
    :mod:`fakedetect.forest`)."""
    depth, feats, zfrac, entries_node, entries_left, entries_pos = [], [], [], [], [], []
    leaf_entries = [0]
    values = []
    expected = 0.0

    def cover(child: int) -> float:
        return float(splits.node_count[child] if child >= 0
                     else splits.leaf_count[-child - 1])

    for root in splits.roots.tolist():
        if root < 0:
            expected += float(splits.leaf_value[-root - 1])  # a single-leaf tree
            continue
        stack: list[tuple[int, list[tuple[int, bool, float]]]] = [(root, [])]
        while stack:
            node, path = stack.pop()
            if node < 0:  # a leaf: its distinct path features and their cover fractions
                order: list[int] = []
                z: list[float] = []
                for at, left, child_count in path:
                    f = int(splits.node_feature[at])
                    count = float(splits.node_count[at])
                    frac = child_count / count if count > 0 else 0.0
                    if f in order:
                        z[order.index(f)] *= frac
                    else:
                        order.append(f)
                        z.append(frac)
                    entries_node.append(at)
                    entries_left.append(left)
                    entries_pos.append(order.index(f))
                if len(order) > MAX_PATH_FEATURES:
                    return None
                value = float(splits.leaf_value[-node - 1])
                leaf_entries.append(len(entries_node))
                depth.append(len(order))
                feats.append(order)
                zfrac.append(z)
                values.append(value)
                expected += value * math.prod(z)
                continue
            right, left_child = int(splits.node_right[node]), int(splits.node_left[node])
            stack.append((right, [*path, (node, False, cover(right))]))
            stack.append((left_child, [*path, (node, True, cover(left_child))]))
    width = max(depth, default=0)
    leaf_features = np.zeros((len(values), max(width, 1)), dtype=np.int32)
    zpad = np.ones((len(values), max(width, 1)))
    for i, (f, z) in enumerate(zip(feats, zfrac, strict=True)):
        leaf_features[i, :len(f)] = f
        zpad[i, :len(z)] = z
    d = np.array(depth, dtype=np.int64)
    # Filling a leaf's table sums over pattern pairs (about 4^d d^2 / 2 steps) and stores
    # 2^d d numbers: cheap for shallow trees, prohibitive for deep ones.
    if float(np.sum(4.0**d * d * d)) / 2 > MAX_TABLE_WORK or float(
            np.sum(2.0**d * d)) > MAX_TABLE_VALUES:
        return None
    offsets = np.zeros(len(values) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum((1 << d) * d)
    table = np.zeros(int(offsets[-1]))
    entries = np.array(leaf_entries, dtype=np.int64)
    nodes = np.array(entries_node, dtype=np.int32)
    groups = _groups(splits, entries, nodes, feats)
    if (float(groups.work) > MAX_TABLE_WORK
            or float(groups.values) + len(table) > MAX_TABLE_VALUES):
        return None
    gtable = np.zeros(int(groups.table[-1]))
    with launch() as kernels:
        kernels.fill_tables(np.array(values, dtype=np.float64), d, zpad, offsets, table)
        kernels.fill_groups(groups.leaf_off, groups.leaves, groups.feat_off, groups.table,
                            entries, groups.entry_bit, np.array(entries_left, dtype=np.bool_),
                            np.array(entries_pos, dtype=np.int8), d.astype(np.int8),
                            groups.leaf_fpos, offsets, table, gtable)
    return ShapTables(
        splits=splits,
        leaf_entries=entries,
        entry_node=nodes,
        entry_left=np.array(entries_left, dtype=np.bool_),
        entry_pos=np.array(entries_pos, dtype=np.int8),
        leaf_depth=d.astype(np.int8),
        leaf_features=leaf_features,
        leaf_table=offsets,
        table=table,
        expected=float(expected),
        group_node_off=groups.node_off,
        group_nodes=groups.nodes,
        group_feat_off=groups.feat_off,
        group_feats=groups.feats,
        group_table=groups.table,
        gtable=gtable,
        rest_leaves=groups.rest,
    )


@dataclass(frozen=True)
class _Groups:
    node_off: np.ndarray
    nodes: np.ndarray
    feat_off: np.ndarray
    feats: np.ndarray
    table: np.ndarray
    leaf_off: np.ndarray  # int64 (groups + 1,): leaf range of each group in ``leaves``
    leaves: np.ndarray  # int32
    entry_bit: np.ndarray  # int8: the position of each path entry's node in its group
    leaf_fpos: np.ndarray  # int32 (leaves, max d): each path feature's place in its group
    rest: np.ndarray  # int32
    work: float  # steps to fill the group tables
    values: float  # numbers they hold


def _groups(splits: Splits, entries: np.ndarray, nodes: np.ndarray,
            feats: list[list[int]]) -> _Groups:
    """Group the leaves below the highest node whose leaves' paths test at most
    :data:`MAX_GROUP_NODES` nodes (its ancestors and its own subtree's splits)."""
    n_nodes = len(splits.node_feature)
    inner = np.zeros(n_nodes, dtype=np.int64)  # split nodes in each node's subtree
    for node in range(n_nodes - 1, -1, -1):  # children are numbered after their parent
        inner[node] = 1 + sum(int(inner[c]) for c in (splits.node_left[node],
                                                      splits.node_right[node]) if c >= 0)
    members: dict[tuple[int, int], list[int]] = {}
    ancestors: dict[tuple[int, int], list[int]] = {}
    rest: list[int] = []
    for leaf in range(len(feats)):
        path = nodes[entries[leaf]:entries[leaf + 1]].tolist()
        for j in range(len(path) + 1):
            if j + (int(inner[path[j]]) if j < len(path) else 0) <= MAX_GROUP_NODES:
                key = (path[j], -1) if j < len(path) else (-1, leaf)
                members.setdefault(key, []).append(leaf)
                ancestors.setdefault(key, path[:j])
                break
        else:
            rest.append(leaf)
    node_off, group_nodes, feat_off, group_feats, table = [0], [], [0], [], [0]
    leaf_off, leaves = [0], []
    entry_bit = np.zeros(len(nodes), dtype=np.int8)
    leaf_fpos = np.zeros((len(feats), max((len(f) for f in feats), default=1) or 1),
                         dtype=np.int32)
    work = 0.0
    for key, group in members.items():
        order = list(ancestors[key])
        for leaf in group:
            for node in nodes[entries[leaf]:entries[leaf + 1]].tolist():
                if node not in order:
                    order.append(node)
        where = {node: u for u, node in enumerate(order)}
        fs: list[int] = []
        for node in order:
            f = int(splits.node_feature[node])
            if f not in fs:
                fs.append(f)
        for leaf in group:
            for e in range(int(entries[leaf]), int(entries[leaf + 1])):
                entry_bit[e] = where[int(nodes[e])]
            for k, f in enumerate(feats[leaf]):
                leaf_fpos[leaf, k] = fs.index(f)
            work += float(2 ** len(order)) * (int(entries[leaf + 1] - entries[leaf])
                                               + len(feats[leaf]))
        group_nodes += order
        node_off.append(len(group_nodes))
        group_feats += fs
        feat_off.append(len(group_feats))
        table.append(table[-1] + (1 << len(order)) * len(fs))
        leaves += group
        leaf_off.append(len(leaves))
    return _Groups(node_off=np.array(node_off, dtype=np.int64),
                   nodes=np.array(group_nodes, dtype=np.int32),
                   feat_off=np.array(feat_off, dtype=np.int64),
                   feats=np.array(group_feats, dtype=np.int32),
                   table=np.array(table, dtype=np.int64),
                   leaf_off=np.array(leaf_off, dtype=np.int64),
                   leaves=np.array(leaves, dtype=np.int32),
                   entry_bit=entry_bit, leaf_fpos=leaf_fpos,
                   rest=np.array(rest, dtype=np.int32), work=work,
                   values=float(table[-1]))


def contributions(tables: ShapTables, X: np.ndarray) -> np.ndarray:
    """SHAP contributions of every row, as LightGBM's ``pred_contrib`` lays them out.

    Parameters
    ----------
    tables : ShapTables
        From :func:`compile_tables`.
    X : numpy.ndarray
        Shape (rows, features), float64; NaN for missing values.

    Returns
    -------
    numpy.ndarray
        Shape (rows, features + 1): the contributions to the raw margin, then the base
        value in the last column.
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != tables.n_features:
        raise ValueError(f"expected a matrix of {tables.n_features} features, got shape "
                         f"{X.shape}")
    out = np.zeros((X.shape[0], tables.n_features + 1))
    out[:, -1] = tables.expected
    if len(tables.leaf_depth) and len(X):
        with launch() as kernels:
            sp = tables.splits
            kernels.explain(X, sp.node_feature, sp.node_threshold, sp.node_missing,
                            sp.node_default_left, tables.group_node_off, tables.group_nodes,
                            tables.group_feat_off, tables.group_feats, tables.group_table,
                            tables.gtable, tables.rest_leaves, tables.leaf_entries,
                            tables.entry_node, tables.entry_left, tables.entry_pos,
                            tables.leaf_depth, tables.leaf_features, tables.leaf_table,
                            tables.table, out)
    return out


_KERNELS: Any = None
_THREADS = 0  # threads a kernel may use; 0 = numba's default
#: numba's fallback threading layer (``workqueue``) aborts when two threads launch
#: parallel kernels at once; the kernels already use every core, so calls take turns.
KERNEL_LOCK = threading.Lock()


def _kernels() -> Any:
    """The compiled kernels (numba is imported on first use only)."""
    global _KERNELS, _THREADS
    if _KERNELS is not None:
        return _KERNELS
    with KERNEL_LOCK:
        if _KERNELS is None:
            import os

            import numba

            from fakedetect import _kernels

            # Follow OMP_NUM_THREADS as LightGBM does (Dask's nannies set it to 1 for
            # their workers, whose cores the scheduler hands out).
            wanted = os.environ.get("OMP_NUM_THREADS", "")
            if wanted.isdigit() and int(wanted) > 0:
                _THREADS = min(int(wanted), numba.config.NUMBA_NUM_THREADS)
            _KERNELS = _kernels
    return _KERNELS


def serial_kernels() -> Any:
    """The compiled kernels, for the ones that run on the calling thread alone (no
    ``prange``): these need no turn (:func:`launch`) and release the GIL."""
    return _kernels()


@contextmanager
def launch() -> Iterator[Any]:
    """The compiled kernels, held for one call: calls take turns, and each runs on the
    allowed number of threads (numba's setting belongs to the calling thread), fewer
    inside :func:`kernel_threads`."""
    import numba

    kernels = _kernels()
    with KERNEL_LOCK:
        most = numba.config.NUMBA_NUM_THREADS
        here = getattr(_LOCAL, "threads", None)  # set every time: it outlives a block
        numba.set_num_threads(min(here or most, _THREADS or most))
        yield kernels


_LOCAL = threading.local()


@contextmanager
def kernel_threads(n: int) -> Iterator[None]:
    """Run the parallel kernels that this thread launches inside the block on at most
    ``n`` threads.

    For a thread that shares the cores with other busy threads: a kernel spread over
    every core there only makes the threads take turns. Building features, the audience
    thread's kernels on one thread beside the blocks' thread cut the stage from 0.85
    to 0.77 s and 1.55 to 1.41 CPU-s (20,000 simulated accounts, 2 cores).

    Parameters
    ----------
    n : int
        At least 1.
    """
    if n < 1:
        raise ValueError(f"kernel_threads needs at least one thread, got {n}")
    old = getattr(_LOCAL, "threads", None)
    _LOCAL.threads = n if old is None else min(n, old)  # a block inside keeps the cap
    try:
        yield
    finally:
        _LOCAL.threads = old


def compile_kernels() -> None:
    """Compile every kernel for the array layouts fakedetect passes them, so the first
    large scoring run after installing does not pay for it (``make install`` calls this;
    numba caches the machine code beside the sources).

    Returns
    -------
    None
    """
    import lightgbm as lgb

    from fakedetect import forest

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    X[::7, 1] = np.nan
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 4,
                         "min_data_in_leaf": 5}, lgb.Dataset(X, (X[:, 0] > 0) * 1), 2)
    tables = compile_tables(booster)
    splits = forest.model_splits(booster)
    assert tables is not None and splits is not None
    # numba compiles per memory layout and per writability (pandas hands out read-only
    # views): C and Fortran order, writable and not.
    for layout in (np.ascontiguousarray(X), np.asfortranarray(X)):
        for writable in (True, False):
            A = layout.copy(order="K")
            A.flags.writeable = writable
            contributions(tables, A)
            forest.PatternMargins(splits)(A)
            forest.tree_margin(splits, A)
    masks = forest.leaf_masks(splits)
    assert masks is not None
    narrow = forest.split_columns(splits, X)
    keys = forest.interval_keys(masks, narrow, len(X))
    assert keys is not None
    for _, kind in forest._MASK_TYPES:  # one machine code per mask width
        typed = replace(masks, masks=masks.masks.astype(kind), full=masks.full.astype(kind))
        forest.masked_margin(typed, narrow)
        forest.keyed_margin(typed, keys)
    forest.factorize_ints(np.array([3, 1, 3]))
    from fakedetect.explain import _strongest

    _strongest(np.array([[0.5, -1.0, 0.25]]), 2)
