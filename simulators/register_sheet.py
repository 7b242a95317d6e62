"""A plausible equipment register for demos, tests and benchmarks: rows a site would import."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np

from kernel.catalogue import active_catalogue
from simulators.fleet import Asset

_MAKES = ("Northwind", "Contoso", "Fabrikam", "Tailspin", "Litware")


def _entry(
    rng: np.random.Generator, i: int, cls: str, site: str, building: str, room: str, install: date
) -> dict[str, Any]:
    value = float(rng.choice([8_000, 25_000, 60_000, 150_000, 400_000]))
    return {
        "site": site,
        "building": building,
        "room": room,
        "class": cls,
        "model": active_catalogue().get(cls).model,
        "make": _MAKES[int(rng.integers(len(_MAKES)))],
        "serial_number": f"SN{int(rng.integers(10**8)):08d}",
        "install_date": install.isoformat(),
        "purchase_value": round(value * float(rng.uniform(0.7, 1.3)), 2),
        "currency": "CNY",
        "warranty_end": (install + timedelta(days=int(rng.integers(365, 5 * 365)))).isoformat(),
        "criticality": str(rng.choice(["low", "medium", "high", "critical"])),
        "label_code": f"PW-{i:06d}",
    }


def register_rows(
    n: int, seed: int, classes: tuple[str, ...] | None = None
) -> list[dict[str, Any]]:
    """``n`` register rows spread over the catalogue's classes, sites, buildings and rooms."""
    names = classes or active_catalogue().names()
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        cls = names[i % len(names)]
        install = date(2000, 1, 1) + timedelta(days=int(rng.integers(0, 25 * 365)))
        site, building, room = (
            f"site{i // 1000 + 1:02d}",
            f"b{i // 40 % 25 + 1:02d}",
            f"r{i // 8 % 5 + 1}",
        )
        rows.append(
            {
                "id": f"{site}-{building}-{room}-{cls}-{i}"[:64],
                **_entry(rng, i, cls, site, building, room, install),
            }
        )
    return rows


def fleet_register_rows(assets: list[Asset], seed: int) -> list[dict[str, Any]]:
    """Register rows that agree with a simulated fleet (what its gateways will declare)."""
    rng = np.random.default_rng(seed)
    return [
        {"id": a.id, **_entry(rng, i, a.asset_class, a.site.id, a.building, a.room, a.install_date)}
        for i, a in enumerate(assets)
    ]
