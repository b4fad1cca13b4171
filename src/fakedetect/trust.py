"""What a model stores at training time so that its scores can be trusted later.

:func:`training_metadata` gathers it in one place for :func:`fakedetect.train.fit_model`:
the reference of the training features that batches are compared with
(:mod:`fakedetect.drift`) and the Venn-ABERS tables that put an interval around every
probability (:mod:`fakedetect.intervals`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


def training_metadata(X: pd.DataFrame, oof_margin: np.ndarray, y: np.ndarray,
                      groups: np.ndarray | None = None) -> dict[str, Any]:
    """Metadata entries describing the training data, to merge into the model's.

    Parameters
    ----------
    X : pandas.DataFrame
        The training feature rows.
    oof_margin : numpy.ndarray
        Out-of-fold raw margins of those rows (from boosters that did not train on them).
    y : numpy.ndarray
        Their labels (1 = fake).
    groups : numpy.ndarray, optional
        The population of every row (simulated world, else data source), from which the
        drift reference learns how far apart the training's own populations lie.

    Returns
    -------
    dict
        JSON-ready entries.
    """
    from fakedetect.drift import training_reference
    from fakedetect.intervals import venn_abers_tables

    return {**training_reference(X, groups), **venn_abers_tables(oof_margin, y)}
