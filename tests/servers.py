"""Start real servers for integration tests on free loopback ports.

A server that cannot start fails the test: integration tests never skip.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from plantwatch.broker import Mosquitto, find_binary, free_port, wait_port
from plantwatch.broker import mosquitto as private_mosquitto

__all__ = ["Mosquitto", "free_port", "mosquitto", "require", "wait_port"]

# The running test's node id and whether it is marked integration (set by tests/conftest.py).
CURRENT_TEST: list[str | bool] = []


def _integration_only(server: str) -> None:
    if CURRENT_TEST and not CURRENT_TEST[1]:
        raise RuntimeError(
            f"{CURRENT_TEST[0]} starts {server} but is not marked integration: "
            "use a server fixture, or import the starter from tests.servers"
        )


def require(binary: str, package: str) -> str:
    """Path of ``binary``; fail (not skip) when it is missing."""
    path = find_binary(binary)
    if path is None:
        raise RuntimeError(
            f"{binary} not found: install the Debian package {package} (.ci/run does)"
        )
    return path


@contextmanager
def mosquitto(tmp: Path, listener_options: str = "", anonymous: bool = True) -> Iterator[Mosquitto]:
    """A Mosquitto broker on a free loopback port, for the duration of the block."""
    _integration_only("Mosquitto")
    binary = require("mosquitto", "mosquitto")
    with private_mosquitto(tmp, binary, listener_options, anonymous) as broker:
        yield broker


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
    _integration_only("VictoriaMetrics")
    port = free_port()
    proc = subprocess.Popen(_vm_args(port, data), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    vm = Process(port, proc)
    try:
        wait_port(port, proc)
        yield vm
    finally:
        vm.stop()


@contextmanager
def influxdb(data: Path) -> Iterator[Process]:
    """InfluxDB 1.x (Debian's influxdb) on free loopback ports, storing under ``data``, with a
    database ``plantwatch``."""
    _integration_only("InfluxDB")
    binary = require("influxd", "influxdb")
    port, rpc = free_port(), free_port()
    data.mkdir(parents=True, exist_ok=True)
    config = data / "influxdb.conf"
    config.write_text(
        f'reporting-disabled = true\nbind-address = "127.0.0.1:{rpc}"\n'
        f'[meta]\n  dir = "{data}/meta"\n'
        f'[data]\n  dir = "{data}/data"\n  wal-dir = "{data}/wal"\n  query-log-enabled = false\n'
        f'[http]\n  bind-address = "127.0.0.1:{port}"\n  log-enabled = false\n'
        "[monitor]\n  store-enabled = false\n"
    )
    proc = subprocess.Popen(
        [binary, "run", "-config", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    server = Process(port, proc)
    try:
        wait_port(port, proc)
        import httpx

        for _ in range(100):  # the HTTP port opens a moment before queries are served
            rsp = httpx.post(f"{server.url}/query", params={"q": "CREATE DATABASE plantwatch"})
            if rsp.status_code == 200:
                break
            time.sleep(0.1)
        rsp.raise_for_status()
        yield server
    finally:
        server.stop()


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
    _integration_only("PostgreSQL")
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
def cloud_server(
    env: dict[str, str], cwd: Path, port: int | None = None, args: tuple[str, ...] = ()
) -> Iterator[Process]:
    """The cloud service under uvicorn in its own process, configured by ``env``."""
    _integration_only("a cloud server")
    import os
    import sys

    port = port or free_port()
    # To a file, not a pipe nobody reads: a full pipe would stall the server, and the file
    # keeps its tracebacks for a failed test (in the test's folder).
    log_path = cwd / f"cloud-{port}.log"
    log = log_path.open("ab")
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
            *args,
        ],
        env={**os.environ, **env},
        cwd=cwd,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = Process(port, proc)
    try:
        try:
            wait_port(port, proc, timeout_s=30)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}{log_path.read_text(errors='replace')}") from exc
        yield server
    finally:
        server.stop()
        log.close()
