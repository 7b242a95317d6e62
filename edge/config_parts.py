"""Pieces of the gateway configuration shared by its sections (Modbus, BACnet, assets)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class SignalSpec(BaseModel):
    """A signal's unit and plausible range (readings outside are flagged OUT_OF_RANGE)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    unit: str = ""
    min: float | None = None
    max: float | None = None
