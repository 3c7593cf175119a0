"""The built website in a real browser: every page renders with its title, its plots, no broken link, no error.

Serves build/site (made by `make site`) on a free loopback port and opens every page in the system's headless
Chromium through Playwright (no browser is downloaded). Screenshots of the landing page and one lesson land in
results/site/. Run with `make test-site`.
"""

from __future__ import annotations

import contextlib
import functools
import json
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

from helpers import config
from tests.launch.test_browser import CHROMIUM, CHROMIUM_FLAGS
from tooling import site

SITE = site.DEFAULT_OUT
OUT = config.PROJECT_ROOT / "results" / "site"
LESSON_SHOT = "05_kafka_fundamentals"
ERROR_SELECTORS = (".output.traceback", ".output.stderr", "div.cell_output .ansi-red-fg", ".system-message")


class QuietHandler(SimpleHTTPRequestHandler):
    """Serves the site's folder without logging every request."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        """Say nothing."""


@contextlib.contextmanager
def serving(folder: Path) -> Iterator[str]:
    """Serve folder over HTTP on a free loopback port while the block runs; yield the base URL."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def notebook_facts(path: Path) -> tuple[str, int]:
    """A notebook's title (its first heading) and how many image outputs it stores."""
    notebook = json.loads(path.read_text())
    first = "".join(notebook["cells"][0]["source"]).splitlines()[0]
    images = sum(1 for cell in notebook["cells"] for output in cell.get("outputs", [])
                 if "image/png" in output.get("data", {}))
    return first.lstrip("# ").replace("`", "").strip(), images


@pytest.fixture(scope="module")
def browser_page() -> Iterator[object]:
    """One headless Chromium page for the whole module."""
    if not SITE.joinpath("index.html").exists():
        pytest.fail(f"no site in {SITE}: run `make site` first")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield browser.new_page(viewport={"width": 1280, "height": 900})
        finally:
            browser.close()


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """The site, served."""
    with serving(SITE) as url:
        yield url


@pytest.mark.parametrize("notebook", site.lesson_paths(), ids=lambda path: path.stem)
def test_page_renders_title_plots_links_and_no_errors(browser_page, base_url: str, notebook: Path) -> None:
    page = browser_page
    title, images = notebook_facts(notebook)
    response = page.goto(urljoin(base_url, f"{notebook.stem}.html"))
    assert response is not None and response.ok, f"{notebook.stem}.html did not load: {response}"
    heading = page.locator("main h1").first.inner_text().replace("#", "").strip()
    assert heading == title, f"page heading {heading!r} is not the notebook's title {title!r}"
    plots = page.locator("main .cell_output img")
    assert plots.count() >= images, f"{notebook.stem}: {plots.count()} images on the page, {images} in the notebook"
    for index in range(plots.count()):
        plot = plots.nth(index)
        plot.scroll_into_view_if_needed()
        width = plot.evaluate("img => img.complete ? img.naturalWidth : 0")
        assert width > 0 and plot.is_visible(), f"{notebook.stem}: image {index} is not visible (width {width})"
    for selector in ERROR_SELECTORS:
        assert page.locator(selector).count() == 0, f"{notebook.stem} shows error output ({selector})"
    assert_internal_links_resolve(page, base_url, notebook.stem)
    if notebook.stem in (site.LANDING, LESSON_SHOT):
        OUT.mkdir(parents=True, exist_ok=True)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(OUT / f"{notebook.stem}.png"))


def assert_internal_links_resolve(page, base_url: str, name: str) -> None:
    """Every link to another page of the site loads, and every #anchor exists on its target page."""
    hrefs = page.eval_on_selector_all("main a[href]", "links => links.map(a => a.href)")
    internal = sorted({href for href in hrefs if href.startswith(base_url)})
    broken = []
    for href in internal:
        target, anchor = urldefrag(href)
        path = SITE / urlsplit(target).path.lstrip("/")
        if path.is_dir():
            path = path / "index.html"
        if not path.exists() or anchor and f'id="{anchor}"' not in path.read_text():
            broken.append(href)
    assert not broken, f"{name}: broken links {broken}"


def test_solutions_stay_collapsed(browser_page, base_url: str) -> None:
    page = browser_page
    page.goto(urljoin(base_url, f"{LESSON_SHOT}.html"))
    toggles = page.locator("details.hide-input, .tag_hide-input details")
    assert toggles.count() >= 1, "no collapsed solution cell on the lesson page"
    assert all(not toggles.nth(i).evaluate("d => d.open") for i in range(toggles.count())), "a solution is open"


def test_search_finds_a_course_word(browser_page, base_url: str) -> None:
    page = browser_page
    page.goto(urljoin(base_url, "search.html?q=idempotent"))
    results = page.locator("#search-results li")
    results.first.wait_for(timeout=30_000)
    assert results.count() >= 2, f"search for 'idempotent' found {results.count()} pages"


def test_landing_page_fits_a_phone(browser_page, base_url: str) -> None:
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        page.goto(urljoin(base_url, f"{site.LANDING}.html"))
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        OUT.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(OUT / f"{site.LANDING}-phone.png"))
        assert overflow <= 1, f"the landing page is {overflow} px wider than a phone's screen"
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})
