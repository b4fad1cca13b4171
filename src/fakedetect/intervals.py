"""An interval around every fake probability: inductive Venn-ABERS.

Venn-ABERS (Vovk, Petej and Fedorova, 2015) turns a score into two probabilities
``p0 <= p1``: the isotonic calibration of the calibration accounts plus the new one,
labelled genuine and then fake. Under exchangeability one of the two is perfectly
calibrated, so the band ``[p0, p1]`` is a probability statement with a validity guarantee
and no distributional assumption; it is wide where the calibration data is thin (few
accounts with such scores), narrow where it is dense.

The ``venn-abers`` package computes the two isotonic fits for every possible position of a
new score at once (:func:`venn_abers.calc_p0p1`); the result is three short arrays, which
the model keeps in its metadata (:func:`venn_abers_tables`). Scoring then needs two
``searchsorted`` lookups and no import of the package (:func:`probability_interval`).

Scores are the booster's raw margins (log-odds), rounded to :data:`PRECISION` decimals:
Venn-ABERS depends only on their order, and margins keep the extremes apart where
probabilities would pile up at 0.999.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from fakedetect.model import FakeModel

#: Metadata key of the Venn-ABERS tables.
INTERVAL_KEY = "venn_abers"
#: Decimals margins are rounded to (a resolution of 0.01 log-odds).
PRECISION = 2


def venn_abers_tables(margin: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """The Venn-ABERS lookup tables of calibration margins and labels.

    Parameters
    ----------
    margin : numpy.ndarray
        Raw margins of accounts the booster that scored them did not train on (the
        out-of-fold margins of training, or a user's labelled accounts).
    y : numpy.ndarray
        Their labels (1 = fake).

    Returns
    -------
    dict
        ``{INTERVAL_KEY: {"scores", "p0", "p1", "n"}}``, JSON-ready: the distinct rounded
        margins and the two probabilities for a new score at each position among them.
    """
    from venn_abers import calc_p0p1

    m = np.round(np.asarray(margin, dtype=np.float64), PRECISION)
    scores = np.column_stack([np.zeros_like(m), m])  # the package reads column 1
    p0, p1, c = calc_p0p1(scores, np.asarray(y, dtype=np.float64))
    return {INTERVAL_KEY: {
        "n": len(m),
        "scores": [float(v) for v in c],
        "p0": [round(float(v), 6) for v in p0[:, 1]],
        "p1": [round(float(v), 6) for v in p1[:, 1]],
    }}


def probability_interval(model: FakeModel, margin: np.ndarray, proba: np.ndarray
                         ) -> tuple[np.ndarray, np.ndarray]:
    """The low and high ends of each account's fake probability.

    Parameters
    ----------
    model : FakeModel
        Its metadata holds the tables of :func:`venn_abers_tables`.
    margin : numpy.ndarray
        Raw margins of the accounts.
    proba : numpy.ndarray
        Their calibrated probabilities (the point estimate), which the interval is
        widened to contain.

    Returns
    -------
    low, high : numpy.ndarray
        Venn-ABERS ``p0`` and ``p1``, widened to contain ``proba``; both equal to
        ``proba`` for a model without tables (trained before they were stored).
    """
    p = np.asarray(proba, dtype=np.float64)
    tables = model.metadata.get(INTERVAL_KEY)
    if not tables or not tables.get("scores"):
        return p.copy(), p.copy()
    c = np.asarray(tables["scores"], dtype=np.float64)
    m = np.round(np.asarray(margin, dtype=np.float64), PRECISION)
    p0 = np.asarray(tables["p0"], dtype=np.float64)[np.searchsorted(c, m, side="right")]
    p1 = np.asarray(tables["p1"], dtype=np.float64)[np.searchsorted(c, m, side="left")]
    return np.minimum(p0, p), np.maximum(p1, p)


def authenticity_score(proba: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """The authenticity score, 0-100 with one decimal, never 0 or 100 without cause.

    ``100 * (1 - proba)``, kept within 1-99 unless the interval reaches the end: a score
    is shown as 100 (or 0) only when the probability interval reaches 0 (or 1), i.e. when
    no calibration account with such a score was fake (genuine).

    Parameters
    ----------
    proba, low, high : numpy.ndarray
        Point estimate and interval of the fake probability.

    Returns
    -------
    numpy.ndarray
    """
    score = np.round(100.0 * (1.0 - np.asarray(proba, dtype=np.float64)), 1)
    top = np.where(np.asarray(low) <= 0.0, 100.0, 99.0)
    bottom = np.where(np.asarray(high) >= 1.0, 0.0, 1.0)
    return np.clip(score, bottom, top)
