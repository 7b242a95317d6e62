"""The spool: begin/commit transactions, exact resend after a crash, overflow policies."""

from __future__ import annotations

from pathlib import Path

from edge.forward.spool import Spool


def rows(n: int, start: int = 0) -> list[tuple[str, str, int, float | None, int]]:
    return [("a1", "s", (start + i) * 1000, float(start + i), 0) for i in range(n)]


def open_spool(path: Path, **kw: object) -> Spool:
    args = {"max_readings": 1000, "max_age_days": 30.0, "overflow": "drop_oldest"} | kw
    return Spool(path / "spool.db", "gw", **args)  # type: ignore[arg-type]


def test_begin_commit_and_sequence_numbers(tmp_path: Path) -> None:
    spool = open_spool(tmp_path)
    assert spool.append(rows(10)) == (10, 0)
    p = spool.begin(4)
    assert (
        p is not None
        and p.batch.seq == [1, 2, 3, 4]
        and p.batch.batch_id == f"{spool.incarnation:012x}-1-4"
    )
    again = spool.begin(4)
    assert again is not None and again.batch == p.batch, "until committed, the same batch"
    spool.commit(p)
    nxt = spool.begin(100)
    assert nxt is not None and nxt.batch.seq == list(range(5, 11))
    assert spool.depth == 6


def test_a_crash_before_commit_resends_the_same_batch(tmp_path: Path) -> None:
    spool = open_spool(tmp_path)
    spool.append(rows(5))
    first = spool.begin(3)
    spool.close()  # crash: never committed
    reopened = open_spool(tmp_path)
    reopened.append(rows(5, start=5))
    again = reopened.begin(100)
    assert again is not None and first is not None
    assert again.batch.batch_id == first.batch.batch_id and again.batch.seq == [1, 2, 3]
    reopened.commit(again)
    rest = reopened.begin(100)
    assert rest is not None and rest.batch.seq == list(range(4, 11))


def test_drop_oldest_counts_and_spares_the_batch_in_flight(tmp_path: Path) -> None:
    spool = open_spool(tmp_path, max_readings=1000)
    spool.append(rows(1000))
    inflight = spool.begin(10)
    stored, dropped = spool.append(rows(5, start=1000))
    assert (stored, dropped) == (5, 5)
    assert spool.counters()["dropped_drop_oldest"] == 5
    assert inflight is not None
    spool.commit(inflight)
    nxt = spool.begin(1)
    assert nxt is not None and nxt.batch.seq == [16], "seq 11-15 dropped, 1-10 sent"


def test_drop_newest_refuses_and_counts(tmp_path: Path) -> None:
    spool = open_spool(tmp_path, max_readings=1000, overflow="drop_newest")
    spool.append(rows(998))
    assert spool.append(rows(5, start=998)) == (2, 3)
    assert spool.counters()["dropped_drop_newest"] == 3 and spool.depth == 1000


def test_park_and_release(tmp_path: Path) -> None:
    spool = open_spool(tmp_path)
    spool.append(rows(6))
    p = spool.begin(3)
    assert p is not None
    spool.park(p, 422, "unknown_signal")
    assert spool.letters.listed() == [(f"{spool.incarnation:012x}-1-3", 422, "unknown_signal")]
    q = spool.begin(2)
    assert q is not None and q.batch.seq == [4, 5]
    spool.release(q)
    r = spool.begin(100)
    assert r is not None and r.batch.seq == [4, 5, 6], "released boundaries are re-cut"


def test_values_missing_and_flags_survive(tmp_path: Path) -> None:
    spool = open_spool(tmp_path)
    spool.append([("a1", "s", 1, None, 8), ("a2", "t", 2, 3.5, 4)])
    p = spool.begin(10)
    assert p is not None
    assert [(r.asset, r.signal, r.value, r.quality) for r in p.batch.readings()] == [
        ("a1", "s", None, 8),
        ("a2", "t", 3.5, 4),
    ]


def test_a_second_opener_is_refused_while_the_spool_is_in_use(tmp_path: Path) -> None:
    """Two gateways on one spool would hand out sequence numbers twice."""
    import pytest

    from edge.forward.spool import SpoolInUse

    spool = open_spool(tmp_path)
    spool.append(rows(3))
    with pytest.raises(SpoolInUse, match="in use by another process"):
        Spool(tmp_path / "spool.db", "gw", 1000, 1, "drop_oldest", timeout_s=0.2)
    spool.close()
    again = open_spool(tmp_path)
    assert again.depth == 3


def test_batch_ids_differ_across_spool_files_and_after_a_conflict(tmp_path: Path) -> None:
    """A deleted spool numbers its readings from 1 again: its batch ids must be new ones."""
    first = open_spool(tmp_path)
    first.append(rows(3))
    old = first.begin(10)
    first.close()
    (tmp_path / "spool.db").unlink()
    second = open_spool(tmp_path)
    second.append(rows(3, start=50))
    new = second.begin(10)
    assert old is not None and new is not None and old.batch.seq == new.batch.seq == [1, 2, 3]
    assert old.batch.batch_id != new.batch.batch_id
    # The cloud holds this id with other contents (a file restored from an old copy):
    second.reincarnate(new)
    again = second.begin(10)
    assert again is not None and again.batch.seq == [1, 2, 3]
    assert again.batch.batch_id not in (old.batch.batch_id, new.batch.batch_id)
    assert second.counters()["reincarnations"] == 1
    second.close()
    assert open_spool(tmp_path).begin(10).batch.batch_id == again.batch.batch_id  # type: ignore[union-attr]


def test_a_failed_commit_is_rolled_back_and_nothing_committed_is_lost(tmp_path: Path) -> None:
    """SQLite ends a transaction whose COMMIT fails: the spool must not ROLLBACK again, and
    its view of what is stored (depth, series ids) must follow the file."""
    import sqlite3

    import pytest

    spool = open_spool(tmp_path)
    spool.append(rows(5))
    pages = spool._db.execute("PRAGMA page_count").fetchone()[0]
    spool._db.execute(f"PRAGMA max_page_count = {pages}")  # no room for anything new
    with pytest.raises(sqlite3.Error, match="full"):
        spool.append([("a9", "new-signal", i, 1.0, 0) for i in range(5000)])
    assert spool.depth == 5 and ("a9", "new-signal") not in spool._series
    spool._db.execute("PRAGMA max_page_count = 1000000")
    assert spool.append([("a9", "new-signal", 1, 1.0, 0)]) == (1, 0)
    p = spool.begin(100)
    assert p is not None and p.batch.seq == [1, 2, 3, 4, 5, 6]


def test_a_batch_stops_at_the_mark_of_a_config_change(tmp_path: Path) -> None:
    spool = open_spool(tmp_path)
    spool.append(rows(6))
    mark = spool.last_seq()  # readings read under the old config end here
    spool.append(rows(4, start=6))
    p = spool.begin(100, up_to=mark)
    assert p is not None and p.batch.seq == [1, 2, 3, 4, 5, 6]
    spool.commit(p)
    assert spool.begin(100, up_to=mark) is None  # all sent: the new manifest may go
    nxt = spool.begin(100)
    assert nxt is not None and nxt.batch.seq == [7, 8, 9, 10]
