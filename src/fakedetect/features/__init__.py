"""Features: one row per account, the same code for training and scoring.

The registry (:data:`FEATURES`) lists every feature with its tables, description,
explanation template and direction; :func:`build_features` computes them, vectorised
over account-sorted arrays; :class:`FeatureBuilder` wraps it for scikit-learn pipelines.
See ``docs/features.md``.
"""

from fakedetect.features.audience import (
    RULE_NAME,
    audience_fake_share,
    audience_profile_features,
    rule_based_fake_probability,
    wilson_interval,
)
from fakedetect.features.build import build_features, dataset_from_frames
from fakedetect.features.engagement import expected_engagement_rate
from fakedetect.features.growth import SUSPICIOUS_Z, robust_jump_scores
from fakedetect.features.registry import (
    COVERAGE_COLUMNS,
    FEATURES,
    FeatureSpec,
    feature_names,
    get_feature,
    registry_frame,
    registry_markdown,
    registry_text,
    render_reason,
    render_reasons,
)

__all__ = [
    "COVERAGE_COLUMNS",
    "FEATURES",
    "RULE_NAME",
    "SUSPICIOUS_Z",
    "FeatureBuilder",
    "FeatureSpec",
    "audience_fake_share",
    "audience_profile_features",
    "build_features",
    "dataset_from_frames",
    "expected_engagement_rate",
    "feature_names",
    "get_feature",
    "registry_frame",
    "registry_markdown",
    "registry_text",
    "render_reason",
    "render_reasons",
    "robust_jump_scores",
    "rule_based_fake_probability",
    "wilson_interval",
]


def __getattr__(name: str) -> object:
    """:class:`FeatureBuilder` is imported on first use: it needs scikit-learn, which
    scoring does not (importing it costs about half a second)."""
    if name == "FeatureBuilder":
        from fakedetect.features.transformer import FeatureBuilder

        return FeatureBuilder
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
