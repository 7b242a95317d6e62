"""Benchmark `plantwatch sim export`: 100 assets x 365 days at 10-minute resolution.

Prints wall time and peak memory, next to a reference measured in the same run: writing
the same number of rows of ready-made random numbers to Parquet (the I/O floor).

    python bench/sim_export.py [--assets 100] [--days 365]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from simulators.config import synthetic_fleet
from simulators.engine import Simulation, sample_times
from simulators.export import TELEMETRY_SCHEMA, export


def reference_write(sim: Simulation, out: Path, interval_s: int) -> tuple[float, int]:
    """Write random values of the same shape as the export; returns (seconds, rows)."""
    t = sample_times(sim.start, sim.end, interval_s)
    rng = np.random.default_rng(0)
    rows = 0
    began = time.perf_counter()
    with pq.ParquetWriter(out, TELEMETRY_SCHEMA, compression="zstd") as writer:
        for asset in sim.assets:
            n_sig = len(asset.equipment.signals)
            names = [s.name for s in asset.equipment.signals]
            n = t.size * n_sig
            table = pa.table(
                {
                    "asset": pa.DictionaryArray.from_arrays(
                        np.zeros(n, dtype=np.int32), pa.array([asset.id])
                    ),
                    "signal": pa.DictionaryArray.from_arrays(
                        np.repeat(np.arange(n_sig, dtype=np.int32), t.size), pa.array(names)
                    ),
                    "ts": pa.array(np.tile(t, n_sig), type=pa.timestamp("s", tz="UTC")),
                    "value": pa.array(rng.normal(size=n)),
                },
                schema=TELEMETRY_SCHEMA,
            )
            writer.write_table(table)
            rows += n
    return time.perf_counter() - began, rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--assets", type=int, default=100)
    parser.add_argument("--days", type=float, default=365)
    args = parser.parse_args()
    sim = Simulation(synthetic_fleet(args.assets, seed=1), horizon_days=args.days)
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        result = export(sim, Path(tmp) / "sim", 600)
        took = time.perf_counter() - began
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        size_mb = result.telemetry.stat().st_size / 1e6
        ref_s, ref_rows = reference_write(sim, Path(tmp) / "ref.parquet", 600)
    print(
        f"export   {args.assets} assets x {args.days:g} days @10m: {result.rows:,} readings "
        f"in {took:.2f} s ({result.rows / took / 1e6:.1f} M readings/s), "
        f"{size_mb:.0f} MB, peak RSS {peak_mb:.0f} MB"
    )
    print(
        f"reference: Parquet write of {ref_rows:,} random values in {ref_s:.2f} s "
        f"({ref_rows / ref_s / 1e6:.1f} M/s)"
    )
    print(f"ratio export/reference time: {took / ref_s:.2f}  (target: export under 20 s)")


if __name__ == "__main__":
    main()
