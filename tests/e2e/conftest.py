"""Browser tests: Playwright driving Debian's chromium against pytest-django's live server.

Skipped, with the reason, where /usr/bin/chromium (or the playwright package) is missing; CI
installs chromium with apt-get. Screenshots of every page go to ``$LABDB_SCREENSHOT_DIR``
(default ``artifacts/screenshots``), which CI keeps. Every page is checked for console errors.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("LABDB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO = Path(__file__).resolve().parents[2]


def screenshot_dir() -> Path:
    path = Path(os.environ.get("LABDB_SCREENSHOT_DIR", REPO / "artifacts" / "screenshots"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium, or set LABDB_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright package is not installed (pip install -r requirements-dev.txt)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Pages:
    """A browser tab that records console errors and saves named screenshots."""

    def __init__(self, page: Any, base_url: str) -> None:
        self.page = page
        self.base = base_url
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: {exc}"))

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(f"{self.page.url}: {message.text}")

    def go(self, path: str) -> Any:
        response = self.page.goto(self.base + path)
        assert response is not None and response.status < 400, (
            f"{path}: {response and response.status}"
        )
        return response

    def wait_for_plots(self, timeout_ms: int = 60_000) -> None:
        self.page.wait_for_function(
            "() => Array.from(document.querySelectorAll('[data-plot-url]'))"
            ".every(e => e.dataset.rendered)",
            timeout=timeout_ms,
        )
        failed = self.page.locator('[data-plot-url][data-rendered="error"]')
        assert failed.count() == 0, failed.first.inner_text()

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(screenshot_dir() / f"{name}.png"), full_page=True)

    def login(self, username: str = "demo", password: str = "demo") -> None:
        self.go("/accounts/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(self.base + "/")

    def choose(self, select: str, text: str) -> None:
        """Select the option of ``select`` whose text contains ``text``."""
        value = self.page.eval_on_selector(
            select,
            "(s, t) => { const o = Array.from(s.options).find(o => o.text.includes(t));"
            " return o ? o.value : null; }",
            text,
        )
        assert value is not None, f"no option containing {text!r} in {select}"
        self.page.select_option(select, value)


@pytest.fixture
def tab(browser: Any, live_server: Any, settings: Any) -> Iterator[Pages]:
    # ``settings`` first, so that it is restored only after the browser is closed: a page that
    # polls (the live cell page) would otherwise ask the server with the test's BLOB_DIR gone
    # and log a 503 into ``errors`` while the fixtures are torn down
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pages = Pages(context.new_page(), live_server.url)
    yield pages
    context.close()
    assert pages.errors == [], "console errors:\n" + "\n".join(pages.errors)


@pytest.fixture
def blobs(settings: Any, tmp_path: Path) -> Path:
    from django.core.cache import cache

    settings.BLOB_DIR = tmp_path / "blobs"
    cache.clear()
    return settings.BLOB_DIR
