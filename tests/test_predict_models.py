"""load_models pairs an influencer model with the audience scorer it was trained with."""

from __future__ import annotations

import logging
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from fakedetect.features import feature_names
from fakedetect.model import Calibration, FakeModel
from fakedetect.scoring import load_models

PROFILE = ["accounts__log_followers", "accounts__log_following", "accounts__log_posts"]


def _model(task: str, features: list[str], **metadata: object) -> FakeModel:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, len(features)))
    y = (X[:, 0] > 0).astype(int)
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 4},
                        lgb.Dataset(X, y, feature_name=features), num_boost_round=3)
    return FakeModel(booster=booster, task=task, features=features,
                     calibration=Calibration(), threshold_fake=0.5, threshold_review=0.3,
                     metadata=dict(metadata))


def _folders(root: Path, influencer_meta: dict[str, object], account_version: str | None
             ) -> Path:
    """An exported influencer model with (optionally) an account model beside it."""
    _model("influencer", feature_names("influencer")[:5], **influencer_meta).save(
        root / "influencer")
    if account_version is not None:
        _model("account", PROFILE, model_name="fakedetect-account",
               model_version=account_version).save(root / "account")
    return root / "influencer"


@pytest.mark.parametrize(("meta", "account", "scorer", "warning"), [
    ({"audience_method": "rules"}, "1", False, None),
    ({"audience_method": "model", "audience_model": "fakedetect-account v1"}, "1", True,
     None),
    ({"audience_method": "model", "audience_model": "fakedetect-account v1"}, "2", True,
     "the folder beside it holds fakedetect-account v2"),
    ({"audience_method": "model", "audience_model": "fakedetect-account v1"}, None, False,
     "which is not beside the model folder"),
    ({}, "1", True, None),  # a model from before the method was recorded
])
def test_folder_models_get_the_scorer_they_were_trained_with(
        tmp_path: Path, store: object, caplog: pytest.LogCaptureFixture,
        meta: dict[str, object], account: str | None, scorer: bool,
        warning: str | None) -> None:
    folder = _folders(tmp_path, meta, account)
    with caplog.at_level(logging.WARNING, logger="fakedetect"):
        model, found = load_models(store, str(folder), "influencer")  # type: ignore[arg-type]
    assert model.task == "influencer"
    assert (found is not None) is scorer
    if found is not None:
        probs = found(pd.DataFrame(np.zeros((2, len(feature_names("account")))),
                                   columns=feature_names("account")))
        assert probs.shape == (2,)
    messages = " ".join(r.getMessage() for r in caplog.records)
    if warning is None:
        assert "audience" not in messages
    else:
        assert warning in messages


def test_registry_model_uses_the_recorded_account_version(
        trained: object, store: object) -> None:
    model, scorer = load_models(store, None, "influencer")  # type: ignore[arg-type]
    # The session's influencer model was trained without an account model registered.
    assert model.metadata["audience_method"] == "rules"
    assert scorer is None
