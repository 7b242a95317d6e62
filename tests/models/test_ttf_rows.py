"""Which rows the time to failure learns from: the week before failures, or the rows an
out-of-fold warner finds likely to fail (the rows the gate will judge)."""

from __future__ import annotations

import numpy as np

from models.estimators import MIN_OOF_FAILURE_WEEKS, TTF_CAP_H, FailureWarner

WEEK = 168


def _fleet(failing: int, normal: int, seed: int = 0) -> tuple[np.ndarray, ...]:
    """Hourly rows of asset-weeks: a failing week ends in a failure whose fault grows over
    its last 72 hours; before that, and in normal weeks, the signal is noise. A few hours of
    each normal week look like a fault (a sensor glitch the warner may take for one)."""
    rng = np.random.default_rng(seed)
    X, hours, groups = [], [], []
    for g in range(failing + normal):
        h = np.arange(WEEK, 0, -1, dtype=float) - 0.5 if g < failing else np.full(WEEK, np.inf)
        fault = np.clip((72 - h) / 72, 0, None) * 3 if g < failing else np.zeros(WEEK)
        if g >= failing:
            fault[rng.integers(0, WEEK - 6) + np.arange(6)] = 2.0
        X.append(np.column_stack([fault + rng.normal(0, 0.3, WEEK), rng.normal(0, 1, WEEK)]))
        hours.append(h)
        groups.append(np.full(WEEK, g))
    x, hrs = np.vstack(X).astype(np.float32), np.concatenate(hours)
    return x, hrs <= 48, np.concatenate(groups), hrs


def _fit(min_proba: float, failing: int = 80, normal: int = 160) -> FailureWarner:
    X, y, g, h = _fleet(failing, normal)
    warner = FailureWarner(max_iter=40, min_negatives=1000, ttf_min_proba=min_proba)
    return warner.fit(X, y, g, h)


def test_the_gate_learns_which_likely_rows_are_false_alarms() -> None:
    week_rows, likely_rows = _fit(0.0), _fit(0.1)
    # the glitch's level: most rows there are normal weeks' glitches, a few a fault a day
    # from failing; learned from the week before failures alone it reads as a day away and
    # would pass a 30 h gate, learned from the likely rows it reads as more than two days
    glitch = np.array([[2.0, 0.0]], dtype=np.float32)
    assert week_rows.predict_ttf(glitch)[0, 1] < 30
    assert likely_rows.predict_ttf(glitch)[0, 1] > 48
    # a fault two-thirds of the way still reads about two days away (truth: 48 h)
    fault = np.array([[1.0, 0.0]], dtype=np.float32)
    assert 40 < likely_rows.predict_ttf(fault)[0, 1] < 56
    # a row that looks normal is read as far away: the far rows count as a week
    calm = np.array([[0.0, 0.0]], dtype=np.float32)
    assert likely_rows.predict_ttf(calm)[0, 1] > 100


def test_rows_are_picked_by_an_out_of_fold_warner_and_far_ones_count_as_a_week() -> None:
    X, y, g, h = _fleet(80, 160)
    warner = FailureWarner(max_iter=40, min_negatives=1000, ttf_min_proba=0.1).fit(X, y, g, h)
    kept = np.ones(len(y), dtype=bool)
    rows = warner._ttf_rows(X, y, g, kept, h)
    assert rows[y].mean() > 0.8  # the last 48 hours of nearly every failure
    assert rows[(h > 120) & (h <= WEEK)].mean() < 0.2  # not the week's calm start
    glitch = np.isinf(h) & (X[:, 0] > 1.5)
    assert rows[glitch].mean() > 0.5  # sensor glitches the warner takes for a fault
    # those far rows teach the time to failure that such a row may be a week away
    assert warner.predict_ttf(X[glitch])[:, 2].max() <= TTF_CAP_H


def test_a_short_failure_history_keeps_the_week_before_failures() -> None:
    failing = MIN_OOF_FAILURE_WEEKS - 1
    X, y, g, h = _fleet(failing, 80)
    warner = FailureWarner(max_iter=40, min_negatives=1000, ttf_min_proba=0.1).fit(X, y, g, h)
    rows = warner._ttf_rows(X, y, g, np.ones(len(y), dtype=bool), h)
    assert np.array_equal(rows, h <= TTF_CAP_H)


def test_a_warner_stored_before_this_choice_reads_as_learned_from_the_week() -> None:
    warner = _fit(0.1, failing=MIN_OOF_FAILURE_WEEKS - 1, normal=40)
    state = warner.__getstate__()
    del state["ttf_min_proba"]  # what a warner pickled before it holds
    old = FailureWarner.__new__(FailureWarner)
    old.__setstate__(state)
    assert old.get_params()["ttf_min_proba"] == 0.0
    calm = np.zeros((1, 2), dtype=np.float32)
    np.testing.assert_array_equal(old.predict_ttf(calm), warner.predict_ttf(calm))
