"""The per-table coverage summary that validate and predict print before scoring."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from fakedetect.cli import main
from fakedetect.coverage import coverage, coverage_lines
from fakedetect.validate import load_dataset


def _dataset(root: Path) -> Path:
    """Three accounts: a 14-day history for a, 2 days for b, none for c; posts for a and b
    (b's likes hidden on two of three); audience for a only (12 followers)."""
    root.mkdir()
    pd.DataFrame({"account_id": ["a", "b", "c"], "followers": [1000, 2000, 3000]}).to_csv(
        root / "accounts.csv", index=False)
    days = pd.date_range("2024-05-01", periods=14).strftime("%Y-%m-%d")
    snaps = pd.concat([
        pd.DataFrame({"account_id": "a", "date": days, "followers": range(1000, 1014)}),
        pd.DataFrame({"account_id": "b", "date": days[:2], "followers": [1990, 2000]}),
    ])
    snaps.to_csv(root / "snapshots.csv", index=False)
    pd.DataFrame({
        "account_id": ["a"] * 3 + ["b"] * 3,
        "post_id": [f"p{i}" for i in range(6)],
        "posted_at": ["2024-05-01T10:00:00Z"] * 6,
        "likes": [10, 11, 12, 5, None, None],
    }).to_csv(root / "posts.csv", index=False)
    pd.DataFrame({"account_id": "a", "follower_username": [f"f{i}" for i in range(12)],
                  "followers": 5}).to_csv(root / "audience.csv", index=False)
    return root


def test_counts_and_lines(tmp_path: Path) -> None:
    ds = load_dataset(_dataset(tmp_path / "ds"))
    cov = coverage(ds)
    json.dumps(cov)  # plain values only
    t = cov["tables"]
    assert cov["accounts"] == 3
    assert (t["snapshots"]["accounts_with_rows"], t["snapshots"]["accounts_enough"]) == (2, 1)
    assert (t["posts"]["accounts_with_rows"], t["posts"]["accounts_enough"]) == (2, 1)
    assert t["posts"]["rows"] == 6
    assert (t["comments"]["accounts_with_rows"], t["comments"]["rows"]) == (0, 0)
    assert (t["audience"]["accounts_with_rows"], t["audience"]["accounts_enough"]) == (1, 1)
    lines = coverage_lines(cov)
    assert lines[0].startswith("snapshots: 2 of 3 accounts, 1 with the 14 days needed; "
                               "follower growth will not be assessed for 2.")
    assert lines[2].startswith("comments: 0 of 3 accounts; comment quality will not be "
                               "assessed. Fill it with: fakedetect collect WATCHLIST --out ")
    assert lines[2].endswith("--comments 20 --login USER")
    assert "the fake-follower share will not be assessed for 2" in lines[3]


def test_complete_table_reads_as_complete(tmp_path: Path) -> None:
    root = tmp_path / "ds"
    root.mkdir()
    pd.DataFrame({"account_id": ["a"], "followers": [10]}).to_csv(root / "accounts.csv",
                                                                  index=False)
    pd.DataFrame({"account_id": "a", "follower_username": [f"f{i}" for i in range(10)],
                  "followers": 1}).to_csv(root / "audience.csv", index=False)
    lines = coverage_lines(coverage(load_dataset(root)))
    assert lines[3] == "audience: 1 of 1 accounts"


def test_validate_prints_coverage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _dataset(tmp_path / "ds")
    assert main(["validate", str(root)]) == 0
    out = capsys.readouterr().out
    assert "coverage: audience: 1 of 3 accounts, 1 with the 10 sampled followers needed; " \
           "the fake-follower share will not be assessed for 2. Fill it with: " \
           f"fakedetect collect WATCHLIST --out {root} --audience 200 --login USER" in out
