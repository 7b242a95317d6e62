"""The simulated physics: precursors move the documented signals before a failure."""

import numpy as np
import pytest

from simulators.config import FleetConfig, ModeOverride
from simulators.engine import Simulation, sample_times
from simulators.equipment import all_equipment, equipment
from tests.simulators.conftest import without

MODES = [(eq.asset_class, m.name) for eq in all_equipment() for m in eq.modes]


def _late_precursor_times(sim: Simulation, mode: str, cls: str) -> tuple[str, np.ndarray]:
    for asset in sim.assets:
        if asset.asset_class != cls:
            continue
        for e in sim.plan(asset).episodes:
            if e.mode == mode and e.has_precursor and e.happened and e.strength > 0.6:
                length = e.failure - e.onset
                t = np.linspace(e.failure - 0.15 * length, e.failure - 60, 50).astype(np.int64)
                return asset.id, t
    pytest.fail(f"no {mode} failure with a precursor in the fleet")


@pytest.mark.parametrize(("cls", "mode"), MODES)
def test_precursor_moves_its_signals_before_the_failure(
    every_class_fleet: FleetConfig, cls: str, mode: str
) -> None:
    cfg = every_class_fleet
    # Only this mode fails, often, so the fleet surely holds an episode of it.
    weights = {
        m.name: ModeOverride(weight=1.0 if m.name == mode else 0.0) for m in equipment(cls).modes
    }
    failures = cfg.realism.failures.model_copy(
        update={"modes": weights, "mtbf_days": 10.0, "no_precursor_share": 0.0}
    )
    faulty = cfg.model_copy(
        update={"realism": cfg.realism.model_copy(update={"failures": failures})}
    )
    sim = Simulation(faulty, horizon_days=120)
    healthy = Simulation(without(faulty, sensor_faults=False), horizon_days=120)
    asset_id, t = _late_precursor_times(sim, mode, cls)
    degraded = sim.state(sim.by_id[asset_id], t)
    normal = healthy.state(healthy.by_id[asset_id], t)
    spec = next(m for m in equipment(cls).modes if m.name == mode)
    for signal, direction in spec.moves:
        change = float(np.mean(degraded[signal] - normal[signal]))
        assert change * direction > 0, f"{mode} should move {signal} by sign {direction}"


def test_refrigerant_leak_lowers_suction_and_raises_current(fleet: FleetConfig) -> None:
    sim = Simulation(fleet, horizon_days=365)
    hvac = [a for a in sim.assets if a.asset_class == "hvac"]
    leaks = [
        (a, e)
        for a in hvac
        for e in sim.plan(a).episodes
        if e.mode == "refrigerant_leak" and e.has_precursor and e.happened
    ]
    assert leaks, "the fleet should hold a refrigerant leak"
    asset, e = leaks[0]
    t = np.array([e.onset - 60, e.failure - 60], dtype=np.int64)
    d = sim.degradation(asset, t)["refrigerant_leak"]
    assert d[0] == 0.0 and d[1] > 0.3
    s = sim.state(asset, t)
    h = Simulation(without(fleet, sensor_faults=False), horizon_days=365).state(asset, t)
    assert s["suction_pressure"][1] < h["suction_pressure"][1] - 0.5
    assert s["compressor_current"][1] > h["compressor_current"][1] + 4.0


def test_failure_stops_the_asset_until_repair_and_repair_resets(fleet: FleetConfig) -> None:
    sim = Simulation(fleet, horizon_days=120)
    pump = next(a for a in sim.assets if a.asset_class == "pump")
    e = next(e for e in sim.plan(pump).episodes if e.happened)
    t = np.array([e.failure + 1, (e.failure + e.repair) // 2, e.repair + 1], dtype=np.int64)
    s = sim.state(pump, t)
    assert list(s["pump_running"]) == [0.0, 0.0, 1.0]
    assert s["motor_current"][0] == 0.0 and s["flow"][1] == 0.0
    assert all(v[2] == 0.0 for v in sim.degradation(pump, t).values())


def test_no_precursor_share_one_gives_sudden_failures(fleet: FleetConfig) -> None:
    f = fleet.realism.failures.model_copy(update={"no_precursor_share": 1.0})
    sim = Simulation(
        fleet.model_copy(update={"realism": fleet.realism.model_copy(update={"failures": f})}),
        horizon_days=120,
    )
    episodes = [e for a in sim.assets for e in sim.plan(a).episodes]
    assert episodes and not any(e.has_precursor for e in episodes)


def test_operating_conditions_move_signals_without_faults(fleet: FleetConfig) -> None:
    sim = Simulation(without(fleet), horizon_days=365)
    hvac = next(a for a in sim.assets if a.asset_class == "hvac")
    elevator = next(a for a in sim.assets if a.asset_class == "elevator")
    winter_night = sim.start + 14 * 86400 + 3 * 3600 + 6 * 86400  # a Tuesday 03:00 in January
    summer_noon = sim.start + 196 * 86400 + 14 * 3600  # a Wednesday in July, 14:00
    t = np.array([winter_night, summer_noon], dtype=np.int64)
    h = sim.state(hvac, t)
    assert h["outdoor_temp"][1] > h["outdoor_temp"][0] + 10
    assert h["compressor_current"][1] > h["compressor_current"][0] + 20
    e = sim.state(elevator, t)
    assert e["trips_per_hour"][1] > 3 * e["trips_per_hour"][0]


def test_maintenance_resets_wear_and_averts_a_failure_under_way() -> None:
    from simulators.config import synthetic_fleet

    cfg = synthetic_fleet(40, seed=5)
    r = cfg.realism
    cfg = cfg.model_copy(
        update={
            "realism": r.model_copy(
                update={
                    "failures": r.failures.model_copy(
                        update={"mtbf_days": 15.0, "precursor_scale": 3.0}
                    ),
                    "maintenance": r.maintenance.model_copy(update={"interval_days": 10.0}),
                }
            )
        }
    )
    sim = Simulation(cfg, horizon_days=200)
    averted = [(a, e) for a in sim.assets for e in sim.plan(a).episodes if not e.happened]
    assert averted
    asset, e = averted[0]
    assert e.averted_at is not None
    t = np.array(
        [e.averted_at - 1, e.averted_at + sim.plan(asset).maintenance_s + 1], dtype=np.int64
    )
    assert sim.degradation(asset, t)[e.mode][0] > 0
    assert sim.degradation(asset, t)[e.mode][1] == 0
    kinds = {(ev.kind, ev.detail) for ev in sim.events(asset)}
    assert ("precursor_onset", "averted_by_maintenance") in kinds


def test_event_log_matches_the_plan(fleet: FleetConfig) -> None:
    sim = Simulation(fleet, horizon_days=120)
    for asset in sim.assets:
        plan = sim.plan(asset)
        events = sim.events(asset)
        failures = [ev for ev in events if ev.kind == "failure"]
        assert len(failures) == sum(e.happened and e.failure < sim.end for e in plan.episodes)
        faults = [f for f in plan.sensor_faults if f.start < sim.end]
        assert len([ev for ev in events if ev.kind == "sensor_fault"]) == len(faults)
        assert all(ev.ts < sim.end for ev in events)
        assert [ev.ts for ev in events] == sorted(ev.ts for ev in events)
    t = sample_times(sim.start, sim.end, 3600)
    assert t.size == 120 * 24
