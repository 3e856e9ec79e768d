"""Atomic file writes for every file another step reads (verdicts, sidecars, workbooks, reports).

A reader sees the old file or the new one, never a torn one: the bytes go to a temporary file in
the same folder, are flushed to disk, and the temporary file is renamed over the target. On an
object store (``paths.is_remote``) one PUT is already all-or-nothing, so the object is written
directly. A full or read-only data folder raises `DataFolderError`, naming the path and the
cause, and leaves the previous file (if any) in place. Files are the owner's alone (0600) and
the folders made for them 0700 (``paths.make_folder``) on a host install.
"""
from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from county_reports.core import paths


class DataFolderError(OSError):
    """The data folder refused a write: full, read-only, or missing. The message names the path."""

    def __init__(self, path: paths.DataPath, cause: OSError):
        reason = {errno.ENOSPC: "no space left on the device",
                  errno.EDQUOT: "disk quota exceeded",
                  errno.EROFS: "the file system is read-only",
                  errno.EACCES: "permission denied",
                  errno.EPERM: "permission denied"}.get(cause.errno, cause.strerror or type(cause).__name__)
        super().__init__(cause.errno, f"cannot write {path}: {reason}")
        self.path = path
        self.cause = cause


def write_bytes(path: paths.DataPath, data: bytes, *, mode: int = paths.FILE_MODE,
                overwrite: bool = True) -> paths.DataPath:
    """Write `data` to `path` atomically (owner-only by default); create the folder if needed.
    ``overwrite=False``: a file already at `path` is kept (hard-linked into place, never renamed
    over: for content-addressed files another writer may have put there first)."""
    path = paths.location(path)
    if paths.is_remote(path):
        try:
            path.write_bytes(data)
        except OSError as exc:
            raise DataFolderError(path, exc) from exc
        return path
    tmp_name = None
    try:
        paths.make_folder(path.parent)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp_name, mode)
        if overwrite:
            os.replace(tmp_name, path)
            tmp_name = None
        else:
            with contextlib.suppress(FileExistsError):   # link() fails if the file is there already
                os.link(tmp_name, path)
    except OSError as exc:
        raise DataFolderError(path, exc) from exc
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
    return path


def write_text(path: paths.DataPath, text: str, *, encoding: str = "utf-8") -> paths.DataPath:
    return write_bytes(path, text.encode(encoding))


def append_lines(path: paths.DataPath, lines: list[str]) -> None:
    """Append text lines to a log file with one writer (the reminder and mailbox histories: one
    task of a DAG that runs one at a time). An object store has no append: the object is read
    and written again whole, which is safe only because there is one writer."""
    path = paths.location(path)
    text = "".join(line.rstrip("\n") + "\n" for line in lines)
    try:
        if paths.is_remote(path):
            before = path.read_text(encoding="utf-8") if path.exists() else ""
            path.write_text(before + text, encoding="utf-8")
            return
        paths.make_folder(path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, paths.FILE_MODE)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise DataFolderError(path, exc) from exc
