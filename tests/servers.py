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


@dataclass
class Process:
    """A server process on a loopback port."""

    port: int
    proc: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        """Base URL."""
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Terminate and wait."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _vm_args(port: int, data: Path) -> list[str]:
    return [
        require("victoria-metrics", "victoria-metrics"),
        f"-httpListenAddr=127.0.0.1:{port}",
        f"-storageDataPath={data}",
        "-retentionPeriod=100y",
        "-dedup.minScrapeInterval=1ms",
        "-search.latencyOffset=0s",
        "-loggerLevel=ERROR",
    ]


@contextmanager
def victoria_metrics(data: Path) -> Iterator[Process]:
    """VictoriaMetrics on a free loopback port, storing under ``data``."""
    port = free_port()
    proc = subprocess.Popen(_vm_args(port, data), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    vm = Process(port, proc)
    try:
        wait_port(port, proc)
        yield vm
    finally:
        vm.stop()


def restart_victoria_metrics(vm: Process, data: Path) -> None:
    """Start VictoriaMetrics again on the same port after ``vm.stop()``."""
    vm.proc = subprocess.Popen(
        _vm_args(vm.port, data), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    wait_port(vm.port, vm.proc)


def _pg_bin(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if not found:
        raise RuntimeError(f"PostgreSQL {name} not found: install the Debian package postgresql")
    return str(found[-1])


def _as_postgres(cmd: list[str]) -> list[str]:
    import os

    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _wait_accepting(port: int, timeout_s: float = 30.0) -> None:
    """PostgreSQL listens before it accepts sessions ("the database system is starting up")."""
    import psycopg

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            psycopg.connect(
                f"postgresql://postgres@127.0.0.1:{port}/postgres", connect_timeout=2
            ).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@contextmanager
def postgres() -> Iterator[Process]:
    """A throwaway PostgreSQL cluster on a free loopback port (trust auth, user postgres)."""
    import os
    import shutil as sh
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="plantwatch-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        sh.chown(root, "postgres", "postgres")
    init = subprocess.run(
        _as_postgres(
            [
                _pg_bin("initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
            ]
        ),
        capture_output=True,
        text=True,
    )
    if init.returncode != 0:
        raise RuntimeError(f"initdb failed: {init.stdout}{init.stderr}")
    port = free_port()
    proc = subprocess.Popen(
        _as_postgres(
            [
                _pg_bin("postgres"),
                "-D",
                str(data),
                "-p",
                str(port),
                "-k",
                str(root),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
            ]
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    pg = Process(port, proc)
    try:
        wait_port(port, proc)
        _wait_accepting(port)
        yield pg
    finally:
        pg.stop()
        sh.rmtree(root, ignore_errors=True)


@contextmanager
def cloud_server(env: dict[str, str], cwd: Path, port: int | None = None) -> Iterator[Process]:
    """The cloud service under uvicorn in its own process, configured by ``env``."""
    import os
    import sys

    port = port or free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "cloud.asgi:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env={**os.environ, **env},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    server = Process(port, proc)
    try:
        wait_port(port, proc, timeout_s=30)
        yield server
    finally:
        server.stop()
