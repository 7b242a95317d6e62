"""Preventive-maintenance rules and when each falls due: pure, on values.

A rule is due on the calendar (every N days, or a cron expression in the site's time
zone) or on use (every N units of a counter such as running hours or trips), for the
assets of its class whose age and criticality it matches. Each due date (or counter
multiple) is a mark; an order is opened once per mark.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from croniter import croniter


@dataclass(frozen=True)
class PmRule:
    """Inspect the matching assets of a class on the calendar or on use."""

    asset_class: str
    title: str
    every_days: float | None = None
    cron: str | None = None
    usage_signal: str | None = None
    usage_every: float | None = None
    min_age_years: float = 0.0
    max_age_years: float | None = None
    criticality: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        kinds = (self.every_days, self.cron, self.usage_signal)
        if sum(k is not None for k in kinds) != 1:
            raise ValueError(f"rule {self.title!r}: set exactly one of every_days, cron, usage")
        if (self.usage_signal is None) != (self.usage_every is None):
            raise ValueError(f"rule {self.title!r}: usage needs a signal and an interval")
        if self.cron is not None and not croniter.is_valid(self.cron):
            raise ValueError(f"rule {self.title!r}: not a cron expression: {self.cron!r}")

    @property
    def key(self) -> str:
        """The rule's identity across plan changes (class and title)."""
        return f"{self.asset_class}:{self.title}"

    @property
    def on_use(self) -> bool:
        """True for a rule on a counter, False for one on the calendar."""
        return self.usage_signal is not None

    def matches(self, asset_class: str, installed: date, criticality: str, today: date) -> bool:
        """True when the rule applies to an asset like this today."""
        age = age_years(installed, today)
        return (
            asset_class == self.asset_class
            and age >= self.min_age_years
            and (self.max_age_years is None or age < self.max_age_years)
            and (not self.criticality or criticality in self.criticality)
        )


def age_years(installed: date, today: date) -> float:
    """Years since installation."""
    return (today - installed).days / 365.25


def calendar_due(rule: PmRule, after: datetime, now: datetime, tz: tzinfo) -> datetime | None:
    """The latest due instant in (``after``, ``now``], or None when none has come."""
    if rule.cron is not None:
        latest: datetime = croniter(rule.cron, now.astimezone(tz)).get_prev(datetime)
        return latest if latest > after else None
    assert rule.every_days is not None
    step = timedelta(days=rule.every_days)
    k = math.floor((now - after) / step)
    return after + k * step if k >= 1 else None


def usage_due(rule: PmRule, start: float, value: float) -> float | None:
    """The highest multiple of the interval the counter reached past ``start`` (the
    reading at the last order or when the rule began), or None."""
    assert rule.usage_every is not None
    reached = math.floor(value / rule.usage_every) * rule.usage_every
    begun = math.floor(start / rule.usage_every) * rule.usage_every
    return reached if reached > begun else None
