import json

import numpy as np
from typer.testing import CliRunner

from plantwatch.cli import app
from simulators.config import FleetConfig
from simulators.engine import Simulation
from simulators.lead_bound import Precursor, best_bounds, bound, first_warning, precursors, trace


def test_a_precursor_of_known_length_and_strength_is_warned_a_full_horizon_ahead() -> None:
    known = Precursor(100.0, 0.7, 2.0, (100.0, 100.0), (0.7, 0.7))
    at = first_warning(trace(known), threshold=0.9)
    assert at is not None
    assert 47.8 <= known.hours - at <= 48.0


def test_not_knowing_the_strength_costs_lead() -> None:
    known = Precursor(100.0, 0.7, 2.0, (12.0, 168.0), (0.69, 0.71))
    unknown = Precursor(100.0, 0.7, 2.0, (12.0, 168.0), (0.45, 1.0))
    at_known, at_unknown = first_warning(trace(known), 0.8), first_warning(trace(unknown), 0.8)
    assert at_known is not None and at_unknown is not None
    assert 100.0 - at_known > 47.0
    assert 100.0 - at_unknown < 100.0 - at_known - 5.0


def test_a_fault_seen_later_is_warned_later_and_an_unseen_one_never() -> None:
    p = Precursor(60.0, 0.6, 2.0, (6.0, 96.0), (0.45, 1.0))
    route = trace(p)
    early, late = first_warning(route, 0.7, 0.0), first_warning(route, 0.7, 0.3)
    assert early is not None and late is not None
    seen = 60.0 * (0.3 / 0.6) ** 0.5  # when degradation reaches 0.3
    assert late >= seen >= early
    assert first_warning(route, 0.7, 0.61) is None


def test_a_fleet_bound_shortens_as_faults_are_seen_later(fleet: FleetConfig) -> None:
    items = precursors(Simulation(fleet, horizon_days=120))
    assert len(items) >= 10
    prior = fleet.realism.failures.strength
    assert all(prior[0] <= p.strength <= prior[1] and p.hours > 0 for p in items)
    routes = [trace(p) for p in items]
    leads = [bound(routes, 0.7, v).lead_p50_h for v in (0.0, 0.2, 0.4)]
    assert leads[0] >= leads[1] >= leads[2]
    assert leads[0] > leads[2]
    best = best_bounds(items, (0.0,))[0]
    assert best.precision >= 0.8 and 0 < best.recall_precursor_6h <= 1


def test_the_lead_bound_command_prints_json() -> None:
    r = CliRunner().invoke(
        app, ["sim", "lead-bound", "--assets", "8", "--days", "60", "--seed", "3", "--json"]
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert [b["visible"] for b in out["bounds"]] == [0.0, 0.02, 0.05, 0.1, 0.2, 0.3]
    leads = [b["lead_p50_h"] for b in out["bounds"] if b["lead_p50_h"] is not None]
    assert leads and all(np.isfinite(leads))
    table = CliRunner().invoke(
        app, ["sim", "lead-bound", "--assets", "8", "--days", "60", "--seed", "3"]
    )
    assert table.exit_code == 0, table.output
    assert f"ideal detector on {out['failures_with_precursor']} failures" in table.output
