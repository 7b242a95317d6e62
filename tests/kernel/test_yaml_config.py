from pathlib import Path

import pytest

from kernel.catalogue import active_catalogue
from kernel.profiles import DeviceProfile, load_profiles
from kernel.yaml_config import ConfigError, load_model

PROFILES = Path(__file__).resolve().parents[2] / "gateway_config" / "profiles"

BAD = """\
model: demo
manufacturer: X
points:
  - {name: a, table: holding, address: 0, type: float32}
  - name: b
    table: holding
    address: 70000
    type: int16
    colour: red
"""


def test_error_names_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(BAD)
    with pytest.raises(ConfigError) as err:
        load_model(path, DeviceProfile)
    text = str(err.value)
    assert f"{path}:7: points[1].address: Input should be less than or equal to 65535" in text
    assert f"{path}:9: points[1].colour: Extra inputs are not permitted" in text


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("model: a\npoints: [\n  {name: x\n")
    with pytest.raises(ConfigError, match=r"broken.yaml:\d+: <top>: invalid YAML"):
        load_model(path, DeviceProfile)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read file"):
        load_model(tmp_path / "nope.yaml", DeviceProfile)


def test_overlapping_points_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "o.yaml"
    path.write_text(
        "model: o\nmanufacturer: X\npoints:\n"
        "  - {name: a, table: input, address: 0, type: float32}\n"
        "  - {name: b, table: input, address: 1, type: int16}\n"
    )
    with pytest.raises(ConfigError, match="b overlaps a at input 1"):
        load_model(path, DeviceProfile)


def test_shipped_profiles_load() -> None:
    profiles = load_profiles(PROFILES)
    # every catalogue class's controller has its register map shipped
    assert set(profiles) == {c.model for c in active_catalogue()}
    types = {p.type for prof in profiles.values() for p in prof.points}
    orders = {prof.order_of(p) for prof in profiles.values() for p in prof.points}
    assert {
        "int16",
        "uint16",
        "int32",
        "uint32",
        "int64",
        "uint64",
        "float32",
        "float64",
        "bool",
        "string",
    } <= {t.value for t in types}
    assert {"ABCD", "CDAB", "BADC", "DCBA"} <= {o.value for o in orders}
