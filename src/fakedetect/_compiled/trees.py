"""A LightGBM model's numerical splits in flat arrays, read from LightGBM's own dump.

The compiled algorithms of this package (:mod:`~fakedetect._compiled.treeshap`,
:mod:`~fakedetect._compiled.leafmasks`) need the trees as arrays. They are read from
``booster.dump_model()``, LightGBM's JSON description of the model, never from its
text format. Models these algorithms do not handle (categorical splits, linear trees,
averaged output, several trees per iteration) give ``None``, and the caller uses
LightGBM's own ``predict``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

if TYPE_CHECKING:
    import lightgbm as lgb

#: LightGBM's ``kZeroThreshold`` (the float32 nearest 1e-35): smaller magnitudes are
#: read as exactly zero.
ZERO = 1.0000000180025095e-35


@dataclass(frozen=True)
class Splits:
    """A model's numerical splits: thresholds per feature, and the trees in flat arrays.

    Nodes of all trees are numbered together; a child index ``c < 0`` is the leaf
    ``-c - 1``, and so is a root below zero (a single-leaf tree).
    """

    features: tuple[int, ...]
    thresholds: tuple[np.ndarray, ...]  # sorted, unique
    zero_missing: tuple[bool, ...]  # some split treats zero as missing
    n_features: int
    node_feature: np.ndarray  # int32
    node_threshold: np.ndarray  # float64
    node_missing: np.ndarray  # int8: 0 None, 1 Zero, 2 NaN
    node_default_left: np.ndarray  # bool
    node_left: np.ndarray  # int32
    node_right: np.ndarray  # int32
    roots: np.ndarray  # int32, one per tree
    leaf_value: np.ndarray  # float64
    node_count: np.ndarray  # float64: training rows through each node (TreeSHAP covers)
    leaf_count: np.ndarray  # float64: training rows in each leaf


_MISSING = {"None": 0, "Zero": 1, "NaN": 2}


def goes_left(x: float, missing: int, default_left: bool, threshold: float) -> bool:
    """LightGBM's numerical decision: NaN (unless missing values are NaN) and magnitudes
    up to ``kZeroThreshold`` read as 0; a missing value takes the default side."""
    if (missing != 2 and math.isnan(x)) or -ZERO <= x <= ZERO:
        x = 0.0
    if (missing == 1 and x == 0.0) or (missing == 2 and math.isnan(x)):
        return default_left
    return x <= threshold


class _Tree(NamedTuple):
    """One tree in LightGBM's own arrays (a child ``c < 0`` is the leaf ``~c``)."""

    split_feature: Sequence[int]
    threshold: Sequence[float]
    decision_type: Sequence[int]  # bit 0 categorical, bit 1 default left, bits 2-3 missing
    left_child: Sequence[int]
    right_child: Sequence[int]
    leaf_value: Sequence[float]
    leaf_count: Sequence[float]
    internal_count: Sequence[float]


def model_splits(booster: lgb.Booster) -> Splits | None:
    """Read the splits of ``booster``; ``None`` for what is not plain numerical trees.

    Only the trees ``booster.predict`` uses are read (up to ``best_iteration`` when set).
    Categorical splits, linear trees, averaged output (random forest mode), several
    classes or trees per iteration give ``None``.

    Parameters
    ----------
    booster : lightgbm.Booster

    Returns
    -------
    Splits or None
    """
    try:
        model = booster.dump_model()
    except RecursionError:  # a degenerate tree nested deeper than the JSON reader goes
        return None
    if (model.get("num_tree_per_iteration", 1) != 1 or model.get("num_class", 1) != 1
            or model.get("average_output")):
        return None
    trees = model["tree_info"]
    best = getattr(booster, "best_iteration", -1) or -1
    if best > 0:
        trees = trees[:best]
    return _flatten(map(_dumped_tree, trees), int(model["max_feature_idx"]) + 1)


def _dumped_tree(info: dict[str, Any]) -> _Tree | None:
    """A tree of ``booster.dump_model()`` in LightGBM's arrays; ``None`` when it has
    categorical splits or linear leaves."""
    n = int(info["num_leaves"])
    feature, decision, left, right = [0] * (n - 1), [0] * (n - 1), [0] * (n - 1), [0] * (n - 1)
    threshold, internal = [0.0] * (n - 1), [0.0] * (n - 1)
    value, count = [0.0] * n, [0.0] * n
    stack = [info["tree_structure"]]
    while stack:
        node = stack.pop()
        if "split_index" not in node:
            if "leaf_coeff" in node:
                return None
            leaf = int(node.get("leaf_index", 0))
            value[leaf] = float(node["leaf_value"])
            count[leaf] = float(node.get("leaf_count", 0))
            continue
        if node["decision_type"] != "<=":
            return None
        i = int(node["split_index"])
        feature[i] = int(node["split_feature"])
        t = float(node["threshold"])
        # the JSON dump writes LightGBM's infinite thresholds (a split that sends every
        # number one way and missing values the other) as +-1e300
        threshold[i] = math.copysign(math.inf, t) if abs(t) >= 1e300 else t
        decision[i] = 2 * bool(node["default_left"]) + 4 * _MISSING[str(node["missing_type"])]
        internal[i] = float(node["internal_count"])
        for side, child in ((left, node["left_child"]), (right, node["right_child"])):
            side[i] = (int(child["split_index"]) if "split_index" in child
                       else ~int(child["leaf_index"]))
            stack.append(child)
    return _Tree(feature, threshold, decision, left, right, value, count, internal)


def _flatten(trees: Iterable[_Tree | None], n_features: int) -> Splits | None:
    """Number the nodes of ``trees`` together into :class:`Splits`.

    Nodes are numbered in depth-first pre-order, left child first, tree after tree;
    leaves in the order they are reached. ``None`` when a tree is ``None`` or has a
    categorical split.

    Raises
    ------
    ValueError
        When a tree's child indices do not form one tree over all its nodes and leaves.
    """
    found: dict[int, set[float]] = {}
    zero: dict[int, bool] = {}
    # feature, threshold, missing, default_left, left, right, count
    nodes: list[list[float]] = []
    leaves: list[tuple[float, float]] = []  # value, count
    roots: list[int] = []
    for number, tree in enumerate(trees):
        if tree is None:
            return None
        n_leaves = len(tree.leaf_value)
        seen = bytearray(2 * n_leaves - 1)  # internal nodes, then leaves
        stack = [(0 if n_leaves > 1 else -1, -1, 0)]  # LightGBM's index, parent, side
        while stack:
            ref, parent, side = stack.pop()
            slot = ref if ref >= 0 else n_leaves - 1 + ~ref
            if not (-n_leaves <= ref < n_leaves - 1) or seen[slot]:
                raise ValueError(f"tree {number}: child {ref} is out of range or "
                                     "reached twice")
            seen[slot] = 1
            if ref < 0:
                leaves.append((float(tree.leaf_value[~ref]), float(tree.leaf_count[~ref])))
                at = -len(leaves)
            else:
                kind = int(tree.decision_type[ref])
                missing = (kind >> 2) & 3
                if kind & 1 or missing == 3:  # categorical; not a missing type
                    return None
                f, t = int(tree.split_feature[ref]), float(tree.threshold[ref])
                found.setdefault(f, set()).add(t)
                zero[f] = zero.get(f, False) or missing == 1
                at = len(nodes)
                nodes.append([f, t, missing, bool(kind & 2), 0, 0,
                              float(tree.internal_count[ref])])
                stack.append((int(tree.right_child[ref]), at, 5))
                stack.append((int(tree.left_child[ref]), at, 4))
            if parent < 0:
                roots.append(at)
            else:
                nodes[parent][side] = at
        if not all(seen):
            raise ValueError(f"tree {number}: some nodes or leaves are never reached")
    features = tuple(sorted(found))
    table = np.array(nodes, dtype=np.float64).reshape(-1, 7)
    leaf = np.array(leaves, dtype=np.float64).reshape(-1, 2)
    return Splits(features=features,
                  thresholds=tuple(np.array(sorted(found[f])) for f in features),
                  zero_missing=tuple(zero[f] for f in features),
                  n_features=n_features,
                  node_feature=table[:, 0].astype(np.int32),
                  node_threshold=table[:, 1].copy(),
                  node_missing=table[:, 2].astype(np.int8),
                  node_default_left=table[:, 3].astype(np.bool_),
                  node_left=table[:, 4].astype(np.int32),
                  node_right=table[:, 5].astype(np.int32),
                  roots=np.array(roots, dtype=np.int32),
                  leaf_value=leaf[:, 0].copy(),
                  node_count=table[:, 6].copy(),
                  leaf_count=leaf[:, 1].copy())
