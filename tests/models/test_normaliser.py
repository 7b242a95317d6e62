"""The class normaliser: hourly weekday and weekend profiles and condition hinges."""

from __future__ import annotations

import numpy as np

from models.features import ClassNormaliser
from models.frames import AssetFrame

T0 = 1_735_689_600  # a Wednesday, 00:00 UTC
SIGNALS = ("outdoor_temp", "compressor_running", "compressor_current", "discharge_pressure")


def _chiller(rng: np.random.Generator, days: int, fault_from: int | None = None) -> AssetFrame:
    """A chiller whose load follows a working-day profile and a cooling hinge of temperature."""
    t = T0 + 600 * np.arange(days * 144, dtype=np.int64)
    hour = (t % 86_400) / 3600
    weekday = ((t // 86_400 + 3) % 7) < 5
    occupied = weekday & (hour >= 8) & (hour < 18)  # a step, not a sine
    outdoor = 18 + 8 * np.sin(2 * np.pi * t / (5 * 86_400)) + rng.normal(0, 0.3, len(t))
    wander = np.convolve(rng.normal(0, 0.1, len(t)), np.ones(36) / 6, mode="same")
    load = 0.2 + 0.5 * occupied + 0.3 * np.clip((outdoor - 15) / 10, 0, 1) + wander
    current = 50 + 80 * load + rng.normal(0, 1.0, len(t))
    discharge = 12 + 6 * load + rng.normal(0, 0.1, len(t))
    if fault_from is not None:  # fouling: head pressure rises
        discharge[fault_from:] += 0.6
    x = np.column_stack([outdoor, np.ones(len(t)), current, discharge]).astype(np.float32)
    return AssetFrame("c1", "hvac", t, SIGNALS, x)


def test_profiles_and_hinges_leave_only_what_the_conditions_cannot_explain() -> None:
    rng = np.random.default_rng(7)
    norm = ClassNormaliser("hvac").fit([_chiller(rng, 28) for _ in range(3)])
    assert norm.conditions == ["outdoor_temp", "compressor_running"]
    # The hourly profile and the hinge take the occupancy step (40 A) and the cooling demand
    # (up to 24 A) out of the current: what is left is the unobserved wander (a load of sd
    # 0.1, so 8 A) and the sensor noise (1 A).
    current = norm.analog.index("compressor_current")
    assert 0.9 * np.hypot(8.0, 1.0) < norm.scale[current] < 1.15 * np.hypot(8.0, 1.0)
    # A 0.6 bar rise in head pressure shows as the residual's shift, in its own units.
    discharge = norm.analog.index("discharge_pressure")
    healthy = norm.transform(_chiller(np.random.default_rng(11), 14))[0][:, discharge]
    resid, _, flagged = norm.transform(_chiller(np.random.default_rng(11), 14, 7 * 144))
    assert not flagged.any()
    shift = resid[7 * 144 :, discharge] - healthy[7 * 144 :]
    np.testing.assert_allclose(shift, 0.6 / norm.scale[discharge], rtol=1e-3)
    assert abs(float(np.nanmean(healthy))) < 0.3 and 0.7 < float(np.nanstd(healthy)) < 1.4
