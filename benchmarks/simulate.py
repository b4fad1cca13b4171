"""Benchmark: simulate accounts x days with posts to Parquet; print time and peak memory.

Not a test. The goal on the project's 2-core machine: 1,000,000 accounts x 180 days in
under 10 minutes and under 8 GB peak memory::

    nice .venv/bin/python benchmarks/simulate.py --accounts 1000000 --days 180

The output folder is a temporary one, removed at the end unless ``--keep`` is given.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import threading
import time
from pathlib import Path


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--chunk", type=int, default=20_000, help="accounts per chunk")
    parser.add_argument("--out", type=Path, default=None, help="output folder (kept)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary output")
    parser.add_argument("--worlds", type=int, default=1)
    parser.add_argument("--heldout-worlds", type=int, default=0)
    parser.add_argument("--coverage", default="partial", help="partial or full")
    args = parser.parse_args()

    from fakedetect.simulate import simulate

    out = args.out or Path(tempfile.mkdtemp(prefix="fakedetect-sim-bench-"))
    samples: list[tuple[float, float]] = []
    stop = threading.Event()

    def watch() -> None:
        t0 = time.perf_counter()
        while not stop.wait(5.0):
            samples.append((time.perf_counter() - t0, _rss_mb()))

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    started = time.perf_counter()
    summary = simulate(out, accounts=args.accounts, days=args.days, seed=args.seed,
                       chunk_size=args.chunk, progress=True, worlds=args.worlds,
                       heldout_worlds=args.heldout_worlds, coverage=args.coverage)
    seconds = time.perf_counter() - started
    stop.set()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sizes = {name: path.stat().st_size for name, path in summary.files.items()}
    print(f"accounts {args.accounts:,} x days {args.days}, chunk {args.chunk:,}")
    print(f"wall time {seconds:.1f} s ({seconds / 60:.2f} min); "
          f"{args.accounts / seconds:,.0f} accounts/s")
    print(f"peak RSS {peak_mb:,.0f} MB (getrusage ru_maxrss)")
    if samples:
        quarter = [f"{t:.0f}s:{mb:,.0f}MB" for t, mb in samples[:: max(len(samples) // 8, 1)]]
        print("RSS over time: " + ", ".join(quarter))
    for name, rows in summary.rows.items():
        print(f"  {name:<10} {rows:>14,} rows {sizes[name] / 2**20:>10,.1f} MiB")
    print(f"total {sum(sizes.values()) / 2**30:.2f} GiB in {out}")
    if args.out is None and not args.keep:
        shutil.rmtree(out)


if __name__ == "__main__":
    main()
