"""Failure-mode signatures: one channel per mode, in which an early fault stands out sooner."""

from __future__ import annotations

import numpy as np

from models.asset_frames import AssetFrame
from models.normalise import ClassNormaliser
from models.signatures import fit_signatures

SIGNALS = ("suction_pressure", "supply_air_temp", "vibration_rms")
STEP, DAY = 600, 144
T0 = 1_700_000_000


def _asset(rng: np.random.Generator, name: str, days: int, failures: list[int]) -> AssetFrame:
    """An asset whose leak pulls suction down and supply temperature up over the two days
    before each failure (slot indices), each by about one typical residual at the end."""
    n = days * DAY
    x = rng.normal(0.0, 1.0, (n, 3))
    for f in failures:
        ramp = np.linspace(0.0, 1.0, 2 * DAY)
        x[f - 2 * DAY : f, 0] -= ramp
        x[f - 2 * DAY : f, 1] += ramp
    t = T0 + STEP * np.arange(n, dtype=np.int64)
    return AssetFrame(name, "hvac", t, SIGNALS, x.astype(np.float32))


def _events(frame: AssetFrame, failures: list[int], mode: str):  # type: ignore[no-untyped-def]
    at = frame.t[failures] if failures else np.zeros(0, np.int64)
    return frame, at, [mode] * len(failures), at + 6 * 3600


def test_a_mode_that_moves_two_signals_gets_a_channel_sharper_than_either() -> None:
    rng = np.random.default_rng(1)
    failures = [20 * DAY, 40 * DAY, 60 * DAY]
    frames = [_asset(rng, f"hvac-{i}", 80, failures) for i in range(3)]
    norm = ClassNormaliser("hvac").fit(frames)
    fitted = fit_signatures(norm, [_events(f, failures, "refrigerant_leak") for f in frames])
    assert fitted.channels == [*norm.analog, "signature_refrigerant_leak"]

    test = _asset(np.random.default_rng(2), "hvac-9", 30, [20 * DAY])
    resid, _, _ = fitted.transform(test)
    late, calm = slice(20 * DAY - DAY // 2, 20 * DAY), slice(2 * DAY, 15 * DAY)

    def separation(j: int) -> float:
        return abs(float(resid[late, j].mean() - resid[calm, j].mean())) / float(
            resid[calm, j].std()
        )

    suction, supply = norm.analog.index("suction_pressure"), norm.analog.index("supply_air_temp")
    channel = separation(len(norm.analog))
    assert channel > 1.25 * max(separation(suction), separation(supply))
    assert 0.9 < float(resid[calm, len(norm.analog)].std()) < 1.1  # unit spread when calm
    assert float(resid[late, len(norm.analog)].mean()) > 0  # the mode's direction is positive


def test_only_events_before_the_cut_and_modes_seen_often_enough_count() -> None:
    rng = np.random.default_rng(3)
    failures = [20 * DAY, 40 * DAY, 60 * DAY]
    frames = [_asset(rng, f"hvac-{i}", 80, failures) for i in range(2)]
    norm = ClassNormaliser("hvac").fit(frames)
    cut = int(frames[0].t[30 * DAY])  # only one failure per asset before it
    few = fit_signatures(norm, [_events(frames[0], failures, "leak")], until=cut)
    assert few.channels == norm.analog  # one failure of the mode before the cut: no channel
    enough = fit_signatures(norm, [_events(f, failures, "leak") for f in frames] * 2, until=cut)
    assert enough.sig_modes == ["leak"]
    quiet = fit_signatures(norm, [_events(f, [], "leak") for f in frames])
    assert quiet is norm  # no failures: nothing to learn, the normaliser is unchanged
