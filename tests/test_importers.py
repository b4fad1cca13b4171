"""Importers: real public sets (skipped when absent), instaloader fixtures, CSV mapping,
and bad input that must end in a clear message and exit code 2."""

from __future__ import annotations

import json
import lzma
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fakedetect.cli import main
from fakedetect.errors import UserError
from fakedetect.importers import (
    import_csv,
    import_instafake,
    import_instaloader,
    import_purba,
    run_import,
)
from fakedetect.validate import load_dataset

FIXTURES = Path(__file__).parent / "fixtures" / "instaloader"


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _assert_user_error(code: int, err: str, *needles: str) -> None:
    assert code == 2
    assert err.startswith("error: ")
    assert "Traceback" not in err
    assert "what to do:" in err
    for needle in needles:
        assert needle in err, f"{needle!r} not in {err!r}"


# ------------------------------------------------------------------ InstaFake (real)


def test_instafake_real_files_pass_validation(shared_data: Path, tmp_path: Path) -> None:
    summary = run_import("instafake", shared_data / "instafake", tmp_path / "if")
    assert summary.rows == {"accounts": 1894, "posts": 57816, "labels": 1894}
    assert (summary.n_fake, summary.n_genuine) == (200, 994 + 700)
    assert summary.fraud_types == {"none": 1694, "fake": 200}
    ds = load_dataset(tmp_path / "if")
    acc = ds.accounts.set_index("account_id")
    labels = ds.tables["labels"].set_index("account_id")
    by_source = acc["source"].astype(str).value_counts().to_dict()
    assert by_source == {
        "instafake/realAccountData.json": 994,
        "instafake/nonautomatedAccountData.json": 700,
        "instafake/fakeAccountData.json": 200,
    }
    fake_ids = labels.index[labels["is_fake"] == 1].astype(str)
    assert set(acc.loc[fake_ids, "source"].astype(str)) == {"instafake/fakeAccountData.json"}
    assert labels.loc["instafake-fake-000001", "fraud_type"] == "fake"
    # The first fake record: 25 followers, 1,937 followed, username of 10 characters.
    first = acc.loc["instafake-fake-000001"]
    assert (first["followers"], first["following"], first["username_length"]) == (25, 1937, 10)
    posts = ds.tables["posts"]
    # 41 of the 700 per-post accounts list no post; posts match userMediaCount.
    assert posts["account_id"].nunique() == 659
    per_post = acc[acc["source"].astype(str) == "instafake/nonautomatedAccountData.json"]
    assert int(per_post["posts"].sum()) == len(posts)
    # 1,000 posts have comments disabled: their comment count is missing, not zero.
    disabled = pd.to_numeric(posts["comments_disabled"]) == 1  # extra columns stay as read
    assert int(disabled.sum()) == 1000
    assert posts["comments"].isna().to_numpy().tolist() == disabled.tolist()
    assert posts["posted_at"].min() >= pd.Timestamp("2011-01-01", tz="UTC")


def test_instafake_parts_and_jsonl(shared_data: Path, tmp_path: Path) -> None:
    profiles = import_instafake(shared_data / "instafake", part="profiles")
    assert set(profiles.tables) == {"accounts", "labels"}
    assert len(profiles.tables["accounts"]) == 1194
    posts = run_import(
        "instafake", shared_data / "instafake", tmp_path / "p", part="posts", out_format="jsonl"
    )
    assert posts.rows["accounts"] == 700 and posts.n_fake == 0
    assert sorted(p.name for p in posts.files.values()) == [
        "accounts.jsonl",
        "labels.jsonl",
        "posts.jsonl",
    ]
    ds = load_dataset(tmp_path / "p")
    assert ds.accounts["external_url"].notna().all()
    assert ds.accounts["has_profile_pic"].isna().all()  # per-post files do not record it


def test_instafake_wrong_json_names_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "instafake"
    src.mkdir()
    (src / "fakeAccountData.json").write_text('[{"userFollowerCount": 25,\n  "isFake": 1,,}]')
    code, _, err = _cli(["import", "instafake", str(src), "--out", str(tmp_path / "o")], capsys)
    _assert_user_error(code, err, "fakeAccountData.json line 2", "not valid JSON")
    assert not (tmp_path / "o").exists()


def test_instafake_record_without_field(tmp_path: Path) -> None:
    src = tmp_path / "instafake"
    src.mkdir()
    record = {
        "userFollowerCount": 25,
        "userFollowingCount": 1937,
        "userBiographyLength": 0,
        "userMediaCount": 0,
        "userHasProfilPic": 1,
        "userIsPrivate": 1,
        "usernameDigitCount": 0,
        "usernameLength": 10,
        "isFake": 1,
    }
    broken = {k: v for k, v in record.items() if k != "userFollowingCount"} | {
        "userFollowingCount": None
    }
    (src / "fakeAccountData.json").write_text(json.dumps([record, broken]))
    with pytest.raises(UserError, match=r"record 2: field 'userFollowingCount'"):
        import_instafake(src)
    with pytest.raises(UserError, match="no InstaFake file found for --part posts"):
        import_instafake(src, part="posts")


# ---------------------------------------------------------------------- Purba (real)


def test_purba_real_file(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv_path = shared_data / "purba" / "user_fake_authentic_4class.csv"
    raw = pd.read_csv(csv_path)
    assert len(raw) == 43307
    assert raw["class"].value_counts().to_dict() == {"a": 12054, "i": 10549, "r": 10441, "s": 10263}
    code, out, _ = _cli(
        ["import", "purba", str(shared_data / "purba"), "--out", str(tmp_path / "pb")], capsys
    )
    assert code == 0
    assert "duplicates dropped: 1,082" in out
    assert "accounts 42,225" in out
    ds = load_dataset(tmp_path / "pb")
    labels = ds.tables["labels"]
    assert len(ds.accounts) == len(labels) == 43307 - 1082
    # Class counts before dropping duplicates are the published ones.
    dropped = raw[raw.duplicated(keep="first")]["class"].value_counts()
    after = labels["purba_class"].astype(str).value_counts()
    before = after.add(dropped, fill_value=0).astype(int).to_dict()
    assert before == {"a": 12054, "i": 10549, "r": 10441, "s": 10263}
    kinds = labels.groupby("fraud_type", observed=True)["is_fake"].agg(["min", "max", "size"])
    assert kinds.loc["none"].tolist() == [0, 0, 10441]
    assert kinds.loc["active_fake"].tolist() == [1, 1, 12054]
    assert kinds.loc["inactive_fake", "size"] == 10549 - 1082
    assert kinds.loc["spammer", "size"] == 10263
    acc = ds.accounts.set_index("account_id")
    # The first data row: 69 posts, 541 followers, 440 following, erl 10.12 %, pi 334.6 h.
    first = acc.loc["purba-00001"]
    assert (first["posts"], first["followers"], first["following"]) == (69, 541, 440)
    assert first["like_rate_pct"] == pytest.approx(10.12)
    assert first["post_interval_hours"] == pytest.approx(334.596802)
    for share in (
        "share_empty_captions",
        "share_non_image_posts",
        "share_location_tagged",
        "post_similarity",
    ):
        assert acc[share].between(0, 1).all()
    assert (acc["avg_caption_length"].dropna() >= 0).all()


def test_purba_wrong_columns_and_cells(tmp_path: Path) -> None:
    bad = tmp_path / "other.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(UserError, match="missing column"):
        import_purba(bad)
    header = "pos,flw,flg,bl,pic,lin,cl,cz,ni,erl,erc,lt,hc,pr,fo,cs,pi,class\n"
    row = "69,541,440,293,1,0,223,0,0.111,10.12,0.5,0.944,0.556,0,0,0.107055,334.6,r\n"
    cell = tmp_path / "cell.csv"
    cell.write_text(header + row + row.replace("541", "many"))
    with pytest.raises(UserError, match=r"line 3, column 'flw': 'many' is not a number"):
        import_purba(cell)
    klass = tmp_path / "klass.csv"
    klass.write_text(header + row + row[:-2] + "x\n")
    with pytest.raises(UserError, match=r"line 3, column 'class': 'x'"):
        import_purba(klass)


def test_purba_small_file_drops_duplicates(tmp_path: Path) -> None:
    header = "pos,flw,flg,bl,pic,lin,cl,cz,ni,erl,erc,lt,hc,pr,fo,cs,pi,class\n"
    real = "69,541,440,293,1,0,223,0,0.111,10.12,0.5,0.944,0.556,0,0,0.107055,334.6,r\n"
    empty = "0,0,0,0,0,0,-1,0,0,0,0,0,0,0,0,0,0,i\n"
    src = tmp_path / "p.csv"
    src.write_text(header + real + empty + empty + real.replace(",r", ",s"))
    imported = import_purba(src)
    assert imported.duplicates_dropped == 1
    acc = imported.tables["accounts"]
    assert acc["account_id"].tolist() == ["purba-00001", "purba-00002", "purba-00004"]
    assert pd.isna(acc.loc[1, "avg_caption_length"])
    assert imported.tables["labels"]["fraud_type"].tolist() == ["none", "inactive_fake", "spammer"]


# ------------------------------------------------------------------------ instaloader


def test_instaloader_fixture_folder(tmp_path: Path) -> None:
    summary = run_import("instaloader", FIXTURES, tmp_path / "il", out_format="parquet")
    assert summary.rows == {"accounts": 2, "snapshots": 3, "posts": 5, "comments": 3}
    assert any("growth features need at least 14 days" in w for w in summary.warnings)
    ds = load_dataset(tmp_path / "il")
    acc = ds.accounts.set_index("account_id")
    anna = acc.loc["travel.anna"]
    # The newest dated profile file wins over the older one and the posts' owner copies.
    assert (anna["followers"], anna["following"]) == (18950, 515)
    assert bool(anna["external_url"]) and bool(anna["has_profile_pic"])
    assert anna["bio_length"] == len("Slow travel, trains and small towns. #travel")
    bot = acc.loc["bot.follow4f"]
    assert (bot["followers"], bot["following"]) == (37, 6921)
    assert not bool(bot["has_profile_pic"])  # Instagram's default avatar
    assert bool(bot["is_private"]) and not bool(bot["external_url"])

    snaps = ds.tables["snapshots"]
    anna_snaps = snaps[snaps["account_id"] == "travel.anna"]
    assert anna_snaps["followers"].tolist() == [15210, 18950]
    assert anna_snaps["date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-15", "2024-02-15"]
    # bot.follow4f_<id>.json has no date in its name or folder: its mtime dates it.
    assert snaps[snaps["account_id"] == "bot.follow4f"]["followers"].tolist() == [37]

    posts = ds.tables["posts"].set_index("post_id")
    assert posts.index.tolist() == [
        "C1aAbCdEfG1",
        "C1bHiJkLmN2",
        "C1cOpQrStU3",
        "C1dVwXyZaB4",
        "C1eCdEfGhI5",
    ]
    assert posts["likes"].tolist() == [412, 380, 655, 298, 501]  # C1c uses edge_liked_by
    assert pd.isna(posts.loc["C1cOpQrStU3", "comments"])  # comments disabled
    assert bool(posts.loc["C1cOpQrStU3", "is_sponsored"])
    assert posts.loc["C1bHiJkLmN2", "views"] == 5300
    assert posts["views"].notna().sum() == 1
    assert posts["hashtags"].tolist() == [3, 0, 2, 0, 1]
    assert posts.loc["C1dVwXyZaB4", "caption_length"] == 0
    # The bare node (no instaloader wrapper) keeps its time in "date".
    assert posts.loc["C1dVwXyZaB4", "posted_at"] == pd.Timestamp("2024-02-02 08:05", tz="UTC")

    comments = ds.tables["comments"]
    assert set(comments["post_id"].astype(str)) == {"C1eCdEfGhI5"}
    assert sorted(comments["commenter"].astype(str)) == [
        "marco.walks",
        "promo_4_u_2024",
        "travel.anna",
    ]


def test_instaloader_single_observation_warns(tmp_path: Path) -> None:
    src = tmp_path / "travel.anna"
    shutil.copytree(FIXTURES / "travel.anna", src)
    (src / "2024-01-15_00-00-00_UTC_profile.json").unlink()
    imported = import_instaloader(src)
    assert imported.tables["snapshots"]["followers"].tolist() == [18950]
    assert imported.tables["accounts"]["followers"].tolist() == [18950]
    assert imported.warnings == [
        "1 profile observation for travel.anna: growth features need at least 14 days; "
        "run `fakedetect collect` daily or keep each download"]


def _profile_file(path: Path, followers: int, *, username: str = "travel.anna",
                  user_id: str = "123", mtime: str | None = None) -> None:
    """A profile JSON as instaloader saves it (``<profile>_<id>.json(.xz)``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"node": {"id": user_id, "username": username, "biography": "trains",
                     "edge_followed_by": {"count": followers}, "edge_follow": {"count": 50},
                     "edge_owner_to_timeline_media": {"count": 9}, "is_private": False,
                     "external_url": None},
            "instaloader": {"version": "4.16", "node_type": "Profile"}}
    if path.name.endswith(".xz"):
        with lzma.open(path, "wt") as fh:
            json.dump(data, fh)
    else:
        path.write_text(json.dumps(data))
    if mtime is not None:
        stamp = pd.Timestamp(mtime, tz="UTC").timestamp()
        os.utime(path, (stamp, stamp))


def _history(src: Path) -> list[tuple[str, int]]:
    snaps = import_instaloader(src).tables["snapshots"]
    return list(zip(snaps["date"], snaps["followers"].astype(int), strict=True))


def test_instaloader_history_from_dated_folders(tmp_path: Path) -> None:
    for day, n in (("2024-05-01", 100), ("2024-05-02", 104), ("2024-05-04", 110)):
        _profile_file(tmp_path / "dl" / day / "travel.anna" / "travel.anna_123.json.xz", n)
    assert _history(tmp_path / "dl") == [("2024-05-01", 100), ("2024-05-02", 104),
                                         ("2024-05-04", 110)]
    notes = import_instaloader(tmp_path / "dl").notes
    assert "profile observations dated by a folder name (3)" in notes


def test_instaloader_history_from_date_named_profile_files(tmp_path: Path) -> None:
    src = tmp_path / "travel.anna"
    _profile_file(src / "travel.anna_123_2024-05-01.json.xz", 100)
    _profile_file(src / "20240502_travel.anna_123.json", 104)
    _profile_file(src / "2024-05-02_21-00-00_UTC_profile.json", 105)  # later that day
    assert _history(src) == [("2024-05-01", 100), ("2024-05-02", 105)]


def test_instaloader_history_from_a_folder_per_run(tmp_path: Path) -> None:
    # Undated run folders: each copy is dated by its modification time; the account
    # renamed between runs stays one account (same Instagram id).
    _profile_file(tmp_path / "runs" / "a" / "travel.anna_123.json.xz", 100,
                  mtime="2024-05-01 06:00")
    _profile_file(tmp_path / "runs" / "b" / "anna.travels_123.json.xz", 101,
                  username="anna.travels", mtime="2024-05-02 06:00")
    imported = import_instaloader(tmp_path / "runs")
    assert imported.tables["accounts"]["account_id"].tolist() == ["anna.travels"]
    assert _history(tmp_path / "runs") == [("2024-05-01", 100), ("2024-05-02", 101)]
    assert imported.warnings[0].startswith("2 day(s) of profile observations for anna.travels")


def test_instaloader_posts_only_uses_embedded_owner(tmp_path: Path) -> None:
    src = tmp_path / "dl" / "travel.anna"
    shutil.copytree(FIXTURES / "travel.anna", src)
    for profile in src.glob("*_profile.json"):
        profile.unlink()
    story = {"node": {"id": "1"}, "instaloader": {"version": "4.13", "node_type": "StoryItem"}}
    with lzma.open(src / "2024-02-11_07-00-00_UTC.json.xz", "wt") as fh:
        json.dump(story, fh)
    imported = import_instaloader(tmp_path / "dl")
    acc = imported.tables["accounts"]
    assert acc["account_id"].tolist() == ["travel.anna"]
    assert acc["followers"].tolist() == [16000]  # the owner copy stored in the posts
    assert len(imported.tables["posts"]) == 5
    assert any("skipped 1 StoryItem" in n for n in imported.notes)


def test_instaloader_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = _cli(["import", "instaloader", str(empty), "--out", str(tmp_path / "o")], capsys)
    _assert_user_error(code, err, "no .json or .json.xz file found")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "2024-01-01_00-00-00_UTC.json.xz").write_bytes(b"not xz at all")
    code, _, err = _cli(
        ["import", "instaloader", str(broken), "--out", str(tmp_path / "o")], capsys
    )
    _assert_user_error(code, err, "2024-01-01_00-00-00_UTC.json.xz", "not a readable .xz")
    nocount = tmp_path / "nocount"
    nocount.mkdir()
    node = {
        "node": {"username": "x", "id": "5"},
        "instaloader": {"version": "4.13", "node_type": "Profile"},
    }
    (nocount / "x_5.json").write_text(json.dumps(node))
    with pytest.raises(UserError, match=r"x_5.json: profile x has no follower count"):
        import_instaloader(nocount)


# ------------------------------------------------------------------------ csv mapping


def _user_csv(path: Path, n: int = 40, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    followers = rng.integers(10, 60000, n)
    frame = pd.DataFrame(
        {
            "Handle": [f"user{i}_{rng.integers(0, 99)}" for i in range(n)],
            "Number.of.followers": [f"{f:,}" for f in followers],
            "Following": rng.integers(0, 7500, n),
            "Posts": rng.integers(0, 900, n),
            "Has.Picture": rng.choice(["yes", "no"], n),
            "Fake.Or.Not": rng.choice(["Yes", "No", "bot", ""], n),
            "Notes": "kept out",
        }
    )
    frame.loc[0, "Number.of.followers"] = "12.5k"
    frame.to_csv(path, index=False, sep=";")
    return frame


def test_csv_mapping_with_labels(tmp_path: Path) -> None:
    src = tmp_path / "My Accounts.csv"
    frame = _user_csv(src)
    summary = run_import(
        "csv",
        src,
        tmp_path / "mine",
        mapping=["username=Handle,followers=Number.of.followers", "following=Following"],
        label="is_fake=Fake.Or.Not",
        label_values="yes=1,no=0,bot=spammer",
    )
    ds = load_dataset(tmp_path / "mine")
    acc = ds.accounts.set_index("account_id")
    assert sorted(acc.index) == sorted(frame["Handle"])  # no account_id: the usernames
    assert acc.loc[frame["Handle"].iloc[0], "followers"] == 12500
    assert any("account ids: the usernames (column 'Handle')" in n for n in summary.notes)
    expected = frame["Number.of.followers"].iloc[1:].str.replace(",", "").astype(int).tolist()
    assert acc.loc[frame["Handle"].iloc[1:], "followers"].tolist() == expected
    assert acc["posts"].isna().all() and "Notes" not in acc  # only mapped columns
    labelled = frame["Fake.Or.Not"] != ""
    assert summary.rows["labels"] == int(labelled.sum())
    labels = ds.tables["labels"].set_index("account_id")
    fake = frame.loc[labelled, "Fake.Or.Not"].str.lower().isin(["yes", "bot"])
    assert labels.loc[frame.loc[labelled, "Handle"], "is_fake"].tolist() == \
        fake.astype(int).tolist()
    assert set(labels["fraud_type"].astype(str)) == {"none", "fake", "spammer"}
    assert summary.n_fake == int(fake.sum())


def test_csv_contract_names_and_id_column(tmp_path: Path) -> None:
    src = tmp_path / "plain.csv"
    src.write_text("account_id,followers,has_profile_pic,label\na1,10,1,0\na2,20,0,1\n")
    imported = import_csv(src, label="label", mapping=None)
    acc = imported.tables["accounts"]
    assert acc["account_id"].tolist() == ["a1", "a2"]
    assert acc["has_profile_pic"].tolist() == [1, 0]
    assert imported.tables["labels"]["is_fake"].tolist() == [0, 1]


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (
            ["--map", "followers=Number.of.folowers"],
            ["no column 'Number.of.folowers'", "did you mean 'Number.of.followers'"],
        ),
        (
            ["--map", "follower=Number.of.followers"],
            ["'follower' is not a column of the accounts table"],
        ),
        (["--map", "followers"], ["expected NAME=VALUE"]),
        (["--map", "username=Handle"], ["no column is mapped to followers"]),
        (
            ["--map", "followers=Number.of.followers", "--label", "Fake.Or.Not"],
            ["label value(s) 'bot' are not mapped"],
        ),
        (
            ["--map", "followers=Number.of.followers,following=Has.Picture"],
            ["column 'Has.Picture' (mapped to following)", "line 2"],
        ),
        (
            [
                "--map",
                "followers=Number.of.followers",
                "--label",
                "Fake.Or.Not",
                "--label-values",
                "yes=1,no=0,bot=robot",
            ],
            ["unknown label 'robot'"],
        ),
    ],
)
def test_csv_bad_mapping_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], needles: list[str]
) -> None:
    src = tmp_path / "u.csv"
    _user_csv(src, n=6)
    code, _, err = _cli(["import", "csv", str(src), "--out", str(tmp_path / "o"), *args], capsys)
    _assert_user_error(code, err, *needles)
    assert not (tmp_path / "o" / "accounts.csv").exists()


def test_csv_negative_count_is_caught_before_writing(tmp_path: Path) -> None:
    src = tmp_path / "neg.csv"
    src.write_text("followers,following\n10,-4\n")
    with pytest.raises(UserError, match="break the data contract"):
        run_import("csv", src, tmp_path / "o")
    assert not (tmp_path / "o" / "accounts.csv").exists()


# ------------------------------------------------------------------- command and output


def test_cli_bad_input_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "o")
    code, _, err = _cli(["import", "tiktok", str(tmp_path), "--out", out], capsys)
    _assert_user_error(code, err, "unknown import format 'tiktok'", "instafake, purba")
    code, _, err = _cli(["import", "instafake", str(tmp_path / "nope"), "--out", out], capsys)
    _assert_user_error(code, err, "nope: no such file or folder")
    code, _, err = _cli(
        ["import", "purba", str(tmp_path / "x.csv"), "--out", out, "--map", "a=b"], capsys
    )
    _assert_user_error(code, err, "--map does not apply to the purba importer")
    code, _, err = _cli(
        ["import", "instaloader", str(FIXTURES), "--out", out, "--format", "xlsx"], capsys
    )
    _assert_user_error(code, err, "unknown output format 'xlsx'")


def test_out_folder_protection(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ds"
    out.mkdir()
    (out / "accounts.csv").write_text("account_id,followers\nmine,1\n")
    argv = ["import", "instaloader", str(FIXTURES), "--out", str(out)]
    code, _, err = _cli(argv, capsys)
    _assert_user_error(code, err, "already holds a dataset", "--force")
    assert (out / "accounts.csv").read_text().startswith("account_id,followers\nmine")
    code, printed, _ = _cli([*argv, "--force", "--format", "jsonl"], capsys)
    assert code == 0
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "accounts.jsonl",
        "comments.jsonl",
        "posts.jsonl",
        "snapshots.jsonl",
    ]
    assert f"written to {out}" in printed
    assert "tables: accounts 2, snapshots 3, posts 5, comments 3" in printed
    # A folder written by an import can be re-imported into without --force.
    code, _, _ = _cli(argv, capsys)
    assert code == 0
    assert len(load_dataset(out).tables["posts"]) == 5


# ------------------------------------------------------------- csv into any table


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_csv_history_posts_and_audience_merge_into_one_dataset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "ds"
    acc = _write(tmp_path / "acc.csv", "handle,Followers,Bio\n"
                 "travel.anna,52300,Slow travel #lisbon\nuser2024x9,80,\n")
    code, _, _ = _cli(["import", "csv", str(acc), "--out", str(out), "--map",
                       "account_id=handle,followers=Followers,bio=Bio,username=handle"], capsys)
    assert code == 0
    daily = _write(tmp_path / "daily.csv", "handle;day;followers\n"
                   "travel.anna;2024-05-01;52000\ntravel.anna;2024-05-02;52100\n"
                   "travel.anna;2024-05-02;52100\nnew.one;2024-05-02;10\n")
    code, printed, _ = _cli(["import", "csv", str(daily), "--out", str(out), "--table",
                             "snapshots", "--map", "account_id=handle,date=day"], capsys)
    assert code == 0
    assert "duplicates dropped: 1" in printed
    assert "accounts: 1 account(s) added from their latest snapshot" in printed
    posts = _write(tmp_path / "posts.csv", "handle,code,when,likes,Caption\n"
                   "travel.anna,A1,2024-05-01T10:00:00Z,1.2k,hello #a #b\n"
                   "travel.anna,A2,2024-05-02T10:00:00Z,900,\n")
    summary = run_import("csv", posts, out, table="posts", mapping={
        "account_id": "handle", "post_id": "code", "posted_at": "when", "caption": "Caption"})
    assert any("derived caption_length, hashtags from caption" in n for n in summary.notes)
    aud = _write(tmp_path / "aud.csv", "influencer,follower,followers,bio\n"
                 "travel.anna,fan.one,310,coffee\ntravel.anna,bot99,2,\n")
    run_import("csv", aud, out, table="audience", mapping={
        "account_id": "influencer", "follower_username": "follower", "bio": "bio"})
    # A second accounts file fills columns the first left empty for the same account.
    more = _write(tmp_path / "more.csv", "account_id,following,followers\n"
                  "travel.anna,410,52300\n")
    run_import("csv", more, out)
    ds = load_dataset(out)
    a = ds.accounts.set_index("account_id")
    assert a.loc["travel.anna", "bio_length"] == len("Slow travel #lisbon")
    assert pd.isna(a.loc["user2024x9", "bio_length"])  # an empty bio cell stays missing
    assert (a.loc["user2024x9", "username_length"], a.loc["user2024x9", "username_digits"]) \
        == (10, 5)
    assert a.loc["travel.anna", "following"] == 410
    assert a.loc["new.one", "followers"] == 10
    snaps = ds.tables["snapshots"]
    assert snaps[snaps["account_id"] == "travel.anna"]["followers"].tolist() == [52000, 52100]
    p = ds.tables["posts"].set_index("post_id")
    assert (p.loc["A1", "likes"], p.loc["A1", "caption_length"], p.loc["A1", "hashtags"]) \
        == (1200, 11, 2)
    assert (p.loc["A2", "caption_length"], p.loc["A2", "hashtags"]) == (0, 0)
    au = ds.tables["audience"].set_index("follower_username")
    assert au.loc["fan.one", "bio_length"] == 6 and pd.isna(au.loc["bot99", "bio_length"])
    # Importing the same file again changes nothing.
    before = (out / "snapshots.csv").read_text()
    code, _, _ = _cli(["import", "csv", str(daily), "--out", str(out), "--table",
                       "snapshots", "--map", "account_id=handle,date=day"], capsys)
    assert code == 0 and (out / "snapshots.csv").read_text() == before


def test_csv_conflicting_rows_are_refused_with_both_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "ds"
    first = _write(tmp_path / "a.csv", "id,day,followers\nanna,2024-05-01,100\n"
                   "anna,2024-05-02,104\n")
    run_import("csv", first, out, table="snapshots", mapping="account_id=id,date=day")
    clash = _write(tmp_path / "b.csv", "id,day,followers\nanna,2024-05-03,109\n"
                   "anna,2024-05-02,999\n")
    before = (out / "snapshots.csv").read_text()
    code, _, err = _cli(["import", "csv", str(clash), "--out", str(out), "--table",
                         "snapshots", "--map", "account_id=id,date=day"], capsys)
    _assert_user_error(code, err, "anna, 2024-05-02: followers 104 in",
                       "snapshots.csv line 3", "999 in", "b.csv line 3", "--force")
    assert (out / "snapshots.csv").read_text() == before  # nothing written
    inner = _write(tmp_path / "c.csv", "id,day,followers\nbob,2024-05-01,1\n"
                   "bob,2024-05-01,2\n")
    code, _, err = _cli(["import", "csv", str(inner), "--out", str(tmp_path / "x"),
                         "--table", "snapshots", "--map", "account_id=id,date=day"], capsys)
    _assert_user_error(code, err, "bob, 2024-05-01 at line 2 and line 3")


def test_csv_table_errors_suggest_names(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    src = _write(tmp_path / "p.csv", "handle,code,when,likes,text\nanna,A1,2024-05-01,3,hi\n")
    base = ["import", "csv", str(src), "--out", str(tmp_path / "ds")]
    code, _, err = _cli([*base, "--table", "post"], capsys)
    _assert_user_error(code, err, "--table post", "did you mean 'posts'?")
    code, _, err = _cli([*base, "--table", "posts", "--map", "account_id=handle,post_id=code,"
                         "posted_at=when,captoin=text"], capsys)
    _assert_user_error(code, err, "'captoin' is not a column of the posts table",
                       "did you mean 'caption'?")
    code, _, err = _cli([*base, "--table", "posts", "--map", "post_id=code,posted_at=when"],
                        capsys)
    _assert_user_error(code, err, "no column is mapped to account_id (required in posts)")
    code, _, err = _cli([*base, "--table", "posts", "--map", "account_id=handle,post_id=code,"
                         "posted_at=when"], capsys)
    _assert_user_error(code, err, "has no accounts table for the posts rows",
                       "--table accounts")
    code, _, err = _cli([*base, "--table", "posts", "--label", "x"], capsys)
    _assert_user_error(code, err, "--label applies to --table accounts")


def test_csv_bad_dates_name_the_source_lines_and_leave_no_folder(tmp_path: Path) -> None:
    rows = [f"alice,2026-11-{d:02d},{12000 + d}" for d in range(1, 21)]
    rows[2] = "alice,2026-13-03,12030"  # line 4 (the header is line 1)
    rows += [f"bob,2026-11-{d:02d},{8000 + d}" for d in range(1, 21)]
    rows[22] = "bob,2026-13-03,8020"  # line 24
    src = _write(tmp_path / "snaps.csv", "account_id,date,followers\n" + "\n".join(rows) + "\n")
    out = tmp_path / "data" / "mine"
    with pytest.raises(UserError) as err:
        run_import("csv", src, out, table="snapshots")
    text = str(err.value)
    assert f"{src}, line 4, column 'date': found '2026-13-03'" in text
    assert f"{src}, line 24, column 'date'" in text
    assert ".import-" not in text
    assert not (tmp_path / "data").exists()  # made by the failed import, so removed
    # A folder that existed before stays, with the tables it held.
    out.mkdir(parents=True)
    accounts = _write(tmp_path / "acc.csv", "account_id,followers\nalice,12020\nbob,8020\n")
    run_import("csv", accounts, out, table="accounts")
    with pytest.raises(UserError, match="line 24"):
        run_import("csv", src, out, table="snapshots")
    assert (out / "accounts.csv").is_file()
    assert sorted(p.name for p in out.iterdir()) == [".import.json", "accounts.csv"]


def test_import_json_summary_and_a_file_name_out_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _write(tmp_path / "acc.csv", "account_id,followers\nalice,12020\nbob,8020\n")
    code, _, err = _cli(["import", "csv", str(src), "--out", str(tmp_path / "o.csv")], capsys)
    assert code == 2 and "give a folder name" in err and not (tmp_path / "o.csv").exists()
    code, printed, _ = _cli(["import", "csv", str(src), "--out", str(tmp_path / "o"),
                             "--json"], capsys)
    assert code == 0
    got = json.loads(printed)
    assert got["rows"] == {"accounts": 2} and got["out"] == str(tmp_path / "o")
    assert Path(got["files"]["accounts"]).is_file()


# ---------------------------------------------------------------- vendor exports


VENDOR_DAYS = {"iso": ("2026-10-01", "2026-10-02", "2026-10-03"),
               "us": ("10/01/2026", "10/02/2026", "10/03/2026"),
               "eu": ("01/10/2026", "02/10/2026", "03/10/2026")}


def _daily(path: Path, days: tuple[str, ...]) -> Path:
    rows = [f"lena.travels,{d},{f}" for d, f in zip(days, (15800, 15830, 24055), strict=True)]
    return _write(path, "Handle,Day,Followers\n" + "\n".join(rows) + "\n")


SNAP_MAP = "account_id=Handle,date=Day,followers=Followers"


@pytest.mark.parametrize("style", ["us", "eu"])
def test_a_non_iso_date_names_the_cell_not_a_duplicate_key(tmp_path: Path, style: str
                                                           ) -> None:
    src = _daily(tmp_path / "daily.csv", VENDOR_DAYS[style])
    with pytest.raises(UserError) as err:
        run_import("csv", src, tmp_path / "out", table="snapshots", mapping=SNAP_MAP)
    text = str(err.value)
    first = VENDOR_DAYS[style][0]
    assert (f"{src}, line 2, column 'Day' (mapped to date): found '{first}'; expected a "
            "date (YYYY-MM-DD)") in text
    assert "line 4" in text and "repeat the key" not in text
    assert "--date-format %m/%d/%Y" in text and "--date-format %d/%m/%Y" in text
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("style", "fmt", "first"), [
    ("us", "%m/%d/%Y", "2026-10-01"), ("eu", "%d/%m/%Y", "2026-10-01"),
    ("us", "%d/%m/%Y", "2026-01-10"),  # the user's word decides, never a guess
])
def test_date_format_reads_the_days_as_the_user_says(tmp_path: Path, style: str, fmt: str,
                                                      first: str) -> None:
    src = _daily(tmp_path / "daily.csv", VENDOR_DAYS[style])
    run_import("csv", src, tmp_path / "out", table="snapshots", mapping=SNAP_MAP,
               date_format=fmt)
    snaps = load_dataset(tmp_path / "out").tables["snapshots"]
    assert str(snaps["date"].iloc[0])[:10] == first
    assert len(snaps) == 3


def test_date_format_that_does_not_fit_names_the_cell(tmp_path: Path) -> None:
    src = _daily(tmp_path / "daily.csv", VENDOR_DAYS["iso"])
    with pytest.raises(UserError, match=r"line 2, column 'Day' \(mapped to date\): found "
                                        r"'2026-10-01'; expected a date in the format "
                                        r"%m/%d/%Y"):
        run_import("csv", src, tmp_path / "out", table="snapshots", mapping=SNAP_MAP,
                   date_format="%m/%d/%Y")
    accounts = _write(tmp_path / "acc.csv", "Handle,Followers\nlena,5\n")
    with pytest.raises(UserError, match="no date or time column"):
        run_import("csv", accounts, tmp_path / "out", mapping="username=Handle,"
                   "followers=Followers", date_format="%m/%d/%Y")


def test_cli_date_format_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _daily(tmp_path / "daily.csv", VENDOR_DAYS["us"])
    out = tmp_path / "out"
    code, _, err = _cli(["import", "csv", str(src), "--table", "snapshots", "-o", str(out),
                         "--map", SNAP_MAP], capsys)
    assert code == 2 and "found '10/01/2026'" in err and "Traceback" not in err
    code, _, err = _cli(["import", "csv", str(src), "--table", "snapshots", "-o", str(out),
                         "--map", SNAP_MAP, "--date-format", "%m/%d/%Y"], capsys)
    assert code == 0, err


def _vendor_accounts(tmp_path: Path) -> Path:
    return _write(tmp_path / "accounts.csv",
                  "Handle,Followers,Following,Posts\nlena.travels,24100,512,342\n"
                  "max.eats,18000,300,120\n")


def test_vendor_profiles_then_history_make_one_account_each(tmp_path: Path) -> None:
    out = tmp_path / "vdata"
    first = run_import("csv", _vendor_accounts(tmp_path), out,
                       mapping="username=Handle,followers=Followers,following=Following,"
                               "posts=Posts")
    assert any("the usernames" in n for n in first.notes)
    src = _daily(tmp_path / "daily.csv", VENDOR_DAYS["iso"])
    run_import("csv", src, out, table="snapshots", mapping=SNAP_MAP)
    ds = load_dataset(out)
    assert sorted(ds.accounts["account_id"].astype(str)) == ["lena.travels", "max.eats"]
    assert set(ds.tables["snapshots"]["account_id"].astype(str)) == {"lena.travels"}


def test_history_naming_a_profile_by_its_username_under_another_id_is_refused(
        tmp_path: Path) -> None:
    out = tmp_path / "vdata"
    run_import("csv", _vendor_accounts(tmp_path), out, id_prefix="acc",
               mapping="username=Handle,followers=Followers")
    src = _daily(tmp_path / "daily.csv", VENDOR_DAYS["iso"])
    with pytest.raises(UserError) as err:
        run_import("csv", src, out, table="snapshots", mapping=SNAP_MAP)
    text = str(err.value)
    assert f"{src} line 2" in text and "'lena.travels'" in text and "'acc-000001'" in text
    assert "second account" in text
    ds = load_dataset(out)  # the folder is as it was
    assert sorted(ds.accounts["account_id"].astype(str)) == ["acc-000001", "acc-000002"]
    assert ds.get("snapshots") is None
    # an id the accounts table does not list and no username matches: a new account
    other = _write(tmp_path / "new.csv", "Handle,Day,Followers\nnew.one,2026-10-01,5\n")
    run_import("csv", other, out, table="snapshots", mapping=SNAP_MAP)
    assert "new.one" in set(load_dataset(out).accounts["account_id"].astype(str))


def test_validate_refuses_snapshots_of_accounts_the_accounts_table_lacks(
        tmp_path: Path) -> None:
    _write(tmp_path / "accounts.csv", "account_id,followers\na1,100\n")
    _write(tmp_path / "snapshots.csv", "account_id,date,followers\na1,2026-10-01,100\n"
                                        "zz,2026-10-01,5\n")
    with pytest.raises(UserError, match=r"(?s)unknown account.*line 3.*'zz'"):
        load_dataset(tmp_path)
