"""The cloud's acceptance rules, applied to each reading as it arrives: a reading the cloud
would refuse (an asset or signal outside this gateway's manifest, a time outside the window
the cloud stores) is dropped and counted here, so it never travels beside good ones."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from kernel.contract import MAX_CLOCK_SKEW_S, MAX_READING_AGE_DAYS, Manifest, Reading


@dataclass(frozen=True)
class Admission:
    """Which series a gateway may send, and the window of times the cloud accepts."""

    known: dict[str, frozenset[str]]
    max_age_ms: int = int(MAX_READING_AGE_DAYS * 86_400_000)
    max_future_ms: int = int(MAX_CLOCK_SKEW_S * 1000)

    @classmethod
    def of(cls, manifest: Manifest) -> Admission:
        """The series a manifest declares."""
        return cls({a.id: frozenset(s.name for s in a.signals) for a in manifest.assets})

    def apply(self, readings: Sequence[Reading], now_ms: int) -> tuple[list[Reading], Counter[str]]:
        """The readings the cloud will take, and how many were refused by reason."""
        low, high = now_ms - self.max_age_ms, now_ms + self.max_future_ms
        known = self.known
        kept: list[Reading] = []
        refused: Counter[str] = Counter()
        for r in readings:
            signals = known.get(r.asset)
            if signals is None:
                refused["unknown_asset"] += 1
            elif r.signal not in signals:
                refused["unknown_signal"] += 1
            elif not low <= r.ts_ms <= high:
                refused["bad_timestamp"] += 1
            else:
                kept.append(r)
        return kept, refused
