"""Sensor faults change what a sensor reports, never the equipment's state."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from simulators.noise import FloatArray, TimeArray, uniform
from simulators.scenario import SensorFault

SPIKE_SHARE = 0.15  # share of samples that spike during a spike episode
GARBAGE_SHARE = 0.7


def apply_faults(
    t: TimeArray,
    values: dict[str, FloatArray],
    faults: Sequence[SensorFault],
    clean_at: Callable[[str, int], float],
) -> dict[str, FloatArray]:
    """Readings as the sensors report them; ``clean_at`` gives a fault-free reading."""
    out = dict(values)
    copied: set[str] = set()
    for f in faults:
        if f.signal not in out or f.end <= t[0] or f.start > t[-1]:
            continue
        mask = (t >= f.start) & (t < f.end)
        if not mask.any():
            continue
        if f.signal not in copied:
            out[f.signal] = out[f.signal].copy()
            copied.add(f.signal)
        v = out[f.signal]
        tm = t[mask]
        if f.kind == "stuck":
            v[mask] = clean_at(f.signal, f.start)
        elif f.kind == "dropout":
            v[mask] = np.nan
        elif f.kind == "drift":
            v[mask] += f.magnitude * (tm - f.start) / max(1, f.end - f.start)
        elif f.kind == "spike":
            hit = uniform(f.key, tm) < SPIKE_SHARE
            sign = np.where(uniform(f.key ^ 1, tm) < 0.5, -1.0, 1.0)
            v[mask] += hit * sign * f.magnitude
        else:  # garbage
            hit = uniform(f.key, tm) < GARBAGE_SHARE
            v[mask] = np.where(hit, f.magnitude, v[mask])
    return out
