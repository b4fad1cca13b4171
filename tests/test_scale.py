"""The Dask engine: partitioned layout, results identical to the local engine, Dask
training close to local training, killed workers and wrong scheduler addresses.

One LocalCluster of 2 single-threaded worker processes serves the whole module; the CLI
tests reach it through ``--scheduler``. The scheduler gives up on a task after its
worker died twice (``allowed-failures: 1``), so the failure test is quick.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from distributed.diagnostics.plugin import WorkerPlugin

from fakedetect.cli import main
from fakedetect.errors import UserError
from fakedetect.features import build_features
from fakedetect.model import FakeModel
from fakedetect.predict import score_dataset
from fakedetect.scale.dask_features import AGE_FEATURE, features_on_dask, undated_accounts
from fakedetect.scale.dask_predict import ModelRef, predict_on_dask
from fakedetect.scale.partition import (
    LAYOUT_FILE,
    load_partition,
    partition_of,
    repartition,
)
from fakedetect.scoring import account_scorer_from
from fakedetect.train import fit_model, prepare
from fakedetect.validate import ContractError, load_dataset

from .conftest import small_experiment

PARTS = 4
#: The fields a sampled follower has: an account model on these scores audiences.
PROFILE = ("accounts__log_followers", "accounts__log_following", "accounts__log_posts",
           "accounts__follower_following_ratio__log", "accounts__posts_per_follower__log",
           "accounts__bio_length", "accounts__username_length", "accounts__username_digits",
           "accounts__has_profile_pic", "accounts__is_private")
#: Accounts without any snapshot or post (their age needs the dataset's latest day).
QUIET = 4


# ------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def client():
    import dask
    from distributed import Client, LocalCluster

    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               memory_limit="1GB", dashboard_address=None,
                               silence_logs=logging.ERROR)
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


def _quiet_ids(n: int) -> list[str]:
    """Ids of quiet accounts, at least two in part 0 (the part whose history ends early)."""
    ids: list[str] = []
    in_zero = 0
    i = 0
    while len(ids) < n:
        candidate = f"quiet-{i}"
        zero = int(partition_of(pd.Series([candidate]), PARTS)[0]) == 0
        room = in_zero < 2 if zero else len(ids) - in_zero < n - 2
        if room:
            ids.append(candidate)
            in_zero += zero
        i += 1
    return ids


@pytest.fixture(scope="module")
def src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A simulated dataset where part 0's histories end early and a few accounts have no
    history at all: the latest day differs between parts."""
    from fakedetect.io import write_table
    from fakedetect.simulate import simulate

    root = tmp_path_factory.mktemp("scale") / "src"
    simulate(root, accounts=240, days=60, seed=11, coverage="full")
    tables = {t: pd.read_parquet(root / f"{t}.parquet")
              for t in ("accounts", "snapshots", "posts", "comments", "labels")}
    ids = tables["accounts"]["account_id"].astype(str)
    early = set(ids[partition_of(ids, PARTS) == 0])
    cut = pd.to_datetime(tables["snapshots"]["date"]).max() - pd.Timedelta(days=10)
    snaps = tables["snapshots"]
    snaps = snaps[~(snaps["account_id"].isin(early) & (pd.to_datetime(snaps["date"]) > cut))]
    posts = tables["posts"]
    late = pd.to_datetime(posts["posted_at"], utc=True) > cut.tz_localize("UTC")
    posts = posts[~(posts["account_id"].isin(early) & late)]
    comments = tables["comments"]
    kept = pd.MultiIndex.from_arrays([posts["account_id"].astype(str), posts["post_id"]])
    comments = comments[pd.MultiIndex.from_arrays(
        [comments["account_id"].astype(str), comments["post_id"]]).isin(kept)]
    quiet = tables["accounts"].iloc[:QUIET].copy()
    quiet["account_id"] = _quiet_ids(QUIET)
    quiet["username"] = [f"quiet_user_{i}" for i in range(QUIET)]
    accounts = pd.concat([tables["accounts"], quiet], ignore_index=True)
    for name, frame in (("accounts", accounts), ("snapshots", snaps), ("posts", posts),
                        ("comments", comments)):
        write_table(frame.reset_index(drop=True), root / f"{name}.parquet")
    return root


@pytest.fixture(scope="module")
def parts(src: Path) -> Path:
    return repartition(src, src.parent / "parts", PARTS).root


@pytest.fixture(scope="module")
def models(src: Path) -> dict[str, Path]:
    """An influencer model and, beside it, an account model that scores audiences."""
    dataset = load_dataset(src)
    out: dict[str, Path] = {}
    base = small_experiment(folds=2, max_rounds=60)
    base = replace(base, params={**base.params, "num_threads": 1})
    for task in ("account", "influencer"):
        exp = replace(base, task=task, name=f"{task}-test",
                      features=PROFILE if task == "account" else None)
        prep = prepare(dataset, exp)
        model, _, _ = fit_model(prep, exp)
        out[task] = model.save(src.parent / "models" / task)
    return out


def _local_scorer(models: dict[str, Path]):
    return account_scorer_from(FakeModel.load(models["account"]))


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


# -------------------------------------------------------------------------- layout


def test_partition_of_is_fixed_and_reads_ids_as_validation_does() -> None:
    ids = pd.Series(["acc-1", "acc-2", "b", "Z-99", "é"])
    assert partition_of(ids, 8).tolist() == [3, 5, 3, 3, 0], "the hash must never change"
    for v in (12, 13, 19):
        same = pd.Series([v, float(v), f" {v} ", str(v)], dtype=object)
        assert len(set(partition_of(same, 8).tolist())) == 1
    assert partition_of(pd.Series([None, "12"], dtype=object), 8).tolist() == [0, 1]


def test_repartition_keeps_every_account_whole(src: Path, parts: Path) -> None:
    doc = json.loads((parts / LAYOUT_FILE).read_text())
    assert doc["partitions"] == PARTS
    where: dict[str, int] = {}
    for table, rows in doc["tables"].items():
        files = sorted((parts / f"{table}.parquet").iterdir())
        assert [f.name for f in files] == [f"part-{k:05d}.parquet" for k in range(PARTS)]
        schemas = {str(pq.read_schema(f)) for f in files}
        assert len(schemas) == 1, f"{table}: parts must share one schema"
        total = 0
        for k, f in enumerate(files):
            ids = pq.read_table(f, columns=["account_id"]).column(0).to_pylist()
            total += len(ids)
            for a in set(ids):
                assert where.setdefault(a, k) == k, f"{a} is split across parts"
        assert total == rows == len(pd.read_parquet(src / f"{table}.parquet"))
    assert not [p for p in parts.parent.iterdir() if p.name.startswith(".")], "staging left"


def test_validate_reads_the_layout_as_the_original(src: Path, parts: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["validate", str(parts)], capsys)
    assert code == 0 and "valid" in out
    a, b = load_dataset(src), load_dataset(parts)
    for name in ("accounts", "snapshots", "posts"):
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
    for name in ("comments", "audience", "labels"):
        key = list(a.tables[name].columns)
        pd.testing.assert_frame_equal(
            a.tables[name].sort_values(key[:3]).reset_index(drop=True),
            b.tables[name].sort_values(key[:3]).reset_index(drop=True))


def test_repartition_refuses_bad_requests(src: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "keep.txt").write_text("mine")
    code, _, err = run(["repartition", str(src), "--out", str(taken), "--partitions", "2"],
                       capsys)
    assert code == 2 and "not an empty folder" in err
    assert [p.name for p in taken.iterdir()] == ["keep.txt"]
    with pytest.raises(UserError, match="expected 1 to"):
        repartition(src, tmp_path / "zero", 0)
    code, out, _ = run(["repartition", str(src), "--out", str(tmp_path / "two"),
                        "--partitions", "2"], capsys)
    assert code == 0 and "x 2 part(s)" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken", "two"]


def test_a_part_is_the_dataset_of_its_accounts(parts: Path) -> None:
    whole = load_dataset(parts)
    for k in range(PARTS):
        part = load_partition(parts, k)
        assert part is not None
        ids = part.accounts["account_id"].astype(str)
        assert (partition_of(ids, PARTS) == k).all()
        assert set(part.tables) == set(whole.tables), "an empty part is still a table"


# ----------------------------------------------------------------- same as local


@pytest.mark.parametrize("task", ["influencer", "account"])
def test_features_equal_the_local_engine(client, parts: Path, models: dict[str, Path],
                                         task: str) -> None:
    dataset = load_dataset(parts)
    local = build_features(dataset, task, account_scorer=_local_scorer(models))
    ref = ModelRef(str(models["account"]))
    remote = features_on_dask(client, parts, task, account_model=ref)
    pd.testing.assert_frame_equal(remote, local)
    if task == "influencer":
        latest = [undated_accounts(load_partition(parts, k))[0] for k in range(PARTS)]
        assert latest[0] < max(latest), "part 0 must end early for this test to bite"
        quiet = [i for i in local.index if i.startswith("quiet-")]
        assert len(quiet) == QUIET and local.loc[quiet, AGE_FEATURE].notna().all()


def test_predict_and_features_cli_write_the_local_files(
        client, parts: Path, models: dict[str, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    address = ["--engine", "dask", "--scheduler", client.scheduler.address]
    model = ["--model", str(models["influencer"])]
    code, _, local_err = run(["predict", str(parts), "--out", str(tmp_path / "local.csv"),
                              *model], capsys)
    assert code == 0, local_err
    code, out, err = run(["predict", str(parts), "--out", str(tmp_path / "dask.csv"), *model,
                          *address], capsys)
    assert code == 0, err
    assert "on Dask" in out
    notes = [line for line in err.splitlines() if line.startswith("note:")]
    assert notes == [line for line in local_err.splitlines() if line.startswith("note:")]
    local, remote = (tmp_path / "local.csv").read_bytes(), (tmp_path / "dask.csv").read_bytes()
    assert remote == local
    scores = pd.read_csv(tmp_path / "dask.csv")
    assert scores["status"].eq("scored").sum() == 240 and len(scores) == 240 + QUIET
    assert scores["audience_method"].fillna("").str.contains("model").sum() > 0
    feats = ["--account-model", str(models["account"])]
    for engine, name in ((["--engine", "local"], "local.parquet"), (address, "dask.parquet")):
        code, _, err = run(["features", str(parts), "--out", str(tmp_path / name), *feats,
                            *engine], capsys)
        assert code == 0, err
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "dask.parquet"),
                                  pd.read_parquet(tmp_path / "local.parquet"))


def test_report_pages_equal_the_local_engine(client, parts: Path, models: dict[str, Path],
                                             tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    common = [str(parts), "--model", str(models["influencer"]), "--max-pages", "6"]
    code, _, err = run(["report", *common, "--out", str(tmp_path / "local")], capsys)
    assert code == 0, err
    code, out, err = run(["report", *common, "--out", str(tmp_path / "dask"), "--engine",
                          "dask", "--scheduler", client.scheduler.address], capsys)
    assert code == 0, err
    assert "(6 account page(s))" in out
    files = sorted(p.relative_to(tmp_path / "local")
                   for p in (tmp_path / "local").rglob("*.html"))
    assert len(files) == 7
    assert files == sorted(p.relative_to(tmp_path / "dask")
                           for p in (tmp_path / "dask").rglob("*.html"))
    for f in files:
        assert (tmp_path / "dask" / f).read_text() == (tmp_path / "local" / f).read_text(), f


def test_lenient_and_strict_match_the_local_engine_on_bad_rows(
        client, parts: Path, models: dict[str, Path], tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(parts, bad)
    part = bad / "posts.parquet" / "part-00002.parquet"
    frame = pd.read_parquet(part)
    frame.loc[frame.index[3], "likes"] = -5
    frame.to_parquet(part, index=False)
    with pytest.raises(ContractError):
        load_dataset(bad)
    with pytest.raises(UserError, match=r"posts\.parquet/part-00002\.parquet") as info:
        features_on_dask(client, bad, "influencer")
    assert str(tmp_path) in str(info.value) and "/tmp/fakedetect-part" not in str(info.value)
    model = FakeModel.load(models["influencer"])
    local = score_dataset(load_dataset(bad, lenient=True), model).scores
    remote = predict_on_dask(client, bad, ModelRef(str(models["influencer"])), lenient=True)
    pd.testing.assert_frame_equal(remote, local)
    assert remote["status_reason"].str.startswith("invalid input").sum() == 1


def test_workers_refuse_a_tampered_model(client, parts: Path, models: dict[str, Path],
                                         tmp_path: Path) -> None:
    tampered = tmp_path / "tampered"
    shutil.copytree(models["influencer"], tampered)
    with (tampered / "model.txt").open("a") as fh:
        fh.write("\n")
    with pytest.raises(UserError, match="does not match its checksum"):
        predict_on_dask(client, parts, ModelRef(str(tampered)))


# --------------------------------------------------------------------- training


def test_dask_training_scores_like_local_training(client, tmp_path: Path) -> None:
    from fakedetect.scale.dask_train import DaskFit
    from fakedetect.simulate import simulate

    simulate(tmp_path / "big", accounts=3000, days=60, seed=7, coverage="full")
    exp = small_experiment(folds=2, max_rounds=300)
    exp = replace(exp, params={**exp.params, "num_threads": 1})
    prep = prepare(load_dataset(tmp_path / "big"), exp)
    local, local_m, _ = fit_model(prep, exp)
    lines: list[str] = []
    remote, remote_m, _ = DaskFit(client, log=lines.append)(prep, exp)
    assert remote.metadata["engine"] == "dask"
    assert "local 2-fold CV with early stopping on all 3,000 labelled" in remote.metadata[
        "rounds_source"]
    assert remote_m["num_rounds"] == local_m["num_rounds"]
    assert remote.booster.num_trees() == local.booster.num_trees()
    assert remote.features == local.features == remote.booster.feature_name()
    assert local_m["test_roc_auc"] > 0.8
    assert abs(remote_m["test_roc_auc"] - local_m["test_roc_auc"]) <= 0.01
    assert remote.calibration.method == local.calibration.method
    assert "2 worker(s)" in lines[0]


def test_rounds_sample_is_stratified() -> None:
    from fakedetect.scale.dask_train import rounds_from_experiment, sample_rows

    y = np.r_[np.zeros(900, dtype=int), np.ones(100, dtype=int)]
    rows = sample_rows(y, 200, seed=3)
    assert len(rows) == 200 and (np.diff(rows) > 0).all() and y[rows].sum() == 20
    assert (sample_rows(y, 5000, seed=3) == np.arange(1000)).all()
    exp = small_experiment()
    assert rounds_from_experiment(exp) is None
    assert rounds_from_experiment(replace(exp, params={**exp.params, "n_estimators": 70})) == 70


def test_train_cli_on_dask_tracks_and_registers(client, src: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    import mlflow

    root = tmp_path / "project"
    (root / "training").mkdir(parents=True)
    (root / "mlflow.yml").write_text("paths: {output: out}\n")
    (root / "training" / "quick.yaml").write_text(
        "name: quick\ntask: influencer\nlightgbm: {num_iterations: 40, num_threads: 1}\n"
        "split: {folds: 2}\nvalidation_criteria:\n  - {metric: roc_auc, threshold: 0.5}\n")
    code, out, err = run(["train", "--data", str(src), "--experiment",
                          str(root / "training" / "quick.yaml"), "--config",
                          str(root / "mlflow.yml"), "--engine", "dask", "--scheduler",
                          client.scheduler.address], capsys)
    assert code == 0, err
    assert "40 rounds: fixed by the experiment file (40)" in out
    assert ">= 0.5 required)" in out and "promotion: passed (ROC-AUC" in out
    assert "now the champion" in out
    mlflow.set_tracking_uri(os.environ["MLFLOW_TRACKING_URI"])
    run_info = mlflow.search_runs(search_all_experiments=True, output_format="list")[0]
    assert run_info.data.tags["fakedetect.engine"] == "dask"
    assert run_info.data.metrics["num_rounds"] == 40
    assert run_info.data.metrics["dask_workers"] == 2
    folder = next((root).rglob("MANIFEST.sha256")).parent
    assert FakeModel.load(folder).metadata["engine"] == "dask"


# ------------------------------------------------------------------------ faults


class _Killer(WorkerPlugin):
    """Kills the worker process when it starts a scoring task while ``marker`` exists
    (once: the first worker to take the marker away dies)."""

    name = "fakedetect-test-killer"

    def __init__(self, marker: str, once: bool) -> None:
        self.marker = marker
        self.once = once

    def transition(self, key: object, start: str, finish: str, **kwargs: object) -> None:
        if finish != "executing" or "score_partition" not in str(key):
            return
        if self.once:
            try:
                os.unlink(self.marker)
            except FileNotFoundError:
                return
        elif not os.path.exists(self.marker):
            return
        os._exit(1)


def _with_killer(client, marker: Path, once: bool):
    marker.write_text("kill")
    client.register_plugin(_Killer(str(marker), once))


def _without_killer(client, marker: Path) -> None:
    import contextlib

    from distributed.comm.core import CommClosedError

    marker.unlink(missing_ok=True)  # no worker kills itself from here on
    # the scheduler drops the plugin first; telling a worker that is dying at that moment
    # can fail, and its replacement starts without the plugin
    with contextlib.suppress(CommClosedError):
        client.unregister_worker_plugin(_Killer.name)
    client.wait_for_workers(2, timeout=60)


def test_a_killed_worker_is_replaced_and_the_result_is_unchanged(
        client, parts: Path, models: dict[str, Path], tmp_path: Path) -> None:
    ref = ModelRef(str(models["influencer"]))
    expected = predict_on_dask(client, parts, ref)
    marker = tmp_path / "kill-once"
    _with_killer(client, marker, once=True)
    try:
        remote = predict_on_dask(client, parts, ref)
        assert not marker.exists(), "no worker was killed"
    finally:
        _without_killer(client, marker)
    pd.testing.assert_frame_equal(remote, expected)


def test_workers_that_keep_dying_fail_clearly_and_write_nothing(
        client, parts: Path, models: dict[str, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out" / "scores.csv"
    marker = tmp_path / "kill-always"
    _with_killer(client, marker, once=False)
    try:
        code, _, err = run(["predict", str(parts), "--out", str(out), "--model",
                            str(models["influencer"]), "--engine", "dask", "--scheduler",
                            client.scheduler.address], capsys)
    finally:
        _without_killer(client, marker)
    assert code == 2
    assert "Dask workers died again and again while working on part" in err
    assert "nothing was written" in err and "more memory" in err
    assert not out.parent.exists() or not list(out.parent.iterdir())


def test_wrong_address_and_options_fail_fast(parts: Path, src: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    started = time.perf_counter()
    code, _, err = run(["features", str(parts), "--engine", "dask", "--scheduler",
                        "tcp://127.0.0.1:9"], capsys)
    assert code == 2 and "no Dask scheduler answered within 5 s" in err
    assert "dask scheduler" in err
    assert time.perf_counter() - started < 15
    code, _, err = run(["predict", str(parts), "--out", "x.csv", "--scheduler", "tcp://a:1"],
                       capsys)
    assert code == 2 and "add --engine dask" in err
    code, _, err = run(["features", str(parts), "--engine", "spark"], capsys)
    assert code == 2 and "expected one of local, dask" in err
    code, _, err = run(["features", str(src), "--engine", "dask"], capsys)
    assert code == 2 and "not a partitioned dataset" in err and "repartition" in err
    code, _, err = run(["features", str(parts), "--engine", "dask", "--scheduler",
                        "bogus://x"], capsys)
    assert code == 2 and "not a Dask address" in err


def test_accounts_per_part_are_the_accounts_of_the_whole(parts: Path) -> None:
    counts = [len(load_partition(parts, k).accounts) for k in range(PARTS)]
    assert sum(counts) == 240 + QUIET
    assert min(counts) > 0 and np.std(counts) < 0.5 * np.mean(counts)
