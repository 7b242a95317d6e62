"""Edge stages, one file each, applied in the order the config names them."""

from __future__ import annotations

from edge.config import LoadedConfig, StageName
from edge.metrics import EdgeMetrics
from edge.stages.anomaly import Anomaly
from edge.stages.base import Context, Stage
from edge.stages.deadband import Deadband
from edge.stages.local_alarm import LocalAlarm
from edge.stages.validate import Validate
from kernel.contract import Reading


def build_stage(name: StageName, cfg: LoadedConfig, ctx: Context) -> Stage:
    """The stage called ``name``, configured."""
    gw = cfg.gateway
    if name == "validate":
        return Validate(gw.validate_, ctx)
    if name == "anomaly":
        return Anomaly(gw.anomaly, ctx)
    if name == "deadband":
        return Deadband(gw.report, ctx)
    return LocalAlarm(gw.id, gw.alarms, ctx)


def build_stages(cfg: LoadedConfig, metrics: EdgeMetrics) -> list[Stage]:
    """The configured chain."""
    ctx = Context.of(cfg, metrics)
    return [build_stage(name, cfg, ctx) for name in cfg.gateway.stages]


def run_stages(stages: list[Stage], readings: list[Reading]) -> list[Reading]:
    """Apply every stage in order."""
    for stage in stages:
        readings = stage.apply(readings)
    return readings


__all__ = ["Stage", "build_stages", "run_stages"]
