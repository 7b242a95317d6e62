"""A private Mosquitto broker on a free loopback port (the demo's MQTT, and the tests')."""

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
    port: int,
    proc: subprocess.Popen[bytes] | subprocess.Popen[str] | None = None,
    timeout_s: float = 15.0,
) -> None:
    """Block until 127.0.0.1:port accepts connections, or fail with the server's output."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raw = proc.stdout.read() if proc.stdout else ""
            out = raw.decode(errors="replace") if isinstance(raw, bytes) else raw
            raise RuntimeError(f"server exited with {proc.returncode}: {out}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout_s} s")


def find_binary(name: str) -> str | None:
    """Path of a server binary on PATH or in the Debian locations."""
    return shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if Path(p).exists()), None
    )


@dataclass
class Mosquitto:
    """A running Mosquitto broker."""

    port: int
    proc: subprocess.Popen[bytes]
    conf: Path
    binary: str

    def stop(self) -> None:
        """Stop the broker."""
        self.proc.terminate()
        self.proc.wait(timeout=10)

    def start(self) -> None:
        """Start (again) on the same port."""
        self.proc = _spawn(self.binary, self.conf)
        wait_port(self.port, self.proc)


def _spawn(binary: str, conf: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [binary, "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


@contextmanager
def mosquitto(
    workdir: Path, binary: str, listener_options: str = "", anonymous: bool = True
) -> Iterator[Mosquitto]:
    """Mosquitto on a free loopback port, persisting under ``workdir``, for the block;
    ``listener_options`` are lines for its listener (TLS, a password file, say)."""
    port = free_port()
    conf = workdir / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\n{listener_options}"
        f"allow_anonymous {'true' if anonymous else 'false'}\npersistence true\n"
        f"persistence_location {workdir}/\nlog_dest stdout\n"
    )
    broker = Mosquitto(port, _spawn(binary, conf), conf, binary)
    try:
        wait_port(port, broker.proc)
        yield broker
    finally:
        if broker.proc.poll() is None:
            broker.stop()
