"""Routing: asset class and fault type to a team, then the on-duty technician least loaded."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

ANY = "*"


@dataclass(frozen=True)
class Route:
    """One row of the routing table; ``*`` matches anything. The first match wins."""

    asset_class: str
    fault: str
    team: str


@dataclass(frozen=True)
class Shift:
    """A technician on duty for a team between two instants (rosters are data)."""

    technician: str
    team: str
    start: datetime
    end: datetime


class NoRoute(LookupError):
    """No routing row matches the asset class and fault."""


def team_for(routes: list[Route], asset_class: str, fault: str) -> str:
    """The team of the first matching row."""
    for r in routes:
        if r.asset_class in (asset_class, ANY) and r.fault in (fault, ANY):
            return r.team
    raise NoRoute(f"no route for asset class {asset_class!r} and fault {fault!r}")


def on_duty(roster: list[Shift], team: str, now: datetime) -> list[str]:
    """Technicians of ``team`` whose shift covers ``now``."""
    return sorted({s.technician for s in roster if s.team == team and s.start <= now < s.end})


def pick(candidates: list[str], open_orders: Mapping[str, int]) -> str | None:
    """The candidate with the fewest open orders (ties by name, so the choice is stable)."""
    if not candidates:
        return None
    return min(candidates, key=lambda t: (open_orders.get(t, 0), t))
