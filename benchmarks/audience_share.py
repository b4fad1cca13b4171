"""How well is the fake-follower share of an audience estimated on a population the
account model never saw?

For each direction (InstaFake -> Purba, Purba -> InstaFake) the account model is trained
on one real source only (the profile fields both share, as ``training/account-union.yaml``
uses), with its error rates measured out of fold on that source, exactly as ``fakedetect
train`` stores them. Samples of ``--size`` accounts (150, a typical follower sample) are
then drawn from the other source at known fake shares from 0% to 60%, and each estimator
gives a share and a 95% interval:

- ``cc``: classify and count (share above the ``likely fake`` threshold; Wilson interval);
- ``pa``: probability averaging (mean fake probability; sampling interval);
- ``acc``: adjusted classify and count (the count corrected with the hard error rates);
- ``pacc``: probabilistic adjusted classify and count (fakedetect's estimator).

It prints the mean absolute error (points) and the interval's coverage and mean width per
estimator and direction. Goals: mean absolute error <= 4 points, coverage 90-98%. Needs
``../shared/data``::

    nice .venv/bin/python benchmarks/audience_share.py              # about a minute
    nice .venv/bin/python benchmarks/audience_share.py --draws 400 --json out.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
LEVELS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6)
ESTIMATORS = ("cc", "pa", "acc", "pacc")


def _train(folder: Path, features: tuple[str, ...]) -> tuple[Any, Any]:
    """Account model on one source and its out-of-fold error rates."""
    from dataclasses import replace

    from fakedetect.experiment import load_experiment
    from fakedetect.quantify import combine_rates, rates_from_scores
    from fakedetect.train import fit_model, prepare
    from fakedetect.validate import load_dataset

    exp = replace(load_experiment(ROOT / "training" / "account-union.yaml"),
                  features=features, shared_features=False)
    prep = prepare(load_dataset(folder), exp)
    model, _, held = fit_model(prep, exp)
    rates = combine_rates(rates_from_scores(held["oof_p"], held["oof_y"],
                                            model.threshold_fake))
    return model, rates


def _scores(model: Any, folder: Path) -> tuple[np.ndarray, np.ndarray]:
    from fakedetect.features import build_features
    from fakedetect.validate import load_dataset

    ds = load_dataset(folder)
    feats = build_features(ds, "account")
    labels = ds.get("labels").set_index("account_id")["is_fake"]
    y = labels.reindex(feats.index.astype(str)).to_numpy(dtype=np.int64)
    return model.predict_proba(feats[model.features]), y


def estimate(p: np.ndarray, threshold: float, rates: Any) -> dict[str, tuple[float, ...]]:
    """Every estimator's (share, low, high) for one sample of probabilities."""
    from fakedetect.features.audience import wilson_interval
    from fakedetect.quantify import Z95, adjusted_share, pacc, sample_moments

    n = len(p)
    hits = (p >= threshold).astype(np.float64)
    cc = hits.mean()
    lo, hi = wilson_interval(np.array([cc]), np.array([n]))
    out: dict[str, tuple[float, ...]] = {"cc": (cc, float(lo[0]), float(hi[0]))}
    mean, var = sample_moments(np.array([p.sum()]), np.array([(p * p).sum()]), np.array([n]))
    se = float(np.sqrt(var[0]))
    out["pa"] = (float(mean[0]), max(0.0, mean[0] - Z95 * se), min(1.0, mean[0] + Z95 * se))
    m, v = sample_moments(np.array([hits.sum()]), np.array([hits.sum()]), np.array([n]))
    a = adjusted_share(m, v, rates.hard())
    out["acc"] = (float(a.share[0]), float(a.low[0]), float(a.high[0]))
    e = pacc(p, rates)
    out["pacc"] = (float(e.share[0]), float(e.low[0]), float(e.high[0]))
    return out


def run(shared: Path, *, draws: int, size: int, seed: int) -> list[dict[str, Any]]:
    """Run both directions; one result row per direction and estimator."""
    from fakedetect.importers import run_import

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from results import COMMON_FEATURES  # the profile fields both sources share

    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="fakedetect-share-") as tmp:
        work = Path(tmp)
        run_import("instafake", shared / "instafake", work / "instafake", part="profiles",
                   force=True)
        run_import("purba", shared / "purba" / "user_fake_authentic_4class.csv",
                   work / "purba", force=True)
        for train_name, test_name in (("instafake", "purba"), ("purba", "instafake")):
            model, rates = _train(work / train_name, COMMON_FEATURES)
            p_all, y_all = _scores(model, work / test_name)
            rng = np.random.default_rng(seed)
            fakes, reals = np.flatnonzero(y_all == 1), np.flatnonzero(y_all == 0)
            err: dict[str, list[float]] = {k: [] for k in ESTIMATORS}
            cover: dict[str, list[bool]] = {k: [] for k in ESTIMATORS}
            width: dict[str, list[float]] = {k: [] for k in ESTIMATORS}
            for share in LEVELS:
                k = round(share * size)
                for _ in range(draws):
                    idx = np.concatenate([rng.choice(fakes, k, replace=False),
                                          rng.choice(reals, size - k, replace=False)])
                    truth = k / size
                    for name, (est, lo, hi) in estimate(p_all[idx], model.threshold_fake,
                                                        rates).items():
                        err[name].append(abs(est - truth))
                        cover[name].append(lo - 1e-12 <= truth <= hi + 1e-12)
                        width[name].append(hi - lo)
            for name in ESTIMATORS:
                rows.append({
                    "train": train_name, "test": test_name, "estimator": name,
                    "mae_points": 100 * float(np.mean(err[name])),
                    "coverage": float(np.mean(cover[name])),
                    "width_points": 100 * float(np.mean(width[name])),
                    "samples": len(err[name]),
                    "tpr": rates.tpr, "fpr": rates.fpr,
                    "hard_tpr": rates.hard_tpr, "hard_fpr": rates.hard_fpr,
                    "test_tpr": float(p_all[y_all == 1].mean()),
                    "test_fpr": float(p_all[y_all == 0].mean()),
                })
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    """The side-by-side table."""
    lines = ["| train -> test | estimator | mean abs. error (points) | 95% interval coverage "
             "| mean interval width (points) |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['train']} -> {r['test']} | {r['estimator']} | "
                     f"{r['mae_points']:.1f} | {100 * r['coverage']:.1f}% | "
                     f"{r['width_points']:.1f} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--draws", type=int, default=200, help="samples per share level")
    parser.add_argument("--size", type=int, default=150, help="followers per sample")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if not (args.shared / "instafake").is_dir() or not (args.shared / "purba").is_dir():
        print(f"needs the labelled sets in {args.shared} (see ../shared/data/README.md)",
              file=sys.stderr)
        return 2
    rows = run(args.shared, draws=args.draws, size=args.size, seed=args.seed)
    print(f"{args.draws} samples of {args.size} accounts per share level "
          f"({', '.join(f'{100 * s:.0f}%' for s in LEVELS)}); goals: mean absolute error "
          "<= 4 points, coverage 90-98%")
    print(markdown(rows))
    for r in rows[:: len(ESTIMATORS)]:
        print(f"{r['train']} -> {r['test']}: error rates stored (out of fold) tpr "
              f"{r['tpr']:.3f} fpr {r['fpr']:.3f} (hard {r['hard_tpr']:.3f} / "
              f"{r['hard_fpr']:.3f}); on the test source tpr {r['test_tpr']:.3f} "
              f"fpr {r['test_fpr']:.3f}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
