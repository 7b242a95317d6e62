"""BACnet device profiles: the object list of one equipment model, mapped to signals.

A profile names each object by its type and instance (``analog-input:3``) and the signal it
feeds; the unit is the catalogue's, and ``BACNET_UNITS`` says which BACnet engineering unit
a device must report for it. Shared by the simulator (which serves the objects) and the
gateway (which reads them); no BACnet stack is imported here.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kernel.contract import Identifier
from kernel.yaml_config import load_model


class ObjectType(StrEnum):
    """The object types whose present value the gateway reads (ASHRAE 135 names)."""

    ANALOG_INPUT = "analog-input"
    ANALOG_OUTPUT = "analog-output"
    ANALOG_VALUE = "analog-value"
    BINARY_INPUT = "binary-input"
    BINARY_OUTPUT = "binary-output"
    BINARY_VALUE = "binary-value"
    MULTI_STATE_INPUT = "multi-state-input"
    MULTI_STATE_OUTPUT = "multi-state-output"
    MULTI_STATE_VALUE = "multi-state-value"

    @property
    def is_analog(self) -> bool:
        """True for the analog types (the only ones with engineering units)."""
        return self.value.startswith("analog")

    @property
    def is_binary(self) -> bool:
        """True for the binary types (active / inactive)."""
        return self.value.startswith("binary")


# Catalogue unit -> the BACnet engineering unit a device reports for it (ASHRAE 135 names).
BACNET_UNITS: dict[str, str] = {
    "degC": "degrees-celsius",
    "bar": "bars",
    "A": "amperes",
    "mA": "milliamperes",
    "V": "volts",
    "h": "hours",
    "s": "seconds",
    "kWh": "kilowatt-hours",
    "kW": "kilowatts",
    "%": "percent",
    "%RH": "percent-relative-humidity",
    "1/h": "per-hour",
    "MOhm": "megohms",
    "mOhm": "milliohms",
    "lx": "luxes",
    "m3/h": "cubic-meters-per-hour",
    "mm": "millimeters",
    "mm/s": "millimeters-per-second",
    "": "no-units",
}


class BacnetPoint(BaseModel):
    """One object of a device, read for its present value (and status flags)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Identifier
    object: str = Field(description="Type and instance, e.g. analog-input:3")
    signal: Identifier | None = Field(default=None, description="None: read but not sent")
    unit: str = Field(default="", description="The catalogue's unit of the signal")
    description: str = ""

    @field_validator("object")
    @classmethod
    def _object_id(cls, text: str) -> str:
        kind, sep, instance = text.partition(":")
        if not sep or not instance.isdigit():
            raise ValueError(f"{text!r}: write an object as type:instance, e.g. analog-input:3")
        try:
            ObjectType(kind)
        except ValueError:
            kinds = ", ".join(t.value for t in ObjectType)
            raise ValueError(f"{kind!r} is not one of {kinds}") from None
        if not 0 <= int(instance) < 2**22:
            raise ValueError(f"{text!r}: an instance lies in 0..4194303")
        return text

    @cached_property
    def object_type(self) -> ObjectType:
        """The object's type."""
        return ObjectType(self.object.partition(":")[0])

    @cached_property
    def instance(self) -> int:
        """The object's instance number."""
        return int(self.object.partition(":")[2])

    @property
    def bacnet_units(self) -> str | None:
        """The engineering unit the device must report, for analog objects with a known unit."""
        if not self.object_type.is_analog:
            return None
        return BACNET_UNITS.get(self.unit)


class BacnetProfile(BaseModel):
    """The object list of one equipment model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    protocol: Literal["bacnet"]
    model: Identifier
    manufacturer: str
    description: str = ""
    asset_class: Identifier | None = None
    objects: list[BacnetPoint] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> BacnetProfile:
        for what, keys in (
            ("point names", [p.name for p in self.objects]),
            ("objects", [p.object for p in self.objects]),
        ):
            dupes = sorted({k for k in keys if keys.count(k) > 1})
            if dupes:
                raise ValueError(f"duplicate {what}: {', '.join(dupes)}")
        return self


def is_bacnet_file(path: Path) -> bool:
    """True when a profile file declares ``protocol: bacnet`` (read without parsing it all)."""
    with path.open(encoding="utf-8") as f:
        return any(line.split("#")[0].strip() == "protocol: bacnet" for line in f)


def load_bacnet_profiles(directory: Path) -> dict[str, BacnetProfile]:
    """Every BACnet profile in ``directory``, keyed by model name."""
    profiles: dict[str, BacnetProfile] = {}
    for path in sorted(directory.glob("*.yaml")):
        if not is_bacnet_file(path):
            continue
        profile = load_model(path, BacnetProfile)
        if profile.model in profiles:
            raise ValueError(f"{path}: model {profile.model} defined twice")
        profiles[profile.model] = profile
    return profiles
