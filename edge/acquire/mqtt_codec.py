"""MQTT payloads to readings: pure functions that accept or explain a refusal."""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

from edge.mqtt_config import Subscription
from kernel.contract import Quality, Reading


class PayloadError(ValueError):
    """A message that cannot be turned into readings."""


def topic_matches(topic_filter: str, topic: str) -> bool:
    """MQTT wildcard matching (+ one level, # the rest)."""
    f_parts, t_parts = topic_filter.split("/"), topic.split("/")
    for i, f in enumerate(f_parts):
        if f == "#":
            return True
        if i >= len(t_parts) or (f != "+" and f != t_parts[i]):
            return False
    return len(f_parts) == len(t_parts)


def _level(topic: str, level: int) -> str:
    parts = topic.split("/")
    if level >= len(parts):
        raise PayloadError(f"topic {topic!r} has no level {level}")
    return parts[level]


def _number(raw: Any, where: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise PayloadError(f"{where}: expected a number, got {raw!r}")
    value = float(raw)
    if not math.isfinite(value):
        raise PayloadError(f"{where}: not a finite number")
    return value


def _timestamp(raw: Any, received_ms: int) -> int:
    if raw is None:
        return received_ms
    if isinstance(raw, str):
        try:
            ts = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError as exc:
            raise PayloadError(f"timestamp {raw!r} is not RFC 3339") from exc
        if ts.tzinfo is None:
            raise PayloadError(f"timestamp {raw!r} has no time zone")
        return round(ts.timestamp() * 1000)
    seconds_or_ms = _number(raw, "timestamp")
    return int(seconds_or_ms if seconds_or_ms > 1e11 else seconds_or_ms * 1000)


def _path(obj: Any, path: str) -> Any:
    for key in path.split("."):
        if not isinstance(obj, dict) or key not in obj:
            return None
        obj = obj[key]
    return obj


def decode(sub: Subscription, topic: str, payload: bytes, received_ms: int) -> list[Reading]:
    """Readings carried by one message, or PayloadError saying why there are none."""
    asset = _level(topic, sub.asset_level)
    if sub.format == "plain":
        signal = _level(topic, sub.signal_level or 0)
        text = payload.decode("utf-8", "replace").strip()
        try:
            value = float(text)
        except ValueError as exc:
            raise PayloadError(f"plain payload {text[:40]!r} is not a number") from exc
        if not math.isfinite(value):
            raise PayloadError("plain payload is not a finite number")
        return [Reading(asset, signal, received_ms, value)]
    try:
        body = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError(f"payload is not JSON: {exc}") from exc
    except RecursionError as exc:  # nested deeper than the parser recurses
        raise PayloadError("JSON payload is nested too deeply") from exc
    if not isinstance(body, dict):
        raise PayloadError("JSON payload is not an object")
    ts = _timestamp(_path(body, sub.timestamp_path) if sub.timestamp_path else None, received_ms)
    out = []
    for f in sub.fields:
        raw = _path(body, f.path)
        if raw is None:
            continue  # the sensor did not send this value this time
        out.append(
            Reading(asset, f.signal, ts, _number(raw, f.path) * f.scale + f.offset, Quality.GOOD)
        )
    if not out:
        raise PayloadError("none of the configured fields is in the payload")
    return out
