"""The shortcut audit: features whose push on genuine creators depends on the world.

A simulated world (``fakedetect simulate --worlds``) draws its own engagement curve,
posting cadence, growth noise, audience make-up and so on. A feature that separates fraud
from genuine behaviour in every world pushes genuine creators about the same way in each;
a feature that has learned what one world looks like pushes genuine creators of another
world toward ``fake`` for being different, which is the false alarm a brand pays for. The
audit measures, per feature, the mean SHAP contribution (log-odds) over the genuine
accounts of each world, and calls a feature a **shortcut** when the spread between the
worlds (largest minus smallest mean) exceeds :data:`SHORTCUT_SPREAD`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from fakedetect.model import FakeModel

#: Spread (log-odds) of a feature's mean contribution to genuine creators across worlds
#: above which it is a shortcut. 0.5 log-odds moves a 5% fake probability to about 8%.
SHORTCUT_SPREAD = 0.5
#: Genuine accounts a world needs to take part in the audit.
MIN_GENUINE = 30


@dataclass(frozen=True)
class AuditResult:
    """What the audit found.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per feature (sorted by spread, largest first): ``feature``, ``spread``
        (log-odds), ``lowest_world``, ``highest_world``, ``shortcut`` (bool), and the mean
        contribution per world in columns ``world:<name>``.
    worlds : list of str
        The worlds audited (those with at least :data:`MIN_GENUINE` genuine accounts).
    threshold : float
        The spread that makes a shortcut.
    """

    table: pd.DataFrame
    worlds: list[str]
    threshold: float

    @property
    def shortcuts(self) -> list[str]:
        """Names of the features flagged as shortcuts."""
        return [str(f) for f in self.table.loc[self.table["shortcut"], "feature"]]


def shortcut_audit(model: FakeModel, X: pd.DataFrame, y: np.ndarray, world: np.ndarray,
                   *, threshold: float = SHORTCUT_SPREAD) -> AuditResult:
    """Mean SHAP contribution of every feature to the genuine accounts of each world.

    Parameters
    ----------
    model : FakeModel
    X : pandas.DataFrame
        Feature rows (the model's features, at least), accounts the model did not train
        on where possible.
    y : numpy.ndarray
        Labels (1 = fake); only genuine accounts (0) are audited.
    world : numpy.ndarray
        The world of every row.
    threshold : float, default :data:`SHORTCUT_SPREAD`

    Returns
    -------
    AuditResult
    """
    import pandas as pd

    genuine = np.asarray(y) == 0
    worlds_all = np.asarray(world).astype(str)
    names, counts = np.unique(worlds_all[genuine], return_counts=True)
    worlds = [str(w) for w, c in zip(names, counts, strict=True) if c >= MIN_GENUINE]
    rows = genuine & np.isin(worlds_all, worlds)
    columns: dict[str, np.ndarray] = {}
    if rows.any():
        contrib, _ = model.contributions(X.loc[rows, model.features]
                                         if hasattr(X, "loc") else X[rows])
        w = worlds_all[rows]
        for name in worlds:
            columns[f"world:{name}"] = contrib[w == name].mean(axis=0)
    means = (np.vstack(list(columns.values())) if columns
             else np.zeros((0, len(model.features))))
    if len(means) >= 2:
        spread = means.max(axis=0) - means.min(axis=0)
        low = [worlds[i] for i in means.argmin(axis=0)]
        high = [worlds[i] for i in means.argmax(axis=0)]
    else:
        spread = np.zeros(len(model.features))
        low = high = [""] * len(model.features)
    table = pd.DataFrame({"feature": model.features, "spread": spread,
                          "lowest_world": low, "highest_world": high,
                          "shortcut": spread > threshold, **columns})
    table = table.sort_values("spread", ascending=False, kind="stable").reset_index(drop=True)
    return AuditResult(table=table, worlds=worlds, threshold=threshold)
