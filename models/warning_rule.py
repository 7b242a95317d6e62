"""The warning rule, once: when a score series opens, keeps and closes a warning.

An evaluation is *high* when its warning score (the probability, gated by the expected time
to failure) reaches the threshold. A warning opens after ``consecutive`` high evaluations in
a row, stays open while evaluations are high, and closes after ``close_after`` low ones in a
row or when the asset is not usable (down for a failure or under maintenance).

``verdict`` is the state machine the cloud's scorer steps once per evaluation; the offline
protocol folds whole series through the same rule with ``warning_spans``, a vectorised
equivalent that a property test holds to the fold (``fold_spans``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class WarningRule:
    """Open after ``consecutive`` high evaluations, close after ``close_after`` low ones;
    the cloud counts one evaluation per ``every_s`` of new data."""

    consecutive: int = 2
    close_after: int = 6
    every_s: int = 3600


class Verdict(StrEnum):
    """What one evaluation does to an asset's warning."""

    NONE = "none"
    OPEN = "open"
    UPDATE = "update"
    CLOSE = "close"


@dataclass(frozen=True)
class Runs:
    """An asset's consecutive high and low evaluations, and the data instant last counted."""

    high: int = 0
    low: int = 0
    counted_until: int | None = None  # epoch s


def gated(p: F64, ttf_median: F64, gate_h: float) -> F64:
    """The warning score: the probability where failure is expected within ``gate_h`` hours
    (or no time to failure is known), else 0."""
    return np.where(ttf_median > gate_h, 0.0, p)


def count(runs: Runs, above: bool, until: int | None = None) -> Runs:
    """One more evaluation: a high one extends the high run, a low one the low run."""
    return Runs(runs.high + 1, 0, until) if above else Runs(0, runs.low + 1, until)


def advance(runs: Runs, data_until: int, above: bool, rule: WarningRule) -> Runs:
    """Count this evaluation if its data reaches a full cadence past the last counted one, so
    a scorer looping every minute, a restart or data delivered twice changes nothing."""
    if runs.counted_until is not None and data_until < runs.counted_until + rule.every_s:
        return runs
    return count(runs, above, data_until)


def verdict(
    runs: Runs, above: bool, has_open: bool, rule: WarningRule, usable: bool = True
) -> Verdict:
    """Open after k high evaluations, update while high, close after enough low ones or when
    the asset is not usable."""
    if not usable:
        return Verdict.CLOSE if has_open else Verdict.NONE
    if above and runs.high >= rule.consecutive:
        return Verdict.UPDATE if has_open else Verdict.OPEN
    if above and has_open:
        return Verdict.UPDATE
    if not above and has_open and runs.low >= rule.close_after:
        return Verdict.CLOSE
    return Verdict.NONE


def fold_spans(
    above: Sequence[bool], usable: Sequence[bool], rule: WarningRule
) -> list[tuple[int, int | None]]:
    """Indices where warnings open and close (None: still open at the end), stepping
    ``verdict`` once per evaluation (the reference)."""
    runs, is_open = Runs(), False
    spans: list[tuple[int, int | None]] = []
    for i, (high, ok) in enumerate(zip(above, usable, strict=True)):
        high = high and ok
        runs = count(runs, high)
        v = verdict(runs, high, is_open, rule, ok)
        if v is Verdict.OPEN:
            spans.append((i, None))
        elif v is Verdict.CLOSE:
            spans[-1] = (spans[-1][0], i)
        is_open = v in (Verdict.OPEN, Verdict.UPDATE) or (is_open and v is Verdict.NONE)
    return spans


# The close time of a warning still open when its score series ends.
STILL_OPEN = np.iinfo(np.int64).max


def warning_spans(
    t: I64,
    score: F64,
    usable: npt.NDArray[np.bool_],
    threshold: float,
    rule: WarningRule,
) -> tuple[I64, I64]:
    """Open and close times of the warnings a score series raises (``STILL_OPEN`` for one
    open at the end): ``fold_spans`` run by run, all runs at once.

    Runs of high evaluations chain while fewer than ``close_after`` lows and no downtime lie
    between them; a warning opens at the first run of a chain at least ``consecutive`` long
    and closes after the chain's last run.
    """
    above = (score >= threshold) & usable
    empty = np.zeros(0, dtype=np.int64)
    if not above.any():
        return empty, empty
    edges = np.diff(np.concatenate([[0], above.astype(np.int8), [0]]))
    run_start = np.flatnonzero(edges == 1)
    run_end = np.flatnonzero(edges == -1)  # exclusive
    down = np.flatnonzero(~usable)
    last_high = run_end - 1
    # each run after the first: does it continue the chain of the run before?
    went_down = np.searchsorted(down, last_high[:-1]) < np.searchsorted(down, run_start[1:])
    linked = (run_start[1:] - run_end[:-1] < rule.close_after) & ~went_down
    chain = np.concatenate([[0], np.cumsum(~linked)])
    long = np.flatnonzero(run_end - run_start >= rule.consecutive)
    if not long.size:
        return empty, empty
    opening = long[np.concatenate([[True], chain[long[1:]] != chain[long[:-1]]])]
    chain_last = np.concatenate([np.flatnonzero(chain[1:] != chain[:-1]), [len(chain) - 1]])
    ends = last_high[chain_last[chain[opening]]]
    # closed the close_after-th low evaluation after the last high one, or on going down
    nxt = np.searchsorted(down, ends, side="right")
    at = np.minimum(ends + rule.close_after, np.append(down, len(t))[nxt])
    closes = np.where(at < len(t), t[np.minimum(at, len(t) - 1)], STILL_OPEN)
    starts = t[run_start[opening] + rule.consecutive - 1]
    return starts.astype(np.int64), closes.astype(np.int64)


def warning_starts(
    t: I64,
    score: F64,
    usable: npt.NDArray[np.bool_],
    threshold: float,
    rule: WarningRule,
) -> I64:
    """Start times of the warnings a score series raises (``warning_spans``' starts)."""
    return warning_spans(t, score, usable, threshold, rule)[0]
