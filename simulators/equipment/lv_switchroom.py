"""Physics of a low-voltage switch room: switchgear, transformer, cooling fans.

A catalogue class names this physics (``simulate.physics``); its signals and failure modes
are in that class's file.
"""

from __future__ import annotations

import numpy as np

from simulators.equipment.base import Inputs, stopped
from simulators.noise import FloatArray

_NOMINAL_KW_PER_A = 0.4 * 1.732 * 0.92


def physics(x: Inputs) -> dict[str, FloatArray]:
    """Power room response to building load, weather and degradation."""
    c = x.conditions
    run = x.running
    load = np.clip(0.3 + 0.45 * c.occupancy + 0.25 * c.cooling_demand, 0.15, 1.0)
    loose, fan, ins = (
        x.d("loose_connection"),
        x.d("cooling_fan_failure"),
        x.d("insulation_degradation"),
    )
    flicker = np.abs(x.normal("flicker"))
    base = 700.0 * load
    l1 = base * 1.01
    l2 = base * (0.99 - 0.04 * loose)
    l3 = base * 1.0
    voltage = 400.0 - 8.0 * load - 5.0 * loose * flicker
    pf = 0.93 - 0.04 * (1.0 - load) - 0.04 * ins
    room = 22.0 + 0.25 * (c.outdoor_c - 15.0) + 4.0 * load + 18.0 * fan**1.2
    humidity = np.clip(55.0 - 0.9 * (c.outdoor_c - 12.0) + 28.0 * ins, 5.0, 99.0)
    busbar = room + 18.0 * load**2 + 40.0 * loose**1.3 + 6.0 * fan
    insulation = 900.0 * np.exp(-3.2 * ins) * (1.0 - 0.004 * (humidity - 50.0))
    return {
        "room_temp": room,
        "room_humidity": humidity,
        "busbar_temp": stopped(run, busbar, room),
        "current_l1": stopped(run, l1, 0.0),
        "current_l2": stopped(run, l2, 0.0),
        "current_l3": stopped(run, l3, 0.0),
        "voltage": stopped(run, voltage, 0.0),
        "power_factor": stopped(run, pf, 0.0),
        "insulation_resistance": insulation,
        "energized": run.astype(np.float64),
        "run_hours": x.run_hours,
        "energy_kwh": np.floor(x.run_hours * 700.0 * 0.6 * _NOMINAL_KW_PER_A),
    }
