"""The warning rule: the cloud's per-evaluation state machine and the protocol's vectorised
fold are one rule."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from models.warning_rule import (
    STILL_OPEN,
    Runs,
    Verdict,
    WarningRule,
    advance,
    fold_spans,
    verdict,
    warning_spans,
    warning_starts,
)

H = 3600
RULES = WarningRule(consecutive=2, close_after=3, every_s=3600)


def test_runs_count_only_evaluations_of_new_data() -> None:
    r = advance(Runs(), 10_000, True, RULES)
    assert r == Runs(1, 0, 10_000)
    # the loop runs again every minute on the same or barely newer data: nothing counted
    for t in (10_000, 10_060, 10_000 + 3599):
        assert advance(r, t, True, RULES) == r
    r = advance(r, 10_000 + 3600, True, RULES)
    assert r == Runs(2, 0, 13_600)
    assert advance(r, 17_200, False, RULES) == Runs(0, 1, 17_200)


def test_verdicts_open_after_k_update_while_high_close_after_enough_low() -> None:
    assert verdict(Runs(1, 0), True, False, RULES) is Verdict.NONE
    assert verdict(Runs(2, 0), True, False, RULES) is Verdict.OPEN
    assert verdict(Runs(5, 0), True, True, RULES) is Verdict.UPDATE
    assert verdict(Runs(0, 2), False, True, RULES) is Verdict.NONE
    assert verdict(Runs(0, 3), False, True, RULES) is Verdict.CLOSE
    assert verdict(Runs(0, 9), False, False, RULES) is Verdict.NONE


@given(st.lists(st.booleans(), max_size=60))
def test_a_sequence_of_evaluations_never_opens_twice_without_closing(highs: list[bool]) -> None:
    runs, is_open, opened = Runs(), False, 0
    for i, above in enumerate(highs):
        runs = advance(runs, i * 3600, above, RULES)
        v = verdict(runs, above, is_open, RULES)
        assert not (v is Verdict.OPEN and is_open)
        if v is Verdict.OPEN:
            is_open, opened = True, opened + 1
        elif v is Verdict.CLOSE:
            is_open = False
    # each opening needs k highs in a row
    assert opened <= sum(highs) // RULES.consecutive


def test_an_asset_going_down_closes_its_warning() -> None:
    assert verdict(Runs(3, 0), False, True, RULES, usable=False) is Verdict.CLOSE
    assert verdict(Runs(0, 1), False, False, RULES, usable=False) is Verdict.NONE


def test_a_warning_needs_k_consecutive_evaluations_and_is_not_repeated() -> None:
    t = np.arange(20, dtype=np.int64) * H
    score = np.array([0, 1, 0, 1, 1, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1], float)
    usable = np.ones(20, dtype=bool)
    rule = WarningRule(consecutive=2, close_after=6)
    # a single blip does not warn; a short dip does not start a second warning
    assert warning_starts(t, score, usable, 0.5, rule).tolist() == [4 * H, 18 * H]
    usable[6] = False  # the asset went down between the two runs: a new warning
    assert warning_starts(t, score, usable, 0.5, rule).tolist() == [4 * H, 8 * H, 18 * H]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0, 1), st.booleans()), max_size=120),
    st.floats(0.05, 0.95),
    st.integers(1, 4),
    st.integers(1, 8),
    st.floats(0, 0.3),
)
def test_folding_scores_through_the_state_machine_gives_the_protocols_spans(
    points: list[tuple[float, bool]], threshold: float, k: int, close_after: int, down: float
) -> None:
    score = np.array([p for p, _ in points], dtype=np.float64)
    # a share of evaluations where the asset is down (failed or under maintenance)
    usable = np.array([(p * 7919) % 1 >= down or keep for p, keep in points], dtype=bool)
    t = np.arange(len(points), dtype=np.int64) * H
    rule = WarningRule(consecutive=k, close_after=close_after)
    fold = fold_spans((score >= threshold).tolist(), usable.tolist(), rule)
    starts, closes = warning_spans(t, score, usable, threshold, rule)
    assert starts.tolist() == [i * H for i, _ in fold]
    assert closes.tolist() == [STILL_OPEN if c is None else c * H for _, c in fold]


def test_a_warning_closes_after_enough_lows_when_the_asset_goes_down_or_never() -> None:
    t = np.arange(20, dtype=np.int64) * H
    score = np.array([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1], float)
    usable = np.ones(20, dtype=bool)
    rule = WarningRule(consecutive=2, close_after=4)
    starts, closes = warning_spans(t, score, usable, 0.5, rule)
    # the dip at 3-4 keeps the first open; four lows after 5 close it at 9; the second
    # closes four lows after 12; the last is still open when the series ends
    assert starts.tolist() == [2 * H, 11 * H, 19 * H]
    assert closes.tolist() == [9 * H, 16 * H, STILL_OPEN]
    usable[14] = False  # down two lows into the second warning's closing: it closes there
    assert warning_spans(t, score, usable, 0.5, rule)[1].tolist() == [9 * H, 14 * H, STILL_OPEN]
