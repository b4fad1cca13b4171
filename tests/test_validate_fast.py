"""The Arrow fast path of validation gives exactly what the general path gives.

Every case loads one dataset twice, once with the fast path (``validate.load.FAST``) and once
through the general path only, and compares the outcomes: the typed frames (values,
dtypes, categories, Arrow storage of text), the rejects and problems of lenient mode, or
every problem group of a failure (rule, rows, columns, counts, examples, accounts,
message). Cases also assert which tables took the general path, so a case that should
exercise the fast path cannot silently fall back.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from fakedetect.contract import TABLES
from fakedetect.io import FileError, RawTable, write_table
from fakedetect.simulate import simulate
from fakedetect.validate import (
    ContractError,
    Dataset,
    ProblemGroup,
    arrow,
    load,
    load_dataset,
    problems,
)

NOW = pd.Timestamp("2027-01-01", tz="UTC")
NAMES = ("accounts", "snapshots", "posts", "comments", "audience", "labels")
Tables = dict[str, pa.Table]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Tables:
    """A small simulated dataset as Arrow tables (the simulator's own Parquet types)."""
    folder = tmp_path_factory.mktemp("sim")
    simulate(folder, accounts=300, days=60, seed=11)
    return {n: pq.read_table(folder / f"{n}.parquet") for n in NAMES}


def write(folder: Path, tables: Tables, **options: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        pq.write_table(table, folder / f"{name}.parquet", **options)  # type: ignore[arg-type]
    return folder


def with_column(table: pa.Table, name: str, values: object,
                type: pa.DataType | None = None) -> pa.Table:
    """``table`` with column ``name`` replaced (or appended) by ``values``."""
    arr = values if isinstance(values, pa.Array | pa.ChunkedArray) else pa.array(
        values, type=type if type is not None else (
            table.schema.field(name).type if name in table.column_names else None))
    if name in table.column_names:
        return table.set_column(table.column_names.index(name), name, arr)
    return table.append_column(name, arr)


def with_cells(table: pa.Table, name: str, cells: dict[int, object]) -> pa.Table:
    """``table`` with some cells of column ``name`` changed (same Arrow type)."""
    values = table.column(name).to_pylist()
    for row, value in cells.items():
        values[row] = value
    return with_column(table, name, values)


def take(table: pa.Table, order: np.ndarray) -> pa.Table:
    return table.take(pa.array(order))


# ------------------------------------------------------------------------ comparison


def run(path: Path, monkeypatch: pytest.MonkeyPatch, *, fast: bool,
        lenient: bool = False) -> tuple[Dataset | ContractError, list[str]]:
    """Load ``path``; return the dataset or the error, and the tables typed generally."""
    general: list[str] = []
    real = load.check_table

    def spy(raw, table, sink, now):  # type: ignore[no-untyped-def]
        general.append(table.name)
        return real(raw, table, sink, now)

    monkeypatch.setattr(load, "check_table", spy)
    monkeypatch.setattr(load, "FAST", fast)
    try:
        out: Dataset | ContractError = load_dataset(path, lenient=lenient, now=NOW)
    except ContractError as exc:
        out = exc
    finally:
        monkeypatch.setattr(load, "check_table", real)
    return out, general


def assert_same_groups(fast: list[ProblemGroup], general: list[ProblemGroup]) -> None:
    assert [g.key for g in fast] == [g.key for g in general]
    for f, g in zip(fast, general, strict=True):
        assert f == g  # rule, column, scope, count, examples (rows, messages), expected
        if g.accounts is None:
            assert f.accounts is None
        else:
            assert f.accounts is not None
            pd.testing.assert_frame_equal(f.accounts, g.accounts, check_exact=True)
        if g.loose_rows is None:
            assert f.loose_rows is None
        else:
            assert f.loose_rows is not None
            np.testing.assert_array_equal(f.loose_rows, g.loose_rows)


def assert_same_frames(fast: Dataset, general: Dataset) -> None:
    assert list(fast.tables) == list(general.tables)
    for name, g in general.tables.items():
        f = fast.tables[name]
        pd.testing.assert_frame_equal(f, g, check_exact=True, check_categorical=True,
                                      obj=name)
        for col in g.columns:
            assert f[col].dtype == g[col].dtype, (name, col)
            if isinstance(g[col].dtype, pd.StringDtype):
                assert pa.array(f[col].array).type == pa.array(g[col].array).type
            if isinstance(g[col].dtype, pd.CategoricalDtype):
                assert f[col].cat.categories.dtype == g[col].cat.categories.dtype
                assert f[col].cat.codes.dtype == g[col].cat.codes.dtype
    pd.testing.assert_frame_equal(fast.rejects, general.rejects, check_exact=True)
    assert fast.files == general.files
    assert_same_groups(fast.problems, general.problems)


def compare(path: Path, monkeypatch: pytest.MonkeyPatch, *, lenient: bool = False
            ) -> tuple[Dataset | ContractError, list[str]]:
    """Load both ways, assert the outcomes are identical; return the fast outcome and
    the tables the fast run sent to the general path."""
    fast, general_tables = run(path, monkeypatch, fast=True, lenient=lenient)
    general, _ = run(path, monkeypatch, fast=False, lenient=lenient)
    if isinstance(general, ContractError):
        assert isinstance(fast, ContractError), "the fast path accepted invalid data"
        assert str(fast) == str(general)
        assert fast.hint == general.hint
        assert_same_groups(fast.groups, general.groups)
    else:
        assert isinstance(fast, Dataset), f"the fast path rejected valid data: {fast}"
        assert_same_frames(fast, general)
    return fast, general_tables


# ------------------------------------------------------------------------ valid data


def test_simulated_parquet_takes_the_fast_path_and_matches(
        base: Tables, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out, general = compare(write(tmp_path / "d", base), monkeypatch)
    assert isinstance(out, Dataset) and general == []
    assert len(out.tables["snapshots"]) == base["snapshots"].num_rows


def test_parquet_written_by_pandas_takes_the_fast_path(
        base: Tables, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    nullable = {pa.int8(): pd.Int8Dtype(), pa.int32(): pd.Int32Dtype(),
                pa.int64(): pd.Int64Dtype()}
    for name, table in base.items():  # with pandas metadata; missing ints stay ints
        table.to_pandas(types_mapper=nullable.get).to_parquet(folder / f"{name}.parquet")
    out, general = compare(folder, monkeypatch)
    assert isinstance(out, Dataset) and general == []


def test_typed_frames_written_back_take_the_fast_path(
        base: Tables, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What importers and the scale partitioner write (``write_table`` of typed frames:
    nanosecond UTC times, 64-bit integers, categorical ids) loads the same again."""
    loaded = load_dataset(write(tmp_path / "a", base), now=NOW)
    folder = tmp_path / "b"
    for name, frame in loaded.tables.items():
        write_table(frame, folder / f"{name}.parquet")
    out, general = compare(folder, monkeypatch)
    assert isinstance(out, Dataset) and general == []
    for name, frame in loaded.tables.items():
        pd.testing.assert_frame_equal(out.tables[name], frame, check_exact=True)


def test_many_row_groups_and_dictionaries_per_chunk(
        base: Tables, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out, general = compare(write(tmp_path / "d", base, row_group_size=777), monkeypatch)
    assert isinstance(out, Dataset) and general == []


def test_missing_values_where_allowed_stay_on_the_fast_path(
        base: Tables, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    t = dict(base)
    t["snapshots"] = with_cells(t["snapshots"], "following", {0: None, 5: None})
    t["posts"] = with_cells(t["posts"], "views", {1: None})
    t["posts"] = with_cells(t["posts"], "is_sponsored", {2: None})
    t["comments"] = with_cells(t["comments"], "created_at", {3: None})
    t["comments"] = with_cells(t["comments"], "text", {4: None})
    t["audience"] = with_cells(t["audience"], "has_profile_pic", {5: None})
    t["accounts"] = with_cells(t["accounts"], "niche", {6: None})
    t["accounts"] = with_cells(t["accounts"], "username", {7: None})
    t["accounts"] = with_column(t["accounts"], "avg_hashtags",
                                [None if i % 3 else 1.5 * i for i in range(300)],
                                pa.float32())
    t["accounts"] = with_column(t["accounts"], "post_similarity",
                                [float("nan") if i % 2 else 0.5 for i in range(300)],
                                pa.float64())
    t["posts"] = with_column(t["posts"], "caption_length",
                             pa.nulls(t["posts"].num_rows, pa.int64()))
    out, general = compare(write(tmp_path / "d", t), monkeypatch)
    assert isinstance(out, Dataset) and general == []
    assert out.tables["accounts"]["username_length"].isna().sum() == 1


def test_other_storage_types_of_valid_values(
        base: Tables, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Naive times, a date stored as a timestamp with a time of day, 64-bit and
    unsigned integers, plain (not dictionary) ids, and extra columns of every kind."""
    t = dict(base)
    posted = t["posts"].column("posted_at").cast(pa.timestamp("us"))
    t["posts"] = with_column(t["posts"], "posted_at", posted)
    day = t["snapshots"].column("date").cast(pa.timestamp("s", tz="UTC"))
    hours = pa.array(np.arange(t["snapshots"].num_rows) % 24 * 3600, pa.duration("s"))
    day = pc.add(day, hours)
    t["snapshots"] = with_column(t["snapshots"], "date", day)
    t["snapshots"] = with_column(t["snapshots"], "followers",
                                 t["snapshots"].column("followers").cast(pa.int64()))
    t["audience"] = with_column(t["audience"], "posts",
                                t["audience"].column("posts").cast(pa.uint32()))
    t["comments"] = with_column(t["comments"], "account_id",
                                t["comments"].column("account_id").cast(pa.string()))
    t["comments"] = with_column(t["comments"], "commenter",
                                t["comments"].column("commenter").cast(pa.large_string()))
    n = t["audience"].num_rows
    t["audience"] = with_column(t["audience"], "note", [None, "x"] * (n // 2) + ["y"] * (n % 2))
    t["audience"] = with_column(t["audience"], "tags", [[1, 2]] * n)
    t["audience"] = with_column(t["audience"], "seen", pa.array(
        np.full(n, 1_700_000_000_000, dtype=np.int64), pa.timestamp("ms", tz="Europe/Paris")))
    out, general = compare(write(tmp_path / "d", t), monkeypatch)
    assert isinstance(out, Dataset) and general == []
    assert (out.tables["snapshots"]["date"].dt.hour == 0).all()
    assert list(out.tables["audience"].columns[-3:]) == ["note", "tags", "seen"]


def test_typed_columns_can_be_changed_in_place(
        base: Tables, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Arrow hands out read-only views of its memory; the frames must not hold them."""
    t = dict(base)
    t["accounts"] = with_column(t["accounts"], "avg_hashtags", [2.0] * 300, pa.float64())
    t["accounts"] = with_column(t["accounts"], "bio_length",
                                t["accounts"].column("bio_length").cast(pa.int64()))
    t["snapshots"] = with_column(t["snapshots"], "date",
                                 t["snapshots"].column("date").cast(pa.timestamp("ns")))
    out, general = run(write(tmp_path / "d", t), monkeypatch, fast=True)
    assert isinstance(out, Dataset) and general == []
    for name, frame in out.tables.items():
        for col in frame.columns:
            if isinstance(frame[col].dtype, pd.StringDtype | pd.CategoricalDtype):
                continue
            frame.loc[0, col] = frame.loc[1, col]  # raises on a read-only array
            first, second = frame[col].iloc[0], frame[col].iloc[1]
            assert (pd.isna(first) and pd.isna(second)) or first == second, (name, col)


def test_ids_with_spaces_are_stripped_like_the_general_path(
        base: Tables, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    t = dict(base)
    ids = t["snapshots"].column("account_id").to_pylist()
    ids = [f" {a}\t" if i % 7 == 0 else a for i, a in enumerate(ids)]
    # dictionary entries "a" and " a\t" are one id once stripped
    t["snapshots"] = with_column(t["snapshots"], "account_id", ids)
    post = t["comments"].column("post_id").to_pylist()
    t["comments"] = with_column(t["comments"], "post_id", [p + " " for p in post])
    out, general = compare(write(tmp_path / "d", t), monkeypatch)
    assert isinstance(out, Dataset) and general == []


def test_unordered_rows_are_checked_and_sorted(
        base: Tables, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Accounts interleaved (days still ascending per account), rows shuffled: valid,
    the one-pass proofs fail and the general checks decide."""
    rng = np.random.default_rng(5)
    t = dict(base)
    snaps = t["snapshots"]
    by_day = np.lexsort((np.arange(snaps.num_rows),
                         snaps.column("date").cast(pa.int32()).to_numpy()))
    t["snapshots"] = take(snaps, by_day)
    for name in ("accounts", "posts", "comments", "audience", "labels"):
        t[name] = take(t[name], rng.permutation(t[name].num_rows))
    out, general = compare(write(tmp_path / "d", t), monkeypatch)
    assert isinstance(out, Dataset) and general == []


def test_small_key_batches(base: Tables, tmp_path: Path,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(arrow, "KEY_BATCH", 37)
    out, general = compare(write(tmp_path / "ok", base), monkeypatch)
    assert isinstance(out, Dataset) and general == []
    t = dict(base)
    aud = t["audience"]
    last = aud.num_rows - 1  # a repeat inside the last account, in a late batch
    t["audience"] = with_cells(aud, "follower_username",
                               {last: aud.column("follower_username")[last - 3].as_py()})
    out, _ = compare(write(tmp_path / "bad", t), monkeypatch)
    assert isinstance(out, ContractError)
    assert [(g.table, g.rule, g.count) for g in out.groups] == [
        ("audience", "duplicate key", 1)]


# ---------------------------------------------------------------------- invalid data


def _break(t: Tables) -> None:
    t["snapshots"] = with_cells(t["snapshots"], "followers", {3: None, 40: -5})
    t["audience"] = with_cells(t["audience"], "followers", {10: -1})
    t["labels"] = with_cells(t["labels"], "is_fake", {2: 2})
    t["posts"] = with_column(t["posts"], "likes",
                             t["posts"].column("likes").cast(pa.int64()))
    t["posts"] = with_cells(t["posts"], "likes", {0: 2**53 + 1, 1: 2**60, 2: -(2**60)})
    t["posts"] = with_cells(t["posts"], "posted_at", {5: pd.Timestamp("2001-02-03", tz="UTC")})
    t["comments"] = with_cells(t["comments"], "created_at",
                               {6: pd.Timestamp("2100-01-01", tz="UTC")})
    t["accounts"] = with_column(t["accounts"], "share_empty_captions",
                                [1.5 if i == 4 else (float("inf") if i == 9 else 0.25)
                                 for i in range(300)])


CASES: dict[str, Callable[[Tables], None]] = {
    "nulls, ranges, too large, times, infinite": _break,
    "integer too large, alone": lambda t: t.update(posts=with_cells(with_column(
        t["posts"], "likes", t["posts"].column("likes").cast(pa.int64())),
        "likes", {0: 2**53 + 1, 1: 2**60})),
    "infinite number, alone": lambda t: t.update(accounts=with_column(
        t["accounts"], "avg_hashtags", [float("inf") if i == 9 else 2.0 for i in range(300)])),
    "missing required numbers and times, alone": lambda t: t.update(
        snapshots=with_cells(t["snapshots"], "followers", {3: None}),
        audience=with_cells(t["audience"], "has_profile_pic", {4: None}),
        posts=with_cells(t["posts"], "posted_at", {5: None})),
    "blank account id, alone": lambda t: t.update(
        comments=with_cells(t["comments"], "account_id", {1: " "})),
    "missing account id in a dictionary": lambda t: t.update(
        comments=with_cells(t["comments"], "account_id", {0: None})),
    "missing account id in plain text": lambda t: t.update(audience=with_cells(
        with_column(t["audience"], "account_id",
                    t["audience"].column("account_id").cast(pa.string())),
        "account_id", {2: None})),
    "missing required value in a text key": lambda t: t.update(audience=with_cells(
        t["audience"], "follower_username", {7: None, 8: "   "})),
    "blank and missing ids": lambda t: t.update(
        posts=with_cells(t["posts"], "post_id", {3: "  "}),
        comments=with_cells(t["comments"], "account_id", {0: None, 1: " "})),
    "duplicate keys": lambda t: t.update(
        snapshots=take(t["snapshots"], np.insert(np.arange(t["snapshots"].num_rows), 9, 8)),
        posts=with_cells(t["posts"], "post_id",
                         {4: t["posts"].column("post_id")[3].as_py()}),
        audience=with_cells(t["audience"], "follower_username",
                            {20: t["audience"].column("follower_username")[60].as_py()}),
        accounts=take(t["accounts"], np.append(np.arange(300), 17)),
        labels=take(t["labels"], np.append(np.arange(300), 17))),
    "unsorted snapshot days": lambda t: t.update(snapshots=take(
        t["snapshots"], np.r_[0:10, 11, 10, 12:t["snapshots"].num_rows])),
    "unknown accounts and posts": lambda t: t.update(
        snapshots=with_cells(t["snapshots"], "account_id", {30: "ghost", 31: "ghost"}),
        comments=with_cells(t["comments"], "post_id", {2: "no-such-post"})),
    # the accounts or the posts take the general path, the others the fast one: ids are
    # numbered (and comments matched to posts) on either side of that line
    "unknown ids, accounts on the general path": lambda t: t.update(
        accounts=with_cells(t["accounts"], "followers", {5: -3}),
        snapshots=with_cells(t["snapshots"], "account_id", {30: "ghost"}),
        comments=with_cells(t["comments"], "post_id", {2: "no-such-post"})),
    "unknown ids, posts on the general path": lambda t: t.update(
        posts=with_cells(t["posts"], "likes", {6: -1}),
        audience=with_cells(t["audience"], "account_id", {12: "ghost"}),
        comments=with_cells(t["comments"], "post_id", {2: "no-such-post"})),
    "wrong Arrow types": lambda t: t.update(
        snapshots=with_column(t["snapshots"], "followers",
                              t["snapshots"].column("followers").cast(pa.string())),
        audience=with_column(t["audience"], "is_private",
                             t["audience"].column("is_private").cast(pa.int8())),
        posts=with_column(t["posts"], "posted_at",
                          t["posts"].column("posted_at").cast(pa.string())),
        labels=with_column(t["labels"], "is_fake",
                           t["labels"].column("is_fake").cast(pa.float64()))),
    "a time zone other than UTC": lambda t: t.update(posts=with_column(
        t["posts"], "posted_at",
        t["posts"].column("posted_at").cast(pa.timestamp("ms", tz="Europe/Paris")))),
    "wrong type in a bad cell": lambda t: t.update(comments=with_column(
        t["comments"], "created_at",
        ["not a time" if i == 3 else "2026-09-01T10:00:00Z"
         for i in range(t["comments"].num_rows)], pa.string())),
}


@pytest.mark.parametrize("case", list(CASES))
def test_invalid_data_gives_the_same_problems(
        case: str, base: Tables, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    t = dict(base)
    CASES[case](t)
    path = write(tmp_path / "d", t)
    out, general = compare(path, monkeypatch)
    if case.startswith("unknown ids, "):  # only the table named took the general path
        assert general == [case.split(", ")[1].split()[0]]
    if case in {"wrong Arrow types", "a time zone other than UTC"}:
        return  # valid values in another storage type: the general path reads them
    assert isinstance(out, ContractError) and out.groups


@pytest.mark.parametrize("case", ["nulls, ranges, too large, times, infinite",
                                  "duplicate keys", "unknown accounts and posts",
                                  "blank and missing ids", "missing account id in plain text",
                                  "unknown ids, accounts on the general path",
                                  "unknown ids, posts on the general path"])
def test_lenient_mode_drops_the_same_accounts(
        case: str, base: Tables, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    t = dict(base)
    CASES[case](t)
    out, general = compare(write(tmp_path / "d", t), monkeypatch, lenient=True)
    assert isinstance(out, Dataset) and len(out.rejects) > 0
    if case != "nulls, ranges, too large, times, infinite":  # that one spoils every table
        assert len(general) < len(NAMES)  # clean tables still took the fast path


def test_problem_tables_go_to_the_general_path_clean_ones_do_not(
        base: Tables, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    t = dict(base)
    t["audience"] = with_cells(t["audience"], "followers", {10: -1})
    _, general = compare(write(tmp_path / "d", t), monkeypatch)
    assert general == ["audience"]


# ------------------------------------------------------------------- file layouts


def test_layouts_pandas_would_change_are_converted_at_once(
        base: Tables, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stored pandas index, a column name with spaces: read as before."""
    folder = write(tmp_path / "d", base)
    snaps = base["snapshots"].to_pandas()
    snaps.index = pd.Index(np.random.default_rng(1).permutation(len(snaps)))
    snaps.to_parquet(folder / "snapshots.parquet")  # the index is stored as a column
    posts = base["posts"].to_pandas(types_mapper={pa.int32(): pd.Int32Dtype()}.get)
    posts.index = pd.RangeIndex(5, 5 + 2 * len(posts), 2)  # kept as metadata only
    posts.to_parquet(folder / "posts.parquet")
    aud = base["audience"].rename_columns(
        [" followers " if c == "followers" else c for c in base["audience"].column_names])
    pq.write_table(aud, folder / "audience.parquet")
    out, general = compare(folder, monkeypatch)
    assert isinstance(out, Dataset)
    assert sorted(general) == ["audience", "snapshots"]


def test_unreadable_and_empty_tables(base: Tables, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write(tmp_path / "d", base)
    pq.write_table(base["posts"].slice(0, 0), folder / "posts.parquet")
    dup = pa.DictionaryArray.from_arrays(pa.array([0, 1, 0], pa.int32()),
                                         pa.array(["a", "b", "a"]))
    comments = base["comments"].slice(0, 3).append_column("kind", dup)
    pq.write_table(comments, folder / "comments.parquet")
    out, _ = compare(folder, monkeypatch)
    assert isinstance(out, ContractError)
    assert ("posts", "empty file", None) in [g.key for g in out.groups]


def test_dictionaries_pandas_cannot_read_are_left_to_the_general_path(
        base: Tables, tmp_path: Path) -> None:
    """Parquet writers that keep duplicate or missing dictionary values (Arrow's own does
    not) make pandas fail; the fast path must not accept what the general path cannot
    read."""
    comments = base["comments"].slice(0, 3)
    for dictionary in (["a", "b", "a"], ["a", None, "b"]):
        text = pa.DictionaryArray.from_arrays(pa.array([0, 1, 2], pa.int32()),
                                              pa.array(dictionary))
        table = comments.set_column(comments.column_names.index("text"), "text", text)
        raw = RawTable(name="comments", path=tmp_path / "comments.parquet", fmt="parquet",
                       rows=np.arange(1, 4), arrow=table)
        assert arrow.check_arrow(raw, TABLES["comments"], problems.Collector(), NOW) is None
        with pytest.raises(FileError, match="a column cannot be read"):
            raw.frame  # noqa: B018


def test_a_present_without_time_zone_is_refused_alike(
        base: Tables, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "d", base)
    errors = []
    for fast in (True, False):
        monkeypatch.setattr(load, "FAST", fast)
        with pytest.raises(TypeError) as exc:
            load_dataset(path, now=pd.Timestamp("2027-01-01"))
        errors.append(str(exc.value))
    assert errors[0] == errors[1]


# ------------------------------------------------------------------------ helpers


def test_in_order_matches_a_stable_sort() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(0, 12))
        codes = np.sort(rng.integers(0, 3, n)) if rng.random() < 0.6 else rng.integers(0, 3, n)
        when = rng.integers(0, 4, n).astype(np.int64)
        if rng.random() < 0.5:
            when = when[np.lexsort((when, codes))]
        expected = np.array_equal(np.lexsort((when, codes)), np.arange(n))
        assert load.in_order(codes, when) == expected
        assert load.in_order(codes) == np.array_equal(
            np.argsort(codes, kind="stable"), np.arange(n))


@pytest.mark.parametrize("case", ["nulls, ranges, too large, times, infinite",
                                  "duplicate keys", "unknown accounts and posts",
                                  "wrong Arrow types", "wrong type in a bad cell"])
def test_tables_read_side_by_side_report_in_table_order(
        case: str, base: Tables, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    t = dict(base)
    CASES[case](t)
    path = write(tmp_path / "d", t)
    (path / "labels.parquet").write_bytes(b"PAR1 not really")  # an unreadable file too
    outcomes = []
    for threads in (1, 3):
        try:
            outcomes.append(load_dataset(path, now=NOW, n_jobs=threads))
        except ContractError as exc:
            outcomes.append(exc)
    one, many = outcomes
    assert isinstance(one, ContractError) and isinstance(many, ContractError)
    assert str(one) == str(many)
    assert_same_groups(many.groups, one.groups)


def _distinct(starts: np.ndarray, text: pa.ChunkedArray) -> bool:
    """The text key proof for rows whose accounts begin at ``starts``."""
    codes = np.zeros(len(text), dtype=np.int64)
    codes[starts[starts < len(text)]] = 1
    return arrow._text_keys_distinct(np.cumsum(codes), starts, text)


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_texts_distinct_in_segments(kind: pa.DataType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(arrow, "KEY_BATCH", 3)  # accounts spread over several batches
    texts = ["", "a", "ab", "ba", "é", "e\u0301", "☃", "a", "", "x" * 300, "ab", "zz"]
    arr = pa.chunked_array([pa.array(texts[:5], type=kind), pa.array(texts[5:], type=kind)])
    codes = np.repeat(np.arange(6), 2)  # pairs: (,a) (ab,ba) (é,é') (☃,a) (,x..) (ab,zz)
    starts = np.flatnonzero(codes[1:] != codes[:-1]) + 1
    assert _distinct(starts, arr)
    same = pa.chunked_array([pa.array(["q", "w", "w", "e"], type=kind)])
    assert not _distinct(np.array([1, 3]), same)
    assert not _distinct(np.array([2]), same.slice(1, 3))
    assert _distinct(np.array([2]), same)  # q,w | w,e


@pytest.mark.parametrize("seed", range(6))
def test_texts_distinct_across_chunk_boundaries(seed: int) -> None:
    """Accounts may run over Arrow chunk boundaries (even over whole chunks): the proof
    chunk by chunk agrees with counting the pairs."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    codes = np.sort(rng.integers(0, max(1, n // int(rng.integers(1, 40))), n))
    texts = [f"u{v}" for v in rng.integers(0, 3 * n if seed % 2 else 40 * n, n)]
    cuts = np.unique(np.concatenate([[0, n], rng.integers(0, n + 1, int(rng.integers(0, 9)))]))
    kind = pa.string() if seed % 3 else pa.large_string()
    arr = pa.chunked_array([pa.array(texts[a:b], type=kind) for a, b in pairwise(cuts)]
                           + [pa.array([], type=kind)], type=kind)
    starts = np.flatnonzero(codes[1:] != codes[:-1]) + 1
    expected = len(set(zip(codes.tolist(), texts, strict=True))) == n
    assert _distinct(starts, arr) == expected
    # a repeat placed on both sides of each boundary is always found
    for cut in cuts[1:-1]:
        if 0 < cut < n and codes[cut - 1] == codes[cut]:
            twin = texts.copy()
            twin[cut] = twin[cut - 1]
            again = pa.chunked_array([pa.array(twin[a:b], type=kind)
                                      for a, b in pairwise(cuts)], type=kind)
            assert not _distinct(starts, again)


def test_many_equal_texts_in_one_account_are_settled_at_once() -> None:
    import time

    arr = pa.chunked_array([pa.array([""] * 3_000 + ["a", "b"])])
    started = time.perf_counter()
    assert not _distinct(np.array([3_001]), arr)
    assert time.perf_counter() - started < 10  # a run of equal texts is not cubic
