"""Faults: every reading the gateway took in is stored exactly once, whatever breaks."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from edge.forward.spool import Spool
from simulators.engine import Simulation
from simulators.live import LiveSimulator
from tests.integration.gateway_stack import (
    Cloud,
    campus,
    cloud,
    live_config,
    running,
    until,
    write_configs,
)
from tests.servers import Mosquitto, free_port, wait_port

pytestmark = pytest.mark.integration
GATEWAY = "north-library"


def _fast(doc: dict) -> None:  # type: ignore[type-arg]
    doc["uplink"]["historical_after_s"] = 1.0
    doc["uplink"]["batch_max"] = 500


def assert_exactly_once(c: Cloud, spool: Path) -> int:
    """Stored batches cover sequence numbers 1..N once each, N being the spool's last."""
    sp = Spool(spool, GATEWAY, 10**9, 365, "drop_oldest")
    try:
        last, waiting, parked = sp.last_seq(), sp.depth, sp.letters.listed()
    finally:
        sp.close()
    assert parked == [] and waiting == 0
    ranges = sorted((b[2], b[3], b[1]) for b in c.stored_batches(GATEWAY))
    expected_first = 1
    for first, end, count in ranges:
        assert first == expected_first, f"gap or overlap at {expected_first}: batch {first}-{end}"
        assert count == end - first + 1
        expected_first = end + 1
    assert expected_first == last + 1
    return int(last)


async def _sim_running(live: LiveSimulator) -> asyncio.Task[None]:
    return asyncio.create_task(live.run())


async def test_cloud_outage_loses_and_duplicates_nothing(broker: Mosquitto, tmp_path: Path) -> None:
    fleet = campus()
    port = free_port()
    cfg_live = live_config(fleet, broker.port).model_copy(update={"speed": 60.0, "tick_s": 0.05})
    with cloud(tmp_path, [GATEWAY, "north-science"], port=port) as c:
        async with LiveSimulator(Simulation(fleet), cfg_live) as live:
            sim_task = await _sim_running(live)
            paths = write_configs(fleet, live, broker.port, c.server.url, c.tokens, tmp_path, _fast)
            async with running(paths[GATEWAY]) as gw:
                await until(lambda: gw.metrics.sent._value.get() > 200, 15, "first batches")
                c.server.stop()
                await asyncio.sleep(3.0)
                assert gw.spool.depth > 0, "readings wait in the spool while the cloud is away"
                assert gw.uplink.last_error is not None
                with cloud(tmp_path, [], port=port):
                    await until(lambda: gw.spool.depth < 200, 30, "the backlog to drain")
                    gw.stop()
                    await asyncio.sleep(0)
                    await until(gw.finished.is_set, 30, "the final flush and stop")
            # The gateway held its spool exclusively until it stopped.
            n = assert_exactly_once(c, paths[GATEWAY].parent / f"{GATEWAY}.spool.db")
            sim_task.cancel()
    assert n > 500
    historical = [b for b in c.stored_batches()]
    assert historical  # batches recorded; the historical flag is checked below
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from cloud.db import make_engine
    from cloud.tables import IngestedBatch

    with Session(make_engine(f"sqlite:///{tmp_path}/pw.db")) as s:
        flags = list(s.scalars(select(IngestedBatch.historical)))
    assert any(flags) and not all(flags), "replayed batches are marked historical, live ones not"


def _gateway_process(path: Path, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "plantwatch.cli", "gateway", "run", str(path)],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        env={**os.environ},
    )


async def test_sigkill_mid_stream_then_restart_loses_nothing(
    broker: Mosquitto, tmp_path: Path
) -> None:
    fleet = campus()
    health = free_port()
    cfg_live = live_config(fleet, broker.port).model_copy(update={"speed": 60.0, "tick_s": 0.05})

    def tweak(doc: dict) -> None:  # type: ignore[type-arg]
        _fast(doc)
        doc["health"]["port"] = health

    with cloud(tmp_path, [GATEWAY, "north-science"]) as c:
        async with LiveSimulator(Simulation(fleet), cfg_live) as live:
            sim_task = await _sim_running(live)
            paths = write_configs(fleet, live, broker.port, c.server.url, c.tokens, tmp_path, tweak)
            log = tmp_path / "gateway.log"
            proc = _gateway_process(paths[GATEWAY], log)
            try:
                await asyncio.to_thread(wait_port, health, proc, 30)
                await asyncio.sleep(3.0)
                proc.send_signal(signal.SIGKILL)
                proc.wait(10)
                await asyncio.sleep(1.0)  # the sensors go on while the gateway is dead
                proc = _gateway_process(paths[GATEWAY], log)
                await asyncio.to_thread(wait_port, health, proc, 30)
                async with httpx.AsyncClient() as h:
                    await asyncio.sleep(3.0)
                    status = (await h.get(f"http://127.0.0.1:{health}/healthz")).json()
                assert status["ok"]
                # SIGHUP with a broken file keeps the running config; a good file is applied.
                good = paths[GATEWAY].read_text()
                paths[GATEWAY].write_text(good.replace("interval_s: 0.25", "interval_s: oops", 1))
                proc.send_signal(signal.SIGHUP)
                await asyncio.sleep(1.0)
                paths[GATEWAY].write_text(
                    good.replace("max_interval_s: 300", "max_interval_s: 200")
                )
                proc.send_signal(signal.SIGHUP)
                await asyncio.sleep(1.0)
                async with httpx.AsyncClient() as h:
                    metrics = (await h.get(f"http://127.0.0.1:{health}/metrics")).text
                proc.send_signal(signal.SIGTERM)
                code = await asyncio.to_thread(proc.wait, 30)
            finally:
                if proc.poll() is None:  # never leave a gateway behind a failed test
                    proc.kill()
                    proc.wait(10)
            sim_task.cancel()
        text = log.read_text()
        assert code == 0, text[-2000:]
        assert 'plantwatch_gateway_config_reloads_total{result="rejected"} 1.0' in metrics
        assert 'plantwatch_gateway_config_reloads_total{result="applied"} 1.0' in metrics
        assert "reload refused" in text and "interval_s" in text
        n = assert_exactly_once(c, paths[GATEWAY].parent / f"{GATEWAY}.spool.db")
    assert n > 300


async def test_broker_restart_and_malformed_messages(broker: Mosquitto, tmp_path: Path) -> None:
    fleet = campus()
    cfg_live = live_config(fleet, broker.port).model_copy(update={"speed": 60.0, "tick_s": 0.05})
    with cloud(tmp_path, [GATEWAY, "north-science"]) as c:
        async with LiveSimulator(Simulation(fleet), cfg_live) as live:
            sim_task = await _sim_running(live)
            paths = write_configs(fleet, live, broker.port, c.server.url, c.tokens, tmp_path, _fast)
            async with running(paths[GATEWAY]) as gw:
                mqtt = gw.metrics.mqtt_messages
                await until(
                    lambda: mqtt.labels("campus-broker", "ok")._value.get() > 10,
                    15,
                    "MQTT readings",
                )
                # Garbage on a subscribed topic is refused, counted, and changes nothing else.
                import paho.mqtt.publish as publish

                topic = "north/library/plant-b1/north-library-plant-b1-pump-1/telemetry"
                for payload in (
                    b"{not json",
                    b'{"ts": "yesterday", "vibration_rms": 1}',
                    b'{"vibration_rms": "high"}',
                    b"[1, 2]",
                    b"[" * 50_000 + b"]" * 50_000,  # deeper than the JSON parser recurses
                ):
                    await asyncio.to_thread(
                        publish.single,
                        topic,
                        payload,
                        qos=1,
                        hostname="127.0.0.1",
                        port=broker.port,
                    )
                await until(
                    lambda: mqtt.labels("campus-broker", "malformed")._value.get() >= 5,
                    10,
                    "malformed messages counted",
                )
                # Messages that parse but that the cloud would refuse are left at the edge
                # (counted), so no batch of good readings is refused because of them.
                stranger = topic.replace("north-library-plant-b1-pump-1", "north-library-x-9")
                for where, payload in (
                    (stranger, b'{"vibration_rms": 1.5}'),
                    (topic, b'{"ts": 4102444800000, "vibration_rms": 1.5}'),  # 2100
                    (topic, b'{"ts": 1000, "vibration_rms": 1.5}'),  # 1970
                ):
                    await asyncio.to_thread(
                        publish.single,
                        where,
                        payload,
                        qos=1,
                        hostname="127.0.0.1",
                        port=broker.port,
                    )
                refused = gw.metrics.refused
                await until(
                    lambda: (
                        refused.labels("unknown_asset")._value.get() == 1
                        and refused.labels("bad_timestamp")._value.get() == 2
                    ),
                    10,
                    "refusals counted at the edge",
                )
                await asyncio.to_thread(broker.stop)
                await until(lambda: not gw.listeners[0].connected, 10, "the disconnect")
                await asyncio.sleep(1.0)
                await asyncio.to_thread(broker.start)
                before = mqtt.labels("campus-broker", "ok")._value.get()
                await until(lambda: gw.listeners[0].connected, 20, "the reconnect")
                await until(
                    lambda: mqtt.labels("campus-broker", "ok")._value.get() > before + 10,
                    20,
                    "MQTT readings after the restart",
                )
                await until(lambda: gw.spool.depth < 100, 20, "the spool to drain")
            sim_task.cancel()
        n = assert_exactly_once(c, paths[GATEWAY].parent / f"{GATEWAY}.spool.db")
    assert n > 100


async def test_dead_device_is_quarantined_and_neighbours_keep_their_rate(
    broker: Mosquitto, tmp_path: Path
) -> None:
    fleet = campus()
    cfg_live = live_config(fleet, broker.port).model_copy(update={"speed": 60.0, "tick_s": 0.05})
    with cloud(tmp_path, [GATEWAY, "north-science"]) as c:
        async with LiveSimulator(Simulation(fleet), cfg_live) as live:
            sim_task = await _sim_running(live)
            paths = write_configs(fleet, live, broker.port, c.server.url, c.tokens, tmp_path, _fast)
            async with running(paths[GATEWAY]) as gw:
                await until(
                    lambda: all(d["polls"] >= 2 for d in gw.links.status()), 15, "first polls"
                )
                link = gw.links.links[0]
                dead, neighbours = link.devices[0], link.devices[1:]
                live.set_offline(dead.cfg.asset, True)
                await until(lambda: dead.online is False, 10, "the device to be declared down")
                # Until it is quarantined the link still tries it in turn (quarantine_after),
                # each try a whole timeout on the shared connection; the rate is measured after.
                await until(lambda: dead.backoff_s > 0, 10, "the device to be quarantined")
                counts, probes = [d.polls for d in neighbours], dead.failures
                t0 = time.monotonic()
                await asyncio.sleep(6.0)
                elapsed = time.monotonic() - t0
                rates = [(d.polls - n) / elapsed for d, n in zip(neighbours, counts, strict=True)]
                nominal = 1 / neighbours[0].cfg.interval_s
                # the dead unit was probed meanwhile, each probe a whole timeout, on a
                # connection of its own: the neighbours kept their grid
                assert dead.failures > probes
                assert min(rates) > 0.9 * nominal, (rates, nominal)
                assert dead.backoff_s > 0, "the dead device is quarantined"
                live.set_offline(dead.cfg.asset, False)
                await until(lambda: dead.online is True, 10, "the device back online")
                await until(lambda: gw.spool.depth < 100, 20, "the spool to drain")
            sim_task.cancel()
        n = assert_exactly_once(c, paths[GATEWAY].parent / f"{GATEWAY}.spool.db")
        states = [
            s.value
            for s in c.samples(live.sim, _t(0), _t(4e9))
            if s.asset == dead.cfg.asset and s.signal == "device_online"
        ]
    assert states[:1] == [1.0] and 0.0 in states and states[-1] == 1.0
    assert n > 100


def _t(seconds: float):  # type: ignore[no-untyped-def]
    from tests.integration.gateway_stack import utc

    return utc(seconds)
