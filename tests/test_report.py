"""The review report: index and account pages, escaping, file names, missing data, speed.

The inputs are built in code with a fixed seed: a small dataset written as CSV and loaded
through the real validator, scores and SHAP reasons shaped as ``fakedetect predict``
returns them. Charts use the real features API (``expected_engagement_rate``,
``robust_jump_scores``, ``SUSPICIOUS_Z``).
"""

from __future__ import annotations

import math
import re
import time
import types
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fakedetect.errors import UserError
from fakedetect.report import charts, render_account_page, safe_filename, write_report
from fakedetect.report.pages import write_account_page
from fakedetect.validate import Dataset, load_dataset

SEED = 20240601
EVIL = "<script>alert(1)</script>"
ODD = "Émile/../x y"
MODEL: dict[str, object] = {
    "name": "fakedetect-influencer", "version": "7", "uri": "models:/fakedetect-influencer/7",
    "threshold_review": 0.4, "threshold_fake": 0.7, "trained_at": "2024-06-01T10:00:00Z",
    "metrics": {"roc_auc": 0.912, "brier": 0.081},
}
PROBS = {"bob_bought": 0.91, "dave": 0.62, EVIL: 0.55, ODD: 0.30, "alice": 0.08}
SPIKE_DAY = 70
N_FEATURES = 15


# ----------------------------------------------------------------------------- inputs


@pytest.fixture(scope="module")
def features_api() -> types.ModuleType:
    """The features API the report draws with."""
    import fakedetect.features

    return fakedetect.features


def _series(rng: np.random.Generator, days: int, start: float, slope: float) -> np.ndarray:
    return np.round(start + slope * np.arange(days) + rng.normal(0, 6, days).cumsum() * 0.3)


ALL_TABLES = ("snapshots", "posts", "comments", "audience")


def make_frames(tables: tuple[str, ...] = ALL_TABLES) -> dict[str, pd.DataFrame]:
    """A six-account dataset as raw (text-like) frames, as files would hold them."""
    rng = np.random.default_rng(SEED)
    frames: dict[str, pd.DataFrame] = {}
    ids = ["alice", "bob_bought", EVIL, ODD, "carol", "dave"]
    frames["accounts"] = pd.DataFrame({
        "account_id": ids,
        "username": ["alice.travels", "bob", "x<b>y", "emile", "carol", "dave"],
        "followers": [21_800, 30_500, 8_200, 15_000, 500, 12_000],
        "following": [610, 7_400, 300, 200, 100, 900],
        "posts": [300, 120, 40, 80, 0, 60],
        "niche": ["travel", "fashion", "<i>beauty</i>", "", "food", "photography"],
    })
    start = np.datetime64("2024-01-01")
    snaps = []
    for acc, n, base, slope in (("alice", 120, 20_000, 15.0), ("bob_bought", 120, 24_000, 5.0),
                                (EVIL, 30, 8_000, 6.0)):
        followers = _series(rng, n, base, slope)
        if acc == "bob_bought":
            followers[SPIKE_DAY:] += 6_000
            followers[90:] -= 1_500
        following = np.round(600 + rng.normal(0, 3, n).cumsum())
        snaps.append(pd.DataFrame({"account_id": acc, "date": (start + np.arange(n)).astype(str),
                                   "followers": followers.astype(int),
                                   "following": following.astype(int)}))
    if "snapshots" in tables:
        frames["snapshots"] = pd.concat(snaps, ignore_index=True)
    posts = []
    for acc, n, followers, er in (("alice", 40, 21_000, 0.025), ("bob_bought", 40, 28_000, 0.004),
                                  (EVIL, 10, 8_100, 0.03), ("dave", 25, 12_000, 0.08)):
        t = start + np.arange(n) * 3
        likes = np.round(followers * er * rng.lognormal(0, 0.3, n))
        posts.append(pd.DataFrame({
            "account_id": acc, "post_id": [f"{acc}-p{k}" for k in range(n)],
            "posted_at": [f"{d}T12:00:00Z" for d in t.astype(str)],
            "likes": likes.astype(int), "comments": np.round(likes * 0.05).astype(int)}))
    if "posts" in tables:
        frames["posts"] = pd.concat(posts, ignore_index=True)
    if "comments" in tables:
        frames["comments"] = pd.DataFrame({
            "account_id": "alice", "post_id": ["alice-p0", "alice-p0", "alice-p1"],
            "commenter": ["u1", "u2", "u3"], "text": ["nice", "wow", "great"]})
    aud = []
    for acc, n, mass, nopic in (("alice", 200, 0.05, 0.04), ("bob_bought", 200, 0.45, 0.5),
                                (EVIL, 50, 0.1, 0.1), ("dave", 80, 0.2, 0.2)):
        aud.append(pd.DataFrame({
            "account_id": acc, "follower_username": [f"{acc}-f{k}" for k in range(n)],
            "followers": rng.integers(10, 2_000, n),
            "following": np.where(rng.random(n) < mass, 5_000, 300),
            "posts": rng.integers(0, 50, n),
            "has_profile_pic": (rng.random(n) >= nopic).astype(int),
            "is_private": (rng.random(n) < 0.3).astype(int)}))
    if "audience" in tables:
        frames["audience"] = pd.concat(aud, ignore_index=True)
    return frames


def write_dataset(folder: Path, tables: tuple[str, ...] = ALL_TABLES) -> Path:
    """Write the dataset of :func:`make_frames` as CSV files; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in make_frames(tables).items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def to_dataset(frames: dict[str, pd.DataFrame]) -> Dataset:
    """Type the frames as load_dataset does: shared account categories, Int64 counts,
    boolean flags, UTC times, snapshots and posts sorted."""
    ids = pd.Index(sorted(frames["accounts"]["account_id"]), dtype="string")
    tables = {}
    for name, frame in frames.items():
        f = frame.copy()
        f["account_id"] = pd.Categorical(f["account_id"], categories=ids)
        for col in ("followers", "following", "posts", "likes", "comments"):
            if col in f:
                f[col] = f[col].astype("Int64")
        for col in ("has_profile_pic", "is_private"):
            if col in f:
                f[col] = f[col].astype(bool).astype("boolean")
        for col in ("date", "posted_at"):
            if col in f:
                f[col] = pd.to_datetime(f[col], utc=True)
        key = {"snapshots": "date", "posts": "posted_at"}.get(name)
        if key:
            f = f.sort_values(["account_id", key], kind="stable").reset_index(drop=True)
        tables[name] = f
    return Dataset(Path("in-memory"), tables, pd.DataFrame())


def make_scores(dataset: Dataset) -> pd.DataFrame:
    """Scores shaped as fakedetect predict returns them."""
    ids = [str(a) for a in dataset.accounts["account_id"]]
    rows = []
    for acc in ids:
        p = PROBS.get(acc, math.nan)
        scored = acc in PROBS
        verdict = ("" if not scored else "likely fake" if p >= 0.7 else "review" if p >= 0.4
                   else "authentic")
        share = {"alice": (0.0, 0.0, 0.04, 200), "bob_bought": (0.42, 0.35, 0.49, 200),
                 EVIL: (0.2, 0.1, 0.34, 50), "dave": (0.18, 0.11, 0.28, 80)}.get(
                     acc, (math.nan, math.nan, math.nan, 0))
        followers = int(dataset.accounts.loc[dataset.accounts["account_id"] == acc,
                                             "followers"].iloc[0])
        rows.append({
            "account_id": acc, "status": "scored" if scored else "not_scored",
            "status_reason": "" if scored else "no posts and no snapshots",
            "authenticity_score": 100 * (1 - p), "fake_probability": p, "verdict": verdict,
            "fake_follower_share": share[0], "fake_follower_share_low": share[1],
            "fake_follower_share_high": share[2], "audience_sample_size": share[3],
            "audience_method": "account_model_pacc" if share[3] else "",
            "coverage": "accounts,snapshots,posts,audience" if scored else "accounts",
            "model_name": "fakedetect-influencer", "model_version": "7",
            "followers": followers, "niche": "travel" if acc == "alice" else "",
            "reason_1": f"First reason for {acc}" if scored else "",
            "reason_2": "Second reason" if scored else "", "reason_3": "",
        })
    return pd.DataFrame(rows)


def make_reasons(scores: pd.DataFrame) -> pd.DataFrame:
    """Tidy SHAP rows whose contributions add up to each account's log-odds."""
    rng = np.random.default_rng(SEED + 1)
    base = -1.1
    frames = []
    for acc, p, status in scores[["account_id", "fake_probability", "status"]].itertuples(
            index=False):
        if status != "scored":
            continue
        c = rng.normal(0, 0.8, N_FEATURES)
        c += (math.log(p / (1 - p)) - base - c.sum()) / N_FEATURES
        rank = np.argsort(np.argsort(-np.abs(c))) + 1
        frames.append(pd.DataFrame({
            "account_id": acc, "feature": [f"growth__signal__k_{k}" for k in range(N_FEATURES)],
            "description": [f"Signal number {k} <described>" for k in range(N_FEATURES)],
            "value": np.where(np.arange(N_FEATURES) == 3, np.nan, rng.normal(10, 5, N_FEATURES)),
            "contribution": c, "sentence": [f"Sentence {k} about {acc}" for k in range(N_FEATURES)],
            "base_value": base, "rank": rank}))
    return pd.concat(frames, ignore_index=True)


def real_reasons(reasons: pd.DataFrame) -> pd.DataFrame:
    """``reasons`` with registered features (longest descriptions first) and the sentences
    the explain module writes for them: what an analyst actually reads."""
    from fakedetect.explain import sentence
    from fakedetect.features.registry import FEATURES

    out = reasons.copy()
    longest = sorted(FEATURES, key=lambda f: -len(f.description))
    k = out["feature"].str.rsplit("_", n=1).str[-1].astype(int)
    specs = [longest[i] for i in k]
    out["feature"] = [f.name for f in specs]
    out["description"] = [f.description for f in specs]
    out["sentence"] = [sentence(f.name, v, c) for f, v, c in
                       zip(specs, out["value"], out["contribution"], strict=True)]
    return out


class _Visible(HTMLParser):
    """The text a reader sees: no attributes, scripts, styles or SVG tooltips."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skip = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style", "title"}:
            self.skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "title"}:
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return " ".join(parser.parts)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.DataFrame,
                                                              Dataset]:
    dataset = to_dataset(make_frames())
    scores = make_scores(dataset)
    return scores, make_reasons(scores), dataset


@pytest.fixture(scope="module")
def report(inputs, tmp_path_factory: pytest.TempPathFactory) -> Path:
    scores, reasons, dataset = inputs
    return write_report(tmp_path_factory.mktemp("report"), scores=scores, reasons=reasons,
                        dataset=dataset, model=MODEL)


def _page_of(report: Path, account_id: str) -> str:
    return (report.parent / "accounts" / safe_filename(account_id)).read_text(encoding="utf-8")


def wide_only(html: str) -> str:
    """``html`` without the phone variant of each chart (every chart is drawn twice)."""
    return re.sub(r'<svg class="chart narrow".*?</svg>', "", html, flags=re.S)


# ------------------------------------------------------------------------ HTML checks

_VOID = {"meta", "br", "hr", "img", "input", "link", "col", "wbr", "source"}


class _Checker(HTMLParser):
    """Checks that tags nest properly and collects every URL-valued attribute."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.urls: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.urls += [v or "" for k, v in attrs if k in {"href", "src", "action", "xlink:href"}]
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.urls += [v or "" for k, v in attrs if k in {"href", "src", "xlink:href"}]

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()


def check_html(text: str) -> _Checker:
    parser = _Checker()
    parser.feed(text)
    parser.close()
    assert not parser.errors, parser.errors[:5]
    assert parser.stack == [], parser.stack
    return parser


def _assert_self_contained(text: str) -> None:
    checker = check_html(text)
    for url in checker.urls:
        assert not re.match(r"^[a-z][a-z0-9+.-]*:", url, re.I) or url.startswith("data:"), url
        assert not url.startswith("//"), url
    assert "link" not in checker.tags
    assert "@import" not in text and "url(" not in text.replace("url(#", "")
    assert "default-src 'none'" in text


# ------------------------------------------------------------------------------ tests


def test_write_report_writes_index_and_every_account_page(report: Path, inputs) -> None:
    scores, _, _ = inputs
    assert report.name == "index.html" and report.is_file()
    pages = sorted((report.parent / "accounts").iterdir())
    assert len(pages) == len(scores)
    assert {p.name for p in pages} == {safe_filename(a) for a in scores["account_id"]}
    index = report.read_text(encoding="utf-8")
    for href in re.findall(r'href="(accounts/[^"]+)"', index):
        assert (report.parent / href).is_file(), href
    assert not list(report.parent.rglob("*.tmp"))


def test_pages_are_well_formed_and_self_contained(report: Path) -> None:
    for page in [report, *sorted((report.parent / "accounts").iterdir())]:
        _assert_self_contained(page.read_text(encoding="utf-8"))


def test_data_is_escaped_everywhere(report: Path) -> None:
    for page in [report, *(report.parent / "accounts").iterdir()]:
        text = page.read_text(encoding="utf-8")
        assert "<script>alert" not in text
        assert "<i>beauty" not in text and "<described>" not in text and "x<b>y" not in text
    evil = _page_of(report, EVIL)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in evil
    assert re.search(r'title="Signal number \d+ &lt;described&gt;"', evil)
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in report.read_text(encoding="utf-8")


def test_index_ranks_by_risk_and_lists_unscored_accounts(report: Path, inputs) -> None:
    import json

    text = report.read_text(encoding="utf-8")
    payload = re.search(r'<script type="application/json" id="report-data">(.*?)</script>',
                        text, re.S)
    assert payload is not None
    data = json.loads(payload.group(1))
    assert data["id"] == ["bob_bought", "dave", EVIL, ODD, "alice", "carol"]
    assert data["p"][0] == pytest.approx(0.91) and data["p"][-1] is None
    assert data["v"][:3] == ["likely fake", "review", "review"]
    assert data["lo"][0] == pytest.approx(0.35) and data["ss"][0] == 200
    section = text[text.index('id="not-scored"'):]
    assert "carol" in section[:600] and "no posts and no snapshots" in section[:600]
    for name in ("filter-text", "filter-verdict", 'data-key="p"', "accounts by risk"):
        assert name.lower() in text.lower()
    cards = text[text.index('class="cards"'):text.index('id="ranking"')]
    assert re.search(r"<b>1</b><span class=\"badge v-fake\">", cards)
    assert re.search(r"<b>2</b><span class=\"badge v-review\">", cards)
    assert re.search(r"<b>1</b><span class=\"badge v-none\">not scored", cards)
    static = text[text.index("<tbody>", text.index('id="accounts"')):]
    assert static.index("bob_bought") < static.index("alice") < static.index(">carol<")


def test_account_page_shows_every_section(report: Path) -> None:
    text = _page_of(report, "bob_bought")
    for section in ("reasons", "growth", "engagement", "audience", "shap", "coverage", "model",
                    "how-to-read"):
        assert f'<section id="{section}">' in text
    assert '<span class="badge v-fake big">likely fake</span>' in text
    assert ">9<" in text and "91%" in text
    assert 'href="../index.html"' in text
    assert "A follower spike alone is not proof" in text
    assert "fakedetect-influencer" in text and "models:/fakedetect-influencer/7" in text
    assert re.search(r'title="roc_auc">ranking quality \(ROC AUC[^<]*: 0\.912', text)
    assert "likely fake when the fake probability is at least 70%" in text
    # reasons: the top five by rank, with signed bars, their strength in words and the
    # model units only in the tooltip
    assert text.count('<span class="div-bar"') == 5
    assert re.search(r'<span class="contrib" title="For data scientists: [+-]\d\.\d{3} in model '
                     r'units \(log-odds\)">(strong|moderate|'
                     r"slight) push toward (fake|genuine)</span>", text)
    # a likely fake account gets the review checklist, built from its own spike
    assert '<section id="checklist">' in text
    assert "What to ask the creator for" in text and "11 Mar 2024" in text


def test_suspicious_days_are_marked_on_the_spike_only(report: Path, features_api) -> None:
    bob = wide_only(_page_of(report, "bob_bought"))
    spike = str(np.datetime64("2024-01-01") + SPIKE_DAY)
    marks = re.findall(r'<circle class="suspicious"[^>]*><title>([^<]*)</title>', bob)
    assert marks and marks[0].startswith(f"{spike}: +6,"), marks
    assert len(marks) == 1
    assert "1 suspicious day," in bob and "(s)" not in visible_text(bob)
    assert (f"by more than {features_api.SUSPICIOUS_Z:g}x the usual day-to-day swing") in bob
    # the table says the multiple of the reasons and the index (gain over the usual daily
    # change); the swing-based statistic only in a tooltip
    table = bob[bob.index("<summary>Suspicious days"):bob.index("</details>",
                                                                 bob.index("Suspicious days"))]
    assert '<th class="num">vs usual daily change</th>' in table
    found = re.search(r'<td class="num" title="[^"]*robust z-score \d+\.\d\d\)">'
                      r'(\d[\d,.]*x)</td>', table)
    assert found, table
    index = report.read_text(encoding="utf-8")
    assert f"({found.group(1)} usual)" in index  # the index shows the same multiple
    legend = f"Day far above the usual (over {features_api.SUSPICIOUS_Z:g}x the usual"
    assert legend in bob
    for word in ("jump score", "z-score", "robust"):
        assert word not in visible_text(bob), word
    alice = _page_of(report, "alice")
    assert 'class="suspicious"' not in alice
    assert "No day&#x27;s follower change stands out" in alice or \
        "No day's follower change stands out" in alice


def test_engagement_is_drawn_against_the_tier_band(report: Path, features_api) -> None:
    _, low, high = features_api.expected_engagement_rate(np.array([30_500.0]))
    bob = wide_only(_page_of(report, "bob_bought"))
    band = f"{100 * float(low[0]):.2f}%–{100 * float(high[0]):.2f}%"
    assert band in bob
    assert "account is <b>below</b> the band" in bob
    assert bob.count('<polygon class="band"') == 1
    growth = bob[bob.index('id="growth"'):bob.index('id="engagement"')]
    engagement = bob[bob.index('id="engagement"'):bob.index('id="audience"')]
    ticks = re.compile(r'font-size="12">(\d{4}-\d\d(?:-\d\d)?)</text>')
    assert ticks.findall(growth) == ticks.findall(engagement) != []  # one shared time axis
    assert len(re.findall(r"<circle cx=\S+ cy=\S+ r=\"3.6\"", bob)) + \
        len(re.findall(r"off the scale", bob)) == 40


def test_audience_breakdown(report: Path, inputs) -> None:
    _, _, dataset = inputs
    text = _page_of(report, "bob_bought")
    assert "Estimated fake followers: <b>42%</b> (95% interval 35%–49%)" in text
    assert ("of 200 followers, scored by the account model and corrected for its known "
            "error rates") in text
    assert "correction reached its lower bound" not in text
    # a corrected share at 0% says what that means
    assert "correction reached its lower bound" in _page_of(report, "alice")
    aud = dataset.tables["audience"]
    bob = aud[aud["account_id"] == "bob_bought"]
    mass = (bob["following"].astype(float) > 1500).mean()
    nopic = (~bob["has_profile_pic"].astype(bool)).mean()
    assert "Mass-followers (following &gt; 1,500)" in text
    assert "sampled followers following more than 1,500 accounts" in text
    bars = re.findall(r'font-size="12">(\d+)% of 200</text>', wide_only(text))
    assert f"{100 * mass:.0f}" in bars and f"{100 * nopic:.0f}" in bars


def test_waterfall_adds_up_to_the_model_output(report: Path, inputs) -> None:
    _, reasons, _ = inputs
    text = _page_of(report, "dave")
    rows = reasons[reasons["account_id"] == "dave"]
    final = rows["base_value"].iloc[0] + rows["contribution"].sum()
    assert math.isclose(1 / (1 + math.exp(-final)), 0.62, abs_tol=1e-9)
    assert "ending at <b>62%</b>" in text
    assert "After calibration" not in text
    # the ten strongest computed signals one by one, the other computed ones together, and
    # the one that could not be computed apart from them, each in words
    assert f"The other {N_FEATURES - 1 - 10} computed signals, together" in text
    assert "1 signal not assessed (no data)" in text
    assert wide_only(text).count('<rect class="step"') == 12
    assert text.count('<rect class="step"') == 24  # the phone variant too
    notes = re.findall(r'font-size="11.5">([^<]*)</text>', wide_only(text))
    assert len(notes) == 12 and set(notes) <= {"strong", "moderate", "slight"}, notes
    assert "not evidence about the account (see Not assessed below)" in text
    top = rows[rows["value"].notna()].sort_values("rank").iloc[0]
    assert f"Sentence {top['feature'].rsplit('_', 1)[1]} about dave" in text
    assert "Sentence 3 about dave" not in text  # not computed: in the gathered bar only
    # the signal that could not be computed is listed as not assessed, with what it needs
    assert '<div id="not-assessed"><h3>Not assessed (1 signal)</h3>' in text


def test_not_scored_account_page_explains_why(report: Path) -> None:
    text = _page_of(report, "carol")
    assert '<span class="badge v-none big">not scored</span>' in text
    assert "could not be scored: no posts and no snapshots" in text
    assert "No snapshot history supplied for this account" in text
    assert "Not scored, so there is no waterfall" in text


def test_missing_tables_are_reported_not_fatal(tmp_path: Path) -> None:
    dataset = to_dataset(make_frames(tables=()))
    scores = make_scores(dataset)
    index = write_report(tmp_path / "out", scores=scores, reasons=make_reasons(scores).iloc[:0],
                         dataset=dataset, model={})
    text = (index.parent / "accounts" / "bob_bought.html").read_text(encoding="utf-8")
    for sentence in ("No snapshot history supplied: the dataset has no snapshots table",
                     "No posts supplied: the dataset has no posts table",
                     "no audience sample supplied (no audience table)",
                     "The sampled followers themselves were not supplied",
                     "no comments supplied (no comments table)",
                     "No explanation supplied"):
        assert sentence in text, sentence
    assert "<li>First reason for bob_bought</li>" in text
    assert "Estimated fake followers: <b>42%</b>" in text
    check_html(text)


def test_account_missing_from_the_dataset_and_hidden_likes(inputs) -> None:
    scores, reasons, _ = inputs
    frames = make_frames()
    frames["posts"]["likes"] = pd.array([None] * len(frames["posts"]), dtype="Int64")
    dataset = to_dataset(frames)
    ghost = scores.iloc[[0]].assign(account_id="ghost")
    more = pd.concat([scores, ghost], ignore_index=True)
    text = render_account_page("ghost", scores=more, reasons=reasons, dataset=dataset,
                               model=MODEL)
    assert "this account is not in the dataset" in text
    assert "No snapshot history supplied for this account" in text
    alice = render_account_page("alice", scores=more, reasons=reasons, dataset=dataset,
                                model=MODEL)
    assert "40 posts, but no engagement rate could be computed" in alice
    check_html(text)
    check_html(alice)


def test_report_from_a_dataset_loaded_from_files(tmp_path: Path) -> None:
    dataset = load_dataset(write_dataset(tmp_path / "ds"))
    scores = make_scores(dataset)
    reasons = make_reasons(scores)
    index = write_report(tmp_path / "out", scores=scores, reasons=reasons, dataset=dataset,
                         model=MODEL)
    expected = to_dataset(make_frames())
    for account_id in ("bob_bought", EVIL):
        page = (index.parent / "accounts" / safe_filename(account_id)).read_text(encoding="utf-8")
        page = page.replace('<div class="nav"><a href="../index.html">&larr; All accounts</a>'
                            "</div>", "", 1)
        assert page == render_account_page(account_id, scores=scores, reasons=reasons,
                                           dataset=expected, model=MODEL)


def test_max_pages_writes_the_highest_risk_first(tmp_path: Path, inputs) -> None:
    scores, reasons, dataset = inputs
    index = write_report(tmp_path, scores=scores, reasons=reasons, dataset=dataset, model=MODEL,
                         max_pages=2)
    written = {p.name for p in (tmp_path / "accounts").iterdir()}
    assert written == {"bob_bought.html", "dave.html"}
    text = index.read_text(encoding="utf-8")
    assert set(re.findall(r'href="accounts/([^"]+)"', text)) == written
    assert "2 account pages written" in text


def test_render_account_page_is_deterministic_and_matches_the_file(tmp_path: Path,
                                                                    inputs) -> None:
    scores, reasons, dataset = inputs
    one = render_account_page(ODD, scores=scores, reasons=reasons, dataset=dataset, model=MODEL)
    two = render_account_page(ODD, scores=scores, reasons=reasons, dataset=dataset, model=MODEL)
    assert one == two
    assert "&larr; All accounts" not in one
    path = write_account_page(tmp_path / "x" / "page.html", ODD, scores=scores, reasons=reasons,
                              dataset=dataset, model=MODEL)
    assert path.read_text(encoding="utf-8") == one
    _assert_self_contained(one)


def test_unknown_account_is_a_user_error(inputs) -> None:
    scores, reasons, dataset = inputs
    with pytest.raises(UserError, match="'nobody' is not in the scores"):
        render_account_page("nobody", scores=scores, reasons=reasons, dataset=dataset,
                            model=MODEL)


# ------------------------------------------------------------------------- file names

_SAFE = re.compile(r"[a-z0-9_][a-z0-9._-]*\.html")


def test_safe_filename_examples() -> None:
    assert safe_filename("alice.travels") == "alice.travels.html"
    assert safe_filename("Alice") != safe_filename("alice")
    for odd in ("", ".", "..", "../../etc/passwd", "CON", "con", "index", "a--b", "x" * 300,
                "名前", "a/b", "a\\b", "\x00"):
        name = safe_filename(odd)
        assert _SAFE.fullmatch(name) and len(name) <= 100, (odd, name)
        assert name.split(".")[0] not in {"con", "index", ""}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=40), min_size=2, max_size=8, unique=True))
def test_safe_filenames_are_safe_and_distinct_even_ignoring_case(ids: list[str]) -> None:
    names = [safe_filename(a) for a in ids]
    assert all(_SAFE.fullmatch(n) and len(n) <= 100 for n in names)
    assert len({n.lower() for n in names}) == len(ids)


# ----------------------------------------------------------------------------- charts


def test_nice_ticks_hand_computed() -> None:
    assert charts.nice_ticks(0, 10, 5).tolist() == [0, 2, 4, 6, 8, 10]
    assert charts.nice_ticks(20_012, 29_876, 4).tolist() == [20_000, 22_500, 25_000, 27_500,
                                                             30_000]
    assert charts.nice_ticks(5, 5, 2).tolist() == [4.5, 5.0, 5.5]
    assert charts.nice_ticks(-1.3, 2.2, 6).tolist() == [-2, -1, 0, 1, 2, 3]
    assert charts.nice_ticks(0.012, 0.087, 4).tolist() == pytest.approx([0, 0.02, 0.04, 0.06,
                                                                         0.08, 0.1])


def test_date_ticks_hand_computed() -> None:
    jan1 = float(np.datetime64("2024-01-01").astype(int))
    months = charts.date_ticks(jan1 - 3, jan1 + 119)
    assert [label for _, label in months] == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert months[0][0] == jan1
    days = charts.date_ticks(jan1, jan1 + 5)
    assert [label for _, label in days] == [f"2024-01-0{d}" for d in range(1, 7)]
    years = charts.date_ticks(jan1, jan1 + 365 * 6)
    assert [label for _, label in years] == ["2024", "2025", "2026", "2027", "2028", "2029"]


def test_percent_ticks_print_exactly() -> None:
    svg = charts.engagement_svg(np.arange(3.0) + 19_700, np.array([0.02, 0.05, 0.08]),
                                np.full(3, 0.01), np.full(3, 0.02), np.full(3, 0.05))
    labels = re.findall(r'font-size="12">([\d.]+%)</text>', svg)
    assert labels == ["0.0%", "2.5%", "5.0%", "7.5%", "10.0%"]


def test_compact_number() -> None:
    assert [charts.compact_number(x) for x in (0, 950, 12_300, 25_000, 1_250_000, 0.05)] == \
        ["0", "950", "12.3k", "25k", "1.25M", "0.05"]
    assert charts.compact_number(float("nan")) == ""


def test_waterfall_geometry_ends_at_the_output() -> None:
    svg = charts.waterfall_svg(-1.0, ["a", "b"], [2.0, -0.5], 0.25, "3 other features")
    assert svg.count('<rect class="step"') == 3
    # every bar, the rest's included, is labelled in words; the number is in its tooltip
    assert re.findall(r'font-size="11.5">([^<]*)</text>', svg) == ["strong", "moderate",
                                                                   "slight"]
    assert "<title>3 other features: +0.250 log-odds</title>" in svg
    assert 'font-size="12">68%</text></svg>' in svg  # the output marker
    assert '<text x="' in svg and 'font-size="12">27%</text>' in svg  # the base marker
    widths = [float(w) for w in re.findall(r'class="step" x="[^"]+" y="[^"]+" width="([^"]+)"',
                                           svg)]
    assert widths[0] == pytest.approx(4 * widths[1], rel=0.02)
    assert widths[0] == pytest.approx(8 * widths[2], rel=0.02)


def test_compact_number_keeps_the_zeros_of_whole_numbers() -> None:
    assert [charts.compact_number(x) for x in (100_000, 110_000, 200_000, 1_000_000,
                                               10_000)] == ["100k", "110k", "200k", "1M",
                                                            "10k"]


def test_every_chart_is_drawn_for_a_page_and_for_a_phone(report: Path) -> None:
    bob = _page_of(report, "bob_bought")
    wide = re.findall(r'<svg class="chart wide" viewBox="0 0 (\d+) ', bob)
    narrow = re.findall(r'<svg class="chart narrow" viewBox="0 0 (\d+) ', bob)
    assert len(wide) == len(narrow) == 4  # history, engagement, audience, waterfall
    assert set(wide) == {str(charts.WIDTH)} and set(narrow) == {str(charts.NARROW)}
    css = bob[bob.index("<style>"):bob.index("</style>")]
    assert "svg.chart.narrow{display:none}" in css  # shown only below 700 px


def test_history_chart_without_following_has_one_panel() -> None:
    days = np.arange(10, dtype=float) + 19_700
    svg = charts.history_svg(days, np.arange(10.0) * 10 + 1000, np.full(10, np.nan),
                             np.zeros(10, bool), np.full(10, np.nan), 5.0)
    assert "Following" not in svg and svg.count("<path") == 1
    one = charts.history_svg(days[:1], np.array([100.0]), np.array([5.0]), np.zeros(1, bool),
                             np.array([np.nan]), 5.0)
    assert "<circle" in one


# ------------------------------------------------------------------------------ speed


def test_index_of_ten_thousand_accounts_is_fast(tmp_path: Path) -> None:
    n = 10_000
    rng = np.random.default_rng(SEED)
    ids = pd.Index([f"acct{k:05d}" for k in range(n)], dtype="string")
    accounts = pd.DataFrame({"account_id": pd.Categorical(ids, categories=ids),
                             "followers": rng.integers(10_000, 50_000, n)})
    dataset = Dataset(tmp_path, {"accounts": accounts}, pd.DataFrame())
    p = rng.random(n)
    scores = pd.DataFrame({
        "account_id": ids.astype(str), "status": "scored", "status_reason": "",
        "authenticity_score": 100 * (1 - p), "fake_probability": p,
        "verdict": np.where(p >= 0.7, "likely fake", np.where(p >= 0.4, "review", "authentic")),
        "fake_follower_share": p / 2, "fake_follower_share_low": p / 3,
        "fake_follower_share_high": p / 1.5, "audience_sample_size": 100,
        "audience_method": "model", "coverage": "accounts", "model_name": "m",
        "model_version": "1", "followers": accounts["followers"], "niche": "travel",
        "reason_1": "Followers jumped far above the usual daily change", "reason_2": "",
        "reason_3": ""})
    t0 = time.perf_counter()
    index = write_report(tmp_path / "out", scores=scores, reasons=pd.DataFrame(),
                         dataset=dataset, model=MODEL, max_pages=0)
    elapsed = time.perf_counter() - t0
    size = index.stat().st_size
    assert elapsed < 3.0, elapsed
    assert size < 3_500_000, size
    text = index.read_text(encoding="utf-8")
    assert text.count('<tr><td data-label="account" class="acc">') == 100
    assert not (tmp_path / "out" / "accounts").exists()


def test_drift_warnings_and_outside_flags_are_rendered(tmp_path: Path, inputs) -> None:
    scores, reasons, dataset = inputs
    scores = scores.copy()
    scores["outside_training"] = ""
    scores.loc[scores["account_id"] == "dave", "outside_training"] = "growth__gain_cv"
    warning = "posting cadence is far above anything this model saw; 3 verdict(s) rely on it."
    index = write_report(tmp_path, scores=scores, reasons=reasons, dataset=dataset,
                         model={**MODEL, "warnings": [warning, "<b>escaped</b>"]})
    html = index.read_text(encoding="utf-8")
    assert '<section id="drift" class="warn">' in html and warning in html
    assert "&lt;b&gt;escaped&lt;/b&gt;" in html
    dave = (tmp_path / "accounts" / safe_filename("dave")).read_text(encoding="utf-8")
    assert 'id="outside-training"' in dave and warning in dave
    alice = (tmp_path / "accounts" / safe_filename("alice")).read_text(encoding="utf-8")
    assert 'id="outside-training"' not in alice
    plain = write_report(tmp_path / "plain", scores=scores.drop(columns="outside_training"),
                         reasons=reasons, dataset=dataset, model=MODEL)
    assert 'id="drift"' not in plain.read_text(encoding="utf-8")


def test_headline_evidence_and_uncertain_ends_in_the_index(tmp_path: Path) -> None:
    dataset = to_dataset(make_frames(tables=("posts",)))  # no snapshots: no spike evidence
    scores = make_scores(dataset)
    top = scores["account_id"] == "bob_bought"
    scores["fake_probability"] = np.where(top, 0.9996, scores["fake_probability"])
    scores["authenticity_score"] = 100 * (1 - scores["fake_probability"])
    scores["spike_date"] = np.where(top, "2026-11-26", "")
    scores["spike_followers"] = np.where(top, 8225.0, np.nan)
    scores["spike_vs_usual"] = np.where(top, 41.0, np.nan)
    index = write_report(tmp_path / "r", scores=scores, reasons=make_reasons(scores),
                         dataset=dataset, model=MODEL)
    text = index.read_text(encoding="utf-8")
    row = text[text.index('<td data-label="account" class="acc"><span class="cell">'
                          '<a href="accounts/bob_bought.html">'):]
    row = row[:row.index("</tr>")]
    assert ">&gt;99%<" in row and ">&lt;1<" in row and "100%" not in row
    assert "+8,225 on 26 Nov 2026" in row and "41x usual" in row
    assert "vs usual 1.5%" in row  # engagement from the posts against the benchmark
    page = (index.parent / "accounts" / "bob_bought.html").read_text(encoding="utf-8")
    assert ">&lt;1<" in page and "&gt;99%" in page
    alice = (index.parent / "accounts" / "alice.html").read_text(encoding="utf-8")
    assert 'id="checklist"' not in alice  # authentic accounts get no checklist
    assert 'id="checklist"' in (index.parent / "accounts" / "dave.html").read_text(
        encoding="utf-8")


def test_pages_speak_plainly(tmp_path: Path, inputs) -> None:
    from tests.test_explain_text import jargon_in

    scores, reasons, dataset = inputs
    index = write_report(tmp_path / "r", scores=scores, reasons=real_reasons(reasons),
                         dataset=dataset, model=MODEL)
    pages = [index, *sorted((index.parent / "accounts").iterdir())]
    for page in pages:
        text = visible_text(page.read_text(encoding="utf-8"))
        found = [j for j in jargon_in(text) if j not in {"{", "}"}]
        assert not found, (page.name, found)
        for word in ("SHAP", "Venn", "PSI", "log10", "profile_rules", "standard error",
                     "log-odds"):
            assert word not in text, (page.name, word)
    bob = (index.parent / "accounts" / "bob_bought.html").read_text(encoding="utf-8")
    assert "log-odds" in bob  # in the tooltips only
    assert "log-odds" not in visible_text(bob)


def test_model_box_says_when_the_data_was_simulated(tmp_path: Path, inputs) -> None:
    scores, reasons, dataset = inputs
    sim = {**MODEL, "sources": ["sim"], "metrics": {"heldout_recall_op": 0.46,
                                                    "heldout_precision_op": 0.9,
                                                    "heldout_h00_n": 373.0,
                                                    "test_roc_auc": 0.87}}
    index = write_report(tmp_path / "sim", scores=scores, reasons=real_reasons(reasons),
                         dataset=dataset, model=sim)
    page = visible_text((index.parent / "accounts" / "bob_bought.html").read_text(
        encoding="utf-8"))
    assert "simulated accounts" in page and "not on real, labelled accounts" in page
    assert "fakedetect calibrate" in page
    assert "heldout_h00_n" not in page and "setting 00: accounts: 373" in page
    real = write_report(tmp_path / "real", scores=scores, reasons=real_reasons(reasons),
                        dataset=dataset, model={**MODEL, "sources": ["agency"]})
    text = visible_text((real.parent / "accounts" / "bob_bought.html").read_text(
        encoding="utf-8"))
    assert "simulated" not in text and "agency" in text


def test_waterfall_shows_a_long_reason_whole() -> None:
    """A reason with the clause of a push against its usual meaning (about 240
    characters) is drawn whole, on the wide and on the phone chart."""
    import html

    from fakedetect.explain import AGAINST_LEAN
    from fakedetect.report.charts import NARROW, waterfall_svg

    long = ("Posting days (and the day after) brought 71% more of the follower growth than "
            "their share of the days: followers arrive with posts, as in organic growth"
            + AGAINST_LEAN[-1])
    for width in (None, NARROW):
        kw = {} if width is None else {"width": NARROW}
        svg = waterfall_svg(-1.0, [long, "short"], [0.8, -0.2], None, "", **kw)
        shown = " ".join(html.unescape(t) for t in re.findall(r"<tspan[^>]*>([^<]*)</tspan>",
                                                               svg))
        assert "…" not in shown
        assert " ".join(long.split()) in " ".join(shown.split())


def test_waterfall_axis_marks_round_probabilities_and_keeps_lines_off_labels() -> None:
    from fakedetect.report.charts import NARROW, probability_ticks, waterfall_svg

    ticks = probability_ticks(-2.0, 1.2)
    probs = np.round(1 / (1 + np.exp(-ticks)), 4).tolist()
    assert probs == [0.1, 0.25, 0.5, 0.75, 0.9]  # logit(0.75) < 1.2 <= logit(0.9)
    assert 0.5 in np.round(1 / (1 + np.exp(-probability_ticks(-6.0, 5.0))), 4).tolist()
    assert len(probability_ticks(-6.0, 5.0)) <= 7
    labels = ["A long reason that takes two lines on a phone screen, no doubt about it",
              "short"]
    for width in (charts.WIDTH, NARROW):
        svg = waterfall_svg(-1.0, labels, [1.5, -0.4], None, "", width=width)
        shown = re.findall(r'<text x="[\d.]+" y="[\d.]+" text-anchor="middle"[^>]*>([^<]*)<',
                           svg)
        assert set(shown) <= {"1%", "5%", "10%", "25%", "50%", "75%", "90%", "95%", "99%"}
        assert "50%" in shown
    # on a phone, no vertical line crosses a label's lines
    svg = waterfall_svg(-1.0, labels, [1.5, -0.4], None, "", width=NARROW)
    rows = [float(y) for y in re.findall(r'<text class="label" x="[\d.]+" y="([\d.]+)"', svg)]
    steps = [len(re.findall("<tspan", t)) for t in re.findall(
        r'<text class="label".*?</text>', svg)]
    lines = [(float(a), float(b)) for a, b in re.findall(
        r'<line x1="[\d.]+" x2="[\d.]+" y1="([\d.]+)" y2="([\d.]+)"', svg)]
    for y, n in zip(rows, steps, strict=True):
        top, bottom = y - 13.5, y + 17.0 * (n - 1) + 4
        assert not any(a < bottom and b > top for a, b in lines), (y, n)
    assert 'font-size="13.5"' in svg


def test_index_score_header_says_what_it_is(report: Path) -> None:
    index = report.read_text(encoding="utf-8")
    head = re.search(r'<th data-key="s"[^>]*title="([^"]*)"[^>]*><button[^>]*>([^<]*)<',
                     index)
    assert head and "100 minus the fake probability" in head.group(1)
    assert head.group(2) == "authenticity 0-100"


def test_interval_and_banner_read_plainly() -> None:
    from fakedetect.report.pages import _range_words

    assert _range_words(0.98, 0.999) == "98% to over 99%"
    assert _range_words(0.001, 0.03) == "under 1% to 3%"
    assert _range_words(0.2, 0.35) == "20% to 35%"
