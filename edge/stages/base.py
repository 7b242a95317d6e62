"""What every stage is given and must provide."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from edge.config import LoadedConfig
from edge.config_parts import SignalSpec
from edge.manifest import signal_specs
from edge.metrics import EdgeMetrics
from kernel.contract import Reading

Key = tuple[str, str]  # (asset, signal)


class Stage(Protocol):
    """A step of the edge pipeline: readings in, readings out."""

    name: str

    def apply(self, readings: list[Reading]) -> list[Reading]:
        """Process readings in arrival order."""
        ...


@dataclass(frozen=True)
class Context:
    """What stages know about the gateway: signal ranges and asset classes."""

    specs: dict[Key, SignalSpec]
    classes: dict[str, str]
    metrics: EdgeMetrics

    @classmethod
    def of(cls, cfg: LoadedConfig, metrics: EdgeMetrics) -> Context:
        """Context for a loaded config."""
        specs = {(a, s): spec for a, sigs in signal_specs(cfg).items() for s, spec in sigs.items()}
        return cls(specs, {a.id: a.asset_class for a in cfg.gateway.assets}, metrics)


def whole(value: float) -> bool:
    """True for whole numbers: states and counters, which repeat and step by design."""
    return value == int(value)
