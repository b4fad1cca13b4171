"""Audience features: the account model applied to a sample of an influencer's followers.

Each sampled follower (a row of the audience table) becomes a profile row with the same
account-task features as any account (:func:`audience_profile_features`). The registered
account model scores them; without one, the documented rule :data:`RULE_NAME`
(:func:`rule_based_fake_probability`) does. The estimated fake-follower share of an
influencer is the sample's mean fake probability corrected for the account model's known
error rates (probabilistic adjusted classify-and-count, :mod:`fakedetect.quantify`), with
a 95% interval that carries both the sampling error and the correction's uncertainty
(:func:`audience_fake_share`). The rule has no measured error rates: its share is the
plain mean, with the sampling interval only.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

import numpy as np

from fakedetect.features.blocks import account_codes, float_values
from fakedetect.features.outputs import Outputs, group_names
from fakedetect.features.profile import profile_columns, profile_features
from fakedetect.features.registry import MIN_AUDIENCE, feature_names
from fakedetect.features.strings import arrow_string_parts, utf8_shape

if TYPE_CHECKING:
    import pandas as pd

    from fakedetect.dataset import Dataset
    from fakedetect.quantify import ErrorRates, ShareEstimate

AccountScorer = Callable[["pd.DataFrame"], np.ndarray]

#: Name of the rule-based fallback, reported as the ``method`` when no model is given.
RULE_NAME = "profile_rules_v1"
#: Method reported when an account scorer (the registered account model) is used without
#: known error rates (the plain mean of its probabilities).
MODEL_METHOD = "account_model"
#: Method reported when the account model's share is corrected for its error rates.
ADJUSTED_METHOD = "account_model_pacc"
#: Each method in plain words, for the report and the terminal.
METHOD_TEXT = {
    ADJUSTED_METHOD: "scored by the account model and corrected for its known error rates "
                     "on accounts it did not train on",
    MODEL_METHOD: "the account model's mean fake probability (the model stores no error "
                  "rates, so the share is not corrected for them)",
    RULE_NAME: "scored by the rule-based fallback (no account model was available)",
}


def bound_note(share: float, method: str) -> str:
    """What a corrected share at 0% or 100% means, in words ("" otherwise)."""
    if method != ADJUSTED_METHOD or share not in (0.0, 1.0):
        return ""
    if share == 0.0:
        return ("The correction reached its lower bound: these followers look no more fake "
                "to the account model than genuine accounts usually do.")
    return ("The correction reached its upper bound: these followers look at least as "
            "fake to the account model as fake accounts usually do.")
#: A follower following more than this many accounts is a mass follower.
MASS_FOLLOWING = 1500
#: Normal quantile of the 95% interval.
Z95 = 1.959964
#: Audience rows scored per call of the scorer.
SCORE_ROWS = 1_000_000
#: Audience rows whose pattern keys wait to be scored together at most (16 bytes each
#: while they wait, about 50 while they are scored); each distinct pattern among them is
#: scored once.
KEYED_ROWS = 16_000_000

#: The rule's points: (what, points). The fake probability is
#: ``1 / (1 + exp(-(points + RULE_INTERCEPT)))``; a missing input scores no points.
RULE_POINTS = (
    ("no profile picture", 2.0),
    ("fewer than 3 posts", 1.5),
    ("empty biography", 0.5),
    ("follows more than 1,000 accounts with under 0.2 followers per account followed", 1.5),
    ("follows more than twice as many accounts as follow it", 0.5),
    ("3 or more digits in the username", 0.7),
)
RULE_INTERCEPT = -3.0


#: The account features the rule reads.
RULE_INPUTS = (
    "accounts__has_profile_pic",
    "accounts__log_posts",
    "accounts__bio_length",
    "accounts__log_following",
    "accounts__follower_following_ratio__log",
    "accounts__username_digits",
)


def rule_based_fake_probability(frame: pd.DataFrame) -> np.ndarray:
    """Fake probability of profiles by the fixed rule ``profile_rules_v1``.

    A transparent fallback for scoring audience samples when no account model is
    registered: points for the marks of bought or bot followers (see
    :data:`RULE_POINTS`), turned into a probability by a logistic function with
    intercept :data:`RULE_INTERCEPT`. A clean profile scores about 5%, a profile with
    no posts, no bio and mass following about 73%.

    Parameters
    ----------
    frame : pandas.DataFrame
        Account-task features (columns of ``feature_names("account")``; missing columns
        or values score no points).

    Returns
    -------
    numpy.ndarray
        Probabilities in (0, 1), one per row.
    """
    return _rule_probability({name: float_values(frame[name].array)
                              for name in RULE_INPUTS if name in frame}, len(frame))


def _rule_probability(feats: dict[str, np.ndarray], size: int) -> np.ndarray:
    """The rule on feature arrays (a missing feature scores no points)."""
    def col(name: str) -> np.ndarray:
        values = feats.get(name)
        return np.full(size, np.nan) if values is None else values

    pic = col("accounts__has_profile_pic")
    log_posts = col("accounts__log_posts")
    bio = col("accounts__bio_length")
    log_following = col("accounts__log_following")
    ratio = col("accounts__follower_following_ratio__log")
    digits = col("accounts__username_digits")
    with np.errstate(invalid="ignore"):
        marks = (
            pic == 0,
            log_posts < np.log10(1 + 3),
            bio == 0,
            (log_following > np.log10(1 + 1000)) & (ratio < np.log10(0.2)),
            ratio < np.log10(0.5),
            digits >= 3,
        )
    # Six marks make 64 combinations: score each once, then look every row up.
    combo = np.zeros(size, dtype=np.uint8)
    for bit, hit in enumerate(marks):
        combo |= hit.view(np.uint8) << np.uint8(bit)
    return _rule_table()[combo]


@functools.cache
def _rule_table() -> np.ndarray:
    """Probability of every combination of marks (bit ``k`` set: mark ``k`` hit), summed
    in the order of :data:`RULE_POINTS`."""
    combos = np.arange(1 << len(RULE_POINTS))
    points = np.full(combos.size, RULE_INTERCEPT)
    for bit, (_, pts) in enumerate(RULE_POINTS):
        points += np.where((combos >> bit) & 1 == 1, pts, 0.0)
    return 1.0 / (1.0 + np.exp(-points))



def audience_profile_features(audience: pd.DataFrame) -> pd.DataFrame:
    """Account-task features of every sampled follower.

    Parameters
    ----------
    audience : pandas.DataFrame
        The audience table (account_id = the influencer, follower_username, followers,
        following, posts, has_profile_pic, is_private, bio_length).

    Returns
    -------
    pandas.DataFrame
        Columns ``feature_names("account")`` (NaN where the audience has no such
        input, e.g. verification) plus ``account_id`` naming the influencer; same row
        order as ``audience``.
    """
    import pandas as pd

    frame = audience.rename(columns={"follower_username": "username"})
    frame = frame.drop(columns=[c for c in ("username_length", "username_digits")
                                if c in frame and "username" in frame])
    feats = pd.DataFrame(profile_features(frame), index=audience.index)
    feats["account_id"] = audience["account_id"].to_numpy()
    return feats


def wilson_interval(share: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """95% Wilson score interval of a proportion estimated from ``n`` samples.

    Returns
    -------
    low, high : numpy.ndarray
        NaN where ``n`` is 0.
    """
    p = np.asarray(share, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    z2 = Z95 * Z95
    with np.errstate(invalid="ignore", divide="ignore"):
        denom = 1.0 + z2 / n
        centre = (p + z2 / (2 * n)) / denom
        half = Z95 * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
        low = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
        high = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    return low, high


def _score(frame: pd.DataFrame, scorer: AccountScorer | None) -> np.ndarray:
    if scorer is None:
        return rule_based_fake_probability(frame)
    names = feature_names("account")
    return _checked_probability(
        scorer(frame if list(frame.columns) == names else frame[names]), len(frame))


def _checked_probability(values: object, rows: int) -> np.ndarray:
    """A scorer's output as one probability per row (the fake column of two)."""
    p = np.asarray(values, dtype=np.float64)
    if p.ndim == 2:
        p = p[:, -1]
    if p.shape != (rows,):
        raise ValueError(f"the account scorer returned shape {p.shape}; expected one "
                         f"probability per audience row ({rows})")
    return p


def _sample_features(audience: pd.DataFrame, lo: int, hi: int, keep: np.ndarray | None,
                     names: Collection[str]) -> dict[str, np.ndarray]:
    """Account features ``names`` of audience rows ``lo:hi`` (then ``keep``), as
    :func:`audience_profile_features` gives them, read from column slices (no copy of
    the table)."""
    user = next((c for c in ("follower_username", "username") if c in audience), None)

    def get(name: str) -> np.ndarray | None:
        if name not in audience or (user is not None
                                    and name in ("username_length", "username_digits")):
            return None
        values = float_values(audience[name].array[lo:hi])
        return values if keep is None else values[keep]

    def shape() -> tuple[np.ndarray, np.ndarray]:
        length, digits = utf8_shape(arrow_string_parts(audience[user].array[lo:hi]))
        return (length, digits) if keep is None else (length[keep], digits[keep])

    size = hi - lo if keep is None else int(keep.sum())
    return profile_columns(get, size, shape if user is not None else None, names)


def _sums(dataset: Dataset, scorer: AccountScorer | None) -> dict[str, np.ndarray] | None:
    """Per-account sums over the audience sample (None when there is no audience table).

    Rows are scored in stored order, :data:`SCORE_ROWS` at a time; rows of unknown
    accounts are skipped.
    """
    import pandas as pd

    audience = dataset.get("audience")
    if audience is None:
        return None
    n = len(dataset.account_ids)
    all_codes = account_codes(audience, dataset.account_ids)
    if scorer is None:
        names: Collection[str] = RULE_INPUTS
    elif hasattr(scorer, "score_columns"):  # a model scorer reads only its split features
        needed = getattr(scorer, "inputs", None)
        names = (feature_names("account") if needed is None
                 else list(dict.fromkeys([*needed, "accounts__has_profile_pic"])))
    else:
        names = feature_names("account")
    sums = {k: np.zeros(n) for k in ("n", "p", "p2", "mass", "mass_n", "nopic", "nopic_n")}
    # A model scorer with pattern keys scores each distinct follower pattern of the whole
    # sample once (3M simulated followers hold about 0.5M): the chunks only key their
    # rows, and their probabilities are added up, chunk by chunk, at the end.
    keyed = (scorer is not None and hasattr(scorer, "keys") and hasattr(scorer, "score_keys")
             and scorer.keys({}, 0) is not None)
    pending: list[tuple[np.ndarray, np.ndarray]] = []  # (account codes, keys) per chunk
    for lo in range(0, len(audience), SCORE_ROWS):
        hi = min(len(audience), lo + SCORE_ROWS)
        codes = all_codes[lo:hi]
        keep = None if codes.min() >= 0 else codes >= 0
        if keep is not None:
            codes = codes[keep]
        codes = codes.astype(np.intp)
        feats = _sample_features(audience, lo, hi, keep, names)
        size = len(codes)
        p: np.ndarray | None
        if scorer is None:
            p = _rule_probability(feats, size)
        elif keyed:
            pending.append((codes, _checked_keys(scorer.keys(feats, size), size)))
            if sum(len(k) for _, k in pending) >= KEYED_ROWS:
                _add_keyed(sums["p"], sums["p2"], pending, scorer)
            p = None
        elif hasattr(scorer, "score_columns"):  # a model scorer: no frame needed
            p = _checked_probability(scorer.score_columns(feats, size), size)
        else:
            index = audience.index[lo:hi]
            block = np.empty((len(names), size))  # pandas keeps this one block as is
            for j, name in enumerate(names):
                block[j] = feats[name]
            p = _score(pd.DataFrame(block.T, columns=list(names), copy=False,
                                    index=index if keep is None else index[keep]), scorer)
        following = (float_values(audience["following"].array[lo:hi])
                     if "following" in audience else np.full(hi - lo, np.nan))
        if keep is not None:
            following = following[keep]
        pic = feats["accounts__has_profile_pic"]
        rows = np.bincount(codes, minlength=n)
        known_following, known_pic = np.isfinite(following), np.isfinite(pic)
        for key, w in (("n", None), ("p", p), ("p2", None if p is None else p * p),
                       ("mass", following > MASS_FOLLOWING),
                       ("mass_n", None if known_following.all() else known_following),
                       ("nopic", pic == 0), ("nopic_n", None if known_pic.all() else known_pic)):
            if key in ("p", "p2") and p is None:
                continue
            sums[key] += rows if w is None else np.bincount(codes, weights=w, minlength=n)
    if pending:
        assert scorer is not None
        _add_keyed(sums["p"], sums["p2"], pending, scorer)
    return sums


def _add_keyed(total: np.ndarray, total_sq: np.ndarray,
               pending: list[tuple[np.ndarray, np.ndarray]], scorer: AccountScorer) -> None:
    """Score the waiting chunks' keys together and add each chunk's probabilities (and
    their squares) per account to ``total`` (``total_sq``), chunk by chunk in order (the
    sums of scoring every chunk on its own, bit for bit); empties ``pending``."""
    rows = sum(len(k) for _, k in pending)
    p = _checked_probability(
        scorer.score_keys(np.concatenate([k for _, k in pending])), rows)  # type: ignore[attr-defined]
    at = 0
    for codes, keys in pending:
        part = p[at:at + len(keys)]
        total += np.bincount(codes, weights=part, minlength=len(total))
        total_sq += np.bincount(codes, weights=part * part, minlength=len(total))
        at += len(keys)
    pending.clear()


def _checked_keys(keys: np.ndarray | None, rows: int) -> np.ndarray:
    """A scorer's pattern keys: one int64 per audience row."""
    shape = None if keys is None else np.shape(keys)
    if shape != (rows,):
        raise ValueError(f"the account scorer returned pattern keys of shape {shape}; "
                         f"expected one per audience row ({rows})")
    return np.asarray(keys, dtype=np.int64)


def audience_fake_share(dataset: Dataset, account_scorer: AccountScorer | None = None
                        ) -> pd.DataFrame:
    """Estimated fake-follower share of every account's audience sample.

    Parameters
    ----------
    dataset : Dataset
    account_scorer : callable, optional
        Fake probabilities of account-task feature rows (the registered account
        model); the rule :data:`RULE_NAME` when None.

    Returns
    -------
    pandas.DataFrame
        Index ``account_id`` (every account, in ``dataset.account_ids`` order); columns
        ``fake_share`` (mean fake probability), ``fake_share_low``, ``fake_share_high``
        (95% Wilson interval), ``sample_size`` and ``method``. Shares are NaN for an
        account without sampled followers (or when the dataset has no audience table).
    """
    import pandas as pd

    ids = pd.Index(dataset.account_ids.astype(str), name="account_id")
    sums = _sums(dataset, account_scorer)
    method = share_method(account_scorer)
    if sums is None:
        nan = np.full(len(ids), np.nan)
        return pd.DataFrame({"fake_share": nan, "fake_share_low": nan,
                             "fake_share_high": nan, "fake_share_se": nan,
                             "fake_share_at_bound": np.zeros(len(ids), bool),
                             "sample_size": np.zeros(len(ids), int),
                             "method": method}, index=ids)
    est = _estimate(sums, account_scorer)
    return pd.DataFrame({"fake_share": est.share, "fake_share_low": est.low,
                         "fake_share_high": est.high, "fake_share_se": est.se,
                         "fake_share_at_bound": est.at_bound,
                         "sample_size": sums["n"].astype(np.int64),
                         "method": method}, index=ids)


def scorer_error_rates(scorer: AccountScorer | None) -> ErrorRates | None:
    """The error rates an account scorer carries (``None`` for the rule, or a model
    trained before error rates were stored)."""
    from fakedetect.quantify import ErrorRates

    rates = getattr(scorer, "error_rates", None)
    return rates if isinstance(rates, ErrorRates) else None


def share_method(scorer: AccountScorer | None) -> str:
    """How the share of this scorer is estimated: :data:`ADJUSTED_METHOD`,
    :data:`MODEL_METHOD` or :data:`RULE_NAME`."""
    if scorer is None:
        return RULE_NAME
    return ADJUSTED_METHOD if scorer_error_rates(scorer) is not None else MODEL_METHOD


def _estimate(sums: dict[str, np.ndarray], scorer: AccountScorer | None) -> ShareEstimate:
    from fakedetect.quantify import adjusted_share, sample_moments

    mean, var_mean = sample_moments(sums["p"], sums["p2"], sums["n"])
    return adjusted_share(mean, var_mean, scorer_error_rates(scorer))


#: The audience features, in registry order.
NAMES = group_names("audience")


def compute(dataset: Dataset, account_scorer: AccountScorer | None = None
            ) -> dict[str, np.ndarray]:
    """Audience features of every account.

    Shares are NaN below :data:`~fakedetect.features.registry.MIN_AUDIENCE` sampled
    followers; the sample size is always given (NaN without an audience table).

    Returns
    -------
    dict
        Feature name -> values in ``dataset.account_ids`` order, plus
        ``coverage__audience``.
    """
    n_acc = len(dataset.account_ids)
    sums = _sums(dataset, account_scorer)
    out = Outputs("audience", n_acc)
    if sums is None:
        out["coverage__audience"] = np.zeros(n_acc, dtype=bool)
        return out
    n = sums["n"]
    ok = n >= MIN_AUDIENCE
    est = _estimate(sums, account_scorer)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["audience__fake_share__scorer_model"] = np.where(ok, est.share, np.nan)
        out["audience__fake_share__se"] = np.where(ok, est.se, np.nan)
        out["audience__mass_follower_share__following_1500"] = np.where(
            ok & (sums["mass_n"] > 0), sums["mass"] / sums["mass_n"], np.nan)
        out["audience__no_picture_share"] = np.where(
            ok & (sums["nopic_n"] > 0), sums["nopic"] / sums["nopic_n"], np.nan)
        out["audience__sample_size"] = n.copy()
    out["coverage__audience"] = ok
    return out
