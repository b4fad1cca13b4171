"""Simulated worlds, partial coverage and profile pools from a labelled dataset."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fakedetect.simulate import design as d
from fakedetect.simulate import simulate
from fakedetect.simulate.core import Settings, generate_block, make_context
from fakedetect.simulate.params import TIER_BANDS
from fakedetect.simulate.worlds import PARAMS, make_worlds, span_bounds
from fakedetect.validate import load_dataset

#: Median engagement rate per tier of genuine accounts from the single-world simulator
#: of commit 7dc5559 (seed 8, 3,000 genuine accounts x 180 days): the default world
#: keeps them.
TODAY_TIER_MEDIANS = {"nano": 0.0240, "micro": 0.01228, "mid": 0.00879}


def test_worlds_are_reproducible_per_seed() -> None:
    a, b, c = make_worlds(3, 6, 2), make_worlds(3, 6, 2), make_worlds(4, 6, 2)
    assert a.ids == ("w00", "w01", "w02", "w03", "w04", "w05", "h00", "h01")
    np.testing.assert_array_equal(a.values, b.values)
    assert not np.array_equal(a.values[1:], c.values[1:])
    # Adding worlds leaves the earlier ones as they were.
    np.testing.assert_array_equal(make_worlds(3, 9, 2).values[:6], a.values[:6])


def test_world_parameters_fall_inside_the_documented_ranges() -> None:
    w = make_worlds(11, 40, 40)
    train, held = w.values[:40], w.values[40:]
    for k, name in enumerate(PARAMS):
        span = d.WORLD_RANGES[name]
        assert w.values[0, k] == span.default, name
        assert span.low <= span.default <= span.high, name
        lo, hi = span_bounds(name)
        assert (train[:, k] >= lo).all() and (train[:, k] <= hi).all(), name
        wlo, whi = span_bounds(name, d.HELDOUT_WIDEN)
        assert wlo <= lo and whi >= hi and (wlo < lo or whi > hi), name
        assert (held[:, k] >= wlo).all() and (held[:, k] <= whi).all(), name
        assert (held[:, k] >= span.floor).all() and (held[:, k] <= span.ceiling).all()
    # Held-out worlds reach beyond the training ranges somewhere.
    outside = [(held[:, k] < span_bounds(n)[0]) | (held[:, k] > span_bounds(n)[1])
               for k, n in enumerate(PARAMS)]
    assert np.any(outside)


def test_default_world_reproduces_the_tier_medians() -> None:
    s = Settings(accounts=3000, days=180, seed=8, fraud_rate=0.0,
                 difficulty=d.DIFFICULTIES["realistic"], label_noise=0.0,
                 end_date=np.datetime64("2026-10-31"), coverage="full")
    ctx = make_context(s)
    meds: dict[str, list[float]] = {t: [] for t in TIER_BANDS}
    for index in range(3):
        b = generate_block(ctx, index)
        posts = b.tables["posts"].to_pandas()
        row = posts["account_id"].cat.codes.to_numpy()
        f = np.asarray(b.tables["accounts"]["followers"], dtype=float)
        med = ((posts["likes"] + posts["comments"]) / f[row]).groupby(row).median()
        ff = f[med.index.to_numpy()]
        for tier, (lo, hi, _, _) in TIER_BANDS.items():
            meds[tier].extend(med.to_numpy()[(ff >= lo) & (ff < hi)])
    for tier, (_, _, low, high) in TIER_BANDS.items():
        m = float(np.median(meds[tier]))
        assert low <= m <= high, tier
        assert m == pytest.approx(TODAY_TIER_MEDIANS[tier], rel=0.15), tier


@pytest.fixture(scope="module")
def worlds_ds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("worlds")
    simulate(path, accounts=1500, days=60, seed=4, worlds=3, heldout_worlds=2)
    return path


def test_labels_record_world_and_source(worlds_ds: Path) -> None:
    lab = load_dataset(worlds_ds).tables["labels"]
    assert set(lab["source"].astype(str)) == {"sim"}
    assert set(lab["world"].astype(str)) == {"w00", "w01", "w02", "h00", "h01"}
    meta = json.loads((worlds_ds / "simulation.json").read_text())
    assert set(meta["world_params"]) == {"w00", "w01", "w02", "h00", "h01"}
    assert set(meta["world_params"]["w01"]) == set(PARAMS)
    assert meta["world_accounts"] == lab["world"].astype(str).value_counts().to_dict()
    assert meta["profiles"]["kind"] == "fitted"
    assert meta["coverage"] == "partial"
    assert meta["world_ranges"]["cadence"]["train"] == list(span_bounds("cadence"))


def test_same_seed_same_worlds_on_disk(tmp_path: Path) -> None:
    kw = {"accounts": 200, "days": 20, "seed": 9, "worlds": 3, "heldout_worlds": 1}
    simulate(tmp_path / "a", **kw)
    simulate(tmp_path / "b", **kw)
    for name in ("labels", "posts", "audience", "snapshots"):
        assert ((tmp_path / "a" / f"{name}.parquet").read_bytes()
                == (tmp_path / "b" / f"{name}.parquet").read_bytes())
    assert ((tmp_path / "a" / "simulation.json").read_text()
            == (tmp_path / "b" / "simulation.json").read_text())


def test_partial_coverage_is_independent_of_the_label(worlds_ds: Path) -> None:
    ds = load_dataset(worlds_ds)
    ids = ds.accounts["account_id"].astype(str)
    fake = ds.tables["labels"].set_index("account_id")["is_fake"].reindex(ids).to_numpy()

    def has(table: str) -> np.ndarray:
        present = set(ds.tables[table]["account_id"].astype(str))
        return ids.isin(present).to_numpy()

    posts = ds.tables["posts"]
    hidden = posts.groupby("account_id", observed=True)["likes"].apply(
        lambda s: s.isna().all())
    no_likes = ids.map(hidden).fillna(False).to_numpy(dtype=bool)
    n_snap = ds.tables["snapshots"].groupby("account_id", observed=True).size()
    short = ids.map(n_snap).fillna(0).to_numpy() < 60
    for name, missing in (("audience", ~has("audience")), ("comments", ~has("comments")),
                          ("snapshots", ~has("snapshots")), ("likes", no_likes),
                          ("history", short)):
        rates = [missing[fake == k].mean() for k in (0, 1)]
        assert 0.005 < np.mean(rates) < 0.7, name
        sd = np.sqrt(np.mean(rates) * (1 - np.mean(rates)) * (1 / (fake == 0).sum()
                                                              + 1 / (fake == 1).sum()))
        assert abs(rates[0] - rates[1]) < 4 * sd, name
    # The last day is always there, so the profile matches the last snapshot.
    snaps = ds.tables["snapshots"]
    last = snaps.groupby("account_id", observed=True)["followers"].last()
    acc = ds.accounts.set_index("account_id")["followers"]
    assert (acc.reindex(last.index) == last).all()


def test_full_coverage_keeps_every_table(tmp_path: Path) -> None:
    simulate(tmp_path, accounts=120, days=20, seed=2, worlds=2, coverage="full")
    ds = load_dataset(tmp_path)
    for name in ("snapshots", "audience"):
        assert ds.tables[name]["account_id"].nunique() == 120, name
    assert (ds.tables["snapshots"].groupby("account_id", observed=True).size() == 20).all()
    assert ds.tables["posts"]["likes"].notna().all()


def test_profiles_feed_the_follower_pools(tmp_path: Path) -> None:
    from fakedetect.demo import profiles_dataset

    profiles_dataset(tmp_path / "profiles", genuine=900, fake=500, seed=3)
    lab = pd.read_parquet(tmp_path / "profiles" / "labels.parquet")
    lab["source"] = np.where(np.arange(len(lab)) % 2 == 0, "one", "two")
    lab.to_parquet(tmp_path / "profiles" / "labels.parquet")
    # Like Purba's rows, these profiles do not say whether the account is private.
    acc = pd.read_parquet(tmp_path / "profiles" / "accounts.parquet")
    acc.drop(columns="is_private").to_parquet(tmp_path / "profiles" / "accounts.parquet")
    simulate(tmp_path / "sim", accounts=60, days=20, seed=1, coverage="full",
             profiles=tmp_path / "profiles")
    meta = json.loads((tmp_path / "sim" / "simulation.json").read_text())
    assert meta["profiles"]["kind"] == "dataset"
    assert set(meta["profiles"]["components"]) == {"one_real", "two_real", "one_fake",
                                                   "two_fake"}
    assert set(meta["profiles"]["sha256"]) == {"accounts.parquet", "labels.parquet"}
    aud = load_dataset(tmp_path / "sim").tables["audience"]
    assert aud["is_private"].isna().all() and aud["followers"].notna().all()
    rows = set(zip(acc["followers"], acc["following"], acc["posts"], strict=True))
    seen = set(zip(aud["followers"], aud["following"], aud["posts"], strict=True))
    assert seen <= rows


def test_cli_takes_the_world_and_coverage_flags(tmp_path: Path) -> None:
    from fakedetect.cli import main

    out = tmp_path / "cli"
    assert main(["simulate", "--accounts", "40", "--days", "14", "--out", str(out),
                 "--worlds", "2", "--heldout-worlds", "1", "--coverage", "full"]) == 0
    assert json.loads((out / "simulation.json").read_text())["heldout_worlds"] == 1
    assert main(["simulate", "--accounts", "40", "--out", str(out), "--coverage",
                 "some"]) == 2


def test_a_missing_table_never_pushes_towards_authentic() -> None:
    import importlib.util

    bench = Path(__file__).resolve().parents[1] / "benchmarks" / "coverage_shift.py"
    spec = importlib.util.spec_from_file_location("coverage_shift", bench)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    res = mod.measure(accounts=1000, days=60, worlds=2, seed=1)
    assert res["auc"]["partial"] > 0.7
    for row in res["rows"]:
        if row["trained_on"] != "partial":
            continue
        for name in ("genuine", "fake"):
            # Towards the base rate of accounts lacking the table, or no move at all.
            floor = min(row[f"{name}_before"], row["base_rate"]) - 0.03
            assert row[f"{name}_after"] >= floor, (row["dropped"], name)


def test_no_single_raw_signal_separates_the_classes_in_any_world(tmp_path: Path) -> None:
    from fakedetect.simulate.honesty import MAX_SINGLE_AUC, world_aucs

    simulate(tmp_path, accounts=3000, days=90, seed=21, worlds=2, heldout_worlds=1)
    aucs = world_aucs(tmp_path)
    assert list(aucs.columns) == ["h00", "w00", "w01"]
    assert aucs.to_numpy().max() <= MAX_SINGLE_AUC


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_partial_coverage_passes_validate_in_text_formats(tmp_path: Path, fmt: str) -> None:
    summary = simulate(tmp_path, accounts=300, days=30, seed=3, fmt=fmt, worlds=2,
                       heldout_worlds=1)
    ds = load_dataset(tmp_path)
    assert {k: len(v) for k, v in ds.tables.items()} == summary.rows
    assert 0 < ds.tables["posts"]["likes"].isna().mean() < 0.5
    assert 0 < ds.tables["posts"]["comments"].isna().mean() < 0.1


def test_profile_folds_split_the_profiles(tmp_path: Path) -> None:
    from fakedetect.demo import profiles_dataset
    from fakedetect.errors import UserError
    from fakedetect.simulate.audience import profile_fold

    profiles_dataset(tmp_path / "profiles", genuine=1200, fake=800, seed=3)
    ids = pd.read_parquet(tmp_path / "profiles" / "accounts.parquet")["account_id"]
    fold = profile_fold(ids, 2)
    np.testing.assert_array_equal(fold, profile_fold(ids, 2))
    assert 0.4 < fold.mean() < 0.6
    sizes = []
    for i in (0, 1):
        simulate(tmp_path / f"sim{i}", accounts=30, days=14, seed=1, coverage="full",
                 profiles=tmp_path / "profiles", profiles_fold=(i, 2))
        meta = json.loads((tmp_path / f"sim{i}" / "simulation.json").read_text())
        assert meta["profiles"]["fold"]["index"] == i
        sizes.append(sum(meta["profiles"]["components"].values()))
    assert sum(sizes) <= 2000 and min(sizes) > 800
    with pytest.raises(UserError, match="profiles-fold"):
        simulate(tmp_path / "bad", accounts=5, profiles_fold=(2, 2),
                 profiles=tmp_path / "profiles")
