"""Probability intervals (Venn-ABERS): hand-checked tables, validity on held-out accounts
of the training world, scores never 0 or 100 without cause, the interval-aware verdict."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fakedetect.intervals import (
    INTERVAL_KEY,
    authenticity_score,
    probability_interval,
    venn_abers_tables,
)
from fakedetect.model import Calibration, FakeModel


def _stub(metadata: dict, t_fake: float = 0.7, t_review: float = 0.4) -> FakeModel:
    return FakeModel(None, "account", ["x"], Calibration(), t_fake, t_review,  # type: ignore[arg-type]
                     metadata)


def test_tables_bracket_the_isotonic_fit_hand_checked() -> None:
    # margins -1, 0, 1 labelled 0, 0, 1. A new score above 1: labelled genuine it pools
    # with the fake one (p0 = 1/2), labelled fake it stays 1 (p1). A new score below -1:
    # labelled genuine it is 0 (p0); labelled fake the labels read 1, 0, 0, 1 and the
    # first three pool to 1/3 (p1).
    tables = venn_abers_tables(np.array([-1.0, 0.0, 1.0]), np.array([0, 0, 1]))[INTERVAL_KEY]
    model = _stub({INTERVAL_KEY: tables})
    low, high = probability_interval(model, np.array([2.0, -2.0]), np.array([0.9, 0.1]))
    assert low[0] == pytest.approx(0.5) and high[0] == pytest.approx(1.0)
    assert low[1] == pytest.approx(0.0) and high[1] == pytest.approx(1 / 3, abs=1e-6)


def test_interval_contains_the_point_and_a_model_without_tables_has_a_point() -> None:
    rng = np.random.default_rng(0)
    m = rng.normal(size=500)
    y = (rng.random(500) < 1 / (1 + np.exp(-2 * m))).astype(int)
    model = _stub(venn_abers_tables(m, y))
    new = rng.normal(size=200)
    p = 1 / (1 + np.exp(-2 * new))
    low, high = probability_interval(model, new, p)
    assert (low <= p).all() and (p <= high).all() and (high - low < 0.5).all()
    bare_low, bare_high = probability_interval(_stub({}), new, p)
    np.testing.assert_array_equal(bare_low, p)
    np.testing.assert_array_equal(bare_high, p)


def test_authenticity_is_never_0_or_100_without_cause() -> None:
    p = np.array([0.001, 0.001, 0.999, 0.999, 0.5])
    low = np.array([0.0, 0.0005, 0.99, 0.99, 0.4])
    high = np.array([0.01, 0.01, 1.0, 0.9995, 0.6])
    assert authenticity_score(p, low, high).tolist() == [99.9, 99.0, 0.1, 1.0, 50.0]
    # only an interval reaching the end lets the score reach it
    assert authenticity_score(np.array([0.0]), np.array([0.0]), np.array([0.1])) == 100.0
    assert authenticity_score(np.array([0.0]), np.array([0.001]), np.array([0.1])) == 99.0


def test_likely_fake_needs_the_low_end_to_clear_the_threshold() -> None:
    model = _stub({})
    p = np.array([0.8, 0.8, 0.5, 0.2])
    low = np.array([0.75, 0.6, 0.45, 0.1])
    assert model.verdict(p).tolist() == ["likely fake", "likely fake", "review",
                                         "authentic"]
    assert model.verdict(p, low).tolist() == ["likely fake", "review", "review",
                                              "authentic"]


@pytest.mark.slow
def test_intervals_are_valid_on_held_out_accounts(trained, unseen_dir: Path) -> None:
    """The observed fake rate lies within the average interval overall, within 3 points.
    Per fifth of accounts by score the rates rise and each lies within 8 points of its
    band: on these 960 training accounts the point calibration itself misses some fifths
    by 5-7 points (isotonic steps fitted on few accounts; the out-of-fold calibration
    margins come from fold boosters, the scores from the final one), a known gap."""
    from fakedetect.experiment import default_experiment
    from fakedetect.scoring import score_frame
    from fakedetect.train import prepare
    from fakedetect.validate import load_dataset

    dest = unseen_dir
    model = trained.model
    prep = prepare(load_dataset(dest), default_experiment("influencer"))
    assert len(prep.y) >= 1900
    out = score_frame(model, prep.X[model.features], top_reasons=0)
    y = prep.y
    low, high = out["fake_probability_low"].to_numpy(), out["fake_probability_high"].to_numpy()
    assert low.mean() - 0.03 <= y.mean() <= high.mean() + 0.03
    fifth = pd.qcut(out["fake_probability"].rank(method="first"), 5, labels=False)
    rates = []
    for k in range(5):
        m = (fifth == k).to_numpy()
        rates.append(y[m].mean())
        assert low[m].mean() - 0.08 <= y[m].mean() <= high[m].mean() + 0.08, k
    assert rates[0] < rates[2] < rates[4]
    s = out["authenticity_score"].to_numpy()
    assert ((s < 100) | (low <= 0)).all() and ((s > 0) | (high >= 1)).all()
