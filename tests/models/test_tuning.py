"""The validation objective that chooses the warning's operating point."""

from __future__ import annotations

from models.tuning import TUNE_LEAD_H, TUNE_RECALL, objective
from models.warnings import Outcome


def outcome(caught: int, warnings: int, true: int, leads: list[float]) -> Outcome:
    """100 failures with a precursor of 6 h or more over 1,000 asset-months."""
    return Outcome(
        failures=100,
        caught=caught,
        caught_6h=caught,
        caught_24h=0,
        failures_with_precursor_6h=100,
        caught_with_precursor_6h=caught,
        warnings=warnings,
        true_warnings=true,
        asset_months=1000.0,
        leads_h=leads,
        ideal_leads_h=[],
    )


def test_past_the_recall_target_the_longer_lead_wins() -> None:
    more_caught_later = objective(outcome(95, 100, 90, [12.0] * 95))
    enough_caught_earlier = objective(outcome(88, 100, 90, [18.0] * 88))
    assert enough_caught_earlier > more_caught_later
    assert more_caught_later[1] == enough_caught_earlier[1] == TUNE_RECALL


def test_past_a_day_of_lead_the_more_precise_wins() -> None:
    earlier_noisier = objective(outcome(90, 100, 88, [40.0] * 90))  # precision 0.88
    a_day_precise = objective(outcome(90, 100, 97, [25.0] * 90))  # precision 0.97
    assert earlier_noisier[2] == a_day_precise[2] == TUNE_LEAD_H
    assert a_day_precise > earlier_noisier
    # short of a day, lead still comes before precision
    assert objective(outcome(90, 100, 88, [20.0] * 90)) > objective(
        outcome(90, 100, 97, [16.0] * 90)
    )


def test_short_of_the_target_recall_wins_over_lead() -> None:
    assert objective(outcome(80, 90, 80, [10.0] * 80)) > objective(outcome(70, 80, 70, [30.0] * 70))


def test_precision_and_false_alarms_come_first() -> None:
    imprecise = objective(outcome(95, 200, 100, [20.0] * 95))  # precision 0.5
    noisy = objective(outcome(95, 1200, 1100, [20.0] * 95))  # 0.1 false alarms/asset-month
    precise = objective(outcome(60, 65, 60, [5.0] * 60))
    assert imprecise[0] == noisy[0] == 0 and precise[0] == 1
    assert precise > imprecise and precise > noisy
