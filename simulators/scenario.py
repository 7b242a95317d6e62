"""The event plan of one asset: failures with their precursors, maintenance, sensor faults.

Each process (maintenance, failures, each sensor's faults) draws from its own seeded
stream in time order, so a longer horizon only appends events: an export over 30 days
equals the first 30 days of a live run with the same seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from simulators.config import RealismConfig
from simulators.equipment.base import Equipment
from simulators.noise import key_of

HOUR = 3600
DAY = 86_400
YEAR_S = 365.25 * DAY

FaultKind = Literal["stuck", "spike", "dropout", "drift", "garbage"]
FAULT_KINDS: tuple[FaultKind, ...] = ("stuck", "spike", "dropout", "drift", "garbage")
_FAULT_HOURS: dict[str, tuple[float, float]] = {
    "stuck": (2.0, 48.0),
    "spike": (1.0, 24.0),
    "dropout": (0.2, 12.0),
    "drift": (72.0, 720.0),
    "garbage": (0.5, 6.0),
}
GARBAGE_VALUES = (6553.5, -3276.8, 9999.0)


@dataclass(frozen=True)
class FailureEpisode:
    """A planned failure; ``averted_at`` is set when maintenance came first."""

    mode: str
    onset: int  # precursor start (== failure when there is no precursor)
    failure: int
    repair: int
    strength: float
    shape: float
    averted_at: int | None = None

    @property
    def has_precursor(self) -> bool:
        """True when the failure announces itself in the signals."""
        return self.onset < self.failure

    @property
    def happened(self) -> bool:
        """True when the asset really failed."""
        return self.averted_at is None


@dataclass(frozen=True)
class SensorFault:
    """An episode during which one sensor misreports."""

    signal: str
    kind: FaultKind
    start: int
    end: int
    magnitude: float
    key: int


@dataclass(frozen=True)
class AssetPlan:
    """Every planned event of one asset, with intervals prepared for vectorised lookups."""

    asset_id: str
    install: int
    start: int
    end: int
    episodes: tuple[FailureEpisode, ...]
    maintenance: tuple[int, ...]  # starts of routine maintenance
    maintenance_s: int
    sensor_faults: tuple[SensorFault, ...]
    stop_starts: npt.NDArray[np.int64] = field(repr=False)
    stop_ends: npt.NDArray[np.int64] = field(repr=False)
    stop_before: npt.NDArray[np.int64] = field(repr=False)  # stopped seconds before each stop
    resets: npt.NDArray[np.int64] = field(repr=False)  # instants wear restarts from zero


def _log_uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def _maintenance(
    rng: np.random.Generator, realism: RealismConfig, start: int, end: int
) -> list[int]:
    m = realism.maintenance
    out: list[int] = []
    t = start + rng.uniform(0.1, 1.0) * m.interval_days * DAY
    while t < end:
        out.append(int(t))
        t += max(1.0, m.interval_days + rng.normal(0.0, m.jitter_days)) * DAY
    return out


def _failures(
    rng: np.random.Generator,
    equipment: Equipment,
    realism: RealismConfig,
    age_years: float,
    maintenance: list[int],
    start: int,
    end: int,
) -> list[FailureEpisode]:
    f = realism.failures
    weights = np.array(
        [
            (
                f.modes[m.name].weight
                if m.name in f.modes and f.modes[m.name].weight is not None
                else m.weight
            )
            for m in equipment.modes
        ]
    )
    total = float(weights.sum())
    if total <= 0:
        return []
    rate_per_s = (1.0 + f.age_factor_per_year * age_years) / (f.mtbf_days * DAY)
    maint = np.asarray(maintenance, dtype=np.int64)
    episodes: list[FailureEpisode] = []
    t = float(start)
    while True:
        failure = t + rng.exponential(1.0 / rate_per_s)
        if failure >= end:
            return episodes
        mode = equipment.modes[int(rng.choice(len(weights), p=weights / total))]
        hours = f.precursor_hours(mode.name, mode.precursor_hours)
        length = _log_uniform(rng, *hours) * f.precursor_scale * HOUR
        silent = rng.uniform() < f.no_precursor_share
        onset = failure if silent else max(failure - length, t + HOUR)
        strength = rng.uniform(*f.strength)
        shape = rng.uniform(1.3, 2.8)
        repair = failure + rng.uniform(*f.downtime_hours) * HOUR
        inside = maint[(maint > onset) & (maint < failure)]
        if onset < failure and inside.size:
            averted = int(inside[0])
            episodes.append(
                FailureEpisode(
                    mode.name,
                    int(onset),
                    int(failure),
                    int(repair),
                    strength,
                    shape,
                    averted_at=averted,
                )
            )
            t = averted + realism.maintenance.duration_hours * HOUR
            continue
        episodes.append(
            FailureEpisode(mode.name, int(onset), int(failure), int(repair), strength, shape)
        )
        t = repair


def _sensor_faults(
    seed: int, asset_id: str, equipment: Equipment, realism: RealismConfig, start: int, end: int
) -> list[SensorFault]:
    cfg = realism.sensor_faults
    weights = np.array([getattr(cfg, k) for k in FAULT_KINDS], dtype=np.float64)
    if cfg.episodes_per_sensor_year <= 0 or weights.sum() <= 0:
        return []
    weights /= weights.sum()
    mean_gap = YEAR_S / cfg.episodes_per_sensor_year
    out: list[SensorFault] = []
    for spec in equipment.signals:
        if spec.kind != "analog":
            continue
        rng = np.random.default_rng([seed, key_of(asset_id, spec.name) % 2**63, 3])
        t = start + rng.exponential(mean_gap)
        while t < end:
            kind = FAULT_KINDS[int(rng.choice(len(FAULT_KINDS), p=weights))]
            duration = _log_uniform(rng, *_FAULT_HOURS[kind]) * HOUR
            span = spec.hi - spec.lo
            if kind == "drift":
                magnitude = float(rng.choice([-1.0, 1.0]) * rng.uniform(0.05, 0.2) * span)
            elif kind == "spike":
                magnitude = float(rng.uniform(0.25, 0.6) * span)
            elif kind == "garbage":
                magnitude = float(GARBAGE_VALUES[int(rng.integers(len(GARBAGE_VALUES)))])
            else:
                magnitude = 0.0
            out.append(
                SensorFault(
                    spec.name,
                    kind,
                    int(t),
                    int(t + duration),
                    magnitude,
                    key_of(asset_id, spec.name, int(t)),
                )
            )
            t += duration + rng.exponential(mean_gap)
    out.sort(key=lambda s: s.start)
    return out


def _stops(
    episodes: list[FailureEpisode], maintenance: list[int], maintenance_s: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    spans = [(e.failure, e.repair) for e in episodes if e.happened]
    spans += [(m, m + maintenance_s) for m in maintenance]
    spans.sort()
    merged: list[list[int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    starts = np.array([a for a, _ in merged], dtype=np.int64)
    ends = np.array([b for _, b in merged], dtype=np.int64)
    return starts, ends


def plan_asset(
    seed: int,
    asset_id: str,
    equipment: Equipment,
    realism: RealismConfig,
    install: int,
    start: int,
    end: int,
) -> AssetPlan:
    """Draw the event plan of one asset over ``[start, end)`` (epoch seconds)."""
    base = key_of(asset_id) % 2**63
    age_years = max(0.0, (start - install) / YEAR_S)
    maint_all = _maintenance(np.random.default_rng([seed, base, 1]), realism, start, end)
    episodes = _failures(
        np.random.default_rng([seed, base, 2]), equipment, realism, age_years, maint_all, start, end
    )
    downtime = [(e.failure, e.repair) for e in episodes if e.happened]
    maintenance = [m for m in maint_all if not any(a <= m < b for a, b in downtime)]
    maintenance_s = int(realism.maintenance.duration_hours * HOUR)
    stop_starts, stop_ends = _stops(episodes, maintenance, maintenance_s)
    durations = stop_ends - stop_starts
    stop_before = np.concatenate([[0], np.cumsum(durations)[:-1]]).astype(np.int64)
    resets = sorted(
        [install]
        + [m + maintenance_s for m in maintenance]
        + [e.repair for e in episodes if e.happened]
    )
    return AssetPlan(
        asset_id=asset_id,
        install=install,
        start=start,
        end=end,
        episodes=tuple(episodes),
        maintenance=tuple(maintenance),
        maintenance_s=maintenance_s,
        sensor_faults=tuple(_sensor_faults(seed, asset_id, equipment, realism, start, end)),
        stop_starts=stop_starts,
        stop_ends=stop_ends,
        stop_before=stop_before,
        resets=np.asarray(resets, dtype=np.int64),
    )
