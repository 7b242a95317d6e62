"""Failure codes seeded from ISO 14224: failure modes per asset class, mechanisms, activities.

Completion of a work order records problem (the failure mode), cause (the failure
mechanism) and remedy (the maintenance activity) as codes, so outcomes can be counted.
"""

from __future__ import annotations

from kernel.catalogue import active_catalogue

MODES: dict[str, str] = {
    "AIR": "Abnormal instrument reading",
    "BRD": "Breakdown",
    "ELP": "External leakage - process medium",
    "ELU": "External leakage - utility medium",
    "ERO": "Erratic output",
    "FTS": "Fail to start on demand",
    "FTF": "Fail to function on demand",
    "HIO": "High output",
    "LOO": "Low output",
    "NOI": "Noise",
    "OHE": "Overheating",
    "PDE": "Parameter deviation",
    "SER": "Minor in-service problems",
    "STD": "Structural deficiency",
    "STP": "Fail to stop on demand",
    "UST": "Spurious stop",
    "VIB": "Vibration",
    "OTH": "Other",
    "UNK": "Unknown",
}
COMMON = ["AIR", "BRD", "ERO", "FTS", "NOI", "OHE", "PDE", "SER", "UST", "VIB", "OTH", "UNK"]


def modes_for(asset_class: str | None) -> list[str]:
    """Failure mode codes a completion of this class's order accepts (common plus the class's,
    from its catalogue file); every code for an unknown or missing class."""
    if asset_class is None or asset_class not in active_catalogue():
        return list(MODES)
    extra = active_catalogue().get(asset_class).problem_codes
    return [*COMMON, *(c for c in extra if c not in COMMON)]


MECHANISMS: dict[str, str] = {
    "1.1": "Leakage",
    "1.2": "Vibration",
    "1.3": "Clearance / alignment failure",
    "1.5": "Looseness",
    "1.6": "Sticking",
    "2.1": "Cavitation",
    "2.2": "Corrosion",
    "2.3": "Erosion",
    "2.4": "Wear",
    "2.5": "Breakage",
    "2.6": "Fatigue",
    "2.7": "Overheating",
    "3.1": "Instrument failure",
    "3.5": "Calibration error",
    "4.1": "Short circuiting",
    "4.2": "Open circuit",
    "4.4": "Faulty power / voltage",
    "4.5": "Earth / isolation fault",
    "5.2": "Contamination",
    "6.0": "Misc. external influence",
    "7.0": "Unknown",
}
ACTIVITIES: dict[str, str] = {
    "replace": "Replace",
    "repair": "Repair",
    "modify": "Modify",
    "adjust": "Adjust",
    "refit": "Refit",
    "check": "Check",
    "service": "Service",
    "test": "Test",
    "overhaul": "Overhaul",
    "other": "Other",
}


class UnknownCode(ValueError):
    """A failure code that is not in the lists for the order's asset class."""


def check_code(asset_class: str, problem: str, cause: str, remedy: str) -> None:
    """Refuse codes outside the lists (the mode list depends on the asset class)."""
    modes = modes_for(asset_class)
    if problem not in modes:
        raise UnknownCode(f"problem {problem!r} is not a failure mode of {asset_class}: {modes}")
    if cause not in MECHANISMS:
        raise UnknownCode(f"cause {cause!r} is not a failure mechanism: {sorted(MECHANISMS)}")
    if remedy not in ACTIVITIES:
        raise UnknownCode(f"remedy {remedy!r} is not a maintenance activity: {sorted(ACTIVITIES)}")
