"""The register: spreadsheets in and out, classes as rows, manifests checked against it."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from cloud.register.entries import COLUMNS
from cloud.register.sheets import XLSX_TYPE, write_sheet
from cloud.security import Role
from kernel.catalogue import active_catalogue
from kernel.contract import Manifest
from simulators.register_sheet import register_rows
from tests.cloud.conftest import Cloud, register_entry

CSV = {"Content-Type": "text/csv"}


def _spoil(rows: list[dict[str, object]]) -> dict[int, str]:
    """Spoil 20 rows in different ways; returns sheet row number -> the column at fault."""
    faults = {
        "class": "steam_turbine",
        "install_date": "31/02/2020",
        "purchase_value": "-5",
        "currency": "yuan",
        "criticality": "extreme",
    }
    spoiled = {}
    for k in range(20):
        i = 37 + k * 131
        column = list(faults)[k % len(faults)]
        rows[i][column] = faults[column]
        spoiled[i + 2] = column  # the header is row 1
    return spoiled


def _csv(rows: list[dict[str, object]]) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(COLUMNS))
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode()


def test_register_of_3000_rows_imports_reports_bad_rows_and_reimports_unchanged(
    cloud: Cloud,
) -> None:
    rows = register_rows(3000, seed=3)
    spoiled = _spoil(rows)
    admin = cloud.auth(cloud.keys[Role.ADMIN])
    rsp = cloud.client.post("/api/v1/register/import", content=_csv(rows), headers=admin | CSV)
    assert rsp.status_code == 200, rsp.text
    report = rsp.json()
    assert (report["created"], report["updated"], report["refused_rows"]) == (2980, 0, 20)
    assert {(p["row"], p["column"]) for p in report["refused"]} == set(spoiled.items())
    again = cloud.client.post("/api/v1/register/import", content=_csv(rows), headers=admin | CSV)
    assert again.json() | {"refused": []} == {
        "created": 0,
        "updated": 0,
        "unchanged": 2980,
        "refused_rows": 20,
        "refused": [],
    }
    registered = cloud.client.get(
        "/api/v1/assets", params={"limit": 10_000}, headers=cloud.auth(cloud.keys[Role.VIEWER])
    ).json()
    by_id = {a["id"]: a for a in registered}
    sample = rows[0]
    assert by_id[sample["id"]]["purchase_value"] == sample["purchase_value"]
    assert by_id[sample["id"]]["gateway_id"] is None
    assert by_id[sample["id"]]["label_code"] == sample["label_code"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_reimports_unchanged_and_edits_are_applied(cloud: Cloud, fmt: str) -> None:
    admin = cloud.auth(cloud.keys[Role.ADMIN])
    rows = register_rows(40, seed=5)
    sheet = write_sheet(COLUMNS, rows, fmt)  # type: ignore[arg-type]
    kind = {"Content-Type": XLSX_TYPE if fmt == "xlsx" else "text/csv"}
    first = cloud.client.post("/api/v1/register/import", content=sheet, headers=admin | kind)
    assert first.json()["created"] == 40, first.text
    exported = cloud.client.get("/api/v1/register/export", params={"format": fmt}, headers=admin)
    assert exported.status_code == 200
    back = cloud.client.post(
        "/api/v1/register/import", content=exported.content, headers=admin | kind
    ).json()
    # The export also holds the assets the gateways declared (8 of them); those agree too.
    assert (back["created"], back["refused_rows"]) == (0, 0), back
    assert back["updated"] == 8  # the register takes over what the manifests declared
    rows[3]["room"] = "r9"
    rows[3]["purchase_value"] = 1234.5
    changed = cloud.client.post(
        "/api/v1/register/import",
        content=write_sheet(COLUMNS, rows, fmt),
        headers=admin | kind,  # type: ignore[arg-type]
    ).json()
    assert (changed["updated"], changed["unchanged"]) == (1, 39)


def test_only_admins_import_and_a_non_sheet_is_refused(cloud: Cloud) -> None:
    body = _csv(register_rows(2, seed=1))
    tech = cloud.auth(cloud.keys[Role.DISPATCHER])
    assert (
        cloud.client.post("/api/v1/register/import", content=body, headers=tech | CSV).status_code
        == 403
    )
    admin = cloud.auth(cloud.keys[Role.ADMIN])
    rsp = cloud.client.post(
        "/api/v1/register/import",
        content=b"PK\x03\x04nonsense",
        headers=admin | {"Content-Type": XLSX_TYPE},
    )
    assert rsp.status_code == 422 and rsp.json()["reason"] == "bad_sheet"
    rsp = cloud.client.post(
        "/api/v1/register/import", content=body, headers=admin | {"Content-Type": "text/plain"}
    )
    assert rsp.status_code == 422


def test_classes_are_rows_and_a_manifest_of_an_unknown_class_is_refused(cloud: Cloud) -> None:
    classes = cloud.client.get(
        "/api/v1/classes", headers=cloud.auth(cloud.keys[Role.VIEWER])
    ).json()
    assert [c["name"] for c in classes] == list(active_catalogue().names())
    boiler = next(c for c in classes if c["name"] == "boiler")
    assert boiler["name_zh"] == "锅炉及热水供暖" and boiler["definition"]["failure_modes"]
    manifest = cloud.manifests["gw-a"]
    bad = manifest.model_copy(
        update={"assets": [manifest.assets[0].model_copy(update={"asset_class": "steam_turbine"})]}
    )
    rsp = cloud.client.put(
        "/api/v1/manifest", content=bad.model_dump_json(), headers=cloud.auth(cloud.tokens["gw-a"])
    )
    assert rsp.status_code == 422 and rsp.json()["reason"] == "unknown_class", rsp.text


def test_a_manifest_links_registered_assets_and_a_contradicting_one_is_refused(
    cloud: Cloud,
) -> None:
    admin = cloud.auth(cloud.keys[Role.ADMIN])
    gw = cloud.auth(cloud.tokens["gw-a"])
    manifest = cloud.manifests["gw-a"]
    info = manifest.assets[0].model_copy(update={"id": "registered-first"})
    entry = register_entry(
        info, purchase_value=50_000, currency="CNY", criticality="high", label_code="PW-LINK-1"
    )
    put = cloud.client.put(f"/api/v1/register/{info.id}", json=entry, headers=admin)
    assert put.status_code == 200 and put.json()["gateway_id"] is None, put.text
    linked = Manifest(
        gateway_id="gw-a", generated_at=datetime.now(UTC), assets=[*manifest.assets, info]
    )
    rsp = cloud.client.put("/api/v1/manifest", content=linked.model_dump_json(), headers=gw)
    assert rsp.status_code == 200, rsp.text
    asset = cloud.client.get(f"/api/v1/assets/{info.id}", headers=admin).json()
    assert (asset["gateway_id"], asset["purchase_value"], asset["registered_by"]) == (
        "gw-a",
        50_000,
        "register",
    )
    moved = info.model_copy(update={"room": "elsewhere", "model": "other-model"})
    contra = Manifest(
        gateway_id="gw-a", generated_at=datetime.now(UTC), assets=[*manifest.assets, moved]
    )
    rsp = cloud.client.put("/api/v1/manifest", content=contra.model_dump_json(), headers=gw)
    assert rsp.status_code == 409 and rsp.json()["reason"] == "manifest_conflict"
    assert "registered-first.room: register" in rsp.json()["detail"]
    assert "registered-first.model: register" in rsp.json()["detail"]
    # and the register refuses to contradict what a gateway declared on its own
    declared = manifest.assets[1]
    wrong = entry | {
        "id": declared.id,
        "class": declared.asset_class,
        "model": declared.model,
        "site": declared.site,
        "building": declared.building,
        "room": "not-there",
        "install_date": declared.install_date.isoformat(),
        "label_code": None,
    }
    rsp = cloud.client.put(f"/api/v1/register/{declared.id}", json=wrong, headers=admin)
    assert rsp.status_code == 409 and "room: gateway gw-a reports" in rsp.json()["detail"], rsp.text


def test_an_order_without_a_route_goes_to_its_class_default_team(cloud: Cloud) -> None:
    admin = cloud.auth(cloud.keys[Role.ADMIN])
    asset = cloud.manifests["gw-a"].assets[0]
    team = active_catalogue().get(asset.asset_class).default_team
    body = {"asset_id": asset.id, "fault": "noise", "title": "Odd noise"}
    unrouted = cloud.client.post("/api/v1/work-orders", json=body, headers=admin)
    assert unrouted.status_code == 201 and unrouted.json()["team_id"] is None  # no such team yet
    put = cloud.client.put(f"/api/v1/teams/{team}", json={"name": team}, headers=admin)
    assert put.status_code == 200, put.text
    routed = cloud.client.post("/api/v1/work-orders", json=body | {"fault": "smell"}, headers=admin)
    assert routed.status_code == 201 and routed.json()["team_id"] == team, routed.text
