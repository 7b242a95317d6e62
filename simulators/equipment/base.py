"""What every simulated equipment class provides: its signals, failure modes and physics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from simulators.conditions import Conditions
from simulators.noise import FloatArray, TimeArray

SignalKind = Literal["analog", "counter", "status"]


@dataclass(frozen=True)
class SignalSpec:
    """A signal with its unit, plausible range and measurement noise (one sigma)."""

    name: str
    unit: str
    lo: float
    hi: float
    noise: float = 0.0
    kind: SignalKind = "analog"
    floor: float | None = None  # physical lower bound the true value never goes under


@dataclass(frozen=True)
class ModeSpec:
    """A failure mode: relative frequency, precursor length range and what it moves."""

    name: str
    weight: float
    precursor_hours: tuple[float, float]
    moves: tuple[tuple[str, int], ...]  # (signal, +1 rises / -1 falls)
    story: str


@dataclass(frozen=True)
class Inputs:
    """Everything the physics of one asset needs at the instants ``t``."""

    t: TimeArray
    conditions: Conditions
    running: npt.NDArray[np.bool_]
    degradation: dict[str, FloatArray]  # mode -> 0 (healthy) .. 1 (about to fail)
    wear_years: FloatArray  # time since the last maintenance or repair
    run_hours: FloatArray
    normal: Callable[[str], FloatArray]  # seeded process noise by name, unit variance

    def d(self, mode: str) -> FloatArray:
        """Degradation of ``mode`` at every instant."""
        return self.degradation[mode]


Physics = Callable[[Inputs], dict[str, FloatArray]]


@dataclass(frozen=True)
class Equipment:
    """One equipment class: its signals, its failure modes and its physics."""

    asset_class: str
    model: str
    signals: tuple[SignalSpec, ...]
    modes: tuple[ModeSpec, ...]
    physics: Physics

    def signal(self, name: str) -> SignalSpec:
        """The spec of signal ``name``."""
        for s in self.signals:
            if s.name == name:
                return s
        raise KeyError(name)


def stopped(
    running: npt.NDArray[np.bool_], value: FloatArray, idle: float | FloatArray
) -> FloatArray:
    """``value`` while the asset runs, ``idle`` while it is stopped."""
    return np.where(running, value, idle)
