"""The shortcut audit flags a feature whose push on genuine creators depends on the world,
and leaves a feature that separates fraud the same way everywhere alone."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fakedetect.audit import shortcut_audit
from fakedetect.model import Calibration, FakeModel

SEED = 9


def _model_and_worlds() -> tuple[FakeModel, pd.DataFrame, np.ndarray, np.ndarray]:
    import lightgbm as lgb

    rng = np.random.default_rng(SEED)
    n = 6_000
    world = np.array(["w0", "w1", "w2"])[rng.integers(0, 3, n)]
    y = (rng.random(n) < 0.3).astype(int)
    # "signal" separates fraud the same way in every world; "style" is a world's look,
    # and in training world w0's look happened to go with fraud
    signal = rng.normal(0, 1, n) + 1.5 * y
    offset = {"w0": 0.0, "w1": 2.0, "w2": 4.0}
    style = np.array([offset[w] for w in world]) + rng.normal(0, 0.3, n)
    train = world == "w0"
    style_train = style.copy()
    style_train[train & (y == 1)] += 2.0  # the shortcut: in w0, fakes look like w1
    X = pd.DataFrame({"signal": signal, "style": style})
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 7, "seed": 1},
                        lgb.Dataset(np.column_stack([signal[train], style_train[train]]),
                                    label=y[train], feature_name=["signal", "style"]),
                        num_boost_round=60)
    model = FakeModel(booster=booster, task="account", features=["signal", "style"],
                      calibration=Calibration(method="sigmoid"), threshold_fake=0.9,
                      threshold_review=0.5)
    return model, X, y, world


def test_a_world_look_is_flagged_and_a_real_signal_is_not() -> None:
    model, X, y, world = _model_and_worlds()
    audit = shortcut_audit(model, X, y, world)
    assert audit.worlds == ["w0", "w1", "w2"]
    table = audit.table.set_index("feature")
    assert audit.shortcuts == ["style"]
    assert table.loc["style", "spread"] > 0.5 > table.loc["signal", "spread"]
    assert table.loc["style", "lowest_world"] == "w0"
    assert {"world:w0", "world:w1", "world:w2"} <= set(audit.table.columns)


def test_one_world_has_nothing_to_compare() -> None:
    model, X, y, _ = _model_and_worlds()
    audit = shortcut_audit(model, X, y, np.full(len(y), "w0"))
    assert audit.shortcuts == [] and (audit.table["spread"] == 0).all()
