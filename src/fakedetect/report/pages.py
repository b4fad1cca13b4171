"""The review report: an index page ranking accounts by risk and one page per account.

Every page is one self-contained HTML file: inline CSS, inline SVG charts, inline
JavaScript on the index only, and a Content-Security-Policy that forbids fetching
anything, so a report opens offline and cannot call home. Everything that came from data
is HTML-escaped.

Per-account tables are sliced once, by the shared ``account_id`` category codes, into
contiguous runs (see :class:`_Slices`), so writing thousands of pages never filters a
table per account.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from fakedetect.drift import feature_label, plural
from fakedetect.errors import UserError
from fakedetect.evidence import percent, score_text
from fakedetect.features.audience import MASS_FOLLOWING
from fakedetect.io import write_text
from fakedetect.report import assets, charts

if TYPE_CHECKING:
    from collections.abc import Callable

    import pandas as pd

    from fakedetect.validate import Dataset

#: Rows of the index table rendered server-side (for readers without JavaScript).
STATIC_ROWS = 100
#: Said wherever a rate comes from a model trained on simulated accounts.
_SIM_NOTE = (" (simulated accounts: on real accounts the share can differ until the model "
             "is calibrated on labelled accounts of your market)")
#: Features drawn individually in the SHAP waterfall; the rest are summed in one row.
WATERFALL_FEATURES = 10
#: Reasons listed with contribution bars at the top of an account page.
TOP_REASONS = 5
#: Suspicious days listed in the table under the history chart.
SUSPICIOUS_DAYS_LISTED = 12

VERDICTS = ("likely fake", "review", "authentic")
_VERDICT_CLASS = {"likely fake": "v-fake", "review": "v-review", "authentic": "v-authentic"}
_SCORE_TEXT = ("account_id", "status", "status_reason", "verdict", "audience_method",
               "coverage", "model_name", "model_version", "niche", "reason_1", "reason_2",
               "reason_3", "outside_training", "spike_date")
_SCORE_NUMBERS = ("authenticity_score", "fake_probability", "fake_probability_low",
                  "fake_probability_high", "fake_follower_share",
                  "fake_follower_share_low", "fake_follower_share_high",
                  "audience_sample_size", "followers", "spike_followers", "spike_vs_usual",
                  "engagement_rate", "engagement_benchmark")
_REQUIRED_SCORES = ("account_id", "status", "fake_probability")
_PLAIN = re.compile(r"[a-z0-9_][a-z0-9._-]{0,79}")
_RESERVED = frozenset({"con", "prn", "aux", "nul", "index"} | {f"com{i}" for i in range(10)}
                      | {f"lpt{i}" for i in range(10)})
_TABLES = ("snapshots", "posts", "comments", "audience")


# ------------------------------------------------------------------------- file names


def safe_filename(account_id: str) -> str:
    """A file name for an account's page, safe on every file system and in a URL.

    Ids made of lower-case letters, digits, ``.``, ``_`` and ``-`` (no ``--``, at most 80
    characters, not a reserved device name) keep their name; any other id becomes a
    lower-case slug plus ``--`` and a hash of the id, so two ids never share a file,
    even on a case-insensitive file system.

    Parameters
    ----------
    account_id : str

    Returns
    -------
    str
        ``<name>.html``.
    """
    text = str(account_id)
    if _PLAIN.fullmatch(text) and "--" not in text and text.split(".")[0] not in _RESERVED:
        return f"{text}.html"
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "account"
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{slug}--{digest}.html"


# ---------------------------------------------------------------------------- formats


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def _finite(x: object) -> bool:
    return isinstance(x, int | float | np.floating | np.integer) and math.isfinite(float(x))


def _pct(x: float, digits: int | None = 0) -> str:
    """A fraction as a percentage, HTML-escaped; ``>99%``/``<1%`` at the ends (never a
    rounded certainty)."""
    return escape(percent(x, digits)) if _finite(x) else "—"


def _int(x: float) -> str:
    return f"{x:,.0f}" if _finite(x) else "—"


def _value(x: float) -> str:
    if not _finite(x):
        return "missing"
    x = float(x)
    if x.is_integer() and abs(x) < 1e15:
        return f"{x:,.0f}"
    return f"{x:,.3g}" if abs(x) >= 1 else f"{x:.3g}"


def _day(day: float) -> str:
    return str(np.datetime64(math.floor(day), "D")) if _finite(day) else "—"


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x > -700 else 0.0


def _chart(draw: Callable[[float], str]) -> str:
    """A chart drawn twice, for a page and for a phone (``draw(width)`` returns the SVG at
    that view box width); the stylesheet shows one of the two, so chart text keeps a
    readable size on any screen."""
    return f'<div class="chart-wrap">{draw(charts.WIDTH)}{draw(charts.NARROW)}</div>'


def _badge(status: str, verdict: str, big: bool = False) -> str:
    size = " big" if big else ""
    if status != "scored":
        return f'<span class="badge v-none{size}">not scored</span>'
    cls = _VERDICT_CLASS.get(verdict, "v-other")
    return f'<span class="badge {cls}{size}">{_e(verdict or "no verdict")}</span>'


def _page(title: str, body: str, script: str = "") -> str:
    js = f"<script>{script}</script>" if script else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{assets.CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="robots" content="noindex, nofollow">'
        f"<title>{_e(title)}</title><style>{assets.CSS}</style></head>"
        f"<body><main>{body}</main>{js}</body></html>\n"
    )


# ----------------------------------------------------------------------------- inputs


def _features_api() -> tuple[object, object, float]:
    """``expected_engagement_rate``, ``robust_jump_scores`` and ``SUSPICIOUS_Z``.

    Imported when a page is drawn, not with this module: the features package pulls in
    scikit-learn.
    """
    from fakedetect.features import SUSPICIOUS_Z, expected_engagement_rate, robust_jump_scores

    return expected_engagement_rate, robust_jump_scores, float(SUSPICIOUS_Z)


def normalise_scores(scores: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    missing = [c for c in _REQUIRED_SCORES if c not in scores.columns]
    if missing:
        raise ValueError(f"scores lack the column(s) {', '.join(missing)}; expected the "
                         "frame fakedetect predict returns")
    out = pd.DataFrame(index=pd.RangeIndex(len(scores)))
    for col in _SCORE_TEXT:
        if col in scores:
            s = scores[col].astype("object").to_numpy()
            out[col] = ["" if v is None or (isinstance(v, float) and math.isnan(v))
                        or v is pd.NA else str(v) for v in s]
        else:
            out[col] = ""
    for col in _SCORE_NUMBERS:
        out[col] = (pd.to_numeric(scores[col], errors="coerce").astype("float64").to_numpy()
                    if col in scores else np.nan)
    out = out.astype({c: object for c in _SCORE_TEXT})
    return out


def rank_order(scores: pd.DataFrame) -> np.ndarray:
    """Row order of highest risk first; accounts not scored last, then by id."""
    prob = scores["fake_probability"].to_numpy(dtype=float)
    scored = (scores["status"].to_numpy(dtype=object) == "scored") & np.isfinite(prob)
    key = np.where(scored, -np.nan_to_num(prob, nan=0.0), 1.0)
    ids = scores["account_id"].to_numpy(dtype=object).astype(str)
    return np.lexsort((ids, key))


class _Slices:
    """Rows of one table grouped by account: each account's rows are one contiguous run.

    Parameters
    ----------
    codes : numpy.ndarray
        Account code of each row (-1 for an unknown account).
    n_accounts : int
        Number of account codes.
    columns : dict
        Column name to a numpy array aligned with ``codes``.
    """

    def __init__(self, codes: np.ndarray, n_accounts: int,
                 columns: dict[str, np.ndarray]) -> None:
        codes = np.asarray(codes, dtype=np.int64)
        if codes.size > 1 and bool((np.diff(codes) < 0).any()):
            order = np.argsort(codes, kind="stable")
            codes = codes[order]
            columns = {k: v[order] for k, v in columns.items()}
        self.columns = columns
        self.bounds = np.searchsorted(codes, np.arange(n_accounts + 1), side="left")

    def get(self, code: int) -> dict[str, np.ndarray]:
        """The rows of account ``code`` (empty arrays when it has none)."""
        if code < 0:
            a = b = 0
        else:
            a, b = int(self.bounds[code]), int(self.bounds[code + 1])
        return {k: v[a:b] for k, v in self.columns.items()}


def _float(frame: pd.DataFrame, col: str) -> np.ndarray:
    import pandas as pd

    if col not in frame:
        return np.full(len(frame), np.nan)
    s = frame[col]
    if pd.api.types.is_bool_dtype(s.dtype):
        s = s.astype("Float64")
    return pd.to_numeric(s, errors="coerce").astype("float64").to_numpy(na_value=np.nan)


def _days(frame: pd.DataFrame, col: str) -> np.ndarray:
    import pandas as pd

    if col not in frame:
        return np.full(len(frame), np.nan)
    ts = pd.to_datetime(frame[col], utc=True, errors="coerce")
    return ((ts - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(days=1)).to_numpy(
        dtype=float, na_value=np.nan)


def _codes(frame: pd.DataFrame, ids: pd.Index) -> np.ndarray:
    import pandas as pd

    col = frame["account_id"]
    if isinstance(col.dtype, pd.CategoricalDtype) and col.cat.categories.equals(ids):
        return col.cat.codes.to_numpy(dtype=np.int64)
    return ids.get_indexer(col.astype("string").to_numpy(dtype=object, na_value=None))


@dataclass
class _Context:
    """Everything the pages need, indexed once for fast per-account lookups."""

    scores: pd.DataFrame
    model: Mapping[str, object]
    dataset: Dataset
    ids: pd.Index
    position: dict[str, int]
    columns: dict[str, np.ndarray]
    code_of: dict[str, int]
    reasons: dict[str, np.ndarray]
    reason_rows: dict[str, np.ndarray]
    tables: dict[str, _Slices | None] = field(default_factory=dict)
    accounts: dict[str, np.ndarray] = field(default_factory=dict)
    account_row: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    evidence: pd.DataFrame | None = None

    def evidence_of(self, account_id: str) -> dict[str, object]:
        """The account's headline evidence (:mod:`fakedetect.evidence`), empty if none."""
        ev = self.evidence
        if ev is None:
            return {}
        pos = ev.index.get_indexer([account_id])[0]
        return ev.iloc[pos].to_dict() if pos >= 0 else {}


def _context(scores: pd.DataFrame, reasons: pd.DataFrame, dataset: Dataset,
             model: Mapping[str, object]) -> _Context:
    import pandas as pd

    sc = normalise_scores(scores)
    position = {str(a): i for i, a in enumerate(sc["account_id"].tolist())}
    accounts = dataset.accounts
    if isinstance(accounts["account_id"].dtype, pd.CategoricalDtype):
        ids = pd.Index(accounts["account_id"].cat.categories.astype(str))
    else:
        ids = pd.Index(sorted(accounts["account_id"].astype(str).unique()))
    n = len(ids)
    acc_codes = _codes(accounts, ids)
    account_row = np.full(n, -1, dtype=np.int64)
    ok = acc_codes >= 0
    account_row[acc_codes[ok]] = np.flatnonzero(ok)
    acc_cols = {"username": accounts["username"].astype("string").fillna("").to_numpy(
        dtype=object) if "username" in accounts else np.full(len(accounts), "", dtype=object)}
    for col in ("followers", "following", "posts"):
        acc_cols[col] = _float(accounts, col)
    tables: dict[str, _Slices | None] = {}
    for name in _TABLES:
        frame = dataset.get(name)
        if frame is None:
            tables[name] = None
            continue
        codes = _codes(frame, ids)
        if name == "snapshots":
            cols = {"day": _days(frame, "date"), "followers": _float(frame, "followers"),
                    "following": _float(frame, "following")}
        elif name == "posts":
            cols = {"day": _days(frame, "posted_at"), "likes": _float(frame, "likes"),
                    "comments": _float(frame, "comments")}
        elif name == "comments":
            cols = {"post_id": frame["post_id"].astype("string").to_numpy(
                dtype=object, na_value="")}
        else:
            cols = {c: _float(frame, c) for c in ("followers", "following", "posts",
                                                   "has_profile_pic", "is_private")}
        tables[name] = _Slices(codes, n, cols)
    rcols: dict[str, np.ndarray] = {}
    groups: dict[str, np.ndarray] = {}
    if len(reasons):
        rid = reasons["account_id"].astype("string").to_numpy(dtype=object, na_value="")
        codes_r, uniques = pd.factorize(rid)
        order = np.argsort(codes_r, kind="stable")
        bounds = np.searchsorted(codes_r[order], np.arange(len(uniques) + 1))
        groups = {str(u): order[bounds[k]:bounds[k + 1]] for k, u in enumerate(uniques)}
        for col in ("feature", "description", "sentence"):
            rcols[col] = (reasons[col].astype("string").fillna("").to_numpy(dtype=object)
                          if col in reasons else np.full(len(reasons), "", dtype=object))
        for col in ("value", "contribution", "base_value", "rank", "lean"):
            rcols[col] = _float(reasons, col)
    from fakedetect.evidence import headline_evidence

    shares = sc.drop_duplicates("account_id").set_index("account_id")
    evidence = headline_evidence(dataset, shares)
    return _Context(scores=sc, model=model, dataset=dataset, ids=ids, position=position,
                    columns={c: sc[c].to_numpy() for c in sc.columns},
                    code_of={str(a): k for k, a in enumerate(ids.tolist())},
                    reasons=rcols, reason_rows=groups, tables=tables, accounts=acc_cols,
                    account_row=account_row, evidence=evidence)


# ------------------------------------------------------------------------ account page


@dataclass
class _Account:
    """One account's row of the scores and its slices of every table."""

    account_id: str
    code: int
    row: dict[str, object]
    username: str
    tables: dict[str, dict[str, np.ndarray] | None]
    reasons: dict[str, np.ndarray]
    simulated: bool = False

    @property
    def scored(self) -> bool:
        return self.row["status"] == "scored"


def _account(ctx: _Context, account_id: str) -> _Account:
    pos = ctx.position.get(account_id)
    if pos is None:
        raise UserError(f"account {account_id!r} is not in the scores",
                        hint="check the account id; `fakedetect predict` lists the scored "
                             "accounts")
    row = {c: v[pos] for c, v in ctx.columns.items()}
    code = ctx.code_of.get(account_id, -1)
    tables = {name: (None if sl is None else sl.get(code)) for name, sl in ctx.tables.items()}
    username = ""
    if code >= 0 and ctx.account_row[code] >= 0:
        username = str(ctx.accounts["username"][ctx.account_row[code]])
        if not _finite(row["followers"]):
            row["followers"] = float(ctx.accounts["followers"][ctx.account_row[code]])
    rows = ctx.reason_rows.get(account_id)
    reasons = ({k: v[rows] for k, v in ctx.reasons.items()} if rows is not None
               else {})
    if reasons:
        order = np.lexsort((-np.abs(np.nan_to_num(reasons["contribution"])),
                            np.nan_to_num(reasons["rank"], nan=np.inf)))
        reasons = {k: v[order] for k, v in reasons.items()}
    return _Account(account_id, code, row, username, tables, reasons,
                    is_simulated(ctx.model))


def _header(acc: _Account, index_href: str | None) -> str:
    r = acc.row
    nav = (f'<div class="nav"><a href="{_e(index_href)}">&larr; All accounts</a></div>'
           if index_href else "")
    name = f"@{acc.username}" if acc.username and acc.username != acc.account_id else ""
    title = (f"<h1>{_e(name)}<small>{_e(acc.account_id)}</small></h1>" if name
             else f"<h1>{_e(acc.account_id)}</h1>")
    stats = [_badge(str(r["status"]), str(r["verdict"]), big=True)]
    if acc.scored:
        stats.append(f'<div class="stat"><b>{_e(score_text(r["authenticity_score"]))}'
                     f'<span class="muted" style="font-size:.9rem">/100</span></b>'
                     f"<span>authenticity score</span></div>"
                     if _finite(r["authenticity_score"]) else "")
        band = (f' <span class="muted" style="font-size:.9rem">'
                f'({_range_words(r["fake_probability_low"], r["fake_probability_high"])})'
                "</span>" if _finite(r["fake_probability_low"])
                and _finite(r["fake_probability_high"]) else "")
        stats.append(f'<div class="stat" id="fake-probability"><b>'
                     f'{_pct(r["fake_probability"])}{band}</b>'
                     f"<span>fake probability</span></div>")
    stats.append(f'<div class="stat"><b>{_int(r["followers"])}</b><span>followers</span></div>')
    if r["niche"]:
        stats.append(f'<div class="stat"><b>{_e(r["niche"])}</b><span>niche</span></div>')
    if _finite(r["fake_follower_share"]):
        stats.append(f'<div class="stat"><b>{_pct(r["fake_follower_share"])}</b>'
                     f"<span>est. fake followers</span></div>")
    elif acc.scored:
        stats.append('<div class="stat"><b>—</b><span>fake followers not '
                     "assessed</span></div>")
    if acc.scored:
        lede = ("Calibrated: among evaluation accounts given about this fake probability, "
                f"about this share were fake{_SIM_NOTE if acc.simulated else ''}. Review the "
                "evidence below before deciding; a single signal is not proof.")
    else:
        reason = r["status_reason"] or "no reason given"
        lede = (f"This account could not be scored: {_e(reason)}. The data that was "
                "supplied is shown below.")
    outside = ""
    if acc.scored and r["outside_training"]:
        names = [n.strip() for n in str(r["outside_training"]).split(";") if n.strip()]
        outside = ('<p class="warn" id="outside-training"><b>Outside what the model has '
                   "seen.</b> This verdict rests on values beyond the range of every "
                   "account the model was trained on: "
                   f"{', '.join(_e(feature_label(n)) for n in names)}. The model cannot "
                   "know how such values behave; weigh this score with extra care.</p>")
    return (f"{nav}{title}<div class=\"headline\">{''.join(stats)}</div>"
            f'<p class="note">{lede}</p>{outside}')


def _warnings_section(model: Mapping[str, object]) -> str:
    """The batch's drift warnings (``model["warnings"]``) as a section, or nothing."""
    found = model.get("warnings")
    if not isinstance(found, list | tuple) or not found:
        return ""
    items = "".join(f"<li>{_e(w)}</li>" for w in found)
    return ('<section id="drift" class="warn"><h2>Compared with the training data</h2>'
            f"<ul>{items}</ul></section>")


def _reasons_section(acc: _Account) -> str:
    head = '<section id="reasons"><h2>Top reasons</h2>'
    if not acc.scored:
        return f'{head}<p class="missing">Not scored, so there are no reasons.</p></section>'
    rs = acc.reasons
    if not rs:
        items = [acc.row[f"reason_{k}"] for k in (1, 2, 3) if acc.row[f"reason_{k}"]]
        if not items:
            return f'{head}<p class="missing">No explanation supplied.</p></section>'
        lis = "".join(f"<li>{_e(s)}</li>" for s in items)
        return f"{head}<ol>{lis}</ol></section>"
    from fakedetect.explain import is_reason

    contrib = np.nan_to_num(rs["contribution"])
    shown = is_reason(rs["feature"], rs["value"])
    from fakedetect.explain import against_flags  # reasons that read with their push first

    against = against_flags(rs.get("lean"), contrib)
    ranks = np.asarray(rs["rank"], dtype=np.float64)
    strongest = sorted((k for k in range(len(contrib)) if contrib[k] != 0 and shown[k]),
                       key=lambda k: ranks[k])[:TOP_REASONS]
    # the strongest reasons; those that read against their push after the others
    top = sorted(strongest, key=lambda k: bool(against[k]))
    if not top:
        return f'{head}<p class="missing">No feature moved the score.</p></section>'
    from fakedetect.explain import strength

    scale = max(abs(float(contrib[k])) for k in top)
    lis = []
    for k in top:
        c = float(contrib[k])
        width = 100 * abs(c) / scale
        neg = f'<i style="width:{width:.1f}%"></i>' if c < 0 else ""
        pos = f'<i style="width:{width:.1f}%"></i>' if c > 0 else ""
        words = f"{strength(c)} push toward {'fake' if c > 0 else 'genuine'}"
        sentence = _plain_sentence(rs, k)
        lis.append(f'<li><span class="sentence" title="{_e(rs["description"][k])}">'
                   f'{_e(sentence)}</span>'
                   f'<span class="div-bar" aria-hidden="true"><span class="neg">{neg}</span>'
                   f'<span class="pos">{pos}</span></span>'
                   f'<span class="contrib" title="For data scientists: {c:+.3f} in model units '
                   f'(log-odds)">{words}</span></li>')
    from fakedetect.explain import verdict_basis_of

    basis = verdict_basis_of([str(f) for f in rs["feature"]],
                             np.asarray(rs["value"], dtype=float),
                             np.asarray(rs["contribution"], dtype=float))
    lede = f'<p class="note" id="verdict-basis">{_e(basis)}</p>' if basis else ""
    return (f"{head}{lede}<ul class=\"reasons\">{''.join(lis)}</ul>"
            '<p class="muted">Bars: how hard each signal pushes the score; blue to the left '
            "pushes toward genuine, red to the right toward fake.</p></section>")


def _plain_sentence(rs: Mapping[str, np.ndarray], k: int) -> str:
    """Reason ``k``'s sentence without its strength suffix (shown beside it)."""
    text = str(rs["sentence"][k] or rs["description"][k] or "")
    cut = text.rfind(" — ")
    if cut > 0 and text.endswith(("toward fake", "toward genuine")):
        text = text[:cut]
    if not text:
        from fakedetect.drift import feature_label

        text = feature_label(str(rs["feature"][k]))
    return text


def _history_section(acc: _Account, ev: Mapping[str, object] | None = None) -> str:
    head = '<section id="growth"><h2>Follower and following history</h2>'
    snaps = acc.tables.get("snapshots")
    if snaps is None:
        return (f'{head}<p class="missing">No snapshot history supplied: the dataset has no '
                "snapshots table, so growth could not be checked.</p></section>")
    days = snaps["day"]
    if days.size == 0:
        return (f'{head}<p class="missing">No snapshot history supplied for this account, '
                "so growth could not be checked.</p></section>")
    _, robust_jump_scores, threshold = _features_api()
    followers, following = snaps["followers"], snaps["following"]
    z = np.asarray(robust_jump_scores(followers), dtype=float)  # type: ignore[operator]
    suspicious = np.nan_to_num(z, nan=-np.inf) > threshold
    def chart(width: float) -> str:
        return charts.history_svg(days, followers, following, suspicious, z, threshold,
                                  width)

    first, last = float(followers[0]), float(followers[-1])
    n_sus = int(suspicious.sum())
    text = (f"{plural(days.size, 'snapshot')} from {_day(days[0])} to {_day(days[-1])}; "
            f"followers went from {_int(first)} to {_int(last)} ({last - first:+,.0f}). ")
    if n_sus:
        text += (f"{plural(n_sus, 'suspicious day')}, far above this account's usual daily "
                 "change.")
    else:
        text += "No day's follower change stands out from this account's usual change."
    table = ""
    if n_sus:
        idx = np.flatnonzero(suspicious)
        idx = idx[np.argsort(-z[idx], kind="stable")][:SUSPICIOUS_DAYS_LISTED]
        change = np.r_[np.nan, np.diff(followers)]
        usual = _usual_daily_change({**(ev or {}), **{k: v for k, v in acc.row.items()
                                                     if _finite(v)}}, change)
        rows = "".join(
            f'<tr><td>{_day(days[i])}</td><td class="num">{change[i]:+,.0f}</td>'
            f'<td class="num" title="above the usual daily change by {z[i]:.1f}x the usual '
            f'day-to-day swing (robust z-score {z[i]:.2f})">'
            f"{_times(change[i] / usual) if change[i] > 0 else '—'}</td></tr>"
            for i in idx.tolist())
        more = (f"<p class=\"muted\">Largest {SUSPICIOUS_DAYS_LISTED} of {n_sus} shown.</p>"
                if n_sus > SUSPICIOUS_DAYS_LISTED else "")
        table = ("<details><summary>Suspicious days</summary><table><thead><tr><th>day</th>"
                 '<th class="num">follower change</th><th class="num">vs usual daily change'
                 f"</th></tr></thead><tbody>{rows}</tbody></table>{more}"
                 '<p class="muted">vs usual daily change: the day\'s gain divided by this '
                 f"account's usual daily change (about {_int(usual)} followers), as in the "
                 "reasons and the index. A day is suspicious when its change exceeds the "
                 f"usual one by more than {threshold:g}x the usual day-to-day swing (hover a "
                 "multiple for it).</p></details>")
    return f"{head}<p>{text}</p>{_chart(chart)}{table}</section>"


def _usual_daily_change(row: Mapping[str, object], change: np.ndarray) -> float:
    """The account's usual daily follower change, as its reasons and the index use it:
    the headline spike over its multiple, else the median size of the daily changes
    (at least one follower)."""
    gain, ratio = row.get("spike_followers"), row.get("spike_vs_usual")
    if _finite(gain) and _finite(ratio) and float(ratio) > 0:  # type: ignore[arg-type]
        return max(float(gain) / float(ratio), 1.0)  # type: ignore[arg-type]
    sizes = np.abs(change[np.isfinite(change)])
    return max(float(np.median(sizes)), 1.0) if sizes.size else 1.0


def _range_words(lo: float, hi: float) -> str:
    """An interval of probabilities in words: ``20% to 35%``, ``98% to over 99%``,
    ``under 1% to 3%``."""
    def end(x: float) -> str:
        text = _pct(x)
        return (f"over {text[4:]}" if text.startswith("&gt;")
                else f"under {text[4:]}" if text.startswith("&lt;") else text)

    return f"{end(lo)} to {end(hi)}"


def _times(x: float) -> str:
    """A multiple in the words of the reasons: ``41x``, ``7.5x``."""
    return "—" if not _finite(x) else f"{x:,.0f}x" if abs(x) >= 10 else f"{x:.1f}x"


def _followers_at(acc: _Account, days: np.ndarray) -> np.ndarray:
    """Followers on each day: the latest snapshot on or before it, else the profile."""
    snaps = acc.tables.get("snapshots")
    if snaps is not None and snaps["day"].size:
        sd, sf = snaps["day"], snaps["followers"]
        k = np.clip(np.searchsorted(sd, days, side="right") - 1, 0, sd.size - 1)
        return sf[k]
    return np.full(days.shape, float(acc.row["followers"]) if _finite(acc.row["followers"])
                   else np.nan)


def _engagement_section(acc: _Account) -> str:
    head = '<section id="engagement"><h2>Engagement per post</h2>'
    posts = acc.tables.get("posts")
    if posts is None:
        return (f'{head}<p class="missing">No posts supplied: the dataset has no posts table, '
                "so engagement could not be compared with the benchmark.</p></section>")
    days = posts["day"]
    if days.size == 0:
        return (f'{head}<p class="missing">No posts supplied for this account, so engagement '
                "could not be compared with the benchmark.</p></section>")
    expected_engagement_rate, _, _ = _features_api()
    followers = _followers_at(acc, days)
    interactions = posts["likes"] + np.nan_to_num(posts["comments"])
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(followers > 0, interactions / followers, np.nan)
    med, low, high = (np.asarray(a, dtype=float) for a in
                      expected_engagement_rate(followers))  # type: ignore[operator]
    snaps = acc.tables.get("snapshots")
    span = ((float(np.nanmin(snaps["day"])), float(np.nanmax(snaps["day"])))
            if snaps is not None and np.isfinite(snaps["day"]).any() else None)
    def chart(width: float) -> str:
        return charts.engagement_svg(days, rate, low, med, high, span, width)

    current = acc.row["followers"] if _finite(acc.row["followers"]) else followers[-1]
    b_med, b_low, b_high = (float(np.asarray(a, dtype=float).ravel()[0]) for a in
                            expected_engagement_rate(np.array([current], dtype=float)))  # type: ignore[operator]
    finite = rate[np.isfinite(rate)]
    if finite.size:
        m = float(np.median(finite))
        where = ("below" if m < b_low else "above" if m > b_high else "within")
        text = (f"Median engagement {_pct(m, 2)} per post over {plural(finite.size, 'post')}; the "
                f"benchmark band for an account with {_int(current)} followers is "
                f"{_pct(b_low, 2)}–{_pct(b_high, 2)} (median {_pct(b_med, 2)}), so this "
                f"account is <b>{where}</b> the band.")
    else:
        text = (f"{plural(days.size, 'post')}, but no engagement rate could be computed (likes "
                "hidden or no follower count).")
    return (f"{head}<p>{text}</p>{_chart(chart)}<p class=\"muted\">Engagement rate = (likes + "
            "comments) / followers on the day of the post (comments counted as 0 where "
            "hidden). Far below the band can mean inflated followers; far above it can mean "
            "bought likes or an engagement pod, or simply a viral post. A triangle on the "
            "top edge is a post above the chart's range; its tooltip gives its rate.</p>"
            "</section>")


def _audience_section(acc: _Account) -> str:
    from fakedetect.features.audience import METHOD_TEXT, bound_note

    head = '<section id="audience"><h2>Audience</h2>'
    r = acc.row
    aud = acc.tables.get("audience")
    n = 0 if aud is None else int(aud["followers"].size)
    share = float(r["fake_follower_share"])
    if n == 0 and not _finite(share):
        where = "the dataset has no audience table" if aud is None else "none for this account"
        return (f'{head}<p class="missing">No audience sample supplied ({where}), so the '
                "fake-follower share could not be estimated.</p></section>")
    method = METHOD_TEXT.get(str(r["audience_method"]), "")
    size = r["audience_sample_size"] if _finite(r["audience_sample_size"]) else n
    parts = []
    bars = []
    if _finite(share):
        lo, hi = float(r["fake_follower_share_low"]), float(r["fake_follower_share_high"])
        # the share as the reasons word it (evidence.percent: one decimal below 10%)
        interval = (f" (95% interval {_pct(lo, None)}–{_pct(hi, None)})"
                    if _finite(lo) and _finite(hi) else "")
        parts.append(f"Estimated fake followers: <b>{_pct(share, None)}</b>{interval}, from a "
                     f"sample of {_int(size)} followers{', ' + method if method else ''}.")
        note = bound_note(share, str(r["audience_method"]))
        if note:
            parts.append(note)
        bars.append(charts.ShareBar("Estimated fake followers", share, lo, hi,
                                    f"of {_int(size)}", highlight=True))
    if n:
        def share_of(values: np.ndarray, label: str, test: np.ndarray) -> None:
            known = np.isfinite(values)
            k = int(known.sum())
            value = float(test[known].mean()) if k else float("nan")
            bars.append(charts.ShareBar(label, value, note=f"of {k:,}" if k else ""))

        pic = aud["has_profile_pic"]
        share_of(pic, "No profile picture", pic == 0)
        fol = aud["following"]
        share_of(fol, f"Mass-followers (following > {MASS_FOLLOWING:,})", fol > MASS_FOLLOWING)
        priv = aud["is_private"]
        share_of(priv, "Private accounts", priv == 1)
        po = aud["posts"]
        share_of(po, "No posts", po == 0)
    else:
        parts.append("The sampled followers themselves were not supplied, so their "
                     "breakdown cannot be shown.")
    return (f"{head}<p>{' '.join(parts)}</p>"
            f"{_chart(lambda width: charts.shares_svg(bars, width))}"
            "<p class=\"muted\">Shares among the sampled followers. Mass-followers: sampled "
            f"followers following more than {MASS_FOLLOWING:,} accounts, common among bought "
            "and bot accounts. The interval reflects the sample size: a small sample gives a "
            "wide interval.</p></section>")


def _waterfall_section(acc: _Account) -> str:
    head = '<section id="shap"><h2>How the signals add up</h2>'
    rs = acc.reasons
    if not acc.scored or not rs:
        what = "Not scored" if not acc.scored else "No explanation supplied"
        return f'{head}<p class="missing">{what}, so there is no waterfall.</p></section>'
    from fakedetect.explain import is_reason

    contrib = np.nan_to_num(rs["contribution"])
    base = float(np.nan_to_num(rs["base_value"][0]))
    ok = is_reason(rs["feature"], rs["value"])
    computed = np.flatnonzero(ok)
    shown = computed[:WATERFALL_FEATURES].tolist()
    labels = [_plain_sentence(rs, i) for i in shown]
    steps = contrib[shown].tolist()
    rest = computed[WATERFALL_FEATURES:]
    if rest.size:
        labels.append(f"The other {rest.size} computed signals, together" if rest.size > 1
                      else "1 other computed signal")
        steps.append(float(contrib[rest].sum()))
    other = np.flatnonzero(~ok)
    if other.size:
        missing = int(np.isnan(np.asarray(rs["value"], dtype=float)[other]).sum())
        amount = other.size - missing
        parts = ([f"{missing} signal{'s' if missing != 1 else ''} not assessed (no data)"]
                 if missing else [])
        if amount:
            parts.append(f"{amount} signal{'s' if amount != 1 else ''} on how much data "
                         "there is")
        labels.append(" and ".join(parts) + (", together" if other.size > 1 else ""))
        steps.append(float(contrib[other].sum()))

    def chart(width: float) -> str:
        return charts.waterfall_svg(base, labels, steps, None, "", width=width)

    final = base + float(contrib.sum())
    prob = acc.row["fake_probability"]
    text = (f"The model starts from the average account (a fake probability of "
            f"{_pct(_sigmoid(base))}); each signal below moves it toward fake (red) or "
            f"genuine (blue), ending at <b>{_pct(_sigmoid(final))}</b>.")
    if _finite(prob) and abs(_sigmoid(final) - float(prob)) >= 0.005:
        text += (f" After calibration against known accounts the fake probability is "
                 f"{_pct(prob)}.")
    note = ("Each bar's word says how hard it pushes (strong, moderate, slight). The scale "
            "is stretched toward 0% and 100%, where a push of the same strength moves the "
            "probability less.")
    if other.size:
        note += (" The last bar gathers the signals that could not be computed and those "
                 "that only measure how much data there is: the model's arithmetic counts "
                 "them, but they are not evidence about the account"
                 f"{' (see Not assessed below)' if missing else ''}.")
    return (f'{head}<p>{text}</p>{_chart(chart)}<p class="muted">{note}</p></section>')


def _coverage_section(ctx: _Context, acc: _Account) -> str:
    rows = []

    def add(name: str, ok: bool, text: str) -> None:
        mark = "&#10003;" if ok else "&#10007;"
        rows.append(f"<tr><th>{name}</th><td>{mark} {text}</td></tr>")

    known = acc.code >= 0
    add("profile (accounts table)", known,
        "present" if known else "this account is not in the dataset")
    snaps = acc.tables.get("snapshots")
    if snaps is None:
        add("snapshots", False, "no snapshot history supplied (no snapshots table)")
    elif snaps["day"].size == 0:
        add("snapshots", False, "no snapshot history supplied for this account")
    else:
        d = snaps["day"]
        add("snapshots", True, f"{plural(d.size, 'day')}, {_day(d[0])} to {_day(d[-1])}")
    posts = acc.tables.get("posts")
    if posts is None:
        add("posts", False, "no posts supplied (no posts table)")
    elif posts["day"].size == 0:
        add("posts", False, "no posts supplied for this account")
    else:
        d = posts["day"]
        add("posts", True,
            f"{plural(d.size, 'post')}, {_day(np.nanmin(d))} to {_day(np.nanmax(d))}")
    com = acc.tables.get("comments")
    if com is None:
        add("comments", False, "no comments supplied (no comments table)")
    elif com["post_id"].size == 0:
        add("comments", False, "no comments supplied for this account")
    else:
        add("comments", True, f"{plural(com['post_id'].size, 'comment')} on "
                              f"{plural(len(set(com['post_id'].tolist())), 'post')}")
    aud = acc.tables.get("audience")
    if aud is None:
        add("audience", False, "no audience sample supplied (no audience table)")
    elif aud["followers"].size == 0:
        add("audience", False, "no audience sample supplied for this account")
    else:
        add("audience", True, plural(aud['followers'].size, 'sampled follower'))
    used = acc.row["coverage"]
    signals = (f"<p>Tables the score used: <b>{_e(used.replace(',', ', '))}</b>.</p>"
               if used else "")
    return (f'<section id="coverage"><h2>Data coverage</h2>{signals}'
            f'<table class="kv"><tbody>{"".join(rows)}</tbody></table>'
            f"{_not_assessed(ctx, acc)}</section>")


def _not_assessed(ctx: _Context, acc: _Account) -> str:
    """The signals that could not be computed for the account, and the data they need;
    a history too short for the growth signals is said so, with the evidence that was
    found in it all the same (a follower spike is shown, not scored)."""
    from fakedetect.explain import not_assessed_items

    rs = acc.reasons
    if not acc.scored or not rs:
        return ""
    values = {str(f): float(v) if _finite(v) else math.nan
              for f, v in zip(rs["feature"].tolist(), rs["value"].tolist(), strict=True)}
    gone_n = sum(v != v for v in values.values())
    if not gone_n:
        return ""
    found = not_assessed_items(values, ctx.evidence_of(acc.account_id),
                               str(acc.row["coverage"] or "") or None)
    items = "".join(f"<li><b>{_e(head)}:</b> {_e(detail)}</li>" for head, detail in found)
    return (f'<div id="not-assessed"><h3>Not assessed ({gone_n} signal'
            f"{'s' if gone_n != 1 else ''})</h3><p class=\"muted\">These signals could "
            "not be computed from the data supplied; they neither accuse nor clear the "
            "account. Supplying the data named would assess them.</p>"
            f"<ul>{items}</ul></div>")


def _checklist_section(ctx: _Context, acc: _Account) -> str:
    """What to check, ask for and accept, for accounts a person has to review."""
    from fakedetect.evidence import review_checklist

    if not acc.scored or acc.row["verdict"] not in ("review", "likely fake"):
        return ""
    from fakedetect.evidence import checklist_topics
    from fakedetect.explain import is_reason

    rs = acc.reasons
    topics: list[str] = []
    if rs:
        ok = is_reason(rs["feature"], rs["value"])
        topics = checklist_topics(np.asarray(rs["feature"])[ok].tolist(),
                                  np.nan_to_num(rs["contribution"])[ok].tolist(),
                                  leans=rs["lean"][ok].tolist())
    lists = review_checklist(ctx.evidence_of(acc.account_id), topics)
    parts = []
    for key, title in (("check", "What to check"), ("ask", "What to ask the creator for"),
                       ("clears", "What would clear the account")):
        items = "".join(f"<li>{_e(t)}</li>" for t in lists[key])
        parts.append(f'<div class="check-{key}"><h3>{title}</h3><ul>{items}</ul></div>')
    return ('<section id="checklist"><h2>Review checklist</h2><p class="muted">Built from '
            "this account's strongest reasons toward fake and its own evidence. A verdict "
            "is not proof: decide after these checks.</p>"
            f"<div class=\"checklist\">{''.join(parts)}</div></section>")


def _model_box(model: Mapping[str, object], row: Mapping[str, object] | None) -> str:
    """The model in plain words (what, when, how accurate), the details folded away."""
    name = model.get("name") or (row or {}).get("model_name") or "unknown"
    version = model.get("version") or (row or {}).get("model_version") or "unknown"
    sources = model.get("sources")
    src = (", ".join(str(x) for x in sources) if isinstance(sources, list | tuple)
           and sources else "")
    if is_simulated(model):
        what = ("Trained and tested on simulated accounts (fake and genuine accounts "
                "generated by fakedetect's simulator), not on real, labelled accounts. The "
                "rates below are how it did on other simulated accounts; on real accounts "
                "they are unknown until it is checked on accounts with known answers "
                "(fakedetect calibrate).")
    elif src:
        what = f"Trained on labelled accounts from: {src}."
    else:
        what = "Trained on labelled accounts (fake and genuine) with known answers."
    lines = [f"<li><b>What:</b> {_e(name)} version {_e(version)}. {_e(what)}</li>"]
    trained = str(model.get("trained_at") or "")
    if trained:
        lines.append(f"<li><b>When:</b> trained on {_e(_date_words(trained))}.</li>")
    lines.append(f"<li><b>How accurate:</b> {_e(_accuracy_words(model))}</li>")
    return (f'<section id="model"><h2>About the model</h2><ul class="plain">'
            f"{''.join(lines)}</ul><details><summary>All model details and metrics"
            f'</summary><table class="kv"><tbody>{_model_rows(model, row)}</tbody></table>'
            "</details></section>")


def is_simulated(model: Mapping[str, object]) -> bool:
    """Whether the model's training data was simulated: its sources say ``sim``, or its
    metrics were measured on held-out simulated worlds (only simulated data has worlds)."""
    sources = model.get("sources")
    names = [str(x) for x in sources] if isinstance(sources, list | tuple) else []
    if any(n == "sim" or n.startswith("sim") for n in names):
        return True
    metrics = model.get("metrics")
    return isinstance(metrics, Mapping) and any(str(k).startswith("heldout_")
                                                for k in metrics)


def _date_words(stamp: str) -> str:
    import pandas as pd

    try:
        ts = pd.Timestamp(stamp)
    except (ValueError, TypeError):
        return stamp
    return f"{ts.day} {ts.strftime('%b %Y')}"


def _accuracy_words(model: Mapping[str, object]) -> str:
    """One sentence on held-out accuracy from the model's metrics, or what is missing."""
    metrics = model.get("metrics")
    m = metrics if isinstance(metrics, Mapping) else {}
    for prefix, where in (("heldout_", "on held-out worlds (simulated accounts from "
                                       "settings it never saw in training; `fakedetect "
                                       "models` shows the test-split figures)"),
                          ("test_", "on the test split (accounts kept out of training)")):
        prec, rec, fpr = (m.get(f"{prefix}{k}") for k in ("precision_op", "recall_op",
                                                           "fpr_op"))
        if _finite(prec) and _finite(rec):
            text = (f"Tested {where}: of the accounts it called likely fake, "
                    f"{percent(float(prec))} were fake; it caught {percent(float(rec))} of "
                    "the fake accounts")
            if _finite(fpr):
                text += f" and wrongly flagged {percent(float(fpr), 1)} of the genuine ones"
            return text + "."
    for key in ("heldout_roc_auc", "test_roc_auc", "roc_auc", "cv_roc_auc_mean"):
        if _finite(m.get(key)):
            return (f"Ranks a random fake account above a random genuine one "
                    f"{percent(float(m[key]))} of the time on data kept out of training.")
    return "No held-out accuracy was recorded with this model."


def _model_rows(model: Mapping[str, object], row: Mapping[str, object] | None) -> str:
    name = model.get("name") or (row or {}).get("model_name") or "unknown"
    version = model.get("version") or (row or {}).get("model_version") or "unknown"
    items = [("model", _e(name)), ("version", _e(version))]
    for key, label in (("uri", "model URI"), ("trained_at", "trained")):
        if model.get(key):
            items.append((label, _e(model[key])))
    review, fake = model.get("threshold_review"), model.get("threshold_fake")
    if _finite(fake) and _finite(review):
        items.append(("verdicts", f"likely fake when the fake probability is at least "
                                  f"{_pct(float(fake))}; review from {_pct(float(review))}; "
                                  "authentic below"))
    metrics = model.get("metrics")
    if isinstance(metrics, Mapping) and metrics:
        items.extend(_metric_groups(metrics))
    return "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in items)


#: Metric groups of the model details, by key prefix: (prefix, heading).
METRIC_GROUPS: tuple[tuple[str, str], ...] = (
    ("test_", "Test accounts kept out of training"),
    ("heldout_", "Accounts from held-out settings never seen in training"),
    ("cv_", "Cross-validation on the training accounts (mean and spread over folds)"),
    ("loso_", "Each data source left out in turn"),
)
#: Plain names of the metric stems (the key without its group prefix).
METRIC_WORDS: dict[str, str] = {
    "precision_op": "of accounts called likely fake, share that were fake",
    "recall_op": "share of fake accounts called likely fake",
    "fpr_op": "share of genuine accounts wrongly called likely fake",
    "fpr_review": "share of genuine accounts sent to review or worse",
    "roc_auc": "ranking quality (ROC AUC: 0.5 chance, 1 perfect)",
    "pr_auc": "ranking quality among fakes (PR AUC)",
    "accuracy": "share of all accounts classed right",
    "accuracy_op": "share of all accounts classed right at the verdict cut-off",
    "brier": "probability error (Brier score, lower is better)",
    "ece": "calibration error (ECE, lower is better)",
    "n": "accounts", "positives": "fake accounts",
}


def _metric_words(stem: str) -> str:
    """A metric stem in words: ``recall_op_fraud_bought_likes`` → its plain name."""
    for suffix, words in (("_mean", " (mean)"), ("_std", " (spread)")):
        if stem.endswith(suffix):
            return _metric_words(stem[: -len(suffix)]) + words
    if stem in METRIC_WORDS:
        return METRIC_WORDS[stem]
    for base in ("recall_op", "n"):
        if stem.startswith(base + "_fraud_"):
            kind = stem[len(base) + 7:].replace("_", " ")
            return (f"share of '{kind}' fakes caught" if base == "recall_op"
                    else f"'{kind}' fake accounts")
    if stem[:1] == "h" and "_" in stem and stem[1:stem.index("_")].isdigit():
        return f"setting {stem[1:stem.index('_')]}: {_metric_words(stem[stem.index('_') + 1:])}"
    return stem.replace("_", " ")


def _metric_value(key: str, v: object) -> str:
    if not _finite(v):
        return _e(v)
    x = float(v)  # type: ignore[arg-type]
    if key.endswith(("_n", "_positives")) or "_n_fraud_" in key:
        return f"{x:,.0f}"
    return f"{x:.3f}"


def _metric_groups(metrics: Mapping[str, object]) -> list[tuple[str, str]]:
    """The model's metrics as (heading, HTML list) rows: grouped by where they were
    measured, each named in words, with its raw key in a tooltip."""
    rows = []
    taken: set[str] = set()
    for prefix, heading in METRIC_GROUPS:
        keys = sorted(k for k in metrics if str(k).startswith(prefix))
        if not keys:
            continue
        taken.update(keys)
        lis = "".join(f'<li title="{_e(k)}">{_e(_metric_words(k[len(prefix):]))}: '
                      f"{_metric_value(k, metrics[k])}</li>" for k in keys)
        rows.append((_e(heading), f'<ul class="metrics">{lis}</ul>'))
    rest = sorted(str(k) for k in metrics if k not in taken)
    if rest:
        lis = "".join(f'<li title="{_e(k)}">{_e(_metric_words(k))}: '
                      f"{_metric_value(k, metrics[k])}</li>" for k in rest)
        rows.append(("other measurements", f'<ul class="metrics">{lis}</ul>'))
    return rows


def _how_to_read(model: Mapping[str, object]) -> str:
    fake, review = model.get("threshold_fake"), model.get("threshold_review")
    cutoffs = (f" The verdict is <i>likely fake</i> from a fake probability of "
               f"{_pct(float(fake))}, <i>review</i> from {_pct(float(review))}, and "
               "<i>authentic</i> below." if _finite(fake) and _finite(review) else "")
    return (
        '<section id="how-to-read"><h2>How to read this page</h2><ul>'
        "<li>The authenticity score is 100 minus the fake probability in percent. The "
        "probability is calibrated: among accounts given 30%, about 3 in 10 were fake in the "
        f"evaluation data{_SIM_NOTE if is_simulated(model) else ''}.{cutoffs}</li>"
        "<li>The range beside the fake probability is its uncertainty interval: with what "
        "the model was calibrated on, the true probability lies in it. It is wide where the "
        "model saw few accounts like this one. <i>Likely fake</i> needs the whole interval "
        "above the cutoff; an account whose interval straddles it goes to <i>review</i>. "
        "Scores never read as certain: the ends show as &lt;1% and &gt;99%.</li>"
        "<li>A follower spike alone is not proof. Giveaways, shout-outs, a viral post or press "
        "coverage bring sudden genuine followers too. Bought followers typically arrive as a "
        "step of thousands within a day or two, with no matching rise in likes, and are often "
        "partly removed later.</li>"
        "<li>Engagement is compared with a benchmark band for accounts of the same size; "
        "published figures vary widely, so only a large, lasting gap is a signal.</li>"
        "<li>The fake-follower share is estimated from a sample of followers; the interval "
        "shows how uncertain that estimate is.</li>"
        "<li>Each reason's strength (strong, moderate, slight) says how far it moved the "
        "score; the waterfall shows them adding up from the average account to this one's "
        "score. A push is measured from the average account the model learned from, so an "
        "ordinary fact can still push toward fake: such a reason says \"usually reassuring"
        "\" (or \"usually a warning sign\") and is left out of the checklist.</li>"
        "<li>Missing data is shown as missing: a signal that could not be computed neither "
        "accuses nor clears the account.</li>"
        "<li>This page supports a human review; it is not a verdict on its own.</li>"
        "</ul></section>")


def _account_html(ctx: _Context, account_id: str, index_href: str | None) -> str:
    acc = _account(ctx, account_id)
    model_box = _model_box(ctx.model, acc.row)
    body = "".join((
        _header(acc, index_href),
        _warnings_section(ctx.model),
        _reasons_section(acc),
        _checklist_section(ctx, acc),
        _history_section(acc, ctx.evidence_of(acc.account_id)),
        _engagement_section(acc),
        _audience_section(acc),
        _waterfall_section(acc),
        _coverage_section(ctx, acc),
        model_box,
        _how_to_read(ctx.model),
        "<footer>Generated by fakedetect. Self-contained page: it loads nothing from the "
        "network.</footer>",
    ))
    label = f"@{acc.username}" if acc.username else acc.account_id
    return _page(f"{label} — fakedetect review", body)


def render_account_page(account_id: str, *, scores: pd.DataFrame, reasons: pd.DataFrame,
                        dataset: Dataset, model: dict[str, object]) -> str:
    """Render one account's review page as a self-contained HTML document.

    Parameters
    ----------
    account_id : str
        The account, as in ``scores["account_id"]``.
    scores : pandas.DataFrame
        One row per account as ``fakedetect predict`` returns it.
    reasons : pandas.DataFrame
        Tidy SHAP explanations (account_id, feature, description, value, contribution,
        sentence, base_value, rank).
    dataset : Dataset
        The data the account was scored from; missing optional tables are reported on
        the page as missing.
    model : dict
        ``name``, ``version``, ``uri``, ``threshold_review``, ``threshold_fake``,
        ``trained_at`` and optionally ``metrics``.

    Returns
    -------
    str
        The HTML page.

    Raises
    ------
    UserError
        If the account is not in ``scores``.
    """
    ctx = _context(scores, reasons, dataset, model)
    return _account_html(ctx, str(account_id), None)


def write_account_page(path: str | Path, account_id: str, *, scores: pd.DataFrame,
                       reasons: pd.DataFrame, dataset: Dataset,
                       model: dict[str, object]) -> Path:
    """Write one account's self-contained page to ``path`` (for ``fakedetect explain --html``).

    Parameters
    ----------
    path : path-like
        The HTML file to write (atomically); its folder is created.
    account_id : str
    scores, reasons, dataset, model
        As for :func:`render_account_page`.

    Returns
    -------
    Path
        The written file.
    """
    html = render_account_page(account_id, scores=scores, reasons=reasons, dataset=dataset,
                               model=model)
    return write_text(Path(path), html)


# ------------------------------------------------------------------------------ index


def _json_column(values: np.ndarray, digits: int | None) -> list[object]:
    a = np.asarray(values, dtype=float)
    ok = np.isfinite(a)
    rounded = np.round(a, digits) if digits is not None else a
    out = rounded.astype(object)
    out[~ok] = None
    return out.tolist()


def _index_data(sc: pd.DataFrame, order: np.ndarray, files: Mapping[str, str],
                usernames: Mapping[str, str], evidence: pd.DataFrame | None = None
                ) -> dict[str, list[object]]:
    ids = [str(a) for a in sc["account_id"].to_numpy(dtype=object)[order]]
    col = {k: sc[k].to_numpy()[order] for k in sc.columns}
    size = col["audience_sample_size"]
    # the scores' headline columns where they hold a value (a Dask report's dataset
    # holds the tables of the paged accounts only), else the evidence of the dataset
    ev: dict[str, np.ndarray] = {}
    for key in ("engagement_rate", "engagement_benchmark", "spike_followers",
                "spike_vs_usual"):
        mine = (evidence[key].reindex(ids).to_numpy(dtype=float)
                if evidence is not None else np.full(len(ids), np.nan))
        given = col[key].astype(float)
        ev[key] = np.where(np.isfinite(given), given, mine)
    days = (evidence["spike_date"].reindex(ids).tolist() if evidence is not None
            else [None] * len(ids))
    spike_day = [_short_day(g if g else d) for g, d in zip(col["spike_date"].tolist(), days,
                                                           strict=True)]
    return {
        "er": _json_column(ev["engagement_rate"], 5),
        "eb": _json_column(ev["engagement_benchmark"], 5),
        "sp": _json_column(ev["spike_followers"], 0),
        "sv": _json_column(ev["spike_vs_usual"], 1),
        "sd": spike_day,
        "id": ids,
        "u": [usernames.get(a, "") for a in ids],
        "f": [files.get(a) for a in ids],
        "v": col["verdict"].tolist(),
        "s": _json_column(col["authenticity_score"], 1),
        "p": _json_column(col["fake_probability"], 4),
        "sh": _json_column(col["fake_follower_share"], 4),
        "lo": _json_column(col["fake_follower_share_low"], 4),
        "hi": _json_column(col["fake_follower_share_high"], 4),
        "ss": [int(x) if _finite(x) else 0 for x in size.tolist()],
        "fo": _json_column(col["followers"], 0),
        "ni": col["niche"].tolist(),
        "r": col["reason_1"].tolist(),
        "st": col["status"].tolist(),
        "sr": col["status_reason"].tolist(),
    }


def _short_day(day: object) -> str:
    """``26 Nov 2026`` for a timestamp, ``""`` for a missing one."""
    import pandas as pd

    if day is None or day is pd.NaT or (isinstance(day, float) and math.isnan(day)):
        return ""
    ts = pd.Timestamp(day)  # type: ignore[arg-type]
    return "" if ts is pd.NaT else f"{ts.day} {ts.strftime('%b %Y')}"


def _engagement_cell(rate: object, bench: object) -> str:
    if not _finite(rate):
        return ""
    text = _pct(float(rate), 1)  # type: ignore[arg-type]
    if _finite(bench):
        text += f' <span class="ci">vs usual {_pct(float(bench), 1)}</span>'  # type: ignore[arg-type]
    return text


def _spike_cell(gain: object, ratio: object, day: object) -> str:
    if not _finite(gain) or not _finite(ratio) or float(ratio) < 1.5:  # type: ignore[arg-type]
        return ""
    from fakedetect.evidence import times_text

    return (f"+{float(gain):,.0f} on {_e(day)} "  # type: ignore[arg-type]
            f'<span class="ci">({times_text(float(ratio))} usual)</span>')  # type: ignore[arg-type]


#: Header tooltips of the index columns whose short header needs a word more.
_HEAD_TIPS = {
    "s": "Authenticity score: 100 minus the fake probability in percent (100 = authentic)",
    "p": "Calibrated probability that the account is fake",
}
#: Index columns: data key, header, class. The labels double as card labels on phones.
_HEADS = (("id", "account", ""), ("v", "verdict", ""), ("s", "authenticity 0-100", "num"),
          ("p", "fake probability", "num"), ("sh", "fake-follower share", "num"),
          ("er", "engagement", "num"), ("sp", "largest follower spike", "num"),
          ("fo", "followers", "num"), ("ni", "niche", ""), ("r", "top reason", ""))


def _static_row(data: Mapping[str, list[object]], k: int) -> str:
    """One index row as the script draws it, for readers without JavaScript."""
    def get(key: str) -> object:
        return data[key][k]

    acc_id, file = str(get("id")), get("f")
    acc = f'<a href="{_e(file)}">{_e(acc_id)}</a>' if file else _e(acc_id)
    if get("u") and get("u") != acc_id:
        acc += f'<span class="user">@{_e(get("u"))}</span>'
    scored = get("st") == "scored"
    share = ""
    if get("sh") is not None:
        share = _pct(get("sh"))  # type: ignore[arg-type]
        if get("lo") is not None and get("hi") is not None:
            share += f' <span class="ci">({_pct(get("lo"))}–{_pct(get("hi"))})</span>'  # type: ignore[arg-type]
    s, p, fo = get("s"), get("p"), get("fo")
    why = "" if scored else f'<span class="why">{_e(get("sr") or "no reason given")}</span>'
    cells = [
        f'<td class="acc">{acc}</td>',
        f"<td>{_badge(str(get('st')), str(get('v')))}{why}</td>",
        f'<td class="num">{"" if s is None else _e(score_text(s))}</td>',  # type: ignore[arg-type]
        f'<td class="num">{"" if p is None else _pct(p)}</td>',  # type: ignore[arg-type]
        f'<td class="num">{share}</td>',
        f'<td class="num">{_engagement_cell(get("er"), get("eb"))}</td>',
        f'<td class="num">{_spike_cell(get("sp"), get("sv"), get("sd"))}</td>',
        f'<td class="num">{"" if fo is None else _int(fo)}</td>',  # type: ignore[arg-type]
        f'<td>{_e(get("ni"))}</td>', f'<td class="reason">{_e(get("r"))}</td>']
    return "<tr>" + "".join(
        _labelled(c, label) for c, (_, label, _) in zip(cells, _HEADS, strict=True)) + "</tr>"


def _labelled(cell: str, label: str) -> str:
    """A ``<td>`` with its column label (shown on phones) and its content in one span."""
    head, _, rest = cell.partition(">")
    inner = rest.removesuffix("</td>")
    return (f'{head.replace("<td", f"<td data-label={chr(34)}{label}{chr(34)}", 1)}>'
            f'<span class="cell">{inner}</span></td>')


def _index_html(ctx: _Context, order: np.ndarray, files: Mapping[str, str]) -> str:
    sc = ctx.scores
    usernames: dict[str, str] = {}
    if len(ctx.accounts.get("username", ())):
        names = ctx.accounts["username"]
        for a, code in zip(ctx.ids.tolist(), ctx.account_row.tolist(), strict=True):
            if code >= 0 and names[code]:
                usernames[str(a)] = str(names[code])
    data = _index_data(sc, order, files, usernames, ctx.evidence)
    n = len(order)
    status = sc["status"].to_numpy(dtype=object)
    verdict = sc["verdict"].to_numpy(dtype=object)
    scored = status == "scored"
    cards = [f'<div class="card"><b>{n:,}</b>accounts</div>']
    for v in VERDICTS:
        count = int((scored & (verdict == v)).sum())
        cards.append(f'<div class="card"><b>{count:,}</b>{_badge("scored", v)}</div>')
    other = int((scored & ~np.isin(verdict, VERDICTS)).sum())
    if other:
        cards.append(f'<div class="card"><b>{other:,}</b>{_badge("scored", "other")}</div>')
    n_not = int((~scored).sum())
    cards.append(f'<div class="card"><b>{n_not:,}</b>{_badge("not_scored", "")}</div>')
    model_name = ctx.model.get("name") or (sc["model_name"].iat[0] if n else "") or "unknown"
    model_version = (ctx.model.get("version") or (sc["model_version"].iat[0] if n else "")
                     or "unknown")
    heads = _HEADS
    th = "".join(f'<th data-key="{k}" class="{c}" '
                 f'aria-sort="{"descending" if k == "p" else "none"}"'
                 + (f' title="{_e(_HEAD_TIPS[k])}"' if k in _HEAD_TIPS else "")
                 + f'><button type="button">{label}</button></th>' for k, label, c in heads)
    static = "".join(_static_row(data, k) for k in range(min(STATIC_ROWS, n)))
    options = "".join(f'<option value="{v}">{v}</option>' for v in (*VERDICTS, "not scored"))
    unscored_idx = [int(i) for i in order if not scored[i]]
    unscored = ""
    if unscored_idx:
        shown = unscored_idx[:1000]
        items = "".join(
            f"<tr><td>{_link(str(sc['account_id'].iat[i]), files)}</td>"
            f"<td>{_e(sc['status_reason'].iat[i] or 'no reason given')}</td></tr>"
            for i in shown)
        more = (f'<p class="muted">… and {len(unscored_idx) - len(shown):,} more; pick '
                "<i>not scored</i> in the verdict filter to see them all.</p>"
                if len(unscored_idx) > len(shown) else "")
        unscored = (f'<section id="not-scored"><h2>Accounts that could not be scored '
                    f'({len(unscored_idx):,})</h2><div class="table-wrap"><table><thead><tr>'
                    f"<th>account</th><th>reason</th></tr></thead><tbody>{items}</tbody>"
                    f"</table></div>{more}</section>")
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    payload = payload.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    pages_note = (f"{plural(len(files), 'account page')} written, highest risk first; accounts "
                  "without a link have no page in this report."
                  if len(files) < n else "Click an account to open its review page.")
    body = (
        "<h1>fakedetect review report</h1>"
        f'<p class="muted">Model {_e(model_name)} version {_e(model_version)}. Accounts ranked '
        f"by fake probability, highest risk first. {pages_note}</p>"
        f'<div class="cards">{"".join(cards)}</div>'
        f"{_warnings_section(ctx.model)}"
        '<section id="ranking"><h2>Accounts by risk</h2><div class="tools">'
        '<input id="filter-text" type="search" placeholder="Filter: account, niche, reason…" '
        'aria-label="Filter accounts by text">'
        '<select id="filter-verdict" aria-label="Filter by verdict">'
        f'<option value="">all verdicts</option>{options}</select>'
        '<label>rows per page <select id="page-size"><option value="50">50</option>'
        '<option value="100" selected>100</option><option value="500">500</option>'
        '<option value="0">all</option></select></label></div>'
        f'<div class="table-wrap"><table id="accounts" data-rows="{min(STATIC_ROWS, n)}">'
        f"<thead><tr>{th}</tr></thead><tbody>{static}</tbody></table></div>"
        '<div class="pager"><button type="button" id="page-prev">&larr; previous</button>'
        '<button type="button" id="page-next">next &rarr;</button>'
        f'<span id="table-info" class="muted">Top {min(STATIC_ROWS, n):,} of {n:,} shown; '
        "sorting and filtering need JavaScript.</span></div></section>"
        f"{unscored}"
        f"{_model_box(ctx.model, None)}"
        f"{_how_to_read(ctx.model)}"
        f'<script type="application/json" id="report-data">{payload}</script>'
        "<footer>Generated by fakedetect. Self-contained page: it loads nothing from the "
        "network.</footer>"
    )
    return _page("fakedetect review report", body, assets.INDEX_JS)


def _link(account_id: str, files: Mapping[str, str]) -> str:
    file = files.get(account_id)
    return f'<a href="{_e(file)}">{_e(account_id)}</a>' if file else _e(account_id)


def write_report(out_dir: Path, *, scores: pd.DataFrame, reasons: pd.DataFrame,
                 dataset: Dataset, model: dict[str, object],
                 max_pages: int | None = None,
                 progress: Callable[[int, int], None] | None = None) -> Path:
    """Write the review report: ``index.html`` and ``accounts/<account>.html``.

    Parameters
    ----------
    out_dir : Path
        Report folder. The report is written whole into a staging folder beside it and
        swapped in at the end, so the folder holds either the previous report or the new
        one, never a mix; a run killed midway leaves the previous report untouched (its
        staging folder is removed by the next run). The folder must be new, empty or a
        report: other files in it are refused, never replaced.
    scores : pandas.DataFrame
        One row per input account as ``fakedetect predict`` returns it.
    reasons : pandas.DataFrame
        Tidy SHAP explanations, one row per (scored account, feature).
    dataset : Dataset
        The data the accounts were scored from.
    model : dict
        ``name``, ``version``, ``uri``, ``threshold_review``, ``threshold_fake``,
        ``trained_at`` and optionally ``metrics``.
    max_pages : int, optional
        Write account pages for at most this many accounts, highest risk first
        (default: all). The index lists every account either way.
    progress : callable, optional
        Called with ``(pages written, pages to write)`` after each account page.

    Returns
    -------
    Path
        The index page.

    Raises
    ------
    UserError
        The folder holds files that are not a report's.
    """
    import os
    import shutil
    import uuid

    out = Path(out_dir)
    check_report_folder(out)
    ctx = _context(scores, reasons, dataset, model)
    order = rank_order(ctx.scores)
    ids = ctx.scores["account_id"].to_numpy(dtype=object)
    limit = len(order) if max_pages is None else max(int(max_pages), 0)
    out.parent.mkdir(parents=True, exist_ok=True)
    _sweep_stale(out)
    stage = out.parent / f".{out.name}.staging-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        files: dict[str, str] = {}
        for i in order[:limit].tolist():
            account_id = str(ids[i])
            name = safe_filename(account_id)
            write_text(stage / "accounts" / name,
                       _account_html(ctx, account_id, "../index.html"))
            files[account_id] = f"accounts/{name}"
            if progress is not None:
                progress(len(files), min(limit, len(order)))
        write_text(stage / "index.html", _index_html(ctx, order, files))
        write_text(stage / REPORT_MARKER, "a fakedetect review report\n")
        old = out.parent / f".{out.name}.old-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        if out.exists():
            out.rename(old)
        stage.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return out / "index.html"


#: File that marks a folder as a fakedetect report (so a re-run may replace it).
REPORT_MARKER = ".fakedetect-report"
#: What a report folder holds.
_REPORT_ENTRIES = frozenset({"index.html", "accounts", REPORT_MARKER})


def check_report_folder(out: Path) -> None:
    """Refuse a report destination that is a file or holds anything but a report.

    Raises
    ------
    UserError
        Naming the path and what to do.
    """
    import os

    from fakedetect.io import check_output_folder

    if out.exists() and not out.is_dir():
        raise UserError(f"{out}: not a folder", hint="pass --out a folder for the report")
    check_output_folder(out)
    parent = out.parent
    if parent.is_dir() and not os.access(parent, os.W_OK | os.X_OK):
        raise UserError(f"{out}: cannot write in {parent}, where the report is staged "
                        "(permission denied)",
                        hint="choose a folder whose parent you can write to")
    if out.is_dir():
        other = sorted(p.name for p in out.iterdir() if p.name not in _REPORT_ENTRIES)
        if other:
            raise UserError(f"{out}: holds other files ({', '.join(other[:4])}); the report "
                            "replaces its whole folder",
                            hint="choose a new or empty folder, or the folder of an "
                                 "earlier report")


def _sweep_stale(out: Path) -> None:
    """Remove staging and swapped-out folders of this report left by runs that were
    killed (their process no longer exists)."""
    from fakedetect.io import sweep_stale

    for kind in ("staging", "old"):
        sweep_stale(out.parent, f".{out.name}.{kind}-")
