"""A centrifugal circulation pump on a variable-speed drive."""

from __future__ import annotations

import numpy as np

from kernel.contract import AssetClass
from simulators.equipment.base import Equipment, Inputs, ModeSpec, SignalSpec, stopped
from simulators.noise import FloatArray

SIGNALS = (
    SignalSpec("flow", "m3/h", 0.0, 200.0, noise=2.0, floor=0.0),
    SignalSpec("suction_pressure", "bar", 0.0, 4.0, noise=0.03, floor=0.05),
    SignalSpec("discharge_pressure", "bar", 0.0, 10.0, noise=0.05, floor=0.05),
    SignalSpec("motor_current", "A", 0.0, 80.0, noise=0.5, floor=0.0),
    SignalSpec("vibration_rms", "mm/s", 0.0, 30.0, noise=0.1, floor=0.05),
    SignalSpec("bearing_temp", "degC", 0.0, 120.0, noise=0.4),
    SignalSpec("pump_running", "", 0, 1, kind="status"),
    SignalSpec("run_hours", "h", 0, 2e5, kind="counter"),
)

MODES = (
    ModeSpec(
        "bearing_wear",
        1.0,
        (24.0, 144.0),
        (("vibration_rms", 1), ("bearing_temp", 1), ("motor_current", 1)),
        "The drive-end bearing loses lubrication; vibration and bearing temperature climb "
        "together, and current a little, until the bearing seizes.",
    ),
    ModeSpec(
        "cavitation",
        0.6,
        (2.0, 24.0),
        (("suction_pressure", -1), ("vibration_rms", 1), ("flow", -1)),
        "A clogging suction strainer lowers suction pressure below the vapour pressure margin; "
        "vapour bubbles collapse on the impeller, vibration turns erratic and flow falls. "
        "Precursors are short, so these failures are hard to predict.",
    ),
    ModeSpec(
        "seal_leak",
        0.8,
        (12.0, 72.0),
        (("flow", -1), ("discharge_pressure", -1), ("motor_current", 1)),
        "The mechanical seal opens up; delivered flow and discharge pressure fall while the "
        "drive works harder, until the leak forces a shutdown.",
    ),
)


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


EQUIPMENT = Equipment(AssetClass.PUMP, "flowdrive-fd22", SIGNALS, MODES, physics)
