"""Expand a fleet config into concrete assets with ids, places, models and install dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np

from kernel.contract import AssetInfo, SignalInfo
from simulators.config import FleetConfig, SiteConfig
from simulators.equipment import Equipment, equipment
from simulators.noise import key_of

YEAR_S = 365.25 * 86_400


@dataclass(frozen=True)
class Asset:
    """One simulated asset and where it stands."""

    id: str
    asset_class: str
    site: SiteConfig
    building: str
    room: str
    install: int  # epoch seconds
    protocol: str = "modbus"  # how its controller speaks: modbus, bacnet or mqtt

    @property
    def equipment(self) -> Equipment:
        """The equipment class model of this asset."""
        return equipment(self.asset_class)

    @property
    def install_date(self) -> date:
        """Commissioning date."""
        return datetime.fromtimestamp(self.install, UTC).date()

    def info(self) -> AssetInfo:
        """The asset as the data contract describes it."""
        eq = self.equipment
        return AssetInfo(
            id=self.id,
            site=self.site.id,
            building=self.building,
            room=self.room,
            asset_class=self.asset_class,
            model=eq.model,
            install_date=self.install_date,
            signals=[SignalInfo(name=s.name, unit=s.unit, min=s.lo, max=s.hi) for s in eq.signals],
        )


def build_fleet(config: FleetConfig) -> list[Asset]:
    """Every asset of the fleet, in config order; ids are stable for a given config."""
    start = int(config.start.timestamp())
    assets: list[Asset] = []
    for site in config.sites:
        for building in site.buildings:
            for room in building.rooms:
                numbers: dict[str, int] = {}
                for group in room.assets:
                    for _ in range(group.count):
                        n = numbers.get(group.asset_class, 0) + 1
                        numbers[group.asset_class] = n
                        asset_id = f"{site.id}-{building.id}-{room.id}-{group.asset_class}-{n}"
                        rng = np.random.default_rng([config.seed, key_of(asset_id) % 2**63, 0])
                        age = rng.uniform(*group.age_years)
                        assets.append(
                            Asset(
                                id=asset_id,
                                asset_class=group.asset_class,
                                site=site,
                                building=building.id,
                                room=room.id,
                                install=int(start - age * YEAR_S),
                                protocol=group.protocol,
                            )
                        )
    too_long = [a.id for a in assets if len(a.id) > 64]
    if too_long:
        raise ValueError(f"asset id longer than 64 characters: {too_long[0]}; shorten the ids")
    return assets
