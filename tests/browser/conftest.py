"""Headless Chromium (Debian's chromium + chromium-driver, nothing downloaded) on the real
api-server of tests/airflow_server.py, signed in through the FAB login page.

Fixtures: ``browser`` (one Chromium per module), ``signed_in`` (that browser after signing in
as the admin, at the UI's home page) and ``screenshot`` (saves a PNG under the test's output
folder and prints its path). A further test — e.g. the Required Actions page of a report
waiting for approval — only needs ``signed_in`` and ``status_server``.

Without chromium or chromedriver the tests skip locally and fail in CI (CI=true).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


def service_unavailable(what: str) -> None:
    """Skip locally; in CI a missing browser is a failure, never a silent skip."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required in CI but unavailable")
    pytest.skip(f"{what} unavailable")

CHROMIUM = Path(os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
WAIT = 60


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.is_file():
            service_unavailable(f"{path} (apt-get install chromium chromium-driver)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        service_unavailable("selenium (requirements-dev.txt)")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1400,1000", "--lang=zh-CN",
                f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def signed_in(browser, status_server):
    """The browser, signed in as the admin on the FAB login page, at the UI's home page."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(status_server.url + "/")
    wait = WebDriverWait(browser, WAIT)
    wait.until(ec.presence_of_element_located((By.NAME, "username")))
    assert "/auth/login" in browser.current_url, browser.current_url
    browser.find_element(By.NAME, "username").send_keys("admin")
    password = browser.find_element(By.NAME, "password")
    password.send_keys(status_server.passwords["admin"])
    password.submit()
    wait.until(lambda d: "/auth/login" not in d.current_url)
    return browser


@pytest.fixture
def screenshot(browser, tmp_path):
    folder = tmp_path / "screenshots"
    folder.mkdir()

    def save(name: str) -> Path:
        path = folder / f"{name}.png"
        assert browser.save_screenshot(str(path)), path
        print(f"\nscreenshot: {path}")
        return path

    save.folder = folder
    return save


@pytest.fixture(autouse=True)
def _keep_screenshots_on_failure(request, tmp_path):
    yield
    if os.environ.get("BROWSER_SCREENSHOTS"):
        target = Path(os.environ["BROWSER_SCREENSHOTS"])
        target.mkdir(parents=True, exist_ok=True)
        for png in (tmp_path / "screenshots").glob("*.png"):
            shutil.copy(png, target / png.name)
