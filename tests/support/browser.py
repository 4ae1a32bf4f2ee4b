"""A real Chromium (Debian's package) driven by Selenium, for the web-page tests.

The bot runs in the test's event loop, so every WebDriver call (which blocks) runs in a thread.
Outside CI the tests skip when Chromium is missing; in CI (`CI=true`) they must run.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
DESKTOP = (1280, 900)
PHONE = (390, 844)
T = TypeVar("T")


def require_chromium() -> None:
    """Skip (outside CI) or fail (in CI) when Chromium or its driver is missing."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if not missing:
        return
    message = f"{', '.join(missing)} missing: apt-get install chromium chromium-driver"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def artifacts_dir() -> Path:
    """Where screenshots go (UI_ARTIFACTS, default ./test-artifacts/ui); printed by the tests."""
    path = Path(os.environ.get("UI_ARTIFACTS", "test-artifacts/ui")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


class Browser:
    """One headless Chromium window; methods are awaitable wrappers around WebDriver calls."""

    def __init__(self, driver: Any, base_url: str) -> None:
        self.driver = driver
        self.base_url = base_url.rstrip("/")

    async def run(self, call: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(call, *args)

    async def go(self, url: str) -> None:
        await self.run(self.driver.get, url if url.startswith("http") else self.base_url + url)

    async def find(self, css: str) -> Any:
        from selenium.webdriver.common.by import By

        return await self.run(self.driver.find_element, By.CSS_SELECTOR, css)

    async def find_all(self, css: str) -> list[Any]:
        from selenium.webdriver.common.by import By

        return await self.run(self.driver.find_elements, By.CSS_SELECTOR, css)

    async def click(self, css: str) -> None:
        element = await self.find(css)
        await self.run(element.click)

    async def text(self, css: str = "body") -> str:
        element = await self.find(css)
        return str(await self.run(lambda: element.text))

    async def path(self) -> str:
        url = str(await self.run(lambda: self.driver.current_url))
        return url.removeprefix(self.base_url)

    async def wait_for(self, check: Callable[[], bool], timeout_s: float = 10) -> None:
        """Wait until `check()` holds; elements replaced while it looks count as not yet."""
        from selenium.common.exceptions import (
            NoSuchElementException,
            StaleElementReferenceException,
        )

        def holds() -> bool:
            try:
                return check()
            except (NoSuchElementException, StaleElementReferenceException):
                return False

        deadline = asyncio.get_running_loop().time() + timeout_s
        while not await self.run(holds):
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("the page did not get there in time")
            await asyncio.sleep(0.1)

    async def screenshot(self, name: str, size: tuple[int, int]) -> Path:
        """Save a full-page screenshot at a window width (height grows to the page)."""
        await self.run(self.driver.set_window_size, *size)
        height = await self.run(
            self.driver.execute_script, "return document.documentElement.scrollHeight"
        )
        await self.run(self.driver.set_window_size, size[0], max(size[1], min(int(height), 6000)))
        path = artifacts_dir() / f"{name}-{'phone' if size == PHONE else 'desktop'}.png"
        await self.run(self.driver.save_screenshot, str(path))
        await self.run(self.driver.set_window_size, *size)
        return path


@contextlib.asynccontextmanager
async def chromium(base_url: str, *, javascript: bool = True) -> AsyncIterator[Browser]:
    """Start headless Chromium with a new, empty profile; always quit it and remove the profile."""
    require_chromium()
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager download anything
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="ib-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        f"--window-size={DESKTOP[0]},{DESKTOP[1]}",
    ):
        options.add_argument(flag)
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2}
        )
    driver = await asyncio.to_thread(
        webdriver.Chrome, service=Service(CHROMEDRIVER), options=options
    )
    try:
        yield Browser(driver, base_url)
    finally:
        await asyncio.to_thread(driver.quit)
        shutil.rmtree(profile, ignore_errors=True)
