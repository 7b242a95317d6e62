"""Online features: the state kept between rounds gives the rows of a full recomputation."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from models.asset_frames import AssetFrame
from models.features import feature_names, features_batch
from models.normalise import ClassNormaliser
from models.online import OnlineFeatures
from models.windows import Windows

WIN = Windows()
N = WIN.slots  # slots in a scoring window
T0 = 1_735_689_600


def _history(rng: np.random.Generator, slots: int) -> tuple[np.ndarray, list[np.ndarray]]:
    t = T0 + 600 * np.arange(slots, dtype=np.int64)
    xs = []
    for a in range(3):
        x = rng.normal(size=(slots, 3)).astype(np.float32) + a
        x[:, 2] = (rng.random(slots) > 0.5).astype(np.float32)  # a status signal
        x[rng.random((slots, 3)) < 0.05] = np.nan
        x[rng.random(slots) < 0.01, 0] = 1e6  # implausible: flagged
        x[slots - 400 : slots - 380, 1] = 3.5  # stuck for a while
        x[slots - 700 :, 1] -= np.linspace(0.0, 8.0 * (a == 0), 700)  # a fault grows on p0
        xs.append(x)
    return t, xs


def _window(t: np.ndarray, xs: list[np.ndarray], end: int) -> list[AssetFrame]:
    rows = slice(end + 1 - N, end + 1)
    signals = ("flow", "motor_current", "pump_running")
    return [AssetFrame(f"p{a}", "pump", t[rows], signals, x[rows]) for a, x in enumerate(xs)]


@pytest.mark.parametrize("signature", [False, True])
def test_rounds_equal_full_recomputation_with_late_data_and_odd_steps(signature: bool) -> None:
    rng = np.random.default_rng(3)
    t, xs = _history(rng, N + 600)
    norm = ClassNormaliser("pump").fit(_window(t, xs, N - 1))
    assert WIN.whole_hours and norm.analog == ["flow", "motor_current"]
    if signature:  # a failure-mode channel rides along with the signals
        w = np.array([[0.6, -0.8]])
        norm = replace(norm, sig_modes=["seal_leak"], sig_w=w, sig_b=np.array([0.1]))
        assert norm.channels[-1] == "signature_seal_leak"
    maint = [np.array([t[50]]), np.zeros(0, np.int64), np.array([t[N + 100]])]
    end = N - 1
    state = OnlineFeatures.start(norm, WIN, _window(t, xs, end))
    # Steps of one slot, an hour, odd lengths, a day, and none; like the scorer, each round
    # re-reads every slot since the last one and the hour before it.
    fullest = np.zeros(0, np.float32)
    for step in (1, 6, 7, 0, 13, 1, 60, 5, 144, 2):
        since = int(t[end - 5])
        end += step
        for x in xs:  # a late reading lands in the hour the round re-reads
            x[end - 3, 0] = rng.normal()
        frames = _window(t, xs, end)
        assert state.can_advance(frames, since)
        state.advance(frames, since)
        full = features_batch(norm, frames[0].t, frames, np.array([N - 1]), maint, WIN)
        # atol: the spread of a stuck stretch is cancellation noise (about 1e-5) either way
        np.testing.assert_allclose(state.columns(maint), full, rtol=1e-4, atol=1e-5, equal_nan=True)
        fullest = full[0]
    assert state.end == int(t[end]) // WIN.step_s
    if signature:  # the growing fault has been adding up for hours on p0
        names = feature_names(norm)
        assert fullest[names.index("signature_seal_leak:cusum")] > 5
        assert fullest[names.index("signature_seal_leak:cusum_run")] >= 10


def test_a_gap_or_other_assets_need_a_fresh_start() -> None:
    rng = np.random.default_rng(4)
    t, xs = _history(rng, N + 100)
    norm = ClassNormaliser("pump").fit(_window(t, xs, len(t) - 1))
    state = OnlineFeatures.start(norm, WIN, _window(t, xs, N + 9))
    later = _window(t, xs, N + 60)
    assert not state.can_advance(later, int(t[N + 50]))  # slots N+10 .. N+49 never read
    assert not state.can_advance(later[:2], int(t[N + 4]))
    assert not state.can_advance(_window(t, xs, N + 3), int(t[N - 3]))  # back in time
    short = [AssetFrame(f.asset, f.asset_class, f.t[-100:], f.signals, f.x[-100:]) for f in later]
    assert not state.can_advance(short, int(t[N + 4]))  # shorter than the longest window
    assert state.can_advance(later, int(t[N + 10]))
