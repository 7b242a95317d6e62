"""Counter-based noise: the value at an instant depends only on the seed, the key and the time.

This makes every simulated sample a pure function of (seed, asset, signal, t), so the live
servers and the offline export agree exactly, whatever the sampling.
"""

from __future__ import annotations

import hashlib

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
TimeArray = npt.NDArray[np.int64]

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def key_of(*parts: object) -> int:
    """A stable 64-bit key for a tuple of names and numbers."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def _mix(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    # splitmix64 finaliser
    x = (x ^ (x >> np.uint64(30))) * _M1
    x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


def uniform(key: int, t: TimeArray) -> FloatArray:
    """Uniform numbers in [0, 1) at integer seconds ``t``."""
    with np.errstate(over="ignore"):
        x = _mix(t.astype(np.uint64) * _GOLDEN + np.uint64(key))
    return (x >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def normal(key: int, t: TimeArray) -> FloatArray:
    """Standard normal numbers at integer seconds ``t`` (Box-Muller on two uniforms)."""
    u1 = uniform(key, t)
    u2 = uniform(key ^ 0x5DEECE66D, t)
    out: FloatArray = np.sqrt(-2.0 * np.log1p(-u1)) * np.cos(2.0 * np.pi * u2)
    return out


def smooth(key: int, t: TimeArray, periods_s: tuple[float, ...]) -> FloatArray:
    """A slow, smooth wander with unit variance built from sinusoids with seeded phases."""
    rng = np.random.default_rng(key)
    tf = t.astype(np.float64)
    out: FloatArray = np.zeros(t.shape, dtype=np.float64)
    for period in periods_s:
        out += np.sin(2.0 * np.pi * tf / period + rng.uniform(0.0, 2.0 * np.pi))
    out *= np.sqrt(2.0 / len(periods_s))
    return out
