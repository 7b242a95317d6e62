"""How each simulated asset is wired: which signals a Modbus device serves, which go over MQTT."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from kernel.bacnet_profiles import BacnetProfile
from kernel.catalogue import active_catalogue
from kernel.profiles import DeviceProfile, Point, load_profiles
from simulators.fleet import Asset

PROFILES_DIR = Path(__file__).resolve().parent.parent / "gateway_config" / "profiles"


def json_signals(asset_class: str) -> tuple[str, ...]:
    """Signals battery-powered wireless sensors publish as JSON (the class file says which)."""
    return tuple(active_catalogue().get(asset_class).simulate.mqtt_json)


def plain_signals(asset_class: str) -> tuple[str, ...]:
    """Signals cheap single-value sensors publish as a plain number, one topic each."""
    return tuple(active_catalogue().get(asset_class).simulate.mqtt_plain)


def published_json(asset: Asset) -> tuple[str, ...]:
    """What an asset publishes as JSON: its wireless sensors' signals, and when its
    controller speaks MQTT (``protocol: mqtt``) every signal but the plain sensors'."""
    if asset.protocol != "mqtt":
        return json_signals(asset.asset_class)
    plain = set(plain_signals(asset.asset_class))
    return tuple(s.name for s in asset.equipment.signals if s.name not in plain)


DEVICE_CLOCK = "device_clock"
MODEL_NAME = "model_name"


def point_source(point: Point) -> str:
    """The simulated quantity behind a point: its signal, or what its name says."""
    if point.signal is not None:
        return point.signal
    return point.name.removeprefix("status_")


@dataclass(frozen=True)
class ModbusDevice:
    """One simulated Modbus device: an asset's controller at a port and unit id."""

    asset: Asset
    profile: DeviceProfile
    port_index: int
    unit_id: int


@dataclass(frozen=True)
class BacnetDevice:
    """One simulated BACnet/IP device: an asset's controller with a device instance."""

    asset: Asset
    profile: BacnetProfile
    instance: int


FIRST_INSTANCE = 10001


@dataclass(frozen=True)
class Wiring:
    """Where every asset's signals can be read live."""

    devices: tuple[ModbusDevice, ...]
    servers: int
    bacnet: tuple[BacnetDevice, ...] = ()

    def device_of(self, asset_id: str) -> ModbusDevice:
        """The Modbus device of an asset."""
        for d in self.devices:
            if d.asset.id == asset_id:
                return d
        raise KeyError(asset_id)

    def bacnet_of(self, asset_id: str) -> BacnetDevice:
        """The BACnet device of an asset."""
        for d in self.bacnet:
            if d.asset.id == asset_id:
                return d
        raise KeyError(asset_id)


def json_topic(asset: Asset, prefix: str = "") -> str:
    """Topic of an asset's JSON telemetry."""
    return f"{prefix}{asset.site.id}/{asset.building}/{asset.room}/{asset.id}/telemetry"


def plain_topic(asset: Asset, signal: str, prefix: str = "") -> str:
    """Topic of one plain-number signal."""
    return f"{prefix}{asset.site.id}/{asset.building}/{asset.room}/{asset.id}/{signal}"


def generated_profile(asset_class: str) -> DeviceProfile:
    """A register map for a class with no profile file: analog signals as float32 input
    registers, counters as uint64 (thousandths), states as discrete inputs."""
    cls = active_catalogue().get(asset_class)
    mqtt = set(cls.simulate.mqtt_json) | set(cls.simulate.mqtt_plain)
    points: list[dict[str, object]] = []
    reg = bit = 0
    for s in cls.signals:
        if s.name in mqtt:
            continue
        if s.kind == "status":
            points.append(
                {
                    "name": s.name,
                    "signal": s.name,
                    "table": "discrete",
                    "address": bit,
                    "type": "bool",
                }
            )
            bit += 1
        elif s.kind == "counter":
            points.append(
                {
                    "name": s.name,
                    "signal": s.name,
                    "table": "input",
                    "address": reg,
                    "type": "uint64",
                    "scale": 0.001,
                    "unit": s.unit,
                }
            )
            reg += 4
        else:
            points.append(
                {
                    "name": s.name,
                    "signal": s.name,
                    "table": "input",
                    "address": reg,
                    "type": "float32",
                    "unit": s.unit,
                }
            )
            reg += 2
    points.append({"name": DEVICE_CLOCK, "table": "input", "address": reg, "type": "uint32"})
    points.append(
        {"name": MODEL_NAME, "table": "holding", "address": 200, "type": "string", "length": 8}
    )
    return DeviceProfile.model_validate(
        {
            "model": cls.model,
            "manufacturer": "Generic",
            "description": f"{cls.names.en} controller (register map generated from its class)",
            "asset_class": cls.name,
            "points": points,
        }
    )


def device_profiles(profiles_dir: Path = PROFILES_DIR) -> dict[str, DeviceProfile]:
    """The profile files, plus a generated one for every catalogue class without a file."""
    profiles = load_profiles(profiles_dir)
    for cls in active_catalogue():
        if cls.model not in profiles:
            profiles[cls.model] = generated_profile(cls.name)
    return profiles


def bacnet_profile(profile: DeviceProfile) -> BacnetProfile:
    """The BACnet object list of a controller model: analog inputs for its measured signals,
    binary inputs for its states (the signals its register map carries)."""
    objects: list[dict[str, object]] = []
    count = {"analog": 0, "binary": 0}
    for p in profile.points:
        if p.signal is None:
            continue
        kind = "binary" if p.type.value == "bool" else "analog"
        count[kind] += 1
        objects.append(
            {
                "name": p.name,
                "object": f"{kind}-input:{count[kind]}",
                "signal": p.signal,
                "unit": "" if kind == "binary" else p.unit,
            }
        )
    return BacnetProfile.model_validate(
        {
            "protocol": "bacnet",
            "model": f"{profile.model}-bacnet",
            "manufacturer": profile.manufacturer,
            "description": f"{profile.description} (BACnet/IP)",
            "asset_class": profile.asset_class,
            "objects": objects,
        }
    )


def write_profiles(dest: Path, profiles_dir: Path = PROFILES_DIR) -> Path:
    """Write every profile the catalogue needs into ``dest`` (for a gateway's profiles_dir):
    each controller model's register map and its BACnet object list."""
    dest.mkdir(parents=True, exist_ok=True)
    for model, profile in device_profiles(profiles_dir).items():
        doc = profile.model_dump(mode="json", exclude_defaults=True)
        (dest / f"{model}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False, width=110))
        bac = bacnet_profile(profile)
        doc = bac.model_dump(mode="json", exclude_defaults=True)
        (dest / f"{bac.model}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False, width=110))
    return dest


def wire(assets: list[Asset], devices_per_server: int, profiles_dir: Path = PROFILES_DIR) -> Wiring:
    """Assign every Modbus controller to a server (port index) and a unit id, and every
    BACnet controller a device instance (an MQTT controller needs neither)."""
    profiles = device_profiles(profiles_dir)
    devices: list[ModbusDevice] = []
    bacnet: list[BacnetDevice] = []
    for asset in assets:
        profile = profiles[asset.equipment.model]
        if asset.protocol == "bacnet":
            instance = FIRST_INSTANCE + len(bacnet)
            bacnet.append(BacnetDevice(asset, bacnet_profile(profile), instance))
            continue
        if asset.protocol == "mqtt":
            continue  # its controller publishes everything as JSON
        i = len(devices)
        devices.append(
            ModbusDevice(asset, profile, i // devices_per_server, i % devices_per_server + 1)
        )
    servers = (len(devices) + devices_per_server - 1) // devices_per_server
    return Wiring(tuple(devices), servers, tuple(bacnet))
