"""Writes that survive a crash: data on disk before a rename, and the rename itself on disk."""

from __future__ import annotations

import os
from pathlib import Path


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries (a rename into it) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    """Flush a file's contents to disk."""
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def write_file(path: Path, data: bytes) -> None:
    """Write `data` to `path` and flush it to disk."""
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def replace(src: Path, dst: Path) -> None:
    """Rename `src` over `dst` atomically and flush the rename to disk (`src` must be flushed)."""
    os.replace(src, dst)
    fsync_dir(dst.parent)
