"""build_features as a whole: invariances, missing tables, the transformer, the CLI, and
the real InstaFake per-post series."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.dummy import DummyClassifier
from sklearn.pipeline import Pipeline

from fakedetect.features import (
    COVERAGE_COLUMNS,
    FEATURES,
    FeatureBuilder,
    build_features,
    dataset_from_frames,
    feature_names,
)

SEED = 11
START = pd.Timestamp("2024-01-01", tz="UTC")


def make_tables(n: int = 12, seed: int = SEED) -> dict[str, pd.DataFrame]:
    """A small dataset with every table, some accounts missing some tables."""
    rng = np.random.default_rng(seed)
    ids = [f"acc{i:02d}" for i in range(n)]
    accounts = pd.DataFrame({
        "account_id": ids,
        "username": [f"user{i}{'7' * (i % 4)}" for i in range(n)],
        "followers": rng.integers(500, 50_000, n),
        "following": rng.integers(10, 3000, n),
        "posts": rng.integers(0, 500, n),
        "bio_length": rng.integers(0, 150, n),
        "has_profile_pic": rng.random(n) > 0.2,
        "is_private": rng.random(n) > 0.7,
        "created_at": START - pd.to_timedelta(rng.integers(100, 3000, n), unit="D"),
    })
    snaps, posts, comments, audience = [], [], [], []
    for i, acc in enumerate(ids):
        days = 0 if i % 5 == 4 else int(rng.integers(5, 60))
        if days:
            f = accounts.followers[i] + np.cumsum(rng.poisson(8, days) - rng.poisson(3, days))
            if i % 3 == 0:
                f[days // 2:] += int(rng.integers(500, 3000))
            keep = np.sort(rng.choice(days + 3, days, replace=False))  # some gaps
            snaps.append(pd.DataFrame({
                "account_id": acc, "date": START + pd.to_timedelta(keep, unit="D"),
                "followers": f, "following": 200 + rng.integers(0, 40, days),
                "posts": np.arange(days)}))
        k = 0 if i % 6 == 5 else int(rng.integers(2, 45))
        if k:
            t = START + pd.to_timedelta(np.sort(rng.uniform(0, 60, k)), unit="D")
            likes = rng.poisson(300, k).astype("float64")
            likes[rng.random(k) < 0.1] = np.nan
            posts.append(pd.DataFrame({
                "account_id": acc, "post_id": [f"p{j}" for j in range(k)], "posted_at": t,
                "likes": pd.array(likes, dtype="Int64"),
                "comments": pd.array(rng.poisson(8, k), dtype="Int64"),
                "views": pd.array(np.where(rng.random(k) < 0.4, rng.poisson(3000, k), -1),
                                  dtype="Int64").astype("Int64"),
            }))
            posts[-1].loc[posts[-1]["views"] < 0, "views"] = pd.NA
            c = int(rng.integers(0, 40))
            if c:
                pid = rng.integers(0, k, c)
                comments.append(pd.DataFrame({
                    "account_id": acc, "post_id": [f"p{j}" for j in pid],
                    "commenter": [f"u{j}" for j in rng.integers(0, 12, c)],
                    "text": rng.choice(["nice pic", "🔥", "Where was this taken?", "love it",
                                        "the light here is lovely"], c),
                    "created_at": t[pid] + pd.to_timedelta(rng.exponential(60, c), unit="min"),
                }))
        a = int(rng.integers(0, 30))
        if a:
            audience.append(pd.DataFrame({
                "account_id": acc, "follower_username": [f"{acc}_f{j}" for j in range(a)],
                "followers": rng.integers(0, 2000, a), "following": rng.integers(0, 4000, a),
                "posts": rng.integers(0, 100, a), "has_profile_pic": rng.random(a) > 0.3,
                "is_private": rng.random(a) > 0.5, "bio_length": rng.integers(0, 80, a)}))
    return {"accounts": accounts, "snapshots": pd.concat(snaps), "posts": pd.concat(posts),
            "comments": pd.concat(comments).astype({"text": "string"}),
            "audience": pd.concat(audience)}


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return make_tables()


@pytest.fixture(scope="module")
def full(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return build_features(dataset_from_frames(tables))


def test_shape_index_and_types(full: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> None:
    names = feature_names("influencer")
    assert list(full.columns) == [*names, *COVERAGE_COLUMNS]
    assert full.index.name == "account_id"
    assert list(full.index) == sorted(tables["accounts"]["account_id"])
    assert all(full[n].dtype == np.float64 for n in names)
    assert all(full[c].dtype == bool for c in COVERAGE_COLUMNS)
    # every feature whose inputs this dataset has is computed for some account
    absent = {"accounts__is_verified", "accounts__external_url",
              "accounts__avg_caption_length", "accounts__share_empty_captions",
              "accounts__share_non_image_posts", "accounts__share_location_tagged",
              "accounts__avg_hashtags", "accounts__promo_keywords",
              "accounts__follower_hunt_keywords", "accounts__post_similarity"}
    computed = full[names].notna().any()
    assert set(computed.index[~computed]) == absent


def test_invariant_to_row_order(tables: dict[str, pd.DataFrame], full: pd.DataFrame) -> None:
    shuffled = {name: t.sample(frac=1.0, random_state=5) for name, t in tables.items()}
    again = build_features(dataset_from_frames(shuffled))
    pd.testing.assert_frame_equal(again, full)


def test_invariant_to_account_renaming(tables: dict[str, pd.DataFrame],
                                       full: pd.DataFrame) -> None:
    ids = sorted(tables["accounts"]["account_id"])
    # reversed names reverse the sort order of the accounts
    rename = {a: f"z{len(ids) - i:03d}" for i, a in enumerate(ids)}
    renamed = {name: t.assign(account_id=t["account_id"].map(rename))
               for name, t in tables.items()}
    renamed["audience"] = renamed["audience"].assign(
        follower_username=tables["audience"]["follower_username"].to_numpy())
    again = build_features(dataset_from_frames(renamed))
    again.index = again.index.map({v: k for k, v in rename.items()})
    pd.testing.assert_frame_equal(again.loc[full.index], full, check_index_type=False)


def test_small_blocks_and_threads_give_the_same_result(tables: dict[str, pd.DataFrame],
                                                       full: pd.DataFrame) -> None:
    again = build_features(dataset_from_frames(tables), block_rows=50, n_jobs=2)
    pd.testing.assert_frame_equal(again, full)


@pytest.mark.parametrize("table", ["snapshots", "posts", "comments", "audience"])
def test_a_missing_table_gives_nan_for_its_features(table: str,
                                                    tables: dict[str, pd.DataFrame],
                                                    full: pd.DataFrame) -> None:
    rest = {name: t for name, t in tables.items() if name != table}
    out = build_features(dataset_from_frames(rest))
    needs = [f.name for f in FEATURES if table in f.tables]
    others = [f.name for f in FEATURES if table not in f.tables]
    assert needs
    # account age counts to the last snapshot or post; profile aggregates missing from
    # the accounts table are derived from the posts
    uses = {"snapshots": {"accounts__account_age_days"},
            "posts": {"accounts__like_rate_pct", "accounts__comment_rate_pct",
                      "accounts__post_interval_hours", "accounts__account_age_days"}}
    others = [n for n in others if n not in uses.get(table, set())]
    assert out[needs].isna().all().all()
    pd.testing.assert_frame_equal(out[others], full[others])
    assert not out[f"coverage__{table}"].any()


def test_accounts_only_and_empty_tables(tables: dict[str, pd.DataFrame]) -> None:
    only = build_features(dataset_from_frames({"accounts": tables["accounts"]}))
    profile = feature_names("account")
    rest = [n for n in feature_names("influencer") if n not in profile
            and n != "accounts__account_age_days"]
    assert only[rest].isna().all().all()
    assert only["accounts__log_followers"].notna().all()
    assert np.isnan(only["accounts__account_age_days"]).all()  # no day observed
    empty = {name: t.iloc[:0] for name, t in tables.items() if name != "accounts"}
    out = build_features(dataset_from_frames({"accounts": tables["accounts"], **empty}))
    assert out[rest].drop(columns="audience__sample_size").isna().all().all()
    assert (out["audience__sample_size"] == 0).all()
    assert not out[list(COVERAGE_COLUMNS)].any().any()


def test_transformer(tables: dict[str, pd.DataFrame], full: pd.DataFrame) -> None:
    ds = dataset_from_frames(tables)
    fb = FeatureBuilder(task="influencer").fit(ds)
    out = fb.transform(ds)
    names = feature_names("influencer")
    assert list(out.columns) == names
    pd.testing.assert_frame_equal(out, full[names])
    assert list(fb.get_feature_names_out()) == names
    assert clone(fb).get_params() == {"task": "influencer", "account_scorer": None}
    # a frame of account rows keeps its order and index
    acc = tables["accounts"].iloc[::-1].set_index(pd.Index(range(100, 100 + len(tables[
        "accounts"]))))
    rows = FeatureBuilder(task="account").fit(acc).transform(acc)
    assert list(rows.index) == list(acc.index)
    assert rows["accounts__log_followers"].to_numpy() == pytest.approx(
        np.log10(1 + acc["followers"].to_numpy()))
    labels = (tables["accounts"]["followers"] > 20_000).astype(int).to_numpy()
    pipe = Pipeline([("features", FeatureBuilder(task="account")),
                     ("model", DummyClassifier(strategy="prior"))]).fit(acc, labels[::-1])
    assert pipe.predict_proba(acc).shape == (len(acc), 2)
    with pytest.raises(ValueError, match="unknown task"):
        FeatureBuilder(task="nope").fit(acc)


def _write(tables: dict[str, pd.DataFrame], folder: Path) -> Path:
    from fakedetect.io import write_table

    folder.mkdir()
    for name, frame in tables.items():
        write_table(frame, folder / f"{name}.csv")
    return folder


def test_cli_builds_and_lists(tables: dict[str, pd.DataFrame], full: pd.DataFrame,
                              tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from fakedetect.cli import main

    data = _write(tables, tmp_path / "data")
    out = tmp_path / "features.parquet"
    code = main(["features", str(data), "--out", str(out), "--account-model", "rules"])
    assert code == 0
    got = pd.read_parquet(out).set_index("account_id")
    names = feature_names("influencer")
    assert list(got.columns) == [*names, *COVERAGE_COLUMNS]
    # CSV round trip of times and counts: same features up to float noise
    pd.testing.assert_frame_equal(got[names], full[names], check_index_type=False,
                                  rtol=1e-9, atol=1e-9)
    capsys.readouterr()
    assert main(["features", "--list"]) == 0
    listed = capsys.readouterr().out
    assert all(f.name in listed for f in FEATURES)
    assert main(["features", "--list", "--task", "account"]) == 0
    listed = capsys.readouterr().out
    assert "posts__" not in listed and "accounts__log_followers" in listed
    assert main(["features"]) == 2
    assert "needs a dataset folder" in capsys.readouterr().err


def test_cli_threads_one_option(tables: dict[str, pd.DataFrame], tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    """--n-jobs sets the threads of the whole build; --jobs is its old name."""
    from fakedetect.cli import main

    data = _write(tables, tmp_path / "data")
    outs = []
    for k, opts in enumerate((["--n-jobs", "1"], ["--n-jobs", "2"], ["--jobs", "2"])):
        out = tmp_path / f"f{k}.parquet"
        assert main(["features", str(data), "-o", str(out), "--account-model", "rules",
                     "--no-cache", *opts]) == 0
        outs.append(pd.read_parquet(out))
    assert "old name of --n-jobs" in capsys.readouterr().err
    pd.testing.assert_frame_equal(outs[0], outs[1])
    pd.testing.assert_frame_equal(outs[0], outs[2])
    assert main(["features", str(data), "--jobs", "2", "--n-jobs", "1"]) == 2
    assert "disagree" in capsys.readouterr().err


def instafake_posts(path: Path) -> dict[str, pd.DataFrame]:
    """The InstaFake per-post series as accounts and posts tables."""
    records = json.loads(path.read_text())
    accounts, posts = [], []
    for i, rec in enumerate(records):
        acc = f"if{i:04d}"
        accounts.append({"account_id": acc, "followers": rec["userFollowerCount"],
                         "following": rec["userFollowingCount"],
                         "posts": rec["userMediaCount"],
                         "bio_length": rec["userBiographyLength"],
                         "external_url": bool(rec["userHasExternalUrl"])})
        k = len(rec["mediaLikeNumbers"])
        if k:
            disabled = np.asarray(rec["mediaCommentsAreDisabled"][:k], dtype=bool)
            comments = np.asarray(rec["mediaCommentNumbers"][:k], dtype="float64")
            comments[disabled] = np.nan
            posts.append(pd.DataFrame({
                "account_id": acc, "post_id": [str(j) for j in range(k)],
                "posted_at": pd.to_datetime(rec["mediaUploadTimes"][:k], unit="s", utc=True),
                "likes": pd.array(rec["mediaLikeNumbers"][:k], dtype="Int64"),
                "comments": pd.array(comments, dtype="Int64"),
                "hashtags": pd.array(rec["mediaHashtagNumbers"][:k], dtype="Int64"),
                "has_location": rec["mediaHasLocationInfo"][:k]}))
    return {"accounts": pd.DataFrame(accounts), "posts": pd.concat(posts)}


def test_real_instafake_series_featurise(shared_data: Path) -> None:
    tables = instafake_posts(shared_data / "instafake" / "nonautomatedAccountData.json")
    feats = build_features(dataset_from_frames(tables))
    assert len(feats) == 700
    covered = feats["coverage__posts"]
    assert covered.sum() > 600
    rate = feats.loc[covered, "posts__median_engagement_rate__last_30"].dropna()
    assert len(rate) > 600
    # ordinary accounts of a few hundred followers: a typical post reaches 10-30%
    assert 0.10 < rate.median() < 0.35
    assert (rate < 2.0).mean() > 0.99 and (rate >= 0).all()
    tier = feats.loc[covered, "posts__engagement_vs_tier__last_30"].dropna()
    assert tier.median() > 1  # small personal accounts beat the influencer curve
    derived = feats.loc[covered, "accounts__like_rate_pct"].dropna()
    assert 5 < derived.median() < 40
    share = feats.loc[covered, "accounts__share_location_tagged"].dropna()
    assert ((share >= 0) & (share <= 1)).all()
    gini = feats.loc[covered, "posts__like_gini__last_30"].dropna()
    assert ((gini >= 0) & (gini < 1)).all()


def test_matches_the_benchmark_reference() -> None:
    """The vectorised features equal a plain pandas groupby-apply implementation."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "features.py"
    spec = importlib.util.spec_from_file_location("features_benchmark", path)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    tables = bench.make_tables(120, days=60, posts_mean=25, comments_per_post=2.0,
                               audience_per_account=12, seed=SEED)
    fast = build_features(bench.as_dataset(tables))
    ref = bench.reference(tables)
    bad, worst = bench.compare(fast[feature_names("influencer")], ref)
    assert bad == 0, worst
    assert fast[feature_names("influencer")].notna().mean().mean() > 0.8
