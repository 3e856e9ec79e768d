"""archive.py: the content-addressed archive of everything received."""
from __future__ import annotations

from county_reports.core import archive


def test_archive_never_overwrites(tmp_path):
    first = archive.store(tmp_path, b'{"a": 1}')
    inode = first.path.stat().st_ino
    again = archive.store(tmp_path, b'{"a": 1}')
    assert first == again and first.path.stat().st_ino == inode
    assert first.path.read_bytes() == b'{"a": 1}'
    assert first.path.stat().st_mode & 0o222 == 0      # read-only once written
