"""How each simulated asset is wired: which signals a Modbus device serves, which go over MQTT."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kernel.contract import AssetClass
from kernel.profiles import DeviceProfile, Point, load_profiles
from simulators.fleet import Asset

PROFILES_DIR = Path(__file__).resolve().parent.parent / "gateway_config" / "profiles"

# Signals carried by battery-powered wireless sensors publishing JSON, and by cheap
# single-value sensors publishing a plain number on one topic per signal.
JSON_SIGNALS: dict[AssetClass, tuple[str, ...]] = {
    AssetClass.ELEVATOR: ("vibration_rms",),
    AssetClass.HVAC: ("vibration_rms",),
    AssetClass.PUMP: ("vibration_rms", "bearing_temp"),
    AssetClass.POWER_ROOM: ("busbar_temp",),
}
PLAIN_SIGNALS: dict[AssetClass, tuple[str, ...]] = {
    AssetClass.POWER_ROOM: ("room_temp", "room_humidity"),
}
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
class Wiring:
    """Where every asset's signals can be read live."""

    devices: tuple[ModbusDevice, ...]
    servers: int

    def device_of(self, asset_id: str) -> ModbusDevice:
        """The Modbus device of an asset."""
        for d in self.devices:
            if d.asset.id == asset_id:
                return d
        raise KeyError(asset_id)


def json_topic(asset: Asset, prefix: str = "") -> str:
    """Topic of an asset's JSON telemetry."""
    return f"{prefix}{asset.site.id}/{asset.building}/{asset.room}/{asset.id}/telemetry"


def plain_topic(asset: Asset, signal: str, prefix: str = "") -> str:
    """Topic of one plain-number signal."""
    return f"{prefix}{asset.site.id}/{asset.building}/{asset.room}/{asset.id}/{signal}"


def wire(assets: list[Asset], devices_per_server: int, profiles_dir: Path = PROFILES_DIR) -> Wiring:
    """Assign every asset's controller to a server (port index) and a unit id."""
    profiles = load_profiles(profiles_dir)
    devices = []
    for i, asset in enumerate(assets):
        profile = profiles[asset.equipment.model]
        devices.append(
            ModbusDevice(asset, profile, i // devices_per_server, i % devices_per_server + 1)
        )
    servers = (len(assets) + devices_per_server - 1) // devices_per_server
    return Wiring(tuple(devices), servers)
