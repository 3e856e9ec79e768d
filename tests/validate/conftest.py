"""Shared fixtures for the validation tests."""
from __future__ import annotations

import pytest

from county_reports.core.catalog import load_catalog
from county_reports.validate.options import load_options


@pytest.fixture(scope="session")
def vcatalog():
    return load_catalog()


@pytest.fixture(scope="session")
def voptions():
    return load_options()
