"""The tabulated TreeSHAP equals LightGBM's pred_contrib (and shap's TreeExplainer)."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from fakedetect import treeshap
from fakedetect.model import TABULATED_SHAP_ROWS, Calibration, FakeModel


def _data(n: int = 3_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Features with NaNs, exact zeros, ties and integer steps; a label that needs them."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6))
    X[:, 1] = rng.integers(0, 5, n)  # ties on split thresholds' neighbours
    X[rng.random(n) < 0.15, 2] = np.nan
    X[rng.random(n) < 0.2, 3] = 0.0
    X[rng.random(n) < 0.1, 4] = np.nan
    logit = X[:, 0] * X[:, 1] - np.nan_to_num(X[:, 2], nan=1.5) + (X[:, 3] == 0) + X[:, 5] ** 2
    y = (logit + rng.normal(size=n) > 1).astype(int)
    return X, y


def _booster(params: dict[str, object], rounds: int = 40, seed: int = 0) -> lgb.Booster:
    X, y = _data(seed=seed)
    base = {"objective": "binary", "verbose": -1, "seed": seed, "num_threads": 1,
            "min_data_in_leaf": 5}
    return lgb.train({**base, **params}, lgb.Dataset(X, y), num_boost_round=rounds)


@pytest.mark.parametrize("params", [
    {"num_leaves": 15, "max_depth": 4},
    {"num_leaves": 40, "max_depth": 8},  # repeated features on a path, deeper tables
    {"num_leaves": 31, "zero_as_missing": True},  # missing_type Zero
    {"num_leaves": 31, "use_missing": False},  # missing_type None: NaN is treated as 0
    {"num_leaves": 7, "learning_rate": 0.3, "min_data_in_leaf": 1},
])
def test_equals_pred_contrib(params: dict[str, object]) -> None:
    booster = _booster(params)
    X, _ = _data(n=2_000, seed=1)
    X[:5] = np.nan  # rows with nothing known
    X[5:10] = 0.0
    X[10:15] = np.array([1e-36, -1e-35, 2e-35, -0.0, 1e-300])[:, None]  # (near) zeros
    tables = treeshap.compile_tables(booster)
    assert tables is not None
    ours = treeshap.contributions(tables, X)
    ref = booster.predict(X, pred_contrib=True)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-10)
    margin = booster.predict(X, raw_score=True)
    np.testing.assert_allclose(ours.sum(axis=1), margin, rtol=0, atol=1e-9)


@pytest.mark.parametrize("group_nodes", [0, 1, 3, 5])
def test_grouped_and_single_leaves_give_the_same_values(group_nodes: int,
                                                        monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    """Leaves in groups of every size, and leaves left to themselves, mixed in one model."""
    booster = _booster({"num_leaves": 40, "max_depth": 8})
    X, _ = _data(n=1_000, seed=2)
    default = treeshap.compile_tables(booster)
    assert default is not None and len(default.group_table) > 1
    monkeypatch.setattr(treeshap, "MAX_GROUP_NODES", group_nodes)
    tables = treeshap.compile_tables(booster)
    assert tables is not None
    if group_nodes == 0:
        assert len(tables.group_table) == 1 and len(tables.rest_leaves) == len(
            tables.leaf_depth), "no group fits: every leaf is scored alone"
    else:
        assert len(tables.group_table) > 1 and len(tables.rest_leaves) > 0, "a mix"
    ours = treeshap.contributions(tables, X)
    np.testing.assert_allclose(ours, booster.predict(X, pred_contrib=True), rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours, treeshap.contributions(default, X), rtol=0, atol=1e-12)


def test_values_on_split_thresholds_go_left_like_lightgbm() -> None:
    booster = _booster({"num_leaves": 15})
    tables = treeshap.compile_tables(booster)
    assert tables is not None
    thresholds = tables.splits.node_threshold
    X = np.tile(np.nanmean(_data()[0], axis=0), (len(thresholds), 1))
    X[np.arange(len(thresholds)), tables.splits.node_feature] = thresholds  # exactly on each split
    tiny = np.array([1e-36, -1e-36, 1e-35, -1e-35, 2e-35, -2e-35, 5e-324, -0.0])
    X = np.vstack([X, np.outer(tiny, np.ones(X.shape[1]))])  # LightGBM reads |x|<=1e-35 as 0
    np.testing.assert_allclose(treeshap.contributions(tables, X),
                               booster.predict(X, pred_contrib=True), rtol=0, atol=1e-10)


def test_agrees_with_shap_tree_explainer() -> None:
    import shap

    booster = _booster({"num_leaves": 15, "max_depth": 4})
    X, _ = _data(n=300, seed=2)
    tables = treeshap.compile_tables(booster)
    assert tables is not None
    ours = treeshap.contributions(tables, X)
    explainer = shap.TreeExplainer(booster)
    values = np.asarray(explainer.shap_values(X))
    values = values[-1] if values.ndim == 3 else values
    np.testing.assert_allclose(ours[:, :-1], values, rtol=0, atol=1e-8)
    assert ours[0, -1] == pytest.approx(float(np.ravel(explainer.expected_value)[-1]), abs=1e-8)


def test_single_leaf_trees_only_move_the_base_value() -> None:
    X, y = _data(n=200)
    booster = lgb.train({"objective": "binary", "verbose": -1, "min_data_in_leaf": 1_000},
                        lgb.Dataset(X, y), num_boost_round=3)
    tables = treeshap.compile_tables(booster)
    assert tables is not None
    ours = treeshap.contributions(tables, X[:50])
    np.testing.assert_allclose(ours, booster.predict(X[:50], pred_contrib=True), atol=1e-12)
    assert np.all(ours[:, :-1] == 0)


def test_best_iteration_is_respected() -> None:
    booster = _booster({"num_leaves": 7}, rounds=30)
    booster.best_iteration = 10  # as early stopping leaves it: predict uses 10 trees
    X, _ = _data(n=100, seed=4)
    tables = treeshap.compile_tables(booster)
    assert tables is not None
    np.testing.assert_allclose(treeshap.contributions(tables, X),
                               booster.predict(X, pred_contrib=True), atol=1e-10)


def test_categorical_splits_are_declined() -> None:
    X, y = _data()
    X[:, 1] = X[:, 1].astype(int)
    booster = lgb.train({"objective": "binary", "verbose": -1, "min_data_per_group": 5,
                         "cat_smooth": 1}, lgb.Dataset(X, y, categorical_feature=[1]),
                        num_boost_round=10)
    assert treeshap.compile_tables(booster) is None


def test_wrong_width_is_refused() -> None:
    tables = treeshap.compile_tables(_booster({"num_leaves": 7}, rounds=3))
    assert tables is not None
    with pytest.raises(ValueError, match="6 features"):
        treeshap.contributions(tables, np.zeros((3, 5)))


def test_fake_model_uses_the_tables_on_large_inputs_with_the_same_values() -> None:
    booster = _booster({"num_leaves": 15, "max_depth": 4})
    names = [f"f{i}" for i in range(6)]
    model = FakeModel(booster=booster, task="account", features=names,
                      calibration=Calibration(), threshold_fake=0.5, threshold_review=0.3)
    X = pd.DataFrame(_data(n=TABULATED_SHAP_ROWS + 10, seed=3)[0], columns=names)
    contrib, base = model.contributions(X)
    assert model._shap_tables  # the fast path was taken
    ref = booster.predict(X.to_numpy(), pred_contrib=True)
    np.testing.assert_allclose(contrib, ref[:, :-1], atol=1e-10)
    np.testing.assert_allclose(base, ref[:, -1], atol=1e-12)
    small, _ = model.contributions(X.iloc[:10])
    np.testing.assert_allclose(small, contrib[:10], atol=1e-10)


def test_threads_may_explain_at_the_same_time() -> None:
    from concurrent.futures import ThreadPoolExecutor

    booster = _booster({"num_leaves": 15}, rounds=10)
    tables = treeshap.compile_tables(booster)
    assert tables is not None
    X, _ = _data(n=500, seed=7)
    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(lambda _: treeshap.contributions(tables, X), range(8)))
    for out in outs:
        np.testing.assert_array_equal(out, outs[0])


def test_kernels_follow_omp_num_threads_in_every_thread() -> None:
    import os
    import subprocess
    import sys

    code = ("import threading, numba, numpy as np, lightgbm as lgb\n"
            "from fakedetect import treeshap\n"
            "X = np.random.default_rng(0).normal(size=(200, 3)); y = (X[:, 0] > 0) * 1\n"
            "b = lgb.train({'objective': 'binary', 'verbose': -1}, lgb.Dataset(X, y), 2)\n"
            "seen = []\n"
            "def run():\n"
            "    treeshap.contributions(treeshap.compile_tables(b), X)\n"
            "    seen.append(numba.get_num_threads())\n"
            "t = threading.Thread(target=run); t.start(); t.join()  # loads the kernels\n"
            "run()  # the main thread\n"
            "t = threading.Thread(target=run); t.start(); t.join()\n"
            "print(seen)\n")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "2"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True, timeout=120)
    assert out.stdout.strip() == "[1, 1, 1]"


def test_deep_models_are_left_to_pred_contrib() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4_000, 30))
    y = (X[:, :12].sum(axis=1) + rng.normal(size=4_000) > 0).astype(int)
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 255,
                         "max_depth": 10, "min_data_in_leaf": 2}, lgb.Dataset(X, y),
                        num_boost_round=2)
    assert treeshap.compile_tables(booster) is None  # its tables would take minutes
    names = [f"f{i}" for i in range(30)]
    model = FakeModel(booster=booster, task="account", features=names,
                      calibration=Calibration(), threshold_fake=0.5, threshold_review=0.3)
    frame = pd.DataFrame(X[:TABULATED_SHAP_ROWS + 5], columns=names)
    contrib, base = model.contributions(frame)
    ref = booster.predict(frame.to_numpy(), pred_contrib=True)
    np.testing.assert_allclose(contrib, ref[:, :-1], atol=1e-12)
    np.testing.assert_allclose(base, ref[:, -1], atol=1e-12)


def test_compile_kernels_warms_every_kernel() -> None:
    from fakedetect import _kernels

    treeshap.compile_kernels()
    for name in ("explain", "fill_tables", "fill_groups", "add_interval_keys", "tree_margin"):
        assert getattr(_kernels, name).signatures, name  # compiled (or loaded from cache)
    for kernel, at in ((_kernels.masked_margin, 5), (_kernels.keyed_margin, 3)):
        widths = {sig[at].dtype.name for sig in kernel.signatures}
        assert widths >= {"uint16", "uint32", "uint64"}, kernel


def test_branch_free_decision_equals_the_tree_walks() -> None:
    """TreeSHAP decides every split with bitwise operators; the tree walk branches. Both
    must read NaN, (near) zeros, infinities and thresholds alike for every missing type."""
    from fakedetect._kernels import _goes_left, _left_bit
    from fakedetect.forest import ZERO

    values = [np.nan, 0.0, -0.0, 1e-36, -1e-36, ZERO, -ZERO, 2e-35, -2e-35, 0.5, 1.0, -1.0,
              np.inf, -np.inf, 1e-300]
    thresholds = [0.0, -0.0, 1e-36, -1e-36, ZERO, 3e-35, -1.0, 1.0, 0.5, -1e-300, 1e300]
    for x in values:
        for missing in (0, 1, 2):
            for default_left in (False, True):
                for t in thresholds:
                    assert bool(_left_bit(x, missing, default_left, t)) == bool(
                        _goes_left(x, missing, default_left, t)), (x, missing, default_left, t)


def test_kernel_threads_lower_this_threads_kernels_only_inside_the_block() -> None:
    import threading

    import numba

    from fakedetect import treeshap

    def threads_of_a_launch() -> int:
        with treeshap.launch():
            return int(numba.get_num_threads())

    full = threads_of_a_launch()
    with treeshap.kernel_threads(1):
        assert threads_of_a_launch() == 1
        other: list[int] = []  # another thread is not affected
        worker = threading.Thread(target=lambda: other.append(threads_of_a_launch()))
        worker.start()
        worker.join()
        assert other == [full]
    assert threads_of_a_launch() == full
    with treeshap.kernel_threads(1), treeshap.kernel_threads(full + 1):
        assert threads_of_a_launch() == 1  # an inner block keeps the outer cap
    with pytest.raises(ValueError, match="at least one thread"), treeshap.kernel_threads(0):
        pass
