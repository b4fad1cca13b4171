"""Measure how honest the simulated problem is: single raw-signal ROC-AUCs per difficulty.

Simulates a dataset per difficulty and seed, computes the raw signals of
:mod:`fakedetect.simulate.honesty` straight from the tables, and prints a Markdown table
of each signal's ROC-AUC (``max(auc, 1 - auc)``, mean and worst over seeds) plus the
cross-validated AUC of all signals together. With ``--worlds K`` it also simulates K
worlds (plus ``--heldout-worlds``) on ``realistic`` and reports each signal's worst
ROC-AUC within any world. ``data/README.md`` reports its output::

    nice .venv/bin/python benchmarks/single_signal_auc.py --accounts 5000 --seeds 1 2 3
    nice .venv/bin/python benchmarks/single_signal_auc.py --accounts 8000 --seeds 1 \
        --difficulties realistic --worlds 8 --heldout-worlds 2
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main() -> None:
    """Run the measurement and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=5000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--difficulties", nargs="+", default=["easy", "realistic", "hard"])
    parser.add_argument("--worlds", type=int, default=1)
    parser.add_argument("--heldout-worlds", type=int, default=0)
    args = parser.parse_args()

    import pandas as pd

    from fakedetect.simulate import simulate
    from fakedetect.simulate.honesty import MAX_SINGLE_AUC, SIGNALS, measure, world_aucs

    started = time.perf_counter()
    per_world: list[pd.DataFrame] = []
    table: dict[str, pd.Series] = {}
    combined: dict[str, list[float]] = {}
    recall: dict[str, list[float]] = {}
    by_pattern: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="fakedetect-auc-") as tmp:
        for level in args.difficulties:
            runs = []
            combined[level] = []
            recall[level] = []
            for seed in args.seeds:
                path = Path(tmp) / f"{level}-{seed}"
                simulate(path, accounts=args.accounts, days=args.days, seed=seed,
                         difficulty=level, worlds=args.worlds,
                         heldout_worlds=args.heldout_worlds)
                h = measure(path)
                if level == "realistic" and args.worlds + args.heldout_worlds > 1:
                    per_world.append(world_aucs(path))
                runs.append(h.aucs["auc"])
                combined[level].append(h.combined_auc)
                recall[level].append(h.recall_at_5pct_fpr)
                for pattern, r in h.recall_by_pattern.items():
                    by_pattern.setdefault(pattern, {}).setdefault(level, []).append(r)
            frame = pd.concat(runs, axis=1)
            table[f"{level} mean"] = frame.mean(axis=1)
            table[f"{level} max"] = frame.max(axis=1)
    out = pd.DataFrame(table).sort_values(f"{args.difficulties[0]} mean", ascending=False)
    if "realistic mean" in out:
        out = out.sort_values("realistic mean", ascending=False)
    print(f"{args.accounts:,} accounts x {args.days} days, seeds {args.seeds}, "
          f"fraud rate 0.3; ROC-AUC = max(auc, 1 - auc)\n")
    print("| signal | " + " | ".join(out.columns) + " | what it measures |")
    print("|---|" + "---|" * len(out.columns) + "---|")
    for name, row in out.iterrows():
        cells = " | ".join(f"{v:.3f}" for v in row)
        print(f"| `{name}` | {cells} | {SIGNALS[str(name)]} |")
    cells = " | ".join(
        f"{sum(combined[c.split()[0]]) / len(combined[c.split()[0]]):.3f}"
        if c.endswith("mean") else f"{max(combined[c.split()[0]]):.3f}" for c in out.columns)
    print(f"| **all signals together** (gradient boosting, 5-fold CV) | {cells} | |")
    cells = " | ".join(
        f"{sum(recall[c.split()[0]]) / len(recall[c.split()[0]]):.3f}"
        if c.endswith("mean") else f"{max(recall[c.split()[0]]):.3f}" for c in out.columns)
    print(f"| share of fraud caught at 5% false positives (together) | {cells} | |")
    print("\nshare of fraud caught at 5% false positives, by pattern (mean over seeds):\n")
    print("| pattern | " + " | ".join(args.difficulties) + " |")
    print("|---|" + "---|" * len(args.difficulties))
    for pattern, per in sorted(by_pattern.items()):
        cells = " | ".join(f"{sum(per[lv]) / len(per[lv]):.2f}" if lv in per else ""
                           for lv in args.difficulties)
        print(f"| `{pattern}` | {cells} |")
    worst = out[[c for c in out.columns if c.startswith("realistic")]].to_numpy().max() \
        if "realistic max" in out else float("nan")
    print(f"\nlargest single-signal AUC on realistic: {worst:.3f} (limit {MAX_SINGLE_AUC})")
    if per_world:
        frame = pd.concat(per_world).groupby(level=0).max()
        print(f"\nrealistic, {args.worlds} training + {args.heldout_worlds} held-out worlds: "
              "largest single-signal AUC within a world (over seeds)\n")
        print("| world | largest AUC | signal |")
        print("|---|---|---|")
        for w in frame.columns:
            print(f"| {w} | {frame[w].max():.3f} | `{frame[w].idxmax()}` |")
        print(f"\nworst over worlds: {frame.to_numpy().max():.3f} (limit {MAX_SINGLE_AUC})")
    print(f"took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
