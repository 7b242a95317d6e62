"""The time-to-failure interval's conformal calibration: pure functions on arrays."""

from __future__ import annotations

import numpy as np

from models.interval import margins, quality, widen


def _intervals(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Truth around a median with a spread three times what the 10-90 % interval claims, and
    skewed early (the failure tends to come sooner), like a warning's raw interval."""
    mid = rng.uniform(5, 45, n)
    q = np.column_stack([mid - 4, mid, mid + 4])  # claims +-4 h for 80 %
    hours = np.clip(mid + rng.normal(-3, 9, n), 0.5, None)
    return q, hours


def test_calibrated_ends_hold_the_truth_as_often_as_they_say_on_new_rows() -> None:
    rng = np.random.default_rng(0)
    q_cal, h_cal = _intervals(400, rng)
    q_new, h_new = _intervals(4000, rng)
    raw = quality(q_new, h_new)
    assert raw["ttf_coverage"] is not None and raw["ttf_coverage"] < 0.5
    m = margins(q_cal, h_cal)
    assert m[0] > m[1] > 0  # the early tail needs more room
    cal = quality(widen(q_new, m), h_new)
    assert 0.76 <= cal["ttf_coverage"] <= 0.86  # type: ignore[operator]
    assert 0.06 <= cal["ttf_early"] <= 0.14  # type: ignore[operator]
    # the median is not moved: its error is the same
    assert cal["ttf_error_h"] == raw["ttf_error_h"]


def test_each_end_misses_at_most_a_tenth_of_the_calibration_rows() -> None:
    rng = np.random.default_rng(1)
    for n in (5, 19, 71, 300):
        q, h = _intervals(n, rng)
        w = widen(q, margins(q, h))
        assert np.mean(h < w[:, 0]) <= 0.1 and np.mean(h > w[:, 2]) <= 0.1


def test_a_too_wide_interval_is_narrowed_but_never_crosses_the_median_or_zero() -> None:
    mid = np.linspace(2, 40, 50)
    q = np.column_stack([mid - 30, mid, mid + 30])
    hours = mid + np.linspace(-1, 1, 50)
    lo, hi = margins(q, hours)
    assert lo < 0 and hi < 0
    w = widen(q, (lo, hi))
    assert np.all(w[:, 0] >= 0) and np.all(w[:, 0] <= w[:, 1]) and np.all(w[:, 1] <= w[:, 2])
    assert np.array_equal(w[:, 1], q[:, 1])
    assert quality(w, hours)["ttf_width_h"] < quality(q, hours)["ttf_width_h"]  # type: ignore[operator]
    huge = widen(q, (-100.0, -100.0))
    assert np.array_equal(huge[:, 0], q[:, 1]) and np.array_equal(huge[:, 2], q[:, 1])


def test_no_warnings_give_no_margin_and_no_figures() -> None:
    assert margins(np.zeros((0, 3)), np.zeros(0)) == (0.0, 0.0)
    assert set(quality(np.zeros((0, 3)), np.zeros(0)).values()) == {None}
