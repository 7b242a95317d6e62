"""Report by exception: a change worth sending, or a heartbeat so quiet signals still report."""

from __future__ import annotations

from edge.config import ReportRule
from edge.stages.base import Context, Key
from kernel.contract import Reading

_PASS_ALL = ReportRule(max_interval_s=1e9)


class Deadband:
    """Drops readings too close to the last reported value, within the interval bounds."""

    name = "deadband"

    def __init__(self, rules: list[ReportRule], ctx: Context) -> None:
        self.rules = rules
        self.ctx = ctx
        self.rule_of: dict[Key, ReportRule] = {}
        self.last: dict[Key, tuple[int, float | None]] = {}

    def _rule(self, key: Key) -> ReportRule:
        rule = self.rule_of.get(key)
        if rule is None:
            cls = self.ctx.classes.get(key[0])
            rule = next(
                (r for r in self.rules if cls is not None and r.matches(key[0], cls, key[1])),
                _PASS_ALL,
            )
            self.rule_of[key] = rule
        return rule

    def keep(self, r: Reading) -> bool:
        """True when the reading should be reported."""
        key = (r.asset, r.signal)
        prev = self.last.get(key)
        if prev is None or r.quality:
            return True  # first of its signal, or flagged: never hide a suspect value
        rule = self._rule(key)
        elapsed_s = (r.ts_ms - prev[0]) / 1000
        if elapsed_s >= rule.max_interval_s:
            return True
        if elapsed_s < rule.min_interval_s:
            return False
        last = prev[1]
        if r.value is None or last is None:
            return r.value is not last
        band = max(rule.deadband_abs or 0.0, (rule.deadband_pct or 0.0) / 100 * abs(last))
        if rule.deadband_abs is None and rule.deadband_pct is None:
            return True
        return abs(r.value - last) > band

    def apply(self, readings: list[Reading]) -> list[Reading]:
        """The readings worth reporting."""
        out = []
        for r in readings:
            if self.keep(r):
                self.last[(r.asset, r.signal)] = (r.ts_ms, r.value)
                out.append(r)
        dropped = len(readings) - len(out)
        if dropped:
            self.ctx.metrics.suppressed.inc(dropped)
        return out
