"""Operating conditions that move signals without any fault: weather, occupancy, load."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulators.config import SiteConfig
from simulators.noise import FloatArray, TimeArray, key_of, smooth

DAY = 86_400
YEAR = 365.25 * DAY
# Day of year (0-based) of the coldest day in the northern hemisphere, roughly mid January.
_COLDEST_DAY = 15

# Relative occupancy by hour for a weekday and a weekend day, per kind of site.
_PROFILES: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "university": (
        (0.05,) * 6
        + (0.15, 0.45, 0.85, 1.0, 1.0, 0.95, 0.9, 1.0, 1.0, 0.9, 0.7, 0.45)
        + (0.3, 0.25, 0.2, 0.15, 0.1, 0.05),
        (0.05,) * 8 + (0.1, 0.2, 0.25, 0.25, 0.25, 0.25, 0.2, 0.15, 0.1) + (0.05,) * 7,
    ),
    "hospital": (
        (0.35,) * 6
        + (0.5, 0.75, 0.95, 1.0, 1.0, 1.0, 0.95, 0.95, 0.95, 0.9, 0.8, 0.7)
        + (0.6, 0.55, 0.5, 0.45, 0.4, 0.35),
        (0.35,) * 7 + (0.5, 0.65, 0.7, 0.7, 0.7, 0.7, 0.7, 0.65, 0.6, 0.55) + (0.45,) * 7,
    ),
    "estate": (
        (0.05,) * 7
        + (0.4, 0.9, 1.0, 1.0, 0.9, 0.8, 0.95, 1.0, 0.95, 0.6)
        + (0.15,) * 2
        + (0.05,) * 5,
        (0.05,) * 24,
    ),
}


@dataclass(frozen=True)
class Conditions:
    """Outdoor temperature (C) and occupancy (0..1) at each sample instant."""

    outdoor_c: FloatArray
    occupancy: FloatArray

    @property
    def cooling_demand(self) -> FloatArray:
        """0 below 12 C outdoors, rising to 1 at 32 C."""
        return np.clip((self.outdoor_c - 12.0) / 20.0, 0.0, 1.0)

    @property
    def heating_demand(self) -> FloatArray:
        """0 above 15 C outdoors, rising to 1 at -10 C."""
        return np.clip((15.0 - self.outdoor_c) / 25.0, 0.0, 1.0)


def outdoor_temperature(site: SiteConfig, seed: int, t: TimeArray) -> FloatArray:
    """Seasonal and daily cycle plus weather fronts lasting days."""
    c = site.climate
    tf = t.astype(np.float64)
    day_of_year = (tf % YEAR) / DAY
    seasonal = -np.cos(2.0 * np.pi * (day_of_year - _COLDEST_DAY) / 365.25)
    hour = (tf % DAY) / 3600.0
    daily = -np.cos(2.0 * np.pi * (hour - 3.0) / 24.0)  # coldest near 03:00, warmest 15:00
    weather = smooth(key_of(seed, site.id, "weather"), t, (2.7 * DAY, 4.3 * DAY, 7.9 * DAY))
    return (
        c.mean_c
        + c.seasonal_amplitude_c * seasonal
        + c.daily_amplitude_c * daily
        + (c.weather_amplitude_c * weather)
    )


def occupancy(site: SiteConfig, seed: int, t: TimeArray) -> FloatArray:
    """Occupancy by hour of day and day of week, interpolated, with a little day-to-day wander."""
    weekday, weekend = (np.asarray(p) for p in _PROFILES[site.kind])
    tf = t.astype(np.float64)
    hour = (tf % DAY) / 3600.0
    # 1970-01-01 was a Thursday: day index 0 -> Thursday, weekend is Saturday (2) and Sunday (3).
    dow = ((t // DAY) % 7).astype(np.int64)
    is_weekend = (dow == 2) | (dow == 3)
    h0 = np.floor(hour).astype(np.int64) % 24
    h1 = (h0 + 1) % 24
    frac = hour - np.floor(hour)
    wd = weekday[h0] * (1 - frac) + weekday[h1] * frac
    we = weekend[h0] * (1 - frac) + weekend[h1] * frac
    base = np.where(is_weekend, we, wd)
    wander = 0.06 * smooth(key_of(seed, site.id, "occupancy"), t, (1.3 * DAY, 3.1 * DAY))
    return np.clip(base * (1.0 + wander), 0.0, 1.0)


def conditions_for(site: SiteConfig, seed: int, t: TimeArray) -> Conditions:
    """All operating conditions of ``site`` at the instants ``t``."""
    return Conditions(outdoor_temperature(site, seed, t), occupancy(site, seed, t))
