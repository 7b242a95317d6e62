"""The gateway's sources of readings: Modbus links, BACnet networks and MQTT brokers, each a
task; started from a config and, on reload, stopped or started where the config changed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from edge.acquire.bacnet_link import BacnetLink
from edge.acquire.modbus_poller import LinkSet, ModbusLink
from edge.acquire.mqtt_listener import MqttListener
from edge.acquire.plan import Plans
from edge.config import LoadedConfig
from edge.metrics import EdgeMetrics
from edge.tasks import NamedTasks


class Sources:
    """Every running source, and the tasks they run in."""

    def __init__(
        self,
        tasks: NamedTasks,
        emit: Callable[..., None],
        metrics: EdgeMetrics,
        room: Callable[[], Awaitable[None]],
    ) -> None:
        self.tasks, self.emit, self.metrics, self.room = tasks, emit, metrics, room
        self.links = LinkSet()
        self.listeners: list[MqttListener] = []
        self.bacnet: list[BacnetLink] = []

    def start_missing(self, cfg: LoadedConfig) -> None:
        """Start every source of ``cfg`` that is not running."""
        plans = Plans()
        for link in cfg.gateway.links:
            if f"link:{link.name}" not in self.tasks:
                poller = ModbusLink(link, cfg.profiles, self.emit, self.metrics, self.room, plans)
                self.links.links.append(poller)
                self.tasks.start(f"link:{link.name}", poller.run())
        for src in cfg.gateway.mqtt:
            if f"mqtt:{src.name}" not in self.tasks:
                listener = MqttListener(src, self.emit, self.metrics)
                self.listeners.append(listener)
                self.tasks.start(f"mqtt:{src.name}", listener.run())
        for net in cfg.gateway.bacnet:
            if f"bacnet:{net.name}" not in self.tasks:
                reader = BacnetLink(net, cfg.bacnet_profiles, self.emit, self.metrics, self.room)
                self.bacnet.append(reader)
                self.tasks.start(f"bacnet:{net.name}", reader.run())

    async def stop_changed(self, old: LoadedConfig, new: LoadedConfig) -> None:
        """Stop every source that the new config changes (or its profiles do)."""
        new_links = {link.name: link for link in new.gateway.links}
        for link in old.gateway.links:
            if new_links.get(link.name) != link or any(
                old.profiles[d.profile] != new.profiles.get(d.profile) for d in link.devices
            ):
                await self.tasks.stop(f"link:{link.name}")
                self.links.links = [x for x in self.links.links if x.link.name != link.name]
        new_mqtt = {m.name: m for m in new.gateway.mqtt}
        for src in old.gateway.mqtt:
            if new_mqtt.get(src.name) != src:
                await self.tasks.stop(f"mqtt:{src.name}")
                self.listeners = [m for m in self.listeners if m.source.name != src.name]
        new_nets = {net.name: net for net in new.gateway.bacnet}
        for net in old.gateway.bacnet:
            if new_nets.get(net.name) != net or any(
                old.bacnet_profiles[d.profile] != new.bacnet_profiles.get(d.profile)
                for d in net.devices
            ):
                await self.tasks.stop(f"bacnet:{net.name}")
                self.bacnet = [b for b in self.bacnet if b.net.name != net.name]

    async def stop_all(self) -> None:
        """Stop every source."""
        for name in self.tasks.names():
            if name.startswith(("link:", "mqtt:", "bacnet:")):
                await self.tasks.stop(name)

    def status(self) -> dict[str, Any]:
        """Per-device and per-broker status for the health endpoint."""
        return {
            "devices": self.links.status(),
            "bacnet": [d for link in self.bacnet for d in link.status()],
            "mqtt": [{"source": m.source.name, "connected": m.connected} for m in self.listeners],
        }
