"""Frames from long-format telemetry: grouped as an export writes them or in any order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from models import telemetry
from models.asset_frames import build_frames
from models.data import Dataset, load_dataset
from models.telemetry import Telemetry


def _dataset(order: np.ndarray) -> Dataset:
    assets = np.array(["b-pump", "a-lift", "b-pump", "a-lift", "b-pump", "a-lift"])
    signals = np.array(["flow", "speed", "flow", "speed", "temp", "speed"])
    ts = np.array([0, 0, 600, 650, 1200, 1800], dtype=np.int64)
    value = np.array([1.0, 2.0, 3.0, 4.0, 5.0, np.nan])
    tel = pa.table(
        {
            "asset": pa.array(assets[order]).dictionary_encode(),
            "signal": pa.array(signals[order]).dictionary_encode(),
            "ts": pa.array(ts[order]),
            "value": pa.array(value[order]),
        }
    )
    events = pa.table({"asset": [], "kind": [], "mode": [], "ts": pa.array([], pa.int64())})
    return Dataset(Telemetry.in_memory(tel), events, {"b-pump": "pump", "a-lift": "elevator"})


def test_frames_are_the_same_whatever_the_row_order() -> None:
    grouped = build_frames(_dataset(np.array([1, 3, 5, 0, 2, 4])))
    shuffled = build_frames(_dataset(np.array([4, 1, 0, 5, 2, 3])))
    for a, b in zip(grouped, shuffled, strict=True):
        assert a.asset == b.asset and a.asset_class == b.asset_class
        assert set(a.signals) == set(b.signals) and np.array_equal(a.t, b.t)
        for s in a.signals:  # columns follow the dictionary's order; read them by name
            assert np.array_equal(a.column(s), b.column(s), equal_nan=True)
    lift, pump = grouped
    assert lift.asset == "a-lift" and lift.t.tolist() == [0, 600, 1200, 1800]
    assert np.array_equal(lift.column("speed"), [2.0, 4.0, np.nan, np.nan], equal_nan=True)
    assert set(pump.signals) == {"flow", "temp"}
    assert np.array_equal(pump.column("temp"), [np.nan, np.nan, 5.0, np.nan], equal_nan=True)


def test_a_parquet_file_read_in_small_batches_gives_the_same_frames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ds = _dataset(np.array([4, 1, 0, 5, 2, 3]))
    table = pa.table(
        {
            "asset": pa.array(["b-pump", "a-lift", "b-pump", "a-lift", "b-pump", "a-lift"]),
            "signal": pa.array(["temp", "speed", "flow", "speed", "flow", "speed"]),
            "ts": pa.array([1200, 0, 0, 1800, 600, 650], pa.int64()),
            "value": pa.array([5.0, 2.0, 1.0, np.nan, 3.0, 4.0]),
        }
    )
    pq.write_table(table, tmp_path / "telemetry.parquet", row_group_size=2)
    pq.write_table(ds.events, tmp_path / "events.parquet")
    monkeypatch.setattr(telemetry, "BATCH_ROWS", 2)  # three batches, assets mixed in each
    loaded = load_dataset(tmp_path)
    assert loaded.telemetry.num_rows == 6 and loaded.span() == (0, 1800)
    assert loaded.telemetry.signals_of == {"a-lift": ("speed",), "b-pump": ("flow", "temp")}
    for a, b in zip(build_frames(loaded), build_frames(ds), strict=True):
        assert (a.asset, a.signals) == (b.asset, b.signals) and np.array_equal(a.t, b.t)
        assert np.array_equal(a.x, b.x, equal_nan=True)
