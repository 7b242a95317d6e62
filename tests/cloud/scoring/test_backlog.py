"""Which gateways sent old readings since the scorer last looked (pure, over log rows)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cloud.scoring.backlog import LOOKBACK_IDS, SETTLE_S, Backlog

T = datetime(2026, 1, 5, 12, tzinfo=UTC)
OLD, NEW = T - timedelta(hours=5), T + timedelta(minutes=5)


def _backlog(wall: list[float]) -> Backlog:
    return Backlog(cursor=0, wall=lambda: wall[0])


def test_only_batches_older_than_the_reread_window_count_until_they_settled() -> None:
    wall = [100.0]
    b = _backlog(wall)
    rows = [(1, "gw-a", NEW), (2, "gw-b", OLD), (3, "gw-c", None)]
    assert b.late(rows, T) == {"gw-b"}
    assert b.cursor == 3
    wall[0] += SETTLE_S / 2  # the same rows seen again: gw-b is still settling
    assert b.late(rows, T) == {"gw-b"}
    wall[0] += SETTLE_S  # long enough: nothing new, nothing left
    assert b.late(rows, T) == set()


def test_a_batch_committed_out_of_order_is_still_found() -> None:
    b = _backlog([0.0])
    assert b.late([(1, "gw-a", NEW), (3, "gw-a", NEW)], T) == set()
    assert b.late([(1, "gw-a", NEW), (2, "gw-b", OLD), (3, "gw-a", NEW)], T) == {"gw-b"}


def test_the_memory_of_seen_ids_stays_bounded() -> None:
    b = _backlog([0.0])
    b.late([(i, "gw-a", NEW) for i in range(1, 3 * LOOKBACK_IDS)], T)
    assert b.cursor == 3 * LOOKBACK_IDS - 1
    assert len(b.seen) == LOOKBACK_IDS and min(b.seen) == b.cursor - LOOKBACK_IDS + 1
