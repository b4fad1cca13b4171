"""One account, one answer: ``predict``, the served model given account records and the
served model given feature rows (built as the README's Python API builds them) agree on
the probability and the status, also for an account too new to score, and for an
influencer model whose audience shares come from an account model."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fakedetect.config import Config
from fakedetect.scoring import history_gate
from tests.conftest import small_experiment
from tests.test_registry_cache import _store
from tests.test_transfer import _experiment, _write_source

#: An account with a profile and nothing else: ``predict`` leaves it unscored.
NEW = "brand-new"


def _records(ds) -> list[dict[str, object]]:
    """Every account of ``ds`` as a served record, its history nested under ``history``."""
    def rows(frame: pd.DataFrame) -> list[dict[str, object]]:
        return json.loads(frame.to_json(orient="records", date_format="iso"))

    out = []
    for acc in rows(ds.accounts):
        history = {}
        for table in ("snapshots", "posts", "comments", "audience"):
            frame = ds.get(table)
            if frame is not None:
                mine = frame[frame["account_id"].astype(str) == str(acc["account_id"])]
                if len(mine):
                    history[table] = rows(mine.drop(columns=["account_id"]))
        out.append({k: v for k, v in acc.items() if v is not None} | {"history": history})
    return out


@pytest.fixture(scope="module")
def two_models(tmp_path_factory: pytest.TempPathFactory, sim_dir: Path) -> Config:
    """An account model, then an influencer model trained with its audience shares."""
    from fakedetect.train import train

    root = tmp_path_factory.mktemp("two")
    cfg = _store(root, "s", root / "out")
    exp = replace(_experiment(), shared_features=False, balance="none")
    train(_write_source(root / "acc", "a", 600, 0.3, seed=1), exp, cfg)
    influencer = train(sim_dir, small_experiment(), cfg)
    assert influencer.model.metadata["audience_method"] == "model"
    return cfg


@pytest.fixture(scope="module")
def accounts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dozen simulated accounts with every table, and one with a profile only."""
    from fakedetect.simulate import simulate

    root = tmp_path_factory.mktemp("few") / "data"
    simulate(root, accounts=12, days=45, seed=11, coverage="full")
    acc = pd.read_parquet(root / "accounts.parquet")
    extra = acc.iloc[:1].copy()
    extra["account_id"] = NEW
    pd.concat([acc, extra], ignore_index=True).to_parquet(root / "accounts.parquet")
    labels = root / "labels.parquet"
    if labels.exists():
        labels.unlink()
    return root


@pytest.mark.slow
def test_predict_records_and_feature_rows_give_one_answer(
        two_models: Config, accounts: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mlflow

    from fakedetect.features import FeatureBuilder
    from fakedetect.predict import score_dataset
    from fakedetect.scoring import load_models
    from fakedetect.validate import load_dataset

    cfg = two_models
    uri = "models:/fakedetect-influencer@champion"
    model, audience = load_models(cfg, uri, "influencer")
    assert audience is not None  # the account model scores the follower samples
    ds = load_dataset(accounts)
    expected = score_dataset(ds, model, account_scorer=audience).scores.set_index(
        "account_id")
    assert expected.loc[NEW, "status"] == "not_scored"
    assert (expected.drop(index=NEW)["status"] == "scored").all()

    monkeypatch.setenv("MLFLOW_TRACKING_URI", cfg.tracking_uri)
    mlflow.set_tracking_uri(cfg.tracking_uri)
    served = mlflow.pyfunc.load_model(uri)
    # the README's Python API: features with the audience scorer, then the pyfunc
    features = FeatureBuilder(task="influencer", account_scorer=audience).fit_transform(ds)
    by_rows = served.predict(features).set_index("account_id")
    sent = features.reset_index(names="account_id")  # as a JSON request carries them
    by_columns = served.predict(sent).set_index("account_id")
    by_records = served.predict(pd.DataFrame(_records(ds))).set_index("account_id")
    for answer in (by_rows, by_columns, by_records):
        answer = answer.loc[expected.index]
        assert answer["status"].tolist() == expected["status"].tolist()
        assert answer["verdict"].tolist() == expected["verdict"].tolist()
        np.testing.assert_allclose(answer["fake_probability"].astype(float),
                                   expected["fake_probability"].astype(float),
                                   rtol=0, atol=1e-12, equal_nan=True)
        assert answer.loc[NEW, "status_reason"] == expected.loc[NEW, "status_reason"]
        assert answer.loc[NEW, "fake_probability"] is None
        assert not any(c.startswith("feature_") for c in answer)  # no internal names
    # without the scorer the audience shares are the rule's, and the scores differ:
    # why the README passes account_scorer
    rules = FeatureBuilder(task="influencer").fit_transform(ds)
    by_rules = served.predict(rules).set_index("account_id").loc[expected.index]
    scored = expected["status"] == "scored"
    assert not np.allclose(by_rules.loc[scored, "fake_probability"].astype(float),
                           expected.loc[scored, "fake_probability"].astype(float))


def test_history_gate_reads_coverage_columns_or_the_features_that_mark_them() -> None:
    from fakedetect.features import feature_names

    names = feature_names("influencer")
    X = pd.DataFrame(np.nan, index=["none", "snaps", "posts", "weekly"], columns=names)
    X.loc["snaps", "snapshots__history_length_days"] = 3.0
    X.loc["posts", "posts__like_gini__last_30"] = 0.2
    X.loc["weekly", "posts__posts_per_week__last_30"] = 2.0  # counted from any post
    can, why = history_gate(X, "influencer")
    assert can.tolist() == [False, True, True, False]
    assert why[0].startswith("too little history: no snapshots and fewer than 3 posts")
    assert why[1] == ""
    flagged = X.assign(coverage__snapshots=[True, False, False, False],
                       coverage__posts=[False, False, True, False])
    assert history_gate(flagged, "influencer")[0].tolist() == [True, False, True, False]
    assert history_gate(X, "account")[0].all()  # profile models need no history


def test_history_gate_agrees_with_predict_on_built_features(sim_dir: Path, tmp_path: Path
                                                            ) -> None:
    from fakedetect.features import FeatureBuilder, build_features
    from fakedetect.simulate import simulate
    from fakedetect.validate import load_dataset

    simulate(tmp_path / "d", accounts=60, days=30, seed=4, coverage="partial")
    ds = load_dataset(tmp_path / "d")
    full = build_features(ds, "influencer")
    bare = FeatureBuilder(task="influencer").fit_transform(ds)
    by_coverage = history_gate(full, "influencer")[0]
    by_features = history_gate(bare, "influencer")[0]
    assert by_coverage.tolist() == by_features.tolist()
    predict_rule = full["coverage__snapshots"].astype(bool) | full["coverage__posts"].astype(bool)
    assert by_coverage.tolist() == predict_rule.tolist()
    assert not by_coverage.all() and by_coverage.any()  # both kinds of account are here
