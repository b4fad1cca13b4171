"""fakedetect's compiled algorithms against the library path they replace, side by side.

Run from the repository root::

    .venv/bin/python benchmarks/compiled.py [--accounts 20000] [--repeat 3] [--n-jobs N]

It simulates data, trains an influencer model and an account model (as ``make demo``
does), and times each algorithm of :mod:`fakedetect._compiled` on the workload it
serves, against the library call it stands in for, checking that the values agree:

- tabulated TreeSHAP (:mod:`fakedetect._compiled.treeshap`) against LightGBM's
  ``pred_contrib``: the contributions of every scored influencer (set-up of the tables
  included, once per model load, as in ``fakedetect predict``);
- leaf masks (:mod:`fakedetect._compiled.leafmasks`) against
  ``booster.predict(raw_score=True)``: the account model's margins of every sampled
  follower, keyed so that each distinct pattern is scored once (set-up included).

An algorithm stays in fakedetect only while its ratio here is at least 3.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
KEEP_RATIO = 3.0


def _median_time(run: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--n-jobs", type=int, default=None)
    args = parser.parse_args()

    import pandas as pd

    from fakedetect._compiled import leafmasks, treeshap
    from fakedetect._compiled.runtime import effective_n_jobs
    from fakedetect._compiled.trees import model_splits
    from fakedetect.config import Config
    from fakedetect.demo import profiles_dataset
    from fakedetect.experiment import load_experiment
    from fakedetect.features import build_features
    from fakedetect.features.audience import audience_profile_features
    from fakedetect.simulate import simulate
    from fakedetect.train import train
    from fakedetect.validate import load_dataset

    n_jobs = effective_n_jobs(args.n_jobs)
    with tempfile.TemporaryDirectory(prefix="fakedetect-compiled-") as tmp:
        root = Path(tmp)
        cfg = Config(root=root, tracking_uri=f"sqlite:///{root / 'mlflow.db'}",
                     artifact_location=root / "mlruns", output_dir=root / "out")
        print("setup: simulating and training ...", flush=True)
        simulate(root / "train", accounts=3_000, days=args.days, seed=1)
        simulate(root / "score", accounts=args.accounts, days=args.days, seed=2)
        exp = replace(load_experiment(ROOT / "training" / "influencer.yaml"), folds=3)
        influencer = train(root / "train", exp, cfg).model
        profiles_dataset(root / "profiles", genuine=3000, fake=1000, seed=11)
        acc_exp = replace(load_experiment(ROOT / "training" / "account-demo.yaml"), folds=3)
        account = train(root / "profiles", acc_exp, cfg).model
        dataset = load_dataset(root / "score")
        X = build_features(dataset, "influencer")[influencer.features].to_numpy(
            dtype=np.float64, na_value=np.nan)
        audience = dataset.get("audience")
        assert audience is not None
        F = audience_profile_features(audience)[account.features].to_numpy(
            dtype=np.float64, na_value=np.nan)

    rows = []
    # TreeSHAP of every scored influencer
    booster = influencer.booster

    def tabulated() -> np.ndarray:
        splits = model_splits(booster)
        assert splits is not None
        tables = treeshap.tabulate(splits, n_jobs=n_jobs)
        assert tables is not None
        return treeshap.contributions(tables, X, n_jobs=n_jobs)

    lib_t, lib = _median_time(lambda: booster.predict(X, pred_contrib=True,
                                                      num_threads=n_jobs), args.repeat)
    own_t, own = _median_time(tabulated, args.repeat)
    err = float(np.max(np.abs(np.asarray(own) - np.asarray(lib))))
    rows.append(("TreeSHAP", f"{len(X):,} influencers x {X.shape[1]} features, "
                 f"{booster.num_trees()} trees", lib_t, own_t, f"max |diff| {err:.1e}"))

    # the account model's margin of every sampled follower
    acc_booster = account.booster

    def masked() -> np.ndarray:
        splits = model_splits(acc_booster)
        assert splits is not None
        masks = leafmasks.leaf_masks(splits)
        assert masks is not None
        narrow = leafmasks.split_columns(splits, F)
        keys = leafmasks.interval_keys(masks, narrow, len(F), n_jobs=n_jobs)
        assert keys is not None
        codes, uniques = pd.factorize(keys)
        return leafmasks.keyed_margin(masks, np.asarray(uniques), n_jobs=n_jobs)[codes]

    lib_t, lib = _median_time(lambda: acc_booster.predict(F, raw_score=True,
                                                          num_threads=n_jobs), args.repeat)
    own_t, own = _median_time(masked, args.repeat)
    same = np.array_equal(np.asarray(own), np.asarray(lib))
    rows.append(("leaf masks", f"{len(F):,} followers x {F.shape[1]} features, "
                 f"{acc_booster.num_trees()} trees", lib_t, own_t,
                 "bit for bit" if same else "DIFFERENT"))

    print(f"\n{n_jobs} thread(s), medians of {args.repeat}")
    for name, work, lib_t, own_t, check in rows:
        ratio = lib_t / own_t
        verdict = "keep" if ratio >= KEEP_RATIO else "use the library"
        print(f"{name:11} {work}: library {lib_t:.3f} s, compiled {own_t:.3f} s, "
              f"ratio {ratio:.1f}x ({verdict}); {check}")


if __name__ == "__main__":
    main()
