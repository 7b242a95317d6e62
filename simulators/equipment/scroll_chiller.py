"""Physics of a chiller / air handler with a scroll compressor.

A catalogue class names this physics (``simulate.physics``); its signals and failure modes
are in that class's file.
"""

from __future__ import annotations

import numpy as np

from simulators.equipment.base import Inputs, stopped
from simulators.noise import FloatArray


def physics(x: Inputs) -> dict[str, FloatArray]:
    """Chiller response to weather, occupancy and degradation."""
    c = x.conditions
    run = x.running
    load = np.clip(0.15 + 0.6 * c.cooling_demand + 0.25 * c.occupancy, 0.1, 1.0)
    leak, foul, bear = (
        x.d("refrigerant_leak"),
        x.d("condenser_fouling"),
        x.d("compressor_bearing_wear"),
    )
    idle_pressure = 5.0 + 0.12 * c.outdoor_c
    suction = 4.6 - 0.8 * load + 0.02 * (c.outdoor_c - 20.0) - 2.4 * leak
    discharge = (
        14.0
        + 0.25 * (c.outdoor_c - 25.0)
        + 3.0 * load
        + 6.0 * foul * (0.6 + 0.4 * load)
        - 1.5 * leak
    )
    current = (
        55.0 + 70.0 * load + 0.8 * (discharge - 15.0) + 18.0 * leak + 16.0 * foul + 12.0 * bear
    )
    ret = 22.0 + 2.5 * c.occupancy + 0.08 * (c.outdoor_c - 20.0)
    supply = 12.5 + 0.8 * (1.0 - load) + 6.0 * leak + 1.5 * foul
    vib = (2.0 + 0.8 * load) * (1.0 + 0.15 * x.wear_years) + 7.0 * bear**1.5
    suction_s = stopped(run, suction, idle_pressure)
    discharge_s = stopped(run, discharge, idle_pressure)
    return {
        "suction_pressure": suction_s,
        "discharge_pressure": discharge_s,
        "compressor_current": stopped(run, current, 0.0),
        "supply_air_temp": stopped(run, supply, ret - 1.0),
        "return_air_temp": ret,
        "vibration_rms": stopped(run, vib, 0.05),
        "outdoor_temp": c.outdoor_c,
        "compressor_running": run.astype(np.float64),
        "high_pressure_alarm": (discharge_s > 24.0).astype(np.float64),
        "low_pressure_alarm": (run & (suction_s < 2.0)).astype(np.float64),
        "run_hours": x.run_hours,
    }
