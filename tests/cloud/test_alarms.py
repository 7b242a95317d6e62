"""Local alarms forwarded by gateways are stored once and listed for people."""

from __future__ import annotations

from datetime import UTC, datetime

from cloud.security import Role
from plantwatch.contract import AlarmBatch, AlarmEvent, epoch_ms
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
