"""Counter-based noise: the value at an instant depends only on the seed, the key and the time.

This makes every simulated sample a pure function of (seed, asset, signal, t), so the live
servers and the offline export agree exactly, whatever the sampling.
"""

from __future__ import annotations

import functools
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


_MASK = 0xFFFFFFFFFFFFFFFF
_SMALL = 8  # below this many samples, plain integers beat numpy's per-call overhead


def _mix_int(x: int) -> int:
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def uniform(key: int, t: TimeArray) -> FloatArray:
    """Uniform numbers in [0, 1) at integer seconds ``t``."""
    if t.size <= _SMALL:
        k = key & _MASK
        values = [
            (_mix_int((int(v) * 0x9E3779B97F4A7C15 + k) & _MASK) >> 11) / 9007199254740992.0
            for v in t.ravel()
        ]
        return np.array(values, dtype=np.float64).reshape(t.shape)
    # uint64 arrays wrap around silently, which is what the hash wants.
    x = _mix(t.astype(np.uint64) * _GOLDEN + np.uint64(key & _MASK))
    return (x >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def normal(key: int, t: TimeArray) -> FloatArray:
    """Standard normal numbers at integer seconds ``t`` (Box-Muller on two uniforms)."""
    u1 = uniform(key, t)
    u2 = uniform(key ^ 0x5DEECE66D, t)
    out: FloatArray = np.sqrt(-2.0 * np.log1p(-u1)) * np.cos(2.0 * np.pi * u2)
    return out


@functools.lru_cache(maxsize=4096)
def _phases(key: int, count: int) -> tuple[float, ...]:
    rng = np.random.default_rng(key)
    return tuple(float(p) for p in rng.uniform(0.0, 2.0 * np.pi, size=count))


def smooth(key: int, t: TimeArray, periods_s: tuple[float, ...]) -> FloatArray:
    """A slow, smooth wander with unit variance built from sinusoids with seeded phases."""
    tf = t.astype(np.float64)
    out: FloatArray = np.zeros(t.shape, dtype=np.float64)
    for period, phase in zip(periods_s, _phases(key, len(periods_s)), strict=True):
        out += np.sin(2.0 * np.pi * tf / period + phase)
    out *= np.sqrt(2.0 / len(periods_s))
    return out
