"""The class normaliser: residuals against conditions, then against the other signals."""

from __future__ import annotations

import numpy as np

from models.asset_frames import AssetFrame
from models.features import feature_names, features
from models.normalise import ClassNormaliser
from models.pipeline import AssetHistory, settled_rows

SIGNALS = ("flow", "motor_current", "discharge_pressure", "pump_running")


def _pump(rng: np.random.Generator, n: int, fault: float = 0.0) -> AssetFrame:
    """A pump driven by an unmeasured demand that moves current and pressure together."""
    t = 1_700_000_000 + 600 * np.arange(n, dtype=np.int64)
    demand = np.convolve(rng.normal(0.0, 1.0, n + 36), np.ones(36) / 6.0, mode="valid")[:n]
    flow = 40.0 + rng.normal(0.0, 0.5, n)
    current = 30.0 + 4.0 * demand + rng.normal(0.0, 0.2, n)
    pressure = 5.0 + 0.5 * demand + rng.normal(0.0, 0.03, n)
    pressure[n // 2 :] -= fault  # a worn impeller: pressure falls, current does not
    x = np.column_stack([flow, current, pressure, np.ones(n)]).astype(np.float32)
    return AssetFrame("pump-1", "pump", t, SIGNALS, x)


def test_a_fault_that_breaks_the_tie_between_signals_stands_out() -> None:
    rng = np.random.default_rng(3)
    norm = ClassNormaliser("pump").fit([_pump(rng, 4000)])
    p = norm.analog.index("discharge_pressure")
    assert norm.cross[p, norm.analog.index("motor_current")] > 0.5  # learned: they move together
    assert not norm.cross[norm.analog.index("flow")].any()  # a condition keeps its own

    healthy, _, _ = norm.transform(_pump(np.random.default_rng(4), 4000))
    assert 0.8 < float(np.nanstd(healthy[:, p])) < 1.2  # in units of the typical residual

    # A fall of under a third of the demand-driven swing: lost in that swing against the
    # conditions alone, several typical residuals against what motor current says.
    frame = _pump(np.random.default_rng(4), 4000, fault=0.15)
    faulty, _, _ = norm.transform(frame)
    shift = float(np.nanmean(faulty[2000:, p]) - np.nanmean(healthy[2000:, p]))
    against_conditions = 0.15 / float(np.std(frame.x[:2000, 2]))
    assert shift < -3.0
    assert abs(shift) > 5 * against_conditions


def test_a_class_with_one_analog_signal_or_none_is_normalised() -> None:
    rng = np.random.default_rng(5)
    t = 1_700_000_000 + 600 * np.arange(2000, dtype=np.int64)
    level = rng.normal(10.0, 1.0, 2000)
    on = (rng.random(2000) < 0.5).astype(np.float64)
    for signals, x in ((("level",), [level]), (("on",), [on]), (("level", "on"), [level, on])):
        frame = AssetFrame("a-1", "custom", t, signals, np.column_stack(x).astype(np.float32))
        norm = ClassNormaliser("custom").fit([frame])
        resid, status, _ = norm.transform(frame)
        assert resid.shape == (2000, len(norm.analog)) and status.shape == (2000, len(norm.status))
        assert norm.cross.shape == (len(norm.analog), len(norm.analog)) and not norm.cross.any()
        if norm.analog:
            assert 0.9 < float(np.nanstd(resid)) < 1.1


def test_windows_forget_what_came_before_the_last_maintenance() -> None:
    rng = np.random.default_rng(6)
    n, day = 12 * 144, 144
    t = 1_700_000_000 + 600 * np.arange(n, dtype=np.int64)
    healthy = rng.normal(10.0, 1.0, (n, 1)).astype(np.float32)
    norm = ClassNormaliser("custom").fit([AssetFrame("a-0", "custom", t, ("level",), healthy)])
    level = rng.normal(10.0, 1.0, n)
    level[: 9 * day] += 3.0  # worn before the service on day 9, normal after it
    frame = AssetFrame("a-1", "custom", t, ("level",), level[:, None].astype(np.float32))
    names = feature_names(norm)
    d6, d24 = names.index("level:d6"), names.index("level:d24")
    idx = np.array([9 * day + 72, 11 * day], dtype=np.int64)  # 12 h and 2 days after it
    serviced = np.array([t[9 * day]])
    before = features(norm, frame, idx, np.zeros(0, np.int64))
    after = features(norm, frame, idx, serviced)
    # Against a baseline of mostly worn days, normal looks like a fall (in units of that
    # baseline's spread, which the step widens); against the day since the service, nothing.
    assert before[1, d24] < -1.5
    assert abs(after[1, d24]) < 0.5
    assert np.isnan(after[0, d6])  # the baseline ends before the service: no baseline yet
    alone = features(norm, frame, idx[1:], serviced)  # one instant: the scorer's block sums
    np.testing.assert_allclose(alone[0], after[1], rtol=1e-5, atol=1e-6, equal_nan=True)
    assert np.isfinite(after[0, names.index("level:m6")])


HVAC = ("suction_pressure", "outdoor_temp", "compressor_running")


def _hvac(seed: int, n: int = 6000) -> tuple[np.ndarray, np.ndarray]:
    """A compressor that runs 60 % of the time: grid times and columns in ``HVAC`` order.
    Running, suction barely follows the weather; stopped, it settles with it."""
    rng = np.random.default_rng(seed)
    t = 1_700_000_000 + 600 * np.arange(n, dtype=np.int64)
    outdoor = 15.0 + 8.0 * np.sin(np.arange(n) / 400.0) + rng.normal(0.0, 0.3, n)
    running = (rng.random(n) < 0.6).astype(np.float64)
    suction = np.where(running == 1, 4.0 + 0.02 * outdoor, 5.0 + 0.12 * outdoor)
    suction += rng.normal(0.0, 0.05, n)
    return t, np.column_stack([suction, outdoor, running]).astype(np.float32)


def test_a_stopped_machine_idles_by_its_own_rules() -> None:
    t, x = _hvac(7)
    frame = AssetFrame("hvac-1", "hvac", t, HVAC, x)
    norm = ClassNormaliser("hvac").fit([frame])
    assert norm.state == "compressor_running"
    resid, _, _ = norm.transform(frame)
    j = norm.analog.index("suction_pressure")
    raw = resid[:, j] * norm.scale[j] * norm.cross_scale[j]  # back in bar
    assert float(np.nanstd(raw)) < 0.06  # the sensor's own noise, not the two regimes' gap


def test_an_unknown_running_state_predicts_nothing_rather_than_stopped() -> None:
    t, x = _hvac(8)
    n = len(t)
    x[:500, 2] = np.nan  # a poll block lost while fitting: those rows teach nothing
    norm = ClassNormaliser("hvac").fit([AssetFrame("hvac-1", "hvac", t, HVAC, x)])
    j = norm.analog.index("suction_pressure")
    # The running compressor's state goes missing for 36 slots (6 h): its suction is not
    # judged against a stopped machine's, it is unknown; the outdoor temperature is kept.
    gone = slice(n - 36, n)
    x[gone, 2] = np.nan
    resid, _, _ = norm.transform(AssetFrame("hvac-1", "hvac", t, HVAC, x))
    assert np.isnan(resid[gone, j]).all()
    assert np.isfinite(resid[gone, norm.analog.index("outdoor_temp")]).all()
    known = np.isfinite(resid[500 : n - 36, j])
    assert known.all() and float(np.nanstd(resid[500 : n - 36, j])) < 2.0


WORN = ("vibration", "bearing_temperature", "motor_current")


def _wearing_engine(seed: int, runs: int = 4, n: int = 3000) -> tuple[AssetFrame, np.ndarray]:
    """Runs to failure in which a wear moves three signals together over the last 600 rows;
    and the instants of the failures."""
    rng = np.random.default_rng(seed)
    t = 1_700_000_000 + 600 * np.arange(runs * n, dtype=np.int64)
    wear = np.zeros(runs * n)
    for r in range(runs):
        wear[(r + 1) * n - 600 : (r + 1) * n] = np.linspace(0.0, 4.0, 600)
    x = np.column_stack([wear + rng.normal(0.0, 1.0, len(t)) for _ in WORN]).astype(np.float32)
    return AssetFrame("engine-1", "engine", t, WORN, x), t[n - 1 :: n] + 600


def test_the_normal_learned_away_from_failures_keeps_a_wear_that_moves_every_signal() -> None:
    frame, failures = _wearing_engine(5)
    history = AssetHistory(failures, ["wear"] * len(failures), failures + 3600, failures[:0])
    worn = np.zeros(len(frame.t), bool)
    for f in failures:
        worn[(frame.t > f - 600 * 200) & (frame.t < f)] = True  # the worst third of each wear

    def worn_residual(norm: ClassNormaliser) -> float:
        resid = norm.residuals(frame)
        assert 0.8 < float(np.nanstd(resid[~worn & (frame.t < failures[0] - 600 * 600)])) < 1.2
        return float(np.nanmean(resid[worn]))

    # Learned from every row, the shared wear is taken for how the signals move together
    # and explained away; learned from the settled rows, it stands out.
    everything = worn_residual(ClassNormaliser("engine").fit([frame]))
    settled = worn_residual(
        ClassNormaliser("engine").fit([frame], settled=[settled_rows(frame.t, history)])
    )
    assert everything < 1.5
    assert settled > 3.0


def test_settled_rows_leave_out_the_week_before_a_failure_and_the_repair() -> None:
    day = 86_400
    t = np.arange(0, 40 * day, 3600, dtype=np.int64)
    history = AssetHistory(
        np.array([20 * day]), ["wear"], np.array([22 * day]), np.zeros(0, np.int64)
    )
    settled = settled_rows(t, history)
    assert settled[t < 13 * day].all()  # more than a week ahead
    assert not settled[(t > 13 * day) & (t <= 22 * day)].any()  # the last week and the repair
    assert settled[t > 22 * day].all()  # repaired, no failure ahead
