"""Physics built from a catalogue file: drivers, idle values, failure-mode shifts, thresholds.

Each analog signal is ``base + sum(effect * driver)`` plus, for every failure mode that moves
it, ``shift * degradation ** shape``; it takes its ``idle`` value while the asset is stopped.
Status signals follow the running state or a threshold on another signal; counters count
per running hour. This is what lets a site add a class with a YAML file and no code.
"""

from __future__ import annotations

import numpy as np

from kernel.catalogue import AssetClassDef
from simulators.conditions import Conditions
from simulators.equipment.base import Inputs, Physics, stopped
from simulators.noise import FloatArray


def _drivers(c: Conditions, load: FloatArray, wear_years: FloatArray) -> dict[str, FloatArray]:
    return {
        "load": load,
        "outdoor_c": c.outdoor_c,
        "occupancy": c.occupancy,
        "cooling_demand": c.cooling_demand,
        "heating_demand": c.heating_demand,
        "wear_years": wear_years,
    }


def catalogue_physics(cls: AssetClassDef) -> Physics:
    """The physics of ``cls`` as its catalogue file describes it."""
    weights = cls.simulate.load
    shifts = {
        s.name: [
            (m.name, v, m.shape)
            for m in cls.failure_modes
            for n, v in m.moves.items()
            if n == s.name
        ]
        for s in cls.signals
    }

    def physics(x: Inputs) -> dict[str, FloatArray]:
        c = x.conditions
        load_terms = _drivers(c, np.zeros(x.t.shape), x.wear_years)
        load = np.full(x.t.shape, weights.get("base", 0.0))
        for name, w in weights.items():
            if name != "base":
                load = load + w * load_terms[name]
        drivers = _drivers(c, np.clip(load, 0.05, 1.0), x.wear_years)
        out: dict[str, FloatArray] = {}
        for s in cls.signals:
            sim = s.simulate
            if s.kind == "analog":
                v = np.full(x.t.shape, sim.base)
                for d, k in sim.effects.items():
                    v = v + k * drivers[d]
                for mode, shift, shape in shifts[s.name]:
                    v = v + shift * x.d(mode) ** shape
                out[s.name] = stopped(x.running, v, sim.idle) if sim.idle is not None else v
            elif s.kind == "counter":
                rate = 1.0 if sim.per_run_hour is None else sim.per_run_hour
                out[s.name] = x.run_hours * rate
        for s in cls.signals:
            if s.kind == "status":
                when = s.simulate.on_when
                if when is None:
                    on = x.running
                elif when.above is not None:
                    on = out[when.signal] > when.above
                else:
                    assert when.below is not None  # the schema sets exactly one
                    on = out[when.signal] < when.below
                out[s.name] = on.astype(np.float64)
        return out

    return physics
