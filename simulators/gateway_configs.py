"""Gateway configs for a simulated fleet: one gateway per building, as a site would deploy."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kernel.catalogue import active_catalogue
from simulators.config import FleetConfig
from simulators.deployment import Wiring, plain_signals, published_json, wire
from simulators.fleet import Asset, build_fleet

GATEWAY_CONFIG_DIR = Path(__file__).resolve().parent.parent / "gateway_config"


@dataclass(frozen=True)
class Endpoints:
    """Where the gateways find the simulator and the cloud, and where they keep state."""

    modbus_host: str = "127.0.0.1"
    modbus_ports: tuple[int, ...] | None = None  # default: base_port upward
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = 1883
    cloud_url: str = "http://127.0.0.1:8000"
    token_dir: str = "/etc/plantwatch"
    spool_dir: str = "/var/lib/plantwatch"
    bacnet_local: str = "127.0.0.1:0"  # the gateway's own BACnet/IP address
    bacnet_bbmd: str | None = None  # default: the simulator's BBMD at its base port
    health_port: int = 9108
    poll_interval_s: float = 10.0
    profiles_dir: str = "profiles"


def _signals(asset: Asset, names: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    eq = asset.equipment
    return {
        n: {"unit": eq.signal(n).unit, "min": eq.signal(n).lo, "max": eq.signal(n).hi}
        for n in names
    }


def class_defaults() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Local alarms and report-by-exception rules from the catalogue's class files."""
    catalogue = active_catalogue()
    alarms = [
        {
            "name": a.name,
            "signal": a.signal,
            "asset_class": c.name,
            **({"above": a.above} if a.above is not None else {"below": a.below}),
            "hysteresis": a.hysteresis,
            "delay_s": int(a.delay_s) if a.delay_s.is_integer() else a.delay_s,
            "severity": a.severity,
        }
        for c in catalogue
        for a in c.gateway.alarms
    ]
    report: list[dict[str, Any]] = [
        {"asset_class": c.name, "deadband_pct": c.gateway.deadband_pct, "max_interval_s": 300}
        for c in catalogue
        if c.gateway.deadband_pct is not None
    ]
    return alarms, [*report, {"deadband_pct": 0.2, "max_interval_s": 300}]


def gateway_configs(fleet: FleetConfig, ep: Endpoints = Endpoints()) -> dict[str, dict[str, Any]]:
    """Config documents keyed by gateway id (``<site>-<building>``)."""
    assets = build_fleet(fleet)
    wiring = wire(assets, fleet.live.modbus.devices_per_server)
    alarms, report = class_defaults()
    ports = ep.modbus_ports or tuple(fleet.live.modbus.base_port + i for i in range(wiring.servers))
    out: dict[str, dict[str, Any]] = {}
    for site in fleet.sites:
        for building in site.buildings:
            gw_id = f"{site.id}-{building.id}"
            mine = [a for a in assets if a.site.id == site.id and a.building == building.id]
            links: dict[int, dict[str, Any]] = {}
            for a in mine:
                if a.protocol != "modbus":
                    continue
                dev = wiring.device_of(a.id)
                link = links.setdefault(
                    dev.port_index,
                    {
                        "name": f"modbus-{ports[dev.port_index]}",
                        "kind": "tcp",
                        "host": ep.modbus_host,
                        "port": ports[dev.port_index],
                        "timeout_s": 1.0,
                        "retries": 1,
                        "devices": [],
                    },
                )
                modbus_signals = tuple(p.signal for p in dev.profile.points if p.signal)
                link["devices"].append(
                    {
                        "asset": a.id,
                        "profile": dev.profile.model,
                        "unit_id": dev.unit_id,
                        "interval_s": ep.poll_interval_s,
                        "clock_point": "device_clock",
                        "ranges": {
                            n: {"min": v["min"], "max": v["max"]}
                            for n, v in _signals(a, modbus_signals).items()
                        },
                    }
                )
            subs = [
                {
                    "topic": f"{site.id}/{building.id}/+/+/telemetry",
                    "qos": 1,
                    "format": "json",
                    "asset_level": 3,
                    "timestamp_path": "ts",
                    "fields": [
                        {"signal": s, "path": s}
                        for s in sorted({s for a in mine for s in published_json(a)})
                    ],
                }
            ]
            plain = sorted({s for a in mine for s in plain_signals(a.asset_class)})
            subs += [
                {
                    "topic": f"{site.id}/{building.id}/+/+/{s}",
                    "qos": 1,
                    "format": "plain",
                    "asset_level": 3,
                    "signal_level": 4,
                    "timestamp_path": None,
                }
                for s in plain
            ]
            bacnet = _bacnet_network(
                fleet, ep, [a for a in mine if a.protocol == "bacnet"], wiring, len(out)
            )
            out[gw_id] = {
                "id": gw_id,
                "site": site.id,
                "profiles_dir": ep.profiles_dir,
                "assets": [
                    {
                        "id": a.id,
                        "building": a.building,
                        "room": a.room,
                        "asset_class": a.asset_class,
                        "model": a.equipment.model,
                        "install_date": a.install_date.isoformat(),
                        "signals": _signals(
                            a,
                            published_json(a) + plain_signals(a.asset_class),
                        ),
                    }
                    for a in mine
                ],
                "links": [links[k] for k in sorted(links)],
                **({"bacnet": bacnet} if bacnet else {}),
                "mqtt": [
                    {
                        "name": "campus-broker",
                        "host": ep.mqtt_host,
                        "port": ep.mqtt_port,
                        "client_id": f"plantwatch-{gw_id}",
                        "subscriptions": subs,
                    }
                ],
                "alarms": alarms,
                "report": report,
                "uplink": {"url": ep.cloud_url, "token_file": f"{ep.token_dir}/{gw_id}.token"},
                "spool": {"path": f"{ep.spool_dir}/{gw_id}.spool.db"},
                "health": {"host": "127.0.0.1", "port": ep.health_port},
            }
    return out


GATEWAY_INSTANCE = 4190000


def _bacnet_network(
    fleet: FleetConfig, ep: Endpoints, assets: list[Asset], wiring: Wiring, ordinal: int
) -> list[dict[str, Any]]:
    """The gateway's BACnet/IP network: itself a foreign device of the simulator's BBMD,
    finding each device by Who-Is."""
    if not assets:
        return []
    bbmd = ep.bacnet_bbmd or f"{ep.modbus_host}:{fleet.live.bacnet.base_port}"
    devices = []
    for a in assets:
        dev = wiring.bacnet_of(a.id)
        signals = tuple(p.signal for p in dev.profile.objects if p.signal)
        devices.append(
            {
                "asset": a.id,
                "profile": dev.profile.model,
                "instance": dev.instance,
                "interval_s": ep.poll_interval_s,
                "ranges": {
                    n: {"min": v["min"], "max": v["max"]} for n, v in _signals(a, signals).items()
                },
            }
        )
    return [
        {
            "name": "bacnet-campus",
            "local_address": ep.bacnet_local,
            "device_instance": GATEWAY_INSTANCE + ordinal,
            "foreign": {"bbmd": bbmd, "ttl_s": 300},
            "devices": devices,
        }
    ]


def render(doc: dict[str, Any], source: str) -> str:
    """YAML text of a config document with a header naming its source."""
    header = (
        f"# Gateway {doc['id']} for the simulated fleet {source}.\n"
        "# Generated by `python -m simulators.gateway_configs`; edit the generator.\n"
    )
    return header + yaml.safe_dump(doc, sort_keys=False, width=100)


def main() -> None:
    """Write the example configs for the campus fleet into gateway_config/."""
    from simulators.config import load_fleet_config

    fleet_path = Path(__file__).resolve().parent / "fleets" / "campus.yaml"
    for gw_id, doc in gateway_configs(load_fleet_config(fleet_path)).items():
        (GATEWAY_CONFIG_DIR / f"{gw_id}.yaml").write_text(
            render(doc, "simulators/fleets/campus.yaml")
        )


if __name__ == "__main__":
    main()
