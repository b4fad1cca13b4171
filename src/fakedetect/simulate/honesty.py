"""Is the simulated problem honest? Single raw signals must not separate the classes.

:func:`raw_signals` computes, per account, the obvious raw signals a reviewer would look
at first (largest follower jump, engagement rate, comments per like, following
oscillation, commenter reuse, audience profile shares, ...) straight from the tables,
without the project's feature code. :func:`single_signal_aucs` scores each alone with
ROC-AUC (``max(auc, 1 - auc)``, so direction does not matter) and
:func:`combined_scores` checks that together they are still learnable, while
:func:`measure` also reports how much fraud they miss.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from fakedetect.simulate.genuine import tier_engagement

if TYPE_CHECKING:
    import pandas as pd

    from fakedetect.validate import Dataset

#: Largest single-signal ROC-AUC allowed on ``realistic`` data.
MAX_SINGLE_AUC = 0.85

#: What each raw signal measures.
SIGNALS: dict[str, str] = {
    "max_jump_robust": "largest daily follower gain over the median absolute daily change",
    "max_jump_share": "largest daily follower gain as a share of followers",
    "max_drop_share": "largest daily follower loss as a share of followers",
    "growth_total": "followers at the end over followers at the start",
    "median_er": "median engagement rate per post, (likes + comments) / followers",
    "er_vs_tier": "median engagement rate over the published tier centre",
    "comment_like_ratio": "median comments per like over posts",
    "min_comment_like_ratio": "lowest comments per like of a post (posts with 20+ likes)",
    "like_cv": "coefficient of variation of likes per post",
    "posts_per_week": "posts per week",
    "following_oscillation": "sum of absolute daily following changes over mean following",
    "commenter_reuse": "share of sampled comments by someone commenting on 3+ posts",
    "short_comment_share": "share of sampled comments of 12 characters or fewer",
    "fast_comment_share": "share of sampled comments within 15 minutes of the post",
    "audience_no_pic_share": "share of sampled followers without a profile picture",
    "audience_no_posts_share": "share of sampled followers without posts",
    "audience_following_ratio": "median following / (followers + 1) of sampled followers",
}


def _per_account(codes: np.ndarray, values: np.ndarray, n: int, how: str) -> np.ndarray:
    import pandas as pd

    s = pd.Series(np.asarray(values, dtype=float)).groupby(codes)
    agg = getattr(s, how)()
    out = np.full(n, np.nan)
    out[agg.index.to_numpy()] = agg.to_numpy()
    return out


def raw_signals(dataset: Dataset | str | os.PathLike[str]) -> pd.DataFrame:
    """Compute the raw signals of :data:`SIGNALS` per account.

    Parameters
    ----------
    dataset : Dataset or path-like
        A loaded dataset, or its folder.

    Returns
    -------
    pandas.DataFrame
        One row per account (index ``account_id``), one column per signal; NaN where a
        table is missing.
    """
    import pandas as pd

    from fakedetect.validate import Dataset, load_dataset

    ds = dataset if isinstance(dataset, Dataset) else load_dataset(dataset)
    ids = ds.account_ids
    n = len(ids)
    out = pd.DataFrame(index=pd.Index(ids.astype(str), name="account_id"))
    snaps = ds.get("snapshots")
    if snaps is not None:
        code = snaps["account_id"].cat.codes.to_numpy()
        fol = snaps["followers"].to_numpy(dtype=float, na_value=np.nan)
        same = np.r_[False, code[1:] == code[:-1]]
        delta = np.where(same, np.r_[np.nan, np.diff(fol)], np.nan)
        med_abs = _per_account(code, np.abs(delta), n, "median")
        out["max_jump_robust"] = _per_account(code, delta, n, "max") / (med_abs + 1)
        mean_f = _per_account(code, fol, n, "mean")
        out["max_jump_share"] = _per_account(code, delta, n, "max") / mean_f
        out["max_drop_share"] = -_per_account(code, delta, n, "min") / mean_f
        out["growth_total"] = (_per_account(code, fol, n, "last")
                               / np.maximum(_per_account(code, fol, n, "first"), 1))
        fg = snaps["following"].to_numpy(dtype=float, na_value=np.nan)
        dg = np.where(same, np.r_[np.nan, np.diff(fg)], np.nan)
        out["following_oscillation"] = (_per_account(code, np.abs(dg), n, "sum")
                                        / (_per_account(code, fg, n, "mean") + 1))
        days = _per_account(code, np.ones(len(code)), n, "sum")
    posts = ds.get("posts")
    if posts is not None:
        pc = posts["account_id"].cat.codes.to_numpy()
        likes = posts["likes"].to_numpy(dtype=float, na_value=np.nan)
        comm = posts["comments"].to_numpy(dtype=float, na_value=np.nan)
        followers = ds.accounts["followers"].to_numpy(dtype=float, na_value=np.nan)
        if snaps is not None:
            day = posts["posted_at"].dt.floor("D")
            key = pd.DataFrame({"c": pc, "d": day})
            look = pd.DataFrame({"c": code, "d": snaps["date"], "f": fol})
            f_post = key.merge(look, on=["c", "d"], how="left")["f"].to_numpy()
            f_post = np.where(np.isnan(f_post), followers[pc], f_post)
        else:
            f_post = followers[pc]
        er = (likes + comm) / np.maximum(f_post, 1)
        out["median_er"] = _per_account(pc, er, n, "median")
        out["er_vs_tier"] = out["median_er"] / tier_engagement(followers)
        ratio = comm / np.maximum(likes, 1)
        out["comment_like_ratio"] = _per_account(pc, ratio, n, "median")
        out["min_comment_like_ratio"] = _per_account(pc, np.where(likes >= 20, ratio, np.nan),
                                                     n, "min")
        out["like_cv"] = (_per_account(pc, likes, n, "std")
                          / _per_account(pc, likes, n, "mean"))
        count = np.bincount(pc, minlength=n).astype(float)
        span = days if snaps is not None else np.full(n, np.nan)
        out["posts_per_week"] = count / span * 7
        comments = ds.get("comments")
        if comments is not None:
            cc = comments["account_id"].cat.codes.to_numpy()
            who = comments["commenter"].astype(str).to_numpy()
            frame = pd.DataFrame({"c": cc, "w": who, "p": comments["post_id"].astype(str)})
            posts_per = frame.groupby(["c", "w"])["p"].transform("nunique").to_numpy()
            out["commenter_reuse"] = _per_account(cc, posts_per >= 3, n, "mean")
            text = comments["text"].astype("string").str.len().to_numpy(dtype=float,
                                                                        na_value=np.nan)
            out["short_comment_share"] = _per_account(cc, text <= 12, n, "mean")
            pkey = pd.DataFrame({"c": cc, "p": comments["post_id"].astype(str)})
            ptime = pd.DataFrame({"c": pc, "p": posts["post_id"].astype(str),
                                  "t": posts["posted_at"]})
            t_post = pkey.merge(ptime, on=["c", "p"], how="left")["t"]
            delay = (comments["created_at"].reset_index(drop=True) - t_post).dt.total_seconds()
            out["fast_comment_share"] = _per_account(cc, delay.to_numpy() <= 900, n, "mean")
    aud = ds.get("audience")
    if aud is not None:
        ac = aud["account_id"].cat.codes.to_numpy()
        pic = aud["has_profile_pic"].to_numpy(dtype=float, na_value=np.nan)
        out["audience_no_pic_share"] = _per_account(ac, 1 - pic, n, "mean")
        ap = aud["posts"].to_numpy(dtype=float, na_value=np.nan)
        out["audience_no_posts_share"] = _per_account(ac, ap == 0, n, "mean")
        af = aud["followers"].to_numpy(dtype=float, na_value=np.nan)
        ag = aud["following"].to_numpy(dtype=float, na_value=np.nan)
        out["audience_following_ratio"] = _per_account(ac, ag / (af + 1), n, "median")
    return out


def _labels(dataset: Dataset) -> np.ndarray:
    lab = dataset.get("labels")
    if lab is None:
        from fakedetect.errors import UserError

        raise UserError(f"{dataset.path}: no labels table", hint="simulate a dataset first")
    y = np.full(len(dataset.account_ids), -1)
    y[lab["account_id"].cat.codes.to_numpy()] = lab["is_fake"].to_numpy(dtype=int)
    return y


def single_signal_aucs(signals: pd.DataFrame, y: np.ndarray) -> pd.DataFrame:
    """ROC-AUC of each signal alone.

    Parameters
    ----------
    signals : pandas.DataFrame
        From :func:`raw_signals`.
    y : numpy.ndarray
        1 for fake, 0 for genuine, per row of ``signals``.

    Returns
    -------
    pandas.DataFrame
        Index signal; columns ``auc`` (``max(auc, 1 - auc)``), ``direction`` (``+`` when
        higher means fake), ``missing`` (share of accounts without the signal),
        sorted by ``auc`` descending.
    """
    import pandas as pd
    from sklearn.metrics import roc_auc_score

    rows = []
    for name in signals.columns:
        x = signals[name].to_numpy(dtype=float)
        miss = np.isnan(x)
        filled = np.where(miss, np.nanmedian(x) if (~miss).any() else 0.0, x)
        auc = roc_auc_score(y, filled) if len(np.unique(y)) == 2 else np.nan
        rows.append({"signal": name, "auc": max(auc, 1 - auc),
                     "direction": "+" if auc >= 0.5 else "-", "missing": miss.mean()})
    return pd.DataFrame(rows).set_index("signal").sort_values("auc", ascending=False)


def combined_scores(signals: pd.DataFrame, y: np.ndarray, *, seed: int = 0,
                    folds: int = 5, max_iter: int = 100) -> np.ndarray:
    """Out-of-fold fake probabilities of a gradient-boosted model on all raw signals.

    Parameters
    ----------
    signals : pandas.DataFrame
        From :func:`raw_signals`.
    y : numpy.ndarray
        1 for fake, 0 for genuine.
    seed : int
    folds : int
        Stratified cross-validation folds.
    max_iter : int
        Boosting iterations.

    Returns
    -------
    numpy.ndarray
        Probability of fake per account, each predicted by a model that did not see it.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    model = HistGradientBoostingClassifier(max_iter=max_iter, learning_rate=0.08,
                                           max_leaf_nodes=15, random_state=seed)
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    proba = cross_val_predict(model, signals.to_numpy(dtype=float), y, cv=cv,
                              method="predict_proba")
    return proba[:, 1]


def recall_at_fpr(scores: np.ndarray, y: np.ndarray, fpr: float = 0.05) -> float:
    """Share of fake accounts scored above the genuine accounts' ``1 - fpr`` quantile."""
    threshold = np.quantile(scores[y == 0], 1 - fpr)
    return float(np.mean(scores[y == 1] > threshold))


@dataclass(frozen=True)
class Honesty:
    """How separable a simulated dataset is.

    Attributes
    ----------
    aucs : pandas.DataFrame
        Single-signal AUCs (:func:`single_signal_aucs`).
    combined_auc : float
        ROC-AUC of all signals together, out of fold.
    recall_at_5pct_fpr : float
        Share of fake accounts the combined model flags while flagging 5% of genuine ones;
        the rest is fraud subtle enough to be missed by raw signals.
    recall_by_pattern : dict
        The same recall per fraud pattern (accounts having it, alone or combined).
    """

    aucs: pd.DataFrame
    combined_auc: float
    recall_at_5pct_fpr: float
    recall_by_pattern: dict[str, float]


def measure(path: str | os.PathLike[str], *, folds: int = 5,
            max_iter: int = 100) -> Honesty:
    """Load a simulated dataset and measure how separable its classes are.

    Parameters
    ----------
    path : path-like
        A simulated dataset folder (with labels).
    folds, max_iter : int
        Passed to :func:`combined_scores`.

    Returns
    -------
    Honesty
    """
    from sklearn.metrics import roc_auc_score

    from fakedetect.validate import load_dataset

    ds = load_dataset(path)
    signals = raw_signals(ds)
    y = _labels(ds)
    scores = combined_scores(signals, y, folds=folds, max_iter=max_iter)
    lab = ds.tables["labels"]
    types = np.full(len(y), "none", dtype=object)
    types[lab["account_id"].cat.codes.to_numpy()] = lab["fraud_type"].astype(str).to_numpy()
    threshold = np.quantile(scores[y == 0], 0.95)
    by_pattern = {}
    for pattern in sorted({p for t in types for p in t.split("+")} - {"none", "fake"}):
        has = np.asarray([pattern in t.split("+") for t in types]) & (y == 1)
        if has.any():
            by_pattern[pattern] = float(np.mean(scores[has] > threshold))
    return Honesty(aucs=single_signal_aucs(signals, y),
                   combined_auc=float(roc_auc_score(y, scores)),
                   recall_at_5pct_fpr=recall_at_fpr(scores, y, 0.05),
                   recall_by_pattern=by_pattern)


def world_aucs(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Single-signal ROC-AUCs within each world of a simulated dataset.

    Parameters
    ----------
    path : path-like
        A simulated dataset folder whose labels carry ``world``.

    Returns
    -------
    pandas.DataFrame
        Index signal, one column per world (``max(auc, 1 - auc)`` among that world's
        accounts).
    """
    import pandas as pd

    from fakedetect.validate import load_dataset

    ds = load_dataset(path)
    signals = raw_signals(ds)
    y = _labels(ds)
    lab = ds.tables["labels"]
    world = np.full(len(y), "", dtype=object)
    world[lab["account_id"].cat.codes.to_numpy()] = lab["world"].astype(str).to_numpy()
    cols = {}
    for w in sorted(set(world) - {""}):
        sel = world == w
        cols[w] = single_signal_aucs(signals[sel], y[sel])["auc"]
    return pd.DataFrame(cols)
