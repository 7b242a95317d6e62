"""A low-voltage power distribution room: switchgear, transformer, cooling fans."""

from __future__ import annotations

import numpy as np

from kernel.contract import AssetClass
from simulators.equipment.base import Equipment, Inputs, ModeSpec, SignalSpec, stopped
from simulators.noise import FloatArray

SIGNALS = (
    SignalSpec("room_temp", "degC", -10.0, 60.0, noise=0.3),
    SignalSpec("room_humidity", "%RH", 0.0, 100.0, noise=1.0, floor=5.0),
    SignalSpec("busbar_temp", "degC", -10.0, 150.0, noise=0.4),
    SignalSpec("current_l1", "A", 0.0, 1600.0, noise=5.0, floor=0.0),
    SignalSpec("current_l2", "A", 0.0, 1600.0, noise=5.0, floor=0.0),
    SignalSpec("current_l3", "A", 0.0, 1600.0, noise=5.0, floor=0.0),
    SignalSpec("voltage", "V", 0.0, 480.0, noise=1.5, floor=0.0),
    SignalSpec("power_factor", "", 0.0, 1.0, noise=0.004, floor=0.0),
    SignalSpec("insulation_resistance", "MOhm", 0.0, 2000.0, noise=8.0, floor=0.5),
    SignalSpec("energized", "", 0, 1, kind="status"),
    SignalSpec("run_hours", "h", 0, 2e5, kind="counter"),
    SignalSpec("energy_kwh", "kWh", 0, 1e12, kind="counter"),
)

MODES = (
    ModeSpec(
        "loose_connection",
        1.0,
        (6.0, 72.0),
        (("busbar_temp", 1), ("current_l2", -1), ("voltage", -1)),
        "A bolted busbar joint loosens with thermal cycling; contact resistance heats the joint "
        "well above what the load explains, one phase draws a little less and the voltage "
        "flickers, until the joint arcs and the breaker trips.",
    ),
    ModeSpec(
        "cooling_fan_failure",
        0.6,
        (2.0, 12.0),
        (("room_temp", 1), ("busbar_temp", 1)),
        "A ventilation fan's motor fails and the room heats up within hours; the transformer "
        "protection trips on over-temperature.",
    ),
    ModeSpec(
        "insulation_degradation",
        0.7,
        (24.0, 120.0),
        (("room_humidity", 1), ("insulation_resistance", -1), ("power_factor", -1)),
        "Moisture ingress on damp days lowers cable and winding insulation resistance until a "
        "ground fault trips the incomer.",
    ),
)

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


EQUIPMENT = Equipment(AssetClass.POWER_ROOM, "powermeter-pm8", SIGNALS, MODES, physics)
