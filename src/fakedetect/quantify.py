"""The fake-follower share as a quantification problem.

Averaging an account model's fake probabilities over a follower sample (probability
averaging) or counting the followers above its threshold (classify and count) estimates
the share of fakes only when the model errs on this population exactly as often in both
directions. It rarely does: a model that flags 5% of genuine accounts adds about five
points of fakes to any audience. Probabilistic adjusted classify-and-count (PACC; Bella et
al., 2010) undoes that with the model's known behaviour on each class::

    share = (mean_p - fpr) / (tpr - fpr)

where ``mean_p`` is the sample's mean fake probability, ``tpr`` the mean fake probability
the model gives fake accounts and ``fpr`` the one it gives genuine accounts. Both rates are
measured where the model did not train: out of fold, and for a model trained on several
sources, on each source left out in turn (:class:`ErrorRates`), so they describe how it
errs on a population it never saw.

The 95% interval adds the correction's own uncertainty to the sampling error (delta
method): the rates' uncertainty is their standard error plus, across left-out sources,
how much they differ from one population to the next.

QuaPy implements PACC and its relatives, but it fits its own classifier and estimates one
sample per call; here one closed form corrects the per-account sums that the audience
features already hold, for every influencer at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

#: Normal quantile of the 95% interval.
Z95 = 1.959964
#: The smallest ``tpr - fpr`` the correction divides by; a model closer to chance than
#: this cannot correct anything and the share is left uncorrected.
MIN_SEPARATION = 0.2


@dataclass(frozen=True)
class ErrorRates:
    """How an account model's calibrated fake probabilities behave on each class.

    Attributes
    ----------
    tpr, fpr : float
        Mean fake probability the model gives fake (``tpr``) and genuine (``fpr``)
        accounts it did not train on (soft true- and false-positive rates).
    tpr_sd, fpr_sd : float
        Their uncertainty: standard error, plus the spread between populations when the
        rates come from several left-out sources.
    hard_tpr, hard_fpr : float
        Share of fake and genuine accounts at or above the ``likely fake`` threshold.
    hard_tpr_sd, hard_fpr_sd : float
        Their uncertainty, as for the soft rates.
    origin : str
        Where the rates were measured (``out-of-fold``, or ``leave-one-source-out``
        with the sources).
    populations : dict
        The rates of each left-out population, for the record.
    """

    tpr: float
    fpr: float
    tpr_sd: float
    fpr_sd: float
    hard_tpr: float = float("nan")
    hard_fpr: float = float("nan")
    hard_tpr_sd: float = float("nan")
    hard_fpr_sd: float = float("nan")
    origin: str = "out-of-fold"
    populations: Mapping[str, Mapping[str, float]] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, for the model's metadata."""
        out = asdict(self)
        out["populations"] = {k: dict(v) for k, v in (self.populations or {}).items()}
        return out

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ErrorRates:
        """Read :meth:`to_dict`'s form back.

        Raises
        ------
        ValueError
            A rate is missing or not a finite number in [0, 1].
        """
        vals = {}
        for key in ("tpr", "fpr", "tpr_sd", "fpr_sd"):
            v = float(raw[key])
            if not (np.isfinite(v) and 0.0 <= v <= 1.0):
                raise ValueError(f"error rate {key} = {raw[key]!r} is not in [0, 1]")
            vals[key] = v
        hard = {k: float(raw.get(k, np.nan))
                for k in ("hard_tpr", "hard_fpr", "hard_tpr_sd", "hard_fpr_sd")}
        return cls(**vals, **hard, origin=str(raw.get("origin", "out-of-fold")),
                   populations=raw.get("populations") or None)

    @property
    def separation(self) -> float:
        """``tpr - fpr``: how far apart the model holds the two classes on average."""
        return self.tpr - self.fpr

    def hard(self) -> ErrorRates:
        """The threshold's rates in the soft rates' place, for adjusted classify and
        count (:func:`adjusted_share` of the share of accounts above the threshold)."""
        return ErrorRates(tpr=self.hard_tpr, fpr=self.hard_fpr, tpr_sd=self.hard_tpr_sd,
                          fpr_sd=self.hard_fpr_sd, origin=self.origin,
                          populations=self.populations)


def rates_from_scores(p: np.ndarray, y: np.ndarray, threshold: float) -> dict[str, float]:
    """Soft and hard error rates of probabilities ``p`` on labels ``y``, with the
    standard errors of the soft rates.

    Parameters
    ----------
    p : numpy.ndarray
        Calibrated fake probabilities of accounts the model did not train on.
    y : numpy.ndarray
        1 fake, 0 genuine.
    threshold : float
        The ``likely fake`` threshold.

    Returns
    -------
    dict
        ``tpr``, ``fpr``, their standard errors ``tpr_se`` and ``fpr_se``, ``hard_tpr``,
        ``hard_fpr``, ``hard_tpr_se``, ``hard_fpr_se``, ``n_fake``, ``n_genuine`` (NaN for
        a class with no accounts).
    """
    p = np.asarray(p, dtype=np.float64)
    y = np.asarray(y).astype(bool)
    out: dict[str, float] = {}
    for name, mask in (("tpr", y), ("fpr", ~y)):
        k = int(mask.sum())
        vals = p[mask]
        out[name] = float(vals.mean()) if k else float("nan")
        out[f"{name}_se"] = float(vals.std(ddof=1) / np.sqrt(k)) if k > 1 else float("nan")
        hit = float((vals >= threshold).mean()) if k else float("nan")
        out[f"hard_{name}"] = hit
        # with one pseudo-observation, so a rate of 0 seen on few accounts is not certain
        out[f"hard_{name}_se"] = (float(np.sqrt((hit * (1 - hit) * k + 0.25) / (k + 1) / k))
                                  if k else float("nan"))
    out["n_fake"] = float(y.sum())
    out["n_genuine"] = float((~y).sum())
    return out


def combine_rates(pooled: Mapping[str, float],
                  populations: Mapping[str, Mapping[str, float]] | None = None
                  ) -> ErrorRates:
    """One :class:`ErrorRates` from out-of-fold rates and, optionally, per-source rates.

    With two or more left-out populations that hold a class, that class's rate is their
    mean and its uncertainty adds the spread between them (a new population is another
    draw from the same spread) to the mean squared standard error. Otherwise the pooled
    (out-of-fold) rate and its standard error are used.

    Parameters
    ----------
    pooled : mapping
        :func:`rates_from_scores` of the out-of-fold probabilities.
    populations : mapping, optional
        Source name -> :func:`rates_from_scores` of that source when it was left out.
    """
    pops = {k: dict(v) for k, v in (populations or {}).items()}
    rates: dict[str, float] = {}
    for name in ("tpr", "fpr", "hard_tpr", "hard_fpr"):
        vals = np.array([v[name] for v in pops.values() if np.isfinite(v.get(name, np.nan))])
        ses = np.array([v[f"{name}_se"] for v in pops.values()
                        if np.isfinite(v.get(name, np.nan))])
        if len(vals) >= 2:
            rates[name] = float(vals.mean())
            between = float(vals.var(ddof=1))
            rates[f"{name}_sd"] = float(np.sqrt(between + np.nanmean(ses**2)))
        else:
            rates[name] = float(pooled[name])
            rates[f"{name}_sd"] = float(np.nan_to_num(pooled[f"{name}_se"], nan=0.0))
    origin = ("leave-one-source-out (" + ", ".join(sorted(pops)) + ")"
              if len(pops) >= 2 else "out-of-fold")
    return ErrorRates(**rates, origin=origin, populations=pops or None)


@dataclass(frozen=True)
class ShareEstimate:
    """Fake-follower shares of many samples, each with its 95% interval.

    Attributes
    ----------
    share : numpy.ndarray
        The estimate, clipped to [0, 1] (NaN for an empty sample).
    low, high : numpy.ndarray
        The 95% interval, clipped to [0, 1].
    se : numpy.ndarray
        Standard error of the estimate.
    at_bound : numpy.ndarray
        True where the corrected estimate fell outside [0, 1] and was clipped.
    """

    share: np.ndarray
    low: np.ndarray
    high: np.ndarray
    se: np.ndarray
    at_bound: np.ndarray


def sample_moments(total: np.ndarray, total_sq: np.ndarray, n: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of the mean from per-sample sums of ``p`` and ``p**2``.

    The spread of the probabilities is the sample's own, plus one pseudo-observation of
    the Bernoulli variance ``mean * (1 - mean)`` (what a share of a yes/no property
    varies by): a small sample whose followers all look alike would otherwise claim no
    uncertainty at all; for samples of a hundred or more it changes little.

    Returns
    -------
    mean, var_mean : numpy.ndarray
        NaN where ``n`` is 0.
    """
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, total / n, np.nan)
        squares = np.maximum(total_sq - n * mean * mean, 0.0)  # (n - 1) * sample variance
        var = (squares + mean * (1.0 - mean)) / n
        var_mean = np.where(n > 0, var / n, np.nan)
    return mean, var_mean


def adjusted_share(mean_p: np.ndarray, var_mean: np.ndarray,
                   rates: ErrorRates | None) -> ShareEstimate:
    """Probabilistic adjusted classify-and-count, with a delta-method 95% interval.

    Parameters
    ----------
    mean_p : numpy.ndarray
        Mean fake probability of each sample.
    var_mean : numpy.ndarray
        Variance of that mean (:func:`sample_moments`).
    rates : ErrorRates or None
        The scorer's error rates. ``None``, or rates whose ``tpr - fpr`` is below
        :data:`MIN_SEPARATION`, give the uncorrected mean with its sampling interval.

    Returns
    -------
    ShareEstimate
    """
    m = np.asarray(mean_p, dtype=np.float64)
    v = np.asarray(var_mean, dtype=np.float64)
    if rates is None or rates.separation < MIN_SEPARATION:
        raw, var = m, v
    else:
        d = rates.separation
        raw = (m - rates.fpr) / d
        # d share / d mean_p = 1/d; d share / d tpr = -share/d; d share / d fpr = (share-1)/d
        var = (v + raw**2 * rates.tpr_sd**2 + (1.0 - raw) ** 2 * rates.fpr_sd**2) / (d * d)
    se = np.sqrt(var)
    with np.errstate(invalid="ignore"):
        share = np.clip(raw, 0.0, 1.0)
        low = np.clip(raw - Z95 * se, 0.0, 1.0)
        high = np.clip(raw + Z95 * se, 0.0, 1.0)
        at_bound = (raw < 0.0) | (raw > 1.0)
    return ShareEstimate(share=share, low=low, high=high, se=se, at_bound=at_bound)


def classify_and_count(p: np.ndarray, threshold: float) -> float:
    """Share of a sample's probabilities at or above ``threshold`` (the naive baseline)."""
    return float((np.asarray(p) >= threshold).mean())


def pacc(p: Sequence[float] | np.ndarray, rates: ErrorRates) -> ShareEstimate:
    """:func:`adjusted_share` of one sample of fake probabilities."""
    p = np.asarray(p, dtype=np.float64)
    mean, var_mean = sample_moments(np.array([p.sum()]), np.array([(p * p).sum()]),
                                    np.array([p.size]))
    return adjusted_share(mean, var_mean, rates)
