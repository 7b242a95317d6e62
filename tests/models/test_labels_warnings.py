"""Pure logic of labels, windows, warnings and their judgement."""

from __future__ import annotations

import numpy as np

from models.evaluate import threshold_candidates
from models.labels import make_labels, repairs_after
from models.warning_rule import gated
from models.warnings import judge
from models.windows import RowSums

H = 3600


def test_labels_mark_the_horizon_and_leave_out_downtime() -> None:
    t = np.arange(0, 100 * H, H, dtype=np.int64)
    failures = np.array([50 * H], dtype=np.int64)
    repaired = repairs_after(failures, np.array([10 * H, 56 * H], dtype=np.int64))
    assert repaired.tolist() == [56 * H]
    lab = make_labels(t, failures, repaired, horizon_h=12)
    assert np.flatnonzero(lab.y).tolist() == list(range(38, 50))
    assert np.flatnonzero(~lab.usable).tolist() == list(range(50, 57))
    assert lab.hours_to_failure[40] == 10 and np.isinf(lab.hours_to_failure[60])


def test_labels_without_failures() -> None:
    lab = make_labels(np.arange(5, dtype=np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64))
    assert not lab.y.any() and lab.usable.all() and (lab.next_failure == -1).all()


def test_windowed_sums_match_a_plain_loop_with_gaps() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(200, 3))
    x[rng.random(x.shape) < 0.2] = np.nan
    idx = np.array([0, 5, 50, 199], dtype=np.int64)
    mean, sd, n = RowSums(x).window(idx, 24, lag=6)
    for k, i in enumerate(idx):
        block = x[max(0, i + 1 - 6 - 24) : max(0, i + 1 - 6)]
        for j in range(3):
            v = block[:, j][np.isfinite(block[:, j])]
            assert n[k, j] == len(v)
            if len(v):
                assert np.isclose(mean[k, j], v.mean()) and np.isclose(sd[k, j], v.std())


def test_judge_counts_catches_leads_and_false_alarms() -> None:
    day = 24 * H
    failures = [np.array([10 * day, 30 * day], dtype=np.int64), np.zeros(0, np.int64)]
    precursor = [np.array([30.0, 2.0]), np.zeros(0)]
    starts = [
        np.array([10 * day - 30 * H, 20 * day], dtype=np.int64),  # catch, then a false alarm
        np.array([5 * day], dtype=np.int64),  # a false alarm on a healthy asset
    ]
    o = judge(starts, failures, precursor, (0, 40 * day)).as_dict()
    assert o["failures"] == 2 and o["recall"] == 0.5 and o["recall_lead_24h"] == 0.5
    assert o["failures_precursor_6h"] == 1 and o["recall_precursor_6h"] == 1.0
    assert o["warnings"] == 3 and o["precision"] == round(1 / 3, 4)
    assert o["lead_p50_h"] == 30.0
    months = 2 * 40 / 30.44
    assert o["false_alarms_per_asset_month"] == round(2 / months, 4)


def test_a_warning_standing_since_before_the_horizon_catches_the_failure_it_stays_open_for() -> (
    None
):
    day = 24 * H
    failures = [np.array([10 * day], dtype=np.int64), np.array([20 * day], dtype=np.int64)]
    precursor = [np.array([80.0]), np.array([80.0])]
    # both open 60 h before their failure; the first is open until the failure, the second
    # closed 40 h before it (an all-clear, then the failure)
    starts = [np.array([10 * day - 60 * H]), np.array([20 * day - 60 * H])]
    closes = [np.array([10 * day]), np.array([20 * day - 40 * H])]
    o = judge(starts, failures, precursor, (0, 40 * day), closes=closes).as_dict()
    assert o["failures"] == 2 and o["recall"] == 0.5 and o["warnings"] == 2
    assert o["precision"] == 0.5  # the standing warning was right, the closed one a false alarm
    assert o["lead_p50_h"] == 48.0  # counted from the horizon, as far as any lead is measured
    assert o["recall_lead_48h_precursor_48h"] == 0.5
    # judged as instants (no closes), both are early false alarms and both failures missed
    plain = judge(starts, failures, precursor, (0, 40 * day)).as_dict()
    assert plain["recall"] == 0.0 and plain["precision"] == 0.0


def test_a_failure_in_the_periods_last_horizon_is_caught_by_a_warning_opened_there() -> None:
    day = 24 * H
    end = 40 * day
    # a failure 12 h before the period ends, warned 20 h ahead; a warning opened 10 h before
    # the end on a healthy asset, whose outcome the period cannot tell
    failures = [np.array([end - 12 * H], dtype=np.int64), np.zeros(0, np.int64)]
    precursor = [np.array([30.0]), np.zeros(0)]
    starts = [np.array([end - 32 * H], dtype=np.int64), np.array([end - 10 * H], dtype=np.int64)]
    o = judge(starts, failures, precursor, (0, end)).as_dict()
    assert o["failures"] == 1 and o["recall"] == 1.0 and o["lead_p50_h"] == 20.0
    # neither warning opened a horizon before the end: neither counts for precision
    assert o["warnings"] == 0 and o["false_alarms_per_asset_month"] == 0.0


def test_a_score_that_never_falls_does_not_catch_failures_by_standing() -> None:
    day = 24 * H
    failures = [np.array([10 * day, 30 * day], dtype=np.int64)]
    precursor = [np.array([80.0, 80.0])]
    # one warning from the start to the first failure, the next from its repair to the
    # second: open for days before each, so neither counts
    starts = [np.array([1 * day, 10 * day + 8 * H])]
    closes = [np.array([10 * day, 30 * day])]
    o = judge(starts, failures, precursor, (0, 40 * day), closes=closes).as_dict()
    assert o["recall"] == 0.0 and o["precision"] == 0.0
    # opened 96 h before (two horizons) it still counts; 97 h before it does not
    for hours, caught in ((96, 1.0), (97, 0.0)):
        starts = [np.array([10 * day - hours * H, 30 * day - hours * H])]
        o = judge(starts, failures, precursor, (0, 40 * day), closes=closes).as_dict()
        assert o["recall"] == caught and o["precision"] == caught


def test_the_warner_fits_with_a_signal_missing_from_every_row() -> None:
    from models.estimators import FailureWarner
    from models.health import HealthScore

    rng = np.random.default_rng(0)
    X = rng.normal(size=(6000, 4)).astype(np.float32)
    X[:, 2] = np.nan  # a signal these rows never had
    y = X[:, 0] > 0.8
    hours = np.where(y, rng.uniform(0, 48, 6000), np.inf)
    modes = np.where(y, np.where(X[:, 1] > 0, "a", "b"), "")
    w = FailureWarner(max_iter=30).fit(X, y, np.arange(6000) // 100, hours, modes)
    p = w.predict_proba(X)[:, 1]
    assert p[y].mean() > 0.5 > p[~y].mean()
    q = w.predict_ttf(X[y])
    assert (q[:, 0] <= q[:, 1]).all() and (q[:, 1] <= q[:, 2]).all()
    assert set(w.predict_mode(X[y])[0]) <= {"a", "b"}
    assert np.isfinite(HealthScore(n_estimators=20).fit(X).score_samples(X)).all()


def test_features_of_many_assets_at_once_equal_one_at_a_time() -> None:
    from models.asset_frames import AssetFrame
    from models.features import feature_names, features, features_batch
    from models.normalise import ClassNormaliser

    rng = np.random.default_rng(1)
    t = 1_735_689_600 + 600 * np.arange(2000, dtype=np.int64)
    frames = []
    for a in range(3):
        x = rng.normal(size=(2000, 3)).astype(np.float32) + a
        x[:, 2] = (rng.random(2000) > 0.5).astype(np.float32)  # a status signal
        x[rng.random((2000, 3)) < 0.05] = np.nan
        frames.append(AssetFrame(f"p{a}", "pump", t, ("flow", "motor_current", "pump_running"), x))
    norm = ClassNormaliser("pump").fit(frames)
    assert norm.analog == ["flow", "motor_current"] and norm.status == ["pump_running"]
    idx = np.array([100, 1500, 1999], dtype=np.int64)
    maint = [np.array([t[50]]), np.zeros(0, np.int64), np.array([t[10], t[1600]])]
    one = np.vstack([features(norm, f, idx, m) for f, m in zip(frames, maint, strict=True)])
    many = features_batch(norm, t, frames, idx, maint)
    assert one.shape == (9, len(feature_names(norm)))
    np.testing.assert_allclose(many, one, rtol=1e-5, equal_nan=True)
    # Scoring one instant sums whole hours first; it must agree with the row-wise sums.
    last = np.array([1999], dtype=np.int64)
    np.testing.assert_allclose(
        features_batch(norm, t, frames, last, maint),
        many[2::3],
        rtol=1e-4,
        atol=1e-6,
        equal_nan=True,
    )


def test_the_gate_holds_back_only_failures_expected_beyond_it() -> None:
    p = np.array([0.9, 0.9, 0.9, 0.2])
    ttf = np.array([10.0, 60.0, np.nan, 5.0])  # NaN: no time-to-failure model
    assert gated(p, ttf, 36.0).tolist() == [0.9, 0.0, 0.9, 0.2]
    assert gated(p, ttf, float("inf")).tolist() == p.tolist()


def test_threshold_candidates_see_every_level_of_a_gated_calibrated_score() -> None:
    # zero almost everywhere (gated), a few isotonic levels above: all of them are tried
    rng = np.random.default_rng(0)
    levels = np.array([0.05, 0.2, 0.33, 0.41, 0.56, 0.63, 0.9, 1.0])
    scores = np.zeros(100_000)
    scores[rng.choice(len(scores), 800, replace=False)] = rng.choice(levels, 800)
    assert np.array_equal(threshold_candidates(scores), levels)
    # a continuous score: at most ``most`` candidates, all in its top tenth
    cont = rng.normal(size=100_000)
    c = threshold_candidates(cont, most=60)
    assert len(c) == 60 and c.min() >= np.quantile(cont, 0.9)


def test_judge_sets_each_lead_against_what_the_precursor_allowed() -> None:
    day = 24 * H
    failures = [np.array([10 * day, 20 * day, 30 * day], dtype=np.int64)]
    precursor = [np.array([60.0, 30.0, 100.0])]  # hours each precursor ran before its failure
    ideal = [np.array([40.0, 20.0, np.nan])]  # the ideal detector missed the third
    starts = [
        np.array([10 * day - 48 * H + 300, 20 * day - 25 * H, 30 * day - 10 * H], dtype=np.int64)
    ]
    o = judge(starts, failures, precursor, (0, 40 * day), ideal_h=ideal).as_dict()
    # 48 h: the first failure's warning opened at the horizon's first 10-minute step or
    # earlier; the third had a long precursor but a 10 h warning
    assert o["recall_lead_48h_precursor_48h"] == 0.5
    assert o["recall_lead_24h_precursor_24h"] == round(2 / 3, 4)
    assert o["ideal_lead_p50_h"] == 30.0 and o["lead_p50_h"] == 25.0
    assert o["lead_efficiency"] == round(25.0 / 30.0, 3)
    # without an ideal detector there is nothing to compare with
    plain = judge(starts, failures, precursor, (0, 40 * day)).as_dict()
    assert plain["lead_efficiency"] is None and plain["ideal_lead_p50_h"] is None


def test_judge_counts_right_warnings_as_a_plain_reading_of_the_rule() -> None:
    rng = np.random.default_rng(7)
    day, h = 24 * H, 48 * H
    for _ in range(30):
        failures = np.sort(rng.choice(np.arange(5, 60) * day, 4, replace=False)).astype(np.int64)
        starts = np.sort(rng.integers(0, 60 * day, 12)).astype(np.int64)
        closes = starts + rng.integers(0, 6 * day, 12)
        o = judge([starts], [failures], [np.full(4, 80.0)], (0, 70 * day), closes=[closes])
        right = 0
        for s, c in zip(starts.tolist(), closes.tolist(), strict=True):
            if s >= 70 * day - h:
                continue  # too late in the period to be judged
            following = [f for f in failures.tolist() if f > s]
            if not following:
                continue
            f = following[0]
            right += f - s <= h or (f - s <= 2 * h and c > f - H)
        assert o.true_warnings == right
