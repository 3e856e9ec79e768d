"""A real S3 API server on 127.0.0.1 for the data folder in a bucket: moto's server mode, started
as its own process (``python -m moto.server``), one bucket per test.

``S3Server.environ(bucket)`` is what a process needs to use the bucket as its data folder: the
standard AWS variables (endpoint, keys, region) and ``COUNTY_REPORTS_DATA=s3://<bucket>/data``.
Needs moto (requirements-dev.txt): skipped locally without it, a failure in CI.
"""
from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time

import pytest

ACCESS_KEY, SECRET_KEY, REGION = "county-test", "county-test-secret", "us-east-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class S3Server:
    def __init__(self, log_path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = open(log_path, "wb")  # noqa: SIM115  (the server writes it until stop())
        self.proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                                     stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise AssertionError(f"moto server did not start (see {log_path})") from None
                time.sleep(0.1)

    def credentials(self) -> dict[str, str]:
        return {"AWS_ENDPOINT_URL": self.url, "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_DEFAULT_REGION": REGION}

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.url, aws_access_key_id=ACCESS_KEY,
                            aws_secret_access_key=SECRET_KEY, region_name=REGION)

    def new_bucket(self) -> str:
        name = f"county-{secrets.token_hex(4)}"
        self.client().create_bucket(Bucket=name)
        return name

    def environ(self, bucket: str) -> dict[str, str]:
        return {**self.credentials(), "COUNTY_REPORTS_DATA": f"s3://{bucket}/data"}

    def keys(self, bucket: str) -> list[str]:
        """Every object key in the bucket (what the workers left there)."""
        keys = []
        for page in self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket):
            keys += [o["Key"] for o in page.get("Contents", [])]
        return sorted(keys)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()


def local_paths_in(value, *roots) -> list[str]:
    """Every string in ``value`` (nested dicts and lists, as XComs are) that names a place on one
    machine's disk: an absolute path, a ``file:`` URL, or anything under one of ``roots``."""
    if isinstance(value, str):
        local = value.startswith(("/", "file:")) or any(str(r) in value for r in roots)
        return [value] if local else []
    items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else []
    return [s for item in items for s in local_paths_in(item, *roots)]


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    try:
        import boto3  # noqa: F401
        import moto.server  # noqa: F401
        import s3fs  # noqa: F401
    except ImportError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{exc.name} is required in CI: pip install -r requirements-dev.txt")
        pytest.skip(f"{exc.name} not installed")
    server = S3Server(tmp_path_factory.mktemp("moto") / "moto.log")
    yield server
    server.stop()


@pytest.fixture
def s3_data(s3_server, monkeypatch, tmp_path):
    """This process's data folder in a fresh bucket (the warehouse stays a local SQLite file:
    the bucket holds files, not the database)."""
    bucket = s3_server.new_bucket()
    for name, value in s3_server.environ(bucket).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("COUNTY_REPORTS_DB_URL", f"sqlite:///{tmp_path / 'warehouse.db'}")
    from county_reports.core import paths

    return paths.data_dir()
