"""Fit the simulator's parameters on the real labelled data in ``../shared/data``.

Run once by a developer (``python -m fakedetect.simulate.fit ../shared/data``); the printed
numbers are copied as literals into :mod:`fakedetect.simulate.params` with their source.
The simulator itself never reads the real data, and ``tests/test_simulate.py`` re-runs
this fit (when the data is present) to check that the literals still match it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

#: Posts an account needs in the InstaFake nonautomated file to enter the cadence fits.
MIN_POSTS = 10
#: Window (posts) of the centred rolling median that likes are compared with.
LIKES_WINDOW = 9
#: An interval this many times the account's median interval counts as a pause.
PAUSE_FACTOR = 5.0
#: An interval shorter than this (days) counts as part of a burst.
BURST_DAYS = 0.25


def _load_json(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def _robust_sigma(x: np.ndarray) -> float:
    return float(1.4826 * np.median(np.abs(x - np.median(x))))


def fit_posts(records: list[dict[str, Any]]) -> dict[str, float]:
    """Fit posting cadence, like dispersion and comment share on real per-post series.

    Parameters
    ----------
    records : list of dict
        The InstaFake ``nonautomatedAccountData.json`` records (genuine accounts).

    Returns
    -------
    dict
        ``accounts`` (used), ``log_interval_mean`` / ``log_interval_sd`` (log of each
        account's median interval between posts, in days, across accounts),
        ``burst_share`` (share of intervals under 6 hours), ``pause_share`` (share of
        intervals over 5 times the account's median), ``pause_log_ratio_mean`` /
        ``pause_log_ratio_sd`` (log of those intervals over the median),
        ``like_sigma_log_mean`` / ``like_sigma_log_sd`` (log of each account's robust
        sigma of log likes around a 9-post rolling median), ``like_t_df`` /
        ``like_t_scale`` (Student t fitted to residuals in units of that sigma),
        ``comment_ratio_log_mean`` / ``comment_ratio_log_sd`` (log comments per like per
        account), ``er_slope`` / ``er_resid_sd`` (log median likes per follower regressed
        on log followers), ``hashtag_zero_share`` and ``hashtag_mean_positive``,
        ``interval_slope`` (log median interval regressed on log followers, accounts with
        >= 50 followers) and ``interval_log_followers`` (their mean log followers, where
        the fitted mean interval applies), ``disabled_account_share`` (accounts with
        comments disabled on any post) and ``disabled_post_share`` (posts with comments
        disabled).
    """
    import pandas as pd
    from scipy import stats

    log_med, pause_ratios, like_sigmas, z_all, ratios = [], [], [], [], []
    n_int = n_burst = n_pause = 0
    log_f, log_er, hashtags = [], [], []
    cad_f, cad_i = [], []
    n_posts = n_disabled = n_acc_disabled = 0
    for rec in records:
        likes = np.asarray(rec["mediaLikeNumbers"], dtype=float)
        comments = np.asarray(rec["mediaCommentNumbers"], dtype=float)
        times = np.asarray(rec["mediaUploadTimes"], dtype=float)
        disabled = np.asarray(rec["mediaCommentsAreDisabled"], dtype=bool)
        if len(likes) < MIN_POSTS:
            continue
        order = np.argsort(times, kind="stable")
        likes, comments, times, disabled = (likes[order], comments[order], times[order],
                                            disabled[order])
        gaps = np.diff(times) / 86400.0
        med = float(np.median(gaps))
        if med <= 0:
            continue
        log_med.append(np.log(med))
        n_posts += len(disabled)
        n_disabled += int(disabled.sum())
        n_acc_disabled += int(disabled.any())
        if rec["userFollowerCount"] >= 50:
            cad_f.append(np.log(rec["userFollowerCount"]))
            cad_i.append(np.log(med))
        n_int += len(gaps)
        n_burst += int(np.sum(gaps < BURST_DAYS))
        long = gaps[gaps > PAUSE_FACTOR * med]
        n_pause += len(long)
        pause_ratios.extend(np.log(long / med))
        ll = np.log(np.maximum(likes, 1.0))
        centre = pd.Series(ll).rolling(LIKES_WINDOW, center=True, min_periods=3).median()
        resid = ll - centre.to_numpy()
        sigma = _robust_sigma(resid)
        if sigma > 0:
            like_sigmas.append(sigma)
            z_all.extend(resid / sigma)
        open_ = ~disabled
        if likes[open_].sum() > 0 and comments[open_].sum() > 0:
            ratios.append(comments[open_].sum() / likes[open_].sum())
        followers = rec["userFollowerCount"]
        if followers >= 50 and np.median(likes) > 0:
            log_f.append(np.log(followers))
            log_er.append(np.log(np.median(likes) / followers))
        hashtags.extend(rec["mediaHashtagNumbers"])
    z = np.asarray(z_all)
    z = z[np.isfinite(z)]
    df, _, scale = stats.t.fit(z, floc=0)
    slope, intercept = np.polyfit(log_f, log_er, 1)
    cad_slope, _ = np.polyfit(cad_f, cad_i, 1)
    er_resid = np.asarray(log_er) - (slope * np.asarray(log_f) + intercept)
    tags = np.asarray(hashtags, dtype=float)
    lr = np.log(ratios)
    ls = np.log(like_sigmas)
    return {
        "accounts": float(len(log_med)),
        "log_interval_mean": float(np.mean(log_med)),
        "log_interval_sd": float(np.std(log_med)),
        "burst_share": n_burst / n_int,
        "pause_share": n_pause / n_int,
        "pause_log_ratio_mean": float(np.mean(pause_ratios)),
        "pause_log_ratio_sd": float(np.std(pause_ratios)),
        "like_sigma_log_mean": float(np.mean(ls)),
        "like_sigma_log_sd": float(np.std(ls)),
        "like_t_df": float(df),
        "like_t_scale": float(scale),
        "comment_ratio_log_mean": float(np.mean(lr)),
        "comment_ratio_log_sd": float(np.std(lr)),
        "er_slope": float(slope),
        "er_resid_sd": float(np.std(er_resid)),
        "hashtag_zero_share": float(np.mean(tags == 0)),
        "hashtag_mean_positive": float(tags[tags > 0].mean()),
        "interval_slope": float(cad_slope),
        "interval_log_followers": float(np.mean(cad_f)),
        "disabled_account_share": n_acc_disabled / len(log_med),
        "disabled_post_share": n_disabled / n_posts,
    }


def _profile_component(followers: np.ndarray, following: np.ndarray, posts: np.ndarray,
                       bio: np.ndarray, pic: np.ndarray) -> dict[str, Any]:
    has_posts = posts > 0
    logs = np.log1p(np.column_stack([followers, following, posts]))[has_posts]
    bio_pos = bio[bio > 0]
    return {
        "n": len(followers),
        "zero_posts": float(np.mean(~has_posts)),
        "log1p_mean": [round(float(v), 4) for v in logs.mean(axis=0)],
        "log1p_cov": [[round(float(v), 4) for v in row] for row in np.cov(logs.T)],
        "zero_bio": float(np.mean(bio == 0)),
        "bio_log_mean": float(np.log(bio_pos).mean()) if len(bio_pos) else 0.0,
        "bio_log_sd": float(np.log(bio_pos).std()) if len(bio_pos) else 0.0,
        "pic": float(np.mean(pic)),
    }


def fit_profiles(shared_data: Path) -> dict[str, dict[str, Any]]:
    """Fit follower-profile distributions per class and source.

    Parameters
    ----------
    shared_data : Path
        The ``../shared/data`` folder.

    Returns
    -------
    dict
        Component name (``instafake_real``, ``instafake_fake``, ``purba_r``,
        ``purba_a``, ``purba_i``, ``purba_s``) to its fitted parameters: share of
        accounts without posts, mean and covariance of log1p(followers, following, posts)
        over accounts with posts, share without a biography, log-normal of the
        biography length, profile-picture rate; for InstaFake also the private rate and
        the username length and digit distribution.
    """
    import pandas as pd

    out: dict[str, dict[str, Any]] = {}
    for cls, name in (("real", "realAccountData.json"), ("fake", "fakeAccountData.json")):
        d = pd.DataFrame(_load_json(shared_data / "instafake" / name))
        comp = _profile_component(
            d["userFollowerCount"].to_numpy(float), d["userFollowingCount"].to_numpy(float),
            d["userMediaCount"].to_numpy(float), d["userBiographyLength"].to_numpy(float),
            d["userHasProfilPic"].to_numpy(float))
        digits = d["usernameDigitCount"].to_numpy(float)
        comp.update({
            "private": float(d["userIsPrivate"].mean()),
            "name_len_mean": float(d["usernameLength"].mean()),
            "name_len_sd": float(d["usernameLength"].std()),
            "zero_digits": float(np.mean(digits == 0)),
            "digits_mean_positive": float(digits[digits > 0].mean()),
        })
        out[f"instafake_{cls}"] = comp
    p = pd.read_csv(shared_data / "purba" / "user_fake_authentic_4class.csv").drop_duplicates()
    for cls in ("r", "a", "i", "s"):
        d = p[p["class"] == cls]
        out[f"purba_{cls}"] = _profile_component(
            d["flw"].to_numpy(float), d["flg"].to_numpy(float), d["pos"].to_numpy(float),
            d["bl"].to_numpy(float), d["pic"].to_numpy(float))
    return out


def fit_all(shared_data: str | Path) -> dict[str, Any]:
    """Run every fit on ``shared_data`` and return the numbers, rounded to 4 decimals.

    Parameters
    ----------
    shared_data : path-like
        The ``../shared/data`` folder.

    Returns
    -------
    dict
        ``posts`` (see :func:`fit_posts`) and ``profiles`` (see :func:`fit_profiles`).
    """
    root = Path(shared_data)
    posts = fit_posts(_load_json(root / "instafake" / "nonautomatedAccountData.json"))
    profiles = fit_profiles(root)

    def _round(obj: Any) -> Any:
        if isinstance(obj, float):
            return round(obj, 4)
        if isinstance(obj, dict):
            return {k: _round(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [_round(v) for v in obj]
        return obj

    return {"posts": _round(posts), "profiles": _round(profiles)}


if __name__ == "__main__":  # pragma: no cover - developer tool
    import pprint
    import sys

    pprint.pprint(fit_all(sys.argv[1] if len(sys.argv) > 1 else "../shared/data"),
                  width=100, sort_dicts=False)
