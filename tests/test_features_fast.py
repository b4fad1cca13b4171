"""Fast paths of the feature code against their slow, obvious references."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from fakedetect.features import (
    audience_fake_share,
    build_features,
    rule_based_fake_probability,
)
from fakedetect.features.audience import (
    RULE_INPUTS,
    _sample_features,
    audience_profile_features,
)
from fakedetect.features.build import dataset_from_frames
from fakedetect.features.profile import username_shape
from fakedetect.features.registry import MIN_COMMENTS
from fakedetect.features.strings import arrow_string_parts, utf8_shape
from fakedetect.validate import Dataset

TRICKY = ["", None, "abc", "a1b2c3", "٣٤٥", "12٣", "😀1😀22", "é9", "0123456789",
          "  7 ", "x" * 300, "日本語123", None, "", "9"]


def _reference(arr: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Length and ASCII digits with pyarrow's own kernels."""
    length = pc.utf8_length(arr).to_numpy(zero_copy_only=False).astype(np.float64)
    digits = np.zeros(len(arr))
    for d in "0123456789":
        digits += np.nan_to_num(pc.count_substring(arr, pattern=d)
                                .to_numpy(zero_copy_only=False).astype(np.float64))
    return length, np.where(np.isnan(length), np.nan, digits)


def _check(arr: pa.Array | pa.ChunkedArray) -> None:
    got = utf8_shape(arr)
    want = _reference(arr)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == np.float64
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("typ", [pa.string(), pa.large_string()])
def test_utf8_shape_tricky_strings(typ: pa.DataType) -> None:
    arr = pa.array(TRICKY, type=typ)
    _check(arr)
    length, digits = utf8_shape(arr)
    assert length[TRICKY.index("٣٤٥")] == 3
    assert digits[TRICKY.index("٣٤٥")] == 0  # Arabic-Indic digits are not ASCII digits
    assert digits[TRICKY.index("😀1😀22")] == 3
    assert length[TRICKY.index("😀1😀22")] == 5
    assert np.isnan(length[1]) and np.isnan(digits[1])


@pytest.mark.parametrize("typ", [pa.string(), pa.large_string()])
def test_utf8_shape_slices_and_chunks(typ: pa.DataType) -> None:
    arr = pa.array(TRICKY, type=typ)
    for lo, hi in [(0, 0), (1, 2), (3, 9), (5, len(TRICKY)), (13, 14)]:
        _check(arr.slice(lo, hi - lo))
    chunked = pa.chunked_array([arr.slice(2, 5), arr.slice(0, 0), arr.slice(9), arr[:3]])
    _check(chunked)
    _check(chunked.slice(4, 7))
    _check(pa.chunked_array([], type=typ))
    _check(pa.array([None, None], type=typ))
    _check(pa.array(["", ""], type=typ))


def test_utf8_shape_random_strings() -> None:
    rng = np.random.default_rng(7)
    alphabet = [*"abz019_.", "٣", "é", "😀", "日"]
    values = ["".join(rng.choice(alphabet, size=rng.integers(0, 12)))
              if rng.random() > 0.1 else None for _ in range(2000)]
    arr = pa.array(values, type=pa.large_string())
    _check(arr)
    _check(pa.chunked_array([arr.slice(0, 777), arr.slice(777, 600), arr.slice(1377)]))


def test_username_shape_from_pandas() -> None:
    values = ["ab12", None, "٣x9", ""]
    want = (np.array([4.0, np.nan, 3.0, 0.0]), np.array([2.0, np.nan, 1.0, 0.0]))
    for dtype in ["string", "str", object, pd.StringDtype("python")]:
        got = username_shape(pd.Series(values, dtype=dtype))
        for g, w in zip(got, want, strict=True):
            np.testing.assert_array_equal(g, w)
    sliced = pd.Series(values * 3, dtype="string").iloc[3:9]
    np.testing.assert_array_equal(username_shape(sliced)[1],
                                  np.array([0.0, 2.0, np.nan, 1.0, 0.0, 2.0]))


def test_arrow_string_parts_keeps_chunks() -> None:
    chunked = pa.chunked_array([pa.array(["a", "b"]), pa.array(["c"])])
    out = arrow_string_parts(pd.arrays.ArrowStringArray(chunked.cast(pa.large_string())))
    assert isinstance(out, pa.ChunkedArray) and out.num_chunks == 2
    assert arrow_string_parts(pd.array([1, None], dtype="Int64")).to_pylist() == ["1", None]


def _audience_dataset(seed: int, shuffle: bool, unknown: bool) -> Dataset:
    rng = np.random.default_rng(seed)
    ids = [f"acc{i}" for i in range(40)]
    rows = 3000
    owner = np.sort(rng.integers(0, 40, size=rows))
    names = np.array([f"u{'7' * int(k)}{'٣' * int(j)}x" for k, j in
                      zip(rng.integers(0, 5, size=rows), rng.integers(0, 2, size=rows),
                          strict=True)], dtype=object)
    names[rng.random(rows) < 0.05] = None
    audience = pd.DataFrame({
        "account_id": np.array(ids, dtype=object)[owner],
        "follower_username": pd.array(names, dtype="string"),
        "followers": pd.array(rng.integers(0, 3000, size=rows), dtype="Int64"),
        "following": pd.array(np.where(rng.random(rows) < 0.05, None,
                                       rng.integers(0, 4000, size=rows)), dtype="Int64"),
        "posts": pd.array(rng.integers(0, 40, size=rows), dtype="Int64"),
        "has_profile_pic": pd.array(rng.random(rows) < 0.7, dtype="boolean"),
        "is_private": pd.array(rng.random(rows) < 0.3, dtype="boolean"),
        "bio_length": pd.array(rng.integers(0, 20, size=rows), dtype="Int64"),
    })
    if shuffle:
        audience = audience.iloc[rng.permutation(rows)].reset_index(drop=True)
    accounts = pd.DataFrame({"account_id": ids})
    dataset = dataset_from_frames({"accounts": accounts, "audience": audience})
    if unknown:  # rows whose account is not in the accounts table (code -1)
        table = dataset.tables["audience"]
        table["account_id"] = table["account_id"].where(rng.random(rows) >= 0.05)
    return dataset


def _slow_shares(audience: pd.DataFrame, ids: pd.Index) -> pd.Series:
    """Mean rule probability per account, row by row through the public functions."""
    known = audience[audience["account_id"].astype("string").isin(ids)]
    p = rule_based_fake_probability(audience_profile_features(known))
    return pd.Series(p).groupby(known["account_id"].astype(str).to_numpy()).mean()


@pytest.mark.parametrize(("shuffle", "unknown"), [(False, False), (True, True)])
@pytest.mark.parametrize("score_rows", [100_000, 701])
def test_audience_share_matches_row_by_row(monkeypatch: pytest.MonkeyPatch, shuffle: bool,
                                           unknown: bool, score_rows: int) -> None:
    monkeypatch.setattr("fakedetect.features.audience.SCORE_ROWS", score_rows)
    dataset = _audience_dataset(3, shuffle, unknown)
    out = audience_fake_share(dataset)
    want = _slow_shares(dataset.tables["audience"], dataset.account_ids.astype(str))
    got = out["fake_share"].dropna()
    assert len(got) == len(want) > 30
    np.testing.assert_allclose(got.to_numpy(), want.loc[got.index].to_numpy(), rtol=1e-12)


def test_audience_share_with_scorer_sees_all_features() -> None:
    dataset = _audience_dataset(5, True, True)
    seen: list[pd.DataFrame] = []

    def scorer(frame: pd.DataFrame) -> np.ndarray:
        seen.append(frame)
        return rule_based_fake_probability(frame)

    with_model = audience_fake_share(dataset, scorer)
    rule = audience_fake_share(dataset)
    np.testing.assert_allclose(with_model["fake_share"], rule["fake_share"], rtol=1e-12)
    frame = pd.concat(seen)
    known = dataset.tables["audience"]
    known = known[known["account_id"].astype("string").isin(dataset.account_ids)]
    ref = audience_profile_features(known)
    pd.testing.assert_frame_equal(frame, ref.drop(columns="account_id"))


def _comment_dataset(seed: int) -> Dataset:
    """Accounts with posts and comments in random order: repeated commenters, missing
    commenters, post ids and texts, comments on posts missing from the posts table."""
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp("2024-03-01", tz="UTC")
    ids = [f"acc{i:02d}" for i in range(30)]
    posts, comments = [], []
    for i, acc in enumerate(ids):
        n_posts = int(rng.integers(0, 8))
        for j in range(n_posts):
            posts.append({"account_id": acc, "post_id": f"p{j}",
                          "posted_at": t0 + pd.Timedelta(hours=int(rng.integers(0, 2000))),
                          "likes": int(rng.integers(0, 500))})
        for _ in range(int(rng.integers(0, 60)) if i % 7 else 0):
            comments.append({
                "account_id": acc,
                "post_id": None if rng.random() < 0.05 else f"p{rng.integers(0, n_posts + 2)}",
                "commenter": None if rng.random() < 0.05 else f"u{rng.integers(0, 12)}",
                "text": rng.choice(["nice", "Nice pic!", "🔥", "what a view", "", None]),
                "created_at": t0 + pd.Timedelta(minutes=int(rng.integers(0, 200_000)))})
    comments_frame = pd.DataFrame(comments).astype({"post_id": "string", "commenter": "string",
                                                    "text": "string"})
    comments_frame = comments_frame.sample(frac=1.0, random_state=seed)
    return dataset_from_frames({"accounts": pd.DataFrame({"account_id": ids,
                                                          "followers": 1000}),
                                "posts": pd.DataFrame(posts), "comments": comments_frame})


def _slow_comment_features(dataset: Dataset) -> pd.DataFrame:
    """Repeat-commenter share and commenter overlap, account by account in Python."""
    posts = dataset.tables["posts"].astype({"account_id": str})
    comments = dataset.tables["comments"].astype({"account_id": str})
    rows = {}
    for acc, com in comments.groupby("account_id"):
        ok = com[com["commenter"].notna() & com["post_id"].notna()]
        n_posts = ok.groupby("commenter")["post_id"].nunique()
        regular = ok["commenter"].map(n_posts) >= 3
        repeat = regular.mean() if len(ok) else np.nan
        times = posts[posts["account_id"] == acc].set_index("post_id")["posted_at"]
        on_post = ok[ok["post_id"].isin(times.index)]
        by_post = {p: set(c) for p, c in on_post.groupby("post_id")["commenter"]}
        ordered = times.loc[list(by_post)].sort_values(kind="stable").index
        num = den = 0
        for prev, cur in itertools.pairwise(by_post[p] for p in ordered):
            num += len(cur & prev)
            den += len(cur)
        rows[acc] = {"repeat": repeat, "overlap": num / den if den else np.nan,
                     "n": len(com)}
    return pd.DataFrame(rows).T


@pytest.mark.parametrize("seed", [1, 2])
def test_comment_features_match_python_reference(seed: int) -> None:
    dataset = _comment_dataset(seed)
    feats = build_features(dataset, block_rows=97)
    slow = _slow_comment_features(dataset)
    slow = slow[slow["n"] >= MIN_COMMENTS]
    assert len(slow) > 15
    got = feats.loc[slow.index]
    np.testing.assert_allclose(got["comments__repeat_commenter_share__min_posts_3"],
                               slow["repeat"].astype(float), rtol=1e-12)
    np.testing.assert_allclose(got["comments__commenter_overlap__previous_post"],
                               slow["overlap"].astype(float), rtol=1e-12)
    assert np.isfinite(slow["overlap"].astype(float)).sum() > 10


def test_blocks_and_threads_do_not_change_values() -> None:
    dataset = _comment_dataset(4)
    one = build_features(dataset)
    pd.testing.assert_frame_equal(build_features(dataset, block_rows=50, n_jobs=2), one,
                                  rtol=1e-12)


def test_rule_lookup_matches_the_formula() -> None:
    rng = np.random.default_rng(11)
    n = 5000

    def noisy(values: np.ndarray) -> np.ndarray:
        return np.where(rng.random(n) < 0.1, np.nan, values)

    frame = pd.DataFrame({
        "accounts__has_profile_pic": noisy(rng.integers(0, 2, n).astype(float)),
        "accounts__log_posts": noisy(np.log10(1 + rng.integers(0, 8, n))),
        "accounts__bio_length": noisy(rng.integers(0, 3, n).astype(float)),
        "accounts__log_following": noisy(np.log10(1 + rng.integers(0, 3000, n))),
        "accounts__follower_following_ratio__log": noisy(rng.normal(-0.5, 0.6, n)),
        "accounts__username_digits": noisy(rng.integers(0, 6, n).astype(float)),
    })
    got = rule_based_fake_probability(frame)
    f = {c: frame[c].to_numpy() for c in frame}
    with np.errstate(invalid="ignore"):
        points = (-3.0
                  + np.where(f["accounts__has_profile_pic"] == 0, 2.0, 0.0)
                  + np.where(f["accounts__log_posts"] < np.log10(4), 1.5, 0.0)
                  + np.where(f["accounts__bio_length"] == 0, 0.5, 0.0)
                  + np.where((f["accounts__log_following"] > np.log10(1001))
                             & (f["accounts__follower_following_ratio__log"] < np.log10(0.2)),
                             1.5, 0.0)
                  + np.where(f["accounts__follower_following_ratio__log"] < np.log10(0.5),
                             0.5, 0.0)
                  + np.where(f["accounts__username_digits"] >= 3, 0.7, 0.0))
    np.testing.assert_allclose(got, 1.0 / (1.0 + np.exp(-points)), rtol=1e-14)
    assert len(np.unique(got)) > 20
    # a missing column scores no points
    np.testing.assert_allclose(
        rule_based_fake_probability(frame.drop(columns="accounts__bio_length")),
        1.0 / (1.0 + np.exp(-(points - np.where(f["accounts__bio_length"] == 0, 0.5, 0.0)))),
        rtol=1e-14)


def test_profile_columns_subset_equals_full() -> None:
    dataset = _audience_dataset(9, False, False)
    audience = dataset.tables["audience"]
    full = audience_profile_features(audience)
    part = _sample_features(audience, 100, 2100, None, RULE_INPUTS)
    assert list(part) == list(RULE_INPUTS)
    for name, values in part.items():
        np.testing.assert_array_equal(values, full[name].to_numpy()[100:2100])
