"""Measure the batch drift warning: false alarms on familiar batches, detection on shifted ones.

Trains an influencer model on one simulated dataset (no MLflow), then scores batches of
``--batch`` accounts: ``--null`` batches simulated with the same settings and fresh seeds
(the warning should rarely fire: at most 5% of them), and shifted batches (shorter
histories, the hard world, a fraud-heavy world, no posts table), where it should fire.
It also reports Venn-ABERS interval validity on the familiar batches (accounts the model
never saw). The README
quotes its output::

    nice .venv/bin/python benchmarks/drift.py --null 20
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path


def main() -> None:
    """Run the measurement and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=2000, help="training accounts")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--null", type=int, default=20, help="familiar batches")
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--real", type=Path, default=None,
                        help="../shared/data: also train an account model on InstaFake "
                             "and score Purba batches (a different real source)")
    args = parser.parse_args()

    import numpy as np
    import pandas as pd

    from fakedetect.experiment import default_experiment
    from fakedetect.predict import score_dataset
    from fakedetect.simulate import simulate
    from fakedetect.train import fit_model, prepare
    from fakedetect.validate import load_dataset

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="fakedetect-drift-") as tmp:
        root = Path(tmp)
        pool = root / "pool"
        simulate(pool, accounts=args.train + args.null * args.batch, days=args.days, seed=5)
        ids = pd.read_parquet(pool / "accounts.parquet", columns=["account_id"])
        order = np.random.default_rng(0).permutation(ids["account_id"].astype(str))
        subset(pool, root / "train", order[: args.train])
        exp = replace(default_experiment("influencer"), folds=3)
        prep = prepare(load_dataset(root / "train"), exp)
        model, _, _ = fit_model(prep, exp)
        null_psi: list[float] = []

        def fires(folder: Path) -> tuple[bool, list[str]]:
            scored = score_dataset(load_dataset(folder), model, top_reasons=1, n_jobs=1)
            assert scored.drift is not None
            table = scored.drift.features
            null_psi.append(float(table.loc[table["used"], "psi"].max()))
            return scored.drifted, scored.notes

        def familiar(label: str, batches: list[Path]) -> None:
            alarms = 0
            null_psi.clear()
            for b in batches:
                fired, notes = fires(b)
                alarms += fired
                if fired:
                    print(f"  false alarm: {notes[0]}")
            print(f"{label}: the warning fired on {alarms} of {len(batches)} batches "
                  f"({alarms / max(len(batches), 1):.0%}); largest PSI per batch: median "
                  f"{np.median(null_psi):.2f}, max {max(null_psi):.2f}")

        same = []
        for k in range(args.null):
            lo = args.train + k * args.batch
            same.append(subset(pool, root / f"b{k}", order[lo: lo + args.batch]))
        familiar("batches of the training population", same)
        intervals(model, root, same)
        fresh = []
        for k in range(min(args.null, 10)):
            simulate(root / f"f{k}", accounts=args.batch, days=args.days, seed=1000 + k)
            fresh.append(root / f"f{k}")
        familiar("fresh simulations, same settings, other seeds", fresh)
        shifted = {
            "30-day histories": {"days": 30},
            "hard world": {"difficulty": "hard"},
            "fraud-heavy world (60% fraud)": {"fraud_rate": 0.6},
        }
        for name, kw in shifted.items():
            simulate(root / "s", accounts=args.batch, **{"days": args.days, **kw}, seed=77)
            fired, notes = fires(root / "s")
            print(f"{name}: {'fired' if fired else 'silent'}"
                  + (f"; {notes[0]}" if notes else ""))
        simulate(root / "s", accounts=args.batch, days=args.days, seed=78)
        for f in (root / "s").glob("posts.*"):
            f.unlink()
        fired, notes = fires(root / "s")
        print(f"no posts table: {'fired' if fired else 'silent'}"
              + (f"; {notes[0]}" if notes else ""))
        shutil.rmtree(root / "s", ignore_errors=True)
        if args.real is not None:
            real_sources(args.real, root, args.batch)
    print(f"done in {time.perf_counter() - started:.0f} s")


def intervals(model: object, root: Path, batches: list[Path]) -> None:
    """Print Venn-ABERS validity on the held-out batches: the observed fake rate against
    the average interval, overall and per fifth of accounts by score."""
    import numpy as np
    import pandas as pd

    from fakedetect.experiment import default_experiment
    from fakedetect.scoring import score_frame
    from fakedetect.train import prepare
    from fakedetect.validate import load_dataset

    held = root / "held"
    held.mkdir(exist_ok=True)
    for f in batches[0].glob("*.parquet"):
        pd.concat([pd.read_parquet(b / f.name) for b in batches]).to_parquet(held / f.name)
    prep = prepare(load_dataset(held), default_experiment("influencer"))
    out = score_frame(model, prep.X[model.features], top_reasons=0)  # type: ignore[arg-type]
    y = prep.y
    p = out["fake_probability"].to_numpy()
    lo, hi = out["fake_probability_low"].to_numpy(), out["fake_probability_high"].to_numpy()
    print(f"intervals on {len(y):,} held-out accounts: fake rate {y.mean():.1%} in "
          f"[{lo.mean():.1%}, {hi.mean():.1%}]; median width {np.median(hi - lo):.1%}")
    fifth = pd.qcut(pd.Series(p).rank(method="first"), 5, labels=False).to_numpy()
    worst = 0.0
    for k in range(5):
        m = fifth == k
        gap = max(lo[m].mean() - y[m].mean(), y[m].mean() - hi[m].mean(), 0.0)
        worst = max(worst, gap)
        print(f"  fifth {k + 1}: fake rate {y[m].mean():.1%} in [{lo[m].mean():.1%}, "
              f"{hi[m].mean():.1%}] (point {p[m].mean():.1%})")
    s = out["authenticity_score"].to_numpy()
    print(f"  largest distance outside the band: {worst:.1%}; scores of 0 or 100: "
          f"{int(((s == 0) | (s == 100)).sum())} (intervals reaching 0 or 1: "
          f"{int(((lo <= 0) | (hi >= 1)).sum())})")


def real_sources(shared: Path, root: Path, batch: int) -> None:
    """Train the account model on InstaFake profiles; score InstaFake accounts it never
    saw (a familiar batch) and random Purba batches (another real source)."""
    import numpy as np
    import pandas as pd

    from fakedetect.experiment import load_experiment
    from fakedetect.importers import run_import
    from fakedetect.predict import score_dataset
    from fakedetect.train import fit_model, prepare
    from fakedetect.validate import load_dataset

    project = Path(__file__).resolve().parents[1]
    run_import("instafake", shared / "instafake", root / "insta", out_format="parquet",
               part="profiles")
    run_import("purba", shared / "purba" / "user_fake_authentic_4class.csv",
               root / "purba", out_format="parquet")
    exp = load_experiment(project / "training" / "account-instafake.yaml")
    prep = prepare(load_dataset(root / "insta"), exp)
    model, _, held = fit_model(prep, exp)
    unseen = prep.X.index[held["test_idx"]].astype(str)
    for label, folder, ids in (
            ("InstaFake accounts the model never saw", root / "insta", unseen),
            ("Purba batch 1", root / "purba", None), ("Purba batch 2", root / "purba", None)):
        if ids is None:
            all_ids = pd.read_parquet(folder / "accounts.parquet")["account_id"].astype(str)
            ids = np.random.default_rng(len(label) + int(label[-1])).choice(
                all_ids, batch, replace=False)
        dest = subset(folder, root / f"real-{label[-1]}", ids)
        scored = score_dataset(load_dataset(dest), model, top_reasons=1, n_jobs=1)
        print(f"{label} ({len(ids)} accounts): "
              f"{'fired' if scored.drifted else 'silent'}"
              + (f"; {scored.notes[0]}" if scored.notes else ""))


def subset(src: Path, dest: Path, ids: object) -> Path:
    """Copy the rows of the accounts ``ids`` from every table of a dataset folder."""
    import pandas as pd

    dest.mkdir(parents=True, exist_ok=True)
    keep = set(map(str, ids))  # type: ignore[call-overload]
    for f in src.glob("*.parquet"):
        frame = pd.read_parquet(f)
        frame[frame["account_id"].astype(str).isin(keep)].to_parquet(dest / f.name)
    return dest


if __name__ == "__main__":
    main()
