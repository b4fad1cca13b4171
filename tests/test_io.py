"""Reading and writing tables: round trips through every format, row numbers, atomic writes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fakedetect import io as fio
from fakedetect.errors import UserError
from fakedetect.io import (
    FileError,
    atomic_path,
    find_tables,
    read_raw,
    write_table,
    write_text,
)
from fakedetect.validate import load_dataset


def typed_dataset(tmp_path: Path) -> dict[str, pd.DataFrame]:
    """Typed frames of a small dataset with missing values in every kind of column."""
    rng = np.random.default_rng(3)
    n = 5
    ids = [f"id{i}" for i in range(n)]
    d = tmp_path / "source"
    d.mkdir()
    write_table(pd.DataFrame({
        "account_id": ids,
        "platform": ["instagram", "instagram", None, "tiktok", "instagram"],
        "username": ["ann", "b0b", None, "NA", "élodie_99"],
        "followers": rng.integers(0, 10**6, n),
        "following": [1, None, 3, 4, 5],
        "has_profile_pic": [True, False, None, True, True],
        "created_at": ["2015-01-01T00:00:00Z", "2016-06-01T12:30:15Z", None,
                       "2020-02-29T23:59:59Z", "2021-01-01T00:00:00.250Z"],
        "niche": ["travel", "beauty", "travel", None, "fashion"],
        "like_rate_pct": [1.5, None, 0.25, 3.0, 0.0],
    }), d / "accounts.csv")
    write_table(pd.DataFrame({
        "account_id": np.repeat(ids, 3),
        "date": np.tile(["2024-01-01", "2024-01-02", "2024-01-05"], n),
        "followers": rng.integers(0, 10**6, 3 * n),
        "posts": [None, *range(3 * n - 1)],
    }), d / "snapshots.csv")
    write_table(pd.DataFrame({
        "account_id": ids,
        "is_fake": [0, 1, 0, 1, 1],
        "fraud_type": ["none", "bought_followers", "none", None, "bought_likes+bought_comments"],
    }), d / "labels.csv")
    return load_dataset(d).tables


@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl"])
def test_round_trip_keeps_typed_frames_identical(tmp_path: Path, fmt: str) -> None:
    tables = typed_dataset(tmp_path)
    out = tmp_path / fmt
    for name, frame in tables.items():
        write_table(frame, out / f"{name}.{fmt}")
    again = load_dataset(out).tables
    assert set(again) == set(tables)
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(again[name], frame, check_categorical=True,
                                      obj=f"{name}.{fmt}")


def test_round_trip_across_mixed_formats(tmp_path: Path) -> None:
    tables = typed_dataset(tmp_path)
    out = tmp_path / "mixed"
    for (name, frame), fmt in zip(tables.items(), ["parquet", "jsonl", "csv"], strict=True):
        write_table(frame, out / f"{name}.{fmt}")
    again = load_dataset(out).tables
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(again[name], frame, obj=name)


def test_typed_frames_have_the_contract_types(tmp_path: Path) -> None:
    acc = typed_dataset(tmp_path)["accounts"]
    assert str(acc["followers"].dtype) == "Int64" and acc["following"].isna().sum() == 1
    assert str(acc["has_profile_pic"].dtype) == "boolean"
    assert acc["has_profile_pic"].isna().sum() == 1
    assert str(acc["created_at"].dtype) == "datetime64[ns, UTC]"
    assert acc["created_at"].iloc[4] == pd.Timestamp("2021-01-01T00:00:00.250Z")
    assert isinstance(acc["niche"].dtype, pd.CategoricalDtype)
    assert acc["username"].iloc[3] == "NA"  # text, not a missing value
    assert acc["username"].isna().sum() == 1 and acc["username"].iloc[2] is pd.NA


def test_text_formats_write_utc_iso_timestamps(tmp_path: Path) -> None:
    frame = pd.DataFrame({"t": pd.to_datetime(["2024-05-01T12:30:00+02:00", None], utc=True),
                          "naive": pd.to_datetime(["2024-05-01 10:00", "2024-05-02 00:00"])})
    write_table(frame, tmp_path / "x.csv")
    assert (tmp_path / "x.csv").read_text().splitlines() == [
        "t,naive", "2024-05-01T10:30:00Z,2024-05-01T10:00:00Z", ",2024-05-02T00:00:00Z"]
    write_table(frame, tmp_path / "x.jsonl")
    assert (tmp_path / "x.jsonl").read_text().splitlines()[1] == (
        '{"t":null,"naive":"2024-05-02T00:00:00Z"}')


def test_unknown_output_format(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="unknown output format"):
        write_table(pd.DataFrame({"a": [1]}), tmp_path / "x.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_leaves_no_temp_file_and_keeps_the_old_file(tmp_path: Path) -> None:
    dest = tmp_path / "out" / "t.parquet"
    write_table(pd.DataFrame({"a": [1, 2]}), dest)
    before = dest.read_bytes()
    unwritable = pd.DataFrame({"a": [object(), object()]})  # pyarrow cannot store these
    with pytest.raises(Exception, match="object"):
        write_table(unwritable, dest)
    assert dest.read_bytes() == before
    assert sorted(p.name for p in dest.parent.iterdir()) == ["t.parquet"]


def test_atomic_path_on_failure_and_on_success(tmp_path: Path) -> None:
    dest = tmp_path / "report.html"
    with pytest.raises(RuntimeError), atomic_path(dest) as tmp:
        tmp.write_text("half")
        assert tmp.parent == tmp_path and tmp.name.startswith(".report.html.")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
    assert write_text(dest, "done ✓") == dest
    assert dest.read_text(encoding="utf-8") == "done ✓"
    assert list(tmp_path.iterdir()) == [dest]


# ------------------------------------------------------------------------- reading


def test_csv_rows_are_editor_lines(tmp_path: Path) -> None:
    p = tmp_path / "posts.csv"
    p.write_bytes(b'account_id,text\na,"two\nlines"\n\nb,x\r\nc,y')
    raw = read_raw("posts", p)
    assert raw.rows.tolist() == [2, 5, 6]
    assert raw.frame["text"].tolist() == ["two\nlines", "x", "y"]
    assert raw.row_word == "line"


def test_csv_cells_stay_text(tmp_path: Path) -> None:
    p = tmp_path / "accounts.csv"
    p.write_text("account_id,followers,username\n007,12,NA\n,3,\n")
    frame = read_raw("accounts", p).frame
    assert frame["account_id"].tolist()[0] == "007"
    assert frame["followers"].tolist() == ["12", "3"]
    assert frame["username"].tolist()[0] == "NA"
    assert frame["account_id"].isna().tolist() == [False, True]


def test_jsonl_rows_are_lines_with_blank_lines_and_bom(tmp_path: Path) -> None:
    p = tmp_path / "labels.jsonl"
    p.write_bytes(b'\xef\xbb\xbf{"account_id": "a", "is_fake": 1}\n\n{"account_id": 2}\n')
    raw = read_raw("labels", p)
    assert raw.rows.tolist() == [1, 3]
    assert raw.frame["account_id"].tolist() == ["a", 2]


def test_jsonl_nested_values_are_marked(tmp_path: Path) -> None:
    p = tmp_path / "posts.jsonl"
    p.write_text('{"account_id": "a", "likes": {"n": 1}}\n{"account_id": "b", "likes": 2}\n')
    assert read_raw("posts", p).nested == frozenset({"likes"})


def test_parquet_rows_and_nullable_integers(tmp_path: Path) -> None:
    p = tmp_path / "posts.parquet"
    pd.DataFrame({"likes": pd.array([1, None, 2**62], dtype="Int64")}).to_parquet(p)
    raw = read_raw("posts", p)
    assert raw.rows.tolist() == [1, 2, 3] and raw.row_word == "row"
    assert str(raw.frame["likes"].dtype) == "Int64"
    assert raw.frame["likes"].iloc[2] == 2**62  # exact, no trip through float


@pytest.mark.parametrize("name,data,rule,line,text", [
    ("accounts.csv", b"", "empty file", None, "the file is empty"),
    ("accounts.csv", b"\n\n", "empty file", None, "the file is empty"),
    ("accounts.csv", b"account_id,followers\n", "empty file", None, "header but no rows"),
    ("accounts.jsonl", b"\n", "empty file", None, "the file is empty"),
    ("accounts.csv", b"account_id\na\n\xff\n", "unreadable file", 3, "not UTF-8"),
    ("accounts.csv", b"account_id,b\na,1\nb\n", "unreadable file", 3, "expected 2 fields"),
    ("accounts.csv", b"account_id,b\na,\"1\nb,2\n", "unreadable file", 2, "quote"),
    ("accounts.csv", b"\naccount_id\na\n", "unreadable file", 1, "first line is empty"),
    ("accounts.csv", b"account_id,x,x\na,1,2\n", "duplicate column", None, "'x'"),
    ("accounts.jsonl", b'{"account_id": "a"}\n{"account_id": \n', "unreadable file", 2,
     "malformed JSON"),
    ("accounts.jsonl", b'{"account_id": "a"}\n"text"\n', "unreadable file", 2,
     "found a JSON string"),
    ("accounts.jsonl", b'{"account_id": "\xff"}\n', "unreadable file", 1, "not UTF-8"),
    ("accounts.parquet", b"PAR1 this is not parquet", "unreadable file", None, "Parquet"),
    ("accounts.xlsx", b"PK", "unknown file format", None, "unknown file format"),
])
def test_bad_files_raise_a_file_error(tmp_path: Path, name: str, data: bytes, rule: str,
                                      line: int | None, text: str) -> None:
    p = tmp_path / name
    p.write_bytes(data)
    with pytest.raises(FileError) as info:
        read_raw("accounts", p)
    err = info.value
    assert err.rule == rule and err.line == line and text in str(err)
    assert str(p) in str(err)


def test_a_folder_and_a_permission_error_are_file_errors(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "accounts.csv").mkdir()
    with pytest.raises(FileError, match="is a folder"):
        read_raw("accounts", tmp_path / "accounts.csv")
    p = tmp_path / "posts.jsonl"
    p.write_text('{"account_id": "a"}\n')

    def denied(path: Path) -> object:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(fio, "_open", denied)
    with pytest.raises(FileError, match="cannot read the file \\(Permission denied\\)"):
        read_raw("posts", p)


def test_parquet_folder_of_parts_is_one_table(tmp_path: Path) -> None:
    folder = tmp_path / "snapshots.parquet"
    folder.mkdir()
    pd.DataFrame({"a": [1, 2]}).to_parquet(folder / "part.0.parquet")
    pd.DataFrame({"a": [3]}).to_parquet(folder / "part.1.parquet")
    raw = read_raw("snapshots", folder)
    assert raw.frame["a"].tolist() == [1, 2, 3] and raw.rows.tolist() == [1, 2, 3]


def test_find_tables(tmp_path: Path) -> None:
    for name in ("accounts.csv", "posts.PARQUET", "README.md", ".labels.csv", "rejects.csv",
                 "comments.csv.gz", "audience.csv", "audience.jsonl"):
        (tmp_path / name).write_text("x")
    files, problems = find_tables(tmp_path)
    assert files == {"accounts": tmp_path / "accounts.csv",
                     "audience": tmp_path / "audience.csv",
                     "posts": tmp_path / "posts.PARQUET"}
    assert [(p.path.name, p.rule) for p in problems] == [
        ("audience.jsonl", "duplicate table file"), ("comments.csv.gz", "unknown file format")]


def test_parquet_binary_columns(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    good = tmp_path / "good.parquet"
    pq.write_table(pa.table({"username": pa.array([b"ann", None])}), good)
    assert read_raw("accounts", good).frame["username"].tolist()[0] == "ann"
    bad = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"username": pa.array([b"\xff"])}), bad)
    with pytest.raises(FileError, match="'username' holds binary data that is not UTF-8"):
        read_raw("accounts", bad)
