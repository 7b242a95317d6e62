"""Mutual TLS: a cloud and a broker that ask for a client certificate get the gateway's, and
a gateway without one is turned away (real uvicorn with TLS, real Mosquitto with TLS)."""

from __future__ import annotations

import asyncio
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
import yaml

from edge.config import load_config
from simulators.engine import Simulation
from simulators.live import LiveSimulator
from tests.integration.gateway_stack import (
    campus,
    frozen_clock,
    live_config,
    running,
    until,
    write_configs,
)
from tests.servers import cloud_server, free_port, mosquitto

GATEWAY = "north-library"
CLI = (sys.executable, "-m", "plantwatch.cli")
TOPIC = "north/library/plant-b1/north-library-plant-b1-pump-1/telemetry"


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_certificates(folder: Path) -> None:
    """A private CA, a server certificate for 127.0.0.1 and a client certificate."""
    key = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes")
    _openssl("req", "-x509", *key, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=plantwatch test CA", cwd=folder)  # fmt: skip
    for name, ext in (
        ("server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth"),
        ("client", "extendedKeyUsage=clientAuth"),
    ):
        (folder / f"{name}.ext").write_text(ext + "\n")
        _openssl("req", *key, "-keyout", f"{name}.key", "-out", f"{name}.csr",
                 "-subj", f"/CN=plantwatch {name}", cwd=folder)  # fmt: skip
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                 "-CAcreateserial", "-out", f"{name}.pem", "-days", "2",
                 "-extfile", f"{name}.ext", cwd=folder)  # fmt: skip


def _register(env: dict[str, str], token_file: Path) -> str:
    """Register the gateway with the CLI, its token written to a private file."""
    r = subprocess.run(
        [*CLI, "cloud", "gateway", "create", GATEWAY, "--token-file", str(token_file)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    return token_file.read_text().strip()


def _publish_over_tls(port: int, certs: Path, payload: bytes) -> None:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="pw-tls-sensor")
    client.tls_set(
        ca_certs=str(certs / "ca.pem"),
        certfile=str(certs / "client.pem"),
        keyfile=str(certs / "client.key"),
    )
    client.connect("127.0.0.1", port)
    client.loop_start()
    client.publish(TOPIC, payload, qos=1).wait_for_publish(10)
    client.loop_stop()
    client.disconnect()


@pytest.fixture
def certs() -> Iterator[Path]:
    """Certificates in a folder Mosquitto can read (it drops root for its own user)."""
    folder = Path(tempfile.mkdtemp(prefix="pw-certs-"))
    try:
        make_certificates(folder)
        folder.chmod(0o755)
        for f in folder.iterdir():
            f.chmod(0o644)  # test keys only: the broker's user must read its own
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def test_the_gateway_speaks_mutual_tls_to_the_cloud_and_the_broker(
    tmp_path: Path, certs: Path
) -> None:
    fleet = campus()
    tls_listener = (
        f"cafile {certs}/ca.pem\ncertfile {certs}/server.pem\nkeyfile {certs}/server.key\n"
        "require_certificate true\n"
    )
    cloud_env = {
        "PLANTWATCH_SECRET_KEY": "a-secret-for-the-tls-test",
        "PLANTWATCH_DATABASE_URL": f"sqlite:///{tmp_path}/pw.db",
        "PLANTWATCH_EMBEDDED_TSDB_PATH": str(tmp_path / "ts.db"),
    }
    tls_args = (
        "--ssl-certfile", str(certs / "server.pem"), "--ssl-keyfile", str(certs / "server.key"),
        "--ssl-ca-certs", str(certs / "ca.pem"), "--ssl-cert-reqs", str(int(ssl.CERT_REQUIRED)),
    )  # fmt: skip
    port = free_port()
    token = _register(cloud_env, tmp_path / "gw.token")

    def over_tls(doc: dict) -> None:  # type: ignore[type-arg]
        doc["uplink"]["url"] = f"https://127.0.0.1:{port}"
        for part in (doc["uplink"], doc["mqtt"][0]):
            part.update(
                {
                    "ca_file": str(certs / "ca.pem"),
                    "cert_file": str(certs / "client.pem"),
                    "key_file": str(certs / "client.key"),
                }
            )

    with (
        mosquitto(tmp_path, tls_listener) as broker,
        cloud_server(cloud_env, tmp_path, port=port, args=tls_args),
    ):
        clock = frozen_clock(fleet, 30)
        async with LiveSimulator(Simulation(fleet), live_config(fleet, 9), clock=clock) as live:
            paths = write_configs(
                fleet, live, broker.port, "", {GATEWAY: token, "north-science": token},
                tmp_path, over_tls,
            )  # fmt: skip
            async with running(paths[GATEWAY]) as gw:
                await until(lambda: gw.listeners[0].connected, 15, "MQTT over mutual TLS")
                await asyncio.to_thread(
                    _publish_over_tls, broker.port, certs, b'{"vibration_rms": 4.25}'
                )
                ok = gw.metrics.mqtt_messages.labels("campus-broker", "ok")
                await until(lambda: ok._value.get() >= 1, 10, "the TLS sensor's message")
                await until(lambda: gw.metrics.sent._value.get() > 20, 20, "HTTPS uplink")
            # Without its certificate the gateway is turned away by both servers.
            doc = yaml.safe_load(paths[GATEWAY].read_text())
            for part in (doc["uplink"], doc["mqtt"][0]):
                del part["cert_file"], part["key_file"]
            doc["spool"]["path"] = str(tmp_path / "no-cert.spool.db")
            bare = tmp_path / "no-cert.yaml"
            bare.write_text(yaml.safe_dump(doc, sort_keys=False))
            load_config(bare)
            async with running(bare) as gw:
                await asyncio.sleep(3.0)
                assert not gw.listeners[0].connected
                assert gw.metrics.sent._value.get() == 0 and gw.uplink.last_error is not None
