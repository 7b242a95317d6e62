"""The simulator's configuration: fleet layout, realism knobs and live endpoints."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from kernel.catalogue import ClassName
from kernel.contract import Identifier
from kernel.yaml_config import load_model


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Range = tuple[float, float]


def _ordered(name: str, r: Range) -> None:
    if r[0] > r[1]:
        raise ValueError(f"{name}: lower bound {r[0]} is above upper bound {r[1]}")


class Climate(_Strict):
    """Outdoor temperature of a site (degrees C)."""

    mean_c: float = 12.0
    seasonal_amplitude_c: float = Field(default=9.0, ge=0)
    daily_amplitude_c: float = Field(default=4.0, ge=0)
    weather_amplitude_c: float = Field(default=3.0, ge=0)


class AssetGroup(_Strict):
    """``count`` assets of one class in a room, with install ages drawn from a range."""

    asset_class: ClassName = Field(alias="class")
    count: int = Field(default=1, ge=1, le=1000)
    age_years: Range = (1.0, 12.0)
    protocol: Literal["modbus", "bacnet", "mqtt"] = Field(
        default="modbus",
        description="How the controllers speak: Modbus TCP, BACnet/IP, or JSON over MQTT",
    )

    @model_validator(mode="after")
    def _check(self) -> AssetGroup:
        _ordered("age_years", self.age_years)
        if self.age_years[0] < 0:
            raise ValueError("age_years must not be negative")
        return self


class RoomConfig(_Strict):
    """A plant room or machine room."""

    id: Identifier
    assets: list[AssetGroup] = Field(min_length=1)


class BuildingConfig(_Strict):
    """A building with its plant rooms."""

    id: Identifier
    rooms: list[RoomConfig] = Field(min_length=1)


class SiteConfig(_Strict):
    """A campus, hospital or estate."""

    id: Identifier
    name: str = ""
    kind: Literal["university", "hospital", "estate"] = "university"
    climate: Climate = Climate()
    buildings: list[BuildingConfig] = Field(min_length=1)


class ModeOverride(_Strict):
    """Per failure mode adjustments."""

    weight: float | None = Field(default=None, ge=0)
    precursor_hours: Range | None = None


class FailureConfig(_Strict):
    """How often assets fail and how visibly they announce it."""

    mtbf_days: float = Field(default=120.0, gt=0, description="Mean time between failures")
    age_factor_per_year: float = Field(default=0.04, ge=0, description="Extra rate per year")
    no_precursor_share: float = Field(default=0.1, ge=0, le=1)
    strength: Range = (0.45, 1.0)
    precursor_scale: float = Field(default=1.0, gt=0, description="Multiplies every length")
    downtime_hours: Range = (2.0, 24.0)
    modes: dict[str, ModeOverride] = {}

    def precursor_hours(self, mode: str, default: Range) -> Range:
        """A mode's precursor length range in hours before ``precursor_scale``."""
        if mode in self.modes and self.modes[mode].precursor_hours is not None:
            return self.modes[mode].precursor_hours  # type: ignore[return-value]
        return default

    @model_validator(mode="after")
    def _check(self) -> FailureConfig:
        _ordered("strength", self.strength)
        _ordered("downtime_hours", self.downtime_hours)
        for name, mode in self.modes.items():
            if mode.precursor_hours is not None:
                _ordered(f"modes.{name}.precursor_hours", mode.precursor_hours)
        return self


class SensorFaultConfig(_Strict):
    """Faults of the sensors themselves, which never change the equipment."""

    episodes_per_sensor_year: float = Field(default=1.0, ge=0)
    stuck: float = Field(default=0.25, ge=0)
    spike: float = Field(default=0.25, ge=0)
    dropout: float = Field(default=0.25, ge=0)
    drift: float = Field(default=0.15, ge=0)
    garbage: float = Field(default=0.10, ge=0)


class MaintenanceConfig(_Strict):
    """Routine maintenance; it resets wear and any degradation under way."""

    interval_days: float = Field(default=90.0, gt=0)
    jitter_days: float = Field(default=10.0, ge=0)
    duration_hours: float = Field(default=2.0, gt=0)


class RealismConfig(_Strict):
    """Everything that makes simulated data as messy as a plant room's."""

    failures: FailureConfig = FailureConfig()
    sensor_faults: SensorFaultConfig = SensorFaultConfig()
    maintenance: MaintenanceConfig = MaintenanceConfig()
    noise_scale: float = Field(default=1.0, ge=0)


class ModbusLive(_Strict):
    """Where the live Modbus TCP servers listen."""

    enabled: bool = True
    host: str = "127.0.0.1"
    base_port: int = Field(default=15020, ge=0, le=65535, description="0 picks free ports")
    devices_per_server: int = Field(default=8, ge=1, le=247)


class BacnetLive(_Strict):
    """Where the live BACnet/IP devices listen: a BBMD at base_port, devices above it."""

    enabled: bool = True
    host: str = "127.0.0.1"
    base_port: int = Field(default=47900, ge=0, le=65535, description="0 picks free ports")


class MqttLive(_Strict):
    """The broker the live MQTT sensors publish to."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=1883, ge=1, le=65535)
    topic_prefix: str = ""
    json_interval_s: float = Field(default=10.0, gt=0, description="Simulated seconds")
    plain_interval_s: float = Field(default=60.0, gt=0, description="Simulated seconds")
    qos: int = Field(default=1, ge=0, le=2, description="1: the broker keeps what it took")


class LiveConfig(_Strict):
    """Live serving: clock speed and endpoints."""

    speed: float = Field(default=1.0, gt=0, description="Simulated seconds per wall second")
    tick_s: float = Field(default=1.0, gt=0, description="Wall seconds between state updates")
    start: AwareDatetime | None = Field(default=None, description="Simulated start; default now")
    modbus: ModbusLive = ModbusLive()
    bacnet: BacnetLive = BacnetLive()
    mqtt: MqttLive = MqttLive()


class FleetConfig(_Strict):
    """The whole simulated estate."""

    seed: int = Field(default=0, ge=0)
    start: AwareDatetime = datetime(2025, 1, 1, tzinfo=UTC)
    horizon_days: float = Field(default=3650.0, gt=0, description="Span of the event plan")
    sites: list[SiteConfig] = Field(min_length=1)
    realism: RealismConfig = RealismConfig()
    live: LiveConfig = LiveConfig()

    @model_validator(mode="after")
    def _unique_ids(self) -> FleetConfig:
        seen: set[str] = set()
        for site in self.sites:
            if site.id in seen:
                raise ValueError(f"site id {site.id!r} used twice")
            seen.add(site.id)
            buildings = [b.id for b in site.buildings]
            if len(set(buildings)) != len(buildings):
                raise ValueError(f"site {site.id}: a building id is used twice")
        return self


def load_fleet_config(path: Path) -> FleetConfig:
    """Read a fleet config YAML file; errors name the file, line and field."""
    return load_model(path, FleetConfig)


class _Mix(_Strict):
    classes: list[ClassName] = Field(min_length=1)


MIX_FILE = Path(__file__).resolve().parent / "mixes" / "synthetic.yaml"


def synthetic_fleet(
    assets: int, seed: int, start: datetime | None = None, classes: Sequence[str] | None = None
) -> FleetConfig:
    """A plausible estate of ``assets`` assets spread over ``classes`` (default: the mix in
    mixes/synthetic.yaml), sites and buildings."""
    if classes is None:
        classes = load_model(MIX_FILE, _Mix).classes
    k = len(classes)
    per_room = 8
    kinds: tuple[Literal["university", "hospital", "estate"], ...] = (
        "university",
        "hospital",
        "estate",
    )
    climates = (
        Climate(mean_c=11.0),
        Climate(mean_c=15.0, seasonal_amplitude_c=7.0),
        Climate(mean_c=8.0, seasonal_amplitude_c=11.0),
    )
    rooms: list[RoomConfig] = []
    for r in range((assets + per_room - 1) // per_room):
        n = min(per_room, assets - r * per_room)
        counts = [n // k + (1 if i < n % k else 0) for i in range(k)]
        groups = [
            AssetGroup.model_validate({"class": classes[(i + r) % k], "count": c})
            for i, c in enumerate(counts)
            if c
        ]
        rooms.append(RoomConfig(id=f"plant-{r + 1:03d}", assets=groups))
    sites = []
    rooms_per_building = 4
    buildings_per_site = 5
    chunk = rooms_per_building * buildings_per_site
    for s in range((len(rooms) + chunk - 1) // chunk):
        site_rooms = rooms[s * chunk : (s + 1) * chunk]
        buildings = [
            BuildingConfig(id=f"b{b + 1:02d}", rooms=site_rooms[b * 4 : (b + 1) * 4])
            for b in range((len(site_rooms) + 3) // 4)
        ]
        sites.append(
            SiteConfig(
                id=f"site{s + 1:02d}",
                kind=kinds[s % 3],
                climate=climates[s % 3],
                buildings=buildings,
            )
        )
    kwargs: dict[str, object] = {"seed": seed, "sites": sites}
    if start is not None:
        kwargs["start"] = start
    return FleetConfig.model_validate(kwargs)
