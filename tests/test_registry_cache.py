"""The registry cache never serves another store's model, nor an edited one."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from fakedetect.config import Config
from fakedetect.features import build_features
from fakedetect.model import MANIFEST_FILE, METADATA_FILE, FakeModel, _sha256
from fakedetect.tracking import resolve_model
from fakedetect.train import train
from fakedetect.validate import load_dataset
from tests.test_transfer import _experiment, _write_source


def _store(root: Path, name: str, output: Path) -> Config:
    base = root / name
    base.mkdir()
    return Config(root=base, tracking_uri=f"sqlite:///{base / 'mlflow.db'}",
                  artifact_location=base / "mlruns", output_dir=output,
                  report_dir=output / "review", data_dir=base / "data",
                  models_dir=base / "models")


@pytest.mark.slow
def test_a_rebuilt_store_and_an_edited_cache_entry_are_not_trusted(tmp_path: Path) -> None:
    output = tmp_path / "out"  # one output folder (and cache) shared by both stores
    first = _store(tmp_path, "a", output)
    second = _store(tmp_path, "b", output)
    exp = replace(_experiment(), shared_features=False, balance="none")
    data_a = _write_source(tmp_path / "d1", "a", 600, 0.3, seed=1)
    data_b = _write_source(tmp_path / "d2", "a", 600, 0.6, seed=2)
    res_a = train(data_a, exp, first)
    res_b = train(data_b, exp, second)
    assert res_a.version == res_b.version == "1"
    assert res_a.folder != res_b.folder and res_a.folder.is_dir() and res_b.folder.is_dir()
    X = build_features(load_dataset(data_a), "account")[res_a.model.features]
    uri = "models:/fakedetect-account/1"
    from_a = resolve_model(uri, first)
    from_b = resolve_model(uri, second)  # same name and number, another store
    np.testing.assert_array_equal(from_a.predict_proba(X), res_a.model.predict_proba(X))
    np.testing.assert_array_equal(from_b.predict_proba(X), res_b.model.predict_proba(X))
    assert from_a.threshold_fake != from_b.threshold_fake or not np.array_equal(
        from_a.predict_proba(X), from_b.predict_proba(X))
    # an entry edited together with its manifest is fetched again from the registry
    cached = Path(from_b.metadata["model_folder"])
    meta = json.loads((cached / METADATA_FILE).read_text())
    meta["threshold_fake"] = 0.001
    (cached / METADATA_FILE).write_text(json.dumps(meta))
    lines = [f"{_sha256(cached / n)}  {n}" for n in ("model.txt", METADATA_FILE)]
    (cached / MANIFEST_FILE).write_text("\n".join(lines) + "\n")
    FakeModel.load(cached)  # the edited folder is self-consistent...
    again = resolve_model(uri, second)  # ...but not what the registry recorded
    assert again.threshold_fake == from_b.threshold_fake
    assert "model_folder" not in json.loads((res_b.folder / METADATA_FILE).read_text())
