"""Stages are pure over their inputs and state: fed readings, checked readings out."""

from __future__ import annotations

import random

import pytest

from edge.config import AlarmRule, AnomalyConfig, ReportRule, ValidateConfig
from edge.config_parts import SignalSpec
from edge.metrics import EdgeMetrics
from edge.stages.anomaly import Anomaly, RobustZ
from edge.stages.base import Context
from edge.stages.deadband import Deadband
from edge.stages.local_alarm import LocalAlarm
from edge.stages.validate import Validate
from kernel.contract import Quality, Reading

CTX = Context(
    specs={("p1", "temp"): SignalSpec(unit="degC", min=-20, max=120)},
    classes={"p1": "pump", "r1": "power_room"},
    metrics=EdgeMetrics(),
)


def series(
    values: list[float | None], signal: str = "temp", asset: str = "p1", step_ms: int = 1000
) -> list[Reading]:
    return [Reading(asset, signal, i * step_ms, v) for i, v in enumerate(values)]


def noisy(n: int, level: float = 50.0, seed: int = 1) -> list[float]:
    rng = random.Random(seed)
    return [level + rng.gauss(0, 0.5) for _ in range(n)]


def test_validate_flags_dropout_range_stuck_spike_and_keeps_every_reading() -> None:
    v = Validate(ValidateConfig(stuck_count=5, spike_mads=12, spike_warmup=20), CTX)
    values: list[float | None] = [
        *noisy(40),
        None,
        999.0,
        *[50.123] * 7,
        *noisy(10, seed=2),
        90.3,
        *noisy(10, seed=3),
    ]
    out = v.apply(series(values))
    assert len(out) == len(values)
    q = [r.quality for r in out]
    assert q[40] & Quality.DROPOUT and out[40].value is None
    assert q[41] & Quality.OUT_OF_RANGE
    assert [bool(x & Quality.STUCK) for x in q[42:49]] == [False] * 5 + [True] * 2
    assert q[59] & Quality.SPIKE
    assert not any(x & Quality.SPIKE for x in q[60:])
    assert not any(q[:40])


def test_a_level_change_is_not_a_run_of_spikes() -> None:
    v = Validate(ValidateConfig(spike_warmup=20), CTX)
    out = v.apply(series([*noisy(30, 10.0), *noisy(30, 80.0, seed=4)]))
    flagged = [i for i, r in enumerate(out) if r.quality & Quality.SPIKE]
    assert flagged == [30]  # the first reading of the new level only


def test_whole_numbers_are_states_not_stuck_sensors() -> None:
    v = Validate(ValidateConfig(stuck_count=3), CTX)
    assert not any(r.quality for r in v.apply(series([1.0] * 10, signal="running")))


def test_robust_z_follows_rivers_contract() -> None:
    det = RobustZ(alpha=0.05, warmup=10)
    assert det.score_one(100.0) == 0.0  # warming up
    for x in noisy(200):
        det.learn_one(x)
    assert det.score_one(50.2) < 3
    assert det.score_one(60.0) > 10


def test_anomaly_does_not_learn_from_what_it_flags() -> None:
    stage = Anomaly(AnomalyConfig(threshold=6, warmup=30), CTX)
    values = [*noisy(100), *[58.3] * 50]
    out = stage.apply(series(values))
    flagged = [r for r in out if r.quality & Quality.ANOMALY]
    assert len(flagged) == 50, "a level it never learnt stays anomalous"
    det = stage.detectors[("p1", "temp")]
    assert det.level == pytest.approx(50.0, abs=0.5)


def test_anomaly_ignores_sensor_faults() -> None:
    stage = Anomaly(AnomalyConfig(warmup=5), CTX)
    readings = [r._replace(quality=Quality.SPIKE) for r in series([1e6] * 20)]
    assert stage.apply(readings) == readings and not stage.detectors


def test_deadband_reports_changes_and_heartbeats() -> None:
    rules = [ReportRule(signal="temp", deadband_abs=1.0, min_interval_s=0, max_interval_s=10)]
    d = Deadband(rules, CTX)
    values = [
        50.0,
        50.5,
        50.9,
        51.2,
        51.3,
        51.3,
        51.3,
        51.3,
        51.3,
        51.3,
        51.3,
        51.3,
        51.3,
        51.3,
        51.3,
        51.3,
    ]
    kept = d.apply(series(values))
    assert [r.ts_ms // 1000 for r in kept] == [0, 3, 13]  # change > 1.0 at t=3, heartbeat 10 s on
    flagged = Reading("p1", "temp", 20_000, 51.3, Quality.SPIKE)
    assert d.apply([flagged]) == [flagged], "a flagged reading is never hidden"


def test_deadband_percent_and_min_interval() -> None:
    d = Deadband([ReportRule(deadband_pct=10, min_interval_s=5, max_interval_s=100)], CTX)
    kept = d.apply(
        series([100.0, 200.0, 200.0, 200.0, 200.0, 200.0, 200.0, 230.0, 230.0, 230.0, 230.0])
    )
    assert [r.ts_ms // 1000 for r in kept] == [0, 5, 10]  # 230 waits for the minimum interval


def test_alarm_with_delay_and_hysteresis() -> None:
    rule = AlarmRule(
        name="hot",
        signal="room_temp",
        asset_class="power_room",
        above=40,
        hysteresis=2,
        delay_s=120,
        severity="critical",
    )
    stage = LocalAlarm("gw", [rule], CTX)
    temps = [39, 41, 41, 39.5, 41, 41, 41, 41, 39, 37.5, 41]  # one reading a minute
    stage.apply(series(temps, signal="room_temp", asset="r1", step_ms=60_000))
    events = [(e.state, e.ts_ms // 60_000) for e in stage.events]
    # 41 at 1-2 is too short; 4..6 lasts 120 s -> raised at 6; 39 is inside hysteresis; clears
    # below 38 at 9; the 41 at 10 starts a new delay.
    assert events == [("raised", 6), ("cleared", 9)]
    assert stage.events[0].severity == "critical" and "above 40" in stage.events[0].message


def test_alarm_ignores_suspect_readings() -> None:
    rule = AlarmRule(name="hot", signal="room_temp", above=40)
    stage = LocalAlarm("gw", [rule], CTX)
    bad = [
        r._replace(quality=Quality.OUT_OF_RANGE)
        for r in series([6553.5] * 3, signal="room_temp", asset="r1")
    ]
    stage.apply(bad)
    assert stage.events == []
