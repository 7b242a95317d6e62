"""Sensor faults change readings, never the equipment state."""

import numpy as np

from simulators.config import FleetConfig
from simulators.engine import Simulation, sample_times
from tests.simulators.conftest import without


def test_sensor_faults_change_readings_not_state(fleet: FleetConfig) -> None:
    cfg = fleet.model_copy(
        update={
            "realism": fleet.realism.model_copy(
                update={
                    "sensor_faults": fleet.realism.sensor_faults.model_copy(
                        update={"episodes_per_sensor_year": 25.0}
                    )
                }
            )
        }
    )
    sim = Simulation(cfg, horizon_days=30)
    clean = Simulation(without(cfg, failures=False), horizon_days=30)
    t = sample_times(sim.start, sim.end, 300)
    kinds_seen = set()
    for asset in sim.assets:
        state, clean_state = sim.state(asset, t), clean.state(asset, t)
        for name in state:
            np.testing.assert_array_equal(state[name], clean_state[name])
        got, ref = sim.readings(asset, t), clean.readings(asset, t)
        for f in sim.plan(asset).sensor_faults:
            inside = (t >= f.start) & (t < f.end)
            if not inside.any():
                continue
            a, b = got[f.signal][inside], ref[f.signal][inside]
            differs = ~np.isclose(a, b, equal_nan=True)
            if f.kind == "dropout":
                assert np.isnan(a).all()
            elif f.kind == "stuck":
                assert np.unique(a).size == 1
            elif f.kind == "spike":
                assert np.allclose(np.abs(a - b)[differs], f.magnitude)
            elif f.kind == "garbage":
                assert (a[differs] == f.magnitude).all()
            if differs.any():
                kinds_seen.add(f.kind)
    assert kinds_seen == {"stuck", "spike", "dropout", "drift", "garbage"}


def test_same_seed_same_data_other_seed_other_data(fleet: FleetConfig) -> None:
    t = sample_times(int(fleet.start.timestamp()), int(fleet.start.timestamp()) + 5 * 86400, 600)
    a = Simulation(fleet, horizon_days=5)
    b = Simulation(fleet, horizon_days=5)
    c = Simulation(fleet.model_copy(update={"seed": fleet.seed + 1}), horizon_days=5)
    for asset in a.assets:
        ra, rb, rc = a.readings(asset, t), b.readings(asset, t), c.readings(asset, t)
        for s in ra:
            np.testing.assert_array_equal(ra[s], rb[s])
        assert any(not np.array_equal(ra[s], rc[s], equal_nan=True) for s in ra)


def test_longer_horizon_only_appends(fleet: FleetConfig) -> None:
    short, long = Simulation(fleet, horizon_days=20), Simulation(fleet, horizon_days=60)
    t = sample_times(short.start, short.end, 600)
    for asset in short.assets:
        ra, rb = short.readings(asset, t), long.readings(asset, t)
        for s in ra:
            np.testing.assert_array_equal(ra[s], rb[s])
        assert [e for e in short.events(asset) if e.end < short.end] == [
            e for e in long.events(asset) if e.end < short.end
        ]


def test_live_sample_equals_export_sample(fleet: FleetConfig) -> None:
    sim = Simulation(fleet, horizon_days=10)
    t = sample_times(sim.start, sim.end, 600)
    asset = sim.assets[3]
    block = sim.readings(asset, t)
    one = sim.readings(asset, t[100:101])
    for s in block:
        np.testing.assert_array_equal(block[s][100:101], one[s])
