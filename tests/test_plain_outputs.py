"""The model's figures and the drift notes in words: no bare metric identifiers in what the
demo, ``train`` and ``models`` print, the PSI allowance for sampling, the training
populations' spread, and ranges in each feature's own units."""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from fakedetect.drift import (
    PSI_ALERT,
    REFERENCE_KEY,
    _bin_words,
    _unit,
    psi,
    sampling_psi,
    training_reference,
)
from fakedetect.headline import gate_line, metric_lines, result_lines, version_summary

#: A metric identifier standing alone (not the words around a name in parentheses).
BARE = re.compile(r"\b(test_\w+|cv_\w+|heldout_\w+|roc_auc|pr_auc|fpr_op|recall_op|"
                  r"precision_op)\b")

METRICS = {"test_roc_auc": 0.9512, "test_accuracy": 0.91, "test_recall_op": 0.81,
           "test_fpr_op": 0.012, "test_precision_op": 0.93, "test_ece": 0.031,
           "cv_roc_auc_mean": 0.94, "cv_roc_auc_std": 0.006, "heldout_roc_auc": 0.88,
           "heldout_recall_op": 0.6, "heldout_fpr_op": 0.03, "heldout_fpr_review": 0.14,
           "heldout_ece": 0.08, "heldout_n": 400.0, "heldout_positives": 120.0,
           "loso_purba_roc_auc": 0.7, "loso_purba_recall_op": 0.4, "loso_purba_fpr_op": 0.05,
           "loso_worst_roc_auc": 0.7}


def test_metric_lines_say_each_figure_in_words_with_the_name_in_parentheses() -> None:
    lines = metric_lines(METRICS)
    assert lines[0] == ("ranks a fake above a genuine account 95% of the time "
                        "(ROC-AUC 0.951)")
    assert ("at the likely-fake threshold it catches 81% of fakes and wrongly flags 1.2% "
            "of genuine accounts") in lines[1]
    assert any("off by 3.1 points on average (calibration error" in line for line in lines)
    for line in lines:
        assert not BARE.search(line), line
        assert line.count("(") == 1 and line.endswith(")")  # the metric name stays aside
    assert metric_lines({}) == []
    assert metric_lines({"test_roc_auc": float("nan")}) == []


def test_gate_lines_in_words() -> None:
    assert gate_line("pass: test roc_auc >= 0.8 (got 0.9512)") == (
        "promotion: passed (ROC-AUC 0.951, >= 0.8 required)")
    assert gate_line("FAIL: test ece <= 0.05 (got 0.0831)") == (
        "promotion: FAILED (calibration error 0.0831, <= 0.05 required)")
    said = gate_line("pass: roc_auc 0.9000 vs champion v3 0.8800 on the same test data")
    assert said == ("promotion: passed (ROC-AUC 0.9 against 0.88 for champion v3 on the "
                    "same test accounts)")
    assert "first version" in gate_line("no champion yet")
    held = gate_line("HOLD: champion v1 was trained on other labelled accounts")
    assert held.startswith("promotion: held back: champion v1")


def test_what_the_demo_and_train_print_has_no_bare_metric_ids() -> None:
    result = SimpleNamespace(
        version="2", promoted=True, metrics=METRICS,
        transfer=["held-out worlds (h*): ROC-AUC 0.880, ECE 0.080, ...",
                  "left-out source purba: ROC-AUC 0.700, ...",
                  "shortcut audit over 8 worlds: snapshots__history_length_days "
                  "(0.31 log-odds)"],
        gate=["pass: test roc_auc >= 0.8 (got 0.9512)", "no champion yet"])
    lines = result_lines("fakedetect-influencer", result)  # type: ignore[arg-type]
    text = "\n".join(lines)
    assert lines[0] == "fakedetect-influencer v2, now the champion"
    assert ("on held-out worlds, simulated settings never seen in training (400 accounts, "
            "120 fake):") in text
    assert "on the test split (accounts kept out of training" in text
    assert "possible shortcuts" in text and "fakedetect evaluate" in text
    quiet = "\n".join(result_lines("fakedetect-influencer", result,  # type: ignore[arg-type]
                                    shortcuts=False))
    assert "possible shortcuts" not in quiet and "on the test split" in quiet
    assert "on source purba, left out of training:" in text
    assert "worst" not in text
    assert "log-odds" not in text and "__" not in text
    assert "promotion: passed (ROC-AUC 0.951, >= 0.8 required)" in text
    assert "ROC-AUC 0.880, ECE" not in text  # the raw transfer line is said in words
    assert not BARE.search(text), text
    summary = version_summary(METRICS)
    assert "95% of the time" in summary and "wrongly flags 1.2%" in summary
    assert not BARE.search(summary)


def test_sampling_allowance_holds_for_random_samples_of_the_reference() -> None:
    rng = np.random.default_rng(0)
    shares = np.r_[np.full(10, 0.09), 0.1]
    n_ref = 3000
    for n in (50, 200, 800):
        allowed = sampling_psi(shares, n, n_ref)
        over = 0
        for _ in range(400):
            ref_counts = rng.multinomial(n_ref, shares)
            batch = rng.multinomial(n, shares)
            over += psi(ref_counts / n_ref, batch, n_ref) > allowed
        assert over / 400 < 0.03, (n, over)  # about 1%, the level it is set for
    # a batch of 50 alone is expected to cross the conventional 0.25 by chance quite often
    assert sampling_psi(shares, 50, n_ref) > 0.3
    assert sampling_psi(shares, 5000, n_ref) < 0.02


def test_spread_of_the_training_populations_is_stored_per_feature() -> None:
    rng = np.random.default_rng(1)
    n = 600
    groups = np.repeat(["w00", "w01", "w02"], n // 3)
    X = pd.DataFrame({
        "same": rng.normal(size=n),  # one distribution in every world
        "apart": rng.normal(size=n) + np.repeat([0.0, 1.0, 2.0], n // 3),
    })
    ref = training_reference(X, groups)[REFERENCE_KEY]
    assert ref["groups"] == 3
    assert ref["features"]["same"]["spread"] < 0.05
    assert ref["features"]["apart"]["spread"] > PSI_ALERT
    alone = training_reference(X)[REFERENCE_KEY]
    assert alone["groups"] == 0 and alone["features"]["apart"]["spread"] == 0.0
    small = training_reference(X, np.r_[np.zeros(n - 10), np.ones(10)])[REFERENCE_KEY]
    assert small["groups"] == 0  # a population of 10 is too small to judge


@pytest.mark.parametrize(("name", "cut", "said"), [
    ("snapshots__daily_follower_change__std_pct", 0.000537, "0.0537%"),
    ("audience__fake_share__scorer_model", 0.1468, "14.7%"),
    ("accounts__log_followers", np.log10(1 + 531.0), "531 followers"),
    ("accounts__log_following", np.log10(1 + 3820.0), "3,820"),
    ("accounts__like_rate_pct", 2.4, "2.4%"),
    ("snapshots__history_length_days", 30.0, "30 days"),
    ("snapshots__max_drop_robust_z__window_1", 1.7986, "1.8 times the usual swing"),
])
def test_ranges_are_written_in_the_features_own_units(name: str, cut: float,
                                                      said: str) -> None:
    assert _unit(name)(cut) == said


def test_bin_words_use_the_unit() -> None:
    unit = _unit("audience__fake_share__scorer_model")
    assert _bin_words([0.1, 0.2], 1, unit) == "between 10% and 20%"
    assert _bin_words([0.1, 0.2], 0, unit) == "below 10%"
    assert _bin_words([0.1, 0.2], 2, unit) == "at or above 20%"
    assert _bin_words([0.1, 0.2], 3, unit) == "with no value"


def test_could_change_compares_a_contribution_with_the_distance_to_a_threshold(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import fakedetect.drift as drift

    model = SimpleNamespace(calibration=lambda m: 1.0 / (1.0 + np.exp(-np.asarray(m))),
                            threshold_review=0.5, threshold_fake=0.9)
    # margins: 0.3 (review, 0.3 above the review threshold at 0), -3 (authentic, far)
    contrib = np.array([[0.5, 0.1, -0.2], [0.5, 0.1, -0.2]])
    base = np.array([0.3 - 0.4, -3.0 - 0.4])
    flips = drift.could_change(model, pd.DataFrame(index=range(2)), contrib, base)
    # without +0.5 the first account drops below the review threshold; +0.1 or -0.2 keep
    # it in review; nothing moves the second account, 3 units from any threshold
    assert flips.tolist() == [[True, False, False], [False, False, False]]
    rng = np.random.default_rng(3)
    many = rng.normal(size=(500, 7))
    bases = rng.normal(size=500)
    whole = drift.could_change(model, pd.DataFrame(index=range(500)), many, bases)
    monkeypatch.setattr(drift, "_CHUNK_CELLS", 50)  # 7 rows at a time
    assert (drift.could_change(model, pd.DataFrame(index=range(500)), many, bases)
            == whole).all()
    assert whole.any() and not whole.all()


def test_models_listing_says_aliases_and_sources_in_words() -> None:
    from fakedetect.cli.training import alias_words
    from fakedetect.tracking import describe_version, source_words

    cfg = SimpleNamespace(champion_alias="champion", challenger_alias="challenger")
    assert alias_words(["challenger", "champion"], cfg) == "champion"
    assert alias_words(["challenger"], cfg) == "challenger: trained, not promoted"
    assert alias_words([], cfg) == "no alias"
    assert source_words("sim") == "simulated influencers"
    assert source_words(["profiles"]).startswith("simulated follower profiles")
    assert source_words("instafake-fake,instafake-real") == (
        "sources instafake-fake, instafake-real")
    text = describe_version(task="influencer", data=["/d"], sources=["sim"], labelled=3222,
                            fake=958, digest="0" * 64,
                            metrics={**METRICS, "heldout_n": 778.0,
                                     "heldout_positives": 235.0},
                            experiment="influencer", run_id="r")
    assert ("3,222 labelled accounts (958 fake) in the training worlds; 778 more (235 fake) "
            "in held-out worlds") in text
    assert "from simulated influencers" in text and "source(s)" not in text
    assert "On the test split" in text
