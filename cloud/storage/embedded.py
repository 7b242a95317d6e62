"""The embedded time-series store: one SQLite file, for a single machine with nothing installed.

SQLite rather than DuckDB: it ships with Python, commits are durable (WAL with
synchronous=FULL fsyncs every commit, so an acknowledged batch survives a crash), many
readers run beside one writer, and a WITHOUT ROWID table keyed by (series, time) makes a
resent batch overwrite itself instead of duplicating. DuckDB scans faster but allows one
writing process and buys little at plant-room scale.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import adbc_driver_sqlite.dbapi as adbc_sqlite
import numpy as np
import numpy.typing as npt

from cloud.storage.base import (
    Aggregate,
    Columns,
    Rows,
    Sample,
    SeriesTags,
    StoreUnavailable,
)
from cloud.storage.buckets import per_bucket
from kernel.files import create_private
from kernel.sqlite_wal import enable_wal

_SCHEMA = """
CREATE TABLE IF NOT EXISTS series (
    id INTEGER PRIMARY KEY,
    asset TEXT NOT NULL,
    signal TEXT NOT NULL,
    measurement TEXT NOT NULL,
    site TEXT NOT NULL,
    building TEXT NOT NULL,
    room TEXT NOT NULL,
    UNIQUE (asset, signal)
);
CREATE TABLE IF NOT EXISTS samples (
    series_id INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    value REAL,
    quality INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (series_id, ts)
) WITHOUT ROWID;
"""
_AGG_SQL = {"mean": "AVG(value)", "min": "MIN(value)", "max": "MAX(value)"}


def to_ms(ts: datetime) -> int:
    """Epoch milliseconds of an aware datetime."""
    return round(ts.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    """Aware UTC datetime of epoch milliseconds."""
    return datetime.fromtimestamp(ms / 1000, UTC)


class EmbeddedStore:
    """Time series in a local SQLite file."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        create_private(Path(path))
        self._lock = threading.Lock()
        self._local = threading.local()
        self._writer = self._connect()
        self._writer.executescript(_SCHEMA)
        self._series: dict[tuple[str, str], int] = {
            (a, s): i for i, a, s in self._writer.execute("SELECT id, asset, signal FROM series")
        }
        self._known = max(self._series.values(), default=0)  # the highest series id read

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
        enable_wal(conn)
        conn.execute("PRAGMA synchronous=FULL")
        return conn

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    def _series_id(self, tags: SeriesTags, signal: str) -> int:
        key = (tags.asset, signal)
        sid = self._series.get(key)
        if sid is None:
            self._writer.execute(
                "INSERT OR IGNORE INTO series (asset, signal, measurement, site, building, room)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (tags.asset, signal, tags.measurement, tags.site, tags.building, tags.room),
            )
            (sid,) = self._writer.execute(
                "SELECT id FROM series WHERE asset = ? AND signal = ?", key
            ).fetchone()
            self._series[key] = sid
        return sid

    def write(self, tags: dict[str, SeriesTags], rows: Rows) -> None:
        """Store readings in one durable transaction (a resend overwrites, never duplicates)."""
        try:
            with self._lock:
                self._writer.execute("BEGIN IMMEDIATE")
                try:
                    ids = np.array(
                        [self._series_id(tags[a], sig) for a, sig in rows.series], np.int64
                    )
                    self._writer.executemany(
                        "INSERT OR REPLACE INTO samples VALUES (?, ?, ?, ?)",
                        zip(
                            ids[rows.index].tolist(),
                            rows.ts.tolist(),
                            rows.values(),
                            rows.quality.tolist(),
                            strict=True,
                        ),
                    )
                    self._writer.execute("COMMIT")
                except BaseException:
                    self._writer.execute("ROLLBACK")
                    # Ids inserted in the rolled-back transaction are gone: reload the rest.
                    self._series = {
                        (a, s): i
                        for i, a, s in self._writer.execute("SELECT id, asset, signal FROM series")
                    }
                    raise
        except sqlite3.OperationalError as exc:
            raise StoreUnavailable(f"embedded store: {exc}") from exc

    def _refresh(self) -> None:
        """Learn the series another process (an API worker, a scoring worker) created."""
        new = (
            self._reader()
            .execute("SELECT id, asset, signal FROM series WHERE id > ?", (self._known,))
            .fetchall()
        )
        if new:  # a fresh dict, swapped in whole: readers never see one half-updated
            self._series = {**self._series, **{(a, sig): i for i, a, sig in new}}
            self._known = max(i for i, _, _ in new)

    def _ids(
        self, assets: Sequence[SeriesTags], signals: Sequence[str] | None
    ) -> dict[int, tuple[str, str]]:
        self._refresh()
        wanted = {a.asset for a in assets}
        return {
            sid: key
            for key, sid in dict(self._series).items()  # a C-level copy: safe beside the writer
            if key[0] in wanted and (signals is None or key[1] in signals)
        }

    def latest(self, assets: Sequence[SeriesTags], at: datetime | None = None) -> list[Sample]:
        """Newest sample of every series of ``assets`` at or before ``at``."""
        ids = self._ids(assets, None)
        if not ids:
            return []
        at_ms = to_ms(at or datetime.now(UTC))
        out = []
        cur = self._reader()
        for sid, (asset, signal) in sorted(ids.items()):
            row = cur.execute(
                "SELECT ts, value, quality FROM samples WHERE series_id = ? AND ts <= ?"
                " ORDER BY ts DESC LIMIT 1",
                (sid, at_ms),
            ).fetchone()
            if row is not None:
                out.append(Sample(asset, signal, from_ms(row[0]), row[1], row[2]))
        return out

    def window(
        self,
        assets: Sequence[SeriesTags],
        signals: Sequence[str] | None,
        start: datetime,
        end: datetime,
        step_s: int | None = None,
        aggregate: Aggregate = "mean",
    ) -> list[Sample]:
        """Raw samples, or one aggregate per step bucket ``[b, b + step)``."""
        ids = self._ids(assets, signals)
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        args: list[int] = [*ids, to_ms(start), to_ms(end)]
        cur = self._reader()
        if step_s is None:
            rows = cur.execute(
                f"SELECT series_id, ts, value, quality FROM samples WHERE series_id IN ({marks})"
                " AND ts >= ? AND ts < ? ORDER BY series_id, ts",
                args,
            ).fetchall()
            return [Sample(*ids[sid], from_ms(ts), v, q) for sid, ts, v, q in rows]
        rows = self._aggregate_rows(list(ids), to_ms(start), to_ms(end), step_s * 1000, aggregate)
        return [Sample(*ids[row[0]], from_ms(row[1]), row[2]) for row in rows]

    def _aggregate_rows(
        self, ids: list[int], start_ms: int, end_ms: int, step_ms: int, aggregate: Aggregate
    ) -> list[tuple[int, int, float | None]]:
        """(series id, bucket start ms, aggregate) per series and bucket with a value."""
        marks = ",".join("?" * len(ids))
        if aggregate == "last":
            # SQLite returns the bare column of the row that holds MAX(ts).
            sql = (
                f"SELECT series_id, (ts / {step_ms}) * {step_ms} AS b, value, MAX(ts)"
                f" FROM samples WHERE series_id IN ({marks}) AND ts >= ? AND ts < ?"
                " AND value IS NOT NULL GROUP BY series_id, b ORDER BY series_id, b"
            )
        else:
            sql = (
                f"SELECT series_id, (ts / {step_ms}) * {step_ms} AS b, {_AGG_SQL[aggregate]}"
                f" FROM samples WHERE series_id IN ({marks}) AND ts >= ? AND ts < ?"
                " GROUP BY series_id, b HAVING COUNT(value) > 0 ORDER BY series_id, b"
            )
        rows: list[tuple[int, int, float | None]] = (
            self._reader().execute(sql, [*ids, start_ms, end_ms]).fetchall()
        )
        return rows

    def window_columns(
        self,
        assets: Sequence[SeriesTags],
        start: datetime,
        end: datetime,
        step_s: int,
        aggregate: Aggregate = "last",
    ) -> Columns:
        """Aggregates per step as columns: the raw samples read as Arrow columns (no Python
        object per row), bucketed in numpy."""
        ids = self._ids(assets, None)
        order = sorted(ids)
        if not ids:
            empty = np.zeros(0, dtype=np.int64)
            return Columns([], empty, empty, np.zeros(0, dtype=np.float64))
        sid, ts, value = self._raw_columns(order, to_ms(start), to_ms(end))
        sid, bucket, out = per_bucket(sid, ts, value, step_s * 1000, aggregate)
        lookup = np.zeros(order[-1] + 1, dtype=np.int64)
        lookup[order] = np.arange(len(order))
        return Columns([ids[i] for i in order], lookup[sid], bucket, out)

    def _raw_columns(
        self, ids: list[int], start_ms: int, end_ms: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """Series id, time and value of the samples holding a value, in key order."""
        conn = getattr(self._local, "arrow", None)
        if conn is None:
            # autocommit: without it the connection holds one read transaction, and its snapshot,
            # for good, and never sees what writers commit later.
            conn = self._local.arrow = adbc_sqlite.connect(self.path, autocommit=True)
        # Only integers of this store's own making go into the text: nothing to escape.
        marks = ",".join(str(int(i)) for i in ids)
        with conn.cursor() as cur:
            cur.execute(
                "SELECT series_id, ts, CAST(value AS REAL) FROM samples"
                f" WHERE series_id IN ({marks}) AND ts >= {int(start_ms)} AND ts < {int(end_ms)}"
                " AND value IS NOT NULL ORDER BY series_id, ts"
            )
            table = cur.fetch_arrow_table()
        if not table.num_rows:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, np.zeros(0, dtype=np.float64)
        return (
            table.column(0).to_numpy().astype(np.int64, copy=False),
            table.column(1).to_numpy().astype(np.int64, copy=False),
            table.column(2).to_numpy().astype(np.float64, copy=False),
        )

    def ping(self) -> bool:
        """True when the file can be read."""
        try:
            self._reader().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def close(self) -> None:
        """Close the writer connection."""
        self._writer.close()
