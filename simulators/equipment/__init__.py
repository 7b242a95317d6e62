"""Simulated equipment classes, one module each."""

from kernel.contract import AssetClass
from simulators.equipment import elevator, hvac, power_room, pump
from simulators.equipment.base import Equipment

EQUIPMENT: dict[AssetClass, Equipment] = {
    m.EQUIPMENT.asset_class: m.EQUIPMENT for m in (elevator, hvac, pump, power_room)
}

__all__ = ["EQUIPMENT", "Equipment"]
