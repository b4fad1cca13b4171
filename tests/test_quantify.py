"""The fake-follower share as quantification: PACC recovers known shares, its interval
covers them, and the error rates survive the model folder."""

from __future__ import annotations

import numpy as np
import pytest

from fakedetect.quantify import (
    ErrorRates,
    adjusted_share,
    combine_rates,
    pacc,
    rates_from_scores,
    sample_moments,
)

SEED = 11


def _scores(rng: np.random.Generator, y: np.ndarray) -> np.ndarray:
    """A fallible scorer: fakes around 0.75, genuine accounts around 0.15."""
    return np.clip(np.where(y == 1, rng.beta(6, 2, y.size), rng.beta(1.5, 8.5, y.size)),
                   0, 1)


def test_rates_by_hand() -> None:
    p = np.array([0.9, 0.7, 0.2, 0.1, 0.0])
    y = np.array([1, 1, 0, 0, 0])
    r = rates_from_scores(p, y, threshold=0.5)
    assert r["tpr"] == pytest.approx(0.8)
    assert r["fpr"] == pytest.approx(0.1)
    assert r["hard_tpr"] == 1.0 and r["hard_fpr"] == 0.0
    assert r["tpr_se"] == pytest.approx(np.std([0.9, 0.7], ddof=1) / np.sqrt(2))
    assert r["n_fake"] == 2 and r["n_genuine"] == 3
    assert r["hard_fpr_se"] > 0  # a rate of 0 on three accounts is not certain


def test_pacc_by_hand() -> None:
    rates = ErrorRates(tpr=0.8, fpr=0.1, tpr_sd=0.0, fpr_sd=0.0)
    # mean 0.24 = 0.1 + share * 0.7 -> share 0.2
    est = adjusted_share(np.array([0.24]), np.array([0.0]), rates)
    assert est.share[0] == pytest.approx(0.2)
    assert est.low[0] == est.high[0] == pytest.approx(0.2)
    # below the false-positive rate: clipped to 0 and flagged
    low = adjusted_share(np.array([0.05, np.nan]), np.array([1e-4, np.nan]), rates)
    assert low.share[0] == 0.0 and low.at_bound[0]
    assert np.isnan(low.share[1]) and not low.at_bound[1]
    # a scorer too close to chance corrects nothing
    flat = ErrorRates(tpr=0.5, fpr=0.4, tpr_sd=0.0, fpr_sd=0.0)
    assert adjusted_share(np.array([0.3]), np.array([0.0]), flat).share[0] == pytest.approx(0.3)


def test_pacc_recovers_known_shares_where_averaging_does_not() -> None:
    rng = np.random.default_rng(SEED)
    y_ref = (rng.random(20_000) < 0.3).astype(int)
    r = rates_from_scores(_scores(rng, y_ref), y_ref, 0.5)
    rates = combine_rates(r)
    for share in (0.0, 0.1, 0.3, 0.6):
        y = (np.arange(5_000) < share * 5_000).astype(int)
        p = _scores(rng, y)
        est = pacc(p, rates)
        assert est.share[0] == pytest.approx(share, abs=0.02)
        if share in (0.0, 0.6):
            assert abs(p.mean() - share) > 0.05  # the plain mean is biased here


def test_interval_covers_the_truth_at_its_nominal_rate() -> None:
    rng = np.random.default_rng(SEED)
    y_ref = (rng.random(2_000) < 0.3).astype(int)
    rates = combine_rates(rates_from_scores(_scores(rng, y_ref), y_ref, 0.5))
    hits = 0
    draws = 400
    for k in range(draws):
        share = (0.0, 0.1, 0.2, 0.4)[k % 4]
        y = (np.arange(150) < round(share * 150)).astype(int)
        est = pacc(_scores(rng, y), rates)
        hits += est.low[0] - 1e-12 <= y.mean() <= est.high[0] + 1e-12
    assert 0.90 <= hits / draws <= 0.995


def test_rate_uncertainty_widens_the_interval() -> None:
    mean, var = sample_moments(np.array([30.0]), np.array([12.0]), np.array([150]))
    sure = ErrorRates(tpr=0.8, fpr=0.1, tpr_sd=0.0, fpr_sd=0.0)
    unsure = ErrorRates(tpr=0.8, fpr=0.1, tpr_sd=0.1, fpr_sd=0.05)
    a, b = adjusted_share(mean, var, sure), adjusted_share(mean, var, unsure)
    assert b.high[0] - b.low[0] > a.high[0] - a.low[0]


def test_populations_spread_enters_the_uncertainty() -> None:
    pooled = {"tpr": 0.8, "fpr": 0.1, "tpr_se": 0.01, "fpr_se": 0.01, "hard_tpr": 0.7,
              "hard_fpr": 0.02, "hard_tpr_se": 0.01, "hard_fpr_se": 0.005}
    pops = {"a": {**pooled, "tpr": 0.9, "fpr": 0.05}, "b": {**pooled, "tpr": 0.5,
                                                          "fpr": 0.15}}
    rates = combine_rates(pooled, pops)
    assert rates.tpr == pytest.approx(0.7) and rates.fpr == pytest.approx(0.1)
    assert rates.tpr_sd > 0.25  # the two sources disagree by 0.4
    assert rates.origin == "leave-one-source-out (a, b)"
    back = ErrorRates.from_dict(rates.to_dict())
    assert back == rates
    with pytest.raises(ValueError, match="not in"):
        ErrorRates.from_dict({**rates.to_dict(), "tpr": 1.5})
