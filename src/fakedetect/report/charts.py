"""Charts of the review report, drawn by hand as inline SVG.

Inline SVG keeps a page self-contained and crisp at any zoom, costs well under a
millisecond per chart (matplotlib costs ~50-100 ms), and lets each mark carry a
``<title>`` tooltip. Every function takes plain numpy arrays and returns an ``<svg>``
string; text that came from data is HTML-escaped here. Times are floats in days since
1970-01-01 UTC, as :func:`fakedetect.report.pages` passes them.

Each chart takes a view box ``width``: :data:`WIDTH` for a page, :data:`NARROW` for a
phone, where legends stack above the plot, labels sit above their bars and fewer date
ticks are labelled, so the text keeps a readable size once the phone scales the chart to
its screen. The page carries both and its stylesheet shows one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np

#: Colours of the marks; the browser test looks for some of them in a screenshot.
FOLLOWERS = "#1f5fae"
FOLLOWING = "#7b4ea3"
SUSPICIOUS = "#d62728"
ENGAGEMENT = "#1f5fae"
BAND = "#cdebd3"
BENCHMARK = "#2f855a"
TOWARD_FAKE = "#d1495b"
TOWARD_GENUINE = "#2e86ab"
NEUTRAL = "#5b7083"
GRID = "#e5e7eb"
INK = "#4b5563"

#: Width of every chart's view box, in SVG user units (the page scales it).
WIDTH = 960
#: View box width of the phone variant of each chart: drawn at about its size on a phone,
#: so 12-unit text renders at 10 px or more in a 360 px column.
NARROW = 400
_CHAR_PX = 6.6  # average advance of a 12 px system-font character


def compact_number(x: float) -> str:
    """Format a count for an axis: ``950``, ``12.3k``, ``1.25M``.

    Parameters
    ----------
    x : float

    Returns
    -------
    str
        ``""`` for NaN.
    """
    if not math.isfinite(x):
        return ""
    a = abs(x)
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if a >= scale:
            v = x / scale
            text = f"{v:.2f}" if abs(v) < 10 else f"{v:.1f}" if abs(v) < 100 else f"{v:.0f}"
            if "." in text:
                text = text.rstrip("0").rstrip(".")
            return text + suffix
    if a == 0 or a >= 1:
        return f"{x:.0f}" if float(x).is_integer() else f"{x:.1f}"
    return f"{x:.2g}"


def nice_ticks(lo: float, hi: float, count: int = 5) -> np.ndarray:
    """Round tick values (1, 2, 2.5 or 5 times a power of ten) covering ``[lo, hi]``.

    Parameters
    ----------
    lo, hi : float
        Data range; ``lo == hi`` is widened around the value.
    count : int
        About how many intervals to aim for.

    Returns
    -------
    numpy.ndarray
        Ascending ticks; the first is <= ``lo`` and the last >= ``hi``.
    """
    if not (math.isfinite(lo) and math.isfinite(hi)):
        lo, hi = 0.0, 1.0
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        pad = abs(lo) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / max(count, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw * (1 - 1e-9))
    start = math.floor(lo / step + 1e-9) * step
    stop = math.ceil(hi / step - 1e-9) * step
    n = round((stop - start) / step)
    return start + step * np.arange(n + 1)


_STEPS = (  # (size, unit, approximate days)
    (1, "D", 1.0), (2, "D", 2.0), (7, "D", 7.0), (14, "D", 14.0),
    (1, "M", 30.44), (2, "M", 60.9), (3, "M", 91.3), (6, "M", 182.6),
    (1, "Y", 365.25), (2, "Y", 730.5), (5, "Y", 1826.0), (10, "Y", 3652.0),
)


def date_ticks(d0: float, d1: float, max_ticks: int = 8) -> list[tuple[float, str]]:
    """Calendar ticks (days, weeks, month starts or years) within ``[d0, d1]``.

    Parameters
    ----------
    d0, d1 : float
        Range in days since 1970-01-01.
    max_ticks : int
        At most this many ticks.

    Returns
    -------
    list of (float, str)
        Position in days and label (``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``).
    """
    span = max(d1 - d0, 1.0)
    size, unit, _ = next((s for s in _STEPS if span / s[2] <= max_ticks), _STEPS[-1])
    first = np.datetime64(math.floor(d0), "D")
    if unit == "D":
        day0 = math.ceil(d0 / size) * size
        ticks = np.arange(day0, d1 + 1e-9, size)
        return [(float(t), str(np.datetime64(int(t), "D"))) for t in ticks]
    start = first.astype(f"datetime64[{unit}]")
    start_i = int(start.astype(np.int64))
    start_i = -(-start_i // size) * size
    out: list[tuple[float, str]] = []
    k = start_i
    while True:
        label = np.datetime64(k, unit)
        pos = float(label.astype("datetime64[D]").astype(np.int64))
        if pos > d1 + 1e-9:
            break
        if pos >= d0 - 1e-9:
            out.append((pos, str(label)))
        k += size
    return out


def _date_label(day: float) -> str:
    return str(np.datetime64(math.floor(day), "D")) if math.isfinite(day) else ""


@dataclass(frozen=True)
class _Area:
    """A plot rectangle in SVG units and the data ranges it maps."""

    left: float
    top: float
    width: float
    height: float
    x0: float
    x1: float
    y0: float
    y1: float

    def sx(self, x: np.ndarray | float) -> np.ndarray:
        span = (self.x1 - self.x0) or 1.0
        return self.left + (np.asarray(x, dtype=float) - self.x0) / span * self.width

    def sy(self, y: np.ndarray | float) -> np.ndarray:
        span = (self.y1 - self.y0) or 1.0
        return self.top + self.height - (np.asarray(y, dtype=float) - self.y0) / span * self.height

    @property
    def bottom(self) -> float:
        return self.top + self.height

    @property
    def right(self) -> float:
        return self.left + self.width


def _svg(height: float, body: Sequence[str], label: str, width: float = WIDTH) -> str:
    kind = "narrow" if width < WIDTH else "wide"
    return (f'<svg class="chart {kind}" viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
            f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
            f"<title>{escape(label)}</title>{''.join(body)}</svg>")


def _path(xs: np.ndarray, ys: np.ndarray) -> str:
    """An SVG path through the finite points; a NaN lifts the pen."""
    ok = np.isfinite(xs) & np.isfinite(ys)
    start = ok & ~np.r_[False, ok[:-1]]
    parts = [f"{'M' if s else 'L'}{x:.1f},{y:.1f}"
             for x, y, s in zip(xs[ok].tolist(), ys[ok].tolist(), start[ok].tolist(),
                                strict=True)]
    return "".join(parts)


def _y_axis(area: _Area, ticks: np.ndarray, fmt: str = "count") -> list[str]:
    out = []
    for t in ticks.tolist():
        y = float(area.sy(t))
        text = f"{t:.{_pct_digits(ticks)}f}%" if fmt == "percent" else (
            f"{t:+.1f}" if fmt == "signed" else compact_number(t))
        out.append(f'<line class="grid" x1="{area.left:.1f}" x2="{area.right:.1f}" '
                   f'y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
                   f'<text x="{area.left - 8:.1f}" y="{y + 4:.1f}" text-anchor="end" '
                   f'fill="{INK}" font-size="12">{text}</text>')
    return out


def _pct_digits(ticks: np.ndarray) -> int:
    """The fewest decimals that print every tick exactly (2.5 needs one)."""
    return next((d for d in range(4) if np.allclose(np.round(ticks, d), ticks, rtol=0,
                                                    atol=1e-9)), 4)


def _x_date_axis(area: _Area, labels: bool = True, width: float = WIDTH) -> list[str]:
    out = [f'<line x1="{area.left:.1f}" x2="{area.right:.1f}" y1="{area.bottom:.1f}" '
           f'y2="{area.bottom:.1f}" stroke="{INK}"/>']
    most = 8 if width >= WIDTH else 4
    taken = -math.inf  # right end of the last label drawn
    for pos, label in date_ticks(area.x0, area.x1, most):
        x = float(area.sx(pos))
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{area.bottom:.1f}" '
                   f'y2="{area.bottom + 5:.1f}" stroke="{INK}"/>')
        if labels:
            half = len(label) * _CHAR_PX / 2
            anchor = ("end" if x + half > width - 2 else "start" if x - half < 2
                      else "middle")
            left = {"end": x - 2 * half, "start": x}.get(anchor, x - half)
            if left < taken + 12:
                continue  # too close to the previous label: the tick stays unlabelled
            taken = left + 2 * half
            out.append(f'<text x="{x:.1f}" y="{area.bottom + 19:.1f}" text-anchor="{anchor}" '
                       f'fill="{INK}" font-size="12">{label}</text>')
    return out


def _x_range(days: np.ndarray) -> tuple[float, float]:
    finite = days[np.isfinite(days)]
    if finite.size == 0:
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    if hi - lo < 1.0:
        lo, hi = lo - 1.0, hi + 1.0
    pad = (hi - lo) * 0.01
    return lo - pad, hi + pad


def _legend(items: Sequence[tuple[str, str]], x: float, y: float) -> list[str]:
    """Legend entries as (svg swatch, label) laid out left to right."""
    out = []
    for swatch, label in items:
        out.append(f'<g transform="translate({x:.1f},{y:.1f})">{swatch}'
                   f'<text x="22" y="4" fill="{INK}" font-size="12">{escape(label)}</text></g>')
        x += 34 + len(label) * _CHAR_PX
    return out


def _legend_rows(items: Sequence[tuple[str, str]], y: float, width: float
                 ) -> tuple[list[str], float]:
    """Legend entries stacked one per row (labels wrapped to ``width``), for a narrow
    chart; returns the elements and the y below the last row."""
    out = []
    chars = max(int((width - 30) / _CHAR_PX), 10)
    for swatch, label in items:
        lines = _wrap(label, chars, 3)
        spans = "".join(f'<tspan x="22" dy="{0 if i == 0 else 15}">{escape(line)}</tspan>'
                        for i, line in enumerate(lines))
        out.append(f'<g transform="translate(4,{y:.1f})">{swatch}'
                   f'<text x="22" y="4" fill="{INK}" font-size="12">{spans}</text></g>')
        y += 15 * len(lines) + 4
    return out, y


def _line_swatch(colour: str, dash: str = "") -> str:
    extra = f' stroke-dasharray="{dash}"' if dash else ""
    return f'<line x1="0" x2="16" y1="0" y2="0" stroke="{colour}" stroke-width="2.5"{extra}/>'


def _dot_swatch(colour: str) -> str:
    return f'<circle cx="8" cy="0" r="5" fill="{colour}" stroke="#fff" stroke-width="1.5"/>'


def _box_swatch(colour: str) -> str:
    return f'<rect x="0" y="-6" width="16" height="12" fill="{colour}"/>'


def history_svg(days: np.ndarray, followers: np.ndarray, following: np.ndarray,
                suspicious: np.ndarray, scores: np.ndarray, threshold: float,
                width: float = WIDTH) -> str:
    """Follower (top panel) and following (bottom panel) history, suspicious days marked.

    Parameters
    ----------
    days : numpy.ndarray
        Snapshot days (days since epoch), ascending.
    followers, following : numpy.ndarray
        Counts per day (float, NaN where missing); ``following`` may be all NaN.
    suspicious : numpy.ndarray of bool
        Days whose follower jump is above the threshold.
    scores : numpy.ndarray
        Each day's follower change above the usual one, in multiples of the usual
        day-to-day swing (the robust jump score; NaN for the first day).
    threshold : float
        The multiple above which a day is suspicious (for the legend).
    width : float
        View box width: :data:`WIDTH` for a page, :data:`NARROW` for the phone variant
        (legend stacked above the plot, fewer date ticks).

    Returns
    -------
    str
        An ``<svg>`` element.
    """
    days = np.asarray(days, dtype=float)
    followers = np.asarray(followers, dtype=float)
    following = np.asarray(following, dtype=float)
    suspicious = np.asarray(suspicious, dtype=bool)
    has_following = bool(np.isfinite(following).any())
    narrow = width < WIDTH
    items = ([(_line_swatch(FOLLOWERS), "Followers"),
              (_dot_swatch(SUSPICIOUS),
               f"Day far above the usual (over {threshold:g}x the usual day-to-day swing)")]
             + ([(_line_swatch(FOLLOWING), "Following")] if has_following else []))
    body: list[str] = []
    if narrow:
        legend, below = _legend_rows(items, 14, width)
        body += legend
        top_y, left = below + 22, 52.0
    else:
        body += _legend(items, 300, 16)
        top_y, left = 40.0, 70.0
    x0, x1 = _x_range(days)
    top_h, gap, low_h = 230.0, 34.0, 110.0 if has_following else 0.0
    height = top_y + top_h + 32 + (gap + low_h if has_following else 0)
    f_ok = followers[np.isfinite(followers)]
    lo, hi = (float(f_ok.min()), float(f_ok.max())) if f_ok.size else (0.0, 1.0)
    pad = (hi - lo) * 0.05 or max(abs(hi) * 0.05, 1.0)
    ticks = nice_ticks(max(lo - pad, 0.0) if lo >= 0 else lo - pad, hi + pad, 4)
    top = _Area(left, top_y, width - left - 20, top_h, x0, x1, float(ticks[0]),
                float(ticks[-1]))
    body += _y_axis(top, ticks)
    xs, ys = top.sx(days), top.sy(followers)
    for x in xs[suspicious].tolist():
        body.append(f'<rect x="{x - 2:.1f}" y="{top.top:.1f}" width="4" '
                    f'height="{top.height:.1f}" fill="{SUSPICIOUS}" opacity="0.18"/>')
    body.append(f'<path d="{_path(xs, ys)}" fill="none" stroke="{FOLLOWERS}" '
                f'stroke-width="2.2" stroke-linejoin="round"/>')
    if len(days) <= 2:
        body += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{FOLLOWERS}"/>'
                 for x, y in zip(xs.tolist(), ys.tolist(), strict=True) if math.isfinite(y)]
    change = np.r_[np.nan, np.diff(followers)]
    for i in np.flatnonzero(suspicious).tolist():
        tip = (f"{_date_label(days[i])}: {change[i]:+,.0f} followers, above the usual "
               f"daily change by {scores[i]:.1f}x the usual day-to-day swing")
        body.append(f'<circle class="suspicious" cx="{xs[i]:.1f}" cy="{ys[i]:.1f}" r="6" '
                    f'fill="{SUSPICIOUS}" stroke="#fff" stroke-width="1.5">'
                    f"<title>{escape(tip)}</title></circle>")
    body += _x_date_axis(top, labels=not has_following, width=width)
    body.append(f'<text x="{max(top.left - 60, 4):.1f}" y="{top.top - 14:.1f}" fill="{INK}" '
                f'font-size="12" font-weight="600">Followers</text>')
    if has_following:
        g_ok = following[np.isfinite(following)]
        glo, ghi = float(g_ok.min()), float(g_ok.max())
        gpad = (ghi - glo) * 0.05 or max(abs(ghi) * 0.05, 1.0)
        gticks = nice_ticks(max(glo - gpad, 0.0), ghi + gpad, 2)
        low = _Area(left, top.bottom + gap, width - left - 20, low_h, x0, x1,
                    float(gticks[0]), float(gticks[-1]))
        body += _y_axis(low, gticks)
        body.append(f'<path d="{_path(low.sx(days), low.sy(following))}" fill="none" '
                    f'stroke="{FOLLOWING}" stroke-width="2" stroke-linejoin="round"/>')
        body += _x_date_axis(low, width=width)
        body.append(f'<text x="{max(low.left - 60, 4):.1f}" y="{low.top - 10:.1f}" '
                    f'fill="{INK}" font-size="12" font-weight="600">Following</text>')
    return _svg(height, body, "Follower and following history with suspicious days marked",
                width)


def engagement_svg(days: np.ndarray, rate: np.ndarray, low: np.ndarray, median: np.ndarray,
                   high: np.ndarray, span: tuple[float, float] | None = None,
                   width: float = WIDTH) -> str:
    """Engagement rate per post (dots) against the tier benchmark band.

    Parameters
    ----------
    days : numpy.ndarray
        Post times in days since epoch, ascending.
    rate : numpy.ndarray
        (likes + comments) / followers per post, as a fraction (NaN skipped).
    low, median, high : numpy.ndarray
        The benchmark band for the follower count at each post, as fractions.
    span : (float, float), optional
        Time range to draw (days since epoch), e.g. the follower history's, so the two
        charts share a time axis; default: the posts' range.
    width : float
        View box width: :data:`WIDTH` for a page, :data:`NARROW` for the phone variant.

    Returns
    -------
    str
        An ``<svg>`` element; rates above the plotted range are drawn as triangles at
        the top edge.
    """
    days = np.asarray(days, dtype=float)
    pct = 100 * np.asarray(rate, dtype=float)
    lo, med, hi = (100 * np.asarray(a, dtype=float) for a in (low, median, high))
    finite = pct[np.isfinite(pct)]
    cap_data = float(np.quantile(finite, 0.98)) * 1.15 if finite.size else 0.0
    band_top = float(np.nanmax(hi)) if np.isfinite(hi).any() else 0.0
    ticks = nice_ticks(0.0, max(cap_data, band_top * 1.15, 0.1), 4)
    x0, x1 = _x_range(days if span is None else np.r_[days, span])
    items = [(_dot_swatch(ENGAGEMENT), "Post: (likes + comments) / followers"),
             (_box_swatch(BAND), "Benchmark band for the tier"),
             (_line_swatch(BENCHMARK, "6 4"), "Benchmark median")]
    if width < WIDTH:
        legend, below = _legend_rows(items, 14, width)
        top_y, left = below + 22, 52.0
    else:
        legend, top_y, left = _legend(items, 240, 16), 40.0, 70.0
    area = _Area(left, top_y, width - left - 20, 230, x0, x1, 0.0, float(ticks[-1]))
    body = legend + _y_axis(area, ticks, "percent")
    ok = np.isfinite(lo) & np.isfinite(hi) & np.isfinite(days)
    if ok.any():
        bx = area.sx(days[ok])
        if bx.size == 1:
            bx = np.r_[bx - 6, bx + 6]
            b_lo, b_hi, b_med = (np.repeat(a[ok], 2) for a in (lo, hi, med))
        else:
            b_lo, b_hi, b_med = lo[ok], hi[ok], med[ok]
        upper = " ".join(f"{x:.1f},{y:.1f}" for x, y in
                         zip(bx.tolist(), area.sy(b_hi).tolist(), strict=True))
        lower = " ".join(f"{x:.1f},{y:.1f}" for x, y in
                         zip(bx[::-1].tolist(), area.sy(b_lo)[::-1].tolist(), strict=True))
        body.append(f'<polygon class="band" points="{upper} {lower}" fill="{BAND}"/>')
        body.append(f'<path d="{_path(bx, area.sy(b_med))}" fill="none" stroke="{BENCHMARK}" '
                    f'stroke-width="2" stroke-dasharray="6 4"/>')
    top = float(ticks[-1])
    shown = np.isfinite(pct) & np.isfinite(days)
    xs = area.sx(days[shown]).tolist()
    ys = area.sy(np.minimum(pct[shown], top)).tolist()
    tips = np.datetime_as_string(np.floor(days[shown]).astype(np.int64).astype("datetime64[D]"))
    for x, y_dot, p, tip in zip(xs, ys, pct[shown].tolist(), tips.tolist(), strict=True):
        if p > top:
            y = area.top + 2
            body.append(f'<path d="M{x - 5:.1f},{y + 8:.1f}L{x + 5:.1f},{y + 8:.1f}L{x:.1f},'
                        f'{y:.1f}Z" fill="{ENGAGEMENT}"><title>{tip}: {p:.2f}% (off the scale)'
                        f"</title></path>")
        else:
            body.append(f'<circle cx="{x:.1f}" cy="{y_dot:.1f}" r="3.6" '
                        f'fill="{ENGAGEMENT}" fill-opacity="0.8"><title>{tip}: {p:.2f}%'
                        f"</title></circle>")
    body += _x_date_axis(area, width=width)
    body.append(f'<text x="{max(area.left - 60, 4):.1f}" y="{area.top - 14:.1f}" '
                f'fill="{INK}" font-size="12" font-weight="600">Engagement per post</text>')
    return _svg(top_y + 230 + 32, body, "Engagement per post against the tier benchmark band",
                width)


@dataclass(frozen=True)
class ShareBar:
    """One bar of the audience chart.

    Attributes
    ----------
    label : str
        What the share counts, in plain words.
    value : float
        The share, 0-1 (NaN draws an empty row saying "no data").
    low, high : float
        Interval bounds, NaN when there is none.
    note : str
        Shown after the value (e.g. ``of 200 sampled``).
    highlight : bool
        Draw in the "toward fake" colour.
    """

    label: str
    value: float
    low: float = float("nan")
    high: float = float("nan")
    note: str = ""
    highlight: bool = False


def shares_svg(bars: Sequence[ShareBar], width: float = WIDTH) -> str:
    """Horizontal bars of shares from 0 to 100 %, with optional interval whiskers.

    Parameters
    ----------
    bars : sequence of ShareBar
    width : float
        View box width: :data:`WIDTH` (label left of each bar, value right of it) or
        :data:`NARROW` (label and value on a line above each bar).

    Returns
    -------
    str
        An ``<svg>`` element.
    """
    narrow = width < WIDTH
    if narrow:
        row, label_w = 46.0, 14.0
        area = _Area(label_w, 10, width - label_w - 22, row * len(bars), 0.0, 1.0, 0.0, 1.0)
    else:
        row, label_w = 34.0, 330.0
        area = _Area(label_w, 10, width - label_w - 200, row * len(bars), 0.0, 1.0, 0.0, 1.0)
    bar_top, bar_h = (22.0, row - 30) if narrow else (8.0, row - 16)
    body = []
    for t in (0.0, 0.25, 0.5, 0.75, 1.0):
        x = float(area.sx(t))
        body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{area.top:.1f}" '
                    f'y2="{area.bottom:.1f}" stroke="{GRID}"/><text x="{x:.1f}" '
                    f'y="{area.bottom + 16:.1f}" text-anchor="middle" fill="{INK}" '
                    f'font-size="12">{t:.0%}</text>')
    for k, bar in enumerate(bars):
        y = area.top + k * row
        colour = TOWARD_FAKE if bar.highlight else NEUTRAL
        whisker = ""
        if math.isfinite(bar.value):
            w = float(area.sx(min(max(bar.value, 0.0), 1.0))) - area.left
            body.append(f'<rect x="{area.left:.1f}" y="{y + bar_top:.1f}" '
                        f'width="{max(w, 1.0):.1f}" height="{bar_h:.1f}" fill="{colour}" '
                        'rx="2"/>')
            text = f"{bar.value:.0%}"
            if math.isfinite(bar.low) and math.isfinite(bar.high):
                xl, xh = float(area.sx(bar.low)), float(area.sx(bar.high))
                ym = y + bar_top + bar_h / 2
                whisker = (f'<path d="M{xl:.1f},{ym:.1f}H{xh:.1f}M{xl:.1f},{ym - 7:.1f}'
                           f'V{ym + 7:.1f}M{xh:.1f},{ym - 7:.1f}V{ym + 7:.1f}" '
                           f'stroke="#111827" stroke-width="1.6" fill="none"/>')
                text += f" ({bar.low:.0%}–{bar.high:.0%})"
        else:
            text = "no data"
        body.append(whisker)
        if bar.note:
            text += f" {bar.note}"
        if narrow:
            room = int((width - 10 - len(text) * _CHAR_PX - 16) / 7.2)
            body.append(f'<text x="4" y="{y + 14:.1f}" fill="#111827" font-size="13">'
                        f"{escape(_clip(bar.label, max(room, 8)))}"
                        f"<title>{escape(bar.label)}</title></text>"
                        f'<text x="{width - 4:.1f}" y="{y + 14:.1f}" text-anchor="end" '
                        f'fill="{INK}" font-size="12">{escape(text)}</text>')
        else:
            body.append(f'<text x="{label_w - 10:.1f}" y="{y + row / 2 + 4:.1f}" '
                        f'text-anchor="end" fill="#111827" font-size="13">'
                        f"{escape(_clip(bar.label, 48))}<title>{escape(bar.label)}</title>"
                        f'</text><text x="{area.right + 10:.1f}" y="{y + row / 2 + 4:.1f}" '
                        f'fill="{INK}" font-size="12">{escape(text)}</text>')
    return _svg(area.bottom + 26, body, "Audience breakdown", width)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _signed(x: float) -> str:
    return "0" if abs(x) < 1e-12 else f"{x:+.1f}"


def _prob(logit: float) -> float:
    return 1.0 / (1.0 + math.exp(-logit)) if logit > -700 else 0.0


def _wrap(text: str, width: int, lines: int) -> list[str]:
    """``text`` broken at spaces into at most ``lines`` lines of ``width`` characters,
    the last one clipped with an ellipsis when the text is longer."""
    import textwrap

    parts = textwrap.wrap(text, width=width, break_long_words=True) or [""]
    if len(parts) > lines:
        parts = [*parts[:lines - 1], _clip(" ".join(parts[lines - 1:]), width)]
    return parts


#: Characters per label line of the waterfall, and lines per label.
WATERFALL_LABEL_CHARS = 50
WATERFALL_LABEL_LINES = 5


def _percent(x: float) -> str:
    from fakedetect.evidence import percent

    return percent(x)


#: Probabilities the waterfall's axis may mark, each placed at its log-odds.
PROBABILITY_TICKS = (0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999)
#: Ticks left out first when the axis would carry more than :data:`MAX_PROB_TICKS`.
_THIN_FIRST = ((0.05, 0.95), (0.25, 0.75), (0.01, 0.99))
MAX_PROB_TICKS = 7


def probability_ticks(lo: float, hi: float) -> np.ndarray:
    """Round probabilities (10%, 25%, 50%, ...) as log-odds ticks covering ``[lo, hi]``.

    Parameters
    ----------
    lo, hi : float
        The log-odds range to cover.

    Returns
    -------
    numpy.ndarray
        Increasing log-odds of probabilities from :data:`PROBABILITY_TICKS`: the nearest
        at or below ``lo``, the nearest at or above ``hi`` and those between, thinned to
        at most :data:`MAX_PROB_TICKS` (50% is always kept). Beyond 0.1% or 99.9% the
        range itself ends the axis.
    """
    probs = np.asarray(PROBABILITY_TICKS)
    logits = np.log(probs / (1.0 - probs))
    first = max(int(np.searchsorted(logits, lo, side="right")) - 1, 0)
    last = min(int(np.searchsorted(logits, hi, side="left")), len(logits) - 1)
    chosen = list(probs[first:last + 1])
    for pair in _THIN_FIRST:
        if len(chosen) <= MAX_PROB_TICKS:
            break
        inner = [p for p in chosen if p not in pair or p in (chosen[0], chosen[-1])]
        chosen = inner
    ticks = np.log(np.asarray(chosen) / (1.0 - np.asarray(chosen)))
    return np.r_[min(lo, ticks[0]), ticks[1:-1], max(hi, ticks[-1])] if (
        lo < ticks[0] or hi > ticks[-1]) else ticks


def waterfall_svg(base: float, labels: Sequence[str], contributions: Sequence[float],
                  rest: float | None, rest_label: str,
                  bar_text: Sequence[str] | None = None, width: float = WIDTH) -> str:
    """SHAP waterfall: from the base value, feature by feature, to the model output.

    Parameters
    ----------
    base : float
        The explainer's base value (log-odds of "fake").
    labels : sequence of str
        One label per shown feature, largest contribution first.
    contributions : sequence of float
        SHAP values in log-odds, positive toward fake.
    rest : float or None
        Sum of the remaining features' contributions (``None``: no such row).
    rest_label : str
        Label of that row, e.g. ``"The other 12 signals, together"``.
    bar_text : sequence of str, optional
        Text beside each bar, the rest row's included (default: the push in words,
        ``strong``, ``moderate`` or ``slight``); the value in model units is always in
        the bar's tooltip.
    width : float
        View box width: :data:`WIDTH` (labels left of the bars) or :data:`NARROW`
        (each label on its own lines above its bar).

    Returns
    -------
    str
        An ``<svg>`` element; the last row's end is ``base + sum(contributions) + rest``.
    """
    from fakedetect.explain import strength

    steps = [float(c) for c in contributions]
    names = [str(s) for s in labels]
    if rest is not None:
        steps.append(float(rest))
        names.append(rest_label)
    ends = base + np.cumsum(steps) if steps else np.array([], dtype=float)
    final = float(ends[-1]) if steps else float(base)
    starts = np.r_[base, ends[:-1]] if steps else np.array([], dtype=float)
    values = np.r_[base, ends, 0.0]
    ticks = probability_ticks(float(values.min()), float(values.max()))
    narrow = width < WIDTH
    # on a phone the view box is shrunk to the screen: a larger font keeps labels legible
    fs = 13.5 if narrow else 12.0
    step_y = 17.0 if narrow else 15.0
    chars = int((width - 12) / (_CHAR_PX * fs / 12)) if narrow else WATERFALL_LABEL_CHARS
    texts = [str(t) for t in bar_text] if bar_text is not None else []
    notes = [texts[k] if k < len(texts) else strength(step) for k, step in enumerate(steps)]
    all_names = ["The average account", *names, "This account (before calibration)"]
    wrapped = [_wrap(t, chars, WATERFALL_LABEL_LINES) for t in all_names]
    if narrow:
        # each row: its label's lines, then a bar 18 units high
        heights = [step_y * len(w) + 26.0 for w in wrapped]
        label_w = 20.0  # room for half of the first tick's label
        head = 48.0
    else:
        most = max([len(w) for w in wrapped[1:-1]] + [1])
        row = 26.0 if most == 1 else 6.0 + 15.0 * most
        heights = [row] * len(all_names)
        # the widest line at 12 px fits the label column with a margin on the left
        label_w = 24.0 + _CHAR_PX * 1.08 * max([len(x) for w in wrapped[1:-1] for x in w]
                                               + [38])
        head = 34.0
    tops = head + np.r_[0.0, np.cumsum(heights)]
    area = _Area(label_w, head, width - label_w - (20 if narrow else 80), float(tops[-1] - head),
                 float(ticks[0]), float(ticks[-1]), 0.0, 1.0)
    body = []

    def bar_box(k: int) -> tuple[float, float]:
        """Top and height of row ``k``'s bar."""
        if narrow:
            return float(tops[k]) + step_y * len(wrapped[k]) + 4, 18.0
        return float(tops[k]) + 5, heights[k] - 10

    # where vertical lines may run: the whole plot beside the labels, or on a phone
    # (labels above their bars) only the bar rows, so no line crosses a label
    spans = ([(area.top, area.bottom)] if not narrow
             else [(bar_box(k)[0] - 3, bar_box(k)[0] + 21) for k in range(len(all_names))])

    def vline(x: float, style: str, top: float | None = None) -> str:
        segments = spans if narrow else [(area.top if top is None else top, area.bottom)]
        return "".join(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y0:.1f}" y2="{y1:.1f}" '
                       f"{style}/>" for y0, y1 in segments)

    first_tick, last_tick = float(ticks[0]), float(ticks[-1])
    for t in ticks.tolist():
        x = float(area.sx(t))
        body.append(vline(x, f'stroke="{GRID}"'))
        if t in (first_tick, last_tick) and t not in np.log(
                np.asarray(PROBABILITY_TICKS) / (1 - np.asarray(PROBABILITY_TICKS))):
            continue  # an axis end beyond the marked probabilities carries no label
        body.append(f'<text x="{x:.1f}" '
                    f'y="{area.bottom + 16:.1f}" text-anchor="middle" fill="{INK}" '
                    f'font-size="12">{escape(_percent(_prob(t)))}<title>{_signed(t)} in '
                    f"model units (log-odds), for data scientists</title></text>")
    x_zero = float(area.sx(0.0))
    body.append(vline(x_zero, f'stroke="{INK}" stroke-dasharray="3 3"',
                      top=area.top - 6))
    if narrow:
        body.append(f'<text x="4" y="16" fill="{INK}" font-size="12">fake probability'
                    '<tspan x="4" dy="15">red pushes toward fake, blue toward genuine'
                    "</tspan></text>")
    else:
        body.append(f'<text x="{area.left:.1f}" y="20" fill="{INK}" font-size="12">'
                    f"fake probability — red pushes toward fake, blue toward genuine</text>")

    def label_row(k: int, text: str, bold: bool = False) -> str:
        weight = ' font-weight="600"' if bold else ""
        lines = wrapped[k]
        if narrow:
            x, y, anchor = 4.0, float(tops[k]) + fs, "start"
        else:
            x, anchor = label_w - 10, "end"
            y = float(tops[k]) + heights[k] / 2 + 4 - 7.5 * (len(lines) - 1)
        spans = "".join(f'<tspan x="{x:.1f}" dy="{0 if i == 0 else step_y:g}">'
                        f"{escape(line)}</tspan>" for i, line in enumerate(lines))
        return (f'<text class="label" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" '
                f'fill="#111827" font-size="{fs:g}"{weight}>{spans}'
                f"<title>{escape(text)}</title></text>")

    def marker(k: int, value: float, text: str) -> str:
        x = float(area.sx(value))
        y0, h = bar_box(k)
        y = y0 + h / 2
        room = 8 + _CHAR_PX * len(text)
        tx, anchor = (x + 8, "start") if x + room <= width - 2 else (x - 8, "end")
        return (f'<path d="M{x:.1f},{y - 8:.1f}V{y + 8:.1f}" stroke="#111827" '
                f'stroke-width="3"/><text x="{tx:.1f}" y="{y + 4:.1f}" fill="#111827" '
                f'text-anchor="{anchor}" font-size="12">{escape(text)}</text>')

    body.append(label_row(0, all_names[0], bold=True))
    body.append(marker(0, base, _percent(_prob(base))))
    for k, (name, start, end, step) in enumerate(
            zip(names, starts.tolist(), ends.tolist(), steps, strict=True), start=1):
        y, h = bar_box(k)
        xa, xb = sorted((float(area.sx(start)), float(area.sx(end))))
        colour = TOWARD_FAKE if step > 0 else TOWARD_GENUINE
        body.append(label_row(k, name))
        body.append(f'<rect class="step" x="{xa:.1f}" y="{y:.1f}" '
                    f'width="{max(xb - xa, 1.0):.1f}" height="{h:.1f}" fill="{colour}">'
                    f"<title>{escape(name)}: {step:+.3f} log-odds</title></rect>")
        xp = float(area.sx(start))
        reach = 3 if narrow else 10  # on a phone the label sits just above the bar
        body.append(f'<line x1="{xp:.1f}" x2="{xp:.1f}" y1="{y - reach:.1f}" y2="{y:.1f}" '
                    f'stroke="{INK}" stroke-width="1"/>')
        note = notes[k - 1]
        room = 6 + 7 * len(note)
        after = xb + room <= width if step > 0 else xa - room < area.left
        tx, anchor = (xb + 5, "start") if after else (xa - 5, "end")
        body.append(f'<text x="{tx:.1f}" y="{y + h / 2 + 4:.1f}" text-anchor="{anchor}" '
                    f'fill="{INK}" stroke="#fff" stroke-width="3" paint-order="stroke" '
                    f'font-size="11.5">{escape(note)}</text>')  # a halo over grid lines
    k_final = len(all_names) - 1
    body.append(label_row(k_final, all_names[-1], bold=True))
    body.append(marker(k_final, final, _percent(_prob(final))))
    return _svg(area.bottom + 40, body, "How the signals add up to the fake probability",
                width)
