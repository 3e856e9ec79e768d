"""A unit's endpoint carries its bearer token and its figures: https:// only, plain http:// only
to this machine (127.0.0.0/8, ::1, localhost). Refused on load for a URL written in units.yaml,
and when the URL is filled from the environment (the pull, the feedback and the reminder then
fail for that unit with the same message)."""
from __future__ import annotations

import shutil

import pytest

from config_copy import edit_yaml
from county_reports.deliver import notify
from county_reports.core import paths
from county_reports.core.catalog import load_catalog
from county_reports.core.config import ConfigError


def _with_base_url(tmp_path, url: str):
    config = tmp_path / "config"
    shutil.copytree(paths.config_dir(), config)

    def change(data):
        [ts03] = [u for u in data["units"] if u["code"] == "TS03"]
        ts03["base_url"] = url
    edit_yaml(config / "units.yaml", change)
    return config


@pytest.mark.parametrize("url", ["http://ts03.qinghe.example/v1", "HTTP://10.0.0.7:8080/units/TS03",
                                 "http://[2001:db8::1]/u", "http://127.0.0.1.evil.example/u"])
def test_plain_http_to_another_host_is_refused_on_load_naming_file_unit_and_key(tmp_path, url):
    with pytest.raises(ConfigError) as refused:
        load_catalog(_with_base_url(tmp_path, url))
    assert str(refused.value).startswith("units.yaml: units.TS03.base_url: ")
    assert "https://" in str(refused.value)


@pytest.mark.parametrize("url", ["https://ts03.qinghe.example/v1", "http://127.0.0.1:8765/units/TS03",
                                 "http://127.8.9.10/u", "http://localhost:1/u", "http://[::1]:9/u"])
def test_https_and_loopback_are_accepted(tmp_path, url):
    assert load_catalog(_with_base_url(tmp_path, url)).unit_by_code["TS03"].endpoint({}) == url.rstrip("/")


def test_a_url_filled_from_the_environment_is_checked_when_used(catalog, tmp_path):
    ts03 = catalog.unit_by_code["TS03"]            # base_url "${COUNTY_REPORTS_SIMULATOR_URL}/units/TS03"
    outside = {"COUNTY_REPORTS_SIMULATOR_URL": "http://simulator:8765"}
    with pytest.raises(ConfigError, match=r"^units\.yaml: units\.TS03\.base_url: .*http://.*refused"):
        ts03.endpoint(outside)
    result = notify.send_feedback(ts03, "2025-06", [{"text": "x"}], "token", environ=outside)
    assert result["delivered"] is False and "units.TS03.base_url" in result["error"]
    # a host the deployment names (compose's demo simulator, on the compose network only)
    named = {**outside, "COUNTY_REPORTS_PLAIN_HTTP_HOSTS": "mail, simulator"}
    assert ts03.endpoint(named) == "http://simulator:8765/units/TS03"
    assert ts03.endpoint({"COUNTY_REPORTS_SIMULATOR_URL": "https://units.example"}) \
        == "https://units.example/units/TS03"
