"""Compare a batch of accounts with what the model was trained on.

At training time :func:`training_reference` stores, per feature, ten quantile bins of the
training values with the share of training accounts in each (plus the missing share), and
the range the model saw. :func:`check_batch` compares a scored batch with it in two ways:

per feature
    The population stability index (PSI) between the training shares and the batch's
    shares of the same bins, missing values as a bin of their own (so a feature that goes
    missing drifts too). PSI is the usual measure in credit scoring, with the usual reading
    (below 0.1 stable, 0.1-0.25 moderate, above 0.25 a major shift). On quantile bins it
    needs no scale, works the same on counts, rates and flags, and costs a ``searchsorted``
    and a ``bincount`` per feature, so a few lines of numpy do it without a drift library.
per account
    A value beyond the training minimum or maximum on a feature that carries the account's
    score (a SHAP contribution of at least :data:`CARRIES` log-odds): the trees extrapolate
    flat there, so the verdict rests on a value no training account had.

The batch warning fires when a feature the trees split on shifts by more than
:data:`PSI_ALERT` (batches of at least :data:`MIN_BATCH` accounts; PSI on fewer is noise),
or when features never missing in training are missing for most of the batch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from fakedetect.model import FakeModel

#: Metadata key of the training reference.
REFERENCE_KEY = "training_reference"
#: Quantile bins per feature.
BINS = 10
#: What to do about a shifted signal, said after each drift finding.
ADVICE = ("Scores of these accounts are less certain: check the ones that matter by hand, "
          "or recalibrate the model on labelled accounts of this market (fakedetect "
          "calibrate).")
#: PSI from which a feature counts as shifted (the conventional "major shift").
PSI_ALERT = 0.25
#: Smallest batch whose PSI is judged.
MIN_BATCH = 50
#: |SHAP contribution| in log-odds from which a feature carries an account's score.
CARRIES = 0.1
#: Share of a batch with a never-missing feature missing from which that is a warning.
MISSING_ALERT = 0.5
#: Shifted features described one by one in the warnings (the rest are listed).
MAX_SENTENCES = 5
#: Exit code of ``predict``, ``evaluate`` and ``report`` with ``--fail-on-drift`` when the
#: warning fires (after writing their output).
DRIFT_EXIT = 3


def _bin_index(values: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """Bin of every value: ``0..len(cuts)`` by the cut points, ``len(cuts) + 1`` if NaN."""
    idx = np.searchsorted(cuts, values, side="right")
    return np.where(np.isnan(values), len(cuts) + 1, idx)


def training_reference(X: pd.DataFrame) -> dict[str, Any]:
    """The compact description of training features that :func:`check_batch` reads.

    Parameters
    ----------
    X : pandas.DataFrame
        The training feature rows (float columns, NaN for missing).

    Returns
    -------
    dict
        ``{REFERENCE_KEY: {"n": rows, "features": {name: {...}}}}``, JSON-ready, to merge
        into the model's metadata. Per feature: ``cuts`` (distinct inner quantiles),
        ``shares`` (training share per bin, the last bin being missing), ``missing``,
        ``min``, ``max`` and ``median`` (``None`` when never present).
    """
    matrix = X.to_numpy(dtype=np.float64, na_value=np.nan)
    n = len(matrix)
    probs = np.arange(1, BINS) / BINS
    out: dict[str, Any] = {}
    for j, name in enumerate(X.columns):
        col = matrix[:, j]
        present = col[~np.isnan(col)]
        if len(present):
            cuts = np.unique(np.quantile(present, probs, method="inverted_cdf"))
            lo, hi, med = float(present.min()), float(present.max()), float(np.median(present))
        else:
            cuts, lo, hi, med = np.zeros(0), None, None, None
        counts = np.bincount(_bin_index(col, cuts), minlength=len(cuts) + 2)
        out[str(name)] = {
            "cuts": [float(c) for c in cuts],
            "shares": [round(float(c) / max(n, 1), 6) for c in counts],
            "missing": round(float(np.isnan(col).mean()) if n else 0.0, 6),
            "min": lo, "max": hi, "median": med,
        }
    return {REFERENCE_KEY: {"n": n, "bins": BINS, "features": out}}


def psi(expected: np.ndarray, actual_counts: np.ndarray, n_ref: int) -> float:
    """Population stability index of batch counts against reference shares.

    Both sides get half an account added to every bin before taking shares, so an empty
    bin costs a finite amount rather than infinity.

    Parameters
    ----------
    expected : numpy.ndarray
        Reference share per bin.
    actual_counts : numpy.ndarray
        Batch count per bin.
    n_ref : int
        Reference rows (to smooth the reference shares like the batch's).

    Returns
    -------
    float
        ``sum((a - e) * ln(a / e))``.
    """
    k = len(expected)
    e = (np.asarray(expected, dtype=np.float64) * n_ref + 0.5) / (n_ref + 0.5 * k)
    counts = np.asarray(actual_counts, dtype=np.float64)
    a = (counts + 0.5) / (counts.sum() + 0.5 * k)
    return float(np.sum((a - e) * np.log(a / e)))


@dataclass
class DriftReport:
    """How a batch compares with the training reference.

    Attributes
    ----------
    features : pandas.DataFrame
        One row per model feature: ``feature``, ``description``, ``psi``,
        ``missing_train``, ``missing_batch``, ``bin`` (the reference bin that gained the
        most accounts, in words) with its ``bin_train`` and ``bin_batch`` shares, ``above_max`` and
        ``below_min`` (shares of the batch), ``used`` (the trees split
        on it), ``relying`` (accounts whose score it carries), ``outside`` (accounts
        beyond the training range on it while it carries their score), ``shifted``.
    outside : pandas.Series
        Per account (index: the batch's), the features beyond the training range that
        carry its score, ``; ``-joined (empty when none).
    warnings : list of str
        Plain-word findings, most important first.
    fired : bool
        Whether the batch counts as unlike the training data (``--fail-on-drift``).
    counts : BatchCounts or None
        The counts it was judged from (to add up with other parts of a batch).
    """

    features: pd.DataFrame
    outside: pd.Series
    warnings: list[str] = field(default_factory=list)
    fired: bool = False
    counts: BatchCounts | None = None


def feature_label(name: str) -> str:
    """A feature's plain description, lower-cased and without the final full stop."""
    from fakedetect.features import get_feature

    try:
        text = get_feature(name).description.strip().rstrip(".")
    except KeyError:
        return name
    text = re.sub(r" \([^()]*\)$", "", text)  # a closing aside, not a formula's brackets
    return text[:1].lower() + text[1:] if text else name


def _fmt(x: float | None) -> str:
    if x is None or x != x:
        return "missing"
    return f"{x:,.3g}"


@dataclass
class BatchCounts:
    """What :func:`drift_report` needs of a batch, as counts that add up across parts.

    Attributes
    ----------
    n : int
        Accounts.
    bins : list of numpy.ndarray
        Per model feature, accounts per reference bin (the last bin: missing).
    above, below, relying, outside : numpy.ndarray
        Per model feature, accounts above the training maximum, below the minimum,
        whose score the feature carries, and both beyond the range and carried.
    flagged : int
        Accounts with at least one ``outside`` feature.
    """

    n: int
    bins: list[np.ndarray]
    above: np.ndarray
    below: np.ndarray
    relying: np.ndarray
    outside: np.ndarray
    flagged: int

    def __add__(self, other: BatchCounts) -> BatchCounts:
        """The counts of two disjoint batches together."""
        return BatchCounts(self.n + other.n,
                           [a + b for a, b in zip(self.bins, other.bins, strict=True)],
                           self.above + other.above, self.below + other.below,
                           self.relying + other.relying, self.outside + other.outside,
                           self.flagged + other.flagged)


def batch_counts(model: FakeModel, X: pd.DataFrame, contrib: np.ndarray | None = None
                 ) -> tuple[BatchCounts, pd.Series] | None:
    """Count a batch against the model's training reference.

    Parameters
    ----------
    model : FakeModel
    X : pandas.DataFrame
        The batch's feature rows (at least the model's features).
    contrib : numpy.ndarray, optional
        Their SHAP contributions, shape (rows, model features); computed when absent.

    Returns
    -------
    counts : BatchCounts
    outside : pandas.Series
        Per account (index of ``X``), the features beyond the training range that carry
        its score, ``; ``-joined.

    ``None`` when the model carries no training reference.
    """
    import pandas as pd

    ref = model.metadata.get(REFERENCE_KEY)
    if not ref:
        return None
    feats = model.features
    n = len(X)
    matrix = (X[feats].to_numpy(dtype=np.float64, na_value=np.nan) if n
              else np.zeros((0, len(feats))))
    if contrib is None:
        contrib = model.contributions(X)[0] if n else np.zeros((0, len(feats)))
    carries = np.abs(contrib) >= CARRIES
    outside = np.zeros((n, len(feats)), dtype=bool)
    above = np.zeros(len(feats), dtype=np.int64)
    below = np.zeros(len(feats), dtype=np.int64)
    bins = []
    for j, name in enumerate(feats):
        r = ref["features"].get(name, {"cuts": [], "min": None, "max": None})
        col = matrix[:, j]
        cuts = np.asarray(r["cuts"], dtype=np.float64)
        bins.append(np.bincount(_bin_index(col, cuts), minlength=len(cuts) + 2))
        with np.errstate(invalid="ignore"):
            hi = col > r["max"] if r["max"] is not None else ~np.isnan(col)
            lo = col < r["min"] if r["min"] is not None else np.zeros(n, dtype=bool)
        outside[:, j] = (hi | lo) & carries[:, j]
        above[j], below[j] = hi.sum(), lo.sum()
    names = np.asarray([feature_label(f) for f in feats], dtype=object)
    flags = pd.Series(["; ".join(names[row]) for row in outside], index=X.index,
                      dtype=object)
    counts = BatchCounts(n, bins, above, below, carries.sum(axis=0).astype(np.int64),
                         outside.sum(axis=0).astype(np.int64), int(outside.any(axis=1).sum()))
    return counts, flags


def check_batch(model: FakeModel, X: pd.DataFrame, contrib: np.ndarray | None = None
                ) -> DriftReport | None:
    """Compare scored feature rows with the model's training reference.

    Parameters
    ----------
    model : FakeModel
    X : pandas.DataFrame
        The batch's feature rows (at least the model's features).
    contrib : numpy.ndarray, optional
        Their SHAP contributions, shape (rows, model features); computed when absent.

    Returns
    -------
    DriftReport or None
        ``None`` when the model carries no training reference (trained before it was
        stored).
    """
    found = batch_counts(model, X, contrib)
    if found is None:
        return None
    return drift_report(model, *found)


def drift_report(model: FakeModel, counts: BatchCounts, outside: pd.Series) -> DriftReport:
    """Judge a batch's counts (:func:`batch_counts`, summed over parts) in words.

    Parameters
    ----------
    model : FakeModel
    counts : BatchCounts
    outside : pandas.Series
        The per-account flags.

    Returns
    -------
    DriftReport
    """
    import pandas as pd

    ref = model.metadata[REFERENCE_KEY]
    feats = model.features
    n = counts.n
    split_on = model.split_features()
    used = np.array([split_on is None or f in split_on for f in feats], dtype=bool)
    n_ref = int(ref.get("n", 0))
    rows = []
    for j, name in enumerate(feats):
        r = ref["features"].get(name)
        if r is None:
            continue
        shares = np.asarray(r["shares"], dtype=np.float64)
        b = counts.bins[j]
        frac = b / max(n, 1)
        k = int(np.argmax(frac - shares))  # the bin that gained the most accounts
        rows.append({
            "feature": name, "description": feature_label(name),
            "psi": psi(shares, b, n_ref) if n else float("nan"),
            "missing_train": float(r["missing"]),
            "missing_batch": float(frac[-1]) if n else float("nan"),
            "bin": _bin_words(_shown_cuts(name, r["cuts"]), k), "bin_train": float(shares[k]),
            "bin_batch": float(frac[k]),
            "above_max": float(counts.above[j] / max(n, 1)),
            "below_min": float(counts.below[j] / max(n, 1)),
            "used": bool(used[j]), "relying": int(counts.relying[j]),
            "outside": int(counts.outside[j]),
        })
    table = pd.DataFrame(rows)
    if not len(table):
        return DriftReport(table, outside)
    table["shifted"] = table["used"] & (table["psi"] >= PSI_ALERT) & (n >= MIN_BATCH)
    table = table.sort_values(["shifted", "psi"], ascending=False, kind="stable")
    warnings = []
    lacking = set(table.loc[table["missing_batch"] > MISSING_ALERT, "feature"])
    missing = [f for f in model.metadata.get("never_missing") or [] if f in lacking]
    if missing:
        warnings.append(
            f"{len(missing)} feature(s) that were never missing when {model.name} "
            f"v{model.version} was trained are missing for most of these accounts: "
            f"{'; '.join(feature_label(f) for f in missing[:6])}"
            f"{f'; and {len(missing) - 6} more' if len(missing) > 6 else ''}. The model "
            "never learned what their "
            "absence means, so treat these scores with caution (or use a model trained on "
            "data like this).")
    shifted = table[table["shifted"]]
    said = [_shift_sentence(r) for r in shifted.head(MAX_SENTENCES).itertuples()]
    warnings += [w if k == 0 else w.removesuffix(f" {ADVICE}") for k, w in enumerate(said)]
    if len(shifted) > MAX_SENTENCES:
        rest = shifted.iloc[MAX_SENTENCES:]
        warnings.append(
            f"{len(rest)} more signal(s) are distributed unlike the training data: "
            f"{', '.join(rest['description'].head(8))}"
            + (", ..." if len(rest) > 8 else "") + ".")
    fired = bool(warnings)
    if counts.flagged:
        worst = table[table["outside"] > 0].sort_values("outside", ascending=False,
                                                        kind="stable")
        listed = ", ".join(f"{r.description} ({r.outside:,})"
                           for r in worst.head(3).itertuples())
        warnings.append(
            f"{counts.flagged:,} of {n:,} verdict(s) rest on a value beyond anything this "
            f"model saw in training: {listed}. Those accounts are marked 'outside training "
            "range'; check them by hand before acting on their verdicts.")
    return DriftReport(table.reset_index(drop=True), outside, warnings, fired, counts)


def _shown_cuts(name: str, cuts: list[float]) -> list[float]:
    """Cut points in the units the analyst reads: counts and ratios stored on a log10
    scale (the registry template shows ``{count}`` or ``{ratio}``) are turned back."""
    from fakedetect.features import get_feature

    try:
        template = get_feature(name).template
    except KeyError:
        return cuts
    if "{count" in template:
        return [10.0 ** c - 1.0 for c in cuts]
    if "{ratio" in template:
        return [10.0 ** c for c in cuts]
    return cuts


def _bin_words(cuts: list[float], k: int) -> str:
    """Bin ``k`` of the reference's cut points in words."""
    if k == len(cuts) + 1:
        return "with no value"
    if not cuts:
        return "present"
    if k == 0:
        return f"below {_fmt(cuts[0])}"
    if k == len(cuts):
        return f"at or above {_fmt(cuts[-1])}"
    return f"between {_fmt(cuts[k - 1])} and {_fmt(cuts[k])}"


def _shift_sentence(r: Any) -> str:
    """One shifted feature in words: what, how far, and how many verdicts rest on it."""
    if r.above_max >= 0.05:
        where = (f"is far above anything this model saw for {r.above_max:.0%} of accounts "
                 "(training maximum exceeded)")
    elif r.below_min >= 0.05:
        where = f"is below anything this model saw for {r.below_min:.0%} of accounts"
    else:
        where = "is distributed unlike the training data"
    return (f"{r.description[:1].upper()}{r.description[1:]} {where}: {r.bin_batch:.0%} of "
            f"these accounts {r.bin} against {r.bin_train:.0%} in training; {r.relying:,} "
            f"verdict(s) rely on it. {ADVICE}")
