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
