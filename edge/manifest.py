"""The gateway's manifest (its birth certificate): assets and signals with units and ranges."""

from __future__ import annotations

from datetime import UTC, datetime

from edge.config import LoadedConfig
from edge.config_parts import SignalSpec
from kernel.catalogue import active_catalogue
from kernel.contract import AssetInfo, Manifest, SignalInfo

DEVICE_ONLINE = "device_online"


def _class_ranges(cfg: LoadedConfig) -> dict[str, dict[str, tuple[float, float]]]:
    """Per asset, the plausible range of each signal its class's catalogue file gives."""
    catalogue = active_catalogue()
    return {
        a.id: {s.name: s.range for s in catalogue.get(a.asset_class).signals}
        for a in cfg.gateway.assets
    }


def signal_specs(cfg: LoadedConfig) -> dict[str, dict[str, SignalSpec]]:
    """Every signal of every asset with unit and range: the profile's unit and the class's
    range, then config overrides."""
    gw = cfg.gateway
    specs: dict[str, dict[str, SignalSpec]] = {a.id: {} for a in gw.assets}
    ranges = _class_ranges(cfg)
    # Equal specs are shared: a gateway with thousands of signals has few distinct ones.
    shared: dict[tuple[str, float | None, float | None], SignalSpec] = {}

    def spec(unit: str, lo: float | None, hi: float | None) -> SignalSpec:
        key = (unit, lo, hi)
        found = shared.get(key)
        if found is None:
            found = shared[key] = SignalSpec(unit=unit, min=lo, max=hi)
        return found

    # Every device's signals, Modbus and BACnet alike: (asset, ranges, [(signal, unit)]).
    devices: list[tuple[str, dict[str, SignalSpec], list[tuple[str, str]]]] = [
        (
            d.asset,
            d.ranges,
            [(p.signal, p.unit) for p in cfg.profiles[d.profile].points if p.signal],
        )
        for link in gw.links
        for d in link.devices
    ]
    devices += [
        (
            d.asset,
            d.ranges,
            [(o.signal, o.unit) for o in cfg.bacnet_profiles[d.profile].objects if o.signal],
        )
        for net in gw.bacnet
        for d in net.devices
    ]
    for asset_id, overrides, signals in devices:
        for signal, unit in signals:
            override = overrides.get(signal)
            lo, hi = ranges[asset_id].get(signal, (None, None))
            if override is not None:
                lo, hi = override.min, override.max
            specs[asset_id][signal] = spec(unit, lo, hi)
        specs[asset_id][DEVICE_ONLINE] = spec("", 0, 1)
    for asset in gw.assets:
        specs[asset.id].update(asset.signals)
    return specs


def build_manifest(cfg: LoadedConfig) -> Manifest:
    """The manifest the uplink sends at start and after every config change."""
    gw = cfg.gateway
    specs = signal_specs(cfg)
    assets = [
        AssetInfo(
            id=a.id,
            site=gw.site,
            building=a.building,
            room=a.room,
            asset_class=a.asset_class,
            model=a.model,
            install_date=a.install_date,
            signals=[
                SignalInfo(name=n, unit=s.unit, min=s.min, max=s.max)
                for n, s in sorted(specs[a.id].items())
            ],
        )
        for a in gw.assets
    ]
    return Manifest(gateway_id=gw.id, generated_at=datetime.now(UTC), assets=assets)
