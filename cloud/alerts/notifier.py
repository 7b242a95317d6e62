"""Send a group to every channel: retried per channel, never blocked by another, deduplicated."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from cloud.alerts.channels import Channel
from cloud.alerts.message import Group

log = logging.getLogger("plantwatch.cloud.alerts")


@dataclass
class Delivery:
    """What happened on one channel."""

    channel: str
    ok: bool
    attempts: int
    error: str = ""


@dataclass
class Notifier:
    """Channels, a retry policy, and the groups already announced in each state."""

    channels: list[Channel]
    attempts: int = 3
    backoff_s: float = 0.5
    sent: set[tuple[str, str, frozenset[str]]] = field(default_factory=set)
    # Pages the person on duty for a work order (cloud/people/paging.py), when configured.
    pager: Callable[[int, int], Awaitable[object]] | None = None
    # Tells a request's reporter that the work is done (cloud/people/paging.py).
    requester: Callable[[int], Awaitable[object]] | None = None

    async def tell_requester(self, order_id: int) -> None:
        """Tell the reporter of a completed request (nothing when not configured)."""
        if self.requester is not None:
            await self.requester(order_id)

    async def page(self, order_id: int, level: int = 0) -> None:
        """Page whoever is on duty for the order, or at an escalation level its lead or
        supervisor (nothing when no pager is configured)."""
        if self.pager is not None:
            await self.pager(order_id, level)

    def _seen(self, group: Group) -> tuple[str, str, frozenset[str]]:
        return group.key, group.status, frozenset(a.fingerprint for a in group.alerts)

    async def _one(self, channel: Channel, group: Group) -> Delivery:
        error = ""
        for attempt in range(1, self.attempts + 1):
            try:
                await channel.send(group)
                return Delivery(channel.name, True, attempt)
            except Exception as exc:  # any channel failure is retried, then reported
                error = f"{type(exc).__name__}: {exc}"
                log.warning(
                    "alert channel %s failed (attempt %d): %s", channel.name, attempt, error
                )
                if attempt < self.attempts:
                    await asyncio.sleep(self.backoff_s * 2 ** (attempt - 1))
        return Delivery(channel.name, False, self.attempts, error)

    async def notify(self, group: Group) -> list[Delivery]:
        """Deliver to all channels at once; the same group in the same state goes out once."""
        seen = self._seen(group)
        if seen in self.sent:
            return []
        out = list(await asyncio.gather(*(self._one(c, group) for c in self.channels)))
        if any(d.ok for d in out):
            self.sent.add(seen)
        return out
