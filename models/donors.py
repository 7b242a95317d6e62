"""What a donor registry says of itself: the version in service and how it did at home.

A new site's first weeks are scored by the donor alone, at the operating point it chose at
home, and a site unlike the donor's own can get many more false alarms than the donor's
unseen assets did (a 20-asset C-MAPSS donor: 0.15 false alarms per asset-month on its own
unseen engines, 1.34 over a new site's first weeks). A donor that missed its targets at home
says so before anyone acts on its warnings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models import registry
from models.targets import FALSE_ALARMS_TARGET, PRECISION_TARGET

HOME_SPLIT = "test_assets"  # the donor's own unseen assets: the nearest thing to a new site
FIGURES = ("failures", "recall", "precision", "false_alarms_per_asset_month")


@dataclass(frozen=True)
class DonorRecord:
    """A donor registry's model in service and its figures on its own unseen assets (None
    for a model stored without the protocol's measurement)."""

    registry: Path
    version: str | None
    home: dict[str, float | None] | None

    def caution(self, scored: list[str]) -> str | None:
        """Why the donor's warnings on the ``scored`` classes should be checked before they
        are acted on (None when it scores none or met its targets at home)."""
        if not scored:
            return None
        where = f"while it scores this site's {', '.join(scored)}"
        if self.home is None:
            return (
                f"the donor ({self.version}) was stored without a measurement: {where}, how "
                "many of its warnings are false is unknown"
            )
        precision = self.home["precision"]
        false_alarms = self.home["false_alarms_per_asset_month"] or 0.0
        missed = []
        if precision is not None and precision < PRECISION_TARGET:  # None: it never warned
            missed.append(f"precision {precision:.2f} (target {PRECISION_TARGET})")
        if false_alarms > FALSE_ALARMS_TARGET:
            missed.append(
                f"{false_alarms:.2f} false alarms per asset-month (target {FALSE_ALARMS_TARGET})"
            )
        if not missed:
            return None
        return (
            f"the donor ({self.version}) missed its targets on its own unseen assets: "
            f"{' and '.join(missed)}; {where}, expect as many false warnings or more, "
            "and check each before dispatching"
        )

    def as_meta(self, scored: list[str]) -> dict[str, Any]:
        """What a model trained or measured with this donor records of it (``scored``: the
        classes the donor's warner scores there)."""
        return {
            "donor": str(self.registry),
            "donor_version": self.version,
            "donor_at_home": self.home,
            "donor_caution": self.caution(scored),
        }


def unseen_assets_row(meta: dict[str, Any]) -> dict[str, Any] | None:
    """A stored version's figures on its own unseen assets (None for a model stored without
    the protocol's measurement)."""
    metrics = meta.get("metrics") or {}
    return (metrics.get(HOME_SPLIT) or {}).get("model")


def read_donor(registry_dir: Path) -> DonorRecord:
    """The donor registry's version in service and its stored figures at home."""
    version = registry.in_service(registry_dir)
    home = None
    if version is not None:
        row = unseen_assets_row(json.loads((registry_dir / version / "meta.json").read_text()))
        if row is not None:
            home = {k: row[k] for k in FIGURES}
    return DonorRecord(registry_dir, version, home)
