"""The scoring's pure parts: one incident per asset, partitions, frames from samples."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from cloud.scoring.partition import owned, owner
from cloud.scoring.sample_frames import (
    carry_forward,
    frames_from_columns,
    frames_from_samples,
    grid,
)
from cloud.storage.base import Sample, columns_of
from cloud.warnings.warning_records import matching
from models.windows import Windows


def test_one_incident_per_asset_whatever_the_mode_classifier_says() -> None:
    assert matching([], "seal_leak") is None
    assert matching(["seal_leak"], "seal_leak") == "seal_leak"
    assert matching(["seal_leak"], "bearing_wear") == "seal_leak"
    assert matching(["seal_leak"], "") == "seal_leak"


def test_partitions_are_stable_disjoint_and_cover_the_fleet() -> None:
    ids = [f"site{s:02d}-asset-{i}" for s in range(5) for i in range(400)]
    parts = [owned(ids, i, 4) for i in range(4)]
    assert sorted(a for p in parts for a in p) == sorted(ids)
    sizes = Counter(owner(a, 4) for a in ids)
    assert min(sizes.values()) > 0.2 * len(ids)  # roughly balanced
    assert owner("pump-1", 7) == owner("pump-1", 7)


def _s(asset: str, signal: str, t: int, v: float) -> Sample:
    return Sample(asset, signal, datetime.fromtimestamp(t, UTC), v)


def test_frames_keep_the_newest_sample_per_slot_and_ignore_duplicates() -> None:
    win = Windows()
    t = grid(1_000_000, win)
    assert t[-1] == 1_000_000 // 600 * 600 and len(t) == win.longest_s // 600 + 1
    last = int(t[-1])
    samples = [
        _s("a", "temp", last - 600, 1.0),
        _s("a", "temp", last - 600, 1.0),  # delivered twice
        _s("a", "temp", last + 10, 2.0),
        _s("a", "temp", last + 300, 3.0),  # newer in the same slot wins
        _s("a", "flow", last, 9.0),
        _s("zz", "temp", last, 5.0),  # not asked for
        _s("a", "temp", int(t[0]) - 600, 7.0),  # before the window
    ]
    (a, b) = frames_from_samples(samples, {"a": "pump", "b": "hvac"}, t, 600)
    assert a.signals == ("flow", "temp") and a.asset_class == "pump"
    assert a.column("temp")[-1] == 3.0 and a.column("temp")[-2] == 1.0
    assert np.isnan(a.column("temp")[:-2]).all()
    assert b.signals == () and b.x.shape == (len(t), 0)


@given(st.integers(0, 200), st.integers(0, 2000), st.integers(1, 30))
def test_a_moved_window_with_its_tail_reread_equals_a_full_read(
    seed: int, minutes: int, tail_slots: int
) -> None:
    win = Windows()
    rng = np.random.default_rng(seed)
    t1 = grid(1_700_000_000, win)
    t2 = grid(1_700_000_000 + minutes * 60, win)
    span = np.arange(int(t1[0]) - 3600, int(t2[-1]) + 600, 300)
    samples = [
        _s("a", sig, int(ts), float(rng.normal()))
        for sig in ("x", "y")
        for ts in span
        if rng.random() < (0.9 if sig == "x" or ts > t1[-1] else 0.0)  # y appears later
    ]
    (old,) = frames_from_samples(samples, {"a": "pump"}, t1, 600)
    tail = t2[-tail_slots:] if int(t2[-1] - t1[-1]) // 600 < tail_slots else t2
    (recent,) = frames_from_samples(samples, {"a": "pump"}, tail, 600)
    (full,) = frames_from_samples(samples, {"a": "pump"}, t2, 600)
    moved = carry_forward(old, t2, recent)
    assert moved.signals == full.signals or not np.isfinite(full.x).any()
    np.testing.assert_array_equal(moved.t, full.t)
    if moved.signals == full.signals:
        np.testing.assert_array_equal(moved.x, full.x)


@given(st.integers(0, 500))
def test_columnar_frames_equal_frames_from_samples(seed: int) -> None:
    rng = np.random.default_rng(seed)
    t = grid(1_700_000_000, Windows())
    samples = [
        _s(
            str(rng.choice(["a", "b", "c"])),
            str(rng.choice(["x", "y", "z"])),
            int(rng.integers(int(t[0]) - 1200, int(t[-1]) + 1200)),
            float(rng.normal()),
        )
        for _ in range(int(rng.integers(0, 300)))
    ]
    classes = {"a": "pump", "b": "hvac", "d": "elevator"}
    by_samples = frames_from_samples(samples, classes, t, 600)
    by_columns = frames_from_columns(columns_of(samples), classes, t, 600)
    for f, g in zip(by_samples, by_columns, strict=True):
        assert (f.asset, f.asset_class, f.signals) == (g.asset, g.asset_class, g.signals)
        np.testing.assert_array_equal(f.x, g.x)
