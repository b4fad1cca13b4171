"""`fakedetect validate` and `load_dataset`: one broken fixture per rule, lenient mode, and
random corruption that must end in a clean load or a user error, never a crash."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fakedetect import io as fio
from fakedetect.cli import main
from fakedetect.contract import RULES, TABLES
from fakedetect.errors import UserError
from fakedetect.io import write_table
from fakedetect.validate import (
    EXAMPLES_PER_GROUP,
    REJECT_COLUMNS,
    ContractError,
    check_dataset,
    format_problems,
    load_dataset,
)
from fakedetect.validate.load import check

N_ACCOUNTS = 6
ROW_WORD = {"csv": "line", "jsonl": "line", "parquet": "row"}
FIRST_ROW = {"csv": 2, "jsonl": 1, "parquet": 1}


def valid_frames(n: int = N_ACCOUNTS, seed: int = 7) -> dict[str, pd.DataFrame]:
    """A small valid dataset with every table, built with a fixed seed."""
    rng = np.random.default_rng(seed)
    ids = [f"acc{i:03d}" for i in range(n)]
    start = pd.Timestamp("2024-01-01", tz="UTC")
    accounts = pd.DataFrame({
        "account_id": ids,
        "platform": "instagram",
        "username": [f"user_{i}x{7 * i}" for i in range(n)],
        "followers": rng.integers(10_000, 50_000, n),
        "following": rng.integers(100, 3_000, n),
        "posts": rng.integers(10, 900, n),
        "has_profile_pic": rng.random(n) < 0.8,
        "is_private": np.zeros(n, dtype=bool),
        "bio_length": rng.integers(0, 150, n),
        "created_at": pd.Timestamp("2015-01-01", tz="UTC")
        + pd.to_timedelta(rng.integers(0, 3_000, n), unit="D"),
        "niche": [("travel", "fashion", "beauty")[i % 3] for i in range(n)],
        "like_rate_pct": rng.uniform(0.5, 6, n).round(3),
        "share_empty_captions": rng.uniform(0, 1, n).round(3),
    })
    days = 4
    snapshots = pd.DataFrame({
        "account_id": np.repeat(ids, days),
        "date": np.tile(pd.date_range(start, periods=days, freq="D"), n),
        "followers": rng.integers(10_000, 50_000, n * days),
        "following": rng.integers(100, 3_000, n * days),
        "posts": rng.integers(10, 900, n * days),
    })
    per = 3
    posts = pd.DataFrame({
        "account_id": np.repeat(ids, per),
        "post_id": [f"p{j}" for _ in ids for j in range(per)],
        "posted_at": np.tile(pd.date_range(start, periods=per, freq="7D"), n),
        "likes": rng.integers(0, 2_000, n * per),
        "comments": rng.integers(0, 80, n * per),
        "caption_length": rng.integers(0, 300, n * per),
        "hashtags": rng.integers(0, 30, n * per),
        "is_sponsored": rng.random(n * per) < 0.2,
    })
    comments = pd.DataFrame({
        "account_id": posts["account_id"].to_numpy(),
        "post_id": posts["post_id"].to_numpy(),
        "commenter": [f"fan{i}" for i in range(len(posts))],
        "text": "nice!",
        "created_at": posts["posted_at"] + pd.Timedelta(hours=2),
    })
    audience = pd.DataFrame({
        "account_id": np.repeat(ids, 2),
        "follower_username": [f"f{i}" for i in range(2 * n)],
        "followers": rng.integers(0, 900, 2 * n),
        "following": rng.integers(0, 900, 2 * n),
        "posts": rng.integers(0, 90, 2 * n),
        "has_profile_pic": rng.random(2 * n) < 0.5,
        "is_private": rng.random(2 * n) < 0.5,
        "bio_length": rng.integers(0, 90, 2 * n),
    })
    labels = pd.DataFrame({
        "account_id": ids,
        "is_fake": [i % 2 for i in range(n)],
        "fraud_type": ["none" if i % 2 == 0 else "bought_followers" for i in range(n)],
    })
    return {"accounts": accounts, "snapshots": snapshots, "posts": posts,
            "comments": comments, "audience": audience, "labels": labels}


def write_dataset(directory: Path, frames: dict[str, pd.DataFrame], fmt: str = "csv") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        write_table(frame, directory / f"{name}.{fmt}")
    return directory


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def set_cell(frames: dict[str, pd.DataFrame], table: str, index: int, column: str,
             value: object) -> None:
    frame = frames[table]
    frame[column] = frame[column].astype(object)
    frame.at[index, column] = value


# ------------------------------------------------------------------- one test per rule


@dataclass
class Case:
    """A deliberately broken dataset: which rule, where, and how it is broken."""

    rule: str
    table: str
    column: str | None
    index: int | None  # the broken frame row; None for a problem of a whole file
    mutate: Callable[[dict[str, pd.DataFrame]], None] | None = None
    after: Callable[[Path], None] | None = None  # edits the written files
    fmt: str = "csv"
    line: int | None = None  # a line named by a file problem


def _swap_days(f: dict[str, pd.DataFrame]) -> None:
    s = f["snapshots"]
    s.loc[[0, 1], "date"] = s.loc[[1, 0], "date"].to_numpy()


def _dup_day(f: dict[str, pd.DataFrame]) -> None:
    f["snapshots"].loc[2, "date"] = f["snapshots"].loc[1, "date"]


def _dup_post(f: dict[str, pd.DataFrame]) -> None:
    f["posts"].loc[1, "post_id"] = f["posts"].loc[0, "post_id"]


def _nan_followers(f: dict[str, pd.DataFrame]) -> None:
    s = f["snapshots"]
    s["followers"] = s["followers"].astype("float64")
    s.loc[5, "followers"] = np.nan


def _truncate(name: str) -> Callable[[Path], None]:
    def edit(d: Path) -> None:
        p = d / name
        data = p.read_bytes()
        p.write_bytes(data[: len(data) // 2])
    return edit


def _replace_line(name: str, number: int, text: bytes) -> Callable[[Path], None]:
    def edit(d: Path) -> None:
        p = d / name
        lines = p.read_bytes().split(b"\n")
        lines[number - 1] = text
        p.write_bytes(b"\n".join(lines))
    return edit


def _write(name: str, data: bytes) -> Callable[[Path], None]:
    return lambda d: (d / name).write_bytes(data)


def _remove(name: str) -> Callable[[Path], None]:
    return lambda d: (d / name).unlink()


def _as_folder(name: str) -> Callable[[Path], None]:
    def edit(d: Path) -> None:
        (d / name).unlink()
        (d / name).mkdir()
    return edit


CASES = {
    "missing required table": Case("missing required table", "accounts", None, None,
                                   after=_remove("accounts.csv")),
    "unknown file format": Case("unknown file format", "posts", None, None,
                                after=lambda d: (d / "posts.csv").rename(d / "posts.xlsx")),
    "duplicate table file": Case(
        "duplicate table file", "labels", None, None,
        after=lambda d: shutil.copy(d / "labels.csv", d / "labels.ndjson")),
    "empty file": Case("empty file", "audience", None, None, after=_write("audience.csv", b"")),
    "empty file (header only)": Case("empty file", "labels", None, None,
                                     after=_write("labels.csv", b"account_id,is_fake\n")),
    "unreadable file (truncated Parquet)": Case("unreadable file", "posts", None, None,
                                                fmt="parquet", after=_truncate("posts.parquet")),
    "unreadable file (not UTF-8)": Case(
        "unreadable file", "comments", None, None, line=4,
        after=_replace_line("comments.csv", 4, b"acc001,p0,fan\xe9,caf\xe9,2024-01-01")),
    "unreadable file (malformed JSON line)": Case(
        "unreadable file", "labels", None, None, fmt="jsonl", line=3,
        after=_replace_line("labels.jsonl", 3, b'{"account_id": "acc002", "is_fake": ')),
    "unreadable file (ragged CSV line)": Case(
        "unreadable file", "snapshots", None, None, line=5,
        after=_replace_line("snapshots.csv", 5, b"acc000,2024-01-04,1,2,3,4")),
    "unreadable file (folder)": Case("unreadable file", "audience", None, None,
                                     after=_as_folder("audience.csv")),
    "duplicate column": Case(
        "duplicate column", "labels", None, None,
        after=_write("labels.csv", b"account_id,is_fake,is_fake\nacc000,0,0\n")),
    "missing required column": Case("missing required column", "posts", "likes", None,
                                    mutate=lambda f: f.update(
                                        posts=f["posts"].drop(columns="likes"))),
    "wrong type": Case("wrong type", "accounts", "following", 2,
                       mutate=lambda f: set_cell(f, "accounts", 2, "following", "many")),
    "wrong type (nested JSON)": Case(
        "wrong type", "audience", "followers", 3, fmt="jsonl",
        mutate=lambda f: set_cell(f, "audience", 3, "followers", {"count": 5})),
    "wrong type (bool)": Case("wrong type", "posts", "is_sponsored", 4,
                              mutate=lambda f: set_cell(f, "posts", 4, "is_sponsored", "maybe")),
    "missing value": Case("missing value", "snapshots", "followers", 5, fmt="parquet",
                          mutate=_nan_followers),
    "negative count": Case("negative count", "posts", "likes", 7,
                           mutate=lambda f: set_cell(f, "posts", 7, "likes", -3)),
    "below minimum": Case("below minimum", "audience", "bio_length", 1,
                          mutate=lambda f: set_cell(f, "audience", 1, "bio_length", -1)),
    "above maximum": Case("above maximum", "accounts", "share_empty_captions", 3,
                          mutate=lambda f: set_cell(f, "accounts", 3, "share_empty_captions",
                                                    1.5)),
    "not 0/1": Case("not 0/1", "labels", "is_fake", 2, fmt="jsonl",
                    mutate=lambda f: set_cell(f, "labels", 2, "is_fake", 2)),
    "integer too large": Case("integer too large", "accounts", "followers", 1,
                              mutate=lambda f: set_cell(f, "accounts", 1, "followers",
                                                        "99999999999999999999")),
    "infinite value": Case("infinite value", "accounts", "like_rate_pct", 4,
                           mutate=lambda f: set_cell(f, "accounts", 4, "like_rate_pct", "inf")),
    "timestamp before 2006": Case("timestamp before 2006", "posts", "posted_at", 6,
                                  mutate=lambda f: set_cell(f, "posts", 6, "posted_at",
                                                            "1999-05-01T00:00:00Z")),
    "timestamp before 2006 (Unix seconds)": Case(
        "timestamp before 2006", "comments", "created_at", 2,
        mutate=lambda f: set_cell(f, "comments", 2, "created_at", "86400")),
    "timestamp in the future": Case("timestamp in the future", "accounts", "created_at", 5,
                                    mutate=lambda f: set_cell(f, "accounts", 5, "created_at",
                                                              "2199-01-01")),
    "duplicate key": Case("duplicate key", "posts", None, 1, mutate=_dup_post),
    "duplicate key (snapshot day)": Case("duplicate key", "snapshots", None, 2,
                                         mutate=_dup_day),
    "unsorted snapshot days": Case("unsorted snapshot days", "snapshots", "date", 1,
                                   mutate=_swap_days),
    "unknown account": Case("unknown account", "labels", "account_id", 3,
                            mutate=lambda f: set_cell(f, "labels", 3, "account_id", "ghost")),
    "unknown post": Case("unknown post", "comments", "post_id", 4,
                         mutate=lambda f: set_cell(f, "comments", 4, "post_id", "p99")),
}


def _example_line(err: str, case: Case, d: Path) -> str:
    """The example line of the case's group, checked to name file, row and column."""
    heading = f"- {case.table}: {case.rule}"
    assert heading in err, err
    block = err.split(heading, 1)[1].split("\n- ", 1)[0]
    examples = [ln.strip() for ln in block.splitlines()[1:] if ln.startswith("    ")]
    assert examples, err
    first = examples[0]
    if case.index is not None:
        word = ROW_WORD[case.fmt]
        number = case.index + FIRST_ROW[case.fmt]
        assert first.startswith(f"{d / case.table}.{case.fmt}, {word} {number}"), first
        assert "expected" in first
    if case.line is not None:
        assert f" line {case.line}" in first, first
    if case.column is not None:
        assert f"column {case.column!r}" in first, first
    return first


@pytest.mark.parametrize("name", list(CASES))
def test_each_rule_is_reported_with_table_row_and_column(
        name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = CASES[name]
    frames = valid_frames()
    if case.mutate is not None:
        case.mutate(frames)
    d = write_dataset(tmp_path / "ds", frames, case.fmt)
    if case.after is not None:
        case.after(d)
    code, out, err = run(capsys, "validate", str(d))
    assert code == 2
    assert out == ""
    assert err.startswith("error: ")
    first = _example_line(err, case, d)
    if case.index is not None and case.rule != "duplicate key":
        assert "found" in first


def test_every_documented_rule_has_a_broken_fixture() -> None:
    covered = {c.rule for c in CASES.values()} | {"no valid account left"}
    assert covered == set(RULES)


def test_valid_dataset_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = write_dataset(tmp_path / "ds", valid_frames())
    code, out, err = run(capsys, "validate", str(d))
    assert code == 0, err
    assert "valid" in out and f"accounts {N_ACCOUNTS}" in out


def test_permission_denied_is_a_user_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    d = write_dataset(tmp_path / "ds", valid_frames())
    real = fio._open

    def denied(path: Path) -> object:
        if path.name == "posts.csv":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(fio, "_open", denied)
    code, _, err = run(capsys, "validate", str(d))
    assert code == 2
    assert "- posts: unreadable file" in err and "Permission denied" in err


def test_a_file_instead_of_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = write_dataset(tmp_path / "ds", valid_frames())
    code, _, err = run(capsys, "validate", str(d / "accounts.csv"))
    assert code == 2 and "not a folder" in err and str(d) in err


def test_every_problem_is_reported_at_once_grouped_and_capped(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frames = valid_frames()
    snaps = frames["snapshots"]
    snaps["followers"] = -1  # every row
    set_cell(frames, "accounts", 0, "following", "x")
    d = write_dataset(tmp_path / "ds", frames)
    (d / "posts.csv").write_bytes(b"")
    code, _, err = run(capsys, "validate", str(d))
    assert code == 2
    n = len(snaps)
    assert f"- snapshots: negative count, column 'followers' ({n} lines)" in err
    assert f"... and {n - EXAMPLES_PER_GROUP} more like this" in err
    assert sum(1 for ln in err.splitlines() if "snapshots.csv, line" in ln) == EXAMPLES_PER_GROUP
    assert "- accounts: wrong type, column 'following'" in err
    assert "- posts: empty file" in err
    groups = check_dataset(d)
    assert sum(g.count for g in groups) == n + 1 + 1
    neg = next(g for g in groups if g.rule == "negative count")
    assert neg.count == n and len(neg.examples) == EXAMPLES_PER_GROUP
    assert set(neg.accounts["account_id"]) == set(snaps["account_id"])


def test_groups_shown_are_capped() -> None:
    from fakedetect.validate import Problem, ProblemGroup

    groups = [ProblemGroup(table="posts", file="f", rule="wrong type", column=f"c{i}",
                           scope="row", count=1,
                           examples=(Problem("posts", "f", "wrong type", "m", 2, f"c{i}"),))
              for i in range(50)]
    text = format_problems(Path("ds"), groups, max_groups=10)
    assert "50 problem(s) in 50 group(s)" in text
    assert "... and 40 more group(s)" in text
    assert text.count("- posts: wrong type") == 10


def test_undocumented_rule_is_a_bug() -> None:
    from fakedetect.validate.problems import Collector

    with pytest.raises(KeyError):
        Collector().whole("posts", "f", "made-up rule", "m")


# ------------------------------------------------------------------------- lenient


def _broken_for_lenient(d: Path) -> dict[str, pd.DataFrame]:
    frames = valid_frames()
    set_cell(frames, "accounts", 1, "followers", -1)          # acc001, accounts line 3
    set_cell(frames, "snapshots", 9, "following", "x")        # acc002 (row 9 = 3rd account)
    set_cell(frames, "labels", 3, "is_fake", 7)               # acc003
    set_cell(frames, "posts", 0, "account_id", "ghost")       # a post of no known account
    set_cell(frames, "comments", 0, "account_id", "ghost")    # ... and its comment
    nameless = frames["accounts"].iloc[[0]].assign(account_id="")
    frames["accounts"] = pd.concat([frames["accounts"], nameless], ignore_index=True)
    write_dataset(d, frames)
    return frames


def test_lenient_keeps_valid_accounts_and_lists_every_dropped_one(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = tmp_path / "ds"
    frames = _broken_for_lenient(d)
    rejects_path = tmp_path / "out" / "rejects.csv"
    code, out, err = run(capsys, "validate", str(d), "--lenient", "--rejects", str(rejects_path))
    assert code == 0, err
    assert "kept 3 account(s), dropped 4 account(s)" in out
    assert err.startswith("warning: ")
    rejects = pd.read_csv(rejects_path, dtype=str, keep_default_na=False)
    assert list(rejects.columns) == list(REJECT_COLUMNS)
    accounts = rejects[rejects["dropped"] == "account"]
    assert sorted(accounts["account_id"]) == ["", "acc001", "acc002", "acc003"]
    by_id = accounts.set_index("account_id")["reason"]
    assert "accounts line 3, column followers: negative count: found -1" in by_id["acc001"]
    assert "snapshots line 11, column following: wrong type" in by_id["acc002"]
    assert "labels line 5, column is_fake: not 0/1" in by_id["acc003"]
    assert "accounts line 8, column account_id: missing value" in by_id[""]
    ghost = rejects[rejects["account_id"] == "ghost"]
    assert list(ghost["dropped"]) == ["rows", "rows"]
    assert "posts line 2" in ghost["reason"].iloc[0] + ghost["reason"].iloc[1]

    ds = load_dataset(d, lenient=True)
    kept = ["acc000", "acc004", "acc005"]
    assert list(ds.account_ids) == kept
    accounts_in = frames["accounts"]["account_id"].nunique()
    assert accounts_in == len(ds.accounts) + int((ds.rejects["dropped"] == "account").sum())
    for name, frame in ds.tables.items():
        assert set(frame["account_id"].astype(str)) <= set(kept), name
        assert frame["account_id"].notna().all()
    assert len(ds.tables["posts"]) == 3 * 3 - 1  # acc000 lost its "ghost" post
    assert len(ds.tables["snapshots"]) == 3 * 4


def test_lenient_drops_an_unusable_optional_table(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    d = write_dataset(tmp_path / "ds", valid_frames(), "parquet")
    _truncate("posts.parquet")(d)
    rejects_path = tmp_path / "rejects.jsonl"
    code, _, _ = run(capsys, "validate", str(d), "--lenient", "--rejects", str(rejects_path))
    assert code == 0
    ds = load_dataset(d, lenient=True)
    assert "posts" not in ds.tables and len(ds.accounts) == N_ACCOUNTS
    assert list(ds.rejects["dropped"]) == ["table"]
    assert ds.rejects["table"].iloc[0] == "posts"
    assert "not a readable Parquet file" in ds.rejects["reason"].iloc[0]
    assert rejects_path.read_text().count("\n") == 1


def test_lenient_fails_on_a_broken_accounts_file(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    d = write_dataset(tmp_path / "ds", valid_frames())
    _replace_line("accounts.csv", 3, b"acc001,instagram")(d)
    code, _, err = run(capsys, "validate", str(d), "--lenient", "--rejects",
                       str(tmp_path / "r.csv"))
    assert code == 2 and "- accounts: unreadable file" in err and "line 3" in err
    assert not (tmp_path / "r.csv").exists()


def test_lenient_fails_when_no_account_is_left(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    frames = valid_frames()
    frames["accounts"]["followers"] = -5
    d = write_dataset(tmp_path / "ds", frames)
    code, _, err = run(capsys, "validate", str(d), "--lenient", "--rejects",
                       str(tmp_path / "r.csv"))
    assert code == 2 and "no valid account left" in err and "--lenient drops" in err


def test_lenient_on_a_valid_dataset_writes_an_empty_rejects_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    d = write_dataset(tmp_path / "ds", valid_frames())
    (tmp_path / "mlflow.yml").write_text("paths:\n  output: results\n")
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "validate", str(d), "--lenient")
    assert code == 0 and err == ""
    rejects = tmp_path / "results" / "rejects.csv"
    assert rejects.read_text().strip() == ",".join(REJECT_COLUMNS)
    assert "dropped 0 account(s)" in out


# --------------------------------------------------------------------------- typing


def test_load_dataset_types(tmp_path: Path) -> None:
    d = write_dataset(tmp_path / "ds", valid_frames(), "csv")
    ds = load_dataset(d)
    acc = ds.accounts
    assert isinstance(acc["account_id"].dtype, pd.CategoricalDtype)
    for frame in ds.tables.values():
        assert frame["account_id"].cat.categories.equals(ds.account_ids)
    assert str(acc["followers"].dtype) == "Int64"
    assert str(acc["has_profile_pic"].dtype) == "boolean"
    assert str(acc["created_at"].dtype) == "datetime64[ns, UTC]"
    assert isinstance(acc["niche"].dtype, pd.CategoricalDtype)
    assert str(acc["like_rate_pct"].dtype) == "float64"
    assert isinstance(acc["username"].dtype, pd.StringDtype)
    assert acc["username_digits"].tolist() == [
        sum(ch.isdigit() for ch in u) for u in acc["username"]]
    # optional columns absent from the file are present and missing
    assert acc["is_verified"].isna().all() and str(acc["is_verified"].dtype) == "boolean"
    assert ds.tables["posts"]["views"].isna().all()
    snaps = ds.tables["snapshots"]
    assert (snaps["date"] == snaps["date"].dt.floor("D")).all()
    assert ds.rejects.empty and list(ds.rejects.columns) == list(REJECT_COLUMNS)


def test_rows_are_sorted_by_account_and_time(tmp_path: Path) -> None:
    frames = valid_frames()
    # accounts interleaved (days still ascend within each account), posts in any order
    frames["snapshots"] = frames["snapshots"].sort_values(["date", "account_id"],
                                                          ascending=[True, False])
    frames["posts"] = frames["posts"].sample(frac=1, random_state=1)
    d = write_dataset(tmp_path / "ds", frames, "parquet")
    ds = load_dataset(d)
    for name, col in (("snapshots", "date"), ("posts", "posted_at")):
        f = ds.tables[name]
        codes = f["account_id"].cat.codes.to_numpy()
        assert (np.diff(codes) >= 0).all()
        t = f[col].to_numpy()
        assert ((np.diff(codes) > 0) | (t[1:] >= t[:-1])).all()


@pytest.mark.parametrize("text,expected", [
    ("True", True), ("false", False), ("YES", True), ("n", False), ("1", True), ("0.0", False),
])
def test_flags_given_as_words(tmp_path: Path, text: str, expected: bool) -> None:
    frames = valid_frames()
    set_cell(frames, "accounts", 0, "is_private", text)
    ds = load_dataset(write_dataset(tmp_path / "ds", frames))
    assert bool(ds.accounts["is_private"].iloc[0]) is expected


def test_ids_stored_as_numbers_match_ids_stored_as_text(tmp_path: Path) -> None:
    frames = valid_frames()
    ids = {f"acc{i:03d}": 1000 + i for i in range(N_ACCOUNTS)}
    for frame in frames.values():
        frame["account_id"] = frame["account_id"].map(ids)
    frames["posts"]["account_id"] = frames["posts"]["account_id"].astype(float)  # 1000.0
    frames["labels"]["account_id"] = frames["labels"]["account_id"].astype(str)
    d = tmp_path / "ds"
    write_dataset(d, {k: v for k, v in frames.items() if k != "labels"}, "parquet")
    write_table(frames["labels"], d / "labels.csv")
    ds = load_dataset(d)
    assert list(ds.account_ids) == [str(v) for v in ids.values()]
    assert ds.tables["posts"]["account_id"].notna().all()


def test_parquet_columns_of_the_wrong_arrow_type(tmp_path: Path) -> None:
    d = tmp_path / "ds"
    d.mkdir()
    pd.DataFrame({"account_id": [1, 2, 3], "followers": ["12", "many", None],
                  "created_at": [1.6e9, 1.6e12, None], "is_private": ["True", "0", None],
                  "niche": pd.Categorical(["travel", None, "travel"])}
                 ).to_parquet(d / "accounts.parquet")
    with pytest.raises(ContractError) as info:
        load_dataset(d)
    by_column = {(g.rule, g.column): g for g in info.value.groups}
    assert set(by_column) == {("wrong type", "followers"), ("missing value", "followers"),
                              ("wrong type", "created_at")}
    assert by_column["wrong type", "followers"].examples[0].row == 2
    assert "found 1600000000000.0" in by_column["wrong type", "created_at"].examples[0].message
    ds = load_dataset(d, lenient=True)
    assert list(ds.account_ids) == ["1"]
    assert ds.accounts["followers"].tolist() == [12]
    assert ds.accounts["is_private"].tolist() == [True]


def test_all_empty_optional_columns_bom_and_extra_columns(tmp_path: Path) -> None:
    d = tmp_path / "ds"
    d.mkdir()
    (d / "accounts.csv").write_bytes(
        "\ufeffaccount_id,followers,created_at,is_private,niche,notes\n"
        "a,1,,,,hello\nb,2,,,,\n".encode())
    ds = load_dataset(d)
    acc = ds.accounts
    assert list(ds.account_ids) == ["a", "b"]
    assert acc["created_at"].isna().all() and acc["is_private"].isna().all()
    assert acc["notes"].tolist()[0] == "hello"


def test_timestamps_with_offsets_and_unix_seconds(tmp_path: Path) -> None:
    d = tmp_path / "ds"
    d.mkdir()
    (d / "accounts.csv").write_text(
        "account_id,followers,created_at\n"
        "a,1,2020-01-01T10:00:00+02:00\nb,1,1577836800\nc,1,2020-01-01\n")
    accounts = load_dataset(d).accounts
    acc = accounts.set_index(accounts["account_id"].astype(str))
    assert acc.loc["a", "created_at"] == pd.Timestamp("2020-01-01T08:00:00Z")
    assert acc.loc["b", "created_at"] == pd.Timestamp("2020-01-01T00:00:00Z")
    assert acc.loc["c", "created_at"] == pd.Timestamp("2020-01-01T00:00:00Z")


def test_non_iso_dates_are_rejected_not_guessed(tmp_path: Path) -> None:
    d = tmp_path / "ds"
    d.mkdir()
    (d / "accounts.csv").write_text("account_id,followers,created_at\na,1,01/02/2020\n")
    with pytest.raises(ContractError) as info:
        load_dataset(d)
    assert info.value.groups[0].rule == "wrong type"
    assert "ISO 8601" in str(info.value)


def test_text_na_is_a_username_but_missing_in_a_count(tmp_path: Path) -> None:
    d = tmp_path / "ds"
    d.mkdir()
    (d / "accounts.csv").write_text("account_id,followers,following,username\n"
                                    "a,1,NA,NA\nb,2,nan,null\n")
    acc = load_dataset(d).accounts
    assert acc["username"].tolist() == ["NA", "null"]
    assert acc["following"].isna().all()


def test_check_is_vectorised_over_many_rows(tmp_path: Path) -> None:
    """200k snapshot rows, most broken: exact counts, capped examples, quickly."""
    import time

    n_acc, days = 2_000, 100
    ids = np.array([f"a{i}" for i in range(n_acc)])
    d = tmp_path / "ds"
    d.mkdir()
    pd.DataFrame({"account_id": ids, "followers": 1}).to_parquet(d / "accounts.parquet")
    followers = np.arange(n_acc * days) % 3 - 1  # a third of the rows negative
    pd.DataFrame({"account_id": np.repeat(ids, days),
                  "date": np.tile(pd.date_range("2024-01-01", periods=days), n_acc),
                  "followers": followers}).to_parquet(d / "snapshots.parquet")
    start = time.perf_counter()
    groups = check_dataset(d)
    elapsed = time.perf_counter() - start
    (neg,) = groups
    assert neg.count == int((followers < 0).sum())
    assert len(neg.examples) == EXAMPLES_PER_GROUP
    assert len(neg.accounts) == n_acc
    assert elapsed < 10, elapsed


# ------------------------------------------------------------------ property test

JUNK: list[object] = ["", "NaN", "-1", "1e400", "99999999999999999999", "abc", "{", " ",
                      "2999-01-01", "1999-01-01", "true", "NA", "0.5", "-0", "é\u00ff",
                      None, float("nan"), float("inf"), -(10**30), {"a": 1}, [1, 2], 3.5]
FORMATS = ("csv", "parquet", "jsonl")


@st.composite
def corruptions(draw: st.DrawFn) -> tuple[str, str, int, object]:
    kind = draw(st.sampled_from(["truncate", "junk", "duplicate row", "drop column",
                                 "switch format", "wrong suffix", "bad bytes"]))
    table = draw(st.sampled_from(list(TABLES)))
    position = draw(st.integers(min_value=0, max_value=10_000))
    junk = draw(st.sampled_from(JUNK))
    return kind, table, position, junk


def _write_any(frame: pd.DataFrame, path: Path) -> None:
    """Write the fixture; Parquet cannot hold mixed columns, so those become text."""
    try:
        write_table(frame, path)
    except Exception:  # pyarrow or the JSON writer refusing a mixed column
        write_table(frame.astype(str), path)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(fmt=st.sampled_from(FORMATS), ops=st.lists(corruptions(), min_size=1, max_size=3))
def test_random_corruption_ends_in_a_load_or_a_user_error(
        tmp_path_factory: pytest.TempPathFactory, fmt: str,
        ops: list[tuple[str, str, int, object]]) -> None:
    d = tmp_path_factory.mktemp("corrupt")
    frames = valid_frames(n=4)
    formats = dict.fromkeys(frames, fmt)
    for kind, table, pos, junk in ops:
        frame = frames[table]
        if kind == "junk":
            col = frame.columns[pos % frame.shape[1]]
            frame[col] = frame[col].astype(object)
            frame.iat[pos % len(frame), pos % frame.shape[1]] = junk
        elif kind == "duplicate row":
            frames[table] = pd.concat([frame, frame.iloc[[pos % len(frame)]]],
                                      ignore_index=True)
        elif kind == "drop column":
            frames[table] = frame.drop(columns=frame.columns[pos % frame.shape[1]])
        elif kind == "switch format":
            formats[table] = FORMATS[pos % 3]
    paths = {name: d / f"{name}.{formats[name]}" for name in frames}
    for name, frame in frames.items():
        _write_any(frame, paths[name])
    for kind, table, pos, _ in ops:
        path = paths[table]
        if kind == "truncate":
            data = path.read_bytes()
            path.write_bytes(data[: pos % (len(data) + 1)])
        elif kind == "wrong suffix":
            other = FORMATS[(FORMATS.index(path.suffix[1:]) + 1) % 3]
            paths[table] = path.rename(path.with_suffix(f".{other}"))
        elif kind == "bad bytes":
            data = bytearray(path.read_bytes())
            if data:
                data[pos % len(data)] = 0xFF
            path.write_bytes(bytes(data))
    for lenient in (False, True):
        try:
            ds = load_dataset(d, lenient=lenient)
        except UserError as exc:
            assert str(exc)
            assert not isinstance(exc, ContractError) or exc.groups
            continue
        acc = ds.accounts
        assert str(acc["followers"].dtype) == "Int64"
        assert list(acc["account_id"].astype(str)) == list(ds.account_ids)
        for frame in ds.tables.values():
            assert frame["account_id"].notna().all()
        if lenient:  # no account disappears silently
            read = check(d, None).typed["accounts"]
            accounts_in = len(read.uniques) + int((read.codes < 0).sum())
            rejected = int((ds.rejects["dropped"] == "account").sum())
            assert accounts_in == len(acc) + rejected
        else:
            assert ds.rejects.empty
            break  # a valid dataset loads the same way in lenient mode


def test_tables_are_read_biggest_first_and_reported_in_table_order(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fakedetect.validate import load

    frames = valid_frames()
    set_cell(frames, "accounts", 0, "following", "x")
    frames["snapshots"]["followers"] = -1
    d = write_dataset(tmp_path / "ds", frames)
    seen: list[str] = []
    read_raw = load.read_raw

    def spy(name: str, *args: object, **kwargs: object) -> object:
        seen.append(name)
        return read_raw(name, *args, **kwargs)

    monkeypatch.setattr(load, "READ_THREADS", 1)
    monkeypatch.setattr(load, "read_raw", spy)
    groups = check_dataset(d)
    sizes = {name: load.file_bytes(d / f"{name}.csv") for name in seen}
    assert seen == sorted(seen, key=lambda n: -sizes[n]) and seen[0] != "labels"
    assert [g.table for g in groups] == ["accounts", "snapshots"]  # contract order

    (tmp_path / "part").mkdir()
    (tmp_path / "part" / "a.parquet").write_bytes(b"x" * 10)
    (tmp_path / "part" / "b.parquet").write_bytes(b"x" * 5)
    assert load.file_bytes(tmp_path / "part") == 15
    assert load.file_bytes(tmp_path / "gone.csv") == 0
