"""An admin in a real browser: signs in to the Airflow UI (FAB login page), opens
Browse ▸ 报送情况, sees the units × months grid inside the UI, opens one unit's page.

The api-server runs under a base_url with a path (/airflow), as behind a reverse proxy, so the
menu entry's and the pages' relative links are exercised as well. Screenshots go to the test's
output folder (their paths are printed; BROWSER_SCREENSHOTS=folder keeps a copy).
"""
from __future__ import annotations

import pytest

import status_seed

pytestmark = pytest.mark.airflow

WAIT = 60


def test_admin_opens_browse_status_and_a_unit_page(signed_in, status_server, screenshot):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver, wait = signed_in, WebDriverWait(signed_in, WAIT)
    driver.get(status_server.url + "/")
    browse = wait.until(ec.element_to_be_clickable((By.XPATH, "//button[normalize-space()='Browse']")))
    browse.click()
    entry = wait.until(ec.element_to_be_clickable(
        (By.XPATH, "//a[@role='menuitem'][normalize-space()='报送情况']")))
    screenshot("01-browse-menu")
    entry.click()
    wait.until(lambda d: "/airflow/plugin/county-reports" in d.current_url)
    frame = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "iframe[title='报送情况']")))
    driver.switch_to.frame(frame)
    grid = wait.until(ec.presence_of_element_located((By.ID, "grid")))
    heading = driver.find_element(By.TAG_NAME, "h1").text
    assert heading == "清河县交通运输局 · 月报报送情况"
    header = [th.text for th in grid.find_elements(By.CSS_SELECTOR, "tr:first-child th")]
    assert header[-1] == status_seed.PERIOD and len(header) == 13, header
    row = grid.find_element(By.XPATH, ".//tr[th/a[normalize-space()='石桥镇交通运输管理站']]")
    cells = [td.text for td in row.find_elements(By.TAG_NAME, "td")]
    assert cells[-1] == "缺" and cells[-6:-1] == ["✓"] * 5, cells
    driver.switch_to.default_content()
    screenshot("02-status-grid")

    driver.switch_to.frame(frame)
    driver.find_element(By.LINK_TEXT, "河口镇交通运输管理站").click()
    wait.until(ec.presence_of_element_located((By.ID, "months")))
    assert driver.execute_script("return location.pathname") == "/airflow/county-reports/units/TS02"
    assert driver.find_element(By.TAG_NAME, "h1").text.startswith("河口镇交通运输管理站")
    june = driver.find_element(By.ID, f"m{status_seed.PERIOD}")
    text = driver.find_element(By.TAG_NAME, "body").text
    assert "第 2 版 · 接受 · 现行版本" in text and "第 1 版 · 退回" in text
    assert status_seed.REJECTION in text and "已送达" in text
    values = driver.find_elements(By.CSS_SELECTOR, ".version.current table.values tr")
    service = next(tr.text for tr in values if status_seed.INDICATOR in tr.text)
    assert service.endswith(f"{status_seed.RAW} 1,234"), "the value as received and as normalised"
    driver.execute_script("arguments[0].scrollIntoView()", june)
    driver.switch_to.default_content()
    screenshot("03-unit-page")

    driver.switch_to.frame(frame)
    driver.find_element(By.LINK_TEXT, "报送情况").click()       # back to the grid, relative link
    wait.until(ec.presence_of_element_located((By.ID, "grid")))
    driver.find_element(By.LINK_TEXT, status_seed.PERIOD).click()
    wait.until(ec.presence_of_element_located((By.ID, "units")))
    assert driver.execute_script("return location.pathname") == \
        f"/airflow/county-reports/validation/{status_seed.PERIOD}"
    assert "未报送" in driver.find_element(By.ID, "units").text
    driver.switch_to.default_content()
    screenshot("04-validation-report")
