"""The time-to-failure interval's conformal calibration: pure functions on arrays."""

from __future__ import annotations

import numpy as np

from models.interval import MISSES, margins, quality, warned, widen
from models.labels import Labels
from models.pipeline import AssetRows, ClassModel, FleetModel


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
    m = margins(q_cal, h_cal, (0.1, 0.1))
    assert m[0] > m[1] > 0  # the early tail needs more room
    cal = quality(widen(q_new, m), h_new)
    assert 0.76 <= cal["ttf_coverage"] <= 0.86  # type: ignore[operator]
    assert 0.06 <= cal["ttf_early"] <= 0.14  # type: ignore[operator]
    # the median is not moved: its error is the same
    assert cal["ttf_error_h"] == raw["ttf_error_h"]


def test_each_end_misses_at_most_its_share_of_the_calibration_rows() -> None:
    rng = np.random.default_rng(1)
    for n in (5, 19, 71, 300):
        q, h = _intervals(n, rng)
        w = widen(q, margins(q, h, (0.1, 0.1)))
        assert np.mean(h < w[:, 0]) <= 0.1 and np.mean(h > w[:, 2]) <= 0.1
        # as calibrated for new assets: the low end misses at most 5 %, the high end 7.5 %
        assert MISSES == (0.05, 0.075)
        w = widen(q, margins(q, h))
        assert np.mean(h < w[:, 0]) <= 0.05 and np.mean(h > w[:, 2]) <= 0.075


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


def test_relative_margins_hold_for_near_and_far_failures_alike() -> None:
    """Truth spread in proportion to the expected time (a failure 40 h out is read less
    surely than one 8 h out): margins in hours fit the mix validation happened to hold;
    shares of the expected time hold for near and far failures alike."""
    rng = np.random.default_rng(2)

    def draw(n: int, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
        mid = rng.uniform(lo, hi, n)
        q = np.column_stack([0.9 * mid, mid, 1.1 * mid])
        return q, mid * np.exp(rng.normal(0.0, 0.3, n))

    q_cal, h_cal = draw(600, 4, 16)  # validation held mostly near failures
    near, far = draw(3000, 4, 16), draw(3000, 34, 46)
    hours_m = margins(q_cal, h_cal)
    share_m = margins(q_cal, h_cal, relative=True)
    by_hours = [quality(widen(q, hours_m), h)["ttf_coverage"] for q, h in (near, far)]
    by_share = [quality(widen(q, (0.0, 0.0), share_m), h)["ttf_coverage"] for q, h in (near, far)]
    assert by_hours[0] >= 0.8 and by_hours[1] < 0.6  # type: ignore[operator]
    assert all(0.8 <= c <= 0.9 for c in by_share)  # type: ignore[operator]
    # each end misses at most its share of the calibration rows, as in hours
    w = widen(q_cal, (0.0, 0.0), share_m)
    assert np.mean(h_cal < w[:, 0]) <= 0.05 and np.mean(h_cal > w[:, 2]) <= 0.075


def test_a_model_stored_with_margins_in_hours_keeps_them() -> None:
    import pickle

    fleet = FleetModel({}, ttf_margin_h=(3.0, 2.0))
    del fleet.__dict__["ttf_margin_rel"]  # as pickled before relative margins
    old = pickle.loads(pickle.dumps(fleet))
    assert old.ttf_margin_rel == (0.0, 0.0) and old.ttf_margin_h == (3.0, 2.0)
    q = np.array([[10.0, 20.0, 30.0]])
    assert widen(q, old.ttf_margin_h, old.ttf_margin_rel).tolist() == [[7.0, 20.0, 32.0]]


def test_no_warnings_give_no_margin_and_no_figures() -> None:
    assert margins(np.zeros((0, 3)), np.zeros(0)) == (0.0, 0.0)
    assert set(quality(np.zeros((0, 3)), np.zeros(0)).values()) == {None}


class _Quantiles:
    """A warner's time-to-failure part: +-5 h around the first feature, or unknown."""

    def __init__(self, known: bool) -> None:
        self.known = known

    def predict_ttf(self, x: np.ndarray) -> np.ndarray:
        q = np.column_stack([x[:, 0] - 5, x[:, 0], x[:, 0] + 5])
        return q if self.known else np.full_like(q, np.nan)


def test_warnings_of_a_class_without_a_time_to_failure_model_are_left_out() -> None:
    t = np.arange(10, dtype=np.int64) * 3600
    hours = np.array([np.inf] * 4 + [30.0, 29.0, 28.0, 27.0, 26.0, 25.0])
    labels = Labels(hours <= 48, np.ones(10, bool), hours, np.zeros(10, np.int64))
    x = np.where(np.isfinite(hours), hours, 0.0).reshape(-1, 1).astype(np.float32)
    scores = np.array([0.0] * 4 + [0.9] * 6)  # opens at the second high hour: 29 h ahead
    fleet = FleetModel(
        {
            cls: ClassModel(None, _Quantiles(known), None, [])  # type: ignore[arg-type]
            for cls, known in (("pump", True), ("lift", False))
        },
        threshold=0.5,
        consecutive=2,
    )
    rows = [AssetRows(c, c, t, x, labels, None) for c in ("pump", "lift")]  # type: ignore[arg-type]
    q, h = warned(fleet, rows, [scores, scores], (0, 10 * 3600))
    assert h.tolist() == [29.0] and q.tolist() == [[24.0, 29.0, 34.0]]  # the pump's only
    assert margins(q, h) == (-5.0, -5.0)
