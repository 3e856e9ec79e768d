"""Content-addressed archive of every raw payload, written before anything tries to parse it.

A file's name is the SHA-256 of its bytes, so the same bytes are stored once and a stored file
is never overwritten: whatever a unit sent can always be read back exactly as it arrived. On an
object store the object is put whole, only when its key is not there yet.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from county_reports.core import atomic, paths


@dataclass(frozen=True)
class Archived:
    sha256: str
    path: paths.DataPath
    size: int


def archive_root(data_dir: paths.DataPath) -> paths.DataPath:
    return paths.raw(data_dir)


def path_for(data_dir: paths.DataPath, sha256: str) -> paths.DataPath:
    return archive_root(data_dir) / sha256[:2] / sha256


def store(data_dir: Path, raw: bytes) -> Archived:
    """Keep ``raw`` under its SHA-256. A full or read-only data folder raises ``DataFolderError``
    (naming the path and the cause): the caller must fail loudly, the bytes are not kept."""
    digest = hashlib.sha256(raw).hexdigest()
    target = path_for(data_dir, digest)
    if not _present(target):
        # never rewritten (another writer's identical bytes are kept), read by the service's user alone
        atomic.write_bytes(target, raw, mode=0o400, overwrite=False)
    return Archived(digest, target, len(raw))


def _present(target: paths.DataPath) -> bool:
    """Whether the bytes are archived already; an object store that cannot answer is the data
    folder's fault (``DataFolderError``), as a write it refuses."""
    if not paths.is_remote(target):
        return target.exists()
    try:
        return target.exists()
    except OSError as exc:
        raise atomic.DataFolderError(target, exc) from exc


def read(data_dir: Path, sha256: str) -> bytes:
    return path_for(data_dir, sha256).read_bytes()
