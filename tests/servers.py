"""Start real servers for integration tests on free loopback ports.

A server that cannot start fails the test: integration tests never skip.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(
    port: int, proc: subprocess.Popen[bytes] | None = None, timeout_s: float = 15.0
) -> None:
    """Block until 127.0.0.1:port accepts connections, or fail with the server's output."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
            raise RuntimeError(f"server exited with {proc.returncode}: {out}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout_s} s")


def require(binary: str, package: str) -> str:
    """Path of ``binary``; fail (not skip) when it is missing."""
    path = shutil.which(binary) or next(
        (p for p in (f"/usr/sbin/{binary}", f"/usr/bin/{binary}") if Path(p).exists()), None
    )
    if path is None:
        raise RuntimeError(
            f"{binary} not found: install the Debian package {package} (.ci/run does)"
        )
    return path


@dataclass
class Mosquitto:
    """A running Mosquitto broker."""

    port: int
    proc: subprocess.Popen[bytes]
    conf: Path

    def stop(self) -> None:
        """Stop the broker."""
        self.proc.terminate()
        self.proc.wait(timeout=10)

    def start(self) -> None:
        """Start (again) on the same port."""
        self.proc = _spawn_mosquitto(self.conf)
        wait_port(self.port, self.proc)


def _spawn_mosquitto(conf: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [require("mosquitto", "mosquitto"), "-c", str(conf)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


@contextmanager
def mosquitto(tmp: Path) -> Iterator[Mosquitto]:
    """A Mosquitto broker on a free loopback port, for the duration of the block."""
    port = free_port()
    conf = tmp / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
        f"persistence_location {tmp}/\nlog_dest stdout\n"
    )
    broker = Mosquitto(port, _spawn_mosquitto(conf), conf)
    try:
        wait_port(port, broker.proc)
        yield broker
    finally:
        if broker.proc.poll() is None:
            broker.stop()
