"""A warning's priority comes from its asset's class: fire pumps make a high risk urgent."""

from __future__ import annotations

from cloud.security import Role
from cloud.warnings.warning_records import class_priorities, priority_of
from cloud.workorders.sla import Priority
from tests.cloud.conftest import Cloud


def test_the_class_file_sets_the_priority_of_each_risk_band(cloud: Cloud) -> None:
    entry = {
        "id": "fp-1",
        "site": "site01",
        "building": "b01",
        "room": "fire",
        "class": "fire_pump",
        "model": "firesafe-fp750",
        "install_date": "2019-04-01",
    }
    admin = cloud.auth(cloud.keys[Role.ADMIN])
    assert cloud.client.put("/api/v1/register/fp-1", json=entry, headers=admin).status_code == 200
    pump = next(a.id for m in cloud.manifests.values() for a in m.assets if a.asset_class == "pump")
    with cloud.client.app.state.sessions() as session:  # type: ignore[attr-defined]
        fire, plain = class_priorities(session, "fp-1"), class_priorities(session, pump)
        assert class_priorities(session, "no-such-asset") is None
    assert priority_of("high", fire) is Priority.URGENT  # life safety
    assert priority_of("critical", fire) is Priority.URGENT
    assert priority_of("high", plain) is Priority.HIGH
    assert priority_of("critical", plain) is Priority.URGENT
    assert priority_of("critical", None) is Priority.URGENT and priority_of("high") is Priority.HIGH
