"""One decision of which account model scores the audience, for both engines."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from fakedetect.config import Config
from fakedetect.scoring import load_models, resolve_account_model
from fakedetect.train import train
from tests.conftest import small_experiment
from tests.test_registry_cache import _store
from tests.test_transfer import _experiment, _write_source


@pytest.mark.slow
def test_a_later_account_champion_does_not_change_the_audience_scorer(
        tmp_path: Path, sim_dir: Path) -> None:
    from fakedetect.scale.dask_predict import resolve_refs

    cfg: Config = _store(tmp_path, "s", tmp_path / "out")
    exp = replace(_experiment(), shared_features=False, balance="none")
    first = train(_write_source(tmp_path / "d1", "a", 600, 0.3, seed=1), exp, cfg)
    influencer = train(sim_dir, small_experiment(), cfg)
    assert influencer.model.metadata["audience_model"] == "fakedetect-account v1"
    second = train(_write_source(tmp_path / "d2", "a", 600, 0.5, seed=2), exp, cfg,
                   promote=True)
    assert second.promoted and first.version == "1" and second.version == "2"
    uri = "models:/fakedetect-influencer@champion"
    model, scorer = load_models(cfg, uri, "influencer")
    local = resolve_account_model(cfg, model, uri)
    _, _, dask_ref = resolve_refs(cfg, uri, "influencer")
    assert local is not None and local.version == "1"  # the one it was trained with
    assert scorer is not None and scorer.model.version == "1"
    assert dask_ref is not None and dask_ref.metadata["model_version"] == "1"
    assert Path(dask_ref.folder) == Path(local.metadata["model_folder"]).resolve()
    _local_and_dask_scores_agree(tmp_path, cfg, uri)


def _local_and_dask_scores_agree(tmp_path: Path, cfg: Config, uri: str) -> None:
    """Scores of the same accounts by both engines, with the models ``uri`` resolves to."""
    import numpy as np

    from fakedetect.predict import score_dataset
    from fakedetect.scale.dask_predict import run_predict
    from fakedetect.scale.partition import repartition
    from fakedetect.simulate import simulate
    from fakedetect.validate import load_dataset

    data = tmp_path / "score"
    simulate(data, accounts=120, days=60, seed=3, coverage="full")
    model, scorer = load_models(cfg, uri, "influencer")
    local = score_dataset(load_dataset(data), model, account_scorer=scorer).scores
    parts = repartition(data, tmp_path / "parts", 2).root
    _, remote, _ = run_predict(cfg, parts, uri, "influencer")
    local = local.sort_values("account_id").reset_index(drop=True)
    remote = remote.sort_values("account_id").reset_index(drop=True)
    assert local["account_id"].tolist() == remote["account_id"].tolist()
    assert local["verdict"].tolist() == remote["verdict"].tolist()
    for col in ("fake_probability", "fake_follower_share", "audience_sample_size"):
        np.testing.assert_allclose(remote[col].to_numpy(dtype=float),
                                   local[col].to_numpy(dtype=float), rtol=1e-12,
                                   equal_nan=True, err_msg=col)
    assert local["fake_follower_share"].notna().any()


def _saved(folder: Path, seed: int, task: str, **meta: object) -> Path:
    import lightgbm as lgb
    import numpy as np

    from fakedetect.model import Calibration, FakeModel

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(200, 2))
    names = ["accounts__log_followers", "accounts__bio_length"]
    booster = lgb.train({"objective": "binary", "verbose": -1, "seed": seed},
                        lgb.Dataset(X, label=(X[:, 0] > 0).astype(int), feature_name=names),
                        num_boost_round=3)
    model = FakeModel(booster=booster, task=task, features=names,
                      calibration=Calibration(method="sigmoid"), threshold_fake=0.9,
                      threshold_review=0.5)
    model.metadata.update(meta)
    return model.save(folder)


def test_a_model_folder_finds_its_recorded_account_model_beside_it(tmp_path: Path) -> None:
    from fakedetect.config import Config

    models = tmp_path / "models"
    _saved(models / "account", 1, "account", model_name="fakedetect-account",
           model_version="1")
    right = _saved(models / "fakedetect-account-v2-abcd", 2, "account",
                   model_name="fakedetect-account", model_version="2")
    influencer = _saved(models / "fakedetect-influencer-v1-ef01", 3, "influencer",
                        model_name="fakedetect-influencer", model_version="1",
                        audience_method="model", audience_model="fakedetect-account v2")
    cfg = Config(root=tmp_path, tracking_uri=f"sqlite:///{tmp_path / 'm.db'}")
    model, scorer = load_models(cfg, str(influencer), "influencer")
    account = resolve_account_model(cfg, model, str(influencer))
    assert account is not None and account.version == "2"
    assert Path(account.metadata["model_folder"]) == right
    assert scorer is not None and scorer.model.version == "2"
