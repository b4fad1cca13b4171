"""The feature registry: one explicit table, in step with the calculators and the docs."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from fakedetect.contract import TABLES
from fakedetect.features import (
    FEATURES,
    FeatureSpec,
    audience,
    comments,
    engagement,
    feature_names,
    get_feature,
    growth,
    registry_frame,
    registry_markdown,
    render_reason,
)
from fakedetect.features.registry import GROUPS

ROOT = Path(__file__).resolve().parents[1]
NAME = re.compile(r"^(accounts|snapshots|posts|comments|audience)__[a-z0-9_]+?"
                  r"(__[a-z0-9]+(_[a-z0-9]+)*)?$")


def test_names_are_unique_and_tsfresh_style() -> None:
    names = [f.name for f in FEATURES]
    assert len(names) == len(set(names))
    for f in FEATURES:
        assert NAME.match(f.name), f.name
        assert f.name.split("__")[0] in f.tables, f.name
        assert set(f.tables) <= set(TABLES), f.name
        assert f.group in GROUPS
        assert f.description.endswith(".") and "\n" not in f.description
        assert len(f.description) < 200


def test_calculators_produce_exactly_the_registry() -> None:
    by_group = {g: [f.name for f in FEATURES if f.group == g] for g in GROUPS}
    assert list(engagement.NAMES) == by_group["engagement"]
    assert list(growth.NAMES) == by_group["growth"]
    assert list(comments.NAMES) == by_group["comments"]
    assert list(audience.NAMES) == by_group["audience"]
    assert feature_names("account") == by_group["profile"]
    assert feature_names("influencer") == [f.name for f in FEATURES]


def test_directions_and_monotone_constraints() -> None:
    for f in FEATURES:
        assert f.direction in (-1, 0, 1)
        if f.monotone:
            assert f.direction != 0
    monotone = {f.name for f in FEATURES if f.monotone}
    assert monotone == {"snapshots__max_jump_robust_z__window_1",
                        "snapshots__max_jump_robust_z__window_3",
                        "comments__share_generic", "audience__fake_share__scorer_model"}
    with pytest.raises(ValueError, match="monotone"):
        FeatureSpec("posts__x", "engagement", ("posts",), "X.", "{value}", 0, True)


def test_account_task_is_profile_only() -> None:
    names = feature_names("account")
    assert all(get_feature(n).tables == ("accounts",) for n in names)
    assert all("account" in get_feature(n).tasks for n in names)
    with pytest.raises(ValueError, match="unknown task"):
        feature_names("brand")


def test_every_template_renders() -> None:
    for f in FEATURES:
        for value in (0.0, 0.37, 1.0, 12.5, -0.2):
            text = render_reason(f.name, value)
            assert "{" not in text and text, f.name
        missing = render_reason(f.name, float("nan"))
        assert missing.startswith("Not assessed:")
        assert render_reason(f.name, np.float64(np.nan)) == missing
    assert render_reason("snapshots__max_jump_share__window_1", 0.38) == (
        "Followers jumped 38% in a single day, a very large jump for one day")
    assert render_reason("accounts__log_followers", math.log10(25_001)) == (
        "The profile shows 25,000 followers, a mid-sized account (10k-100k)")
    assert render_reason("accounts__has_profile_pic", 0.0) == "The account has no profile picture"
    with pytest.raises(KeyError, match="unknown feature"):
        get_feature("posts__nothing")


def test_registry_table_forms() -> None:
    frame = registry_frame()
    assert list(frame["name"]) == [f.name for f in FEATURES]
    assert len(registry_frame("account")) == len(feature_names("account"))
    md = registry_markdown()
    assert md.count("\n") == len(FEATURES) + 1


def test_docs_describe_every_feature() -> None:
    text = (ROOT / "docs" / "features.md").read_text(encoding="utf-8")
    missing = [f.name for f in FEATURES if f"`{f.name}`" not in text]
    assert not missing, f"docs/features.md lacks {missing}; regenerate its reference table " \
                        "with `python -m fakedetect.features.registry`"
    assert registry_markdown() in text


def test_render_reasons_matches_render_reason_for_every_feature() -> None:
    from fakedetect.features import render_reasons

    values = np.array([np.nan, -np.inf, np.inf, -1e6, -3.2, -0.5, 0.0, 1e-9, 0.49999, 0.5,
                       0.73, 1.0, 2.5, 7.0, 400.0, 1e6, -0.0, 0.5, np.nan, 0.0, -0.0, 7.0])
    for f in FEATURES:
        assert render_reasons(f.name, values) == [render_reason(f.name, float(v))
                                                  for v in values], f.name


def test_templates_are_filled_by_position_as_by_name() -> None:
    from fakedetect.features.registry import _fields, _numbered

    template = "a {{b}} {value:.1f} / {count:,.0f} ({value:.2%}) {yesno}"
    numbered = _numbered(template)
    assert numbered == ("a {{b}} {0:.1f} / {1:,.0f} ({0:.2%}) {2}", ("value", "count", "yesno"))
    for v in (0.0, -0.0, 0.49, 2.5, 400.0, 1e6, -np.inf):
        fields = _fields(v)
        assert numbered[0].format(*[fields[f] for f in numbered[1]]) == template.format(**fields)
    assert _numbered("{value!r}") is None  # conversions and unknown fields: by name
    assert _numbered("{other:.1f}") is None
    assert _numbered("{value:{width}}") is None
