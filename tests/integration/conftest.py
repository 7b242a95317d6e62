import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import Mosquitto, mosquitto


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    """A real Mosquitto on a free loopback port."""
    with mosquitto(tmp_path) as b:
        yield b


@pytest.fixture
def small_disk(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A 16 MB file system of its own for the spool (tmpfs; root only, as CI runs): room for
    the spool file and its write-ahead log, which grows to 4 MB before a checkpoint."""
    if os.getuid() != 0:
        if os.environ.get("CI"):
            pytest.fail("the full-disk test mounts a tmpfs: CI runs as root")
        pytest.skip("needs root to mount a small file system")
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(disk)], check=True)
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path) -> Path:
    """Write zeros to ``disk`` until it is full; the file written."""
    filler = disk / "filler"
    # Unbuffered: a buffered file would hold the bytes that did not fit and raise ENOSPC
    # again when closed.
    with filler.open("wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 65536)
        except OSError:
            pass
    return filler
