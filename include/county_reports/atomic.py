"""Atomic file writes for every file another step reads (verdicts, sidecars, workbooks, reports).

A reader sees the old file or the new one, never a torn one: the bytes go to a temporary file in
the same folder, are flushed to disk, and the temporary file is renamed over the target. A full
or read-only data folder raises `DataFolderError`, naming the path and the cause, and leaves the
previous file (if any) in place.
"""
from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path


class DataFolderError(OSError):
    """The data folder refused a write: full, read-only, or missing. The message names the path."""

    def __init__(self, path: Path, cause: OSError):
        reason = {errno.ENOSPC: "no space left on the device",
                  errno.EDQUOT: "disk quota exceeded",
                  errno.EROFS: "the file system is read-only",
                  errno.EACCES: "permission denied",
                  errno.EPERM: "permission denied"}.get(cause.errno, cause.strerror or type(cause).__name__)
        super().__init__(cause.errno, f"cannot write {path}: {reason}")
        self.path = path
        self.cause = cause


def write_bytes(path: Path, data: bytes, *, mode: int = 0o644) -> Path:
    """Write `data` to `path` atomically; create the folder if needed."""
    path = Path(path)
    tmp_name = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, path)
        tmp_name = None
    except OSError as exc:
        raise DataFolderError(path, exc) from exc
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass
    return path


def write_text(path: Path, text: str, *, encoding: str = "utf-8") -> Path:
    return write_bytes(path, text.encode(encoding))
