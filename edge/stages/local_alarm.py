"""Local alarms with hysteresis and delay, raised even while the cloud is unreachable."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from edge.config import AlarmRule
from edge.stages.base import Context
from kernel.contract import AlarmEvent, Quality, Reading

log = logging.getLogger("plantwatch.edge.alarm")
_SUSPECT = int(Quality.DROPOUT | Quality.OUT_OF_RANGE | Quality.STUCK | Quality.SPIKE)


@dataclass
class _State:
    active: bool = False
    pending_since: int | None = None


class LocalAlarm:
    """Watches signals against alarm rules; events collect in ``events`` for the uplink."""

    name = "local_alarm"

    def __init__(self, gateway_id: str, rules: list[AlarmRule], ctx: Context) -> None:
        self.gateway_id = gateway_id
        self.rules = rules
        self.ctx = ctx
        self.states: dict[tuple[str, str], _State] = {}
        self.events: list[AlarmEvent] = []

    def _event(self, rule: AlarmRule, r: Reading, state: str) -> AlarmEvent:
        threshold = rule.above if rule.above is not None else rule.below
        assert threshold is not None and r.value is not None
        side = "above" if rule.above is not None else "below"
        message = (
            f"{r.signal} {r.value:g} {side} {threshold:g} for {rule.delay_s:g} s"
            if state == "raised"
            else f"{r.signal} back to {r.value:g}"
        )
        return AlarmEvent(
            gateway_id=self.gateway_id,
            event_id=f"{rule.name}:{r.asset}:{r.ts_ms}:{state}",
            rule=rule.name,
            asset=r.asset,
            signal=r.signal,
            state=state,
            severity=rule.severity,
            ts_ms=r.ts_ms,
            value=r.value,
            threshold=threshold,
            message=message,
        )

    def step(self, rule: AlarmRule, r: Reading) -> AlarmEvent | None:
        """Advance one rule with one reading; returns an event when the alarm changes state."""
        assert r.value is not None
        st = self.states.setdefault((rule.name, r.asset), _State())
        v = r.value
        if rule.above is not None:
            bad, clear = v > rule.above, v < rule.above - rule.hysteresis
        else:
            assert rule.below is not None
            bad, clear = v < rule.below, v > rule.below + rule.hysteresis
        if st.active:
            if clear:
                st.active, st.pending_since = False, None
                return self._event(rule, r, "cleared")
            return None
        if not bad:
            st.pending_since = None
            return None
        if st.pending_since is None:
            st.pending_since = r.ts_ms
        if (r.ts_ms - st.pending_since) / 1000 >= rule.delay_s:
            st.active = True
            return self._event(rule, r, "raised")
        return None

    def apply(self, readings: list[Reading]) -> list[Reading]:
        """Pass readings through unchanged; record alarm events."""
        for r in readings:
            if r.value is None or r.quality & _SUSPECT:
                continue  # a faulty sensor must neither raise nor clear an alarm
            cls = self.ctx.classes.get(r.asset)
            if cls is None:
                continue
            for rule in self.rules:
                if rule.matches(r.asset, cls, r.signal):
                    event = self.step(rule, r)
                    if event is not None:
                        log.warning(
                            "ALARM %s %s %s: %s",
                            event.state.upper(),
                            rule.name,
                            r.asset,
                            event.message,
                        )
                        self.ctx.metrics.alarms.labels(rule.name, event.state).inc()
                        self.events.append(event)
        return readings
