"""The feature cache: a second build of the same features is read back, any change to the
data or to the account model that scores the audience builds them again."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from fakedetect import features
from fakedetect.cache import NO_CACHE, FeatureCache, code_digest, feature_key
from fakedetect.config import Config
from fakedetect.simulate import simulate
from fakedetect.validate import load_dataset


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cache") / "data"
    simulate(folder, accounts=80, days=40, seed=3, coverage="full")
    return folder


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tasks :func:`fakedetect.features.build_features` was called for."""
    seen: list[str] = []
    real = features.build_features

    def spy(dataset, task="influencer", **kwargs):  # type: ignore[no-untyped-def]
        seen.append(task)
        return real(dataset, task, **kwargs)

    monkeypatch.setattr(features, "build_features", spy)
    return seen


class Scorer:
    """An account model as the audience scorer sees it: a constant probability, and the
    model (LightGBM text, features, calibration, metadata) the cache keys it by."""

    def __init__(self, text: str, p: float) -> None:
        self.p = p
        self.model = SimpleNamespace(
            booster=SimpleNamespace(model_to_string=lambda: text), features=["followers"],
            calibration=SimpleNamespace(to_dict=lambda: {"method": "platt"}),
            metadata={"model_version": "1", "model_folder": "/anywhere"})

    def __call__(self, frame: pd.DataFrame) -> np.ndarray:
        return np.full(len(frame), self.p)


def test_second_build_is_read_back(data_dir: Path, tmp_path: Path, calls: list[str]) -> None:
    cache = FeatureCache(tmp_path / "cache")
    first = cache.build(load_dataset(data_dir), "influencer")
    second = cache.build(load_dataset(data_dir), "influencer")  # loaded afresh: same files
    assert calls == ["influencer"]
    pd.testing.assert_frame_equal(first, second)
    pd.testing.assert_frame_equal(first, features.build_features(load_dataset(data_dir)))
    cache.build(load_dataset(data_dir), "account")  # another task is another result
    assert calls == ["influencer", "influencer", "account"]


def test_changed_data_or_account_model_is_built_again(
        data_dir: Path, tmp_path: Path, calls: list[str]) -> None:
    import shutil

    cache = FeatureCache(tmp_path / "cache")
    dataset = load_dataset(data_dir)
    cache.build(dataset, account_scorer=Scorer("tree v1", 0.2))
    cache.build(dataset, account_scorer=Scorer("tree v1", 0.2))
    assert len(calls) == 1
    high = cache.build(dataset, account_scorer=Scorer("tree v2", 0.9))
    assert len(calls) == 2
    shares = high["audience__fake_share__scorer_model"]
    assert shares.notna().any() and (shares.dropna() > 0.5).all()  # not v1's result

    changed = tmp_path / "changed"
    shutil.copytree(data_dir, changed)
    posts = pd.read_parquet(changed / "posts.parquet")
    posts.loc[0, "likes"] = posts.loc[0, "likes"] + 1
    posts.to_parquet(changed / "posts.parquet")
    cache.build(load_dataset(changed), account_scorer=Scorer("tree v1", 0.2))
    assert len(calls) == 3


def test_what_has_no_key_is_built_every_time(data_dir: Path, tmp_path: Path,
                                             calls: list[str]) -> None:
    cache = FeatureCache(tmp_path / "cache")
    dataset = load_dataset(data_dir)
    memory = features.dataset_from_frames(dict(dataset.tables))  # no files to hash

    def plain(frame: pd.DataFrame) -> np.ndarray:  # a callable that is not a model
        return np.full(len(frame), 0.5)

    assert feature_key(memory, "influencer", None) is None
    assert feature_key(dataset, "influencer", plain) is None
    for _ in range(2):
        cache.build(memory)
        cache.build(dataset, account_scorer=plain)
        NO_CACHE.build(dataset)
    assert len(calls) == 6
    assert not (tmp_path / "cache").exists()


def test_the_key_follows_the_code_and_the_lenient_drops(data_dir: Path,
                                                        tmp_path: Path) -> None:
    key = feature_key(load_dataset(data_dir), "influencer", None)
    assert key is not None and key["code"] == code_digest()
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(data_dir, broken)
    accounts = pd.read_parquet(broken / "accounts.parquet")
    accounts.loc[0, "followers"] = -5  # lenient mode drops this account
    accounts.to_parquet(broken / "accounts.parquet")
    lenient = load_dataset(broken, lenient=True)
    assert len(lenient.account_ids) == len(accounts) - 1
    other = feature_key(lenient, "influencer", None)
    assert other is not None and other["dataset"] != key["dataset"]


def test_cache_folder_comes_from_the_configuration(tmp_path: Path) -> None:
    cfg = Config(root=tmp_path)
    assert FeatureCache.from_config(cfg).folder == tmp_path / ".cache" / "fakedetect"
    assert FeatureCache.from_config(cfg, enabled=False).folder is None
    cache = FeatureCache(tmp_path / "c")
    (tmp_path / "c").mkdir()
    cache.clear()
    assert not (tmp_path / "c").exists()
