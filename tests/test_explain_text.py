"""What an analyst reads: every reason sentence, in plain words, without model jargon.

Every registered feature's sentence is rendered for representative values (and the values
where templates branch), with each strength of push; the evidence sentences for each of
their branches; and the explanations of a small real model with evidence attached. None
may carry an internal feature name, "log-odds", "robust deviation(s)" or a raw
contribution such as "+2.440".
"""

from __future__ import annotations

import re

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from fakedetect.evidence import evidence_sentences, review_checklist
from fakedetect.explain import explain_frame, reason_rows, sentence, strength
from fakedetect.features.registry import FEATURES, get_feature
from fakedetect.model import Calibration, FakeModel

#: Text that must never reach an analyst.
JARGON = (re.compile(r"\b[a-z0-9]+__[a-z0-9_]+"),  # internal feature names
          re.compile(r"log-?odds", re.I), re.compile(r"robust deviation", re.I),
          re.compile(r"contribution", re.I), re.compile(r"[+-]\d+\.\d{3}\b"),
          re.compile(r"\bnan\b|\binf\b", re.I), re.compile(r"[{}]"))


def jargon_in(text: str) -> list[str]:
    return [m.group(0) for rx in JARGON for m in rx.finditer(text)]


def test_the_jargon_check_catches_jargon() -> None:
    assert jargon_in("snapshots__max_jump_robust_z__window_1 is high")
    assert jargon_in("a push of +2.440 log-odds")
    assert jargon_in("Followers jumped 9 robust deviations above the usual")
    assert jargon_in("contribution 1.2")
    assert not jargon_in("+8,225 followers on 26 Nov 2026, 41x the usual daily change")


#: Values every template is rendered at: typical shares, counts on a log scale, ratios,
#: negative changes, and both sides of the yes/no branch.
VALUES = (0.0, 0.004, 0.37, 0.5, 0.49999, 1.0, 2.5, 4.4, 12.5, -0.2, -1.3, 1e-9, 40.0)


@pytest.mark.parametrize("feature", [f.name for f in FEATURES])
def test_every_feature_sentence_is_plain(feature: str) -> None:
    for value in VALUES:
        for contribution in (2.44, 0.5, 0.05, -0.05, -0.5, -2.44):
            text = sentence(feature, value, contribution)
            assert not jargon_in(text), (feature, value, text)
            toward = "fake" if contribution > 0 else "genuine"
            assert text.endswith(f" — {strength(contribution)} push toward {toward}")
    missing = sentence(feature, float("nan"), 1.0)
    assert missing.startswith("Not assessed:") and "push" not in missing
    assert not jargon_in(missing), missing
    assert get_feature(feature).description.rstrip(".") in missing


def test_strength_words() -> None:
    assert [strength(c) for c in (2.4, -1.0, 0.99, -0.3, 0.29, 0.0)] == [
        "strong", "strong", "moderate", "moderate", "slight", "slight"]


def _ev(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "spike_date": pd.Timestamp("2026-11-26"), "spike_followers": 8225.0,
        "spike_usual_daily_change": 200.0, "spike_vs_usual": 41.1,
        "spike_week_likes_vs_usual": 1.05, "spike_week_posts": 3.0,
        "drop_date": pd.Timestamp("2026-12-10"), "drop_followers": -2100.0,
        "drop_vs_usual": 10.5, "engagement_rate": 0.004, "engagement_benchmark": 0.016,
        "engagement_vs_benchmark": 0.25, "follower_tier": "20k-50k",
        "comment_repeat_share": 0.38, "comment_repeat_accounts": 12.0,
        "comment_every_post_accounts": 4.0, "comment_posts": 15.0,
        "fake_follower_share": 0.34, "fake_follower_share_low": 0.22,
        "fake_follower_share_high": 0.46,
    }
    base.update(changes)
    return base


def test_evidence_sentences_name_date_size_and_comparison() -> None:
    s = evidence_sentences(_ev())
    assert s["spike"] == ("+8,225 followers on 26 Nov 2026, 41x the usual daily change of "
                          "about 200, while likes on the posts that week stayed at their "
                          "usual level")
    assert s["engagement"] == ("Engagement 0.4%, a quarter of the usual 1.6% for accounts "
                               "of 20k-50k followers")
    assert s["comments"] == ("38% of comments come from 12 accounts that comment on 3 or "
                             "more of the 15 commented posts (4 of them on every post)")
    assert s["drop"] == "-2,100 followers on 10 Dec 2026, a loss 10x the usual daily change"
    assert s["share"] == ("An estimated 34% of sampled followers look fake (95% interval "
                          "22%–46%), more than the usual share of about 15% for genuine "
                          "creators")
    # one formatting of shares (evidence.percent) in the sentence and its interval
    low = evidence_sentences(_ev(fake_follower_share=0.079, fake_follower_share_low=0.015,
                                 fake_follower_share_high=0.14))["share"]
    assert low == ("An estimated 7.9% of sampled followers look fake (95% interval "
                   "1.5%–14%), within the usual share for genuine creators (about 15%)")


@pytest.mark.parametrize("changes", [
    {}, {"spike_vs_usual": 1.2}, {"spike_week_likes_vs_usual": 3.0},
    {"spike_week_likes_vs_usual": 0.3}, {"spike_week_likes_vs_usual": np.nan,
                                         "spike_week_posts": 0.0},
    {"spike_followers": np.nan}, {"spike_followers": -5.0}, {"drop_vs_usual": 1.0},
    {"engagement_rate": 0.016}, {"engagement_rate": 0.09}, {"engagement_rate": 0.0111},
    {"follower_tier": ""}, {"engagement_benchmark": np.nan},
    {"comment_repeat_accounts": 0.0}, {"comment_repeat_accounts": 1.0,
                                       "comment_every_post_accounts": 1.0},
    {"comment_every_post_accounts": 0.0}, {"comment_posts": np.nan},
    {"fake_follower_share": 1.0, "fake_follower_share_low": 0.97,
     "fake_follower_share_high": 1.0},
    {"fake_follower_share": 0.0, "fake_follower_share_low": 0.0,
     "fake_follower_share_high": 0.02},
])
def test_every_evidence_branch_is_plain_and_never_certain(changes: dict[str, object]) -> None:
    ev = _ev(**changes)
    for text in evidence_sentences(ev).values():
        assert not jargon_in(text), text
        assert "100%" not in text and " 0%" not in text and not text.startswith("0%"), text
    for items in review_checklist(ev).values():
        assert items
        for text in items:
            assert not jargon_in(text), text


def test_evidence_branches_read_as_expected() -> None:
    assert evidence_sentences(_ev(spike_vs_usual=1.2))["spike"].startswith("No day stands out")
    assert "were 3.0x the usual" in evidence_sentences(
        _ev(spike_week_likes_vs_usual=3.0))["spike"]
    assert evidence_sentences(_ev(spike_week_likes_vs_usual=np.nan, spike_week_posts=0.0)
                              )["spike"].endswith("in a week without posts")
    assert "spike" not in evidence_sentences(_ev(spike_followers=np.nan))
    assert evidence_sentences(_ev(engagement_rate=0.09))["engagement"].startswith(
        "Engagement 9.0%, 5.6x the usual 1.6%")
    assert "about the usual" in evidence_sentences(_ev(engagement_rate=0.0165))["engagement"]
    assert evidence_sentences(_ev(fake_follower_share=1.0, fake_follower_share_high=1.0)
                              )["share"].startswith("An estimated >99%")


def test_checklist_is_built_from_the_account_evidence() -> None:
    lists = review_checklist(_ev())
    assert any("26 Nov 2026" in t and "+8,225" in t for t in lists["check"])
    assert any("screenshot of the platform analytics" in t and "26 Nov 2026" in t
               for t in lists["ask"])
    assert any("26 Nov 2026" in t for t in lists["clears"])
    quiet = review_checklist(_ev(spike_vs_usual=2.0, engagement_vs_benchmark=1.0,
                                 comment_repeat_share=0.05, fake_follower_share=np.nan))
    assert not any("26 Nov" in t for items in quiet.values() for t in items)
    assert all(quiet[k] for k in ("check", "ask", "clears"))


# ------------------------------------------------------------- a small real model

NAMES = ["snapshots__max_jump_robust_z__window_1", "snapshots__max_jump_share__window_1",
         "posts__engagement_vs_tier__last_30", "comments__repeat_commenter_share__min_posts_3",
         "accounts__log_followers"]


@pytest.fixture(scope="module")
def model_and_rows() -> tuple[FakeModel, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(7)
    n = 600
    y = (rng.random(n) < 0.4).astype(int)
    X = np.column_stack([rng.gamma(2, 2, n) + 8 * y, rng.random(n) * 0.05 + 0.2 * y,
                         rng.lognormal(0, 0.4, n) - 0.5 * y, rng.random(n) * 0.3 + 0.3 * y,
                         rng.normal(4.3, 0.3, n)])
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 7, "seed": 1},
                        lgb.Dataset(X, label=y, feature_name=NAMES), num_boost_round=40)
    model = FakeModel(booster=booster, task="influencer", features=NAMES,
                      calibration=Calibration(method="sigmoid"), threshold_fake=0.9,
                      threshold_review=0.5)
    rows = pd.DataFrame(X[:4], columns=NAMES, index=pd.Index(["a", "b", "c", "d"]))
    rows.iloc[0, :2] = [30.0, 0.4]  # a large spike
    rows.iloc[3, 0] = np.nan  # no growth history: the spike is not assessed
    rows.iloc[3, 1] = np.nan
    evidence = pd.DataFrame([_ev(), _ev(spike_vs_usual=1.2), _ev(engagement_rate=0.02),
                             _ev()], index=pd.Index(["a", "b", "c", "d"]))
    return model, rows, evidence


def test_explanations_state_the_evidence_once(model_and_rows) -> None:
    model, rows, evidence = model_and_rows
    tidy = explain_frame(model, rows, evidence=evidence)
    for acc, part in tidy.groupby("account_id"):
        texts = part["sentence"].tolist()
        spike = [t for t in texts if "followers on 26 Nov 2026" in t]
        assert len(spike) <= 1, (acc, texts)  # a fact is stated once per account
        for text in texts:
            assert not jargon_in(text), text
    a = tidy[tidy["account_id"] == "a"].set_index("feature")["sentence"]
    spike_feats = [f for f in NAMES[:2] if "+8,225 followers on 26 Nov 2026" in a[f]]
    assert len(spike_feats) == 1
    d = tidy[tidy["account_id"] == "d"].set_index("feature")["sentence"]
    assert d[NAMES[0]].startswith("Not assessed:")  # no evidence sentence for missing data
    assert d[NAMES[2]].startswith("Engagement 0.4%, a quarter of the usual 1.6%")
    plain = explain_frame(model, rows)
    assert plain["contribution"].tolist() == tidy["contribution"].tolist()


def test_terminal_rows_show_words_and_model_units_only_when_verbose(model_and_rows) -> None:
    model, rows, evidence = model_and_rows
    tidy = explain_frame(model, rows, evidence=evidence)
    default = reason_rows(tidy, "d", 8)
    assert [cells[0] for cells, _ in default] == [str(k) for k in range(1, len(default) + 1)]
    assert len(default) == 3  # the two features without a value are not reasons
    for cells, toward_fake in default:
        assert len(cells) == 3 and not jargon_in(" ".join(cells))
        assert cells[2].endswith("toward fake" if toward_fake else "toward genuine")
        assert " — " not in cells[1]
    verbose = reason_rows(tidy, "d", 8, verbose=True)
    assert all(re.fullmatch(r"[+-]\d+\.\d{3}", cells[3]) for cells, _ in verbose)


def test_every_registry_evidence_topic_has_a_sentence() -> None:
    from fakedetect.evidence import _TOPICS, evidence_features
    from fakedetect.features.registry import EVIDENCE_TOPICS, FeatureSpec

    assert set(EVIDENCE_TOPICS) - {""} == set(_TOPICS)
    tagged = evidence_features()
    assert tagged["snapshots__max_jump_robust_z__window_1"] == "spike"
    assert tagged["posts__engagement_vs_tier__last_30"] == "engagement"
    assert set(tagged.values()) == set(_TOPICS)
    with pytest.raises(ValueError, match="evidence topic"):
        FeatureSpec("posts__x", "engagement", ("posts",), "X.", "{value}", evidence="likes")


def test_explain_command_speaks_plainly(model_and_rows, tmp_path,
                                        capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from fakedetect.cli import main
    from tests.test_report import write_dataset

    monkeypatch.setenv("COLUMNS", "200")  # one line per reason in the terminal table
    model, _, _ = model_and_rows
    folder = model.save(tmp_path / "model")
    data = write_dataset(tmp_path / "data")
    assert main(["explain", "bob_bought", "--data", str(data), "--model", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "Top reasons" in out and "push toward" in out
    assert "followers on 11 Mar 2024" in out  # the spike, with its date
    assert not [j for j in jargon_in(out) if j not in {"{", "}"}], out
    assert main(["explain", "bob_bought", "--data", str(data), "--model", str(folder),
                 "-v"]) == 0
    verbose = capsys.readouterr().out
    assert "log-odds" in verbose and re.search(r"[+-]\d\.\d{3}", verbose)


#: Forms a garbled or statistical sentence takes: a signed zero count, a doubled word,
#: a bare statistic with no comparison, a formula, an internal fallback name.
GARBLED = (re.compile(r"-0 times"), re.compile(r"\b(\w+) \1\b", re.I),
           re.compile(r"\bcorrelation of\b", re.I), re.compile(r"\binequality of\b", re.I),
           re.compile(r"\bmore\b.*\bmore\b", re.I), re.compile(r"log10|log\("),
           re.compile(r"profile_rules|standard error|SHAP|Venn|PSI\b"),
           re.compile(r"e[+-]\d\d"), re.compile(r": (yes|no)$"))

#: Values where band templates switch, and past them.
EDGES = (-3.0, -0.06, -0.04, -0.0, 0.0, 0.004, 0.006, 0.01, 0.02, 0.1, 0.15, 0.25, 0.3,
         0.5, 0.85, 1.0, 1.5, 2.0, 2.6, 3.0, 3.2, 3.9, 4.1, 6.5, 10.0, 100.0, 400.0, 800.0)


@pytest.mark.parametrize("feature", [f.name for f in FEATURES])
def test_no_sentence_is_garbled(feature: str) -> None:
    for value in VALUES + EDGES:
        text = sentence(feature, value, 0.5)
        found = [m.group(0) for rx in GARBLED for m in rx.finditer(text)]
        assert not found, (feature, value, text, found)
    spec = get_feature(feature)
    for text in (spec.description, spec.template, *(b.template for b in spec.bands)):
        assert not [m.group(0) for rx in GARBLED[5:7] for m in rx.finditer(text)], text


def test_statistics_read_as_comparisons() -> None:
    gini = "posts__like_gini__last_30"
    assert sentence(gini, 0.05, 1.0).startswith("Likes are unusually even across posts")
    assert sentence(gini, 0.7, 1.0).startswith("A few posts get most of the likes")
    corr = "snapshots__gain_engagement_corr__lag_1"
    assert "do not follow" in sentence(corr, 0.0, 1.0)
    assert "rise and fall with" in sentence(corr, 0.46, -1.0)
    drop = "snapshots__max_drop_robust_z__window_1"
    assert sentence(drop, -0.3, 0.5).startswith("No day shows an unusual follower loss")
    assert "purge" in sentence(drop, 25.0, 1.0)
    churn = "snapshots__following_oscillation__mean_abs_pct"
    assert "follows and unfollows in bulk" in sentence(churn, 0.07, 1.0)
    following = "accounts__log_following"
    assert "more than 1,500" in sentence(following, np.log10(2045), 1.0)
    assert "ordinary number" in sentence(following, np.log10(300), 1.0)
    mean = "snapshots__daily_follower_change__mean_pct"
    assert "over 30 days" in sentence(mean, 0.0044, 1.0)
    conc = "snapshots__growth_concentration__top_pct_1"
    assert sentence(conc, 0.97, -0.5).startswith("Follower gains are concentrated: 97%")
    assert not sentence(conc, 0.97, -0.5).startswith("Follower growth is spread")
    post_days = "snapshots__excess_growth_on_post_days__lag_1"
    assert "brought 71% more of the follower growth" in sentence(post_days, 0.71, -1.0)
    assert "less" in sentence(post_days, -0.3, 1.0)


def test_amount_of_data_is_never_a_reason(model_and_rows) -> None:
    from fakedetect.explain import is_reason

    context = [f.name for f in FEATURES if f.context]
    assert set(context) >= {"snapshots__history_length_days", "audience__sample_size",
                            "audience__fake_share__se"}
    _, rows, _ = model_and_rows
    names = [*NAMES, "snapshots__history_length_days"]
    rng = np.random.default_rng(3)
    X = np.column_stack([rows.fillna(0.0).to_numpy()[rng.integers(0, 4, 400)],
                         rng.integers(3, 40, 400)])
    y = (X[:, 5] < 15).astype(int)  # the history length alone decides the label
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 7, "seed": 1},
                        lgb.Dataset(X, label=y, feature_name=names), num_boost_round=20)
    m = FakeModel(booster=booster, task="influencer", features=names,
                  calibration=Calibration(method="sigmoid"), threshold_fake=0.9,
                  threshold_review=0.5)
    frame = pd.DataFrame(X[:20], columns=names, index=pd.Index([f"x{i}" for i in range(20)]))
    tidy = explain_frame(m, frame)
    hist = tidy[tidy["feature"] == "snapshots__history_length_days"]
    assert (hist["rank"] == len(names)).all()  # ranked last, though it decides the score
    assert np.abs(hist["contribution"]).max() > 0.3
    assert not is_reason(hist["feature"], hist["value"]).any()
    for acc in frame.index:
        assert all("history" not in cells[1] for cells, _ in reason_rows(tidy, acc, 6))
    from fakedetect.scoring import score_frame

    scored = score_frame(m, frame, top_reasons=6)
    assert not scored.filter(like="reason_").apply(
        lambda c: c.str.contains("history covers")).any().any()


def test_checklist_follows_the_strongest_reasons() -> None:
    from fakedetect.evidence import checklist_topics

    topics = checklist_topics(
        ["snapshots__following_oscillation__mean_abs_pct", "comments__burst_share__minutes_15",
         "snapshots__max_jump_robust_z__window_1", "posts__like_gini__last_30"],
        [1.4, 0.9, 0.1, -0.8])
    assert topics == ["churn", "timing", "spike"]  # toward fake, strongest first
    lists = review_checklist(_ev(spike_vs_usual=9.0), topics)
    assert "following" in lists["check"][0] and "unfollow" in lists["check"][0]
    assert "first minutes" in lists["check"][1]
    assert "26 Nov 2026" in lists["check"][2]
    # then the evidence's own topics: engagement, repeat commenters, fake followers
    assert len(lists["check"]) == 6 and "twenty of the followers" in lists["check"][5]
    quiet = review_checklist(_ev(spike_vs_usual=2.0, engagement_vs_benchmark=1.0,
                                 comment_repeat_share=0.05, fake_follower_share=np.nan),
                             ["churn"])
    assert len(quiet["check"]) == 1 and "unfollow" in quiet["check"][0]
    for items in lists.values():
        assert items and not any(jargon_in(t) for t in items)


def test_explain_lists_not_assessed_and_the_checklist_without_cutting_words(
        model_and_rows, tmp_path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from fakedetect.cli import main
    from tests.test_report import write_dataset

    monkeypatch.delenv("COLUMNS", raising=False)  # not a terminal: no width from it
    model, _, _ = model_and_rows
    folder = model.save(tmp_path / "model")
    data = write_dataset(tmp_path / "data")
    assert main(["explain", "bob_bought", "--data", str(data), "--model", str(folder)]) == 0
    out = capsys.readouterr().out
    head = out.splitlines()[0]
    assert "verdict" in head and head.rstrip().endswith(("authentic", "review", "fake")), head
    assert "Not assessed" in out and "Needs " in out
    if "verdict review" in head or "verdict likely fake" in head:
        assert "Review checklist" in out and "What would clear the account" in out
    assert not [j for j in jargon_in(out) if j not in {"{", "}"}], out



# ------------------------------------------------- sentences that read against their push

#: Wording that reads as genuine or ordinary (-1) or as a sign of fake (+1), by the
#: phrases the templates use; a sentence matching neither is a plain description (0).
READS_GENUINE = re.compile(
    r"an ordinary number|an established feed|far more followers than follows|"
    r"has a profile picture|\bis verified|links to an external site|about the usual|"
    r"an ordinary amount|in the ordinary way|kept pace|is steady from day to day|"
    r"^No single day|^No three days|^No day added|^No day shows|are spread out|"
    r"as organic growth does|as in organic growth|barely changes|\S+ years old|"
    r"^No day stands out|^No sudden loss|^No account comments|within the usual share|"
    r"^Few (comments|of a post's commenters)")
READS_FAKE = re.compile(
    r"platform's limit|mass-following|published only|as in follow-for-follow|"
    r"biography is empty|often generated|has no profile picture|well below it|"
    r"more than most genuine audiences|unusually even|likes but no comments|"
    r"more comments than likes|fell behind|jumps around|than (on )?a steady account|"
    r"a sudden spike|a noticeable jump|a very large jump|a sudden purge|a noticeable drop|"
    r"are concentrated|do not follow|independently of posts|in bulk|is only \S+ days old|"
    r"unusually fast rush|far faster than|more than the usual share|"
    r"most comments say nothing|from the same group|comment post after post")
PUSH = re.compile(r" — (strong|moderate|slight) push toward (fake|genuine)$")
SOFTENED = re.compile(r"; usually (a warning sign|reassuring), but the model weighs it with "
                      r"the other signals — ")


def reads_as(text: str) -> int:
    """How a sentence (without its push and any softening clause) reads, by its words."""
    genuine, fake = bool(READS_GENUINE.search(text)), bool(READS_FAKE.search(text))
    assert not (genuine and fake), text
    return -1 if genuine else 1 if fake else 0


def check_against(text: str) -> None:
    """A sentence whose push runs against its wording says so; no other does."""
    push = PUSH.search(text)
    assert push, text
    toward = 1 if push.group(2) == "fake" else -1
    soft = SOFTENED.search(text)
    bare = text[:soft.start() if soft else push.start()]
    reading = reads_as(bare)
    if reading * toward < 0:
        assert soft, f"reads against its push without saying so: {text}"
        said = "a warning sign" if reading > 0 else "reassuring"
        assert soft.group(1) == said, text
    else:
        assert not soft, f"softened though it does not read against its push: {text}"


def _values(spec) -> list[float]:
    """Values around every band bound of ``spec``, and the shared test values."""
    near = [b[0] + d for b in spec.bands for d in (-1e-6, 0.0, 1e-6, 0.3)]
    return [*VALUES, *EDGES, *near, -50.0]


@pytest.mark.parametrize("feature", [f.name for f in FEATURES])
def test_no_sentence_reads_against_its_push_without_saying_so(feature: str) -> None:
    for value in _values(get_feature(feature)):
        for contribution in (2.44, 0.5, 0.05, -0.05, -0.5, -2.44):
            check_against(sentence(feature, value, contribution))


def test_the_check_catches_the_sentences_seen_against_their_push() -> None:
    for text in ("Likes are spread across posts in the ordinary way: some posts do better "
                 "than others — slight push toward fake",
                 "Posting days brought 71% more of the follower growth than their share of "
                 "the days: followers arrive with posts, as in organic growth — moderate "
                 "push toward fake",
                 "Likes are unusually even across posts: nearly every post gets the same "
                 "number — slight push toward genuine",
                 "Follower gains are concentrated: 83% of them came on the busiest 1% of "
                 "days — moderate push toward genuine",
                 "No day stands out: the largest one-day gain, +40 followers on 2 Nov 2026, "
                 "is close to the usual daily change — slight push toward fake"):
        with pytest.raises(AssertionError, match="without saying so"):
            check_against(text)
    with pytest.raises(AssertionError, match="does not read against"):
        check_against("The account posts 2.0 times a week; usually reassuring, but the model "
                      "weighs it with the other signals — slight push toward fake")


def test_every_template_and_band_states_its_lean() -> None:
    from fakedetect.features.registry import LEANS, Band, FeatureSpec, lean_for

    for spec in FEATURES:
        assert spec.lean in LEANS, spec.name
        assert all(isinstance(b, Band) and b.lean in LEANS for b in spec.bands), spec.name
        # the words of each template agree with its lean
        for lean, template in ((spec.lean, spec.template),
                               *((b.lean, b.template) for b in spec.bands)):
            assert reads_as(template) == lean, (spec.name, template, lean)
        if spec.direction:
            top = spec.bands[0].lean if spec.bands else spec.lean
            assert top * spec.direction >= 0, spec.name  # the high end never reads backwards
            assert spec.lean * spec.direction <= 0, spec.name  # nor the low end
            if spec.bands:  # a feature that branches says which end is which
                assert top or spec.lean, spec.name
            if spec.monotone and spec.bands:
                assert (top, spec.lean) == (spec.direction, -spec.direction), spec.name
        assert lean_for(spec, float("nan")) == 0
    from fakedetect.features.registry import reads_text

    assert reads_text(get_feature("posts__like_gini__last_30")) == "fake, genuine, plain"
    assert reads_text(get_feature("snapshots__max_jump_robust_z__window_1")) == "genuine, fake"
    with pytest.raises(ValueError, match="lean"):
        FeatureSpec("posts__x", "engagement", ("posts",), "X.", "{value}")
    with pytest.raises(ValueError, match="band bounds"):
        FeatureSpec("posts__x", "engagement", ("posts",), "X.", "{value}", lean=0,
                    bands=(Band(0.1, 0, "a"), Band(0.5, 1, "b")))


def test_vectorised_leans_match_one_at_a_time() -> None:
    from fakedetect.features.registry import lean_for, reason_leans

    for spec in FEATURES:
        values = np.array([*_values(spec), np.nan])
        assert reason_leans(spec.name, values).tolist() == [
            lean_for(spec, float(v)) for v in values], spec.name


class _Stub:
    """Just what :func:`explain_frame` reads of a model when given the contributions."""

    def __init__(self, features: list[str]) -> None:
        self.features = features


#: Evidence cases with how their sentence reads, by topic.
EVIDENCE_CASES = [
    ({}, {"spike": 1, "drop": 1, "engagement": 1, "comments": 1, "share": 1}),
    ({"fake_follower_share": 0.079, "fake_follower_share_low": 0.015,
      "fake_follower_share_high": 0.14}, {"share": -1}),
    ({"fake_follower_share": 0.19, "fake_follower_share_low": 0.1}, {"share": 0}),
    ({"spike_vs_usual": 1.2, "drop_vs_usual": 1.0, "engagement_rate": 0.0165,
      "comment_repeat_accounts": 0.0},
     {"spike": -1, "drop": -1, "engagement": -1, "comments": -1}),
    ({"spike_week_likes_vs_usual": 3.0, "spike_vs_usual": 2.0, "drop_vs_usual": 2.0,
      "engagement_rate": 0.03, "comment_repeat_share": 0.05},
     {"spike": 0, "drop": 0, "engagement": 0, "comments": 0}),
    ({"engagement_rate": 0.09}, {"engagement": 1}),
    ({"engagement_rate": 0.012}, {"engagement": 0}),
]


@pytest.mark.parametrize(("changes", "reading"), EVIDENCE_CASES)
def test_evidence_sentences_never_read_against_their_push_unsaid(
        changes: dict[str, object], reading: dict[str, int]) -> None:
    """Through explain_frame, for both push signs: a fact stands as a feature's reason
    only when it supports the push; otherwise the feature keeps its own sentence, which
    says so when it reads against its push."""
    from fakedetect.evidence import evidence_features, topic_lean, topic_sentence
    from fakedetect.explain import supports

    ev = _ev(**changes)
    for topic, lean in reading.items():
        assert topic_lean(topic, ev) == lean, (topic, changes)
    feats = list(evidence_features())
    rng = np.random.default_rng(5)
    rows = pd.DataFrame([[1.0] * len(feats)] * 2, columns=feats,
                        index=pd.Index(["up", "down"]))
    for f in feats:  # values across each feature's bands
        rows[f] = rng.choice(_values(get_feature(f)), size=2)
    contrib = np.array([[0.6] * len(feats), [-0.6] * len(feats)])
    evidence = pd.DataFrame([ev, ev], index=pd.Index(["up", "down"]))
    tidy = explain_frame(_Stub(feats), rows, contrib=contrib, base=np.zeros(2),
                         evidence=evidence)
    stated = 0
    for r in tidy.itertuples():
        topic = evidence_features()[r.feature]
        fact = topic_sentence(topic, ev)
        toward = 1 if r.contribution > 0 else -1
        if fact and r.sentence.startswith(fact):
            stated += 1
            assert int(r.lean) == topic_lean(topic, ev), r
            assert supports(topic, int(r.lean), r.contribution), r.sentence
            assert not SOFTENED.search(r.sentence), r.sentence
        else:
            assert r.sentence == sentence(r.feature, r.value, r.contribution), r
            check_against(r.sentence)
        soft = SOFTENED.search(r.sentence)
        assert bool(soft) == (r.lean * toward < 0), r.sentence
        assert not jargon_in(r.sentence), r.sentence
    for acc in ("up", "down"):  # each fact that supports the push is stated, once
        mine = tidy[tidy["account_id"] == acc]
        toward = 1.0 if acc == "up" else -1.0
        for topic in set(evidence_features().values()):
            fact = topic_sentence(topic, ev)
            n = sum(t.startswith(fact) for t in mine["sentence"]) if fact else 0
            want = bool(fact) and supports(topic, topic_lean(topic, ev), toward)
            assert n == int(want), (acc, topic, n)
    assert stated


def test_no_evidence_sentence_stands_against_its_push() -> None:
    """The spikes and losses the new user saw: "+44 followers ..., 2.0x the usual daily
    change, in a week without posts" pushing toward genuine, "-12 followers ..., a loss
    1.6x" toward genuine. Neither replaces the feature's own sentence now; a large spike
    pushed toward fake and "No day stands out" pushed toward genuine still do."""
    feats = ["snapshots__daily_follower_change__std_pct",
             "snapshots__max_drop_robust_z__window_1"]
    rows = pd.DataFrame([[0.004, 1.2]] * 4, columns=feats,
                        index=pd.Index(["mild-", "mild+", "big+", "calm-"]))
    contrib = np.array([[-1.2, -0.5], [1.2, 0.5], [1.2, 0.5], [-1.2, -0.5]])
    mild = {"spike_followers": 44.0, "spike_vs_usual": 2.0, "spike_usual_daily_change": 22.0,
            "spike_week_likes_vs_usual": np.nan, "spike_week_posts": 0.0,
            "drop_followers": -12.0, "drop_vs_usual": 1.6}
    evidence = pd.DataFrame([_ev(**mild), _ev(**mild), _ev(), _ev(spike_vs_usual=1.2,
                                                                  drop_vs_usual=1.1)],
                            index=rows.index)
    tidy = explain_frame(_Stub(feats), rows, contrib=contrib, base=np.zeros(4),
                         evidence=evidence)
    said = {(r.account_id, r.feature): r.sentence for r in tidy.itertuples()}
    assert said["mild-", feats[0]].startswith("The follower count is steady")
    assert said["mild-", feats[1]].startswith("No day shows an unusual follower loss")
    assert said["mild+", feats[0]].startswith("+44 followers on 26 Nov 2026, 2.0x the usual")
    assert said["mild+", feats[1]].startswith("-12 followers on 10 Dec 2026, a loss 1.6x")
    assert said["big+", feats[0]].startswith("+8,225 followers on 26 Nov 2026, 41x")
    assert said["calm-", feats[0]].startswith("No day stands out")
    assert said["calm-", feats[1]].startswith("No sudden loss")
    for text in said.values():
        assert not re.match(r"[+-][\d,]+ followers on .*toward genuine$", text), text


def test_rows_and_terminal_cells_keep_the_softening_with_the_sentence() -> None:
    feats = ["posts__like_gini__last_30", "snapshots__growth_concentration__top_pct_1",
             "snapshots__excess_growth_on_post_days__lag_1", "accounts__username_length"]
    rows = pd.DataFrame([[0.3, 0.83, 0.71, 12.0]], columns=feats, index=pd.Index(["a"]))
    contrib = np.array([[0.2, -0.6, 1.3, 0.1]])
    tidy = explain_frame(_Stub(feats), rows, contrib=contrib, base=np.zeros(1))
    said = tidy.set_index("feature")["sentence"]
    assert said[feats[0]] == sentence(feats[0], 0.3, 0.2)
    assert said[feats[0]].endswith("in the ordinary way: some posts do better than others; "
                                   "usually reassuring, but the model weighs it with the "
                                   "other signals — slight push toward fake")
    assert "; usually a warning sign, but" in said[feats[1]]
    assert said[feats[1]].endswith("moderate push toward genuine")
    assert "; usually reassuring, but" in said[feats[2]]
    assert "; usually" not in said[feats[3]]  # a plain description is never softened
    assert tidy.set_index("feature")["lean"].tolist() == [-1, 1, -1, 0]
    cells = {c[1]: c[2] for c, _ in reason_rows(tidy, "a", 4)}
    soft = [t for t in cells if "; usually" in t]
    assert len(soft) == 3 and all(" — " not in t for t in cells)
    assert {cells[t] for t in soft} == {"slight push toward fake", "moderate push toward genuine",
                                        "strong push toward fake"}


def test_checklist_leaves_out_reasons_that_read_as_genuine() -> None:
    from fakedetect.evidence import checklist_topics

    feats = ["snapshots__max_jump_robust_z__window_1", "comments__burst_share__minutes_15",
             "snapshots__following_oscillation__mean_abs_pct"]
    # "No single day's follower gain stands out", pushed toward fake: no spike item
    assert checklist_topics(feats, [1.5, 0.9, 0.4], leans=[-1, 0, 1]) == ["timing", "churn"]
    assert checklist_topics(feats, [1.5, 0.9, 0.4], leans=[1, 0, np.nan]) == [
        "spike", "timing", "churn"]  # an unknown lean (an older reasons file) is kept
    assert checklist_topics(feats, [1.5, 0.9, 0.4])[0] == "spike"
    # from a real explanation: the "No day stands out" evidence sentence pushed toward fake
    rows = pd.DataFrame([[0.5, 0.45, 0.03]], columns=feats, index=pd.Index(["a"]))
    tidy = explain_frame(_Stub(feats), rows, contrib=np.array([[1.5, 0.9, 0.4]]),
                         base=np.zeros(1), evidence=pd.DataFrame(
                             [_ev(spike_vs_usual=1.2)], index=pd.Index(["a"])))
    # the fact reads as genuine, so it does not stand for a push toward fake: the
    # feature's own sentence, which reads as genuine too, says it runs against its push
    assert tidy.iloc[0]["sentence"].startswith("No single day's follower gain stands out")
    assert "; usually reassuring" in tidy.iloc[0]["sentence"]
    assert checklist_topics(tidy["feature"], tidy["contribution"],
                            leans=tidy["lean"]) == ["timing", "churn"]


def test_comment_measures_say_what_they_count() -> None:
    overlap = sentence("comments__commenter_overlap__previous_post", 0.06, 0.2)
    assert overlap.startswith("6% of a post's commenters had also commented on the post "
                              "before it")
    assert "3 or more" not in overlap
    check = " ".join(review_checklist(_ev(comment_repeat_share=0.16), ["comments"])["check"])
    assert ("16% of comments come from 12 accounts that comment on 3 or more of the 15 "
            "commented posts") in check
    assert "post after post" not in check


def test_not_assessed_names_what_is_actually_missing() -> None:
    from fakedetect.explain import missing_by_need

    views, trend = "posts__views_per_like__last_30", "posts__engagement_follower_trend__per_30_days"
    comments = ["comments__share_generic", "comments__burst_share__minutes_15"]
    covered = missing_by_need([views, trend, *comments], "accounts,snapshots,posts")
    need = {label: k for k, labels in covered.items() for label in labels}
    assert need["median views per like over the last 30 posts that report views"] == (
        "view counts on the posts (fewer than 3 of the last 30 posts report views)")
    assert next(k for k in covered if "follower history of at least 14 days" in k)
    assert "comments (at least 10 on the account's posts)" in covered
    assert not any(k.startswith("posts (") for k in covered)  # the posts are there
    unknown = missing_by_need([views])
    assert list(unknown) == ["posts that report views (at least 3 of the last 30)"]
    none = missing_by_need([views, comments[1], "snapshots__growth_concentration__top_pct_1"],
                           "accounts")
    assert list(none) == [  # without the tables, the tables are what is needed
        "posts (at least 3 with like counts)",
        "comments (at least 10 on the account's posts) and posts (at least 3 with like "
        "counts)", "snapshots (daily follower counts over at least 14 days)"]
    flat = missing_by_need(["snapshots__growth_concentration__top_pct_1"],
                           "accounts,snapshots")
    assert list(flat) == ["follower gains in the history (the follower count never rose)"]


def test_not_assessed_items_are_the_lines_the_page_and_explain_share() -> None:
    """A short history: the growth signals are one item, the spike seen in it another,
    then what else is missing; the terminal lines are the same items joined."""
    from fakedetect.explain import not_assessed_items, not_assessed_lines

    values = {"snapshots__history_length_days": 4.0,
              "snapshots__max_jump_robust_z__window_1": np.nan,
              "snapshots__growth_concentration__top_pct_1": np.nan,
              "comments__share_generic": np.nan, "accounts__bio_length": 12.0}
    items = not_assessed_items(values, _ev(), "accounts,snapshots,posts")
    heads = [h for h, _ in items]
    assert heads == ["Follower history too short", "Seen in the history but not scored",
                     "Needs comments (at least 10 on the account's posts)"]
    assert items[0][1].startswith("it covers 4 day(s); the growth signals need at least "
                                  "14 days") and "10 more day(s)" in items[0][1]
    assert items[1][1].startswith("+8,225 followers on 26 Nov 2026")
    frame = pd.DataFrame({"account_id": "a", "feature": list(values),
                          "value": list(values.values())})
    lines = not_assessed_lines(frame, "a", {**_ev(), "coverage": "accounts,snapshots,posts"})
    assert lines == [f"{h}: {d}" for h, d in items]
    assert not_assessed_items({"accounts__bio_length": 12.0}) == []
    # a spike only counts as seen when there is one
    calm = not_assessed_items(values, _ev(spike_vs_usual=1.2), "accounts,snapshots,posts")
    assert [h for h, _ in calm][1] == "Needs comments (at least 10 on the account's posts)"


# ----------------------------------------------------------- short lists and the basis


def _against_frame() -> pd.DataFrame:
    """Four reasons of one account: ranks 1 and 2 read against their push."""
    feats = ["posts__like_gini__last_30", "snapshots__growth_concentration__top_pct_1",
             "comments__burst_share__minutes_15", "accounts__log_following"]
    rows = pd.DataFrame([[0.3, 0.83, 0.5, 3.9]], columns=feats, index=pd.Index(["a"]))
    contrib = np.array([[1.4, -1.2, 0.8, 0.4]])  # "ordinary" toward fake, "concentrated"
    return explain_frame(_Stub(feats), rows, contrib=contrib, base=np.zeros(1))  # toward genuine


def test_short_lists_put_reasons_that_read_with_their_push_first() -> None:
    from fakedetect.explain import display_order, reorder_reason_columns, shown_reasons

    tidy = _against_frame()
    assert tidy["rank"].tolist() == [1, 2, 3, 4]
    shown = display_order(tidy)
    assert shown["rank"].tolist() == [3, 4, 1, 2]  # the model's ranks are kept
    assert tidy["rank"].tolist() == [1, 2, 3, 4]  # and the frame itself is untouched
    top = shown_reasons(tidy, "a", 3)  # the three strongest; against their push last
    assert top["feature"].tolist() == ["comments__burst_share__minutes_15",
                                       "posts__like_gini__last_30",
                                       "snapshots__growth_concentration__top_pct_1"]
    # a stronger reason is never dropped for a weaker one that reads with its push
    assert "accounts__log_following" not in set(top["feature"])
    cells = [c[1] for c, _ in reason_rows(tidy, "a", 3)]
    assert cells[0].startswith("50% of comments arrived within 15 minutes")
    assert "; usually" in cells[2]
    scores = pd.DataFrame({"account_id": ["a"],
                           **{f"reason_{i}": [tidy.iloc[i - 1]["sentence"]] for i in (1, 2, 3)},
                           **{f"contribution_{i}": [tidy.iloc[i - 1]["contribution"]]
                              for i in (1, 2, 3)}})
    again = reorder_reason_columns(scores, tidy, 3)
    assert again.loc[0, "reason_1"] == tidy.iloc[2]["sentence"]  # the same three reasons
    assert [again.loc[0, f"contribution_{i}"] for i in (1, 2, 3)] == [0.8, 1.4, -1.2]
    assert scores.loc[0, "contribution_1"] == 1.4  # a copy


def _basis_frame(history: float, evidence_push: float) -> tuple[list[str], pd.DataFrame,
                                                                  np.ndarray]:
    feats = ["snapshots__history_length_days", "snapshots__max_jump_robust_z__window_1",
             "posts__engagement_vs_tier__last_30", "posts__like_gini__last_30"]
    rows = pd.DataFrame([[history, np.nan, 1.1, 0.3]], columns=feats, index=pd.Index(["a"]))
    contrib = np.array([[1.1, 0.4, -0.3, evidence_push]])
    return feats, rows, contrib


def test_verdict_basis_says_when_the_score_rests_on_little_data() -> None:
    from fakedetect.explain import verdict_basis, verdict_basis_column

    feats, rows, contrib = _basis_frame(4.0, -0.2)
    tidy = explain_frame(_Stub(feats), rows, contrib=contrib, base=np.zeros(1))
    line = verdict_basis(tidy, "a")
    assert line == ("Most of the push toward fake comes from how little data there is (a "
                    "follower history of only 4 days and 1 signal that could not be "
                    "assessed), not from evidence about the account; collect more days of "
                    "the account's history before deciding.")
    assert not jargon_in(line)
    assert verdict_basis_column(_Stub(feats), rows, contrib) == [line]
    # evidence toward fake as strong as the data's push: the reasons explain the score
    feats, rows, contrib = _basis_frame(4.0, 1.6)
    assert verdict_basis(explain_frame(_Stub(feats), rows, contrib=contrib,
                                       base=np.zeros(1)), "a") is None
    # a small push from the data is not what the score rests on
    contrib = np.array([[0.1, 0.1, -0.3, -0.2]])
    assert verdict_basis(explain_frame(_Stub(feats), rows, contrib=contrib,
                                       base=np.zeros(1)), "a") is None
    assert verdict_basis(explain_frame(_Stub(feats), rows, contrib=contrib,
                                       base=np.zeros(1)), "nobody") is None


def test_checklist_share_and_profile_items_follow_the_reasons() -> None:
    from fakedetect.evidence import EVIDENCE_ONLY, checklist_topics

    share_item = "Open twenty of the followers at random"
    ordinary = _ev(fake_follower_share=0.08, fake_follower_share_low=0.02,
                   fake_follower_share_high=0.15, spike_vs_usual=2.0,
                   engagement_vs_benchmark=1.0, comment_repeat_share=0.05)
    check = review_checklist(ordinary, ["timing"])["check"]
    assert not any(share_item in c for c in check)  # measured and ordinary: not re-checked
    check = review_checklist(ordinary, ["share"])["check"]
    assert check[0].startswith(share_item)  # the share's reason pushes toward fake
    high = review_checklist(_ev(spike_vs_usual=2.0, engagement_vs_benchmark=1.0,
                                comment_repeat_share=0.05), ["timing"])["check"]
    assert high[1] == EVIDENCE_ONLY + "open" + next(
        c for c in review_checklist(_ev(), ["share"])["check"] if c.startswith(share_item)
    )[len("Open"):]
    # the profile item only for a profile reason that reads as fake
    assert checklist_topics(["accounts__log_followers"], [0.5], leans=[0]) == []
    assert checklist_topics(["accounts__has_profile_pic"], [0.5], leans=[1]) == ["profile"]
    assert checklist_topics(["accounts__log_following"], [0.5], leans=[1]) == ["churn"]
    # the spike, seen in the evidence but not among the reasons, says so
    spike = review_checklist(_ev(), [])["check"][0]
    assert spike.startswith(EVIDENCE_ONLY + "open the posts around 26 Nov 2026")
    assert review_checklist(_ev(), ["spike"])["check"][0].startswith("Open the posts")


def test_not_assessed_names_the_columns_and_leaves_out_amount_of_data() -> None:
    from fakedetect.explain import not_assessed_items

    values = {"accounts__share_location_tagged": np.nan, "accounts__promo_keywords": np.nan,
              "audience__fake_share__scorer_model": np.nan,
              "audience__fake_share__se": np.nan, "audience__sample_size": np.nan,
              "accounts__bio_length": 3.0}
    items = dict(not_assessed_items(values))
    profile = items["Needs columns of the accounts table"]
    assert ("share of posts with a location tag (share_location_tagged, or has_location in "
            "the posts table)") in profile
    assert "use of promotional keywords in captions (promo_keywords)" in profile
    audience = items["Needs an audience sample (at least 10 followers)"]
    assert audience == "estimated share of fake followers in the audience sample."
    for text in items.values():
        assert "corrected for" not in text and "number of sampled followers" not in text


def test_report_page_orders_the_top_reasons_and_states_the_basis() -> None:
    """The account page's "Top reasons" box lists a reason that reads against its push
    after those that read with it, and states the verdict basis above them."""
    from fakedetect.report import render_account_page
    from tests.test_report import make_frames, make_scores, to_dataset

    dataset = to_dataset(make_frames())
    scores = make_scores(dataset)
    feats = ["snapshots__history_length_days", "snapshots__max_jump_robust_z__window_1",
             "posts__like_gini__last_30", "comments__burst_share__minutes_15"]
    rows = pd.DataFrame([[5.0, np.nan, 0.3, 0.5]], columns=feats,
                        index=pd.Index(["bob_bought"]))
    contrib = np.array([[1.5, 0.6, 0.5, 0.2]])  # the ordinary likes pushed toward fake
    reasons = explain_frame(_Stub(feats), rows, contrib=contrib, base=np.full(1, -1.0))
    page = render_account_page("bob_bought", scores=scores, reasons=reasons,
                               dataset=dataset, model={"name": "m", "version": "1"})
    box = page[page.index('id="reasons"'):page.index("</section>", page.index('id="reasons"'))]
    assert 'id="verdict-basis"' in box
    assert "a follower history of only 5 days and 1 signal that could not be assessed" in box
    assert box.index("within 15 minutes") < box.index("in the ordinary way")


def test_explain_json_lists_reasons_with_their_push_first(model_and_rows, tmp_path,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    import json

    from fakedetect.cli import main
    from tests.test_report import write_dataset

    model, _, _ = model_and_rows
    folder = model.save(tmp_path / "model")
    data = write_dataset(tmp_path / "data")
    for acc in ("alice", "bob_bought"):
        assert main(["explain", acc, str(data), "--model", str(folder), "--json"]) == 0
        doc = json.loads(capsys.readouterr().out)
        assert "verdict_basis" in doc
        against = [r["against_usual"] for r in doc["reasons"]]
        assert against == sorted(against), doc["reasons"]  # with their push first
        assert [r["rank"] for r in doc["reasons"]] == list(range(1, len(against) + 1))
        ranks = [r["model_rank"] for r in doc["reasons"] if not r["against_usual"]]
        assert ranks == sorted(ranks)
