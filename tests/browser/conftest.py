"""Real-browser tests: the app served on a loopback port, driven by Playwright in Debian's headless
Chromium (`.ci/run` installs it). Each test gets a fresh database (SQLite, and PostgreSQL when
DANBAO_TEST_POSTGRES_URL is set) with the standard pack installed and one user per demo role."""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from core import metastore
from core.demo import DEMO_PASSWORD, create_demo_users
from metadata.source import read_pack_dir
from ui.app import create_app

from ..conftest import SEED

CHROMIUM = os.environ.get("DANBAO_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM}; .ci/run installs it")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def live_server(engine, clock, tmp_path):
    """The app on http://127.0.0.1:<port>, with the standard pack and the demo users."""
    yield from serve(engine, clock, tmp_path, "standard")


def serve(engine, clock, tmp_path, *packs: str):
    """Serve the app over the seed packs `packs` (installed in that order) with the demo users."""
    metastore.install(engine, [read_pack_dir(SEED / name) for name in packs], clock=clock)
    create_demo_users(engine)
    app = create_app({"ENGINE": engine, "SECRET_KEY": "browser-tests", "INSTANCE_DIR": str(tmp_path)})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def new_page(browser):
    """A factory of pages, each in its own browser context (its own cookies: its own session)."""
    contexts = []

    def make(locale: str = "zh-CN"):
        ctx = browser.new_context(locale=locale, viewport={"width": 1360, "height": 900})
        ctx.set_default_timeout(10_000)
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in contexts:
        ctx.close()


def sign_in(page, base: str, username: str = "pm_a", password: str = DEMO_PASSWORD) -> None:
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def screenshot(page, name: str) -> None:
    """Screenshots of the main screens, linked from the README."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)


def settle(page) -> None:
    """Wait until no HTMX request is in flight and every swap has settled (new content processed)."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')")
