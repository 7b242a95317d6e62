"""A traction elevator: hoist machine, controller and door operator."""

from __future__ import annotations

import numpy as np

from kernel.contract import AssetClass
from simulators.equipment.base import Equipment, Inputs, ModeSpec, SignalSpec, stopped
from simulators.noise import FloatArray

SIGNALS = (
    SignalSpec("motor_current", "A", 0.0, 120.0, noise=1.0, floor=0.0),
    SignalSpec("motor_temp", "degC", 0.0, 130.0, noise=0.5),
    SignalSpec("vibration_rms", "mm/s", 0.0, 20.0, noise=0.08, floor=0.02),
    SignalSpec("door_cycle_time", "s", 0.0, 30.0, noise=0.15, floor=2.0),
    SignalSpec("trips_per_hour", "1/h", 0.0, 200.0, noise=3.0, floor=0.0),
    SignalSpec("leveling_error", "mm", 0.0, 50.0, noise=0.4, floor=0.0),
    SignalSpec("in_service", "", 0, 1, kind="status"),
    SignalSpec("door_fault", "", 0, 1, kind="status"),
    SignalSpec("run_hours", "h", 0, 2e5, kind="counter"),
    SignalSpec("trip_count", "", 0, 4e9, kind="counter"),
)

MODES = (
    ModeSpec(
        "door_operator_wear",
        1.0,
        (12.0, 120.0),
        (("door_cycle_time", 1),),
        "The door operator's belt and rollers wear; doors close slower and re-open more "
        "often, so the door cycle time creeps up until the doors fail to lock.",
    ),
    ModeSpec(
        "traction_bearing_wear",
        0.7,
        (36.0, 168.0),
        (("vibration_rms", 1), ("motor_temp", 1), ("motor_current", 1), ("leveling_error", 1)),
        "A traction-machine bearing wears; vibration and motor temperature rise, the drive "
        "draws more current and the car stops less precisely at floors.",
    ),
)

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


EQUIPMENT = Equipment(AssetClass.ELEVATOR, "liftcon-lc300", SIGNALS, MODES, physics)
