"""Windowed sums: windows a maintenance cuts short, and 0/1 indicators."""

from __future__ import annotations

import numpy as np

from models.windows import RowSums


def test_a_floor_cuts_only_the_windows_it_reaches() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(300, 4))
    x[rng.random(x.shape) < 0.1] = np.nan
    idx = np.arange(30, 300, 6, dtype=np.int64)
    floor = np.zeros((len(idx), 4), dtype=np.int64)
    floor[idx > 150, 1:3] = 140  # a maintenance at slot 140 of the middle two columns
    mean, sd, n = RowSums(x, floor).window(idx, 24, lag=6)
    for k, i in enumerate(idx):
        end = max(0, int(i) + 1 - 6)
        for j in range(4):
            start = min(max(end - 24, int(floor[k, j])), end)
            v = x[start:end, j][np.isfinite(x[start:end, j])]
            assert n[k, j] == len(v)
            if len(v):
                assert np.isclose(mean[k, j], v.mean()) and np.isclose(sd[k, j], v.std())
    cut = (idx > 150) & (idx + 1 - 6 - 24 < 140)
    assert cut.any()  # some windows were cut short, and checked above


def test_an_indicator_sums_exactly_as_its_zeros_and_ones() -> None:
    rng = np.random.default_rng(8)
    flags = rng.random((500, 3)) < 0.3
    idx = np.arange(0, 500, 7, dtype=np.int64)
    as_bool = RowSums(flags).window(idx, 36, lag=12)
    as_float = RowSums(flags.astype(np.float32)).window(idx, 36, lag=12)
    for a, b in zip(as_bool, as_float, strict=True):
        assert np.array_equal(a, b, equal_nan=True)
    assert np.nanmax(as_bool[0]) > 0.0
