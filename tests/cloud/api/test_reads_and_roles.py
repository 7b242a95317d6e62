"""Read API and roles: viewers read, dispatchers edit assets, admins manage credentials."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cloud.security import Role
from kernel.contract import Batch, Reading, epoch_ms
from tests.cloud.conftest import Cloud

T0 = (datetime.now(UTC) - timedelta(days=2)).replace(minute=0, second=0, microsecond=0)


def _load_ramp(cloud: Cloud) -> tuple[str, str]:
    a = cloud.manifests["gw-a"].assets[0]
    signal = a.signals[0].name
    readings = [
        Reading(
            asset=a.id,
            signal=signal,
            ts_ms=epoch_ms(T0 + timedelta(minutes=10 * k)),
            value=float(k),
        )
        for k in range(36)
    ]  # 6 hours, values 0..35
    assert cloud.post(Batch.of("gw-a", "ramp", readings), cloud.tokens["gw-a"]).status_code == 200
    cloud.settle()
    return a.id, signal


def test_assets_filter_by_site_and_class(cloud: Cloud) -> None:
    h = cloud.auth(cloud.keys[Role.VIEWER])
    everything = cloud.client.get("/api/v1/assets", headers=h).json()
    assert len(everything) == 8
    hvac = cloud.client.get("/api/v1/assets?asset_class=hvac", headers=h).json()
    assert hvac and all(a["asset_class"] == "hvac" for a in hvac)
    site = everything[0]["site"]
    assert all(
        a["site"] == site for a in cloud.client.get(f"/api/v1/assets?site={site}", headers=h).json()
    )
    one = cloud.client.get(f"/api/v1/assets/{everything[0]['id']}", headers=h).json()
    assert one["signals"] and {"name", "unit", "min", "max"} <= set(one["signals"][0])
    assert cloud.client.get("/api/v1/assets/nope", headers=h).status_code == 404


def test_history_raw_and_downsampled(cloud: Cloud) -> None:
    asset, signal = _load_ramp(cloud)
    h = cloud.auth(cloud.keys[Role.VIEWER])
    base = f"/api/v1/assets/{asset}/signals/{signal}/history"
    params = {"start": T0.isoformat(), "end": (T0 + timedelta(hours=6)).isoformat()}
    raw = cloud.client.get(base, params=params, headers=h).json()
    assert [p["value"] for p in raw["points"]] == [float(k) for k in range(36)]
    hourly = cloud.client.get(base, params=params | {"step_s": 3600}, headers=h).json()
    assert [p["value"] for p in hourly["points"]] == [2.5 + 6 * k for k in range(6)]
    assert hourly["points"][1]["ts"].startswith((T0 + timedelta(hours=1)).strftime("%Y-%m-%dT%H"))
    last = cloud.client.get(
        base, params=params | {"step_s": 3600, "aggregate": "last"}, headers=h
    ).json()
    assert [p["value"] for p in last["points"]] == [5.0 + 6 * k for k in range(6)]
    bad = cloud.client.get(base, params={"start": params["end"], "end": params["start"]}, headers=h)
    assert bad.status_code == 422
    latest = cloud.client.get(f"/api/v1/assets/{asset}/latest", headers=h).json()
    assert [s["value"] for s in latest["samples"] if s["signal"] == signal] == [35.0]


def test_viewer_cannot_change_anything(cloud: Cloud) -> None:
    h = cloud.auth(cloud.keys[Role.VIEWER])
    asset = cloud.manifests["gw-a"].assets[0].id
    assert (
        cloud.client.patch(f"/api/v1/assets/{asset}", json={"notes": "x"}, headers=h).status_code
        == 403
    )
    assert cloud.client.post("/api/v1/gateways", json={"id": "gw-z"}, headers=h).status_code == 403
    assert (
        cloud.client.post(
            "/api/v1/api-keys", json={"name": "n", "role": "admin"}, headers=h
        ).status_code
        == 403
    )
    assert cloud.client.delete("/api/v1/gateways/gw-a/tokens", headers=h).status_code == 403
    # A gateway token is not an API key.
    assert (
        cloud.client.get("/api/v1/assets", headers=cloud.auth(cloud.tokens["gw-a"])).status_code
        == 401
    )


def test_dispatcher_edits_assets_admin_manages_credentials(cloud: Cloud) -> None:
    asset = cloud.manifests["gw-a"].assets[0].id
    d = cloud.auth(cloud.keys[Role.DISPATCHER])
    rsp = cloud.client.patch(
        f"/api/v1/assets/{asset}", json={"notes": "new bearing 2025-03"}, headers=d
    )
    assert rsp.status_code == 200 and rsp.json()["notes"] == "new bearing 2025-03"
    assert cloud.client.post("/api/v1/gateways", json={"id": "gw-z"}, headers=d).status_code == 403
    a = cloud.auth(cloud.keys[Role.ADMIN])
    assert cloud.client.post("/api/v1/gateways", json={"id": "gw-z"}, headers=a).status_code == 201
    token = cloud.client.post("/api/v1/gateways/gw-z/tokens", headers=a).json()["token"]
    assert token.startswith("pwg_")
    key = cloud.client.post(
        "/api/v1/api-keys", json={"name": "grafana", "role": "viewer"}, headers=a
    ).json()
    assert cloud.client.get("/api/v1/assets", headers=cloud.auth(key["key"])).status_code == 200
    listed = cloud.client.get("/api/v1/api-keys", headers=a).json()
    assert all("key" not in k for k in listed)
    cloud.client.delete(f"/api/v1/api-keys/{key['id']}", headers=a)
    assert cloud.client.get("/api/v1/assets", headers=cloud.auth(key["key"])).status_code == 401


def test_health_and_readiness(cloud: Cloud) -> None:
    assert cloud.client.get("/healthz").json() == {"status": "ok"}
    assert cloud.client.get("/readyz").json() == {"database": "ok", "timeseries": "ok"}
