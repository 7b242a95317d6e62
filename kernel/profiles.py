"""Device profiles: the register map of one equipment model, shared by simulator and gateway."""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kernel.bacnet_profiles import is_bacnet_file
from kernel.contract import Identifier
from kernel.yaml_config import load_model


class Table(StrEnum):
    """The four Modbus data tables."""

    COIL = "coil"
    DISCRETE = "discrete"
    HOLDING = "holding"
    INPUT = "input"

    @property
    def is_bit(self) -> bool:
        """True for the single-bit tables (coils and discrete inputs)."""
        return self in (Table.COIL, Table.DISCRETE)


class DataType(StrEnum):
    """How a point's registers encode its value."""

    BOOL = "bool"
    INT16 = "int16"
    UINT16 = "uint16"
    INT32 = "int32"
    UINT32 = "uint32"
    INT64 = "int64"
    UINT64 = "uint64"
    FLOAT32 = "float32"
    FLOAT64 = "float64"
    STRING = "string"


class WordOrder(StrEnum):
    """Byte order of a multi-byte value, written as the bytes A (most significant) to D."""

    ABCD = "ABCD"  # big endian, the Modbus default
    CDAB = "CDAB"  # word swap, common on PLCs
    BADC = "BADC"  # byte swap within each word
    DCBA = "DCBA"  # little endian


_WORDS = {
    DataType.BOOL: 1,
    DataType.INT16: 1,
    DataType.UINT16: 1,
    DataType.INT32: 2,
    DataType.UINT32: 2,
    DataType.FLOAT32: 2,
    DataType.INT64: 4,
    DataType.UINT64: 4,
    DataType.FLOAT64: 4,
}


class Point(BaseModel):
    """One value in a device's register map."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Identifier
    signal: Identifier | None = Field(
        default=None, description="Signal this point feeds; None for points only kept locally"
    )
    table: Table
    address: int = Field(ge=0, le=65535)
    type: DataType = DataType.UINT16
    order: WordOrder | None = Field(default=None, description="Overrides the profile's order")
    scale: float = 1.0
    offset: float = 0.0
    unit: str = ""
    bit: int | None = Field(default=None, ge=0, le=15, description="Bit of a register, for bool")
    length: int | None = Field(default=None, ge=1, le=64, description="Registers, for string")
    nodata: int | None = Field(default=None, description="Raw value the device sends for 'none'")
    description: str = ""

    @model_validator(mode="after")
    def _check_shape(self) -> Point:
        if self.table.is_bit and self.type is not DataType.BOOL:
            raise ValueError(f"{self.table} points hold one bit: type must be bool")
        if self.type is DataType.STRING and self.length is None:
            raise ValueError("a string point needs length (registers)")
        if self.bit is not None and (self.table.is_bit or self.type is not DataType.BOOL):
            raise ValueError("bit applies to bool points in holding or input registers")
        if self.scale == 0:
            raise ValueError("scale must not be 0")
        return self

    @cached_property
    def words(self) -> int:
        """Registers (or bits, for bit tables) this point occupies."""
        if self.type is DataType.STRING:
            assert self.length is not None
            return self.length
        return _WORDS[self.type]

    @cached_property
    def end(self) -> int:
        """First address after this point."""
        return self.address + self.words


class DeviceProfile(BaseModel):
    """The register map of one equipment model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: Identifier
    manufacturer: str
    description: str = ""
    asset_class: Identifier | None = None
    order: WordOrder = WordOrder.ABCD
    max_registers_per_read: int = Field(default=125, ge=1, le=125)
    max_bits_per_read: int = Field(default=2000, ge=1, le=2000)
    points: list[Point] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_points(self) -> DeviceProfile:
        names = [p.name for p in self.points]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate point names: {', '.join(dupes)}")
        used: dict[tuple[Table, int, int | None], str] = {}
        for p in self.points:
            for addr in range(p.address, p.end):
                key = (p.table, addr, p.bit)
                if key in used:
                    raise ValueError(f"{p.name} overlaps {used[key]} at {p.table} {addr}")
                used[key] = p.name
        return self

    def order_of(self, point: Point) -> WordOrder:
        """The word order that applies to ``point``."""
        return point.order or self.order


def load_profile(path: Path) -> DeviceProfile:
    """Load one device profile YAML file."""
    return load_model(path, DeviceProfile)


def load_profiles(directory: Path) -> dict[str, DeviceProfile]:
    """Load every Modbus ``*.yaml`` profile in ``directory``, keyed by model name (BACnet
    profiles, marked ``protocol: bacnet``, are loaded by ``kernel.bacnet_profiles``)."""
    profiles: dict[str, DeviceProfile] = {}
    for path in sorted(directory.glob("*.yaml")):
        if is_bacnet_file(path):
            continue
        profile = load_profile(path)
        if profile.model in profiles:
            raise ValueError(f"{path}: model {profile.model} defined twice")
        profiles[profile.model] = profile
    return profiles
