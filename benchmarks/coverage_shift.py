"""Measure what a missing table does to the fake probability, per class.

Simulates the same accounts twice, with partial and with full coverage (coverage has
its own random stream, so behaviour is identical), trains a quick LightGBM on the
influencer features of each, then drops one table at a time for the held-out accounts
(of the full-coverage copy) and reports the mean shift of the fake probability per
class. A model that learned what absence means moves towards the base rate of accounts
lacking that table; one trained on full coverage only may move towards ``authentic``.
``docs/features.md`` reports its output::

    nice .venv/bin/python benchmarks/coverage_shift.py --accounts 4000 --worlds 4
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

#: Tables dropped in turn, and ``likes``: like counts hidden on every post.
DROPS = ("audience", "comments", "snapshots", "posts", "likes")


def _drop(ds: Any, accounts: set[str], what: str) -> Any:
    """A copy of ``ds`` without ``what`` for ``accounts``."""
    tables = dict(ds.tables)
    if what == "likes":
        posts = tables["posts"].copy()
        posts.loc[posts["account_id"].astype(str).isin(accounts), "likes"] = np.nan
        tables["posts"] = posts
    else:
        frame = tables[what]
        tables[what] = frame[~frame["account_id"].astype(str).isin(accounts)]
    return dataclasses.replace(ds, tables=tables)


def _missing(ds: Any, what: str) -> np.ndarray:
    """Accounts (in ``ds.account_ids`` order) that naturally lack ``what``."""
    ids = ds.account_ids.astype(str)
    if what == "likes":
        posts = ds.tables["posts"]
        hidden = posts.groupby("account_id", observed=True)["likes"].apply(
            lambda s: bool(s.isna().all()))
        return np.asarray(ids.map(hidden.to_dict()).fillna(False), dtype=bool)
    present = set(ds.tables[what]["account_id"].astype(str))
    return ~np.asarray(ids.isin(list(present)))


def measure(accounts: int = 4000, days: int = 120, worlds: int = 4, seed: int = 1,
            test_share: float = 0.3) -> dict[str, Any]:
    """Run the measurement; return a table of shifts and the base rates.

    Parameters
    ----------
    accounts, days, worlds, seed : int
        Passed to :func:`fakedetect.simulate.simulate`.
    test_share : float
        Share of accounts held out (stratified by label).

    Returns
    -------
    dict
        ``rows``: one dict per (training coverage, dropped table) with the mean shift of
        the fake probability for genuine and fake held-out accounts, their mean
        probability before and after, and the base rate (share fake, and the partial
        model's mean probability) of training accounts that lack the table;
        ``auc``: held-out ROC-AUC per training coverage.
    """
    import lightgbm as lgb
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    from fakedetect.features import build_features
    from fakedetect.simulate import simulate
    from fakedetect.validate import load_dataset

    def xy(ds: Any) -> tuple[np.ndarray, np.ndarray]:
        f = build_features(ds, "influencer", n_jobs=1).astype(float)
        lab = ds.tables["labels"].set_index("account_id")["is_fake"]
        y = lab.reindex(f.index).to_numpy(dtype=int)
        return f.to_numpy(), y

    out: dict[str, Any] = {"rows": [], "auc": {}}
    with tempfile.TemporaryDirectory(prefix="fakedetect-cover-") as tmp:
        data = {}
        for cov in ("partial", "full"):
            simulate(Path(tmp) / cov, accounts=accounts, days=days, seed=seed,
                     worlds=worlds, coverage=cov)
            data[cov] = load_dataset(Path(tmp) / cov)
        x_full, y = xy(data["full"])
        ids = data["full"].account_ids.astype(str).to_numpy()
        train, test = train_test_split(np.arange(len(y)), test_size=test_share,
                                       stratify=y, random_state=seed)
        test_ids = set(ids[test])
        models = {}
        x_partial, _ = xy(data["partial"])
        for cov, x in (("partial", x_partial), ("full", x_full)):
            model = lgb.LGBMClassifier(n_estimators=300, learning_rate=0.05,
                                       num_leaves=31, min_child_samples=20, n_jobs=1,
                                       random_state=seed, verbose=-1)
            model.fit(x[train], y[train])
            models[cov] = model
            out["auc"][cov] = float(roc_auc_score(y[test],
                                                  model.predict_proba(x_full[test])[:, 1]))
        p_train = models["partial"].predict_proba(x_partial[train])[:, 1]
        for what in DROPS:
            x_drop, _ = xy(_drop(data["full"], test_ids, what))
            lacking = _missing(data["partial"], what)[train]
            for cov, model in models.items():
                before = model.predict_proba(x_full[test])[:, 1]
                after = model.predict_proba(x_drop[test])[:, 1]
                row = {"trained_on": cov, "dropped": what,
                       "base_rate": float(y[train][lacking].mean()) if lacking.any()
                       else float("nan"),
                       "base_proba": float(p_train[lacking].mean()) if lacking.any()
                       else float("nan")}
                for k, name in ((0, "genuine"), (1, "fake")):
                    sel = y[test] == k
                    row[f"{name}_before"] = float(before[sel].mean())
                    row[f"{name}_after"] = float(after[sel].mean())
                    row[f"{name}_shift"] = float((after[sel] - before[sel]).mean())
                out["rows"].append(row)
    return out


def main() -> None:
    """Run the measurement and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=4000)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--worlds", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.perf_counter()
    res = measure(args.accounts, args.days, args.worlds, args.seed)
    print(f"{args.accounts:,} accounts x {args.days} days, {args.worlds} worlds, seed "
          f"{args.seed}; held-out ROC-AUC: trained on partial coverage "
          f"{res['auc']['partial']:.3f}, on full coverage {res['auc']['full']:.3f}\n")
    print("| trained on | dropped | base rate lacking it (share fake / mean p) | genuine "
          "p before → after (shift) | fake p before → after (shift) |")
    print("|---|---|---|---|---|")
    for r in res["rows"]:
        print(f"| {r['trained_on']} | {r['dropped']} | {r['base_rate']:.3f} / "
              f"{r['base_proba']:.3f} | {r['genuine_before']:.3f} → "
              f"{r['genuine_after']:.3f} ({r['genuine_shift']:+.3f}) | "
              f"{r['fake_before']:.3f} → {r['fake_after']:.3f} ({r['fake_shift']:+.3f}) |")
    print(f"\ntook {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
