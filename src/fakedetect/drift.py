"""Compare a batch of accounts with what the model was trained on.

At training time :func:`training_reference` stores, per feature, ten quantile bins of the
training values with the share of training accounts in each (plus the missing share), the
range the model saw, and how far apart the training's own populations (simulated worlds or
data sources) lie on it. :func:`check_batch` compares a scored batch with it in two ways:

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
    flat there, so the verdict rests on a value no training account had. This is a
    reliability flag, not evidence about the account.

A feature counts as shifted when four things hold: the trees split on it; the batch has
at least :data:`MIN_BATCH` accounts; its PSI exceeds both :data:`PSI_ALERT` and the
spread between the training's own populations (a batch like one of them is familiar),
each raised by what a random sample of the batch's size from the training data would
exceed only once in a hundred (:func:`sampling_psi`); and at least one verdict in the
batch could change with it (the feature's contribution is larger than the verdict's
distance to a threshold, in model units). The batch warning fires for a shifted feature,
or when features never missing in training are missing for most of the batch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Callable

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
#: The advice when the model was trained on simulated data: a simulated batch unlike the
#: training data usually differs by the platform events the simulator drew for it.
ADVICE_SIMULATED = ("The model was trained on simulated accounts, and simulated data drawn "
                    "with other platform events (such as a platform-wide purge of fake "
                    "followers in one period and not the other) differs like this; "
                    "docs/usage.md explains. Scores of these accounts are less certain: "
                    "check the ones that matter by hand.")
#: Features named one by one in the note on values beyond the training range.
MAX_OUTSIDE_NAMED = 8

#: Short plain names of the signals the drift note speaks of most, with the words for
#: their low and high ends: (name, lower, higher). Others use :func:`feature_label`.
PLAIN_NAMES: dict[str, tuple[str, str, str]] = {
    "snapshots__max_drop_robust_z__window_1": (
        "the biggest one-day follower drop", "smaller", "larger"),
    "snapshots__max_jump_robust_z__window_1": (
        "the biggest one-day follower jump", "smaller", "larger"),
    "snapshots__max_jump_robust_z__window_3": (
        "the biggest three-day follower jump", "smaller", "larger"),
    "snapshots__max_jump_share__window_1": (
        "the biggest one-day follower gain", "smaller", "larger"),
    "snapshots__daily_follower_change__mean_pct": (
        "the average daily follower growth", "slower", "faster"),
    "snapshots__daily_follower_change__std_pct": (
        "how much follower growth varies from day to day", "steadier", "more uneven"),
    "snapshots__growth_concentration__top_pct_1": (
        "the share of follower growth made on the busiest days", "lower", "higher"),
    "snapshots__growth_concentration__top_pct_5": (
        "the share of follower growth made on the busiest days", "lower", "higher"),
    "snapshots__purge_after_jump__days_30": (
        "the share of the biggest gain lost again within a month", "lower", "higher"),
    "snapshots__gain_engagement_corr__lag_1": (
        "how closely follower gains follow posts", "looser", "closer"),
    "snapshots__excess_growth_on_post_days__lag_1": (
        "the extra follower growth on posting days", "smaller", "larger"),
    "snapshots__following_oscillation__mean_abs_pct": (
        "follow/unfollow churn", "lower", "higher"),
    "posts__median_engagement_rate__last_30": ("engagement per follower", "lower", "higher"),
    "posts__engagement_vs_tier__last_30": (
        "engagement against the usual for the account's size", "lower", "higher"),
    "posts__like_cv__last_30": ("how much likes vary from post to post", "less", "more"),
    "posts__like_gini__last_30": ("how unevenly likes are spread over posts", "less",
                                  "more"),
    "posts__comment_like_ratio__last_30": ("comments per like", "fewer", "more"),
    "posts__engagement_follower_trend__per_30_days": (
        "how engagement keeps up with follower growth", "less", "more"),
    "comments__commenter_overlap__previous_post": (
        "the share of commenters returning from the previous post", "lower", "higher"),
    "audience__fake_share__scorer_model": (
        "the estimated share of fake followers", "lower", "higher"),
    "accounts__follower_following_ratio__log": (
        "followers per account followed", "fewer", "more"),
}
#: PSI from which a feature counts as shifted (the conventional "major shift").
PSI_ALERT = 0.25
#: Smallest batch whose PSI is judged.
MIN_BATCH = 50
#: Smallest training population (world or source) whose distance from the pooled training
#: data counts towards a feature's spread.
MIN_GROUP = 50
#: One-sided level of the sampling allowance: a random sample of the training data
#: exceeds :func:`sampling_psi` about this often.
SAMPLING_LEVEL = 0.01
#: Accounts x features judged at once by :func:`could_change`.
_CHUNK_CELLS = 2_000_000
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


def training_reference(X: pd.DataFrame, groups: np.ndarray | None = None
                       ) -> dict[str, Any]:
    """The compact description of training features that :func:`check_batch` reads.

    Parameters
    ----------
    X : pandas.DataFrame
        The training feature rows (float columns, NaN for missing).
    groups : numpy.ndarray, optional
        The population of every row (simulated world or data source). With two or more
        populations of at least :data:`MIN_GROUP` rows, each feature stores its
        ``spread``: the largest PSI of one population against the pooled rows, less what
        sampling alone gives a population of that size. A batch no further from the pool
        than one of the model's own training populations is not a shift.

    Returns
    -------
    dict
        ``{REFERENCE_KEY: {"n": rows, "features": {name: {...}}}}``, JSON-ready, to merge
        into the model's metadata. Per feature: ``cuts`` (distinct inner quantiles),
        ``shares`` (training share per bin, the last bin being missing), ``missing``,
        ``min``, ``max``, ``median`` (``None`` when never present) and ``spread`` (0 for
        one population).
    """
    matrix = X.to_numpy(dtype=np.float64, na_value=np.nan)
    n = len(matrix)
    probs = np.arange(1, BINS) / BINS
    members: list[np.ndarray] = []
    if groups is not None and len(groups) == n:
        labels = np.asarray(groups).astype(str)
        members = [labels == g for g in np.unique(labels)]
        members = [m for m in members if m.sum() >= MIN_GROUP]
        if len(members) < 2:
            members = []
    out: dict[str, Any] = {}
    for j, name in enumerate(X.columns):
        col = matrix[:, j]
        present = col[~np.isnan(col)]
        if len(present):
            cuts = np.unique(np.quantile(present, probs, method="inverted_cdf"))
            lo, hi, med = float(present.min()), float(present.max()), float(np.median(present))
        else:
            cuts, lo, hi, med = np.zeros(0), None, None, None
        idx = _bin_index(col, cuts)
        counts = np.bincount(idx, minlength=len(cuts) + 2)
        shares = counts / max(n, 1)
        spread = 0.0
        for m in members:
            k = int(m.sum())
            own = psi(shares, np.bincount(idx[m], minlength=len(cuts) + 2), n)
            # a population is part of the pool: its sampling share is 1/k - 1/n
            noise = (_occupied(shares) - 1) * max(1.0 / k - 1.0 / n, 0.0)
            spread = max(spread, own - noise)
        out[str(name)] = {
            "cuts": [float(c) for c in cuts],
            "shares": [round(float(c), 6) for c in shares],
            "missing": round(float(np.isnan(col).mean()) if n else 0.0, 6),
            "min": lo, "max": hi, "median": med,
            "spread": round(spread, 6),
        }
    return {REFERENCE_KEY: {"n": n, "bins": BINS, "groups": len(members),
                            "features": out}}


def _occupied(shares: np.ndarray) -> int:
    """Bins a batch can fall in: those holding training accounts (at least two)."""
    return max(int(np.count_nonzero(np.asarray(shares) > 0)), 2)


def sampling_psi(shares: np.ndarray, n: int, n_ref: int, level: float = SAMPLING_LEVEL
                 ) -> float:
    """The PSI a random sample of ``n`` training accounts exceeds with probability ``level``.

    For small differences PSI is close to Pearson's chi-square statistic divided by the
    sample size, so ``n * PSI`` of a sample of the reference population follows a
    chi-square law with one degree of freedom fewer than the occupied bins (with the
    reference's own sampling error added through ``1 / n_ref``). The quantile is the
    Wilson-Hilferty approximation, within a few percent at these degrees of freedom.

    Parameters
    ----------
    shares : numpy.ndarray
        Reference share per bin.
    n : int
        Batch size.
    n_ref : int
        Reference rows.
    level : float
        Upper tail probability.

    Returns
    -------
    float
    """
    from statistics import NormalDist

    df = _occupied(shares) - 1
    z = NormalDist().inv_cdf(1.0 - level)
    q = df * (1.0 - 2.0 / (9 * df) + z * np.sqrt(2.0 / (9 * df))) ** 3
    return float(q * (1.0 / max(n, 1) + 1.0 / max(n_ref, 1)))


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
        One row per model feature: ``feature``, ``description``, ``psi``, ``spread``
        (the training populations' own spread), ``psi_needed`` (the PSI from which it
        counts as shifted at this batch size), ``missing_train``, ``missing_batch``,
        ``bin`` (the reference bin that gained the most accounts, in words, in the
        feature's units) with its ``bin_train`` and ``bin_batch`` shares, ``above_max``
        and ``below_min`` (shares of the batch), ``used`` (the trees split on it),
        ``relying`` (verdicts that could change with it), ``outside`` (accounts beyond
        the training range on it while it carries their score), ``shifted``.
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


def plain_name(name: str) -> str:
    """A feature's short name in the drift note's words (:data:`PLAIN_NAMES`, else its
    description)."""
    found = PLAIN_NAMES.get(name)
    return found[0] if found else feature_label(name)


def trained_on_simulated(model: FakeModel) -> bool:
    """Whether the model learned from simulated accounts: a source named ``sim...``, or
    figures on held-out simulated worlds (only simulated data has worlds)."""
    sources = model.metadata.get("sources")
    names = [str(x) for x in sources] if isinstance(sources, list | tuple) else []
    if any(n.startswith("sim") for n in names):
        return True
    metrics = model.metadata.get("metrics")
    return isinstance(metrics, dict) and any(str(k).startswith("heldout_") for k in metrics)


def advice(model: FakeModel) -> str:
    """What to do about a shifted signal: :data:`ADVICE_SIMULATED` for a model trained on
    simulated accounts, else :data:`ADVICE`."""
    return ADVICE_SIMULATED if trained_on_simulated(model) else ADVICE


def plural(n: int, one: str, many: str | None = None) -> str:
    """``n`` with its noun in the right number: ``1 verdict``, ``32 verdicts``."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


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
        whose verdict could change with the feature (:func:`could_change`), and beyond
        the range while the feature carries the score.
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
    base = None
    if contrib is None:
        contrib, base = (model.contributions(X) if n
                         else (np.zeros((0, len(feats))), np.zeros(0)))
    carries = np.abs(contrib) >= CARRIES
    decisive = could_change(model, X, contrib, base)
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
    counts = BatchCounts(n, bins, above, below, decisive.sum(axis=0).astype(np.int64),
                         outside.sum(axis=0).astype(np.int64), int(outside.any(axis=1).sum()))
    return counts, flags


def could_change(model: FakeModel, X: pd.DataFrame, contrib: np.ndarray,
                 base: np.ndarray | None = None) -> np.ndarray:
    """Which verdicts could change with each feature: without the feature's contribution
    the account's margin would land on the other side of a verdict threshold.

    The contribution is compared with the verdict's distance to the nearest threshold in
    model units (the thresholds are probabilities; the model's calibration maps margins to
    them), so a small push on an account far from any threshold does not count.

    Parameters
    ----------
    model : FakeModel
    X : pandas.DataFrame
        The feature rows.
    contrib : numpy.ndarray
        Their SHAP contributions, shape (rows, model features).
    base : numpy.ndarray, optional
        The SHAP base value per row (computed from one row when absent: it is the same
        for every row).

    Returns
    -------
    numpy.ndarray
        Bool, shape (rows, model features).
    """
    n, k = contrib.shape
    if n == 0:
        return np.zeros((0, k), dtype=bool)
    if base is None:
        base = model.contributions(X.iloc[:1])[1]
    margin = contrib.sum(axis=1) + np.asarray(base, dtype=np.float64)[:n]

    def level(m: np.ndarray) -> np.ndarray:
        p = model.calibration(m)
        return ((p >= model.threshold_review).astype(np.int8)
                + (p >= model.threshold_fake).astype(np.int8))

    out = np.empty((n, k), dtype=bool)
    step = max(1, _CHUNK_CELLS // max(k, 1))  # bounded memory on large batches
    for lo in range(0, n, step):
        m, c = margin[lo:lo + step], contrib[lo:lo + step]
        without = level((m[:, None] - c).ravel()).reshape(c.shape)
        out[lo:lo + step] = without != level(m)[:, None]
    return out


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
        spread = float(r.get("spread", 0.0))
        rows.append({
            "feature": name, "description": feature_label(name),
            "psi": psi(shares, b, n_ref) if n else float("nan"),
            "spread": spread,
            "psi_needed": max(PSI_ALERT, spread) + sampling_psi(shares, n, n_ref),
            "missing_train": float(r["missing"]),
            "missing_batch": float(frac[-1]) if n else float("nan"),
            "bin": _bin_words(r["cuts"], k, _unit(name)), "bin_k": k,
            "bins": len(r["cuts"]), "bin_train": float(shares[k]),
            "bin_batch": float(frac[k]),
            "above_max": float(counts.above[j] / max(n, 1)),
            "below_min": float(counts.below[j] / max(n, 1)),
            "used": bool(used[j]), "relying": int(counts.relying[j]),
            "outside": int(counts.outside[j]),
        })
    table = pd.DataFrame(rows)
    if not len(table):
        return DriftReport(table, outside)
    table["shifted"] = (table["used"] & (n >= MIN_BATCH)
                        & (table["psi"] >= table["psi_needed"]) & (table["relying"] > 0))
    table = table.sort_values(["shifted", "psi"], ascending=False, kind="stable")
    warnings = []
    lacking = set(table.loc[table["missing_batch"] > MISSING_ALERT, "feature"])
    missing = [f for f in model.metadata.get("never_missing") or [] if f in lacking]
    if missing:
        warnings.append(
            f"{plural(len(missing), 'signal')} never missing when {model.name} "
            f"v{model.version} was trained {'is' if len(missing) == 1 else 'are'} "
            "missing for most of these accounts: "
            f"{'; '.join(feature_label(f) for f in missing[:6])}"
            f"{f'; and {len(missing) - 6} more' if len(missing) > 6 else ''}. The model "
            "never learned what their "
            "absence means, so treat these scores with caution (or use a model trained on "
            "data like this).")
    shifted = table[table["shifted"]]
    said = [_shift_sentence(r) for r in shifted.head(MAX_SENTENCES).itertuples()]
    if said:
        said[0] += f" {advice(model)}"
    warnings += said
    if len(shifted) > MAX_SENTENCES:
        rest = shifted.iloc[MAX_SENTENCES:]
        warnings.append(
            f"{plural(len(rest), 'more signal')} differ from the training data: "
            f"{', '.join(plain_name(f) for f in rest['feature'].head(8))}"
            + (", ..." if len(rest) > 8 else "") + ".")
    fired = bool(warnings)
    if counts.flagged:
        worst = table[table["outside"] > 0].sort_values("outside", ascending=False,
                                                        kind="stable")
        listed = ", ".join(f"{plain_name(r.feature)} ({r.outside:,})"
                           for r in worst.head(MAX_OUTSIDE_NAMED).itertuples())
        if len(worst) > MAX_OUTSIDE_NAMED:
            listed += f" and {len(worst) - MAX_OUTSIDE_NAMED} more"
        rest = "rests" if counts.flagged == 1 else "rest"
        warnings.append(
            f"{counts.flagged:,} of {plural(n, 'verdict')} {rest} on a value beyond "
            f"anything this model saw in training: {listed}. This says how reliable those "
            "verdicts are, not why an account was scored as it was: the model cannot know how such "
            "values behave. The scores file names them in its outside_training column; "
            "check those accounts by hand before acting on their verdicts.")
    return DriftReport(table.reset_index(drop=True), outside, warnings, fired, counts)


#: Unit words a registry template may put after a feature's number.
_UNIT_WORDS = ("days", "hours", "characters", "hashtags", "views", "followers")


def _unit(name: str) -> Callable[[float], str]:
    """How a value of feature ``name`` is written in its own units, read from the
    registry template's first field: shares as percentages, ``log10(1 + count)`` features
    as counts, log-ratios as ratios, robust deviations as multiples of the usual swing."""
    import string

    from fakedetect.features import get_feature
    from fakedetect.features.registry import DERIVED_FIELDS

    def plain(x: float) -> str:
        return f"{x:,.3g}"

    try:
        spec = get_feature(name)
    except KeyError:
        return plain
    if "robust_z" in name:
        return lambda x: f"{x:,.3g} times the usual swing"
    derived = dict(DERIVED_FIELDS)
    for template in (spec.template, *(b.template for b in spec.bands)):
        parts = list(string.Formatter().parse(template))
        for k, (_, key, fmt, _) in enumerate(parts):
            if not key:
                continue
            after = parts[k + 1][0] if k + 1 < len(parts) else ""
            turn = derived.get(key, lambda x: x)
            if (fmt or "").endswith("%"):
                return lambda x, f=turn: _percent(100.0 * f(x))
            if after.startswith("%"):
                return lambda x, f=turn: _percent(f(x))
            words = [w.strip(",.;:()") for w in after.split()]
            unit = (f" {words[0]}" if key in ("value", "count") and words
                    and words[0] in _UNIT_WORDS else "")
            if key == "count":
                return lambda x, u=unit: f"{max(10.0 ** x - 1.0, 0.0):,.0f}{u}"
            return lambda x, f=turn, u=unit: f"{f(x):,.3g}{u}"
    return plain


def _percent(x: float) -> str:
    """A percentage with three significant digits (``0.0537%``, ``12.3%``, ``45%``)."""
    if x != x:
        return "missing"
    return f"{x:,.3g}%"


def _bin_words(cuts: list[float], k: int, unit: Callable[[float], str] = _fmt) -> str:
    """Bin ``k`` of the reference's cut points in words, each value in its own units."""
    if k == len(cuts) + 1:
        return "with no value"
    if not cuts:
        return "present"
    if k == 0:
        return f"below {unit(cuts[0])}"
    if k == len(cuts):
        return f"at or above {unit(cuts[-1])}"
    return f"between {unit(cuts[k - 1])} and {unit(cuts[k])}"


def _shift_sentence(r: Any) -> str:
    """One shifted feature in plain words: which way it moved for how many accounts, and
    how many verdicts could change with it (the exact range is in the drift table)."""
    name, lower, higher = PLAIN_NAMES.get(r.feature, (feature_label(r.feature), "lower",
                                                      "higher"))
    if r.above_max >= 0.05:
        what = (f"is above anything this model saw in training for {r.above_max:.0%} of "
                "these accounts")
    elif r.below_min >= 0.05:
        what = (f"is below anything this model saw in training for {r.below_min:.0%} of "
                "these accounts")
    elif r.bin_k == r.bins + 1:
        what = (f"is missing for {r.bin_batch:.0%} of these accounts ({r.bin_train:.0%} in "
                "training)")
    elif r.bin_k == 0 and r.bins:
        what = (f"is {lower} than in training for {r.bin_batch:.0%} of these accounts "
                f"({r.bin_train:.0%} in training)")
    elif r.bin_k == r.bins and r.bins:
        what = (f"is {higher} than in training for {r.bin_batch:.0%} of these accounts "
                f"({r.bin_train:.0%} in training)")
    else:
        what = (f"is {r.bin} for {r.bin_batch:.0%} of these accounts ({r.bin_train:.0%} "
                "in training)")
    return (f"{name[:1].upper()}{name[1:]} {what}; {plural(r.relying, 'verdict')} could "
            "change with it.")
