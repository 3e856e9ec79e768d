"""endpoint_policy.py: plain http:// only to loopback or a host the admins list."""
from __future__ import annotations

import pytest

from county_reports.core.endpoint_policy import plain_http_problem


@pytest.mark.parametrize("url", [
    "https://units.example.cn/ts01", "http://127.0.0.1:8765/units/TS01", "http://127.8.0.1/x",
    "http://localhost:80/", "http://LOCALHOST./x", "http://[::1]:9/x", "HTTPS://a.example/"])
def test_allowed(url):
    assert plain_http_problem(url, {}) is None


@pytest.mark.parametrize("url", ["http://units.example.cn/ts01", "http://10.0.0.5/x", "http:///x",
                                 "http://localhost.evil.example/"])
def test_plain_http_elsewhere_is_refused(url):
    problem = plain_http_problem(url, {})
    assert problem and "https://" in problem and repr(url) in problem


def test_listed_hosts_may_use_http():
    env = {"COUNTY_REPORTS_PLAIN_HTTP_HOSTS": " simulator , Other.Host"}
    assert plain_http_problem("http://simulator:8765/units/TS01", env) is None
    assert plain_http_problem("http://other.host/", env) is None
    assert plain_http_problem("http://simulator2/", env) is not None
    # an empty list entry never allows a URL without a host
    assert plain_http_problem("http:///x", {"COUNTY_REPORTS_PLAIN_HTTP_HOSTS": "a,,b"}) is not None


def test_unreadable_url():
    assert "not a valid URL" in plain_http_problem("http://[::1/x", {})


def test_reads_the_process_environment(monkeypatch):
    monkeypatch.setenv("COUNTY_REPORTS_PLAIN_HTTP_HOSTS", "simhost")
    assert plain_http_problem("http://simhost/") is None
    monkeypatch.delenv("COUNTY_REPORTS_PLAIN_HTTP_HOSTS")
    assert plain_http_problem("http://simhost/") is not None
