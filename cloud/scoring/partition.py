"""Which scorer process owns which asset: a stable hash, so any process can take any share."""

from __future__ import annotations

import hashlib


def owner(asset_id: str, count: int) -> int:
    """The partition (0 .. count-1) an asset belongs to; the same on every host and run."""
    digest = hashlib.blake2b(asset_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % count


def owned(asset_ids: list[str], index: int, count: int) -> list[str]:
    """The assets partition ``index`` of ``count`` scores."""
    if not 0 <= index < count:
        raise ValueError(f"partition {index} is not in 0..{count - 1}")
    return [a for a in asset_ids if owner(a, count) == index]
