"""The warning lifecycle as a pure function: runs of high and low risk decide open / update / close.

Runs count evaluations of new data, one per evaluation cadence of the model (an hour by
default), so a scorer looping every minute, a restart, or data delivered twice does not
change how soon a warning opens: k consecutive high evaluations mean the same as in the
evaluation protocol.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    """What the scorer does with an asset's warning this evaluation."""

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


@dataclass(frozen=True)
class Rules:
    """When a warning opens (k high in a row) and closes (``close_after`` low in a row)."""

    consecutive: int = 2
    close_after: int = 6
    every_s: int = 3600


def advance(runs: Runs, data_until: int, above: bool, rules: Rules) -> Runs:
    """Count this evaluation if its data reaches a full cadence past the last counted one."""
    if runs.counted_until is not None and data_until < runs.counted_until + rules.every_s:
        return runs
    if above:
        return Runs(runs.high + 1, 0, data_until)
    return Runs(0, runs.low + 1, data_until)


def verdict(runs: Runs, above: bool, has_open: bool, rules: Rules) -> Verdict:
    """Open after k high evaluations, update while high, close after enough low ones."""
    if above and runs.high >= rules.consecutive:
        return Verdict.UPDATE if has_open else Verdict.OPEN
    if above and has_open:
        return Verdict.UPDATE
    if not above and has_open and runs.low >= rules.close_after:
        return Verdict.CLOSE
    return Verdict.NONE


def matching(open_modes: list[str], mode: str) -> str | None:
    """The open warning (by mode) a new assessment belongs to, so none is ever duplicated.

    One incident per asset: a mode the classifier names differently from one hour to the
    next updates the open warning rather than opening (and dispatching) a second one.
    """
    if mode in open_modes:
        return mode
    return open_modes[0] if open_modes else None
