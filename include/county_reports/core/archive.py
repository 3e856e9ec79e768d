"""Content-addressed archive of every raw payload, written before anything tries to parse it.

A file's name is the SHA-256 of its bytes, so the same bytes are stored once and a stored file
is never overwritten: whatever a unit sent can always be read back exactly as it arrived. On an
object store the object is put whole, only when its key is not there yet.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from county_reports.core import paths
from county_reports.core.atomic import DataFolderError


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
    if paths.is_remote(target):
        try:
            if not target.exists():
                target.write_bytes(raw)
        except OSError as exc:
            raise DataFolderError(target, exc) from exc
    elif not target.exists():
        tmp = None
        try:
            paths.make_folder(target.parent)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(raw)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o400)       # never rewritten, read by the service's user alone
            # link() fails if another writer got there first; the content is identical anyway.
            with contextlib.suppress(FileExistsError):
                os.link(tmp, target)
        except OSError as exc:
            raise DataFolderError(target, exc) from exc
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
    return Archived(digest, target, len(raw))


def read(data_dir: Path, sha256: str) -> bytes:
    return path_for(data_dir, sha256).read_bytes()
