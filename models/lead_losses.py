"""Where a warning's lead goes, failure by failure.

For each failure of a split, the hours before it at which, inside the horizon, the ideal
detector could first warn (simulated data only), the model's probability first reached the
warning threshold, the gated score (the probability where failure is expected within the
gate) first did, and the warning opened. Their medians say whether lead is lost to the
warner's sensitivity, to the time-to-failure gate or to the run of high evaluations that
opens a warning. A failure never reached counts 0 h, so each median is over the same failures.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt

from models.evaluation import Evaluation, spans_of
from models.warnings import MIN_LEAD_H, PRECURSOR_H, stood_through

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class LeadLosses:
    """Medians over one split's failures, in hours before failure."""

    failures: int
    ideal_h: float | None
    probability_h: float | None
    gated_h: float | None
    warning_h: float | None
    # at the probability's first crossing: the expected and the true time to failure, and
    # the share of crossings the gate held back (expected beyond it)
    expected_ttf_h: float | None
    true_ttf_h: float | None
    beyond_gate: float | None

    def as_dict(self) -> dict[str, float | int | None]:
        """The figures ``evaluate --json`` prints."""
        return asdict(self)


def first_hit(t: I64, hit: npt.NDArray[np.bool_], failure: int, horizon_s: int) -> int | None:
    """Index of the first ``hit`` inside the horizon before ``failure`` (at least an hour
    before it); None without one."""
    window = np.flatnonzero(hit & (t >= failure - horizon_s) & (t <= failure - MIN_LEAD_H * 3600))
    return int(window[0]) if window.size else None


def _lead(t: I64, at: int | None, failure: int) -> float:
    return (failure - int(t[at])) / 3600 if at is not None else 0.0


def _warning_lead(opened: I64, closed: I64, failure: int, horizon_s: int) -> float:
    """Hours before ``failure`` its warning opened inside the horizon, the horizon for one
    standing since before it (as ``judge`` counts), 0 for none."""
    if stood_through(opened, closed, failure, horizon_s):
        return horizon_s / 3600
    return _lead(opened, first_hit(opened, np.ones(len(opened), bool), failure, horizon_s), failure)


def _median(values: F64) -> float | None:
    finite = values[np.isfinite(values)]
    return round(float(np.median(finite)), 1) if finite.size else None


# The columns of ``failure_leads``.
PRECURSOR, IDEAL, PROBABILITY, GATED, WARNING, EXPECTED, TRUE = range(7)


def failure_leads(ev: Evaluation, split: str) -> F64:
    """One row per failure of ``split`` (those with a precursor of ``PRECURSOR_H`` or more
    where the split has any), in hours: its precursor, the ideal detector's lead
    (capped at the horizon), where the probability, the gated score and the warning first
    were inside the horizon (0 where never), and at the probability's crossing the expected
    and the true time to failure (NaN where it never crossed)."""
    threshold = ev.thresholds["model"]
    proba = ev.scores.get("probability", ev.scores["model"])
    horizon_s = int(ev.fleet.horizon_h * 3600)
    t0, t1 = ev.periods[split]
    which = ev.split_assets[split]
    starts, closes = spans_of(ev.rows, ev.scores["model"], which, threshold, ev.fleet.consecutive)
    records: list[tuple[float, ...]] = []
    for i, opened, closed in zip(which, starts, closes, strict=True):
        in_time = (opened >= t0) & (opened < t1)  # as the tables judge catches
        opened, closed = opened[in_time], closed[in_time]
        r = ev.rows[i]
        ok = r.labels.usable
        p_hit = ok & (proba[i] >= threshold)
        g_hit = ok & (ev.scores["model"][i] >= threshold)
        for j, f in enumerate(r.history.failures.tolist()):
            if not t0 + horizon_s <= f < t1:
                continue
            p_at = first_hit(r.t, p_hit, f, horizon_s)
            ideal = float(ev.ideal_h[i][j]) if ev.ideal_h else np.nan
            expected = np.nan
            if p_at is not None and ev.ttf_median:
                expected = float(ev.ttf_median[i][p_at])
            records.append(
                (
                    float(ev.precursor_h[i][j]) if ev.precursor_h else 0.0,
                    min(ideal, ev.fleet.horizon_h) if np.isfinite(ideal) else np.nan,
                    _lead(r.t, p_at, f),
                    _lead(r.t, first_hit(r.t, g_hit, f, horizon_s), f),
                    _warning_lead(opened, closed, f, horizon_s),
                    expected,
                    _lead(r.t, p_at, f) if p_at is not None else np.nan,
                )
            )
    if any(rec[0] >= PRECURSOR_H for rec in records):  # as ``compare.recall_key`` counts
        records = [rec for rec in records if rec[0] >= PRECURSOR_H]
    return np.array(records, dtype=np.float64).reshape(-1, 7)


def lead_losses(ev: Evaluation, split: str) -> LeadLosses:
    """Where the model's lead goes on ``split``, at its threshold, gate and run."""
    a = failure_leads(ev, split)
    crossed = a[np.isfinite(a[:, EXPECTED]), EXPECTED]
    return LeadLosses(
        len(a),
        _median(a[:, IDEAL]),
        _median(a[:, PROBABILITY]),
        _median(a[:, GATED]),
        _median(a[:, WARNING]),
        _median(a[:, EXPECTED]),
        _median(a[:, TRUE]),
        round(float(np.mean(crossed > ev.fleet.ttf_gate_h)), 3) if crossed.size else None,
    )
