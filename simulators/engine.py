"""The simulation: equipment state and sensor readings of every asset as pure functions of time."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from simulators.conditions import conditions_for
from simulators.config import FleetConfig
from simulators.equipment import all_equipment
from simulators.equipment.base import Inputs
from simulators.fleet import Asset, build_fleet
from simulators.noise import FloatArray, TimeArray, key_of, normal
from simulators.scenario import DAY, AssetPlan, plan_asset
from simulators.sensor_faults import apply_faults

_PRE_START_AVAILABILITY = 0.97  # share of time in service before the simulated span


@dataclass(frozen=True)
class Event:
    """One row of the ground-truth event log."""

    asset: str
    kind: str  # failure | precursor_onset | maintenance | sensor_fault
    ts: int
    end: int
    mode: str = ""
    signal: str = ""
    detail: str = ""
    magnitude: float = 0.0


def _lookahead_days(config: FleetConfig) -> float:
    f = config.realism.failures
    longest = max(
        [m.precursor_hours[1] for eq in all_equipment() for m in eq.modes]
        + [o.precursor_hours[1] for o in f.modes.values() if o.precursor_hours is not None]
    )
    return longest * f.precursor_scale / 24.0 + 1.0


class Simulation:
    """A seeded fleet whose every sample is a pure function of (seed, asset, signal, t)."""

    def __init__(self, config: FleetConfig, horizon_days: float | None = None) -> None:
        self.config = config
        self.start = int(config.start.timestamp())
        days = config.horizon_days if horizon_days is None else horizon_days
        self.end = self.start + int(days * DAY)
        # Plan past the end so a failure just after it still has its precursor inside.
        self._plan_end = self.end + int(_lookahead_days(config) * DAY)
        self.assets = build_fleet(config)
        self.by_id = {a.id: a for a in self.assets}
        self._plans: dict[str, AssetPlan] = {}
        self._keys: dict[tuple[str, str], int] = {}

    def plan(self, asset: Asset) -> AssetPlan:
        """The event plan of ``asset`` (drawn once, then kept)."""
        plan = self._plans.get(asset.id)
        if plan is None:
            plan = plan_asset(
                self.config.seed,
                asset.id,
                asset.equipment,
                self.config.realism,
                asset.install,
                self.start,
                self._plan_end,
            )
            self._plans[asset.id] = plan
        return plan

    def _key(self, asset: Asset, name: str) -> int:
        k = self._keys.get((asset.id, name))
        if k is None:
            k = key_of(self.config.seed, asset.id, name)
            self._keys[(asset.id, name)] = k
        return k

    def _inputs(self, asset: Asset, t: TimeArray) -> Inputs:
        plan = self.plan(asset)
        idx = np.searchsorted(plan.stop_starts, t, side="right") - 1
        valid = idx >= 0
        safe = np.where(valid, idx, 0)
        if plan.stop_starts.size:
            inside = valid & (t < plan.stop_ends[safe])
            stopped_before = np.where(
                valid,
                plan.stop_before[safe]
                + np.minimum(
                    t - plan.stop_starts[safe], plan.stop_ends[safe] - plan.stop_starts[safe]
                ),
                0,
            )
        else:
            inside = np.zeros(t.shape, dtype=bool)
            stopped_before = np.zeros(t.shape, dtype=np.int64)
        run_s = (
            (plan.start - plan.install) * _PRE_START_AVAILABILITY
            + (t - plan.start)
            - stopped_before
        )
        last_reset = plan.resets[np.maximum(np.searchsorted(plan.resets, t, side="right") - 1, 0)]
        return Inputs(
            t=t,
            conditions=conditions_for(asset.site, self.config.seed, t),
            running=~inside,
            degradation=self._degradation(asset, plan, t),
            wear_years=np.maximum(t - last_reset, 0) / (365.25 * DAY),
            run_hours=np.maximum(run_s, 0) / 3600.0,
            normal=lambda name: normal(self._key(asset, name), t),
        )

    def _degradation(self, asset: Asset, plan: AssetPlan, t: TimeArray) -> dict[str, FloatArray]:
        out = {m.name: np.zeros(t.shape) for m in asset.equipment.modes}
        for e in plan.episodes:
            if e.onset > t[-1] or e.repair <= t[0]:
                continue
            d = out[e.mode]
            stop = e.averted_at if e.averted_at is not None else e.failure
            if e.has_precursor:
                m = (t >= e.onset) & (t < stop)
                frac = (t[m] - e.onset) / (e.failure - e.onset)
                d[m] = np.maximum(d[m], e.strength * frac**e.shape)
            if e.happened:
                d[(t >= e.failure) & (t < e.repair)] = 1.0
        return out

    def state(self, asset: Asset, t: TimeArray) -> dict[str, FloatArray]:
        """True equipment state (noise-free physics) at the instants ``t``."""
        return asset.equipment.physics(self._inputs(asset, t))

    def degradation(self, asset: Asset, t: TimeArray) -> dict[str, FloatArray]:
        """Degradation per failure mode, 0 healthy to 1 failed."""
        return self._degradation(asset, self.plan(asset), t)

    def _measure(
        self, asset: Asset, t: TimeArray, state: dict[str, FloatArray]
    ) -> dict[str, FloatArray]:
        scale = self.config.realism.noise_scale
        out: dict[str, FloatArray] = {}
        for spec in asset.equipment.signals:
            v = state[spec.name]
            if spec.kind == "analog":
                if spec.noise and scale:
                    v = v + normal(self._key(asset, "sensor:" + spec.name), t) * (
                        spec.noise * scale
                    )
                if spec.floor is not None:
                    v = np.maximum(v, spec.floor)
            out[spec.name] = v
        return out

    def readings(self, asset: Asset, t: TimeArray) -> dict[str, FloatArray]:
        """What the sensors report: state plus measurement noise plus sensor faults."""
        clean = self._measure(asset, t, self.state(asset, t))
        return apply_faults(
            t,
            clean,
            self.plan(asset).sensor_faults,
            lambda signal, at: self._clean_at(asset, signal, at),
        )

    def _clean_at(self, asset: Asset, signal: str, at: int) -> float:
        t = np.array([at], dtype=np.int64)
        return float(self._measure(asset, t, self.state(asset, t))[signal][0])

    def events(self, asset: Asset) -> list[Event]:
        """The ground-truth event log of ``asset``, in time order."""
        plan = self.plan(asset)
        out: list[Event] = []
        for e in plan.episodes:
            if e.has_precursor:
                out.append(
                    Event(
                        asset.id,
                        "precursor_onset",
                        e.onset,
                        e.averted_at or e.failure,
                        mode=e.mode,
                        magnitude=e.strength,
                        detail="averted_by_maintenance" if not e.happened else "",
                    )
                )
            if e.happened:
                out.append(
                    Event(
                        asset.id,
                        "failure",
                        e.failure,
                        e.repair,
                        mode=e.mode,
                        magnitude=e.strength,
                        detail="precursor" if e.has_precursor else "no_precursor",
                    )
                )
                out.append(
                    Event(asset.id, "maintenance", e.repair, e.repair, mode=e.mode, detail="repair")
                )
        out.extend(
            Event(asset.id, "maintenance", m, m + plan.maintenance_s, detail="routine")
            for m in plan.maintenance
        )
        out.extend(
            Event(
                asset.id,
                "sensor_fault",
                f.start,
                f.end,
                signal=f.signal,
                detail=f.kind,
                magnitude=f.magnitude,
            )
            for f in plan.sensor_faults
        )
        out = [ev for ev in out if ev.ts < self.end]
        out.sort(key=lambda ev: (ev.ts, ev.kind))
        return out

    @cached_property
    def signal_count(self) -> int:
        """Signals summed over all assets."""
        return sum(len(a.equipment.signals) for a in self.assets)


def sample_times(start: int, end: int, interval_s: int) -> npt.NDArray[np.int64]:
    """Sample instants from ``start`` (inclusive) to ``end`` (exclusive)."""
    return np.arange(start, end, interval_s, dtype=np.int64)
