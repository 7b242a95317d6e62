"""How warnings measure up against the failures that followed (when they open and close is
``models/warning_rule.py``).

A failure is caught when a warning for its asset starts between the horizon and
``min_lead`` before it, or started up to a horizon earlier and is still open ``min_lead``
before it (its lead counts as the horizon); a warning is right when its asset fails within
the horizon after it starts, or within two horizons while it is still open.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

# A warning must open at least this long before the failure to catch it.
MIN_LEAD_H = 1.0
# Failures whose precursor began at least this long before are the ones recall counts first.
PRECURSOR_H = 6.0
# A warning that opened before a failure's horizon and stayed open until it counts when it
# opened within this many horizons of the failure: a score that never falls would otherwise
# keep one warning open from each repair to the next failure and be right every time.
STANDING_SPAN = 2


@dataclass(frozen=True)
class Outcome:
    """How one set of warnings measured up over one period."""

    failures: int
    caught: int
    caught_6h: int
    caught_24h: int
    failures_with_precursor_6h: int
    caught_with_precursor_6h: int
    warnings: int
    true_warnings: int
    asset_months: float
    leads_h: list[float]
    # the ideal detector's leads on the period's failures it warns of (simulated data only)
    ideal_leads_h: list[float]
    # failures whose precursor began at least 24 (48) h before, and those caught that early
    precursor_24h: int = 0
    caught_24h_of_precursor_24h: int = 0
    precursor_48h: int = 0
    caught_48h_of_precursor_48h: int = 0

    def as_dict(self) -> dict[str, float | int | None]:
        """The figures the model card and the tests read."""
        leads = np.array(self.leads_h) if self.leads_h else np.array([np.nan])
        return {
            "failures": int(self.failures),
            "recall": _ratio(self.caught, self.failures),
            "recall_lead_6h": _ratio(self.caught_6h, self.failures),
            "recall_lead_24h": _ratio(self.caught_24h, self.failures),
            "failures_precursor_6h": int(self.failures_with_precursor_6h),
            "recall_precursor_6h": _ratio(
                self.caught_with_precursor_6h, self.failures_with_precursor_6h
            ),
            "warnings": int(self.warnings),
            "precision": _ratio(self.true_warnings, self.warnings),
            "false_alarms_per_asset_month": _ratio(
                self.warnings - self.true_warnings, self.asset_months
            ),
            "lead_p10_h": _q(leads, 10),
            "lead_p50_h": _q(leads, 50),
            "lead_p90_h": _q(leads, 90),
            "recall_lead_24h_precursor_24h": _ratio(
                self.caught_24h_of_precursor_24h, self.precursor_24h
            ),
            "recall_lead_48h_precursor_48h": _ratio(
                self.caught_48h_of_precursor_48h, self.precursor_48h
            ),
            **self._efficiency(leads),
        }

    def _efficiency(self, leads: F64) -> dict[str, float | None]:
        if not self.ideal_leads_h:
            return {"ideal_lead_p50_h": None, "lead_efficiency": None}
        ideal = _q(np.array(self.ideal_leads_h), 50)
        mine = _q(leads, 50)
        eff = round(mine / ideal, 3) if mine is not None and ideal else None
        return {"ideal_lead_p50_h": ideal, "lead_efficiency": eff}


def _ratio(a: float, b: float) -> float | None:
    return round(float(a) / float(b), 4) if b else None


def _q(a: F64, q: float) -> float | None:
    v = float(np.nanpercentile(a, q)) if np.isfinite(a).any() else float("nan")
    return round(v, 1) if np.isfinite(v) else None


def standing(
    opened: I64, closed: I64, failure: I64 | int, horizon_s: int, min_lead_s: int
) -> npt.NDArray[np.bool_]:
    """Per warning: whether it opened in the horizon before ``failure``'s horizon and was
    still open ``min_lead_s`` before it (element-wise, one failure per warning or one for all)."""
    early = (opened < failure - horizon_s) & (opened >= failure - STANDING_SPAN * horizon_s)
    return np.asarray(early & (closed > failure - min_lead_s))


def stood_through(
    opened: I64, closed: I64, failure: int, horizon_s: int, min_lead_s: int = int(MIN_LEAD_H * 3600)
) -> bool:
    """Whether a warning standing since before ``failure``'s horizon caught it, with the
    horizon's lead."""
    return bool(standing(opened, closed, failure, horizon_s, min_lead_s).any())


def judge(
    starts: list[I64],
    failures: list[I64],
    precursor_h: list[F64],
    period: tuple[int, int],
    horizon_h: float = 48.0,
    min_lead_h: float = MIN_LEAD_H,
    ideal_h: list[F64] | None = None,
    step_s: int = 600,
    closes: list[I64] | None = None,
) -> Outcome:
    """Compare per-asset warning starts (and the times they closed: without ``closes``,
    as they opened) with per-asset failures over ``period``.

    A lead of 48 h or more counts from the horizon's first step (within ``step_s``): the
    scores come every step, and a warning standing since before the horizon counts from it.
    Failures count from a horizon after the period's start (their warnings could open before
    it); warnings count up to a horizon before its end (a failure could follow after it),
    though any warning of the period may catch one of its failures.
    """
    h, lead_min = int(horizon_h * 3600), int(min_lead_h * 3600)
    t0, t1 = period
    n_fail = caught = c6 = c24 = pre6 = cpre6 = n_warn = n_true = 0
    pre24 = c24_24 = pre48 = c48_48 = 0
    leads: list[float] = []
    ideal_leads: list[float] = []
    ideals = ideal_h if ideal_h is not None else [np.full(len(f), np.nan) for f in failures]
    ends = closes if closes is not None else starts
    for s, c, f, pre, ideal in zip(starts, ends, failures, precursor_h, ideals, strict=True):
        # Any warning of the period may catch its failures; only one opened a horizon
        # before its end has a known outcome, so only those count as warnings.
        catching = (s >= t0) & (s < t1)
        sc, cc = s[catching], c[catching]
        known = (s >= t0) & (s < t1 - h)
        s, c = s[known], c[known]
        in_period = (f >= t0 + h) & (f < t1)
        ideal_leads += [float(x) for x in ideal[in_period] if np.isfinite(x)]
        for fail, p in zip(f[in_period], pre[in_period], strict=True):
            n_fail += 1
            early = sc[(sc >= fail - h) & (sc <= fail - lead_min)]
            with_pre = bool(p >= PRECURSOR_H)
            pre6 += with_pre
            pre24 += p >= 24
            pre48 += p >= 48
            held = stood_through(sc, cc, fail, h, lead_min)
            if early.size or held:
                lead = h / 3600 if held else (fail - early.min()) / 3600
                leads.append(lead)
                caught += 1
                c6 += lead >= 6
                c24 += lead >= 24
                cpre6 += with_pre
                c24_24 += p >= 24 and lead >= 24
                c48_48 += p >= 48 and lead >= 48 - step_s / 3600
        n_warn += len(s)
        if len(f) == 0:
            continue
        nxt = np.searchsorted(f, s, side="right")
        ok = nxt < len(f)
        following = f[np.clip(nxt, 0, len(f) - 1)]
        stood = standing(s, c, following, h, lead_min)
        n_true += int(((following - s <= h) | stood)[ok].sum())
    months = len(starts) * (t1 - t0) / (30.44 * 86_400)
    return Outcome(
        n_fail,
        caught,
        c6,
        c24,
        pre6,
        cpre6,
        n_warn,
        n_true,
        months,
        leads,
        ideal_leads,
        pre24,
        c24_24,
        pre48,
        c48_48,
    )
