"""The dashboard's browser tests: Debian's chromium driven by Playwright (its own browser
download is never used), against the real server on a loopback port."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.pool import Pool, assemble
from bot.settings import Settings
from bot.storage.database import database
from tests.conftest import SECRET
from web import WebServer, create_app

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
async def served(tmp_path: Path, unused_tcp_port: int, clock) -> AsyncIterator[tuple[str, Pool]]:
    settings = Settings(superusers={"90000"}, web_public_url=f"http://127.0.0.1:{unused_tcp_port}")
    from tests.conftest import swapped_database

    async with swapped_database("sqlite", tmp_path):
        services = assemble(settings, tmp_path, SECRET, database.current_url, clock)
        server = WebServer(create_app(services, settings, tmp_path), "127.0.0.1", unused_tcp_port)
        await server.start()
        try:
            yield f"http://127.0.0.1:{unused_tcp_port}", services
        finally:
            await server.stop()
            await services.screenings.stop()


@pytest.fixture
async def browser():
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing: .ci/run installs Debian's chromium package")
        pytest.skip("Debian's chromium is not installed here")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield launched
        finally:
            await launched.close()


async def log_in(page, base: str, token: str) -> None:
    """What the merchant does with the link /后台 sends: open it, press the button."""
    await page.goto(f"{base}/login?token={token}")
    await page.click("#login")
    await page.wait_for_load_state()


async def screen_in_browser(page, base: str, export: Path) -> None:
    """What the merchant does on 筛查订单: choose the file, upload it, wait for the result."""
    await page.goto(f"{base}/screen")
    await page.set_input_files("#file", str(export))
    await page.click("#upload")
    await page.wait_for_url(f"{base}/screen/*")
    await page.wait_for_selector("#result:not([hidden])", timeout=60_000)
