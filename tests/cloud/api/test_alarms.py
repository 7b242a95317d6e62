"""Local alarms forwarded by gateways are stored once and listed for people."""

from __future__ import annotations

from datetime import UTC, datetime

from cloud.security import Role
from kernel.contract import AlarmBatch, AlarmEvent, epoch_ms
from tests.cloud.conftest import Cloud


def _event(asset: str, event_id: str, state: str = "raised") -> AlarmEvent:
    return AlarmEvent(
        gateway_id="gw-a",
        event_id=event_id,
        rule="overtemp",
        asset=asset,
        signal="room_temp",
        state=state,
        severity="critical",  # type: ignore[arg-type]
        ts_ms=epoch_ms(datetime.now(UTC)),
        value=41.5,
        threshold=40.0,
        message="room_temp 41.5 above 40 for 120 s",
    )


def test_alarms_are_stored_once_and_listed(cloud: Cloud) -> None:
    asset = cloud.manifests["gw-a"].assets[0].id
    batch = AlarmBatch(
        gateway_id="gw-a", events=[_event(asset, "e1"), _event(asset, "e2", "cleared")]
    )
    h = cloud.auth(cloud.tokens["gw-a"])
    rsp = cloud.client.post("/api/v1/alarms", content=batch.model_dump_json(), headers=h)
    assert rsp.json() == {"received": 2, "stored": 2}
    rsp = cloud.client.post("/api/v1/alarms", content=batch.model_dump_json(), headers=h)
    assert rsp.json() == {"received": 2, "stored": 0}
    listed = cloud.client.get(
        f"/api/v1/alarms?asset={asset}", headers=cloud.auth(cloud.keys[Role.VIEWER])
    ).json()
    assert {e["event_id"] for e in listed} == {"e1", "e2"}


def test_alarms_for_foreign_assets_are_refused(cloud: Cloud) -> None:
    other = cloud.manifests["gw-b"].assets[0].id
    batch = AlarmBatch(gateway_id="gw-a", events=[_event(other, "x")])
    rsp = cloud.client.post(
        "/api/v1/alarms", content=batch.model_dump_json(), headers=cloud.auth(cloud.tokens["gw-a"])
    )
    assert rsp.status_code == 403 and rsp.json()["items"] == [other]


def test_a_raised_alarm_opens_one_work_order_and_its_clearing_is_noted(cloud: Cloud) -> None:
    asset = cloud.manifests["gw-a"].assets[0].id
    h = cloud.auth(cloud.tokens["gw-a"])
    viewer = cloud.auth(cloud.keys[Role.VIEWER])

    def send(*events: AlarmEvent) -> None:
        batch = AlarmBatch(gateway_id="gw-a", events=list(events))
        rsp = cloud.client.post("/api/v1/alarms", content=batch.model_dump_json(), headers=h)
        assert rsp.status_code == 200, rsp.text

    info = _event(asset, "i1").model_copy(update={"severity": "info", "rule": "door_count"})
    send(info)
    assert cloud.client.get("/api/v1/work-orders", headers=viewer).json() == []
    send(_event(asset, "a1"))
    send(_event(asset, "a2"))  # raised again before anyone cleared it: the same incident
    orders = cloud.client.get("/api/v1/work-orders", headers=viewer).json()
    assert len(orders) == 1
    (o,) = orders
    assert o["source"] == "alarm" and o["fault"] == "overtemp" and o["priority"] == "urgent"
    assert o["policy"] == "1530" and o["reported_by"] == "gateway-alarm:gw-a"
    send(_event(asset, "c1", "cleared"))
    got = cloud.client.get(f"/api/v1/work-orders/{o['id']}", headers=viewer).json()
    assert got["steps"][-1]["action"] == "comment" and "cleared" in got["steps"][-1]["note"]
    assert got["state"] == o["state"]  # a technician still looks at it
