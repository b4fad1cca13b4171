"""Benchmark: features plus scoring on Dask with 1 and 2 workers, and peak worker memory.

Not a test. It simulates a large dataset (``fakedetect simulate``), splits it into parts
(``fakedetect repartition``), trains a small influencer model with an account model beside
it (so workers load two model folders and score audience samples with the account model),
then times :func:`fakedetect.scale.dask_predict.predict_on_dask`, which loads, validates,
featurises and scores every part (TreeSHAP reasons included), on LocalClusters of single-
threaded worker processes with a fixed memory limit. A thread samples every worker's
resident memory twice a second; Dask's own counters give the bytes spilled to disk.

Goals (issue "Scale out on Dask"): the dataset at least 5 times one worker's memory limit;
peak worker memory that does not grow with the dataset (the same on a quarter of the parts
as on all of them); 2 workers at least 1.7x faster than 1; nothing spilled to disk.

Run from the repository root (about 20 minutes on 2 cores for 1M accounts)::

    nice .venv/bin/python benchmarks/dask_scale.py --accounts 1000000 --partitions 64 \\
        --memory-limit 1.5GB --work /tmp/fakedetect-dask-bench --keep

A kept ``--work`` folder is reused: the dataset, the layout and the models are not
rebuilt.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The fields a sampled follower has: the account model uses only these, so it scores
#: the audience samples (a model needing more would fall back to the rule).
PROFILE = ("accounts__log_followers", "accounts__log_following", "accounts__log_posts",
           "accounts__follower_following_ratio__log", "accounts__posts_per_follower__log",
           "accounts__bio_length", "accounts__username_length", "accounts__username_digits",
           "accounts__has_profile_pic", "accounts__is_private")


def _folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _prepare(work: Path, accounts: int, days: int, partitions: int) -> tuple[Path, Path]:
    """The partitioned dataset and the influencer model folder (built once)."""
    from fakedetect.experiment import load_experiment
    from fakedetect.scale.partition import read_layout, repartition
    from fakedetect.simulate import simulate
    from fakedetect.train import fit_model, prepare
    from fakedetect.validate import load_dataset

    data, parts = work / "data", work / "parts"
    if not (data / "accounts.parquet").exists():
        started = time.perf_counter()
        simulate(data, accounts=accounts, days=days, seed=1, progress=True)
        print(f"simulate: {time.perf_counter() - started:.0f} s", flush=True)
    if read_layout(parts) is None:
        started = time.perf_counter()
        repartition(data, parts, partitions)
        print(f"repartition into {partitions}: {time.perf_counter() - started:.0f} s",
              flush=True)
    models = work / "models"
    if not (models / "influencer" / "MANIFEST.sha256").exists():
        train = work / "train"
        simulate(train, accounts=3000, days=days, seed=2)
        dataset = load_dataset(train)
        base = load_experiment(ROOT / "training" / "influencer.yaml")
        base = replace(base, folds=3, params={**base.params, "num_threads": 2})
        for task in ("account", "influencer"):
            exp = replace(base, task=task, name=f"bench-{task}",
                          features=PROFILE if task == "account" else None)
            model, metrics, _ = fit_model(prepare(dataset, exp), exp)
            model.save(models / task)
            print(f"{task} model trained ({metrics['num_rounds']:.0f} rounds)", flush=True)
    return parts, models / "influencer"


class _Sampler:
    """Peak resident memory of every worker process, sampled in the background."""

    def __init__(self, client: object, every: float = 0.5) -> None:
        self.client = client
        self.every = every
        self.peak: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _rss() -> int:
        import psutil

        return int(psutil.Process().memory_info().rss)

    @staticmethod
    def cpu_seconds() -> float:
        """User plus system CPU time of this (worker) process."""
        import psutil

        t = psutil.Process().cpu_times()
        return float(t.user + t.system)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                now = self.client.run(self._rss)  # type: ignore[attr-defined]
            except Exception:  # a worker restarting; try again at the next tick
                continue
            for worker, rss in now.items():
                self.peak[worker] = max(self.peak.get(worker, 0), rss)

    def __enter__(self) -> _Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _run(parts: Path, model: Path, workers: int, memory_limit: str,
         subset: list[int] | None) -> dict[str, object]:
    import psutil
    from distributed import Client, LocalCluster

    from fakedetect.model import FakeModel
    from fakedetect.scale.dask_predict import ModelRef, predict_on_dask

    started = time.perf_counter()
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      memory_limit=memory_limit, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        boot = time.perf_counter() - started
        ref = ModelRef(str(model))
        account = ModelRef(str(model.parent / "account"))
        FakeModel.load(model)
        client.run(_Sampler.cpu_seconds)  # workers up and answering
        with _Sampler(client) as sampler:
            cpu0 = sum(client.run(_Sampler.cpu_seconds).values())
            machine0 = psutil.cpu_times()
            t0 = time.perf_counter()
            scores = predict_on_dask(client, parts, ref, account_model=account, parts=subset)
            seconds = time.perf_counter() - t0
            cpu = sum(client.run(_Sampler.cpu_seconds).values()) - cpu0
            machine1 = psutil.cpu_times()
        info = client.scheduler_info()["workers"]
        spilled = sum(int(w["metrics"].get("spilled_bytes", {}).get("disk", 0))
                      for w in info.values())
    n = len(scores)
    return {"workers": workers, "parts": len(subset) if subset else None, "accounts": n,
            "seconds": round(seconds, 1), "accounts_per_s": round(n / seconds),
            "cluster_start_s": round(boot, 1),
            "peak_worker_rss_mb": round(max(sampler.peak.values()) / 2**20),
            "peak_rss_by_worker_mb": sorted(round(v / 2**20) for v in sampler.peak.values()),
            "worker_cpu_s": round(cpu, 1), "worker_cores_used": round(cpu / seconds, 2),
            "machine_busy_cores": round(_busy(machine0, machine1) / seconds, 2),
            "spilled_to_disk_bytes": spilled,
            "worker_restarts": len(sampler.peak) - workers,
            "scored": int((scores["status"] == "scored").sum())}


def _busy(before: object, after: object) -> float:
    """CPU seconds all processes of the machine used between two ``psutil.cpu_times``."""
    fields = ("user", "nice", "system", "irq", "softirq", "steal")
    return float(sum(getattr(after, f, 0.0) - getattr(before, f, 0.0) for f in fields))


def main() -> None:
    """Build the data once, run the configurations, print one JSON line each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--partitions", type=int, default=64)
    parser.add_argument("--memory-limit", default="1.5GB", help="per worker")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args()

    from dask.utils import parse_bytes

    from fakedetect.scale.partition import load_partition, read_layout

    work = args.work or Path(tempfile.mkdtemp(prefix="fakedetect-dask-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        parts, model = _prepare(work, args.accounts, args.days, args.partitions)
        layout = read_layout(parts)
        assert layout is not None
        one = load_partition(parts, 0)
        assert one is not None
        in_memory = sum(int(f.memory_usage(deep=True).sum()) for f in one.tables.values())
        del one
        limit = parse_bytes(args.memory_limit)
        size = {"accounts": layout.tables["accounts"], "rows": sum(layout.tables.values()),
                "parquet_bytes": _folder_bytes(parts),
                "in_memory_bytes_estimate": in_memory * layout.partitions,
                "worker_memory_limit_bytes": limit}
        size["in_memory_over_limit"] = round(size["in_memory_bytes_estimate"] / limit, 1)
        size["parquet_over_limit"] = round(size["parquet_bytes"] / limit, 1)
        print(json.dumps({"dataset": size}), flush=True)
        quarter = list(range(max(1, layout.partitions // 4)))
        runs = [_run(parts, model, 2, args.memory_limit, quarter),
                _run(parts, model, 1, args.memory_limit, None),
                _run(parts, model, 2, args.memory_limit, None)]
        for r in runs:
            print(json.dumps(r), flush=True)
        one_w, two_w = runs[1], runs[2]
        print(json.dumps({
            "speedup_2_over_1": round(float(one_w["seconds"]) / float(two_w["seconds"]), 2),
            "peak_rss_quarter_vs_all_mb": [runs[0]["peak_worker_rss_mb"],
                                           two_w["peak_worker_rss_mb"]],
        }), flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
