"""fakedetect collect, offline: instaloader's own Profile and Post objects built from
recorded JSON nodes (tests/fixtures/collect, in the structure instaloader saves) behind a
fake context that answers the requests instaloader makes and records them."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

instaloader = pytest.importorskip("instaloader")

from instaloader import (  # noqa: E402
    LoginRequiredException,
    Post,
    QueryReturnedNotFoundException,
    TooManyRequestsException,
)

from fakedetect import collect as coll  # noqa: E402
from fakedetect.cli import main  # noqa: E402
from fakedetect.collect import (  # noqa: E402
    SKIPPED_EXIT,
    CollectOptions,
    InstaloaderClient,
    collect,
    collect_status,
    read_watchlist,
)
from fakedetect.errors import UserError  # noqa: E402
from fakedetect.validate import load_dataset  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures" / "collect"
DAY1, DAY2, DAY3 = date(2024, 5, 6), date(2024, 5, 7), date(2024, 5, 9)


def _recorded() -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]], dict[str, list]]:
    profiles = {p["node"]["username"]: p["node"]
                for p in json.loads((FIXTURES / "profiles.json").read_text())}
    posts = [p["node"] for p in json.loads((FIXTURES / "posts.json").read_text())]
    followers = json.loads((FIXTURES / "followers.json").read_text())
    return profiles, posts, followers


class FakeContext:
    """Stands in for ``InstaloaderContext``: answers from recorded nodes, never the network.

    ``script`` holds exceptions to raise on the next requests (``None`` lets one pass).
    """

    iphone_support = False

    def __init__(self, profiles: dict[str, dict[str, Any]], *, logged_in: bool = False,
                 followers: dict[str, list[dict[str, Any]]] | None = None) -> None:
        self.profiles = profiles
        self.followers = followers or {}
        self.is_logged_in = logged_in
        self.username = "watcher" if logged_in else None
        self.profile_id_cache: dict[int, Any] = {}
        self.requests: list[str] = []
        self.script: list[BaseException | None] = []

    def error(self, msg: str, repeat_at_end: bool = True) -> None:
        pass

    def log(self, *msg: Any, **kwargs: Any) -> None:
        pass

    def _request(self, what: str) -> None:
        self.requests.append(what)
        if self.script:
            exc = self.script.pop(0)
            if exc is not None:
                raise exc

    def _by_id(self, user_id: str) -> dict[str, Any] | None:
        return next((n for n in self.profiles.values() if str(n["id"]) == str(user_id)), None)

    def get_page_data(self, path: str) -> list[dict[str, Any]]:
        self._request(f"page {path}")
        node = self.profiles.get(path.strip("/"))
        if node is None:
            raise QueryReturnedNotFoundException("404 Not Found")
        return [{"xig_user_by_username": {**copy.deepcopy(node), "pk": node["id"]}}]

    def doc_id_graphql_query(self, doc_id: str, variables: dict[str, Any],
                             referer: str | None = None, web_api: bool = False) -> dict:
        self._request(f"doc_id {doc_id}")
        node = self._by_id(variables.get("id", ""))
        return {"data": {"user": copy.deepcopy(node)}}

    def graphql_query(self, query_hash: str, variables: dict[str, Any],
                      referer: str | None = None) -> dict:
        self._request(f"graphql {query_hash}")
        owner = self._by_id(variables["id"])
        nodes = self.followers.get(owner["username"], []) if owner else []
        return {"data": {"user": {"edge_followed_by": {
            "count": len(nodes), "edges": [{"node": copy.deepcopy(n)} for n in nodes],
            "page_info": {"has_next_page": False, "end_cursor": None}}}}}


class RecordedLoader:
    """The part of ``instaloader.Instaloader`` the client uses: its context."""

    def __init__(self, context: FakeContext) -> None:
        self.context = context


class RecordedClient(InstaloaderClient):
    """The real client; only the post listing reads recorded post nodes (instaloader's
    timeline query is not recorded), built into ``instaloader.Post`` objects."""

    def __init__(self, context: FakeContext, posts: list[dict[str, Any]]) -> None:
        super().__init__(RecordedLoader(context))  # type: ignore[arg-type]
        self.recorded_posts = posts

    def posts(self, profile: Any, limit: int) -> list[Post]:
        mine = [n for n in self.recorded_posts if n["owner"]["id"] == str(profile.userid)]
        return [Post(self.loader.context, copy.deepcopy(n), owner_profile=profile)
                for n in mine[:limit]]


def _client(*, logged_in: bool = False, bump: int = 0,
            rename: bool = False) -> tuple[RecordedClient, FakeContext]:
    profiles, posts, followers = _recorded()
    for node in profiles.values():
        node["edge_followed_by"]["count"] += bump
    if rename:
        node = profiles.pop("travel.anna")
        node["username"] = "anna.travels"
        profiles["anna.travels"] = node
    ctx = FakeContext(profiles, logged_in=logged_in, followers=followers)
    return RecordedClient(ctx, posts), ctx


def _table(out: Path, name: str) -> pd.DataFrame:
    return load_dataset(out).tables[name]


def _sleeps() -> tuple[list[float], Any]:
    waited: list[float] = []
    return waited, waited.append


WATCH = ["travel.anna", "bot.follow4f"]


def test_first_run_writes_a_valid_dataset(tmp_path: Path) -> None:
    client, ctx = _client()
    out = tmp_path / "ds"
    summary = collect(WATCH, out, client, today=DAY1)
    assert summary.exit_code == 0
    assert [o.status for o in summary.outcomes] == ["collected", "collected"]
    ds = load_dataset(out)
    acc = ds.accounts.set_index("account_id")
    assert acc.loc["travel.anna", "followers"] == 52300
    assert acc.loc["travel.anna", "bio_length"] == len("Slow travel, Lisbon. #travel")
    assert bool(acc.loc["travel.anna", "has_profile_pic"])
    assert not bool(acc.loc["bot.follow4f", "has_profile_pic"])  # the default avatar
    assert bool(acc.loc["travel.anna", "external_url"])
    snaps = ds.tables["snapshots"]
    assert len(snaps) == 2
    assert set(snaps["date"].dt.strftime("%Y-%m-%d")) == {"2024-05-06"}
    posts = ds.tables["posts"].set_index("post_id")
    assert posts.loc["CxAnna01", "likes"] == 1800
    assert posts.loc["CxAnna01", "hashtags"] == 2
    assert posts.loc["CxAnna02", "views"] == 21000
    assert posts.loc["CxBot001", "caption_length"] == 0  # published without a caption
    assert "comments" not in ds.tables and "audience" not in ds.tables
    # Anonymous: one profile page per account, nothing else.
    assert ctx.requests == ["page travel.anna/", "page bot.follow4f/"]
    assert (out / ".import.json").is_file()


def test_daily_append_and_same_day_rerun(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    collect(WATCH, out, _client()[0], today=DAY1)
    collect(WATCH, out, _client(bump=100)[0], today=DAY2)
    snaps = _table(out, "snapshots")
    anna = snaps[snaps["account_id"] == "travel.anna"]
    assert anna["followers"].tolist() == [52300, 52400]
    assert len(_table(out, "posts")) == 3  # posts seen on both days are not repeated
    # A rerun the same day replaces that day's row.
    collect(WATCH, out, _client(bump=150)[0], today=DAY2)
    snaps = _table(out, "snapshots")
    anna = snaps[snaps["account_id"] == "travel.anna"]
    assert anna["followers"].tolist() == [52300, 52450]
    assert len(snaps) == 4
    assert len(_table(out, "accounts")) == 2


def test_crash_mid_run_leaves_a_valid_dataset_and_the_next_run_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "ds"
    watch = ["travel.anna", "bot.follow4f", "fan.one"]
    import fakedetect.io as fio

    real = fio.write_table
    calls = {"n": 0}

    def dying(frame: pd.DataFrame, path: Any, fmt: str | None = None) -> Path:
        # Die while writing the second account's snapshot (after its accounts row).
        if Path(path).name == "snapshots.csv":
            calls["n"] += 1
            if calls["n"] == 2:
                raise KeyboardInterrupt
        return real(frame, path, fmt)

    monkeypatch.setattr(fio, "write_table", dying)
    with pytest.raises(KeyboardInterrupt):
        collect(watch, out, _client()[0], today=DAY1)
    monkeypatch.setattr(fio, "write_table", real)
    ds = load_dataset(out)  # valid: the second account has its row but no snapshot yet
    assert set(ds.accounts["account_id"]) == {"travel.anna", "bot.follow4f"}
    assert set(ds.tables["snapshots"]["account_id"]) == {"travel.anna"}
    assert not list(out.glob(".*.tmp"))
    # The next run, capped at two accounts, takes the two not yet observed today.
    client, _ = _client()
    summary = collect(watch, out, client, CollectOptions(max_accounts=2), today=DAY1)
    assert {o.username: o.status for o in summary.outcomes} == {
        "travel.anna": "deferred", "bot.follow4f": "collected", "fan.one": "collected"}
    assert summary.exit_code == 0
    snaps = _table(out, "snapshots")
    assert sorted(snaps["account_id"].astype(str)) == ["bot.follow4f", "fan.one",
                                                      "travel.anna"]


def test_private_account_keeps_its_counters_and_is_reported(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    summary = collect(["quiet.kim", "travel.anna"], out, _client()[0], today=DAY1)
    kim = summary.outcomes[0]
    assert kim.status == "partial" and "private account" in kim.reason
    assert summary.exit_code == SKIPPED_EXIT
    assert any(line.startswith("partial: quiet.kim: private") for line in summary.lines())
    ds = load_dataset(out)
    assert "quiet.kim" in set(ds.tables["snapshots"]["account_id"])
    assert "quiet.kim" not in set(ds.tables["posts"]["account_id"])


def test_renamed_account_stays_one_account(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    collect(["travel.anna"], out, _client()[0], today=DAY1)
    # The watch list still says travel.anna; the profile is now anna.travels (same id).
    client, ctx = _client(bump=10, rename=True)
    summary = collect(["travel.anna"], out, client, today=DAY2)
    assert summary.outcomes[0].status == "collected"
    assert "renamed to anna.travels" in summary.outcomes[0].reason
    assert ctx.requests[:2] == ["page travel.anna/", "doc_id 27937681195819736"]
    ds = load_dataset(out)
    assert ds.accounts["account_id"].tolist() == ["travel.anna"]
    assert ds.accounts["username"].tolist() == ["anna.travels"]
    assert ds.tables["snapshots"]["followers"].tolist() == [52300, 52310]
    # With the new name in the watch list the account is found by its Instagram id.
    collect(["anna.travels"], out, _client(bump=20, rename=True)[0], today=DAY3)
    ds = load_dataset(out)
    assert ds.accounts["account_id"].tolist() == ["travel.anna"]
    assert len(ds.tables["snapshots"]) == 3


def test_429_backs_off_exponentially_then_succeeds(tmp_path: Path) -> None:
    client, ctx = _client()
    ctx.script = [TooManyRequestsException("429 Too Many Requests"),
                  TooManyRequestsException("429 Too Many Requests")]
    waited, sleep = _sleeps()
    summary = collect(WATCH, tmp_path / "ds", client, CollectOptions(backoff=30.0),
                      today=DAY1, sleep=sleep)
    assert waited == [30.0, 60.0]
    assert summary.exit_code == 0


def test_persistent_429_stops_the_run_and_lists_every_account(tmp_path: Path) -> None:
    client, ctx = _client()
    ctx.script = [TooManyRequestsException("429 Too Many Requests")] * 10
    waited, sleep = _sleeps()
    summary = collect(WATCH, tmp_path / "ds", client, CollectOptions(retries=3, backoff=5),
                      today=DAY1, sleep=sleep)
    assert waited == [5, 10, 20]
    assert [o.status for o in summary.outcomes] == ["skipped", "not attempted"]
    assert "rate limited" in summary.outcomes[0].reason
    assert summary.exit_code == SKIPPED_EXIT
    assert not (tmp_path / "ds" / "accounts.csv").exists()


def test_login_required_refusal(tmp_path: Path) -> None:
    client, ctx = _client()
    ctx.script = [None, LoginRequiredException("Redirected to login page")]
    summary = collect(["travel.anna", "bot.follow4f", "fan.one"], tmp_path / "ds", client,
                      today=DAY1, sleep=lambda s: None)
    assert [o.status for o in summary.outcomes] == ["collected", "skipped", "not attempted"]
    assert "login required" in summary.outcomes[1].reason
    assert "--login" in summary.outcomes[1].reason
    assert summary.exit_code == SKIPPED_EXIT
    assert load_dataset(tmp_path / "ds").accounts["account_id"].tolist() == ["travel.anna"]


def test_checkpoint_answer_stops_the_run(tmp_path: Path) -> None:
    from instaloader import AbortDownloadException

    client, ctx = _client()
    ctx.script = [AbortDownloadException('400 Bad Request - "checkpoint_required"')]
    summary = collect(WATCH, tmp_path / "ds", client, today=DAY1, sleep=lambda s: None)
    assert [o.status for o in summary.outcomes] == ["skipped", "not attempted"]
    assert "checkpoint_required" in summary.outcomes[0].reason
    assert ctx.requests == ["page travel.anna/"]


def test_audience_and_comments_need_a_login(tmp_path: Path) -> None:
    client, ctx = _client()
    with pytest.raises(UserError, match="need a logged-in session"):
        collect(WATCH, tmp_path / "ds", client, CollectOptions(audience=200), today=DAY1)
    assert ctx.requests == []


def test_logged_in_run_samples_audience_and_comments(tmp_path: Path) -> None:
    client, _ = _client(logged_in=True)
    out = tmp_path / "ds"
    summary = collect(["travel.anna"], out, client,
                      CollectOptions(audience=200, comments=5), today=DAY1)
    assert summary.exit_code == 0
    ds = load_dataset(out)
    aud = ds.tables["audience"].set_index("follower_username")
    assert aud.loc["user83749201", "following"] == 6100
    assert not bool(aud.loc["user83749201", "has_profile_pic"])
    assert aud.loc["fan.one", "bio_length"] == len("coffee")
    comments = ds.tables["comments"]
    assert sorted(comments["commenter"].astype(str)) == ["fan.one", "user83749201"]
    assert set(comments["post_id"].astype(str)) == {"CxAnna01"}


def test_status_shows_days_gaps_and_what_is_missing(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]
                                                    ) -> None:
    out = tmp_path / "ds"
    for day in (DAY1, DAY2, DAY3):
        collect(WATCH, out, _client()[0], today=day)
    rows = {r.account_id: r for r in collect_status(out)}
    anna = rows["travel.anna"]
    assert (anna.days, anna.first, anna.last) == (3, "2024-05-06", "2024-05-09")
    assert anna.gaps == ["2024-05-08"]
    assert not anna.history_ok
    assert "11 more day(s)" in anna.missing
    assert main(["collect", "--status", str(out)]) == 0
    text = capsys.readouterr().out
    assert "travel.anna: missing days 2024-05-08" in text
    assert "travel.anna: needs 11 more day(s) of snapshots" in text


def test_watchlist_reading(tmp_path: Path) -> None:
    path = tmp_path / "watch.txt"
    path.write_text("# brands to vet\n@Travel.Anna\nhttps://www.instagram.com/bot.follow4f/\n"
                    "\ntravel.anna\n")
    assert read_watchlist(path) == ["travel.anna", "bot.follow4f"]
    bad = tmp_path / "bad.txt"
    bad.write_text("travel.anna\nnot a name!\n")
    with pytest.raises(UserError, match=r"bad.txt line 2: 'not a name!'"):
        read_watchlist(bad)
    table = tmp_path / "watch.csv"
    table.write_text("brand,username\nA,travel.anna\n")
    assert read_watchlist(table) == ["travel.anna"]


def test_cli_collect_reports_refusals_with_exit_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    watch = tmp_path / "watch.txt"
    watch.write_text("travel.anna\nquiet.kim\n")
    monkeypatch.setattr(coll, "make_client", lambda login, session: _client()[0])
    code = main(["collect", str(watch), "--out", str(tmp_path / "ds")])
    captured = capsys.readouterr()
    assert code == SKIPPED_EXIT
    assert "collected 1 of 2 account(s)" in captured.out
    assert "partial: quiet.kim: private account" in captured.err
    code = main(["collect", str(watch), "--out", str(tmp_path / "ds"), "--audience", "50"])
    err = capsys.readouterr().err
    assert code == 2 and "need a logged-in session" in err and "Traceback" not in err


def test_two_weeks_of_collection_feed_growth_and_audience_features(tmp_path: Path) -> None:
    """From a watch list to the evidence blocks a report shows: 14 daily runs give the
    growth features, a logged-in audience sample gives the fake-follower share."""
    from fakedetect.coverage import coverage
    from fakedetect.features.build import build_features

    out = tmp_path / "ds"
    fans = [{"id": str(3000 + i), "username": f"fan.{i:02d}", "full_name": "",
             "biography": "hi" if i % 3 else "", "external_url": None, "is_private": False,
             "is_verified": False, "is_business_account": False,
             "profile_pic_url_hd": "https://scontent.example/v/t51/f_n.jpg",
             "edge_followed_by": {"count": 5 + i}, "edge_follow": {"count": 300 * i},
             "edge_owner_to_timeline_media": {"count": i % 4}} for i in range(12)]
    for day in range(14):
        client, ctx = _client(logged_in=True, bump=40 * day + (900 if day == 9 else 0))
        ctx.profiles.update({f["username"]: copy.deepcopy(f) for f in fans})
        ctx.followers["travel.anna"] = [
            {k: f[k] for k in ("id", "username", "full_name", "is_private", "is_verified")}
            for f in fans]
        summary = collect(["travel.anna"], out, client, CollectOptions(audience=20),
                          today=date(2024, 5, 1 + day))
        assert summary.exit_code == 0
    rows = {r.account_id: r for r in collect_status(out)}
    assert rows["travel.anna"].history_ok and rows["travel.anna"].gaps == []
    assert rows["travel.anna"].audience == 12
    ds = load_dataset(out)
    cov = coverage(ds)["tables"]
    assert cov["snapshots"]["accounts_enough"] == 1
    assert cov["audience"]["accounts_enough"] == 1
    feats = build_features(ds)
    anna = feats.loc["travel.anna"]
    assert bool(anna["coverage__history_ok"]) and bool(anna["coverage__audience"])
    growth = [c for c in feats.columns if c.startswith("snapshots__")]
    audience = [c for c in feats.columns if c.startswith("audience__")]
    assert growth and audience
    assert anna[growth].notna().all()
    assert anna[audience].notna().any()


def test_missing_session_file_is_a_clear_error(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(UserError, match="no saved instaloader session for me") as info:
        coll.make_client("me", tmp_path / "session-me")
    assert "instaloader --login me" in str(info.value)
    assert "never stores a password" in str(info.value)
    assert main(["collect", "--out", str(tmp_path / "ds")]) == 2
    assert "collect needs a WATCHLIST" in capsys.readouterr().err


def test_collect_adds_to_an_imported_dataset(tmp_path: Path) -> None:
    """A dataset from `import csv` (no user_id, some usernames missing) takes collect runs;
    the account already there keeps its id and gains a snapshot, flags stay 0/1."""
    from fakedetect.importers import run_import

    src = tmp_path / "acc.csv"
    src.write_text("account_id,username,followers,is_private\nanna,travel.anna,52000,no\n"
                   "other,,10,yes\n")
    out = tmp_path / "ds"
    run_import("csv", src, out)
    collect(WATCH, out, _client()[0], today=DAY1)
    ds = load_dataset(out)
    assert sorted(ds.accounts["account_id"].astype(str)) == ["anna", "bot.follow4f", "other"]
    snaps = ds.tables["snapshots"]
    assert snaps[snaps["account_id"] == "anna"]["followers"].tolist() == [52300]
    text = (out / "accounts.csv").read_text()
    assert "True" not in text and "False" not in text
    collect(WATCH, out, _client(bump=5)[0], today=DAY2)
    assert len(load_dataset(out).tables["snapshots"]) == 4
    # A vendor's older history imports into the collected folder and merges.
    older = tmp_path / "older.csv"
    older.write_text("account_id,date,followers\nanna,2024-05-01,51000\n")
    run_import("csv", older, out, table="snapshots")
    snaps = load_dataset(out).tables["snapshots"]
    assert snaps[snaps["account_id"] == "anna"]["followers"].tolist() == [51000, 52300, 52305]


NO_DNS = ("Page request to https://www.instagram.com/{u}/?__a=1 failed: "
          "HTTPSConnectionPool(host='www.instagram.com', port=443): Max retries exceeded "
          "with url: /{u}/ (Caused by NameResolutionError(\"<urllib3.connection."
          "HTTPSConnection object at 0x7f>: Failed to resolve 'www.instagram.com' ([Errno -3] "
          "Temporary failure in name resolution)\"))")


def test_no_network_is_one_plain_line_with_the_raw_text_under_verbose(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from instaloader import ConnectionException

    watch = tmp_path / "watch.txt"
    watch.write_text("travel.anna\nquiet.kim\nfan.one\n")

    def offline(login: object, session: object) -> object:
        client, ctx = _client()
        ctx.script = [ConnectionException(NO_DNS.format(u=u))
                      for u in ("travel.anna", "quiet.kim", "fan.one")]
        return client

    monkeypatch.setattr(coll, "make_client", offline)
    code = main(["collect", str(watch), "--out", str(tmp_path / "ds")])
    err = capsys.readouterr().err
    assert code == SKIPPED_EXIT
    lines = [line for line in err.splitlines() if line.startswith("skipped")]
    assert lines == ["skipped: cannot reach www.instagram.com: no network or DNS "
                     "(3 account(s) skipped: travel.anna, quiet.kim, fan.one)"], err
    assert "HTTPSConnectionPool" not in err
    code = main(["-v", "collect", str(watch), "--out", str(tmp_path / "ds")])
    err = capsys.readouterr().err
    assert "skipped: quiet.kim: ConnectionException: Page request" in err

    # A run that collected nothing leaves no empty dataset behind; an empty folder's
    # status says what to run.
    assert not (tmp_path / "ds").exists()
    (tmp_path / "ds").mkdir()
    assert main(["collect", "--status", str(tmp_path / "ds")]) == 0
    out = capsys.readouterr().out
    assert f"nothing collected yet in {tmp_path / 'ds'}; run: fakedetect collect " \
        f"WATCHLIST -o {tmp_path / 'ds'}" in out
    assert "--lenient" not in out
    assert main(["collect", "--status", str(tmp_path / "nope")]) == 2
    assert "no such dataset folder" in capsys.readouterr().err


def test_network_reason_names_the_cause() -> None:
    from instaloader import ConnectionException

    assert coll.network_reason(ConnectionException(NO_DNS.format(u="a"))) == (
        "cannot reach www.instagram.com: no network or DNS")
    refused = ConnectionException("HTTPSConnectionPool(host='i.instagram.com', port=443): "
                                  "[Errno 111] Connection refused")
    assert coll.network_reason(refused) == (
        "cannot reach i.instagram.com: the connection was refused")
    assert coll.network_reason(ConnectionException("JSON Query to graphql: 500")) is None
