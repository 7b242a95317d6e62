"""Refusals have one shape, every one is counted, and the API document says so."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from cloud.app import create_app
from cloud.security import Role
from cloud.settings import Settings
from tests.cloud.conftest import SECRET, Cloud, make_cloud


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                yield v
            else:
                yield from _refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from _refs(v)


def test_every_reference_in_the_api_document_resolves(tmp_path: Path) -> None:
    settings = Settings(
        secret_key=SECRET,
        database_url=f"sqlite:///{tmp_path}/pw.db",
        embedded_tsdb_path=str(tmp_path / "ts.db"),
        _env_file=None,
    )
    doc = TestClient(create_app(settings)).get("/openapi.json").json()
    components = doc["components"]["schemas"]
    refs = set(_refs(doc))
    assert refs, "the document uses references"
    for ref in refs:
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in components, ref
    ingest = doc["paths"]["/api/v1/ingest"]["post"]
    body = ingest["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["seq"]["items"]["maximum"] >= 2**63 - 2**11  # 64 bits, as JSON
    alarms = doc["paths"]["/api/v1/alarms"]["post"]["requestBody"]["content"]["application/json"]
    assert "properties" in alarms["schema"]["properties"]["events"]["items"]  # AlarmEvent inline
    for path in ("/api/v1/work-orders", "/api/v1/assets"):
        responses = doc["paths"][path]["get"]["responses"]
        for code in ("401", "403", "422"):
            schema = responses[code]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Problem"}, (path, code)


def test_refusals_of_the_framework_and_the_unexpected_have_the_same_shape(tmp_path: Path) -> None:
    settings = Settings(
        secret_key=SECRET,
        database_url=f"sqlite:///{tmp_path}/pw.db",
        embedded_tsdb_path=str(tmp_path / "ts.db"),
        _env_file=None,
    )
    for cloud in make_cloud(settings):
        _same_shape(cloud)


class _BrokenStore:
    """A store that fails in a way no handler expects (a bug), at our own seam."""

    def __getattr__(self, name: str) -> Any:
        def fail(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("unexpected")

        return fail


def _same_shape(cloud: Cloud) -> None:
    viewer = cloud.auth(cloud.keys[Role.VIEWER])
    c = cloud.client
    for rsp, status, reason in (
        (c.get("/api/v1/work-orders"), 401, "unauthorized"),
        (c.get("/api/v1/work-orders", headers=viewer | {"Authorization": "Bearer x"}), 401, None),
        (c.get("/api/v1/work-orders?limit=0", headers=viewer), 422, "malformed"),
        (c.put("/api/v1/pm-rules", json=[], headers=viewer), 403, "forbidden"),
        (
            c.patch(
                "/api/v1/assets/a",
                content=b"\xff{",
                headers=cloud.auth(cloud.keys[Role.ADMIN]) | {"Content-Type": "application/json"},
            ),
            400,
            "bad_request",
        ),
    ):
        assert rsp.status_code == status, rsp.text
        body = rsp.json()
        assert set(body) == {"detail", "reason", "items"}
        assert reason is None or body["reason"] == reason
    asset = cloud.manifests["gw-a"].assets[0].id
    app = c.app  # type: ignore[attr-defined]
    store, app.state.store = app.state.store, _BrokenStore()
    try:
        # the same app, its lifespan already run by the test's client
        quiet = TestClient(app, raise_server_exceptions=False)
        rsp = quiet.get(f"/api/v1/assets/{asset}/latest", headers=viewer)
    finally:
        app.state.store = store
    assert rsp.status_code == 500 and rsp.json()["reason"] == "internal_error"
    metrics = c.get("/metrics").text
    for reason in ("unauthorized", "malformed", "forbidden", "bad_request", "internal_error"):
        assert f'plantwatch_ingest_rejects_total{{reason="{reason}"}}' in metrics, reason
