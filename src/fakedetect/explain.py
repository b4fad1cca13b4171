"""Explanations are data: a tidy table of each feature's SHAP contribution per account.

Contributions are exact path-dependent TreeSHAP values (LightGBM's ``pred_contrib``, or
the same values from :mod:`fakedetect._compiled.treeshap` on large inputs): for every account,
``base_value + sum(contribution)`` equals the model's raw margin (log-odds of fake), before
calibration. A positive contribution pushes toward *fake*. The plain-word sentence of each
row comes from the feature registry's template, filled with the account's value.

Features that measure how much data there is (the length of the follower history, the
size of the audience sample: the registry's ``context`` flag) are never reasons: they rank
after every other feature, so the rows still add up but no analyst reads "the history
covers 4 days" as a sign of fraud (:func:`is_reason` tells the two apart).

Missing evidence is not evidence: a feature that could not be computed for an account
(its value is missing) still has a contribution, so the rows add up, but it ranks after
every computed feature and its sentence says it was not assessed, with no direction; the
plain-word reasons of ``predict`` and the report come from computed features only.

Sentences are written for an analyst: where :mod:`fakedetect.evidence` has the facts
behind a feature (the follower spike with its date and size, engagement against the
benchmark, the repeat commenters), the sentence states them, but only where the fact
supports the push (:func:`supports`: a large spike for a push toward fake, "No day stands
out" for one toward genuine); elsewhere the feature keeps its own sentence. The push of
each reason is given in words (:func:`strength`), its size in model units only in
``contribution``.

A sentence can read against its own push: the push is measured against the average
account the model learned from and together with the account's other signals, so an
ordinary value ("likes are spread across posts in the ordinary way") can still push
toward fake. Every sentence has a lean in the registry (and in
:func:`fakedetect.evidence.topic_lean`): +1 it reads as a sign of fake, -1 as genuine or
ordinary, 0 plain. When the push runs against the lean, the sentence says so
(:data:`AGAINST_LEAN`) before its strength and direction, and the row's ``lean`` column
lets the review checklist leave it out and the short lists show it last
(:func:`display_order`; ``rank`` keeps the model's order).

When the amount of data, not the account's behaviour, carries a score toward fake,
:func:`verdict_basis` says so in one line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pandas as pd

    from fakedetect.model import FakeModel

REASON_COLUMNS = ("account_id", "rank", "feature", "description", "value", "contribution",
                  "sentence", "base_value", "lean")

#: What a sentence adds when its push runs against how it reads: by the sentence's lean
#: (+1 reads as a sign of fake, pushed toward genuine; -1 reads as genuine or ordinary,
#: pushed toward fake).
AGAINST_LEAN: dict[int, str] = {
    1: "; usually a warning sign, but the model weighs it with the other signals",
    -1: "; usually reassuring, but the model weighs it with the other signals",
}


#: Absolute contributions (model units) from which a reason is "strong" or "moderate";
#: below the last it is "slight".
STRENGTHS: tuple[tuple[float, str], ...] = ((1.0, "strong"), (0.3, "moderate"),
                                            (0.0, "slight"))


def strength(contribution: float) -> str:
    """How hard a reason pushes, in words: ``strong``, ``moderate`` or ``slight``."""
    size = abs(float(contribution))
    for bound, word in STRENGTHS:
        if size >= bound:
            return word
    return STRENGTHS[-1][1]


def _direction_word(contribution: float) -> str:
    toward = "fake" if contribution > 0 else "genuine"
    return f"{strength(contribution)} push toward {toward}"


def _suffix(contribution: float) -> str:
    return f" — {_direction_word(contribution)}"


def reads_against(lean: int, contribution: float) -> bool:
    """Whether a push of ``contribution`` runs against a sentence of ``lean`` (a sentence
    that reads as genuine pushing toward fake, or the other way round)."""
    return (lean > 0 and contribution < 0) or (lean < 0 and contribution > 0)


def worded(text: str, lean: int, contribution: float) -> str:
    """``text`` with its push in words, and the :data:`AGAINST_LEAN` clause before it when
    the push runs against how the text reads.

    Parameters
    ----------
    text : str
        A registry or evidence sentence.
    lean : int
        How ``text`` reads on its own (+1 fake, -1 genuine or ordinary, 0 plain).
    contribution : float
        The feature's push (model units; positive toward fake).

    Returns
    -------
    str
        ``"<text>[; usually ...] — <strength> push toward <fake|genuine>"``.
    """
    against = AGAINST_LEAN[lean] if reads_against(lean, contribution) else ""
    return f"{text}{against}{_suffix(contribution)}"


def sentence(feature: str, value: float, contribution: float) -> str:
    """The registry sentence for ``feature`` at ``value``, with its strength and direction
    in words (:func:`worded`; none for a missing value: the signal was not assessed)."""
    from fakedetect.features import get_feature, render_reason
    from fakedetect.features.registry import lean_for

    if value != value:
        return render_reason(feature, value)
    lean = lean_for(get_feature(feature), float(value))
    return worded(render_reason(feature, value), lean, contribution)


def explain_frame(model: FakeModel, X: pd.DataFrame, *, top: int | None = None,
                  contrib: np.ndarray | None = None, base: np.ndarray | None = None,
                  evidence: pd.DataFrame | None = None) -> pd.DataFrame:
    """Tidy SHAP explanations of ``X`` (indexed by account_id).

    Parameters
    ----------
    model : FakeModel
    X : pandas.DataFrame
        Feature rows; the index holds the account ids.
    top : int, optional
        Keep only the ``top`` largest absolute contributions per account (all by default).
    contrib, base : numpy.ndarray, optional
        Precomputed :meth:`FakeModel.contributions` output.
    evidence : pandas.DataFrame, optional
        :func:`fakedetect.evidence.headline_evidence` of the accounts: the sentences of
        the features it covers state its facts (each fact once per account, on the
        strongest of its features).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`REASON_COLUMNS`, ordered by account then rank (1 = strongest).
        ``lean`` (int8) is how the row's sentence reads on its own: +1 as a sign of fake,
        -1 as genuine or ordinary, 0 plain (and 0 for a missing value).
    """
    import pandas as pd

    from fakedetect.features import get_feature

    if contrib is None or base is None:
        contrib, base = model.contributions(X)
    n, k = contrib.shape
    values = X[model.features].to_numpy(dtype=np.float64, na_value=np.nan)
    keep = k if top is None else min(top, k)
    # computed features first (by the size of their push), then the not assessed ones,
    # then the amount-of-data features, which are never reasons
    context = np.array([get_feature(f).context for f in model.features], dtype=bool)
    key = np.where(np.isnan(values), 1.0, np.abs(contrib) + 2.0)
    order = _strongest(np.where(context[None, :], 0.0, key), keep)
    rows = np.repeat(np.arange(n), keep)
    cols = order.ravel()
    feats = np.asarray(model.features, dtype=object)[cols]
    c = contrib[rows, cols]
    v = values[rows, cols]
    desc = {f: get_feature(f).description for f in model.features}
    text, lean = _sentences(feats, v, c)
    frame = pd.DataFrame({
        "account_id": np.asarray(X.index.astype(str), dtype=object)[rows],
        "rank": np.tile(np.arange(1, keep + 1), n),
        "feature": feats,
        "description": [desc[f] for f in feats],
        "value": v,
        "contribution": c,
        "sentence": text,
        "base_value": base[rows],
        "lean": lean,
    })
    if evidence is not None and len(frame):
        frame["sentence"], frame["lean"] = _evidence_sentences(frame, evidence)
    return frame


def supports(topic: str, lean: int, contribution: float) -> bool:
    """Whether an evidence sentence of ``topic`` and ``lean`` supports a push of
    ``contribution``, so that it may stand as the reason for it.

    A sentence that reads as fake (+1) supports a push toward fake, one that reads as
    genuine or ordinary (-1) a push toward genuine. A plain sentence (0) supports either,
    except a follower gain or loss that stands out (1.5x to 8x the usual daily change):
    "+44 followers on 4 Aug 2026, 2.0x the usual daily change" reads as a warning to an
    analyst, so it only stands for a push toward fake.
    """
    if lean:
        return lean * contribution > 0
    return contribution > 0 if topic in ("spike", "drop") else True


def _evidence_sentences(frame: pd.DataFrame, evidence: pd.DataFrame
                        ) -> tuple[np.ndarray, np.ndarray]:
    """The frame's sentences and leans, those of evidence-backed features replaced by the
    facts of :mod:`fakedetect.evidence`: once per account and topic, on the highest
    ranked feature of the topic whose push the fact supports (:func:`supports`); the
    other features keep their own sentence."""
    import pandas as pd

    from fakedetect.evidence import EvidenceTable, evidence_features, topic_lean, topic_sentence

    out = frame["sentence"].to_numpy(dtype=object).copy()
    leans = frame["lean"].to_numpy(dtype=np.int8).copy()
    topic = frame["feature"].map(evidence_features())
    ok = topic.notna().to_numpy() & np.isfinite(frame["value"].to_numpy(dtype=float))
    if not ok.any():
        return out, leans
    sub = pd.DataFrame({"account_id": frame["account_id"].to_numpy(dtype=object)[ok],
                        "topic": topic.to_numpy(dtype=object)[ok],
                        "rank": frame["rank"].to_numpy()[ok], "row": np.flatnonzero(ok)})
    sub = sub.sort_values(["account_id", "topic", "rank"], kind="stable")
    table = EvidenceTable(evidence)
    where = table.positions(sub["account_id"].astype(str).to_numpy(dtype=object))
    contrib = frame["contribution"].to_numpy(dtype=float)
    lean_of: dict[tuple[object, str], int] = {}
    done: set[tuple[object, str]] = set()
    for acc, row, t, pos in zip(sub["account_id"].tolist(), sub["row"].tolist(),
                                sub["topic"].tolist(), where.tolist(), strict=True):
        key = (acc, t)
        if pos < 0 or key in done:
            continue
        if key not in lean_of:
            lean_of[key] = topic_lean(t, table.row(pos))
        lean = lean_of[key]
        if not supports(t, lean, float(contrib[row])):
            continue
        # the fact stands for this row (or, without a sentence, for none of the topic's)
        done.add(key)
        text = topic_sentence(t, table.row(pos))
        if text:
            leans[row] = lean
            out[row] = worded(text, lean, float(contrib[row]))
    return out, leans


def _strongest(contrib: np.ndarray, keep: int) -> np.ndarray:
    """Columns of the ``keep`` largest absolute contributions of every row, largest
    first, ties in feature order (a stable sort)."""
    return np.argsort(-np.abs(contrib), axis=1, kind="stable")[:, :keep]


def is_reason(features: pd.Series | np.ndarray, values: pd.Series | np.ndarray
              ) -> np.ndarray:
    """Which explanation rows may be shown as reasons: computed, and not an
    amount-of-data feature (the registry's ``context`` flag).

    Parameters
    ----------
    features, values : array-like
        The ``feature`` and ``value`` columns of :func:`explain_frame`.

    Returns
    -------
    numpy.ndarray of bool
    """
    feats = np.asarray(features, dtype=object)
    context = {f: _is_context(str(f)) for f in set(feats.tolist())}
    vals = np.asarray(values, dtype=np.float64)
    return ~np.isnan(vals) & ~np.array([context[f] for f in feats.tolist()], dtype=bool)


def _is_context(name: str) -> bool:
    """Whether ``name`` is an amount-of-data feature (unknown names are not)."""
    from fakedetect.features import get_feature

    try:
        return get_feature(name).context
    except KeyError:
        return False


def _sentences(feats: np.ndarray, values: np.ndarray, contrib: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`sentence` of every row, rendered one feature at a time, and each
    sentence's lean."""
    import pandas as pd

    from fakedetect.features import render_reasons
    from fakedetect.features.registry import reason_leans

    out = np.empty(len(feats), dtype=object)
    leans = np.zeros(len(feats), dtype=np.int8)
    codes, names = pd.factorize(feats)
    for k, name in enumerate(names):
        rows = np.flatnonzero(codes == k)
        out[rows] = render_reasons(str(name), values[rows])
        leans[rows] = reason_leans(str(name), values[rows])
    # the suffix of every (strength, direction, against) once, then one lookup per row
    suffix = {(word, up, lean): (AGAINST_LEAN[lean] if reads_against(lean, 1 if up else -1)
                                 else "") + f" — {word} push toward "
                                f"{'fake' if up else 'genuine'}"
              for _, word in STRENGTHS for up in (True, False) for lean in (-1, 0, 1)}
    missing = np.isnan(values).tolist()
    text = np.array([s if gone else s + suffix[strength(c), c > 0, lean]
                     for s, c, gone, lean in zip(out.tolist(), contrib.tolist(), missing,
                                                 leans.tolist(), strict=True)],
                    dtype=object)
    return text, leans


def display_order(reasons: pd.DataFrame) -> pd.DataFrame:
    """The reasons in the order short lists show them: for each account, the reasons
    whose push goes the way their sentence reads first, then those that run against it
    (:func:`reads_against`: they explain little to a reader), each part by ``rank``.

    ``rank`` itself is left as the model's order (the waterfall and the scores keep it);
    only the row order changes. Accounts keep their order of first appearance.

    Parameters
    ----------
    reasons : pandas.DataFrame
        :func:`explain_frame` output (or any subset of its rows).

    Returns
    -------
    pandas.DataFrame
        The same rows, reordered.
    """
    if not len(reasons):
        return reasons
    import pandas as pd

    acc = pd.factorize(reasons["account_id"].astype(str))[0]
    against = against_flags(reasons.get("lean"), reasons["contribution"])
    order = np.lexsort((reasons["rank"].to_numpy(), against, acc))
    return reasons.iloc[order]


def shown_reasons(reasons: pd.DataFrame, account_id: str, top: int) -> pd.DataFrame:
    """One account's short list: its ``top`` strongest computed reasons (:func:`is_reason`,
    by ``rank``) in :func:`display_order`: a reason whose push runs against its sentence
    comes after the others but is never dropped for a weaker one.

    Parameters
    ----------
    reasons : pandas.DataFrame
        :func:`explain_frame` output.
    account_id : str
    top : int

    Returns
    -------
    pandas.DataFrame
    """
    own = reasons[reasons["account_id"].astype(str) == str(account_id)]
    strongest = own[is_reason(own["feature"], own["value"])].sort_values("rank").head(top)
    return display_order(strongest)


def against_flags(leans: np.ndarray | pd.Series | None,
                  contributions: np.ndarray | pd.Series) -> np.ndarray:
    """:func:`reads_against` of many rows (no lean, or a NaN one: never against)."""
    c = np.asarray(contributions, dtype=np.float64)
    if leans is None:
        return np.zeros(c.shape, dtype=bool)
    lean = np.nan_to_num(np.asarray(leans, dtype=np.float64))
    return ((lean > 0) & (c < 0)) | ((lean < 0) & (c > 0))


def reorder_reason_columns(scores: pd.DataFrame, reasons: pd.DataFrame, k: int
                           ) -> pd.DataFrame:
    """``scores`` with its ``reason_i`` and ``contribution_i`` columns (i = 1..k) in
    :func:`display_order`: for each account, the same reasons, those that read with
    their push first.

    Parameters
    ----------
    scores : pandas.DataFrame
        One row per account, with ``account_id`` and the wide reason columns.
    reasons : pandas.DataFrame
        :func:`explain_frame` output of the same accounts (at least ranks 1..k).
    k : int
        Reason columns.

    Returns
    -------
    pandas.DataFrame
        A copy of ``scores``.
    """
    out = scores.copy()
    if not len(reasons) or k < 1:
        return out
    top = reasons[(reasons["rank"] <= k) & reasons["value"].notna()]
    top = display_order(top).copy()
    top["slot"] = top.groupby(top["account_id"].astype(str), sort=False).cumcount() + 1
    ids = out["account_id"].astype(str)
    for i in range(1, k + 1):
        part = top[top["slot"] == i].set_index(top.loc[top["slot"] == i, "account_id"]
                                               .astype(str))
        if f"reason_{i}" in out:
            out[f"reason_{i}"] = part["sentence"].reindex(ids).fillna("").to_numpy(
                dtype=object)
        if f"contribution_{i}" in out:
            out[f"contribution_{i}"] = part["contribution"].reindex(ids).to_numpy(
                dtype=np.float64)
    return out


#: From this push toward fake (model units, a "moderate" push) the amount of data can be
#: what a verdict rests on (:func:`verdict_basis`).
BASIS_MIN_PUSH = 0.3


def verdict_basis_of(features: list[str], values: np.ndarray, contrib: np.ndarray
                     ) -> str | None:
    """:func:`verdict_basis` of one account's features (every one the model reads), their
    values and their contributions."""
    from fakedetect.features.registry import MIN_HISTORY_DAYS

    context = np.array([_is_context(f) for f in features], dtype=bool)
    data = context | np.isnan(values)
    c = np.nan_to_num(contrib)
    from_data = float(c[data].sum())
    toward_fake_evidence = float(np.clip(c[~data], 0.0, None).sum())
    if from_data < BASIS_MIN_PUSH or from_data <= toward_fake_evidence:
        return None
    what: list[str] = []
    by_name = dict(zip(features, values.tolist(), strict=True))
    days = by_name.get("snapshots__history_length_days", float("nan"))
    if days == days and days < 2 * MIN_HISTORY_DAYS:
        what.append(f"a follower history of only {days:,.0f} day{'s' if days != 1 else ''}")
    sample = by_name.get("audience__sample_size", float("nan"))
    if sample == sample and 0 < sample < 50:
        what.append(f"an audience sample of {sample:,.0f} followers")
    gone = int(np.isnan(values[~context]).sum())
    if gone:
        what.append(f"{gone} signal{'s' if gone != 1 else ''} that could not be assessed")
    detail = f" ({' and '.join(what)})" if what else ""
    todo = ("collect more days of the account's history before deciding"
            if days == days and days < 2 * MIN_HISTORY_DAYS
            else "supply the missing data before deciding")
    return (f"Most of the push toward fake comes from how little data there is{detail}, "
            f"not from evidence about the account; {todo}.")


def verdict_basis(reasons: pd.DataFrame, account_id: str) -> str | None:
    """One plain line saying that a score rests on the amount of data rather than on the
    account's behaviour, when that is so; ``None`` otherwise.

    The amount-of-data features (registry ``context``: the history length, the audience
    sample size) and the signals that could not be computed are never reasons, but they
    still push. When together they push toward fake by at least :data:`BASIS_MIN_PUSH`,
    and by more than every computed reason toward fake together, the line says so and
    what to collect.

    Parameters
    ----------
    reasons : pandas.DataFrame
        :func:`explain_frame` output with every feature of the account (``top=None``).
    account_id : str

    Returns
    -------
    str or None
    """
    own = reasons[reasons["account_id"].astype(str) == str(account_id)]
    if not len(own):
        return None
    return verdict_basis_of(own["feature"].astype(str).tolist(),
                  own["value"].to_numpy(dtype=np.float64),
                  own["contribution"].to_numpy(dtype=np.float64))


def verdict_basis_column(model: FakeModel, X: pd.DataFrame,
                         contrib: np.ndarray | None = None) -> list[str | None]:
    """:func:`verdict_basis` of every row of ``X`` (feature rows), from the model's
    contributions (computed here unless given)."""
    if not len(X):
        return []
    if contrib is None:
        contrib, _ = model.contributions(X)
    values = X[model.features].to_numpy(dtype=np.float64, na_value=np.nan)
    feats = list(model.features)
    return [verdict_basis_of(feats, values[i], contrib[i]) for i in range(len(X))]


def reason_rows(reasons: pd.DataFrame, account_id: str, top: int, *,
                verbose: bool = False) -> list[tuple[list[str], bool]]:
    """One account's strongest computed reasons as table cells for a terminal, in
    :func:`display_order`.

    Parameters
    ----------
    reasons : pandas.DataFrame
        :func:`explain_frame` output.
    account_id : str
    top : int
        Reasons to list.
    verbose : bool
        Add each reason's push in model units (log-odds) as a last cell.

    Returns
    -------
    list of (cells, toward_fake)
        Cells: rank, sentence without its strength suffix, strength and direction in
        words (and the push with ``verbose``).
    """
    mine = shown_reasons(reasons, account_id, top)
    out = []
    for k, r in enumerate(mine.itertuples(), start=1):
        c = float(r.contribution)
        words = _direction_word(c)
        text = str(r.sentence).removesuffix(_suffix(c))
        cells = [str(k), text, words, *([f"{c:+.3f}"] if verbose else [])]
        out.append((cells, c > 0))
    return out


def check_additivity(model: FakeModel, X: pd.DataFrame, atol: float = 1e-6) -> float:
    """Largest gap between ``base + sum(contributions)`` and the raw margin (for tests)."""
    contrib, base = model.contributions(X)
    return float(np.max(np.abs(contrib.sum(axis=1) + base - model.margin(X))))


def not_assessed_lines(reasons: pd.DataFrame, account_id: str,
                       evidence: Mapping[str, object] | None = None) -> list[str]:
    """What could not be assessed for one account, in plain words, with the data that
    would assess it.

    Parameters
    ----------
    reasons : pandas.DataFrame
        :func:`explain_frame` output with every feature (``all_reasons``).
    account_id : str
    evidence : mapping, optional
        The account's evidence (:func:`fakedetect.evidence.headline_evidence` row or the
        matching columns of the scores, with ``coverage`` when known): a follower spike
        seen in a history too short for the growth signals is stated, as seen but not
        scored.

    Returns
    -------
    list of str
        One line per missing kind of data; empty when everything was assessed.
    """
    mine = reasons[reasons["account_id"].astype(str) == str(account_id)]
    values = dict(zip(mine["feature"].astype(str), mine["value"].astype(float),
                      strict=True))
    coverage = evidence.get("coverage") if evidence is not None else None
    return [f"{head}: {detail}" for head, detail in not_assessed_items(
        values, evidence, coverage if isinstance(coverage, str) else None)]


def not_assessed_items(values: Mapping[str, float],
                       evidence: Mapping[str, object] | None = None,
                       coverage: str | None = None) -> list[tuple[str, str]]:
    """What could not be assessed for one account, as (heading, detail) pairs: the lines
    of :func:`not_assessed_lines`, for pages that set the heading apart.

    Parameters
    ----------
    values : mapping
        Every feature of the account -> its value (NaN: not computed).
    evidence : mapping, optional
        The account's headline evidence (see :func:`not_assessed_lines`).
    coverage : str, optional
        The account's ``coverage`` (the tables it has enough data in), which lets the
        needs say what is missing rather than which table.

    Returns
    -------
    list of (str, str)
    """
    from fakedetect.features.registry import MIN_HISTORY_DAYS

    # amount-of-data features (history length, sample size) are not signals
    gone = [str(f) for f, v in values.items() if v != v and not _is_context(str(f))]
    items: list[tuple[str, str]] = []
    days = float(values.get("snapshots__history_length_days", float("nan")))
    growth = [f for f in gone if f.startswith("snapshots__")]
    if days == days and days < MIN_HISTORY_DAYS and growth:
        items.append(("Follower history too short",
                      f"it covers {days:,.0f} day(s); the growth signals need at least "
                      f"{MIN_HISTORY_DAYS} days of daily snapshots (collect the account for "
                      f"{MIN_HISTORY_DAYS - days:,.0f} more day(s) with fakedetect "
                      "collect)."))
        if evidence:
            from fakedetect.evidence import spike_sentence

            spike = spike_sentence(evidence)
            if spike and not spike.startswith("No day"):
                items.append(("Seen in the history but not scored",
                              f"{spike}; the model did not weigh it, check it by hand."))
        gone = [f for f in gone if f not in growth]
    items += [(f"Needs {need}", f"{'; '.join(labels)}.")
              for need, labels in missing_by_need(gone, coverage).items()]
    return items


def _table_needs() -> dict[str, str]:
    """Each optional table with the least an account needs of it, in words."""
    from fakedetect.features.registry import (
        MIN_AUDIENCE,
        MIN_COMMENTS,
        MIN_HISTORY_DAYS,
        MIN_POSTS,
    )

    return {"snapshots": f"snapshots (daily follower counts over at least "
                         f"{MIN_HISTORY_DAYS} days)",
            "posts": f"posts (at least {MIN_POSTS} with like counts)",
            "comments": f"comments (at least {MIN_COMMENTS} on the account's posts)",
            "audience": f"an audience sample (at least {MIN_AUDIENCE} followers)"}


def _needs_beyond_tables() -> dict[str, tuple[str, str | None]]:
    """What a signal needs beyond its tables, for the signals that can be missing while
    the account has enough of every table they read: (when those tables are covered,
    when their coverage is unknown; ``None``: then the tables' own needs)."""
    from fakedetect.features.registry import LAST_POSTS, MIN_HISTORY_DAYS, MIN_POSTS

    trend = (f"posts published during a follower history of at least {MIN_HISTORY_DAYS} "
             f"days (at least {MIN_POSTS} with like counts inside it)")
    with_posts = ("posts published during the follower history, on days when the follower "
                  "count changed")
    gains = "follower gains in the history (the follower count never rose)"
    created = "the account's creation date (created_at in the accounts table)"
    return {
        f"posts__views_per_like__last_{LAST_POSTS}": (
            f"view counts on the posts (fewer than {MIN_POSTS} of the last {LAST_POSTS} "
            "posts report views)",
            f"posts that report views (at least {MIN_POSTS} of the last {LAST_POSTS})"),
        "posts__engagement_follower_trend__per_30_days": (trend, trend),
        "snapshots__gain_engagement_corr__lag_1": (with_posts, None),
        "snapshots__excess_growth_on_post_days__lag_1": (with_posts, None),
        "snapshots__growth_concentration__top_pct_1": (gains, None),
        "snapshots__growth_concentration__top_pct_5": (gains, None),
        "snapshots__purge_after_jump__days_30": (
            "a follower gain above the usual daily change, with days of history after it",
            None),
        "accounts__account_age_days": (created, created),
    }


def missing_by_need(features: list[str], coverage: str | None = None
                    ) -> dict[str, list[str]]:
    """Signals that were not computed, grouped by the data that would compute them.

    Parameters
    ----------
    features : list of str
        Feature names whose value is missing.
    coverage : str, optional
        The account's ``coverage`` from the scores (``"accounts,snapshots,posts"``: the
        tables it has enough rows of). With it, a signal missing although its tables are
        covered names what is actually missing (view counts on the posts, posts inside
        the follower history); without it, the need is worded to cover both cases.

    Returns
    -------
    dict
        What is needed, in words (e.g. ``"posts (at least 3 with like counts)"``) -> the
        signals' labels.
    """
    from fakedetect.drift import feature_label
    from fakedetect.features import get_feature

    covered = ({t.strip() for t in coverage.split(",") if t.strip()}
               if coverage is not None else None)
    table_needs, beyond = _table_needs(), _needs_beyond_tables()
    by_need: dict[str, list[str]] = {}
    for f in features:
        try:
            tables = get_feature(f).tables
        except KeyError:
            tables = ()
        optional = [t for t in tables if t != "accounts"]
        has_all = covered is not None and all(t in covered for t in optional)
        own = beyond.get(f, ("", None))
        if has_all and own[0]:
            need = own[0]
        elif covered is None and own[1]:
            need = own[1]
        elif tables == ("accounts",):
            need = "columns of the accounts table"
        elif has_all:
            need = ("other values in the " + " and ".join(optional)
                    + " supplied (they are empty or constant for this account)")
        elif optional:
            missing = [t for t in optional if covered is None or t not in covered]
            need = " and ".join(table_needs.get(t, t) for t in missing)
        else:
            need = "more data"
        label = feature_label(f)
        if tables == ("accounts",) and f in PROFILE_SOURCES:
            col, alt = PROFILE_SOURCES[f]
            label += f" ({col}" + (f", or {alt} in the posts table" if alt else "") + ")"
        by_need.setdefault(need, []).append(label)
    return by_need


#: The accounts column behind each profile feature that can be missing, and the posts
#: column it can come from instead (``None``: imported only), for the not-assessed lines.
PROFILE_SOURCES: dict[str, tuple[str, str | None]] = {
    "accounts__bio_length": ("bio_length", None),
    "accounts__has_profile_pic": ("has_profile_pic", None),
    "accounts__is_private": ("is_private", None),
    "accounts__is_verified": ("is_verified", None),
    "accounts__external_url": ("external_url", None),
    "accounts__like_rate_pct": ("like_rate_pct", "likes"),
    "accounts__comment_rate_pct": ("comment_rate_pct", "comments"),
    "accounts__avg_caption_length": ("avg_caption_length", "caption_length"),
    "accounts__share_empty_captions": ("share_empty_captions", "caption_length"),
    "accounts__share_non_image_posts": ("share_non_image_posts", None),
    "accounts__share_location_tagged": ("share_location_tagged", "has_location"),
    "accounts__avg_hashtags": ("avg_hashtags", "hashtags"),
    "accounts__promo_keywords": ("promo_keywords", None),
    "accounts__follower_hunt_keywords": ("follower_hunt_keywords", None),
    "accounts__post_similarity": ("post_similarity", None),
    "accounts__post_interval_hours": ("post_interval_hours", "posted_at"),
    "accounts__username_length": ("username", None),
    "accounts__username_digits": ("username", None),
}
