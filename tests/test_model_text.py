"""Reading LightGBM's text format without LightGBM, and models loaded that way."""

from __future__ import annotations

import hashlib
import json
import pickle
import subprocess
import sys
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from fakedetect import forest
from fakedetect.errors import UserError
from fakedetect.model import TABULATED_SHAP_ROWS, Calibration, FakeModel


def _data(n: int = 1_500, seed: int = 0, width: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Features with NaNs, exact zeros and ties; a label that needs them."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, width))
    X[:, 1] = rng.integers(0, 5, n)
    X[rng.random(n) < 0.15, 2] = np.nan
    X[rng.random(n) < 0.2, 3] = 0.0
    X[rng.random(n) < 0.1, 4] = np.nan
    logit = X[:, 0] * X[:, 1] - np.nan_to_num(X[:, 2], nan=1.5) + (X[:, 3] == 0) + X[:, 5]
    y = (logit + rng.normal(size=n) > 1).astype(int)
    return X, y


def _train(params: dict[str, object], rounds: int = 25, X: np.ndarray | None = None,
           y: np.ndarray | None = None, names: list[str] | None = None, **kwargs: object
           ) -> lgb.Booster:
    if X is None or y is None:
        X, y = _data()
    base = {"objective": "binary", "verbose": -1, "seed": 0, "num_threads": 1,
            "num_leaves": 15, "min_data_in_leaf": 5}
    return lgb.train({**base, **params}, lgb.Dataset(X, y, feature_name=names or "auto"),
                     num_boost_round=rounds, **kwargs)


def _assert_same(ours: forest.Splits | None, theirs: forest.Splits | None) -> None:
    """Equal arrays with equal dtypes, bit for bit."""
    assert ours is not None and theirs is not None
    for f in fields(forest.Splits):
        a, b = getattr(ours, f.name), getattr(theirs, f.name)
        if isinstance(a, np.ndarray):
            assert a.dtype == b.dtype and a.shape == b.shape, f.name
            assert a.tobytes() == b.tobytes(), f.name
        elif f.name == "thresholds":
            assert len(a) == len(b)
            for u, v in zip(a, b, strict=True):
                assert u.dtype == v.dtype and u.tobytes() == v.tobytes()
        else:
            assert a == b, f.name


def _check_text(text: str) -> forest.Splits:
    """The text reads as the booster LightGBM loads from it, names and margins too."""
    loaded = lgb.Booster(model_str=text)
    read = forest.text_splits(text)
    assert read is not None
    splits, names = read
    _assert_same(splits, forest.model_splits(loaded))
    assert names == loaded.feature_name()
    X, _ = _data(n=300, seed=9, width=splits.n_features)
    X[:5] = np.array([0.0, -0.0, 1e-36, np.nan, np.inf])[:, None]
    np.testing.assert_array_equal(forest.tree_margin(splits, X),
                                  loaded.predict(X, raw_score=True))
    return splits


# ---------------------------------------------------------------- the reader


@pytest.mark.parametrize("params", [
    {},
    {"zero_as_missing": True},
    {"use_missing": False},
    {"monotone_constraints": [1, 0, -1, 0, 0, 1], "num_leaves": 7},
    {"objective": "regression"},
    {"boosting": "dart", "drop_rate": 0.3},
    {"max_bin": 1023, "num_leaves": 40},
])
def test_text_reads_as_the_dump_of_the_loaded_booster(params: dict[str, object]) -> None:
    booster = _train(params)
    splits = _check_text(booster.model_to_string())
    assert len(splits.roots) == booster.num_trees()
    if params.get("zero_as_missing"):
        assert any(splits.zero_missing)
    if params.get("use_missing") is False:
        assert not splits.node_missing.any()


def test_unused_features_beyond_the_split_ones() -> None:
    X, y = _data()
    X = np.hstack([X, np.ones((len(X), 3))])  # never split on: max_feature_idx is 8
    splits = _check_text(_train({}, X=X, y=y).model_to_string())
    assert splits.n_features == 9 and max(splits.features) < 6


def test_single_leaf_trees() -> None:
    X, y = _data(n=300)
    flat = _train({"min_data_in_leaf": 1_000}, rounds=1, X=X, y=y)
    booster = _train({}, rounds=8, X=X, y=y, init_model=flat)
    text = booster.model_to_string()
    assert text.count("num_leaves=1\n") == 1 and booster.num_trees() == 9
    splits = _check_text(text)
    assert splits.roots[0] == -1 and (splits.roots[1:] >= 0).all()
    only_flat = _check_text(flat.model_to_string())
    assert (only_flat.roots < 0).all() and len(only_flat.node_feature) == 0


def test_early_stopping_with_and_without_the_best_iteration() -> None:
    X, y = _data(n=3_000)
    booster = _train({"learning_rate": 0.5}, rounds=300, X=X[:2_000], y=y[:2_000],
                     valid_sets=[lgb.Dataset(X[2_000:], y[2_000:])],
                     callbacks=[lgb.early_stopping(5, verbose=False)],
                     keep_training_booster=True)  # else lgb.train keeps the best trees only
    assert 0 < booster.best_iteration < booster.num_trees()
    best = _check_text(booster.model_to_string())  # only the best iteration's trees
    assert len(best.roots) == booster.best_iteration
    _assert_same(best, forest.model_splits(booster))
    every = _check_text(booster.model_to_string(num_iteration=-1))
    assert len(every.roots) == booster.num_trees()
    # a booster loaded from text has no best iteration: it predicts with every tree
    assert lgb.Booster(model_str=booster.model_to_string(num_iteration=-1)).best_iteration == -1


def test_a_model_saved_to_a_file_and_loaded_back(tmp_path: Path) -> None:
    booster = _train({})
    booster.save_model(tmp_path / "m.txt")
    text = (tmp_path / "m.txt").read_text()
    _check_text(text)
    reloaded = lgb.Booster(model_file=tmp_path / "m.txt")
    _assert_same(forest.text_splits(reloaded.model_to_string())[0],  # type: ignore[index]
                 forest.text_splits(text)[0])  # type: ignore[index]


@pytest.mark.parametrize("objective", [
    "regression_l1", "huber", "fair", "quantile", "poisson", "mape", "gamma", "tweedie",
    "cross_entropy", "cross_entropy_lambda"])
def test_plain_objectives(objective: str) -> None:
    X, y = _data(n=500)
    label = (y.astype(float) if "cross" in objective
             else np.abs(X[:, 0]) + 0.1 + y)  # positive for poisson, gamma, tweedie, mape
    _check_text(_train({"objective": objective}, rounds=3, X=X, y=label).model_to_string())


def _categorical() -> lgb.Booster:
    X, y = _data()
    return lgb.train({"objective": "binary", "verbose": -1, "min_data_per_group": 5,
                      "cat_smooth": 1}, lgb.Dataset(X, y, categorical_feature=[1]), 10)


@pytest.mark.parametrize("make", [
    _categorical,
    lambda: _train({"linear_tree": True, "objective": "regression"}, rounds=3),
    lambda: _train({"boosting": "rf", "bagging_freq": 1, "bagging_fraction": 0.5}, 3),
    lambda: lgb.train({"objective": "multiclass", "num_class": 3, "verbose": -1},
                      lgb.Dataset(_data()[0], _data()[1] + (_data()[0][:, 0] > 1)), 3),
], ids=["categorical", "linear", "random-forest", "multiclass"])
def test_what_model_splits_does_not_handle_is_none(make: Callable[[], lgb.Booster]
                                                   ) -> None:
    text = make().model_to_string()
    assert forest.model_splits(lgb.Booster(model_str=text)) is None
    assert forest.text_splits(text) is None


# ---------------------------------------------------------------- damaged texts


def _retile(text: str) -> str:
    """``text`` with its tree_sizes recomputed, so damage inside a tree stays inside."""
    head, rest = text.split("\nTree=", 1)
    trees, tail = ("Tree=" + rest).split("end of trees\n", 1)
    blocks = ["Tree=" + b for b in trees.split("Tree=")[1:]]
    sizes = " ".join(str(len(b.encode())) for b in blocks)
    lines = [f"tree_sizes={sizes}" if ln.startswith("tree_sizes=") else ln
             for ln in head.split("\n")]
    return "\n".join(lines) + "\n" + "".join(blocks) + "end of trees\n" + tail


def _in_tree(text: str, number: int, key: str, change: Callable[[str], str]) -> str:
    """``text`` with the value of ``key`` in tree ``number`` changed (sizes not fixed)."""
    at = text.index(f"\n{key}=", text.index(f"Tree={number}\n")) + len(key) + 2
    end = text.index("\n", at)
    return text[:at] + change(text[at:end]) + text[end:]


def _first(value: str) -> str:
    return value.split(" ")[0]


GARBLED: dict[str, Callable[[str], str]] = {
    "truncated in a tree": lambda t: t[:t.index("leaf_value=", t.index("Tree=2"))],
    "a tree's last lines cut": lambda t: t.replace(
        t[t.index("internal_count=", t.index("Tree=1")):t.index("Tree=2")], "\n\n"),
    "non-numeric threshold": lambda t: _in_tree(
        t, 1, "threshold", lambda v: v.replace(_first(v), "x" * len(_first(v)), 1)),
    "tree_sizes off by one": lambda t: t.replace("tree_sizes=", "tree_sizes=1"),
    "line endings changed in the trees": lambda t: t.replace("shrinkage=", "shrinkage\r="),
    "a field missing": lambda t: _retile(t.replace("\nleaf_value=", "\nleaf_valu=", 1)),
    "too few children": lambda t: _retile(_in_tree(
        t, 1, "left_child", lambda v: v.rsplit(" ", 1)[0])),
    "a child out of range": lambda t: _retile(_in_tree(
        t, 1, "left_child", lambda v: v.replace(_first(v), "99", 1))),
    "a node reached twice": lambda t: _retile(_in_tree(
        t, 1, "right_child", lambda v: " ".join([v.split(" ")[0]] * len(v.split(" "))))),
    "split on a feature the model lacks": lambda t: _retile(_in_tree(
        t, 0, "split_feature", lambda v: v.replace(_first(v), "6", 1))),
    "a leaf count that is not an integer": lambda t: _retile(_in_tree(
        t, 0, "leaf_count", lambda v: v.replace(" ", " 1.5 ", 1).rsplit(" ", 1)[0])),
    "a broken parameter line": lambda t: t.replace("[max_bin: 255]", "[max_bin 255]"),
}


@pytest.mark.parametrize("name", list(GARBLED))
def test_damaged_trees_are_reported_not_read(name: str) -> None:
    text = _train({}, rounds=5).model_to_string()
    damaged = GARBLED[name](text)
    assert damaged != text
    with pytest.raises(forest.ModelTextError):
        forest.text_splits(damaged)  # LightGBM would end the process or read garbage


@pytest.mark.parametrize("edit", [
    lambda t: _in_tree(t, 1, "leaf_value", lambda v: "-0" + v[v.index(" "):]),
    lambda t: _in_tree(t, 2, "threshold", lambda v: "-0" + v[v.index(" "):]),
], ids=["leaf value -0", "threshold -0"])
def test_negative_zero_reads_as_the_dump(edit: Callable[[str], str]) -> None:
    text = _retile(edit(_train({}, rounds=5).model_to_string()))
    _check_text(text)  # dump_model's JSON writes -0, which reads back as 0


@pytest.mark.parametrize("edit", [
    lambda t: t.replace("tree_sizes=", "tree_sizes= "),
    lambda t: t.replace("[max_bin: 255]", "[max_bin:255]"),
    lambda t: t.replace("version=v4", "version=v3"),
    lambda t: t.replace("num_tree_per_iteration=1", "num_tree_per_iteration=1\nnum_class=1"),
    lambda t: t.replace("num_class=1", "num_class=3"),  # LightGBM: several margins
], ids=["spaced sizes", "parameter spacing", "version", "repeated key", "classes"])
def test_edits_lightgbm_reads_go_to_lightgbm(edit: Callable[[str], str]) -> None:
    text = edit(_train({}, rounds=5).model_to_string())
    assert forest.text_splits(text) is None
    booster = lgb.Booster(model_str=text)
    assert booster.num_trees() == 5
    if "num_class=3" in text:
        assert forest.model_splits(booster) is None


MUTANTS_IN_LIGHTGBM = """
import pickle, sys
import lightgbm as lgb, numpy as np
texts, X = pickle.load(open(sys.argv[1], "rb"))
pickle.dump([lgb.Booster(model_str=t).predict(X, raw_score=True) for t in texts],
            open(sys.argv[1], "wb"))
"""


def test_randomly_damaged_trees_are_refused_or_read_as_lightgbm_reads_them(
        tmp_path: Path) -> None:
    import random

    text = _train({"num_leaves": 7}, rounds=6).model_to_string()
    lo, hi = text.index("Tree=0"), text.index("end of trees")
    rng = random.Random(3)
    read, outcomes = [], {"refused": 0, "left to LightGBM": 0, "read": 0}
    for _ in range(600):
        at = rng.randrange(lo, hi)
        kind = rng.randrange(3)
        junk = rng.choice("0123456789 .-=\nxe")
        mutant = (text[:at] + text[at + 1:] if kind == 0 else
                  text[:at] + junk + text[at + 1:] if kind == 1 else
                  text[:at] + junk + text[at:])
        try:
            got = forest.text_splits(mutant)
        except forest.ModelTextError:
            outcomes["refused"] += 1
            continue
        outcomes["read" if got else "left to LightGBM"] += 1
        if got:
            read.append((mutant, got[0]))
    assert min(outcomes.values()) > 0, outcomes
    X, _ = _data(n=200, seed=12)
    X[:6] = np.array([0.0, -0.0, 1e-36, np.nan, np.inf, -np.inf])[:, None]
    work = tmp_path / "mutants.pkl"
    work.write_bytes(pickle.dumps(([t for t, _ in read], X)))
    done = subprocess.run([sys.executable, "-c", MUTANTS_IN_LIGHTGBM, str(work)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-500:]  # LightGBM loads every text read
    for (_, splits), margin in zip(read, pickle.loads(work.read_bytes()), strict=True):
        np.testing.assert_array_equal(forest.tree_margin(splits, X), margin)


def _model(rounds: int = 25) -> tuple[FakeModel, lgb.Booster]:
    names = [f"f{i}" for i in range(6)]
    booster = _train({}, rounds=rounds, names=names)
    model = FakeModel(booster=booster, task="account", features=names,
                      calibration=Calibration(a=1.3, b=-0.2), threshold_fake=0.8,
                      threshold_review=0.5)
    return model, booster


def _remanifest(folder: Path) -> None:
    lines = [f"{hashlib.sha256((folder / n).read_bytes()).hexdigest()}  {n}"
             for n in ("model.txt", "metadata.json")]
    (folder / "MANIFEST.sha256").write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("name", [
    "truncated in a tree", "non-numeric threshold", "too few children",
    "a broken parameter line", "header: no num_class", "header: unknown objective"])
def test_a_damaged_model_folder_is_refused(tmp_path: Path, name: str) -> None:
    model, _ = _model(rounds=5)
    folder = model.save(tmp_path / "m")
    text = (folder / "model.txt").read_text()
    garble = GARBLED.get(name) or {
        "header: no num_class": lambda t: t.replace("num_class=1\n", ""),
        "header: unknown objective": lambda t: t.replace("objective=binary sigmoid:1",
                                                         "objective=nonsense"),
    }[name]
    (folder / "model.txt").write_text(garble(text))
    with pytest.raises(UserError, match="does not match its checksum"):
        FakeModel.load(folder, check_registry=False)
    _remanifest(folder)
    with pytest.raises(UserError, match="not a LightGBM text model"):
        FakeModel.load(folder, check_registry=False)


def test_readable_texts_the_reader_does_not_expect_go_to_lightgbm(tmp_path: Path) -> None:
    model, booster = _model(rounds=5)
    folder = model.save(tmp_path / "m")
    text = (folder / "model.txt").read_text()
    sizes = text[text.index("tree_sizes="):text.index("\n", text.index("tree_sizes=")) + 1]
    unusual = text.replace(sizes, "")  # LightGBM then reads the trees one by one
    assert forest.text_splits(unusual) is None
    (folder / "model.txt").write_text(unusual)
    _remanifest(folder)
    back = FakeModel.load(folder, check_registry=False)
    assert back._booster is not None  # built at load, so LightGBM judged the text
    X = pd.DataFrame(_data(n=TABULATED_SHAP_ROWS, seed=3)[0], columns=model.features)
    np.testing.assert_array_equal(back.margin(X), booster.predict(X.to_numpy(),
                                                                  raw_score=True))


# ---------------------------------------------------------------- loaded models


@pytest.mark.parametrize("rows", [1, TABULATED_SHAP_ROWS - 1, TABULATED_SHAP_ROWS, 5_000])
def test_loaded_models_score_as_the_booster(tmp_path: Path, rows: int) -> None:
    model, booster = _model()
    back = FakeModel.load(model.save(tmp_path / "m"), check_registry=False)
    assert back._booster is None  # nothing built yet
    X, _ = _data(n=rows, seed=4)
    X[:min(rows, 4)] = np.array([0.0, -0.0, 1e-36, np.nan])[:min(rows, 4), None]
    frame = pd.DataFrame(X, columns=model.features)
    margin = booster.predict(X, raw_score=True)
    np.testing.assert_array_equal(back.margin(frame), margin)
    np.testing.assert_array_equal(back.predict_proba(frame), model.calibration(margin))
    contrib, base = back.contributions(frame)
    ref = booster.predict(X, pred_contrib=True)
    np.testing.assert_allclose(contrib, ref[:, :-1], rtol=0, atol=1e-10)
    np.testing.assert_allclose(base, ref[:, -1], rtol=0, atol=1e-12)
    # large inputs need no booster; small ones build it
    assert (back._booster is None) == (rows >= TABULATED_SHAP_ROWS)


def test_save_of_a_loaded_model_is_byte_identical(tmp_path: Path) -> None:
    model, _ = _model()
    first = model.save(tmp_path / "a")
    back = FakeModel.load(first, check_registry=False)
    second = back.save(tmp_path / "b")  # from the text read
    back.booster.num_trees()
    third = back.save(tmp_path / "c")  # from the booster built from it
    for name in ("model.txt", "metadata.json", "MANIFEST.sha256"):
        original = (first / name).read_bytes()
        assert (second / name).read_bytes() == original == (third / name).read_bytes()
    FakeModel.load(third, check_registry=False)  # its manifest verifies


def test_loaded_models_pickle_and_build_their_booster_later(tmp_path: Path) -> None:
    model, booster = _model()
    back = FakeModel.load(model.save(tmp_path / "m"), check_registry=False)
    again = pickle.loads(pickle.dumps(back))
    assert again._booster is None
    X = pd.DataFrame(_data(n=10, seed=6)[0], columns=model.features)
    np.testing.assert_array_equal(again.margin(X), booster.predict(X.to_numpy(),
                                                                   raw_score=True))
    assert again.booster.num_trees() == booster.num_trees()
    with pytest.raises(TypeError, match="booster or its text"):
        FakeModel(None, "account", [], Calibration(), 0.5, 0.3)


SCORE_IN_A_FRESH_PROCESS = """
import json, sys
from pathlib import Path

import numpy as np
import pandas as pd

from fakedetect.config import Config
from fakedetect.predict import load_models, score_frame
from fakedetect.train import account_scorer_from

folder = Path(sys.argv[1])
model, _ = load_models(Config(root=folder.parent), str(folder), "account")
X = pd.DataFrame(np.load(folder.parent / "X.npy"), columns=model.features)
scored = score_frame(model, X)
shares = account_scorer_from(model)(X)
contrib, base = model.contributions(X)
np.save(folder.parent / "margin.npy", model.margin(X))
heavy = [m for m in ("lightgbm", "sklearn", "scipy.stats", "mlflow") if m in sys.modules]
print(json.dumps({"heavy": heavy, "rows": len(scored), "shares": len(shares)}))
"""


def test_scoring_a_loaded_model_imports_neither_lightgbm_nor_sklearn(tmp_path: Path
                                                                       ) -> None:
    from fakedetect.features import feature_names

    names = feature_names("account")
    rng = np.random.default_rng(8)
    X = rng.normal(size=(2_500, len(names)))
    X[rng.random(X.shape) < 0.1] = np.nan
    y = (np.nan_to_num(X[:, 0]) + rng.normal(size=len(X)) > 0).astype(int)
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 15},
                        lgb.Dataset(X, y, feature_name=names), num_boost_round=20)
    FakeModel(booster=booster, task="account", features=names, calibration=Calibration(),
              threshold_fake=0.8, threshold_review=0.5).save(tmp_path / "model")
    np.save(tmp_path / "X.npy", X)
    done = subprocess.run([sys.executable, "-c", SCORE_IN_A_FRESH_PROCESS,
                           str(tmp_path / "model")], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"heavy": [], "rows": 2_500, "shares": 2_500}
    np.testing.assert_array_equal(np.load(tmp_path / "margin.npy"),
                                  booster.predict(X, raw_score=True))
