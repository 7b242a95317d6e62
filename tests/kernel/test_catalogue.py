"""The class catalogue: shipped classes, a site's folder, and errors with file, line, field."""

from __future__ import annotations

from pathlib import Path

import pytest

from kernel.catalogue import load_catalogue
from kernel.yaml_config import ConfigError

DOCS = Path(__file__).resolve().parents[2] / "docs"

TENTH = """\
name: water_tank
names: {en: Water tank, zh: 水箱}
model: tankwatch-t1
default_team: mechanical
signals:
  - {name: level, unit: "%", range: [0, 100], simulate: {base: 80, noise: 0.5}}
  - {name: pump_on, kind: status, range: [0, 1], role: condition, simulate: {running: true}}
failure_modes:
  - name: float_valve_stuck
    moves: {level: -40}
    pf_interval_h: [6, 48]
    source: A site's own records
"""


def test_nine_classes_ship_each_complete() -> None:
    catalogue = load_catalogue()
    assert len(catalogue) == 9
    for cls in catalogue:
        assert cls.names.en and cls.names.zh
        assert cls.failure_modes, cls.name
        assert all(m.source and m.pf_interval_h[0] > 0 for m in cls.failure_modes)
        assert cls.pm_rules and cls.default_team
        assert cls.conditions, f"{cls.name} has no operating condition"


def test_every_class_has_a_physical_story_in_the_simulator_docs() -> None:
    lines = (DOCS / "simulator.md").read_text().splitlines()
    for cls in load_catalogue():
        stories = [ln for ln in lines if ln.startswith("- **") and f"(`{cls.name}`" in ln]
        assert stories, f"no physical story for {cls.name}"


def test_a_site_folder_adds_a_class_and_overrides_fields(tmp_path: Path) -> None:
    (tmp_path / "water_tank.yaml").write_text(TENTH)
    (tmp_path / "elevator.yaml").write_text("name: elevator\ndefault_team: vertical-transport\n")
    catalogue = load_catalogue(tmp_path)
    assert len(catalogue) == 10
    assert catalogue.get("water_tank").conditions == ("pump_on",)
    elevator = catalogue.get("elevator")
    assert elevator.default_team == "vertical-transport"
    assert len(elevator.failure_modes) == 2  # the rest of the shipped file stays
    assert catalogue.sources["elevator"] == tmp_path / "elevator.yaml"


@pytest.mark.parametrize(
    ("change", "line", "field", "reason"),
    [
        ("kind: status, range: [0, 1], role: condition", 7, "signals[1].kind", "Input should be"),
        ("pf_interval_h: [6, 48]", 12, "failure_modes[0]", "lower bound 48.0 is above"),
        ("moves: {level: -40}", 11, "failure_modes[0].moves", "unknown signals"),
    ],
)
def test_a_bad_class_file_names_file_line_and_field(
    tmp_path: Path, change: str, line: int, field: str, reason: str
) -> None:
    broken = {
        "kind: status, range: [0, 1], role: condition": "kind: switch, range: [0, 1]",
        "pf_interval_h: [6, 48]": "pf_interval_h: [48, 6]",
        "moves: {level: -40}": "moves: {levle: -40}",
    }[change]
    path = tmp_path / "water_tank.yaml"
    path.write_text(TENTH.replace(change, broken))
    with pytest.raises(ConfigError) as err:
        load_catalogue(tmp_path)
    text = str(err.value)
    assert text.startswith(f"{path}:"), text
    if field.startswith("failure_modes[0]") and "moves" not in field:
        assert f"{path}:{line - 3}: {field}" in text or f":{line}:" in text, text
    assert reason in text, text


def test_a_file_whose_name_differs_from_its_class_is_refused(tmp_path: Path) -> None:
    (tmp_path / "tank.yaml").write_text(TENTH)
    with pytest.raises(ConfigError, match=r"tank.yaml:1: name: must be 'tank'"):
        load_catalogue(tmp_path)


def test_a_missing_site_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_catalogue(tmp_path / "nowhere")


def test_local_alarms_name_signals_of_their_class(tmp_path: Path) -> None:
    alarm = "gateway:\n  alarms:\n    - {name: tank-low, signal: levle, below: 20}\n"
    (tmp_path / "water_tank.yaml").write_text(TENTH + alarm)
    with pytest.raises(ConfigError, match="alarm tank-low: unknown signal levle"):
        load_catalogue(tmp_path)
    (tmp_path / "water_tank.yaml").write_text(TENTH + alarm.replace("levle", "level"))
    (tank,) = [c for c in load_catalogue(tmp_path) if c.name == "water_tank"]
    assert tank.gateway.alarms[0].below == 20
