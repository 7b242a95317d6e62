"""A new site's first months, week by week: each week scored by the model it had then.

The protocol's time split of a small site is its last week or two, with none to a handful
of failures, and it says nothing of the site's first weeks. Here the site is replayed: at
the end of each week the model is trained again on the history so far (events and
telemetry before that instant only) and scores the next week. While the history is too
short for the protocol's splits, the donor alone scores (its normalisers rescaled on the
site's weeks, at its own operating point); after that, ``models.train.train`` with the donor
decides per class, as ``plantwatch model train --donor`` would on that day. The weeks'
scores, stitched together, are measured as one split, ``weeks_ahead``: every failure from
the first scored week on, against the baselines at their best threshold on the same rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow.compute as pc

from models.asset_frames import AssetFrame
from models.compare import BASELINES, same_false_alarms
from models.data import Dataset
from models.evaluate import (
    Evaluation,
    Protocol,
    outcome,
    precursor_hours,
    split_periods,
    static_score,
)
from models.features import eval_index
from models.labels import make_labels
from models.pipeline import (
    AssetHistory,
    AssetRows,
    FleetModel,
    asset_rows,
    cut,
    fit_normalisers,
)
from models.train import train
from models.transfer import donor_alone
from models.warning_rule import gated
from models.windows import Windows

F64 = npt.NDArray[np.float64]
DAY_S = 86_400
SPLIT = "weeks_ahead"
Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class Week:
    """One replayed week: when it starts, the model that scored it, and how it did."""

    start: int
    end: int
    model: str  # "donor alone" or the operating point of the week's trained model
    site_classes: list[str]  # classes the site's own warner scored
    failures: int
    caught: int
    warnings: int  # opened in the week, at least a horizon before the replay's end
    false_alarms: int

    def as_dict(self) -> dict[str, Any]:
        """The figures ``--json`` prints."""
        return {
            "start": self.start,
            "end": self.end,
            "model": self.model,
            "site_classes": self.site_classes,
            "failures": self.failures,
            "caught": self.caught,
            "warnings": self.warnings,
            "false_alarms": self.false_alarms,
        }


@dataclass
class WeeksAhead:
    """The replay: the stitched scores as one evaluation, and each week."""

    ev: Evaluation
    weeks: list[Week]

    def table(self) -> dict[str, Any]:
        """The model's figures at its weeks' operating points, each baseline's best recall
        at no more false alarms per asset-month (an oracle threshold), and the margin."""
        return {
            "model": self.ev.table[SPLIT]["model"],
            "same_false_alarms": same_false_alarms(self.ev, splits=(SPLIT,))[SPLIT],
            "weeks": [w.as_dict() for w in self.weeks],
        }


def history_until(
    ds: Dataset, frames: list[AssetFrame], until: int
) -> tuple[Dataset, list[AssetFrame]]:
    """What the site knew at ``until``: its events and frames before it."""
    before = pc.less(ds.events.column("ts"), until)
    return replace(ds, events=ds.events.filter(before)), [cut(f, until) for f in frames]


def model_at(
    ds: Dataset,
    frames: list[AssetFrame],
    until: int,
    donor: FleetModel,
    protocol: Protocol,
    win: Windows,
) -> tuple[FleetModel, str, list[str]]:
    """The model the site would have had at ``until``, which it was, and the classes its
    own warner scored."""
    known, past = history_until(ds, frames, until)
    t0 = int(past[0].t[0])
    if split_periods(t0, until, protocol, win) is None:
        norms = fit_normalisers(known, past)
        return donor_alone(donor, norms, past), "donor alone", []
    fleet, ev = train(known, protocol, win, frames=past, donor=donor)
    own = [c for c in fleet.classes if c not in ev.choices or ev.choices[c].source == "site"]
    return fleet, ev.operating_point, sorted(own)


def warning_scores(fleet: FleetModel, rows: AssetRows) -> F64:
    """The model's scores as warnings: its probability gated by the expected time to
    failure, held over its run of evaluations, over its threshold (a warning at 1)."""
    p = fleet.proba(rows)
    s = gated(p, fleet.ttf_median(rows, where=p > 0.0), fleet.ttf_gate_h)
    held = s.copy()
    for lag in range(1, fleet.consecutive):  # a run of k high evaluations: the least of k
        held[lag:] = np.minimum(held[lag:], s[:-lag])
        held[:lag] = 0.0
    return np.asarray(held / max(fleet.threshold, 1e-12), dtype=np.float64)


def replay(
    ds: Dataset,
    frames: list[AssetFrame],
    donor: FleetModel,
    protocol: Protocol = Protocol(),
    win: Windows = Windows(),
    first_days: float = 7.0,
    every_days: float = 7.0,
    progress: Progress | None = None,
) -> WeeksAhead:
    """Replay the site from ``first_days`` of history, retrained every ``every_days``."""
    frames = sorted(frames, key=lambda f: f.asset)
    t0, t1 = int(frames[0].t[0]), int(frames[0].t[-1]) + win.step_s
    starts = list(range(t0 + int(first_days * DAY_S), t1, int(every_days * DAY_S)))
    if not starts:
        raise ValueError(f"the span is shorter than the first {first_days:g} days")
    full = [bare_rows(ds, f, win, protocol.horizon_h) for f in frames]
    scores = {s: [np.zeros(len(r.t)) for r in full] for s in ("model", *BASELINES)}
    weeks: list[tuple[int, int, str, list[str]]] = []
    for start in starts:
        end = min(start + int(every_days * DAY_S), t1)
        fleet, which, site = model_at(ds, frames, start, donor, protocol, win)
        norms = {c: m.norm for c, m in fleet.classes.items()}
        names = {c: m.feature_names for c, m in fleet.classes.items()}
        week = asset_rows(ds, [cut(f, end) for f in frames], norms, win, protocol.horizon_h)
        by_asset = {r.asset: r for r in week}
        for i, r in enumerate(full):
            mine = by_asset.get(r.asset)
            if mine is None:
                continue
            m = (mine.t >= start) & (mine.t < end)
            at = np.searchsorted(r.t, mine.t[m])
            scores["model"][i][at] = warning_scores(fleet, mine)[m]
            scores["isolation_forest"][i][at] = fleet.health(mine)[m]
            scores["static_threshold"][i][at] = static_score(mine, names[mine.asset_class])[m]
        weeks.append((start, end, which, site))
        if progress:
            progress(f"week from day {(start - t0) / DAY_S:.0f}", 1)
    ev = _stitched(ds, full, scores, (starts[0], t1), protocol, win)
    return WeeksAhead(ev, [_week(ev, *w) for w in weeks])


def bare_rows(ds: Dataset, frame: AssetFrame, win: Windows, horizon_h: float) -> AssetRows:
    """One asset's evaluated instants and labels, without features."""
    hist = AssetHistory.of(ds, frame.asset)
    t = frame.t[eval_index(frame, win)]
    labels = make_labels(t, hist.failures, hist.repaired, horizon_h)
    return AssetRows(
        frame.asset, frame.asset_class, t, np.zeros((len(t), 0), np.float32), labels, hist
    )


def _stitched(
    ds: Dataset,
    rows: list[AssetRows],
    scores: dict[str, list[F64]],
    period: tuple[int, int],
    protocol: Protocol,
    win: Windows,
) -> Evaluation:
    """The weeks' scores as one evaluation over ``period`` (a warning at 1 for the model)."""
    every = list(range(len(rows)))
    ev = Evaluation(
        FleetModel({}, win, protocol.horizon_h, threshold=1.0, consecutive=1),
        rows,
        {SPLIT: period},
        {SPLIT: every},
        scores,
        {"model": 1.0},
    )
    ev.precursor_h = [
        precursor_hours(ds, r.asset, r.history.failures, r.history.modes) for r in rows
    ]
    ev.ideal_h = [ds.ideal_lead_h(r.asset, r.history.failures) for r in rows]
    ev.table[SPLIT] = {"model": outcome(ev, "model", SPLIT, 1.0, 1).as_dict()}
    return ev


def _week(ev: Evaluation, start: int, end: int, model: str, site: list[str]) -> Week:
    """One week's failures (from its start), those the model warned of in time, and the
    warnings it opened (judged on the failures up to a horizon after the week)."""
    h = int(ev.fleet.horizon_h * 3600)
    last = ev.periods[SPLIT][1]
    # Failures count from a horizon after a start; warnings up to a horizon before an end.
    failed = outcome(ev, "model", SPLIT, 1.0, 1, period=(start - h, end))
    warned = outcome(ev, "model", SPLIT, 1.0, 1, period=(start, min(end + h, last)))
    false = warned.warnings - warned.true_warnings
    return Week(start, end, model, site, failed.failures, failed.caught, warned.warnings, false)
