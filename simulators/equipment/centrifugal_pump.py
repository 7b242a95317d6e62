"""Physics of a centrifugal circulation pump on a variable-speed drive.

A catalogue class names this physics (``simulate.physics``); its signals and failure modes
are in that class's file.
"""

from __future__ import annotations

import numpy as np

from simulators.equipment.base import Inputs, stopped
from simulators.noise import FloatArray


def physics(x: Inputs) -> dict[str, FloatArray]:
    """Pump response to building demand and degradation."""
    c = x.conditions
    run = x.running
    demand = np.clip(0.35 + 0.5 * c.occupancy + 0.15 * c.cooling_demand, 0.2, 1.0)
    bear, cav, seal = x.d("bearing_wear"), x.d("cavitation"), x.d("seal_leak")
    burst = np.abs(x.normal("cavitation_burst"))
    flow = 120.0 * demand - 25.0 * seal - 30.0 * cav * (1.0 + 0.3 * burst)
    suction = 1.5 - 0.1 * demand - 1.1 * cav
    discharge = suction + 4.0 * (1.2 - 0.3 * demand**2) - 0.9 * seal
    current = 20.0 + 25.0 * demand + 4.0 * seal + 6.0 * bear - 3.0 * cav
    vib = (1.5 + 0.5 * demand) * (1.0 + 0.12 * x.wear_years) + 7.0 * bear**1.5 + 4.0 * cav * burst
    room = 24.0 + 0.1 * (c.outdoor_c - 15.0)
    bearing_temp = room + 20.0 + 8.0 * demand + 28.0 * bear**1.3
    return {
        "flow": stopped(run, flow, 0.0),
        "suction_pressure": stopped(run, suction, 1.6),
        "discharge_pressure": stopped(run, discharge, 1.6),
        "motor_current": stopped(run, current, 0.0),
        "vibration_rms": stopped(run, vib, 0.05),
        "bearing_temp": stopped(run, bearing_temp, room),
        "pump_running": run.astype(np.float64),
        "run_hours": x.run_hours,
    }
