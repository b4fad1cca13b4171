"""Explanations are data: a tidy table of each feature's SHAP contribution per account.

Contributions are exact path-dependent TreeSHAP values (LightGBM's ``pred_contrib``, or
the same values from :mod:`fakedetect._compiled.treeshap` on large inputs): for every account,
``base_value + sum(contribution)`` equals the model's raw margin (log-odds of fake), before
calibration. A positive contribution pushes toward *fake*. The plain-word sentence of each
row comes from the feature registry's template, filled with the account's value.

Missing evidence is not evidence: a feature that could not be computed for an account
(its value is missing) still has a contribution, so the rows add up, but it ranks after
every computed feature and its sentence says it was not assessed, with no direction; the
plain-word reasons of ``predict`` and the report come from computed features only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from fakedetect.model import FakeModel

REASON_COLUMNS = ("account_id", "rank", "feature", "description", "value", "contribution",
                  "sentence", "base_value")


def _direction_word(contribution: float) -> str:
    return "raises the fake risk" if contribution > 0 else "lowers the fake risk"


def sentence(feature: str, value: float, contribution: float) -> str:
    """The registry sentence for ``feature`` at ``value``, with its direction (none for a
    missing value: the signal was not assessed)."""
    from fakedetect.features import render_reason

    if value != value:
        return render_reason(feature, value)
    return f"{render_reason(feature, value)} ({_direction_word(contribution)})"


def explain_frame(model: FakeModel, X: pd.DataFrame, *, top: int | None = None,
                  contrib: np.ndarray | None = None, base: np.ndarray | None = None
                  ) -> pd.DataFrame:
    """Tidy SHAP explanations of ``X`` (indexed by account_id).

    Parameters
    ----------
    model : FakeModel
    X : pandas.DataFrame
        Feature rows; the index holds the account ids.
    top : int, optional
        Keep only the ``top`` largest absolute contributions per account (all by default).
    contrib, base : numpy.ndarray, optional
        Precomputed :meth:`FakeModel.contributions` output.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`REASON_COLUMNS`, ordered by account then rank (1 = strongest).
    """
    import pandas as pd

    from fakedetect.features import get_feature

    if contrib is None or base is None:
        contrib, base = model.contributions(X)
    n, k = contrib.shape
    values = X[model.features].to_numpy(dtype=np.float64, na_value=np.nan)
    keep = k if top is None else min(top, k)
    # computed features first (by the size of their push), then the not assessed ones
    order = _strongest(np.where(np.isnan(values), 0.0, np.abs(contrib) + 1.0), keep)
    rows = np.repeat(np.arange(n), keep)
    cols = order.ravel()
    feats = np.asarray(model.features, dtype=object)[cols]
    c = contrib[rows, cols]
    v = values[rows, cols]
    desc = {f: get_feature(f).description for f in model.features}
    frame = pd.DataFrame({
        "account_id": np.asarray(X.index.astype(str), dtype=object)[rows],
        "rank": np.tile(np.arange(1, keep + 1), n),
        "feature": feats,
        "description": [desc[f] for f in feats],
        "value": v,
        "contribution": c,
        "sentence": _sentences(feats, v, c),
        "base_value": base[rows],
    })
    return frame


def _strongest(contrib: np.ndarray, keep: int) -> np.ndarray:
    """Columns of the ``keep`` largest absolute contributions of every row, largest
    first, ties in feature order (a stable sort)."""
    return np.argsort(-np.abs(contrib), axis=1, kind="stable")[:, :keep]


def _sentences(feats: np.ndarray, values: np.ndarray, contrib: np.ndarray) -> np.ndarray:
    """:func:`sentence` of every row, rendered one feature at a time."""
    import pandas as pd

    from fakedetect.features import render_reasons

    out = np.empty(len(feats), dtype=object)
    codes, names = pd.factorize(feats)
    for k, name in enumerate(names):
        rows = np.flatnonzero(codes == k)
        out[rows] = render_reasons(str(name), values[rows])
    up, down = f" ({_direction_word(1.0)})", f" ({_direction_word(-1.0)})"
    missing = np.isnan(values).tolist()
    return np.array([text if gone else text + (up if c > 0 else down)
                     for text, c, gone in zip(out.tolist(), contrib.tolist(), missing,
                                              strict=True)],
                    dtype=object)


def check_additivity(model: FakeModel, X: pd.DataFrame, atol: float = 1e-6) -> float:
    """Largest gap between ``base + sum(contributions)`` and the raw margin (for tests)."""
    contrib, base = model.contributions(X)
    return float(np.max(np.abs(contrib.sum(axis=1) + base - model.margin(X))))
