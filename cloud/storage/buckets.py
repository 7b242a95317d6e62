"""One aggregate per series and time bucket, from raw samples in columns (numpy, no rows).

Stores whose own grouping is slow for a whole fleet's windows (SQLite's GROUP BY, a
query_range answer parsed value by value) read the raw samples as arrays and bucket them
here; the rule is the stores' own: bucket ``[b, b + step)``, samples without a value
ignored, buckets without one left out, ``last`` the value of the latest sample.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from cloud.storage.base import Aggregate

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


def per_bucket(
    series: Ints, ts_ms: Ints, value: Floats, step_ms: int, aggregate: Aggregate
) -> tuple[Ints, Ints, Floats]:
    """(series, bucket start ms, aggregate) per series and bucket holding a value, in series
    then time order. The samples may come in any order."""
    keep = ~np.isnan(value)
    series, ts_ms, value = series[keep], ts_ms[keep], value[keep]
    if len(ts_ms) > 1 and not in_series_order(series, ts_ms):
        order = np.lexsort((ts_ms, series))
        series, ts_ms, value = series[order], ts_ms[order], value[order]
    bucket = ts_ms // step_ms * step_ms
    if not len(bucket):
        return series, bucket, value
    first = np.empty(len(bucket), dtype=bool)
    first[0] = True
    np.not_equal(series[1:], series[:-1], out=first[1:])
    first[1:] |= bucket[1:] != bucket[:-1]
    starts = np.flatnonzero(first)
    if aggregate == "last":
        out = value[np.append(starts[1:], len(value)) - 1]
    elif aggregate == "mean":
        out = np.add.reduceat(value, starts) / np.diff(np.append(starts, len(value)))
    elif aggregate == "min":
        out = np.minimum.reduceat(value, starts)
    else:
        out = np.maximum.reduceat(value, starts)
    return series[starts], bucket[starts], out


def in_series_order(series: Ints, ts_ms: Ints) -> bool:
    """True when the samples are already in series, then time, order."""
    ds = np.diff(series)
    return bool(np.all((ds > 0) | ((ds == 0) & (np.diff(ts_ms) >= 0))))
