"""The review report in a real headless browser (Debian's ``chromium``).

The pages load from ``file://`` URLs with no console message at all (no script error, no
blocked fetch), the index script sorts and filters (its state is read from the URL
fragment, so ``--dump-dom`` shows the result), and screenshots show the charts' colours.
Skips with a reason when no Chromium is installed; ``.ci/run`` installs it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from fakedetect.report import charts, safe_filename, write_report

pytestmark = pytest.mark.browser

TIMEOUT = 60
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--enable-logging=stderr", "--v=0")


@pytest.fixture(scope="module")
def browser() -> str:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no headless Chromium found on PATH (looked for `chromium` and "
                "`chromium-browser`); install Debian's `chromium` package to run the browser "
                "tests (.ci/run does)")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.test_report import MODEL, make_frames, make_reasons, make_scores, to_dataset

    dataset = to_dataset(make_frames())
    scores = make_scores(dataset)
    return write_report(tmp_path_factory.mktemp("report"), scores=scores,
                        reasons=make_reasons(scores), dataset=dataset, model=MODEL)


def run_chromium(browser: str, url: str, tmp: Path, *args: str) -> tuple[str, list[str]]:
    """Run headless Chromium on ``url``; return stdout and the console lines of stderr."""
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    proc = subprocess.run(
        [browser, *FLAGS, f"--user-data-dir={profile}", *args, url],
        capture_output=True, text=True, timeout=TIMEOUT, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    return proc.stdout, console


def dump_dom(browser: str, url: str, tmp: Path) -> str:
    dom, console = run_chromium(browser, url, tmp, "--dump-dom")
    assert console == [], console
    return dom


def screenshot(browser: str, url: str, tmp: Path, height: int = 2000) -> np.ndarray:
    """The page as an (height, 1280, 3) uint8 RGB array."""
    from matplotlib import image

    png = tmp / f"shot-{len(list(tmp.glob('shot-*')))}.png"
    _, console = run_chromium(browser, url, tmp, f"--screenshot={png}",
                              f"--window-size=1280,{height}")
    assert console == [], console
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = image.imread(png)
    return np.round(pixels[..., :3] * 255).astype(np.uint8)


def distinct_colours(img: np.ndarray) -> int:
    rgb = img.astype(np.int32)
    packed = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    return int(np.unique(packed).size)


def pixels_near(img: np.ndarray, colour: str, tol: int = 10) -> int:
    rgb = np.array([int(colour[k:k + 2], 16) for k in (1, 3, 5)])
    return int((np.abs(img.astype(int) - rgb).max(axis=-1) <= tol).sum())


def test_console_errors_are_detected(browser: str, tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><html><body><script>missing();</script></body></html>",
                    encoding="utf-8")
    _, console = run_chromium(browser, page.as_uri(), tmp_path, "--dump-dom")
    assert any("Uncaught ReferenceError" in line for line in console), console


def test_index_loads_and_its_script_sorts_and_filters(browser: str, report: Path,
                                                      tmp_path: Path) -> None:
    dom = dump_dom(browser, report.as_uri(), tmp_path)
    assert 'data-report-ready="1"' in dom
    assert re.search(r'<table id="accounts" data-rows="6"[^>]*data-matches="6"', dom)
    assert 'data-key="p" class="num" aria-sort="descending"' in dom
    assert "Showing 1–6 of 6." in dom
    body = dom[dom.index("<tbody>", dom.index('id="accounts"')):]
    assert body.index("bob_bought") < body.index(">dave<") < body.index(">alice<")

    view = dump_dom(browser, report.as_uri() + "#verdict=review&sort=fo&dir=asc", tmp_path)
    assert 'data-matches="2"' in view and "(filtered from 6)" in view
    assert 'data-key="fo" class="num" aria-sort="ascending"' in view
    rows = view[view.index("<tbody>", view.index('id="accounts"')):view.index("</tbody>")]
    assert rows.count("<tr>") == 2
    assert rows.index("&lt;script&gt;alert(1)") < rows.index(">dave<")  # 8,200 < 12,000
    assert "<script>alert" not in rows

    search = dump_dom(browser, report.as_uri() + "#q=TRAVELS", tmp_path)
    assert 'data-matches="1"' in search and "@alice.travels" in search


def test_every_account_page_loads_without_console_messages(browser: str, report: Path,
                                                           tmp_path: Path) -> None:
    pages = sorted((report.parent / "accounts").iterdir())
    assert len(pages) == 6
    for page in pages:
        dom = dump_dom(browser, page.as_uri(), tmp_path)
        assert '<section id="how-to-read">' in dom


def test_screenshots_show_the_charts(browser: str, report: Path, tmp_path: Path) -> None:
    page = report.parent / "accounts" / safe_filename("bob_bought")
    img = screenshot(browser, page.as_uri(), tmp_path)
    assert img.shape == (2000, 1280, 3)
    colours = distinct_colours(img)
    assert colours > 200, colours
    assert pixels_near(img, charts.FOLLOWERS) > 1500  # follower line, engagement dots
    assert pixels_near(img, charts.SUSPICIOUS) > 40  # the marked spike day
    assert pixels_near(img, charts.BAND) > 20_000  # the benchmark band
    assert pixels_near(img, charts.FOLLOWING) > 300
    assert pixels_near(img, charts.TOWARD_FAKE) > 1000  # reason bars, audience bar

    index = screenshot(browser, report.as_uri(), tmp_path, height=900)
    assert distinct_colours(index) > 100
    assert pixels_near(index, "#fde8e7", tol=4) > 300  # "likely fake" badges
    assert pixels_near(index, "#dcf3e4", tol=4) > 300  # "authentic" badges


def test_drift_warnings_render_in_the_browser(browser: str, tmp_path: Path) -> None:
    from tests.test_report import MODEL, make_frames, make_reasons, make_scores, to_dataset

    dataset = to_dataset(make_frames())
    scores = make_scores(dataset)
    scores["outside_training"] = np.where(scores["account_id"] == "dave",
                                          "growth__gain_cv", "")
    warning = "posting cadence is far above anything this model saw; 3 verdict(s) rely on it."
    index = write_report(tmp_path / "report", scores=scores, reasons=make_reasons(scores),
                         dataset=dataset, model={**MODEL, "warnings": [warning]})
    dom = dump_dom(browser, index.as_uri(), tmp_path)
    assert '<section id="drift" class="warn">' in dom and warning in dom
    page = index.parent / "accounts" / safe_filename("dave")
    dom = dump_dom(browser, page.as_uri(), tmp_path)
    assert 'id="outside-training"' in dom and "Outside what the model has seen" in dom


# ------------------------------------------------------------------ layout on any screen

#: Runs in a harness page that shows the measured page in an iframe exactly WIDTH px
#: wide (headless Chromium's own window is at least 500 px wide): measures every text box
#: of the page against its container and writes what overflows into ``data-overflow`` on
#: the harness's <html> (JSON), so ``--dump-dom`` shows it. Elements inside an explicit
#: horizontal scroller (overflow-x auto or scroll) may be wider than the screen; nothing
#: else may. Reasons squeezed under 240 px (a few words per line) go to ``data-narrow``.
MEASURE_JS = r"""
(function () {
  var frame = document.getElementById("page");
  function run() {
    var doc = frame.contentDocument, win = frame.contentWindow;
    function scroller(el) {
      for (var p = el.parentElement; p; p = p.parentElement) {
        var o = win.getComputedStyle(p).overflowX;
        if (o === "auto" || o === "scroll") { return true; }
      }
      return false;
    }
    function hasText(el) {
      for (var c = el.firstChild; c; c = c.nextSibling) {
        if (c.nodeType === 3 && c.textContent.trim()) { return true; }
      }
      return false;
    }
    var bad = [], vw = doc.documentElement.clientWidth;
    var all = doc.body.getElementsByTagName("*");
    for (var i = 0; i < all.length; i++) {
      var el = all[i];
      if (el.closest("svg") || !hasText(el) || scroller(el)) { continue; }
      var st = win.getComputedStyle(el);
      if (st.display === "none" || st.visibility === "hidden") { continue; }
      var r = el.getBoundingClientRect();
      if (!r.width) { continue; }
      var what = el.tagName.toLowerCase() + (el.className ? "." + el.className : "") +
        ": " + el.textContent.trim().slice(0, 40);
      if (st.display !== "inline" && el.scrollWidth > el.clientWidth + 1 &&
          st.overflowX !== "hidden") {
        bad.push("scrollWidth " + el.scrollWidth + " > clientWidth " + el.clientWidth +
                 " in " + what);
      }
      if (r.right > vw + 1 || r.left < -1) {
        bad.push("off screen (" + Math.round(r.left) + "-" + Math.round(r.right) + " of " +
                 vw + ") " + what);
      }
    }
    var svgs = doc.querySelectorAll("svg.chart"), smallest = Infinity;
    for (var s = 0; s < svgs.length; s++) {
      var vb = svgs[s].viewBox.baseVal, texts = svgs[s].querySelectorAll("text");
      var shown = svgs[s].getBoundingClientRect().width;
      if (win.getComputedStyle(svgs[s]).display !== "none" && shown > 0) {
        // chart text as rendered, in CSS px: its font size times the chart's scale
        for (var f = 0; f < texts.length; f++) {
          var px = parseFloat(win.getComputedStyle(texts[f]).fontSize) * shown / vb.width;
          smallest = Math.min(smallest, px);
          if (px < 10) {
            bad.push("chart text " + px.toFixed(1) + " px < 10 px: " +
                     texts[f].textContent.slice(0, 40));
            break;
          }
        }
      }
      for (var t = 0; t < texts.length; t++) {
        var b = texts[t].getBBox();
        if (b.x < -0.5 || b.x + b.width > vb.width + 0.5) {
          bad.push("chart text outside its chart (" + Math.round(b.x) + "-" +
                   Math.round(b.x + b.width) + " of " + vb.width + "): " +
                   texts[t].textContent.slice(0, 40));
        }
      }
    }
    var narrow = [], sentences = doc.querySelectorAll(".reasons li > span:first-child");
    for (var k = 0; k < sentences.length; k++) {
      if (sentences[k].getBoundingClientRect().width < Math.min(240, vw * 0.6)) {
        narrow.push(sentences[k].textContent.slice(0, 40));
      }
    }
    var boxes = doc.querySelectorAll(".table-wrap, .chart-wrap");
    for (var w = 0; w < boxes.length; w++) {
      if (boxes[w].scrollWidth > boxes[w].clientWidth + 1) {
        bad.push("sideways scroll inside " + boxes[w].className + ": " +
                 boxes[w].scrollWidth + " > " + boxes[w].clientWidth);
      }
    }
    var charts = doc.querySelectorAll("svg.chart");
    for (var q = 0; q < charts.length; q++) {
      var cr = charts[q].getBoundingClientRect();
      if (cr.right > vw + 1) {
        bad.push("chart wider than the page: " + Math.round(cr.right) + " > " + vw);
      }
    }
    if (doc.documentElement.scrollWidth > vw + 1) {
      bad.push("the page scrolls sideways: " + doc.documentElement.scrollWidth + " > " + vw);
    }
    document.documentElement.setAttribute("data-width", String(vw));
    document.documentElement.setAttribute("data-chart-px",
                                          smallest === Infinity ? "" : smallest.toFixed(2));
    document.documentElement.setAttribute("data-overflow", JSON.stringify(bad));
    document.documentElement.setAttribute("data-narrow", JSON.stringify(narrow));
  }
  frame.addEventListener("load", run);
})();
"""


@pytest.fixture(scope="module")
def real_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture report with registered features and their real, long sentences (the
    explain module's), so the layout is measured on what analysts read."""
    from tests.test_report import (
        MODEL,
        make_frames,
        make_reasons,
        make_scores,
        real_reasons,
        to_dataset,
    )

    dataset = to_dataset(make_frames())
    scores = make_scores(dataset)
    reasons = real_reasons(make_reasons(scores))
    scored = scores["status"] == "scored"
    scores["reason_1"] = np.where(
        scored, "+8,225 followers on 26 Nov 2026, 41x the usual daily change of about 200, "
        "while likes on the posts that week stayed at their usual level — strong push "
        "toward fake", "")
    # the widest cells the demo's index holds: a long reason for not scoring, spikes with
    # their dates and five-digit gains, six-digit follower counts
    scores["status_reason"] = np.where(
        scored, "", "too little history: no snapshots and fewer than 3 posts with likes, so "
        "nothing to judge growth or engagement by (use --task account for a profile-only "
        "score)")
    scores["spike_date"] = np.where(scored, "2026-11-26", "")
    scores["spike_followers"] = np.where(scored, 31_040.0, np.nan)
    scores["spike_vs_usual"] = np.where(scored, 668.0, np.nan)
    scores["followers"] = np.where(scored, 115_552, scores["followers"])
    model = {**MODEL, "metrics": {f"heldout_metric_number_{i}": 0.5 for i in range(30)}
             | {"heldout_precision_op": 0.9, "heldout_recall_op": 0.46,
                "heldout_fpr_op": 0.022}}
    return write_report(tmp_path_factory.mktemp("real"), scores=scores, reasons=reasons,
                        dataset=dataset, model=model)


def measure(browser: str, page: Path, tmp: Path, width: int, shot: Path) -> tuple[list[str],
                                                                                list[str]]:
    """Screenshot ``page`` at ``width`` px into ``shot``; return what overflows and the
    reasons squeezed narrow, measured in the DOM of the page shown ``width`` px wide."""
    import json
    from html import unescape

    _, console = run_chromium(browser, page.as_uri(), tmp, f"--screenshot={shot}",
                              f"--window-size={width},2400")
    assert console == [], console
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    harness = tmp / f"harness-{width}-{page.stem}.html"
    harness.write_text(
        '<!DOCTYPE html><html><body style="margin:0"><iframe id="page" '
        f'src="{page.as_uri()}" style="width:{width}px;height:2400px;border:0"></iframe>'
        f"<script>{MEASURE_JS}</script></body></html>", encoding="utf-8")
    dom, console = run_chromium(browser, harness.as_uri(), tmp, "--dump-dom",
                                "--allow-file-access-from-files", "--window-size=1500,2400")
    assert console == [], console
    found = re.search(r'data-overflow="([^"]*)"', dom)
    narrow = re.search(r'data-narrow="([^"]*)"', dom)
    assert found and narrow, "the measuring script did not run"
    assert f'data-width="{width}"' in dom
    px = re.search(r'data-chart-px="([^"]*)"', dom)
    assert px is not None
    if px.group(1):
        print(f"{page.name} at {width} px: smallest chart text {px.group(1)} px")
    return json.loads(unescape(found.group(1))), json.loads(unescape(narrow.group(1)))


@pytest.mark.parametrize("width", [400, 1400])
def test_no_text_overflows_at_phone_and_desktop_widths(browser: str, real_report: Path,
                                                       tmp_path: Path, width: int) -> None:
    pages = [real_report, real_report.parent / "accounts" / safe_filename("bob_bought")]
    for page in pages:
        shot = tmp_path / f"{page.stem}-{width}.png"
        bad, narrow = measure(browser, page, tmp_path, width, shot)
        assert bad == [], (page.name, width, bad[:8])
        assert narrow == [], (page.name, width, narrow)
        print(f"screenshot: {shot}")


def test_the_measurement_catches_an_overflow(browser: str, tmp_path: Path) -> None:
    page = tmp_path / "wide.html"
    page.write_text('<!DOCTYPE html><html><body><p style="width:300px;white-space:nowrap">'
                    + "word " * 80 + '</p><svg class="chart" viewBox="0 0 100 20">'
                    '<text x="-40" y="10">clipped label</text></svg></body></html>',
                    encoding="utf-8")
    bad, _ = measure(browser, page, tmp_path, 400, tmp_path / "wide.png")
    assert any("scrollWidth" in b for b in bad), bad
    assert any("chart text outside" in b for b in bad), bad
    assert any("scrolls sideways" in b or "off screen" in b for b in bad), bad


def test_the_measurement_catches_a_table_scrolling_sideways_and_tiny_chart_text(
        browser: str, tmp_path: Path) -> None:
    # a table too wide for its card at 1400 px, in a scroller (so the page itself fits),
    # and a chart whose 12-unit text is drawn 3x smaller than its view box
    cells = "".join(f"<td style='white-space:nowrap'>{'cell ' * 12}</td>" for _ in range(8))
    page = tmp_path / "table.html"
    page.write_text('<!DOCTYPE html><html><body><div class="table-wrap" '
                    'style="overflow-x:auto"><table><tr>' + cells + "</tr></table></div>"
                    '<svg class="chart" viewBox="0 0 960 40" style="width:320px">'
                    '<text x="10" y="20" font-size="12">tiny</text></svg></body></html>',
                    encoding="utf-8")
    bad, _ = measure(browser, page, tmp_path, 1400, tmp_path / "table.png")
    assert any(b.startswith("sideways scroll inside table-wrap") for b in bad), bad
    assert any(b.startswith("chart text 4.0 px < 10 px") for b in bad), bad


def test_print_stylesheet_hides_navigation_and_keeps_charts(browser: str, real_report: Path,
                                                            tmp_path: Path) -> None:
    page = real_report.parent / "accounts" / safe_filename("bob_bought")
    pdf = tmp_path / "bob.pdf"
    run_chromium(browser, page.as_uri(), tmp_path, f"--print-to-pdf={pdf}",
                 "--no-pdf-header-footer")
    data = pdf.read_bytes()
    assert data[:5] == b"%PDF-"
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert 2 <= pages <= 8, pages
    css = page.read_text(encoding="utf-8")
    assert "@media print" in css and ".nav{display:none}" in css.replace(
        ".tools,.pager,.nav{display:none}", ".nav{display:none}")
