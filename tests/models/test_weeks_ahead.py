"""A new site replayed week by week: each week scored by the model it had then."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pytest
from typer.testing import CliRunner

from models.asset_frames import build_frames
from models.data import Dataset, load_dataset
from models.evaluate import Protocol, outcome, split_periods
from models.pipeline import AssetRows, FleetModel, asset_rows
from models.registry import load, save
from models.train import start_from_donor
from models.weeks_ahead import (
    DAY_S,
    SPLIT,
    WeeksAhead,
    bare_rows,
    history_until,
    model_at,
    replay,
    warning_scores,
)
from models.windows import Windows
from plantwatch.cli import app
from simulators.config import synthetic_fleet
from simulators.engine import Simulation
from simulators.export import export

EVERY_DAYS = 21.0


@pytest.fixture(scope="module")
def replayed(donor: FleetModel, site_dir: Path) -> WeeksAhead:
    ds = load_dataset(site_dir)
    return replay(ds, build_frames(ds), donor, every_days=EVERY_DAYS)


def test_a_week_knows_only_the_history_before_it(site_dir: Path) -> None:
    ds = load_dataset(site_dir)
    frames = build_frames(ds)
    until = int(frames[0].t[0]) + 30 * DAY_S
    known, past = history_until(ds, frames, until)
    assert len(known.events) < len(ds.events)
    assert pc.max(known.events.column("ts")).as_py() < until
    assert all(f.t[-1] < until and len(f.t) == len(f.x) for f in past)
    assert all(len(f.t) > len(p.t) for f, p in zip(frames, past, strict=True))


def _trimmed(ds: Dataset, until: int) -> tuple[Dataset, list]:  # type: ignore[type-arg]
    """The same site as if its export had stopped at ``until``."""
    return history_until(ds, build_frames(ds), until)


def test_the_model_of_a_week_is_the_same_whatever_came_after(
    donor: FleetModel, site_dir: Path
) -> None:
    ds = load_dataset(site_dir)
    frames = build_frames(ds)
    t0 = int(frames[0].t[0])
    for day in (7, 70):  # the donor alone, then a model trained with the donor
        until = t0 + day * DAY_S
        later, later_frames = _trimmed(ds, until + 20 * DAY_S)
        a, which_a, _ = model_at(ds, frames, until, donor, Protocol(), Windows())
        b, which_b, _ = model_at(later, later_frames, until, donor, Protocol(), Windows())
        assert which_a == which_b
        assert (which_a == "donor alone") == (day == 7)
        rows = asset_rows(later, later_frames, {c: m.norm for c, m in a.classes.items()})
        rows_b = asset_rows(later, later_frames, {c: m.norm for c, m in b.classes.items()})
        assert rows
        for r, rb in zip(rows, rows_b, strict=True):
            np.testing.assert_array_equal(warning_scores(a, r), warning_scores(b, rb))


def test_the_first_weeks_are_the_donors_then_the_site_trains(
    replayed: WeeksAhead, site_dir: Path
) -> None:
    weeks = replayed.weeks
    t0 = int(build_frames(load_dataset(site_dir))[0].t[0])
    assert [round((w.start - t0) / DAY_S) for w in weeks] == [7, 28, 49, 70, 91, 112]
    # the protocol's splits and their gaps (the horizon and the 10-day window) fit in 70 days
    assert split_periods(t0, t0 + 49 * DAY_S, Protocol(), Windows()) is None
    assert split_periods(t0, t0 + 70 * DAY_S, Protocol(), Windows()) is not None
    assert [w.model == "donor alone" for w in weeks] == [True, True, True, False, False, False]
    assert all(w.site_classes == [] for w in weeks[:3])
    assert all(w.end - w.start <= EVERY_DAYS * DAY_S for w in weeks)
    assert all(0 <= w.caught <= w.failures for w in weeks)


def test_the_weeks_scores_are_measured_as_one_split(replayed: WeeksAhead) -> None:
    ev = replayed.ev
    start = replayed.weeks[0].start
    for r, s in zip(ev.rows, ev.scores["model"], strict=True):
        assert not s[r.t < start].any()  # nothing scored before the first week
    table = replayed.table()
    row = table["model"]
    assert row == outcome(ev, "model", SPLIT, 1.0, 1).as_dict()
    h = int(ev.fleet.horizon_h * 3600)
    end = ev.periods[SPLIT][1]
    failures = sum(
        int(((r.history.failures >= start + h) & (r.history.failures < end)).sum()) for r in ev.rows
    )
    assert row["failures"] == failures > 0
    # each week counts its failures from its start; the split from a horizon after the first
    assert sum(w.failures for w in replayed.weeks) >= failures
    same = table["same_false_alarms"]
    assert same["margin"] == pytest.approx(
        same["model"] - max(same["isolation_forest"], same["static_threshold"])
    )
    assert same["false_alarms_per_asset_month"] == row["false_alarms_per_asset_month"]


def test_warning_scores_hold_the_run_and_the_threshold(donor: FleetModel, site_dir: Path) -> None:
    ds = load_dataset(site_dir)
    frames = build_frames(ds)
    norms = {c: m.norm for c, m in donor.classes.items()}
    rows: AssetRows = asset_rows(ds, frames[:1], norms)[0]
    one = warning_scores(replace(donor, consecutive=1), rows)
    np.testing.assert_allclose(one * donor.threshold, donor.proba(rows))  # no gate: inf
    three = warning_scores(replace(donor, consecutive=3), rows)
    expect = np.minimum(np.minimum(one[2:], one[1:-1]), one[:-2])
    np.testing.assert_allclose(three[2:], expect)
    assert not three[:2].any()


def test_bare_rows_are_the_feature_rows_without_features(donor: FleetModel, site_dir: Path) -> None:
    ds = load_dataset(site_dir)
    frame = build_frames(ds)[0]
    full = asset_rows(ds, [frame], {c: m.norm for c, m in donor.classes.items()})[0]
    bare = bare_rows(ds, frame, Windows(), 48.0)
    np.testing.assert_array_equal(bare.t, full.t)
    np.testing.assert_array_equal(bare.labels.y, full.labels.y)
    assert bare.x.shape == (len(full.t), 0)


def test_cli_replay_prints_the_weeks(donor: FleetModel, site_dir: Path, tmp_path: Path) -> None:
    registry = tmp_path / "registry"
    save(registry, donor, {"data": "test donor"})
    # One span from day 7 to the end, the donor's alone: the trained weeks are the fixture's.
    args = ["model", "replay", str(site_dir), "--donor", str(registry), "--every-days", "200"]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    (week,) = body["weeks"]
    assert week["model"] == "donor alone" and week["site_classes"] == []
    assert body["same_false_alarms"]["recall"] in ("recall", "recall_precursor_6h")
    assert week["failures"] >= body["model"]["failures"] > 0  # from a horizon before
    assert body["donor"] == str(registry) and body["donor_version"]
    assert "without a measurement" in body["donor_caution"]  # it scores every class alone
    shown = CliRunner().invoke(app, args)
    assert shown.exit_code == 0, shown.output
    assert "weeks ahead: at" in shown.stdout and "donor alone" in shown.stdout


def test_train_on_a_first_week_starts_from_the_donor(donor: FleetModel, tmp_path: Path) -> None:
    site = tmp_path / "site"
    export(Simulation(synthetic_fleet(8, seed=9), horizon_days=10), site, 600)
    donor_registry = tmp_path / "donor"
    donor_version = save(donor_registry, donor, {"data": "test donor"})
    registry = tmp_path / "registry"
    alone = CliRunner().invoke(app, ["model", "train", str(site), "--registry", str(registry)])
    assert alone.exit_code == 2
    assert "need at least 61" in alone.stderr and "give --donor" in alone.stderr
    assert not registry.exists()  # nothing stored

    args = ["model", "train", str(site), "--registry", str(registry)]
    started = CliRunner().invoke(app, [*args, "--donor", str(donor_registry)])
    assert started.exit_code == 0, started.output
    assert "the donor scores every class it can" in started.stdout
    fleet, meta = load(registry)
    assert meta["donor"] == str(donor_registry) and meta["donor_version"] == donor_version
    # The donor was fitted without the protocol: the site is told its false alarms are unknown.
    assert meta["donor_at_home"] is None and "without a measurement" in meta["donor_caution"]
    assert "caution" in started.stderr and donor_version in started.stderr
    assert meta["operating_point"].startswith("the donor's: 10.0 days of history (< 61)")
    assert "metrics" not in meta  # nothing of the site's was measured
    assert sorted(fleet.classes) == sorted(donor.classes)
    assert (fleet.threshold, fleet.consecutive) == (donor.threshold, donor.consecutive)
    for cls, m in fleet.classes.items():
        assert m.warner is donor.classes[cls].warner or m.warner.learned_failures
        assert "history is too short" in meta["scored_by"][cls]
    # the donor's normalisers, rescaled on the site's ten days
    ds = load_dataset(site)
    frames = build_frames(ds)
    expect = start_from_donor(ds, donor)
    rows = asset_rows(ds, frames, {c: m.norm for c, m in expect.classes.items()})
    got = asset_rows(ds, frames, {c: m.norm for c, m in fleet.classes.items()})
    for a, b in zip(rows, got, strict=True):
        np.testing.assert_array_equal(fleet.proba(b), expect.proba(a))


def test_the_weeks_warnings_add_up_to_the_splits(replayed: WeeksAhead) -> None:
    row = replayed.table()["model"]
    weeks = replayed.weeks
    assert sum(w.warnings for w in weeks) == row["warnings"]
    true = round(float(row["precision"] or 0.0) * int(row["warnings"] or 0))
    assert sum(w.warnings - w.false_alarms for w in weeks) == true
