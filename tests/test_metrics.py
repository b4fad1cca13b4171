"""Metrics on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from fakedetect.metrics import (
    binary_metrics,
    expected_calibration_error,
    fraud_type_recall,
    threshold_for_fpr,
    tier_of,
)


def test_threshold_caps_false_positive_rate() -> None:
    y = np.array([0] * 10 + [1] * 5)
    p = np.array([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.95, 0.9, 0.9, 0.97, 0.99, 0.5])
    t = threshold_for_fpr(p, y, max_fpr=0.1)  # one genuine of ten may be flagged
    assert 0.8 < t <= 0.95
    flagged_genuine = np.sum((p >= t) & (y == 0))
    assert flagged_genuine == 1
    t0 = threshold_for_fpr(p, y, max_fpr=0.0)
    assert np.sum((p >= t0) & (y == 0)) == 0


def test_ece_hand_computed() -> None:
    # bin 0.7-0.8 holds p=0.75 twice with one positive: |0.75 - 0.5| = 0.25, weight 2/4
    # bin 0.1-0.2 holds p=0.15 twice with no positive: |0.15 - 0| = 0.15, weight 2/4
    p = np.array([0.75, 0.75, 0.15, 0.15])
    y = np.array([1, 0, 0, 0])
    assert expected_calibration_error(p, y) == pytest.approx(0.5 * 0.25 + 0.5 * 0.15)


def test_binary_metrics_at_threshold() -> None:
    y = np.array([0, 0, 1, 1])
    p = np.array([0.1, 0.6, 0.4, 0.9])
    m = binary_metrics(y, p, threshold=0.5)
    assert m["roc_auc"] == pytest.approx(0.75)
    assert m["recall_op"] == pytest.approx(0.5)
    assert m["fpr_op"] == pytest.approx(0.5)
    assert m["precision_op"] == pytest.approx(0.5)
    assert m["accuracy"] == pytest.approx(0.5)


def test_fraud_type_recall_counts_each_pattern() -> None:
    y = np.array([1, 1, 1, 0])
    p = np.array([0.9, 0.1, 0.8, 0.95])
    types = np.array(["bought_followers+bought_likes", "bought_likes", "engagement_pod",
                      "none"], dtype=object)
    r = fraud_type_recall(y, p, 0.5, types)
    assert r["recall_op_fraud_bought_likes"] == pytest.approx(0.5)
    assert r["recall_op_fraud_bought_followers"] == pytest.approx(1.0)
    assert r["n_fraud_engagement_pod"] == 1


def test_tiers() -> None:
    assert list(tier_of(np.array([500, 10_000, 49_999, 60_000, 2e6]))) == [
        "nano", "micro", "micro", "mid", "mega"]
