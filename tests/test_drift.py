"""The batch drift warning: hand-computed PSI, the stored reference, rare false alarms on
batches of the training population, firing on shifted worlds, and ``--fail-on-drift``."""

from __future__ import annotations

import re
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fakedetect.cli import main
from fakedetect.drift import (
    ADVICE,
    ADVICE_SIMULATED,
    DRIFT_EXIT,
    REFERENCE_KEY,
    _shift_sentence,
    advice,
    check_batch,
    could_change,
    feature_label,
    plural,
    psi,
    training_reference,
)
from fakedetect.predict import score_dataset
from fakedetect.validate import load_dataset


def test_psi_hand_computed() -> None:
    # shares 0.5/0.5 against counts 80/20 of 100, smoothing negligible with a huge reference
    value = psi(np.array([0.5, 0.5]), np.array([80, 20]), n_ref=10**9)
    a = np.array([80.5, 20.5]) / 101
    assert value == pytest.approx(float(np.sum((a - 0.5) * np.log(a / 0.5))), rel=1e-6)
    assert psi(np.array([0.25, 0.75]), np.array([25, 75]), n_ref=100) == pytest.approx(
        0.0, abs=1e-4)
    assert np.isfinite(psi(np.array([1.0, 0.0]), np.array([0, 10]), n_ref=50))


def test_training_reference_bins_ranges_and_missing() -> None:
    X = pd.DataFrame({"a": np.r_[np.arange(90.0), [np.nan] * 10],
                      "flag": np.r_[np.zeros(70), np.ones(30)]})
    ref = training_reference(X)[REFERENCE_KEY]
    assert ref["n"] == 100
    a = ref["features"]["a"]
    assert a["missing"] == pytest.approx(0.1)
    assert (a["min"], a["max"]) == (0.0, 89.0)
    assert len(a["cuts"]) == 9 and sum(a["shares"]) == pytest.approx(1.0)
    assert a["shares"][-1] == pytest.approx(0.1)  # the missing bin
    flag = ref["features"]["flag"]
    assert flag["cuts"] == [0.0, 1.0]  # a flag has two cut points, not nine
    assert flag["shares"] == [0.0, 0.7, 0.3, 0.0]


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory, sim_dir: Path) -> list[Path]:
    """Four batches of 300 accounts of the training world: the same simulation (seed 5,
    90 days) extended beyond the training accounts, which it reproduces exactly."""
    from fakedetect.simulate import simulate

    root = tmp_path_factory.mktemp("population")
    simulate(root / "pool", accounts=1200 + 4 * 300, days=90, seed=5, coverage="full")
    seen = set(pd.read_parquet(sim_dir / "accounts.parquet")["account_id"].astype(str))
    ids = pd.read_parquet(root / "pool" / "accounts.parquet")["account_id"].astype(str)
    fresh = np.array(sorted(set(ids) - seen))
    assert len(fresh) == 4 * 300
    order = np.random.default_rng(1).permutation(fresh)
    batches = []
    for k in range(4):
        keep = set(order[k * 300:(k + 1) * 300])
        dest = root / f"batch{k}"
        dest.mkdir()
        for f in (root / "pool").glob("*.parquet"):
            frame = pd.read_parquet(f)
            frame[frame["account_id"].astype(str).isin(keep)].to_parquet(dest / f.name)
        batches.append(dest)
    return batches


@pytest.fixture(scope="module")
def shifted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A world of 30-day histories (the model trained on 90-day ones)."""
    from fakedetect.simulate import simulate

    out = tmp_path_factory.mktemp("shifted") / "short"
    simulate(out, accounts=300, days=30, seed=9)
    return out


@pytest.fixture(scope="module")
def other_seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh sample of the training population from another seed: the same settings
    (90 days, full coverage) and, like the training seed, no platform-wide follower purge
    in its window (each seed draws its own purge calendar; a purge shifts the loss
    signals of every account at once)."""
    from fakedetect.simulate import simulate

    out = tmp_path_factory.mktemp("other-seed") / "fresh"
    simulate(out, accounts=300, days=90, seed=99, coverage="full")
    return out


@pytest.mark.slow
def test_model_stores_its_training_reference(trained) -> None:
    ref = trained.model.metadata[REFERENCE_KEY]
    assert set(ref["features"]) == set(trained.model.features)
    assert 0 < ref["n"] < 1200  # the training share, not the test accounts


@pytest.mark.slow
def test_batches_of_the_training_population_rarely_warn(trained, population) -> None:
    fired = []
    for batch in population:
        scored = score_dataset(load_dataset(batch), trained.model, top_reasons=1, n_jobs=1)
        assert scored.drift is not None
        table = scored.drift.features
        assert table.loc[table["used"], "psi"].max() < 0.25
        fired.append(scored.drifted)
    assert sum(fired) == 0


@pytest.mark.slow
def test_a_shifted_world_warns_in_words(trained, shifted: Path) -> None:
    scored = score_dataset(load_dataset(shifted), trained.model, top_reasons=1, n_jobs=1)
    assert scored.drifted
    first = scored.notes[0]
    assert re.search(r"\d+ verdicts? could change with it", first) and "training" in first
    assert "PSI" not in first and "by hand" in first
    # the model learned from simulated accounts: the advice says what that means
    assert "simulated" in first and "fakedetect calibrate" not in first
    table = scored.drift.features
    assert table["shifted"].any()
    assert "outside_training" in scored.scores


@pytest.mark.slow
def test_outside_flags_name_carrying_features_beyond_the_range(trained, shifted: Path
                                                               ) -> None:
    scored = score_dataset(load_dataset(shifted), trained.model, top_reasons=1, n_jobs=1)
    X = scored.features.copy()
    name = trained.model.features[0]
    top = trained.model.metadata[REFERENCE_KEY]["features"][name]["max"]
    X[name] = top * 10 + 10
    contrib = np.zeros((len(X), len(trained.model.features)))
    contrib[:5, 0] = 1.0  # the feature carries the first five scores only
    report = check_batch(trained.model, X, contrib)
    assert report is not None
    flagged = report.outside.to_numpy() != ""
    assert flagged[:5].all() and not flagged[5:].any()
    assert all(feature_label(name) in v for v in report.outside.iloc[:5])
    assert not any("__" in v for v in report.outside)  # plain words, no feature ids


@pytest.mark.slow
def test_fail_on_drift_is_an_exit_code(trained, shifted: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "scores.csv"
    args = ["predict", str(shifted), "--out", str(out), "--model", str(trained.folder)]
    assert main(args) == 0
    assert main([*args, "--fail-on-drift"]) == DRIFT_EXIT
    assert out.is_file()
    err = capsys.readouterr().err
    assert "note:" in err and "PSI" not in err and "by hand" in err
    report = tmp_path / "report"
    code = main(["report", str(shifted), "--out", str(report), "--model",
                 str(trained.folder), "--fail-on-drift", "--max-pages", "3"])
    assert code == DRIFT_EXIT
    index = (report / "index.html").read_text(encoding="utf-8")
    assert '<section id="drift"' in index and "PSI" not in index


@pytest.mark.slow
def test_a_fresh_sample_from_another_seed_gets_no_note(trained, other_seed: Path) -> None:
    scored = score_dataset(load_dataset(other_seed), trained.model, top_reasons=1, n_jobs=1)
    assert scored.drift is not None
    assert not scored.drifted, scored.notes
    table = scored.drift.features
    assert not table["shifted"].any()
    assert (table["psi_needed"] > 0.25).all()  # the allowance for 300 accounts is added


@pytest.mark.slow
def test_verdicts_counted_are_those_the_feature_could_change(trained, shifted: Path
                                                             ) -> None:
    scored = score_dataset(load_dataset(shifted), trained.model, top_reasons=1, n_jobs=1)
    X = scored.features[trained.model.features]
    contrib, base = trained.model.contributions(X)
    flips = could_change(trained.model, X, contrib, base)
    assert flips.shape == contrib.shape
    assert not could_change(trained.model, X, contrib * 0, base).any()
    p = trained.model.calibration(contrib.sum(axis=1) + base)
    far = (p < trained.model.threshold_review / 4) | (p > 0.99)
    small = np.abs(contrib) < 0.01
    assert not flips[far[:, None] & small].any()  # a nudge far from a threshold
    table = scored.drift.features.set_index("feature")
    assert (table.loc[trained.model.features, "relying"].to_numpy()
            == flips.sum(axis=0)).all()


def _row(**kw: object) -> types.SimpleNamespace:
    """A row of the drift table as :func:`drift_report` builds it."""
    base = {"feature": "snapshots__max_drop_robust_z__window_1", "above_max": 0.0,
            "below_min": 0.0, "bin_k": 0, "bins": 9, "bin": "below 1.8 times the usual swing",
            "bin_batch": 0.19, "bin_train": 0.09, "relying": 32}
    return types.SimpleNamespace(**{**base, **kw})


def test_shift_sentence_is_plain_words() -> None:
    text = _shift_sentence(_row())
    assert text == ("The biggest one-day follower drop is smaller than in training for 19% "
                    "of these accounts (9% in training); 32 verdicts could change with it.")
    high = _shift_sentence(_row(bin_k=9, relying=1))
    assert "is larger than in training for 19%" in high and "1 verdict could" in high
    missing = _shift_sentence(_row(bin_k=10))
    assert "is missing for 19% of these accounts (9% in training)" in missing
    beyond = _shift_sentence(_row(above_max=0.3))
    assert "above anything this model saw in training for 30%" in beyond
    # a feature without a short name falls back to its description, never its id
    other = _shift_sentence(_row(feature="posts__posts_per_week__last_30"))
    assert "__" not in other and other.startswith("Posting rate")


def test_advice_depends_on_what_the_model_learned_from() -> None:
    sim = types.SimpleNamespace(metadata={"sources": ["sim"], "metrics": {}})
    real = types.SimpleNamespace(metadata={"sources": ["instafake"], "metrics": {}})
    worlds = types.SimpleNamespace(metadata={"sources": [], "metrics": {"heldout_n": 5.0}})
    assert advice(sim) == ADVICE_SIMULATED and advice(worlds) == ADVICE_SIMULATED
    assert "platform events" in ADVICE_SIMULATED and "calibrate" not in ADVICE_SIMULATED
    assert advice(real) == ADVICE and "fakedetect calibrate" in ADVICE


def test_plural() -> None:
    assert plural(1, "verdict") == "1 verdict"
    assert plural(1200, "snapshot") == "1,200 snapshots"
    assert plural(0, "day") == "0 days"
