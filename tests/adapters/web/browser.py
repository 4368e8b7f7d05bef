"""A real browser for the web pages: Debian's headless Chromium driven by Selenium.

Selenium's calls block, and the server under test runs on the test's own event loop, so every
call goes through a worker thread (`await browser.get(url)`). The driver is Debian's
chromium-driver, which matches the installed browser; Selenium Manager is never asked to
download anything (SE_OFFLINE).
"""
from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("KASUHARA_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("KASUHARA_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")
PHONE = (390, 844)  # CSS pixels of a common phone; the pages must work at this width
# Without the background-networking flags Chromium phones home at start and its connections
# are refused here, which slows or breaks start-up; the pages themselves need no network.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--lang=ja")
SCREENSHOTS = Path(os.environ.get("KASUHARA_SCREENSHOTS", Path(tempfile.gettempdir()) / "kasuhara-screenshots"))


_starting: Future | None = None


def start_in_background() -> None:
    """Start the session's Chromium in a worker thread while other tests run (it takes seconds).

    tests/conftest.py calls this once the collected tests are known to use the browser;
    `session_browser` then takes it (or starts one itself). A browser nobody took is quit at exit.
    """
    global _starting
    if _starting is None and Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists():
        pool = ThreadPoolExecutor(1, thread_name_prefix="chromium")
        _starting = pool.submit(Browser)
        pool.shutdown(wait=False)
        atexit.register(_quit_unused)


def session_browser() -> "Browser":
    """The session's browser: the one started in the background, else a new one."""
    global _starting
    starting, _starting = _starting, None
    return starting.result() if starting is not None else Browser()


def _quit_unused() -> None:
    if _starting is not None and _starting.done() and _starting.exception() is None:
        browser = _starting.result()
        browser.driver.quit()
        shutil.rmtree(browser._profile, ignore_errors=True)


def require_chromium() -> None:
    """Skip when the browser is missing (fail in CI, where .ci/run installs it)."""
    if Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists():
        return
    message = f"no {CHROMIUM} / {CHROMEDRIVER}: apt-get install chromium chromium-driver"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


class Browser:
    """One headless Chromium at a phone-sized window, with async wrappers for the tests."""

    def __init__(self, size: tuple[int, int] = PHONE):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        os.environ.setdefault("SE_OFFLINE", "true")
        self._profile = tempfile.mkdtemp(prefix="kasuhara-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in (*FLAGS, f"--user-data-dir={self._profile}", f"--window-size={size[0]},{size[1]}"):
            options.add_argument(flag)
        self.driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
        self.driver.set_page_load_timeout(30)
        # --window-size includes no browser chrome in headless mode; make the viewport exact.
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": True})

    @classmethod
    async def open(cls, size: tuple[int, int] = PHONE) -> "Browser":
        return await asyncio.to_thread(cls, size)

    async def close(self) -> None:
        await asyncio.to_thread(self.driver.quit)
        shutil.rmtree(self._profile, ignore_errors=True)

    async def run(self, fn, *args):
        return await asyncio.to_thread(fn, *args)

    # -- navigation and reading --------------------------------------------------------------
    async def get(self, url: str) -> None:
        await self.run(self.driver.get, url)

    @property
    def url(self) -> str:
        return self.driver.current_url

    async def text(self) -> str:
        return await self.run(self._retry, lambda: self.driver.find_element("tag name", "body").text)

    def _retry(self, read):
        """Read the page; retry when Chromium is still swapping the document in (a new page just loaded)."""
        from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

        for attempt in range(5):
            try:
                return read()
            except (StaleElementReferenceException, WebDriverException):
                if attempt == 4:
                    raise
                time.sleep(0.2)

    async def title(self) -> str:
        return await self.run(lambda: self.driver.title)

    async def source(self) -> str:
        return await self.run(lambda: self.driver.page_source)

    async def find(self, css: str):
        return await self.run(self.driver.find_element, "css selector", css)

    async def find_all(self, css: str) -> list:
        return await self.run(self.driver.find_elements, "css selector", css)

    async def value(self, css: str) -> str:
        return await self.run(lambda: self.driver.find_element("css selector", css).get_attribute("value"))

    # -- acting ------------------------------------------------------------------------------
    async def fill(self, css: str, text: str) -> None:
        def _fill():
            element = self.driver.find_element("css selector", css)
            element.clear()
            element.send_keys(text)
        await self.run(_fill)

    async def set_value(self, css: str, value: str) -> None:
        """Set an input's value directly (date-time pickers take locale-specific keystrokes)."""
        await self.run(lambda: self.driver.execute_script(
            "arguments[0].value = arguments[1];", self.driver.find_element("css selector", css), value))

    async def select(self, css: str, value: str) -> None:
        from selenium.webdriver.support.select import Select

        await self.run(lambda: Select(self.driver.find_element("css selector", css)).select_by_value(value))

    async def check(self, css: str) -> None:
        def _check():
            element = self.driver.find_element("css selector", css)
            if not element.is_selected():
                self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
                element.click()
        await self.run(_check)

    async def click(self, css: str) -> None:
        """Click a button or link and wait for the page it leads to."""
        def _click():
            element = self.driver.find_element("css selector", css)
            self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
            self._navigate(element.click)
        await self.run(_click)

    def _navigate(self, action) -> None:
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.wait import WebDriverWait

        old = self.driver.find_element("tag name", "html")
        action()
        WebDriverWait(self.driver, 15, ignored_exceptions=(WebDriverException,)).until(
            expected_conditions.staleness_of(old))
        WebDriverWait(self.driver, 15).until(
            lambda d: d.execute_script("return document.readyState") == "complete")

    async def click_text(self, text: str, tag: str = "button") -> None:
        """Click the first `tag` whose visible text contains `text` (what a person sees)."""
        def _click():
            for element in self.driver.find_elements("css selector", tag):
                if text in element.text or text == (element.get_attribute("value") or ""):
                    self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
                    self._navigate(element.click)
                    return
            raise AssertionError(f"no <{tag}> showing {text!r} on {self.driver.current_url}")
        await self.run(_click)

    async def screenshot(self, name: str, *, full: bool = True) -> Path:
        """Save a PNG of the page (the whole page when `full`) under SCREENSHOTS."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"

        def _shot():
            if full:
                height = self.driver.execute_script("return document.documentElement.scrollHeight")
                width = self.driver.execute_script("return document.documentElement.clientWidth")
                self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                            {"width": width, "height": height, "deviceScaleFactor": 1,
                                             "mobile": True})
                try:
                    self.driver.save_screenshot(str(path))
                finally:
                    self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                                {"width": PHONE[0], "height": PHONE[1], "deviceScaleFactor": 1,
                                                 "mobile": True})
            else:
                self.driver.save_screenshot(str(path))
        await self.run(_shot)
        return path

    async def horizontal_overflow(self) -> int:
        """How many CSS pixels the page is wider than the viewport (0 on a phone-friendly page)."""
        return await self.run(lambda: self.driver.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth"))
