"""The scoring loop: a thin shell that reads windows, calls the model and records warnings."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.scoring.backlog import Backlog
from cloud.scoring.partition import owned
from cloud.scoring.sample_frames import carry_forward, frames_from_columns, grid
from cloud.storage.base import SeriesTags, TimeSeriesStore
from cloud.tables import Asset, WorkOrderRow, WorkOrderStep
from cloud.warnings.warning_records import Changes, record
from models import registry
from models.asset_frames import AssetFrame
from models.online import OnlineCache
from models.pipeline import FleetModel
from models.score import assess

log = logging.getLogger("plantwatch.cloud.scoring")
READ_CHUNK = 100  # assets per store query
STALE_S = 2 * 3600  # an asset silent this long is not scored (its data says nothing new)
# Between full reads a round re-reads only the last hour, so data arriving up to an hour
# late is seen at once; older late data (a gateway's backlog) at the next full read.
REREAD_S = 3600
FULL_READ_EVERY = 60


@dataclass
class Windows:
    """A chunk's windows as read, the first slot that may differ from the last round's
    (None: any), and the seconds the read took."""

    frames: list[AssetFrame]
    since: int | None
    seconds: float


@dataclass
class Round:
    """What one scoring round (or one chunk of it) did."""

    assets: int = 0
    scored: int = 0
    stale: int = 0
    opened: int = 0
    updated: int = 0
    closed: int = 0
    seconds: float = 0.0
    changes: Changes | None = None

    def add(self, other: Round) -> None:
        """Fold a chunk's figures into the round's."""
        self.assets += other.assets
        self.scored += other.scored
        self.stale += other.stale
        self.opened += other.opened
        self.updated += other.updated
        self.closed += other.closed
        self.seconds += other.seconds
        if other.changes is not None:
            if self.changes is None:
                self.changes = Changes([], [], [], [])
            self.changes.opened += other.changes.opened
            self.changes.updated += other.changes.updated
            self.changes.closed += other.changes.closed
            self.changes.orders += other.changes.orders


def read_frames(
    store: TimeSeriesStore,
    tags: list[SeriesTags],
    t: np.ndarray,
    step_s: int,
    until: float | None = None,
) -> list[AssetFrame]:
    """The assets' windows on grid ``t`` as the store holds them (newest value per slot),
    of the readings taken at or before ``until`` (default: all): the last slot is the one in
    progress, and a round sees it as it stood at the round's instant."""
    start = datetime.fromtimestamp(int(t[0]), UTC)
    last = int(t[-1]) + step_s
    end = datetime.fromtimestamp(last if until is None else min(last, int(until) + 1), UTC)
    cols = store.window_columns(tags, start, end, step_s, "last")
    return frames_from_columns(cols, {g.asset: g.measurement for g in tags}, t, step_s)


@dataclass(frozen=True)
class Plan:
    """One round: the model, the round's instant and the one it evaluates (the settle time
    earlier), its grid, the assets in chunks, full read or not, the assets whose whole
    windows are read again (their gateway sent old readings), and whether it is a cold start
    (no window cached: every window is read)."""

    version: str
    fleet: FleetModel
    now: float
    at: float
    t: np.ndarray
    chunks: list[list[Asset]]
    full: bool
    reread: frozenset[str] = frozenset()
    cold: bool = False


@dataclass
class Scorer:
    """Scores the assets of one partition with the newest model in the registry."""

    sessions: sessionmaker[Session]
    store: TimeSeriesStore
    registry_dir: Path
    partition: tuple[int, int] = (0, 1)
    clock: Callable[[], float] = time.time
    close_after: int = 6
    # Readings younger than this (clock seconds) are not scored yet: a round evaluates the
    # instant this long ago, when every gateway's readings of it have arrived, so a verdict
    # does not depend on which readings were still on their way (and equals a replay of the
    # stored readings at that instant).
    settle_s: float = 0.0
    _model: tuple[str, FleetModel] | None = field(default=None, repr=False)
    _cache: dict[str, AssetFrame] = field(default_factory=dict, repr=False)
    _online: OnlineCache = field(default_factory=OnlineCache, repr=False)
    _rounds: int = field(default=0, repr=False)
    _backlog: Backlog = field(default_factory=Backlog, repr=False)

    def model(self) -> tuple[str, FleetModel] | None:
        """The registered model in service (reloaded when another is put in service)."""
        name = registry.in_service(self.registry_dir)
        if name is None:
            return None
        if self._model is None or self._model[0] != name:
            fleet, meta = registry.load(self.registry_dir, name)
            self._model = (str(meta["version"]), fleet)
            log.info("scoring with model %s", meta["version"])
            if meta.get("donor_caution"):  # recorded only for a model trained with a donor
                log.warning("model %s: %s", meta["version"], meta["donor_caution"])
        return self._model

    def _assets(self, session: Session) -> list[Asset]:
        rows = list(session.scalars(select(Asset).where(Asset.retired.is_(False))))
        mine = set(owned([a.id for a in rows], *self.partition))
        return [a for a in rows if a.id in mine]

    def _read(
        self, assets: list[Asset], t: np.ndarray, step_s: int, until: float
    ) -> list[AssetFrame]:
        out: list[AssetFrame] = []
        for i in range(0, len(assets), READ_CHUNK):
            part = assets[i : i + READ_CHUNK]
            tags = [SeriesTags(a.asset_class, a.site, a.building, a.room, a.id) for a in part]
            out += read_frames(self.store, tags, t, step_s, until)
        return out

    def _frames(
        self, assets: list[Asset], t: np.ndarray, step_s: int, full: bool, until: float
    ) -> tuple[list[AssetFrame], int | None]:
        """Full windows on a full read; otherwise cached windows moved on, with every slot
        since the last round and the hour before it re-read. Also the first slot that may
        differ from the last round's windows (None: any)."""
        since: int | None = None
        if full or any(a.id not in self._cache for a in assets):
            frames = self._read(assets, t, step_s, until)
        else:
            last = min(int(self._cache[a.id].t[-1]) for a in assets)
            n = min(len(t), max(0, int(t[-1]) - last) // step_s + REREAD_S // step_s + 1)
            recent = {f.asset: f for f in self._read(assets, t[-n:], step_s, until)}
            frames = [carry_forward(self._cache[a.id], t, recent[a.id]) for a in assets]
            since = int(t[-n])
        self._cache.update((f.asset, f) for f in frames)
        return frames, since

    def _maintenance(self, session: Session, ids: list[str]) -> dict[str, np.ndarray]:
        """Completion times of each asset's work orders: the models' "time since maintenance"."""
        rows = session.execute(
            select(WorkOrderRow.asset_id, WorkOrderStep.at)
            .join(WorkOrderStep, WorkOrderStep.order_id == WorkOrderRow.id)
            .where(WorkOrderRow.asset_id.in_(ids), WorkOrderStep.action == "complete")
        )
        out: dict[str, list[int]] = {}
        for asset, at in rows:
            at = at if at.tzinfo else at.replace(tzinfo=UTC)
            out.setdefault(asset, []).append(int(at.timestamp()))
        return {a: np.array(sorted(v), dtype=np.int64) for a, v in out.items()}

    def plan(self) -> Plan | None:
        """What a round scores: the model, the instant, and the owned assets in chunks."""
        loaded = self.model()
        if loaded is None:
            return None
        version, fleet = loaded
        now = self.clock()
        at = now - self.settle_s
        with self.sessions() as session:
            assets = self._assets(session)
            late = self._backlog.poll(session, datetime.fromtimestamp(at - REREAD_S, UTC))
        reread = frozenset(a.id for a in assets if a.gateway_id in late)
        if reread:
            log.info(
                "old readings from %s: reading %d asset(s)' whole windows again",
                ", ".join(sorted(late)),
                len(reread),
            )
        ids = {a.id for a in assets}
        self._cache = {k: v for k, v in self._cache.items() if k in ids}
        self._online.new_round()
        full = self._rounds % FULL_READ_EVERY == 0
        self._rounds += 1
        chunks = [assets[i : i + READ_CHUNK] for i in range(0, len(assets), READ_CHUNK)]
        t = grid(int(at), fleet.windows)
        return Plan(version, fleet, now, at, t, chunks, full, reread, cold=not self._cache)

    def read_chunk(self, plan: Plan, assets: list[Asset]) -> Windows:
        """One chunk's windows (and the first slot that may differ from the last round's)."""
        began = time.perf_counter()
        full = plan.full or any(a.id in plan.reread for a in assets)
        frames, since = self._frames(assets, plan.t, plan.fleet.windows.step_s, full, plan.at)
        return Windows(frames, since, time.perf_counter() - began)

    def score_chunk(self, plan: Plan, assets: list[Asset], read: Windows | None = None) -> Round:
        """Assess and record one chunk of assets (one transaction), reading its windows
        unless they were read ahead."""
        began = time.perf_counter()
        rnd = Round(assets=len(assets))
        fleet, at = plan.fleet, plan.at
        read = read or self.read_chunk(plan, assets)
        frames, since = read.frames, read.since
        fresh, until = [], {}
        for f in frames:
            has = np.flatnonzero(np.isfinite(f.x).any(axis=1)) if f.x.size else np.zeros(0)
            if len(has) == 0 or at - int(f.t[has[-1]]) > STALE_S:
                rnd.stale += 1
                continue
            fresh.append(f)
            until[f.asset] = int(f.t[has[-1]])
        with self.sessions() as session:
            maintenance = self._maintenance(session, list(until))
            found = assess(fleet, fresh, maintenance, plan.version, self._online, since)
            rule = fleet.warning_rule(self.close_after)
            ch = record(session, found, until, rule, datetime.fromtimestamp(plan.now, UTC))
        rnd.scored = len(found)
        rnd.opened, rnd.updated, rnd.closed = len(ch.opened), len(ch.updated), len(ch.closed)
        rnd.changes = ch
        rnd.seconds = time.perf_counter() - began + read.seconds
        return rnd

    def score(self) -> Round:
        """One whole round, synchronously (no alerts)."""
        total = Round()
        plan = self.plan()
        for chunk in plan.chunks if plan else []:
            total.add(self.score_chunk(plan, chunk))  # type: ignore[arg-type]
        return total
