"""Files that hold secrets or data: created readable by their owner only, whatever the umask."""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE = 0o600


def create_private(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists (an existing file keeps its mode,
    so a site's 0640 with a group stays). SQLite gives a database's -wal and -shm files the
    database's own mode."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE)
    except FileExistsError:
        return
    os.close(fd)
    os.chmod(path, PRIVATE)  # os.open's mode passes through the umask; this one does not


def write_private(path: Path, content: str | bytes) -> None:
    """Write ``content`` to a new or existing file that only its owner can read."""
    path.parent.mkdir(parents=True, exist_ok=True)
    create_private(path)
    os.chmod(path, PRIVATE)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
