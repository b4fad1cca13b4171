"""Training across sources: shared features only, leave-one-source-out figures, held-out
groups, balanced weights, and error rates stored for the audience share."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fakedetect.config import Config
from fakedetect.errors import UserError
from fakedetect.experiment import load_experiment
from fakedetect.features import build_features
from fakedetect.model import FakeModel
from fakedetect.scoring import ModelScorer
from fakedetect.train import (
    balance_weights,
    combine,
    fit_model,
    prepare,
    split_holdout,
    train,
)
from fakedetect.validate import load_dataset
from tests.conftest import ROOT

SEED = 3


def _write_source(folder: Path, name: str, n: int, fake_share: float, *,
                  seed: int, worlds: tuple[str, ...] = ()) -> Path:
    """A labelled profile dataset of one source. Fakes have fewer posts and followers,
    follow more and more often lack a picture. Source ``a`` also has usernames and the
    private flag; source ``b`` has like and comment rates (fakes: lower)."""
    rng = np.random.default_rng(seed)
    fake = rng.random(n) < fake_share
    acc = pd.DataFrame({
        "account_id": [f"{name}-{i:05d}" for i in range(n)],
        "followers": np.where(fake, rng.lognormal(4, 1.2, n), rng.lognormal(6, 1.2, n)
                              ).astype(int),
        "following": np.where(fake, rng.lognormal(7, 0.8, n), rng.lognormal(5.5, 1, n)
                              ).astype(int),
        "posts": np.where(fake, rng.poisson(3, n), rng.poisson(60, n)),
        "has_profile_pic": np.where(fake, rng.random(n) < 0.5, rng.random(n) < 0.95),
        "bio_length": np.where(fake, rng.poisson(3, n), rng.poisson(40, n)),
    })
    if name == "a":
        acc["username"] = [f"user{'1' * int(f) * 4}{i}" for i, f in enumerate(fake)]
        acc["is_private"] = rng.random(n) < 0.3
    else:
        acc["like_rate_pct"] = np.where(fake, rng.gamma(1, 1, n), rng.gamma(4, 2, n))
        acc["comment_rate_pct"] = np.where(fake, rng.gamma(1, 0.1, n), rng.gamma(2, 0.3, n))
    labels = pd.DataFrame({"account_id": acc["account_id"], "is_fake": fake.astype(int),
                           "fraud_type": np.where(fake, "fake", "none"), "source": name})
    if worlds:
        labels["world"] = np.array(worlds)[np.arange(n) % len(worlds)]
    out = folder / name
    out.mkdir(parents=True)
    acc.to_csv(out / "accounts.csv", index=False)
    labels.to_csv(out / "labels.csv", index=False)
    return out


def _experiment(**changes: object):
    exp = load_experiment(ROOT / "training" / "account-union.yaml")
    base = {"folds": 3, "max_rounds": 300, "early_stopping_rounds": 30, "criteria": ()}
    base.update(changes)
    return replace(exp, **base)


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("sources")
    return (_write_source(root, "a", 900, 0.2, seed=SEED),
            _write_source(root, "b", 1500, 0.7, seed=SEED + 1))


def test_union_keeps_only_the_features_every_source_has(sources) -> None:
    exp = _experiment()
    prep = combine([prepare(load_dataset(s), exp) for s in sources], exp)
    names = set(prep.X.columns)
    assert "accounts__log_followers" in names and "accounts__has_profile_pic" in names
    for only_one in ("accounts__username_digits", "accounts__is_private",
                     "accounts__like_rate_pct", "accounts__comment_rate_pct"):
        assert only_one not in names
    assert sorted(set(prep.source)) == ["a", "b"]
    assert len(prep.y) == len(prep.source) == len(prep.X)


def test_blanking_a_source_only_column_changes_no_score(sources, tmp_path: Path) -> None:
    exp = _experiment()
    prep = combine([prepare(load_dataset(s), exp) for s in sources], exp)
    model, _, _ = fit_model(prep, exp)
    for folder, column in ((sources[0], "username"), (sources[0], "is_private"),
                           (sources[1], "like_rate_pct"), (sources[1], "comment_rate_pct")):
        full = build_features(load_dataset(folder), "account")
        acc = pd.read_csv(folder / "accounts.csv").drop(columns=[column])
        blank = tmp_path / f"{folder.name}-{column}"
        blank.mkdir()
        acc.to_csv(blank / "accounts.csv", index=False)
        blanked = build_features(load_dataset(blank), "account")
        np.testing.assert_array_equal(model.predict_proba(full[model.features]),
                                      model.predict_proba(blanked[model.features]))


def test_balance_weights_by_hand() -> None:
    prep = replace(_tiny_prep(), source=np.array(["a", "a", "a", "b"], dtype=object))
    w = balance_weights(prep, "sources")
    assert w.tolist() == pytest.approx([2 / 3, 2 / 3, 2 / 3, 2.0])
    cls = balance_weights(prep, "sources_and_classes")
    # a/0: two accounts, a/1: one, b/1: one -> each cell the same total weight
    assert cls[0] == cls[1] and cls[2] == pytest.approx(2 * cls[0])
    assert cls.mean() == pytest.approx(1.0)
    assert balance_weights(prep, "none") is None


def _tiny_prep():
    from fakedetect.train import Prepared

    X = pd.DataFrame({"f": [1.0, 2.0, 3.0, 4.0]})
    return Prepared(X=X, full=X, y=np.array([0, 0, 1, 1]),
                    fraud_type=np.array([""] * 4, dtype=object), followers=np.ones(4),
                    niche=np.array([""] * 4, dtype=object), dropped_duplicates=0,
                    unlabelled=0, audience_method="rules",
                    source=np.array(["a"] * 4, dtype=object),
                    world=np.array([""] * 4, dtype=object))


@pytest.mark.slow
def test_train_logs_leave_one_source_out_and_stores_error_rates(
        sources, store: Config) -> None:
    from mlflow.tracking import MlflowClient

    result = train(list(sources), _experiment(), store)
    m = result.metrics
    for src in ("a", "b"):
        for key in ("roc_auc", "pr_auc", "ece", "fpr_op", "fpr_review"):
            assert f"loso_{src}_{key}" in m
        assert m[f"loso_{src}_roc_auc"] > 0.85  # the same signal in both sources
    assert m["loso_worst_roc_auc"] == min(m["loso_a_roc_auc"], m["loso_b_roc_auc"])
    assert any(line.startswith("left-out source a") for line in result.transfer)
    client = MlflowClient(tracking_uri=store.tracking_uri, registry_uri=store.tracking_uri)
    run = client.get_run(result.run_id)
    assert run.data.metrics["loso_b_roc_auc"] == pytest.approx(m["loso_b_roc_auc"])
    assert run.data.params["sources"] == "a, b"
    # the error rates survive the model folder and feed the audience share
    loaded = FakeModel.load(result.folder)
    rates = ModelScorer(loaded).error_rates
    assert rates is not None and rates.origin == "leave-one-source-out (a, b)"
    assert set(rates.populations or {}) == {"a", "b"}
    assert 0 <= rates.fpr < rates.tpr <= 1


@pytest.mark.slow
def test_held_out_worlds_never_train_and_are_measured(tmp_path: Path, store: Config
                                                      ) -> None:
    folder = _write_source(tmp_path, "b", 1500, 0.5, seed=SEED,
                           worlds=("w00", "w01", "h00"))
    exp = _experiment(holdout=load_experiment_holdout("world", "h*"),
                      shared_features=False, balance="none")
    prep = prepare(load_dataset(folder), exp)
    kept, held = split_holdout(prep, exp)
    assert held is not None and set(held.world) == {"h00"}
    assert "h00" not in set(kept.world) and len(kept.y) + len(held.y) == len(prep.y)
    result = train(folder, exp, store)
    assert result.metrics["heldout_n"] == len(held.y)
    assert "heldout_h00_roc_auc" in result.metrics
    assert result.metrics["heldout_roc_auc"] > 0.85
    assert any(line.startswith("held-out worlds") for line in result.transfer)
    assert "shortcut_count" in result.metrics  # the audit runs over the worlds
    assert any(line.startswith("shortcut audit over 3 worlds") for line in result.transfer)
    assert split_holdout(prep, replace(exp, holdout=load_experiment_holdout("world", "zz*"))
                         )[1] is None
    with pytest.raises(UserError, match="matches all 3"):
        split_holdout(prep, replace(exp, holdout=load_experiment_holdout("world", "*0*")))


def load_experiment_holdout(column: str, match: str):
    from fakedetect.experiment import Holdout

    return Holdout(column, match)


def test_experiment_keys_for_transfer(tmp_path: Path) -> None:
    good = tmp_path / "x.yaml"
    good.write_text("task: account\ndata: [d/a, d/b]\nfeatures: shared\n"
                    "balance: sources\nholdout: {column: world, match: 'h*'}\n")
    exp = load_experiment(good)
    assert exp.data == (Path("d/a"), Path("d/b")) and exp.shared_features
    assert exp.balance == "sources" and str(exp.holdout) == "world matching 'h*'"
    for text, message in (("features: some", "features should be"),
                          ("balance: yes", "balance should be"),
                          ("holdout: {column: niche, match: x}", "holdout needs")):
        bad = tmp_path / "bad.yaml"
        bad.write_text(f"task: account\n{text}\n")
        with pytest.raises(UserError, match=message):
            load_experiment(bad)


@pytest.mark.slow
def test_union_of_the_real_sources_is_judged_on_each_left_out(shared_data: Path,
                                                              tmp_path: Path,
                                                              store: Config) -> None:
    """InstaFake + Purba as account-union.yaml trains them: the figures on each left-out
    source are logged, and the stored error rates carry the sources' disagreement."""
    from fakedetect.importers import run_import

    run_import("instafake", shared_data / "instafake", tmp_path / "instafake",
               part="profiles", force=True)
    run_import("purba", shared_data / "purba" / "user_fake_authentic_4class.csv",
               tmp_path / "purba", force=True)
    exp = _experiment(folds=3, max_rounds=500)
    result = train([tmp_path / "instafake", tmp_path / "purba"], exp, store)
    m = result.metrics
    assert len(result.model.features) == 7  # the profile fields both sources have
    # regression floors, well below the goal of 0.95 (see the README's results table)
    assert m["loso_instafake_roc_auc"] > 0.88
    assert m["loso_purba_roc_auc"] > 0.70
    assert m["loso_worst_fpr_op"] < 0.10
    rates = ModelScorer(result.model).error_rates
    assert rates is not None and rates.tpr_sd > 0.1  # the sources disagree on what a fake is
