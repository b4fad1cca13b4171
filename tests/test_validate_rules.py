"""The rule table: every value rule is a threshold test, so the extremes of a column decide
it (what lets the Arrow path prove a column clean from its minimum and maximum)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fakedetect.contract import RULES, TABLES
from fakedetect.validate.rules import MAX_EXACT_INT, extremes_pass, value_rules

NOW = pd.Timestamp("2027-01-01", tz="UTC")
COLUMNS = [c for t in TABLES.values() for c in t.columns]


def test_every_rule_is_documented() -> None:
    for col in COLUMNS:
        for rule in value_rules(col, NOW):
            assert rule.name in RULES, (col.name, rule.name)


@pytest.mark.parametrize("col", [c for c in COLUMNS if c.kind in {"int", "float"}],
                         ids=lambda c: c.name)
def test_number_extremes_decide_like_every_value(col: object) -> None:
    rules = value_rules(col, NOW)  # type: ignore[arg-type]
    assert rules, "every number column has at least a magnitude rule"
    rng = np.random.default_rng(0)
    edges = np.array([-1.0, 0.0, 0.5, 1.0, 2.0, 1e9, MAX_EXACT_INT, MAX_EXACT_INT * 2.0,
                      -MAX_EXACT_INT * 2.0, np.inf, -np.inf, np.nan])
    for _ in range(300):
        values = rng.choice(edges, size=int(rng.integers(1, 6)))
        if np.isnan(values).all():
            continue
        anywhere = any(rule.fails(values).any() for rule in rules)
        extremes = np.array([np.nanmin(values), np.nanmax(values)])
        assert extremes_pass(rules, extremes) == (not anywhere), values


@pytest.mark.parametrize("col", [c for c in COLUMNS if c.kind in {"timestamp", "date"}],
                         ids=lambda c: c.name)
def test_time_extremes_decide_like_every_value(col: object) -> None:
    rules = value_rules(col, NOW)  # type: ignore[arg-type]
    days = pd.to_datetime(["1999-12-31", "2005-12-31 23:59:59", "2006-01-01", "2020-06-01",
                           "2027-01-01", "2027-01-01 00:00:01", "2100-01-01"], utc=True,
                          format="ISO8601")
    rng = np.random.default_rng(1)
    for _ in range(200):
        values = pd.Series(days[rng.integers(0, len(days), int(rng.integers(1, 5)))])
        anywhere = any(rule.fails(values).any() for rule in rules)
        extremes = pd.Series([values.min(), values.max()])
        assert extremes_pass(rules, extremes) == (not anywhere), list(values)


def test_ranges_follow_the_contract() -> None:
    followers = next(c for c in TABLES["accounts"].columns if c.name == "followers")
    names = [r.name for r in value_rules(followers, NOW)]
    assert names == ["integer too large", "negative count"]
    label = next(c for c in TABLES["labels"].columns if c.name == "is_fake")
    assert [r.name for r in value_rules(label, NOW)] == ["integer too large", "not 0/1"]
