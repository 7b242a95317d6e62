"""Physics of a traction elevator: hoist machine, controller and door operator.

A catalogue class names this physics (``simulate.physics``); its signals and failure modes
are in that class's file.
"""

from __future__ import annotations

import numpy as np

from simulators.equipment.base import Inputs, stopped
from simulators.noise import FloatArray

_TRIPS_PER_RUN_HOUR = 28.0


def physics(x: Inputs) -> dict[str, FloatArray]:
    """Elevator response to building traffic and degradation."""
    c = x.conditions
    run = x.running
    traffic = c.occupancy
    door, bear = x.d("door_operator_wear"), x.d("traction_bearing_wear")
    trips = 4.0 + 60.0 * traffic
    current = 12.0 + 30.0 * traffic + 9.0 * bear
    motor_temp = 28.0 + 22.0 * traffic + 22.0 * bear**1.3 + 0.15 * (c.outdoor_c - 15.0)
    vib = (0.8 + 0.4 * traffic) * (1.0 + 0.15 * x.wear_years) + 5.0 * bear**1.5
    door_time = 4.5 + 0.3 * traffic + 4.5 * door**1.5
    leveling = 3.0 + 7.0 * bear
    room = 25.0 + 0.15 * (c.outdoor_c - 15.0)
    return {
        "motor_current": stopped(run, current, 0.0),
        "motor_temp": stopped(run, motor_temp, room),
        "vibration_rms": stopped(run, vib, 0.02),
        "door_cycle_time": stopped(run, door_time, 4.5),
        "trips_per_hour": stopped(run, trips, 0.0),
        "leveling_error": stopped(run, leveling, 0.0),
        "in_service": run.astype(np.float64),
        "door_fault": (run & (door > 0.85)).astype(np.float64),
        "run_hours": x.run_hours,
        "trip_count": np.floor(x.run_hours * _TRIPS_PER_RUN_HOUR),
    }
