"""The simulator: determinism, contract validity, fraud traces, confounders, calibration."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fakedetect.contract import EARLIEST, FRAUD_TYPES
from fakedetect.simulate import design as d
from fakedetect.simulate import fraud as fr
from fakedetect.simulate import simulate
from fakedetect.simulate.core import Block, Settings, generate_block, make_context
from fakedetect.simulate.genuine import tier_engagement
from fakedetect.simulate.honesty import Honesty
from fakedetect.simulate.params import POSTS_FIT, PROFILE_COMPONENTS, TIER_BANDS
from fakedetect.validate import load_dataset

N, DAYS = 400, 120


@pytest.fixture(scope="module")
def block() -> Block:
    """One block with its ground truth: many fraudulent accounts, to see every pattern."""
    s = Settings(accounts=N, days=DAYS, seed=5, fraud_rate=0.6,
                 difficulty=d.DIFFICULTIES["realistic"], label_noise=0.0,
                 end_date=np.datetime64("2026-10-31"), coverage="full")
    return generate_block(make_context(s), 0)


@pytest.fixture(scope="module")
def genuine_block() -> Block:
    """A block of genuine accounts only (for confounder rates and calibration)."""
    s = Settings(accounts=1000, days=180, seed=8, fraud_rate=0.0,
                 difficulty=d.DIFFICULTIES["realistic"], label_noise=0.0,
                 end_date=np.datetime64("2026-10-31"), coverage="full")
    return generate_block(make_context(s), 0)


def _frame(b: Block, name: str) -> pd.DataFrame:
    f = b.tables[name].to_pandas()
    f["row"] = f["account_id"].cat.codes.to_numpy() if "account_id" in f else None
    return f


def _followers(b: Block) -> np.ndarray:
    snap = b.tables["snapshots"]
    n = b.tables["accounts"].num_rows
    return np.asarray(snap["followers"]).reshape(n, -1).astype(float)


def _has(b: Block, pattern: str) -> np.ndarray:
    return b.truth["patterns"][:, fr.COL[pattern]]


def _only(b: Block, pattern: str) -> np.ndarray:
    p = b.truth["patterns"]
    return p[:, fr.COL[pattern]] & (p.sum(axis=1) == 1)


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir())}


# ----------------------------------------------------------------------- determinism


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_same_seed_gives_byte_identical_files(tmp_path: Path, fmt: str) -> None:
    kwargs = {"accounts": 120, "days": 30, "seed": 7, "fmt": fmt}
    simulate(tmp_path / "a", **kwargs)
    simulate(tmp_path / "b", **kwargs)
    simulate(tmp_path / "c", **{**kwargs, "seed": 8})
    a, b, c = (_digest(tmp_path / k) for k in "abc")
    assert len(a) == 7
    assert a == b
    assert a["snapshots." + ("parquet" if fmt == "parquet" else "csv")] != c[
        "snapshots." + ("parquet" if fmt == "parquet" else "csv")]


def test_chunk_size_changes_layout_not_data(tmp_path: Path) -> None:
    simulate(tmp_path / "a", accounts=1100, days=15, seed=3, chunk_size=1000)
    simulate(tmp_path / "b", accounts=1100, days=15, seed=3, chunk_size=5000)
    one, two = load_dataset(tmp_path / "a"), load_dataset(tmp_path / "b")
    for name in one.tables:
        pd.testing.assert_frame_equal(one.tables[name], two.tables[name])


# -------------------------------------------------------------------------- contract


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_output_passes_validate(tmp_path: Path, fmt: str) -> None:
    summary = simulate(tmp_path / "ds", accounts=80, days=21, seed=1, fmt=fmt,
                       label_noise=0.1, coverage="full")
    ds = load_dataset(tmp_path / "ds")
    assert set(ds.tables) == {"accounts", "snapshots", "posts", "comments", "audience",
                              "labels"}
    assert {k: len(v) for k, v in ds.tables.items()} == summary.rows
    acc, snap = ds.accounts, ds.tables["snapshots"]
    last = snap.groupby("account_id", observed=True)["followers"].last()
    assert (acc.set_index("account_id")["followers"] == last).all()
    assert (snap.groupby("account_id", observed=True).size() == 21).all()
    sizes = ds.tables["audience"].groupby("account_id", observed=True).size()
    assert sizes.between(*d.AUDIENCE_SAMPLE).all()
    per_post = ds.tables["comments"].groupby(["account_id", "post_id"], observed=True).size()
    assert per_post.max() <= d.COMMENT_SAMPLE_CAP
    types = ds.tables["labels"]["fraud_type"].astype(str)
    names = {p for t in types for p in t.split("+")}
    assert names <= {"none", *FRAUD_TYPES}
    for frame, col in ((ds.tables["posts"], "posted_at"), (ds.tables["comments"],
                                                          "created_at"), (acc, "created_at")):
        assert frame[col].min() >= pd.Timestamp(EARLIEST, tz="UTC")
        assert frame[col].max() < pd.Timestamp("2026-11-01", tz="UTC")


def test_label_noise_flips_the_requested_share(tmp_path: Path) -> None:
    simulate(tmp_path / "ds", accounts=600, days=14, seed=2, label_noise=0.2)
    lab = load_dataset(tmp_path / "ds").tables["labels"]
    flipped = lab["label_flipped"].astype(bool).to_numpy()
    assert 0.15 < flipped.mean() < 0.25
    types = lab["fraud_type"].astype(str).to_numpy()
    fake = lab["is_fake"].to_numpy(dtype=int) == 1
    assert (types[flipped & fake] == "fake").all()
    assert (types[flipped & ~fake] == "none").all()
    assert (types[~flipped & ~fake] == "none").all()


def test_bad_arguments_are_user_errors(tmp_path: Path) -> None:
    from fakedetect.errors import UserError

    with pytest.raises(UserError, match="difficulty"):
        simulate(tmp_path, accounts=5, difficulty="medium")
    with pytest.raises(UserError, match="fraud-rate"):
        simulate(tmp_path, accounts=5, fraud_rate=1.5)
    with pytest.raises(UserError, match="days"):
        simulate(tmp_path, accounts=5, days=3)
    with pytest.raises(UserError, match="not in the past"):
        simulate(tmp_path, accounts=5, end_date="2999-01-01")


def test_cli_writes_a_valid_dataset(tmp_path: Path) -> None:
    from fakedetect.cli import main

    out = tmp_path / "cli"
    assert main(["simulate", "--accounts", "30", "--days", "14", "--seed", "4", "--out",
                 str(out), "--format", "jsonl", "--difficulty", "hard"]) == 0
    assert main(["validate", str(out)]) == 0
    assert main(["simulate", "--accounts", "30", "--out", str(out), "--format", "xls"]) == 2


# ------------------------------------------------------------------------ fraud traces


def test_bought_followers_leave_a_step_above_the_usual_daily_change(block: Block) -> None:
    f = _followers(block)
    change = np.diff(f, axis=1)
    typical = np.median(np.abs(change), axis=1) + 1
    rows = np.flatnonzero(_has(block, "bought_followers"))
    assert len(rows) > 40
    first = block.truth["first_buy"][rows]
    step = np.asarray([change[r, max(t - 1, 0):t + 3].max() for r, t in zip(rows, first,
                                                                              strict=True)])
    ratio = step / typical[rows]
    # The smallest purchases (a few % spread over up to 3 days) on accounts that post
    # often stand out less; every one still beats the usual change.
    assert (ratio > 2).all()
    assert np.median(ratio) > 20
    # The bought followers are fake: the true fake share rises above the genuine one.
    genuine = ~block.truth["is_fake"]
    assert (np.median(block.truth["fake_share_end"][rows])
            > np.median(block.truth["fake_share_end"][genuine]) + 0.05)


def test_drip_feeding_grows_steadily_without_a_big_step(block: Block) -> None:
    f = _followers(block)
    growth = f[:, -1] / f[:, 0]
    change = np.diff(f, axis=1)
    jump = change.max(axis=1) / (np.median(np.abs(change), axis=1) + 1)
    drip, bought = _only(block, "drip_followers"), _only(block, "bought_followers")
    genuine = ~block.truth["is_fake"]
    assert drip.sum() >= 8
    assert np.median(growth[drip]) > np.median(growth[genuine]) + 0.05
    assert np.median(jump[drip]) < np.median(jump[bought])


def test_bought_likes_collapse_the_comment_to_like_ratio(block: Block) -> None:
    posts = _frame(block, "posts")
    boosted = block.truth["boosted"]
    has = _has(block, "bought_likes")[posts["row"].to_numpy()]
    ratio = posts["comments"] / posts["likes"].clip(lower=1)
    with_likes = posts["likes"].to_numpy() >= 20
    on = ratio[boosted & with_likes].median()
    off = ratio[has & ~boosted & with_likes].median()
    assert on < off / 1.5


def _reuse(b: Block, rows: np.ndarray) -> float:
    """Share of sampled comments whose author comments on 3+ posts of the account."""
    c = _frame(b, "comments")
    c = c[np.isin(c["row"].to_numpy(), np.flatnonzero(rows))]
    n_posts = c.groupby(["row", "commenter"], observed=True)["post_id"].transform("nunique")
    return float((n_posts >= 3).mean())


def test_pods_and_bought_comments_reuse_the_same_commenters(block: Block) -> None:
    genuine = ~block.truth["is_fake"]
    base = _reuse(block, genuine)
    assert _reuse(block, _only(block, "engagement_pod")) > base + 0.15
    assert _reuse(block, _only(block, "bought_comments")) > base + 0.05


def test_bought_comments_are_short_generic_and_in_bursts(block: Block) -> None:
    c = _frame(block, "comments")
    p = _frame(block, "posts")
    src = block.truth["comment_source"]
    bought = src == 2
    organic = src == 0
    assert bought.sum() > 100
    length = c["text"].astype(str).str.len().to_numpy()
    assert (length[bought] <= 12).mean() > 0.95
    assert (length[organic] <= 12).mean() < 0.75
    delay = (c["created_at"].to_numpy() - p["posted_at"].to_numpy()[
        block.truth["comment_post"]]) / np.timedelta64(1, "m")
    assert np.median(delay[bought]) < 30 < np.median(delay[organic])


def test_follow_unfollow_makes_following_oscillate(block: Block) -> None:
    g = np.asarray(block.tables["snapshots"]["following"]).reshape(N, -1).astype(float)
    swing = np.abs(np.diff(g, axis=1)).sum(axis=1) / g.mean(axis=1)
    fu, genuine = _only(block, "follow_unfollow"), ~block.truth["is_fake"]
    assert fu.sum() >= 8
    assert np.median(swing[fu]) > 2 * np.median(swing[genuine])


def test_bot_audience_has_low_engagement_and_fake_looking_followers(block: Block) -> None:
    posts = _frame(block, "posts")
    f_end = np.asarray(block.tables["accounts"]["followers"], dtype=float)
    er = (posts["likes"] + posts["comments"]) / f_end[posts["row"]]
    med = er.groupby(posts["row"]).median().reindex(range(N)).to_numpy()
    rel = med / tier_engagement(f_end)
    aud = _frame(block, "audience")
    no_pic = (1 - aud["has_profile_pic"].astype(float)).groupby(aud["row"]).mean().to_numpy()
    bot, genuine = _only(block, "bot_audience"), ~block.truth["is_fake"]
    assert bot.sum() >= 8
    assert np.nanmedian(rel[bot]) < 0.7 * np.nanmedian(rel[genuine])
    assert np.median(no_pic[bot]) > 2 * np.median(no_pic[genuine])
    assert np.median(block.truth["fake_share_end"][bot]) > d.FRAUD_INTENSITY[
        "bot_audience"][0]


def test_fraud_types_combine_patterns(block: Block) -> None:
    types = np.asarray(block.tables["labels"]["fraud_type"]).astype(str)
    fake = block.truth["is_fake"]
    assert (types[~fake] == "none").all()
    assert (types[fake] != "none").all()
    assert any("+" in t for t in types[fake])
    assert np.isin(["bought_followers", "bot_audience"],
                   [p for t in types for p in t.split("+")]).all()


# ------------------------------------------------------------- genuine confounders


def test_confounders_appear_at_their_documented_rates(genuine_block: Block) -> None:
    t = genuine_block.truth
    n = len(t["is_fake"])
    for name, rate in d.CONFOUNDER_RATES.items():
        observed = (t[f"conf_{name}"] >= 0).mean()
        sd = np.sqrt(rate * (1 - rate) / n)
        assert abs(observed - rate) < 4 * sd, name


def test_confounders_leave_their_trace(genuine_block: Block) -> None:
    b = genuine_block
    f = _followers(b)
    change = np.diff(f, axis=1)
    typical = np.median(np.abs(change), axis=1) + 1
    give = np.flatnonzero(b.truth["conf_giveaway"] >= 0)
    day = b.truth["conf_giveaway"][give]
    step = np.asarray([change[r, max(t - 1, 0):t + 3].max() for r, t in zip(give, day,
                                                                              strict=True)])
    assert np.median(step / typical[give]) > 10
    posts = _frame(b, "posts")
    start = pd.Timestamp("2026-10-31", tz="UTC") - pd.Timedelta(days=179)
    day = (posts["posted_at"].dt.floor("D") - start).dt.days.to_numpy()
    per_row = posts.groupby("row")["comments"].median().clip(lower=1)
    rows = posts["row"].to_numpy()
    is_give = b.truth["conf_giveaway"][rows] == day
    burst = posts["comments"].to_numpy()[is_give] / per_row[rows[is_give]].to_numpy()
    assert np.median(burst) > 3
    # A pause: no posts inside the long pause of 2-6 weeks.
    paused = np.flatnonzero(b.truth["conf_pause"] >= 0)
    counts = np.asarray(b.tables["snapshots"]["posts"]).reshape(len(f), -1)
    start = b.truth["conf_pause"][paused]
    within = counts[paused, np.minimum(start + 13, 179)] - counts[paused, start]
    assert (within == 0).mean() > 0.9


# ---------------------------------------------------------------------- calibration


def test_tier_engagement_medians_fall_inside_the_published_bands(genuine_block: Block) -> None:
    posts = _frame(genuine_block, "posts")
    f_end = np.asarray(genuine_block.tables["accounts"]["followers"], dtype=float)
    er = (posts["likes"] + posts["comments"]) / f_end[posts["row"]]
    med = er.groupby(posts["row"]).median()
    f = f_end[med.index.to_numpy()]
    for tier, (lo, hi, low, high) in TIER_BANDS.items():
        inside = (f >= lo) & (f < hi)
        assert inside.sum() > 50, tier
        assert low <= np.median(med.to_numpy()[inside]) <= high, tier


def test_posting_cadence_and_like_dispersion_follow_the_fit(genuine_block: Block) -> None:
    posts = _frame(genuine_block, "posts")
    epoch = pd.Timestamp("1970-01-01", tz="UTC")
    t = (posts["posted_at"] - epoch).dt.total_seconds().to_numpy() / 86400
    row = posts["row"].to_numpy()
    same = row[1:] == row[:-1]
    gap = np.diff(t)[same]
    gaps = pd.Series(gap).groupby(row[1:][same])
    med = gaps.median()[gaps.size() >= 10]
    own = genuine_block.truth["med_interval"][med.index.to_numpy()]
    assert abs(np.median(np.log(med.to_numpy() / own))) < 0.3
    # The fit pools real accounts' last posts, so each account weighs about the same.
    burst = pd.Series(gap < 0.25).groupby(row[1:][same]).mean()
    assert abs(burst[gaps.size() >= 10].mean() - POSTS_FIT["burst_share"]) < 0.05
    assert (gap / genuine_block.truth["med_interval"][row[1:][same]] > 5).mean() > 0.05
    likes = np.log(posts["likes"].clip(lower=1))
    centre = likes.groupby(row).transform(
        lambda s: s.rolling(9, center=True, min_periods=3).median())
    resid = (likes - centre).groupby(row)
    sigma = resid.apply(lambda s: 1.4826 * (s - s.median()).abs().median())
    assert abs(np.log(sigma[sigma > 0]).median() - POSTS_FIT["like_sigma_log_mean"]) < 0.4
    ratio = (posts["comments"].groupby(row).sum() / posts["likes"].groupby(row).sum())
    assert abs(np.log(ratio[ratio > 0]).median() - POSTS_FIT["comment_ratio_log_mean"]) < 0.3


def test_fitted_literals_match_a_fresh_fit(shared_data: Path) -> None:
    from fakedetect.simulate.fit import fit_all

    fitted = fit_all(shared_data)
    for key, value in POSTS_FIT.items():
        assert fitted["posts"][key] == pytest.approx(value, abs=1e-3), key
    for comp, params in PROFILE_COMPONENTS.items():
        for key, value in params.items():
            assert np.allclose(fitted["profiles"][comp][key], value, atol=1e-3), (comp, key)


# --------------------------------------------------------------------------- honesty


@pytest.fixture(scope="module")
def honesty(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Honesty]:
    from fakedetect.simulate.honesty import measure

    out = {}
    for level in ("easy", "realistic", "hard"):
        path = tmp_path_factory.mktemp(level)
        simulate(path, accounts=1000, days=90, seed=21, difficulty=level)
        out[level] = measure(path, folds=3, max_iter=60)
    return out


def test_no_single_raw_signal_separates_the_classes_on_realistic(
        honesty: dict[str, Honesty]) -> None:
    from fakedetect.simulate.honesty import MAX_SINGLE_AUC

    h = honesty["realistic"]
    assert len(h.aucs) >= 15
    assert h.aucs["auc"].max() <= MAX_SINGLE_AUC
    # ... while the signals together are still learnable,
    assert h.combined_auc > h.aucs["auc"].max() + 0.05
    # and some fraud is subtle enough to be missed.
    assert 0.2 < h.recall_at_5pct_fpr < 0.9


def test_difficulty_moves_the_overlap(honesty: dict[str, Honesty]) -> None:
    easy, real, hard = (honesty[k].combined_auc for k in ("easy", "realistic", "hard"))
    assert easy > real > hard
