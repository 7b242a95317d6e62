"""The evaluation protocol on a small simulated fleet; training, registry and scoring."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from models.asset_frames import build_frames, events_of
from models.data import load_dataset
from models.evaluate import Evaluation, Protocol, run_protocol
from models.lead_losses import (
    EXPECTED,
    GATED,
    PRECURSOR,
    PROBABILITY,
    TRUE,
    WARNING,
    failure_leads,
    first_hit,
    lead_losses,
)
from models.pipeline import FleetModel, asset_rows
from models.registry import load, save, versions
from models.score import assess
from models.sweep import longest_lead, sweep
from models.train import train
from models.warning_rule import gated
from models.windows import Windows
from plantwatch.cli import app
from simulators.config import synthetic_fleet
from simulators.engine import Simulation
from simulators.export import export


@pytest.fixture(scope="module")
def fleet_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fleet")
    export(Simulation(synthetic_fleet(24, seed=5), horizon_days=365), root, 600)
    return root


@pytest.fixture(scope="module")
def small_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("small")
    export(Simulation(synthetic_fleet(12, seed=9), horizon_days=150), root, 600)
    return root


@pytest.fixture(scope="module")
def trained(fleet_dir: Path) -> tuple[FleetModel, Evaluation]:
    return train(load_dataset(fleet_dir))


def _f1(row: dict[str, float | int | None]) -> float:
    r, p = float(row["recall"] or 0), float(row["precision"] or 0)
    return 2 * r * p / (r + p) if r + p else 0.0


def test_the_model_beats_every_baseline_on_unseen_time_and_assets(
    trained: tuple[FleetModel, Evaluation],
) -> None:
    _, ev = trained
    for split in ("test_time", "test_assets"):
        table = ev.table[split]
        assert table["model"]["failures"] > 5
        for baseline in ("isolation_forest", "static_threshold", "random"):
            assert _f1(table["model"]) > _f1(table[baseline]), (split, baseline, table)
    # the held-out assets were never trained on
    trained_on = {ev.rows[i].asset for i in ev.split_assets["test_time"]}
    assert trained_on.isdisjoint(ev.rows[i].asset for i in ev.split_assets["test_assets"])


def test_only_the_stored_model_learns_failure_modes(
    trained: tuple[FleetModel, Evaluation],
) -> None:
    # The protocol never names a failure mode, so its warners skip the mode classifier.
    fleet, ev = trained
    assert all(m.warner.mode_ is None for m in ev.fleet.classes.values())
    named = [c for c, m in fleet.classes.items() if m.warner.mode_ is not None]
    assert named, "the stored model names failure modes"


def test_leads_are_measured_against_the_ideal_detector_on_the_same_failures(
    fleet_dir: Path, trained: tuple[FleetModel, Evaluation]
) -> None:
    from simulators.lead_bound import ideal_leads, precursors

    ds = load_dataset(fleet_dir)
    assert ds.ideal_leads is not None
    sim = Simulation(synthetic_fleet(24, seed=5), horizon_days=365)
    expected = {(x.asset, x.failure): x.lead_h for x in ideal_leads(precursors(sim))}
    stored = ds.ideal_leads.to_pylist()
    assert {(r["asset"], r["ts"]): r["lead_h"] for r in stored} == expected
    _, ev = trained
    for split in ("validation", "test_time", "test_assets"):
        row = ev.table[split]["model"]
        which = ev.split_assets[split]
        t0, t1 = ev.periods[split]
        h = int(ev.fleet.horizon_h * 3600)
        ideal = [
            lead
            for i in which
            for f, lead in zip(ev.rows[i].history.failures, ev.ideal_h[i], strict=True)
            if t0 + h <= f < t1 and np.isfinite(lead)
        ]
        assert ideal, split
        assert row["ideal_lead_p50_h"] == round(float(np.median(ideal)), 1)
        assert row["lead_efficiency"] == round(row["lead_p50_h"] / row["ideal_lead_p50_h"], 3)
        assert 0 <= (row["recall_lead_24h_precursor_24h"] or 0) <= 1


def test_first_hit_is_the_earliest_inside_the_horizon_an_hour_or_more_ahead() -> None:
    t = np.arange(0, 100 * 3600, 3600, dtype=np.int64)
    hit = np.zeros(len(t), dtype=bool)
    hit[[10, 60, 70, 99]] = True
    failure = 99 * 3600 + 1800
    assert first_hit(t, hit, failure, 48 * 3600) == 60  # 10 is outside the horizon
    assert first_hit(t, hit, failure, 35 * 3600) == 70
    assert first_hit(t, hit, failure, 20 * 3600) is None  # 99 is within the hour before
    assert first_hit(t, hit, failure + 1800, 20 * 3600) == 99  # an hour before counts


def test_where_the_lead_goes_failure_by_failure(trained: tuple[FleetModel, Evaluation]) -> None:
    _, ev = trained
    for split in ("validation", "test_time", "test_assets"):
        a = failure_leads(ev, split)
        row = ev.table[split]["model"]
        assert len(a) == row["failures_precursor_6h"] > 0
        assert (a[:, PRECURSOR] >= 6).all()
        # the gate only zeroes scores, and a warning opens at a high gated evaluation (one
        # standing since before the horizon counts the horizon, as the tables do)
        assert (a[:, PROBABILITY] >= a[:, GATED]).all()
        standing = a[:, WARNING] == ev.fleet.horizon_h
        assert (a[~standing, GATED] >= a[~standing, WARNING]).all()
        assert (a[:, WARNING] > 0).mean() == pytest.approx(row["recall_precursor_6h"], abs=1e-4)
        crossed = np.isfinite(a[:, EXPECTED])
        assert np.array_equal(crossed, a[:, PROBABILITY] > 0)
        assert np.array_equal(a[crossed, TRUE], a[crossed, PROBABILITY])
        d = lead_losses(ev, split)
        assert d.failures == len(a)
        assert d.probability_h == round(float(np.median(a[:, PROBABILITY])), 1)
        assert d.warning_h == round(float(np.median(a[:, WARNING])), 1)
        assert d.probability_h is not None and d.gated_h is not None
        assert d.probability_h >= d.gated_h
        gate = ev.fleet.ttf_gate_h
        assert d.beyond_gate == round(float(np.mean(a[crossed, EXPECTED] > gate)), 3)


def test_the_sweep_measures_the_chosen_setting_as_the_protocol_did(
    trained: tuple[FleetModel, Evaluation],
) -> None:
    _, ev = trained
    before = [s.copy() for s in ev.scores["model"]]
    rows = sweep(ev, (ev.fleet.ttf_gate_h, float("inf")), (ev.thresholds["model"], 0.05))
    assert len(rows) == 2 * 2 * 3
    for split in ("validation", "test_time", "test_assets"):
        mine = [
            r
            for r in rows
            if r["split"] == split
            and r["threshold"] == ev.thresholds["model"]
            and r["gate_h"] == ev.fleet.ttf_gate()
        ]
        assert len(mine) == 1
        measured = {k: v for k, v in mine[0].items() if k not in ("gate_h", "threshold", "split")}
        assert measured == ev.table[split]["model"]
    assert all(np.array_equal(a, b) for a, b in zip(before, ev.scores["model"], strict=True))
    for split, best in longest_lead(rows, precision=0.0, false_alarms=1e9).items():
        leads = [r["lead_p50_h"] for r in rows if r["split"] == split and r["lead_p50_h"]]
        assert best is not None and best["lead_p50_h"] == max(leads)
    assert all(b is None for b in longest_lead(rows, precision=1.01).values())


def test_registry_round_trip_and_online_assessment(
    trained: tuple[FleetModel, Evaluation], fleet_dir: Path, tmp_path: Path
) -> None:
    fleet, _ = trained
    version = save(tmp_path, fleet, {"data_hash": "x"})
    assert versions(tmp_path) == [version]
    loaded, meta = load(tmp_path)
    assert meta["version"] == version and set(meta["classes"]) == set(fleet.classes)
    # A version stored by an earlier format is not offered for scoring, and says why.
    old = save(tmp_path, fleet, {"data_hash": "y"})
    meta_file = tmp_path / old / "meta.json"
    meta_file.write_text(json.dumps({**json.loads(meta_file.read_text()), "format": 1}))
    assert versions(tmp_path) == [version] and versions(tmp_path, stale=True) == [old]
    assert load(tmp_path)[1]["version"] == version
    with pytest.raises(FileNotFoundError, match="earlier plantwatch"):
        load(tmp_path, old)
    ds = load_dataset(fleet_dir)
    frames = build_frames(ds)
    # The window the cloud would read: the last 8 days before one failure's precursor peak.
    asset = next(f for f in frames if len(events_of(ds, f.asset, "failure")[0]))
    fail = int(events_of(ds, asset.asset, "failure")[0][0])
    cut = int(np.searchsorted(asset.t, fail - 2 * 3600))
    start = max(0, cut - 8 * 144)
    window = type(asset)(
        asset.asset, asset.asset_class, asset.t[start:cut], asset.signals, asset.x[start:cut]
    )
    out = assess(loaded, [window, *frames[:5]], {}, version)
    assert len(out) == 6 and {a.asset for a in out} >= {window.asset}
    for a in out:
        assert 0.0 <= a.probability <= 1.0 and a.model_version == version
        assert a.risk_band in {"low", "elevated", "high", "critical"}
        lo, mid, hi = a.hours_to_failure
        assert lo <= mid <= hi
        if a.above_threshold:
            assert a.contributions and all(c.signal in window.signals for c in a.contributions)


def test_warnings_wait_for_the_time_to_failure_gate(
    trained: tuple[FleetModel, Evaluation], fleet_dir: Path, tmp_path: Path
) -> None:
    fleet, ev = trained
    assert fleet.ttf_gate_h in Protocol().ttf_gates_h and fleet.ttf_gate_h == ev.fleet.ttf_gate_h
    # the run of high evaluations that opens a warning is chosen with them and kept
    assert fleet.consecutive in Protocol().runs
    assert fleet.consecutive == ev.fleet.consecutive
    # the protocol measured the scores warnings are raised from: probability, gated (train
    # keeps the protocol's times and scores, not its feature rows: they are built again here)
    ds = load_dataset(fleet_dir)
    frame = next(f for f in build_frames(ds) if f.asset == ev.rows[0].asset)
    norms = {c: cm.norm for c, cm in ev.fleet.classes.items()}
    r = asset_rows(ds, [frame], norms, ev.fleet.windows, ev.fleet.horizon_h)[0]
    assert ev.rows[0].x.size == 0 and np.array_equal(r.t, ev.rows[0].t)
    assert np.array_equal(
        ev.scores["model"][0], gated(ev.fleet.proba(r), ev.fleet.ttf_median(r), fleet.ttf_gate_h)
    )
    meta = load(tmp_path, save(tmp_path, fleet, {"data_hash": "x"}))[1]
    gate = meta["ttf_gate_h"]
    assert meta["consecutive"] == fleet.consecutive
    assert gate == (fleet.ttf_gate_h if np.isfinite(fleet.ttf_gate_h) else None)
    frames = build_frames(load_dataset(fleet_dir))[:6]
    low = 1e-6  # nearly every evaluation is above this threshold
    every = assess(dataclasses.replace(fleet, threshold=low, ttf_gate_h=float("inf")), frames, {})
    assert all(a.above_threshold for a in every if a.probability >= 1e-3)
    assert any(a.above_threshold for a in every)
    # a gate no expected time to failure is within: likely failures stay "elevated", unwarned
    none = assess(dataclasses.replace(fleet, threshold=low, ttf_gate_h=-1.0), frames, {})
    assert [a.probability for a in none] == [a.probability for a in every]
    assert not any(a.above_threshold for a in none)
    assert {a.risk_band for a in none} <= {"low", "elevated"}


def test_the_time_to_failure_interval_is_calibrated_on_validation_and_shown(
    trained: tuple[FleetModel, Evaluation], fleet_dir: Path, tmp_path: Path
) -> None:
    fleet, ev = trained
    assert fleet.ttf_margin_rel == ev.fleet.ttf_margin_rel != (0.0, 0.0)
    assert fleet.ttf_margin_h == (0.0, 0.0)  # margins in hours are an older model's
    assert set(ev.ttf_table) == {"validation", "test_time", "test_assets"}
    # where it was calibrated, each end misses at most a tenth of the warnings' openings
    val = ev.ttf_table["validation"]
    assert val["ttf_coverage"] is not None and val["ttf_coverage"] >= 0.8
    assert val["ttf_early"] is not None and val["ttf_early"] <= 0.1
    meta = load(tmp_path, save(tmp_path, fleet, {"data_hash": "x"}))[1]
    assert meta["ttf_margin_rel"] == list(fleet.ttf_margin_rel)
    # a warning shows the calibrated interval around the same median
    frames = build_frames(load_dataset(fleet_dir))[:6]
    shown = assess(fleet, frames, {})
    raw = assess(dataclasses.replace(fleet, ttf_margin_rel=(0.0, 0.0)), frames, {})
    lo, hi = fleet.ttf_margin_rel
    for a, b in zip(shown, raw, strict=True):
        (a_lo, a_mid, a_hi), (b_lo, b_mid, b_hi) = a.hours_to_failure, b.hours_to_failure
        assert a_mid == b_mid
        scale = max(b_mid, 1.0)  # the ends move in proportion to the expected time
        assert a_lo == pytest.approx(min(max(b_lo - lo * scale, 0.0), b_mid), abs=0.11)
        assert a_hi == pytest.approx(max(b_hi + hi * scale, b_mid), abs=0.11)


def test_bad_data_is_handled_not_fatal(small_dir: Path, tmp_path: Path) -> None:
    """A missing signal, a long gap, garbage values and an unknown asset still train and score."""
    fleet_dir = small_dir
    tel = pq.read_table(fleet_dir / "telemetry.parquet")
    asset = pc.cast(tel.column("asset"), pa.string())
    signal = pc.cast(tel.column("signal"), pa.string())
    first = asset[0].as_py()
    drop = pc.and_(pc.equal(asset, first), pc.equal(signal, "motor_current"))
    ts = pc.cast(tel.column("ts"), pa.int64())
    gap = pc.and_(pc.greater(ts, 1_737_000_000_000), pc.less(ts, 1_738_000_000_000))
    kept = tel.filter(pc.invert(pc.or_(drop, gap)))
    values = kept.column("value").to_numpy(zero_copy_only=False).copy()
    values[::4999] = 9999.0  # garbage readings
    values[::1009] = np.nan
    kept = kept.set_column(kept.schema.get_field_index("value"), "value", pa.array(values))
    pq.write_table(kept, tmp_path / "telemetry.parquet")
    ev = pq.read_table(fleet_dir / "events.parquet")
    ghost = pa.table({c: ev.column(c).slice(0, 1) for c in ev.column_names}).set_column(
        0, "asset", pa.array(["nobody-knows-this-asset"])
    )
    pq.write_table(pa.concat_tables([ev, ghost]), tmp_path / "events.parquet")
    (tmp_path / "assets.parquet").write_bytes((fleet_dir / "assets.parquet").read_bytes())
    ds = load_dataset(tmp_path)
    fleet, ev_ = train(ds)
    said = [str(f) for f in ev_.findings]
    assert "nobody-knows-this-asset: events for an asset without telemetry: ignored" in said
    assert f"{first}: signal motor_current never reported: its features are empty" in said
    assert any("implausible: flagged, left out" in f for f in said)
    assert any("of the time: gaps" in f for f in said)
    frames = build_frames(ds)
    out = assess(fleet, frames, {})
    assert len(out) == len(frames)
    assert all(np.isfinite(a.probability) for a in out)
    assert ev_.table["test_time"]["model"]["failures"] > 0


def _not_json(name: str) -> None:
    raise AssertionError(f"{name} is not JSON: other tools refuse it")


def test_cli_train_and_evaluate_with_plots(small_dir: Path, tmp_path: Path) -> None:
    data = small_dir
    runner = CliRunner()
    r = runner.invoke(app, ["model", "train", str(data), "--registry", str(tmp_path / "reg")])
    assert r.exit_code == 0, r.output
    assert "stored in" in r.output and len(versions(tmp_path / "reg")) == 1
    r = runner.invoke(
        app,
        ["model", "evaluate", str(data), "--json", "--sweep", "--plots", str(tmp_path / "png")],
    )
    assert r.exit_code == 0, r.output
    body = json.loads(r.stdout, parse_constant=_not_json)
    assert set(body["splits"]) == {"validation", "test_time", "test_assets"}
    assert set(body["ttf_interval"]) == set(body["splits"]) and len(body["ttf_margin_h"]) == 2
    assert len(body["sweep"]) == 7 * 12 * 3 and set(body["longest_lead"]) == set(body["splits"])
    r = runner.invoke(app, ["model", "evaluate", str(data), "--sweep"])
    assert r.exit_code == 0, r.output
    assert r.output.count("longest median lead at precision") == 3 and "gate h" in r.output
    assert "time to failure at each warning's opening" in r.output
    assert "where the lead goes" in r.output
    assert set(body["lead_losses"]) == set(body["splits"])
    for split, losses in body["lead_losses"].items():
        model = body["splits"][split]["model"]
        assert losses["failures"] == (model["failures_precursor_6h"] or model["failures"])
    assert isinstance(body["data_findings"], list)
    pngs = sorted(p.name for p in (tmp_path / "png").glob("*.png"))
    assert {"lead_times.png", "precision_recall.png"} <= set(pngs)
    for p in (tmp_path / "png").glob("*.png"):
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    r = runner.invoke(app, ["model", "train", str(tmp_path / "missing")])
    assert r.exit_code == 2 and "not a directory" in " ".join(r.output.split())


def test_same_data_same_answer_whatever_the_thread_count(
    site_dir: Path, site_alone: Evaluation
) -> None:
    """The protocol and a fit on one fleet, once at the default thread count and once under
    a one-thread limit (as a joblib worker or OMP_NUM_THREADS=1 would impose): the same
    tables, thresholds and gate, and the same model to the bit."""
    import pickle

    from threadpoolctl import threadpool_limits

    from models.train import fit

    def tables(ev: Evaluation) -> str:
        return json.dumps([ev.table, ev.thresholds, ev.fleet.ttf_gate()], sort_keys=True)

    ds = load_dataset(site_dir)
    model = pickle.dumps(fit(ds))
    with threadpool_limits(limits=1):
        assert tables(run_protocol(ds, Protocol(), Windows())) == tables(site_alone)
        assert pickle.dumps(fit(ds)) == model
