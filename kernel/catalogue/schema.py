"""An asset class as data: signals, failure modes, team, maintenance rules and service levels."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kernel.contract import Identifier

SignalKind = Literal["analog", "status", "counter"]
Role = Literal["condition", "health"]
# What moves a simulated signal besides faults: weather, occupancy and the class's load.
Driver = Literal["load", "outdoor_c", "occupancy", "cooling_demand", "heating_demand", "wear_years"]
Criticality = Literal["low", "medium", "high", "critical"]
Priority = Literal["urgent", "high", "normal", "low"]
RiskBand = Literal["elevated", "high", "critical"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _ordered(name: str, pair: tuple[float, float]) -> None:
    if pair[0] > pair[1]:
        raise ValueError(f"{name}: lower bound {pair[0]} is above upper bound {pair[1]}")


class Names(_Strict):
    """A display name in each language the screens speak."""

    en: str = Field(min_length=1, max_length=80)
    zh: str = Field(min_length=1, max_length=80)


class Threshold(_Strict):
    """A status signal that is on while another signal is above or below a value."""

    signal: Identifier
    above: float | None = None
    below: float | None = None

    @model_validator(mode="after")
    def _one(self) -> Threshold:
        if (self.above is None) == (self.below is None):
            raise ValueError("set exactly one of above or below")
        return self


class SignalSim(_Strict):
    """How the simulator produces a signal when the class has no named physics.

    Analog: ``base + sum(effects[d] * driver d)`` plus each failure mode's shift, ``idle``
    while stopped. Status: the running state, or a threshold on another signal. Counter:
    ``per_run_hour`` counts per running hour.
    """

    base: float = 0.0
    effects: dict[Driver, float] = Field(default_factory=dict)
    noise: float = Field(default=0.0, ge=0)
    floor: float | None = Field(default=None, description="Physical lower bound of the truth")
    idle: float | None = Field(default=None, description="Value while stopped; None: unchanged")
    running: bool = Field(default=False, description="Status: 1 while the asset runs")
    on_when: Threshold | None = None
    per_run_hour: float | None = Field(default=None, ge=0)


class SignalDef(_Strict):
    """A signal of the class, with its unit, kind, plausible range and role."""

    name: Identifier
    unit: str = Field(default="", max_length=20)
    kind: SignalKind = "analog"
    range: tuple[float, float]
    role: Role = "health"
    description: str = ""
    simulate: SignalSim = SignalSim()

    @model_validator(mode="after")
    def _check(self) -> SignalDef:
        _ordered("range", self.range)
        s = self.simulate
        if self.kind != "status" and (s.running or s.on_when is not None):
            raise ValueError("running and on_when apply to status signals")
        if self.kind != "counter" and s.per_run_hour is not None:
            raise ValueError("per_run_hour applies to counters")
        return self


class FailureMode(_Strict):
    """How the class fails, what the fault moves, and how early it shows (the P-F interval)."""

    name: Identifier
    weight: float = Field(default=1.0, gt=0, description="Relative frequency among the modes")
    moves: dict[Identifier, float] = Field(
        min_length=1, description="Signal -> shift at full degradation (sign is the direction)"
    )
    shape: float = Field(default=1.0, gt=0, description="Degradation exponent of the shift")
    pf_interval_h: tuple[float, float] = Field(
        description="Hours from detectable fault to functional failure (lowest, highest)"
    )
    source: str = Field(min_length=3, description="Where the P-F interval comes from")
    code: str = Field(default="OTH", max_length=3, description="ISO 14224 failure mode code")
    story: str = ""

    @model_validator(mode="after")
    def _check(self) -> FailureMode:
        _ordered("pf_interval_h", self.pf_interval_h)
        if self.pf_interval_h[0] <= 0:
            raise ValueError("pf_interval_h must be positive")
        return self


class UsageTrigger(_Strict):
    """Due every ``every`` units of a counter signal (running hours, trips)."""

    signal: Identifier
    every: float = Field(gt=0)


class PmRuleDef(_Strict):
    """A preventive-maintenance rule: on the calendar or on use, for matching assets."""

    title: str = Field(min_length=1, max_length=200)
    cron: str | None = Field(default=None, description="Calendar, e.g. '0 6 * * MON'")
    every_days: float | None = Field(default=None, gt=0)
    usage: UsageTrigger | None = None
    min_age_years: float = Field(default=0.0, ge=0)
    max_age_years: float | None = Field(default=None, gt=0)
    criticality: list[Criticality] = Field(default_factory=list, description="Empty: any")

    @model_validator(mode="after")
    def _one_trigger(self) -> PmRuleDef:
        if sum(x is not None for x in (self.cron, self.every_days, self.usage)) != 1:
            raise ValueError("set exactly one of cron, every_days or usage")
        if self.cron is not None:
            from croniter import croniter

            if not croniter.is_valid(self.cron):
                raise ValueError(f"not a cron expression: {self.cron!r}")
        return self


class LocalAlarm(Threshold):
    """A gateway's local alarm on a signal of the class (raised even when offline)."""

    name: Identifier
    hysteresis: float = Field(default=0.0, ge=0)
    delay_s: float = Field(default=0.0, ge=0)
    severity: Literal["info", "warning", "critical"] = "warning"


class GatewayDefaults(_Strict):
    """What a generated gateway config starts with for the class."""

    alarms: list[LocalAlarm] = Field(default_factory=list)
    deadband_pct: float | None = Field(default=None, ge=0, description="Report-by-exception")


LoadTerm = Literal["base", "cooling_demand", "heating_demand", "occupancy"]


def _default_load() -> dict[LoadTerm, float]:
    return {"base": 0.5, "occupancy": 0.3}


def _default_priorities() -> dict[RiskBand, Priority]:
    # A warning is high priority; a critical one is urgent (the 1530 policy).
    return {"critical": "urgent", "high": "high", "elevated": "high"}


class ClassSim(_Strict):
    """How the simulator builds the class and wires it to the gateway."""

    physics: Identifier | None = Field(
        default=None, description="A named physics model; None builds it from this file"
    )
    load: dict[LoadTerm, float] = Field(
        default_factory=_default_load,
        description="Load 0..1 as a sum of drivers, clipped",
    )
    mqtt_json: list[Identifier] = Field(
        default_factory=list, description="Signals wireless sensors publish as JSON"
    )
    mqtt_plain: list[Identifier] = Field(
        default_factory=list, description="Signals published as one plain number per topic"
    )


class AssetClassDef(_Strict):
    """One asset class of the catalogue."""

    name: Identifier
    names: Names
    description: str = ""
    model: Identifier = Field(description="The simulated controller's model and Modbus profile")
    default_team: Identifier
    signals: list[SignalDef] = Field(min_length=1)
    failure_modes: list[FailureMode] = Field(default_factory=list)
    problem_codes: list[str] = Field(default_factory=list, description="ISO 14224 mode codes")
    pm_rules: list[PmRuleDef] = Field(default_factory=list)
    priority_by_band: dict[RiskBand, Priority] = Field(default_factory=_default_priorities)
    simulate: ClassSim = ClassSim()
    gateway: GatewayDefaults = GatewayDefaults()

    @model_validator(mode="after")
    def _check(self) -> AssetClassDef:
        names = [s.name for s in self.signals]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"signals named twice: {', '.join(dupes)}")
        known = set(names)
        for m in self.failure_modes:
            unknown = sorted(set(m.moves) - known)
            if unknown:
                raise ValueError(f"failure mode {m.name} moves unknown signals: {unknown}")
        for s in self.signals:
            w = s.simulate.on_when
            if w is not None and w.signal not in known:
                raise ValueError(f"signal {s.name}: on_when names unknown signal {w.signal}")
        for r in self.pm_rules:
            if r.usage is not None and r.usage.signal not in known:
                raise ValueError(f"pm rule {r.title!r}: unknown counter {r.usage.signal}")
        for alarm in self.gateway.alarms:
            if alarm.signal not in known:
                raise ValueError(f"alarm {alarm.name}: unknown signal {alarm.signal}")
        mqtt = self.simulate.mqtt_json + self.simulate.mqtt_plain
        if set(mqtt) - known:
            raise ValueError(f"simulate: unknown MQTT signals {sorted(set(mqtt) - known)}")
        return self

    def signal(self, name: str) -> SignalDef:
        """The definition of signal ``name``."""
        for s in self.signals:
            if s.name == name:
                return s
        raise KeyError(name)

    @property
    def conditions(self) -> tuple[str, ...]:
        """Signals that describe how hard the asset is driven rather than its health."""
        return tuple(s.name for s in self.signals if s.role == "condition")
