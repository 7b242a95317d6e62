"""A donor's record: the version in service, its figures at home, and the caution a site
gets when the donor missed its targets there."""

from __future__ import annotations

import json
from pathlib import Path

from models.donors import read_donor
from models.pipeline import FleetModel
from models.registry import put_in_service, save


def _figures(
    precision: float | None, false_alarms: float, recall: float = 0.9
) -> dict[str, object]:
    row = {
        "failures": 40,
        "recall": recall,
        "precision": precision,
        "false_alarms_per_asset_month": false_alarms,
    }
    return {split: {"model": row} for split in ("validation", "test_time", "test_assets")}


def test_a_donor_that_met_its_targets_at_home_carries_no_caution(
    donor: FleetModel, tmp_path: Path
) -> None:
    version = save(tmp_path, donor, {"metrics": _figures(0.86, 0.05)})
    record = read_donor(tmp_path)
    assert record.version == version
    assert record.home == {
        "failures": 40,
        "recall": 0.9,
        "precision": 0.86,
        "false_alarms_per_asset_month": 0.05,
    }
    assert record.caution(["hvac"]) is None
    assert record.as_meta(["hvac"])["donor_caution"] is None


def test_a_noisy_donor_says_which_targets_it_missed_and_the_one_in_service_speaks(
    donor: FleetModel, tmp_path: Path
) -> None:
    noisy = save(tmp_path, donor, {"metrics": _figures(0.26, 1.34)})
    save(tmp_path, donor, {"metrics": _figures(0.9, 0.02)}, in_service=False)
    caution = read_donor(tmp_path).caution(["hvac", "pump"])
    assert caution is not None and noisy in caution
    assert "precision 0.26 (target 0.8)" in caution
    assert "1.34 false alarms per asset-month (target 0.1)" in caution
    assert "while it scores this site's hvac, pump" in caution
    # Where the site's own warners took every class, the donor's record is not a concern.
    assert read_donor(tmp_path).caution([]) is None
    # Another version put in service is the one the site gets, and its figures speak.
    quiet = save(tmp_path, donor, {"metrics": _figures(0.81, 0.3)}, in_service=False)
    put_in_service(tmp_path, quiet)
    caution = read_donor(tmp_path).caution(["hvac", "pump"])
    assert caution is not None and quiet in caution
    assert "precision" not in caution and "0.30 false alarms" in caution
    # A donor that never warned at home raised no false alarm: nothing to caution of.
    put_in_service(tmp_path, save(tmp_path, donor, {"metrics": _figures(None, 0.0, recall=0.0)}))
    assert read_donor(tmp_path).caution(["hvac", "pump"]) is None


def test_a_donor_stored_without_a_measurement_says_so(donor: FleetModel, tmp_path: Path) -> None:
    version = save(tmp_path, donor, {"data": "fitted without the protocol"})
    record = read_donor(tmp_path)
    assert record.home is None
    caution = record.caution(["pump"])
    assert caution is not None and version in caution and "without a measurement" in caution
    meta = record.as_meta(["pump"])
    assert json.loads(json.dumps(meta)) == meta  # what the registry and --json record
