"""C-MAPSS engines converted into a site's export in the generic format."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.asset_frames import events_of
from models.cmapss import load_runs
from models.cmapss_site import ASSET_CLASS, MODE, convert, engine_range
from models.data import load_dataset

TRAIN = Path(__file__).resolve().parents[2] / "datasets" / "cmapss" / "train_FD001.txt"


def test_engine_ranges_read_as_written() -> None:
    assert engine_range("1-3,7, 9-10") == [1, 2, 3, 7, 9, 10]


def test_each_engine_runs_to_its_failure_and_is_replaced_before_the_next(tmp_path: Path) -> None:
    runs = load_runs(TRAIN)
    done = convert(runs, tmp_path, [1, 2, 3, 4, 5, 6], per_asset=2, cycle_h=4.0)
    assert (done.assets, done.engines) == (3, 6)
    assert "s1" not in done.signals and "s2" in done.signals  # s1 never changes in FD001
    ds = load_dataset(tmp_path)
    assert set(ds.asset_classes.values()) == {ASSET_CLASS}
    lives = {u: int((runs.unit == u).sum()) for u in range(1, 7)}
    for a, asset in enumerate(sorted(ds.assets)):
        failures, modes = events_of(ds, asset, "failure")
        repairs, _ = events_of(ds, asset, "maintenance")
        assert modes == [MODE, MODE] and len(repairs) == 2
        assert np.all(repairs - failures == 8 * 3600)
        t, v = ds.series(asset, "s2")
        # engine a+1, then engine a+4: each cycle held for 4 h, the failure at the run's end
        first, second = lives[a + 1], lives[a + 4]
        assert len(t) == (first + second) * 24
        assert failures[0] == t[first * 24 - 1] + 600
        assert t[first * 24] == repairs[0]
        assert v[0] == pytest.approx(runs.sensors[runs.unit == a + 1][0, 1], rel=1e-6)
    with pytest.raises(ValueError, match="none of the engines"):
        convert(runs, tmp_path / "none", [1000])
