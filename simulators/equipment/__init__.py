"""Simulated equipment: each catalogue class with its named physics, or one built from its file."""

from __future__ import annotations

from functools import cache

from kernel.catalogue import AssetClassDef, active_catalogue
from simulators.equipment import centrifugal_pump, lv_switchroom, scroll_chiller, traction_elevator
from simulators.equipment.base import Equipment, ModeSpec, Physics, SignalSpec
from simulators.equipment.generic import catalogue_physics

# Hand-written physics a class file may name; a class without one gets catalogue_physics.
NAMED_PHYSICS: dict[str, Physics] = {
    "traction_elevator": traction_elevator.physics,
    "scroll_chiller": scroll_chiller.physics,
    "centrifugal_pump": centrifugal_pump.physics,
    "lv_switchroom": lv_switchroom.physics,
}


def build_equipment(cls: AssetClassDef) -> Equipment:
    """The simulated equipment of a catalogue class."""
    name = cls.simulate.physics
    if name is not None and name not in NAMED_PHYSICS:
        raise ValueError(
            f"class {cls.name}: no physics named {name!r}; known: {list(NAMED_PHYSICS)}"
        )
    signals = tuple(
        SignalSpec(
            s.name,
            s.unit,
            float(s.range[0]),
            float(s.range[1]),
            noise=s.simulate.noise,
            kind=s.kind,
            floor=s.simulate.floor,
        )
        for s in cls.signals
    )
    modes = tuple(
        ModeSpec(
            m.name,
            m.weight,
            m.pf_interval_h,
            tuple((sig, 1 if v > 0 else -1) for sig, v in m.moves.items()),
            m.story,
        )
        for m in cls.failure_modes
    )
    physics = NAMED_PHYSICS[name] if name is not None else catalogue_physics(cls)
    return Equipment(cls.name, cls.model, signals, modes, physics)


@cache
def equipment(asset_class: str) -> Equipment:
    """The simulated equipment of a class of the active catalogue."""
    return build_equipment(active_catalogue().get(asset_class))


def all_equipment() -> list[Equipment]:
    """Every class of the active catalogue as simulated equipment."""
    return [equipment(c) for c in active_catalogue().names()]


__all__ = ["NAMED_PHYSICS", "Equipment", "all_equipment", "build_equipment", "equipment"]
