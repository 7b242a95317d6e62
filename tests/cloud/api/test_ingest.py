"""Ingest: authentication, validation, idempotence, and answers that name the problem."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta

from cloud.security import Role
from kernel.contract import Batch, Reading, epoch_ms
from tests.cloud.conftest import Cloud, readings_for

NOW = datetime.now(UTC).replace(microsecond=0)


def _batch(cloud: Cloud, gw: str = "gw-a", batch_id: str = "b-1", n: int = 3) -> Batch:
    return Batch.of(gw, batch_id, readings_for(cloud.manifests[gw], NOW - timedelta(hours=1), n))


def _stored(cloud: Cloud, gw: str = "gw-a") -> int:
    cloud.settle()
    store = cloud.client.app.state.store  # type: ignore[attr-defined]
    from cloud.storage.base import SeriesTags

    tags = [
        SeriesTags(a.asset_class, a.site, a.building, a.room, a.id)
        for a in cloud.manifests[gw].assets
    ]
    return len(store.window(tags, None, NOW - timedelta(days=1), NOW + timedelta(days=1)))


def test_batch_is_stored_and_a_resend_is_acknowledged_not_stored(cloud: Cloud) -> None:
    batch = _batch(cloud)
    first = cloud.post(batch, cloud.tokens["gw-a"])
    assert first.status_code == 200, first.text
    assert first.json() == {
        "batch_id": "b-1",
        "accepted": len(batch),
        "duplicate": False,
        "rejected": 0,
        "rejected_items": [],
    }
    again = cloud.post(batch, cloud.tokens["gw-a"])
    assert again.json() | {"rejected_items": []} == {
        "batch_id": "b-1",
        "accepted": 0,
        "duplicate": True,
        "rejected": 0,
        "rejected_items": [],
    }
    assert _stored(cloud) == len(batch)
    metrics = cloud.client.get("/metrics").text
    assert f"plantwatch_ingest_readings_total {float(len(batch))}" in metrics
    assert 'plantwatch_ingest_batches_total{result="duplicate"} 1.0' in metrics


def test_plain_json_is_accepted_too(cloud: Cloud) -> None:
    rsp = cloud.post(_batch(cloud), cloud.tokens["gw-a"], gz=False)
    assert rsp.status_code == 200, rsp.text


def test_a_gateway_cannot_write_another_gateways_assets(cloud: Cloud) -> None:
    other = cloud.manifests["gw-b"].assets[0].id
    r = _batch(cloud).readings()[0]
    batch = Batch.of("gw-a", "x", [r._replace(asset=other)])
    rsp = cloud.post(batch, cloud.tokens["gw-a"])
    assert rsp.status_code == 403
    assert rsp.json()["reason"] == "asset_not_in_manifest"
    assert rsp.json()["items"] == [other]
    # Nor pretend to be the other gateway.
    rsp = cloud.post(_batch(cloud, gw="gw-b"), cloud.tokens["gw-a"])
    assert rsp.status_code == 403 and rsp.json()["reason"] == "wrong_gateway"
    # Nor claim its assets through a manifest.
    m = cloud.manifests["gw-b"].model_copy(update={"gateway_id": "gw-a"})
    rsp = cloud.client.put(
        "/api/v1/manifest", content=m.model_dump_json(), headers=cloud.auth(cloud.tokens["gw-a"])
    )
    assert rsp.status_code == 409 and "another gateway" in rsp.json()["detail"]


def test_unknown_signal_is_named(cloud: Cloud) -> None:
    r = _batch(cloud).readings()[0]
    batch = Batch.of("gw-a", "s", [r._replace(signal="flux_capacitor")])
    rsp = cloud.post(batch, cloud.tokens["gw-a"])
    assert rsp.status_code == 422
    assert rsp.json()["reason"] == "unknown_signal"
    assert rsp.json()["items"] == [f"{r.asset}/flux_capacitor"]
    assert _stored(cloud) == 0


def test_one_bad_reading_never_costs_its_neighbours(cloud: Cloud) -> None:
    good = _batch(cloud, n=50).readings()
    other = cloud.manifests["gw-b"].assets[0].id
    bad = [
        good[0]._replace(signal="flux_capacitor"),
        good[1]._replace(ts_ms=epoch_ms(datetime(2100, 1, 1, tzinfo=UTC))),
        good[2]._replace(ts_ms=86_400_000),  # 1970
        good[3]._replace(asset=other),
    ]
    mixed = [*good[:20], *bad, *good[20:]]
    rsp = cloud.post(Batch.of("gw-a", "mixed", mixed), cloud.tokens["gw-a"])
    assert rsp.status_code == 200, rsp.text
    ack = rsp.json()
    assert ack["accepted"] == len(good) and ack["rejected"] == 4
    assert ack["rejected_items"] == [
        "row 20: unknown_signal",
        "row 21: bad_timestamp",
        "row 22: bad_timestamp",
        "row 23: asset_not_in_manifest",
    ]
    assert _stored(cloud) == len(good)
    metrics = cloud.client.get("/metrics").text
    assert 'plantwatch_ingest_readings_rejected_total{reason="bad_timestamp"} 2.0' in metrics
    # the resend is the same batch: acknowledged, nothing stored twice
    again = cloud.post(Batch.of("gw-a", "mixed", mixed), cloud.tokens["gw-a"])
    assert again.json()["duplicate"] is True and _stored(cloud) == len(good)


def test_a_batch_id_seen_with_other_contents_is_a_conflict(cloud: Cloud) -> None:
    first = _batch(cloud, n=5)
    assert cloud.post(first, cloud.tokens["gw-a"]).status_code == 200
    other = Batch.of("gw-a", first.batch_id, _batch(cloud, n=6).readings()[1:])
    rsp = cloud.post(other, cloud.tokens["gw-a"])
    assert rsp.status_code == 409 and rsp.json()["reason"] == "batch_conflict"
    assert "other contents" in rsp.json()["detail"]
    assert cloud.post(first, cloud.tokens["gw-a"]).json()["duplicate"] is True
    metrics = cloud.client.get("/metrics").text
    assert 'plantwatch_ingest_rejects_total{reason="batch_conflict"} 1.0' in metrics
    assert _stored(cloud) == len(first)


def _numbered(cloud: Cloud, spool: str | None, first: int, n: int, batch_id: str) -> Batch:
    readings = [
        r._replace(seq=first + i, ts_ms=r.ts_ms + first * 1000)
        for i, r in enumerate(_batch(cloud, n=n).readings()[:n])
    ]
    return Batch.of("gw-a", batch_id, readings).model_copy(update={"spool_id": spool})


def test_a_spools_sequence_numbers_are_stored_once_whatever_the_batch_id(cloud: Cloud) -> None:
    token = cloud.tokens["gw-a"]
    assert cloud.post(_numbered(cloud, "aa01", 1, 5, "aa01-1-5"), token).status_code == 200
    assert cloud.post(_numbered(cloud, "aa01", 6, 5, "aa01-6-10"), token).status_code == 200
    # a spool restored from a copy taken at seq 3 numbers other readings 4-8 again
    restored = _numbered(cloud, "aa01", 4, 5, "aa01-4-8")
    rsp = cloud.post(restored, token)
    assert rsp.status_code == 409 and rsp.json()["reason"] == "batch_conflict"
    assert "aa01-1-5" in rsp.json()["detail"] and "new spool id" in rsp.json()["detail"]
    # under a new incarnation the same numbers are new readings; without a spool id, no check
    assert cloud.post(_numbered(cloud, "bb02", 4, 5, "bb02-4-8"), token).status_code == 200
    assert cloud.post(_numbered(cloud, None, 4, 5, "legacy-4-8"), token).status_code == 200
    assert _stored(cloud) == 10 + 5  # the legacy batch's readings are the bb02 batch's keys


def test_numbers_no_store_can_hold_are_refused_whole(cloud: Cloud) -> None:
    auth = cloud.auth(cloud.tokens["gw-a"])
    r = _batch(cloud, n=2).readings()
    base = Batch.of("gw-a", "big", r).model_dump(mode="json")
    for column, value in (("seq", 2**64), ("quality", 2**64), ("ts", 2**64), ("index", 2**40)):
        body = dict(base) | {column: [value] * len(r)}
        if column == "seq":
            body["seq"] = [1, 2**64]
        rsp = cloud.client.post("/api/v1/ingest", json=body, headers=auth)
        assert rsp.status_code == 422 and rsp.json()["reason"] == "malformed", (column, rsp.text)
        assert any(item.startswith(column) for item in rsp.json()["items"]), rsp.json()
    assert _stored(cloud) == 0
    assert cloud.post(Batch.of("gw-a", "big", r), cloud.tokens["gw-a"]).status_code == 200


def test_malformed_oversized_too_old_and_bad_gzip_are_refused_and_counted(cloud: Cloud) -> None:
    auth = cloud.auth(cloud.tokens["gw-a"]) | {"Content-Encoding": "gzip"}
    rsp = cloud.client.post(
        "/api/v1/ingest", content=gzip.compress(b'{"gateway_id": 5}'), headers=auth
    )
    assert rsp.status_code == 422 and rsp.json()["reason"] == "malformed"
    assert any("batch_id" in item for item in rsp.json()["items"])
    rsp = cloud.client.post("/api/v1/ingest", content=b"not gzip at all", headers=auth)
    assert rsp.status_code == 400 and rsp.json()["reason"] == "bad_gzip"
    bomb = gzip.compress(b" " * (cloud.settings.max_decompressed_bytes + 10))
    rsp = cloud.client.post("/api/v1/ingest", content=bomb, headers=auth)
    assert rsp.status_code == 413 and rsp.json()["reason"] == "too_large"
    old = _batch(cloud).readings()[0]._replace(ts_ms=86_400_000)  # 1970-01-02
    rsp = cloud.post(Batch.of("gw-a", "old", [old]), cloud.tokens["gw-a"])
    assert rsp.status_code == 422 and rsp.json()["reason"] == "bad_timestamp"
    big = {"Content-Length": str(cloud.settings.max_body_bytes + 1)}
    rsp = cloud.client.post("/api/v1/ingest", content=b"x", headers=auth | big)
    assert rsp.status_code in (413, 400)
    metrics = cloud.client.get("/metrics").text
    for reason in ("malformed", "bad_gzip", "too_large", "bad_timestamp"):
        assert f'plantwatch_ingest_rejects_total{{reason="{reason}"}}' in metrics


def test_nan_and_ragged_columns_are_malformed(cloud: Cloud) -> None:
    auth = cloud.auth(cloud.tokens["gw-a"])
    body = (
        b'{"gateway_id":"gw-a","batch_id":"n","series":[["a","s"]],"index":[0],'
        b'"ts":[1735689600000],"value":[NaN],"quality":[0]}'
    )
    rsp = cloud.client.post("/api/v1/ingest", content=body, headers=auth)
    assert rsp.status_code == 422 and rsp.json()["reason"] == "malformed"
    ragged = body.replace(b"[NaN]", b"[1.0]").replace(b'"quality":[0]', b'"quality":[0,0]')
    rsp = cloud.client.post("/api/v1/ingest", content=ragged, headers=auth)
    assert rsp.status_code == 422 and "equally long" in str(rsp.json()["items"])


def test_tokens_are_required_valid_and_revocable(cloud: Cloud) -> None:
    batch = _batch(cloud)
    assert cloud.client.post("/api/v1/ingest", content=b"{}").status_code == 401
    assert cloud.post(batch, "pwg_made-up").status_code == 401
    # An API key is not a gateway token, even an admin's.
    assert cloud.post(batch, cloud.keys[Role.ADMIN]).status_code == 401
    rsp = cloud.client.delete(
        "/api/v1/gateways/gw-a/tokens", headers=cloud.auth(cloud.keys[Role.ADMIN])
    )
    assert rsp.json() == {"revoked": 1}
    rsp = cloud.post(batch, cloud.tokens["gw-a"])
    assert rsp.status_code == 401 and "revoked" in rsp.json()["detail"]


def test_quality_flags_and_missing_values_are_stored(cloud: Cloud) -> None:
    a = cloud.manifests["gw-a"].assets[0]
    ts = NOW - timedelta(minutes=5)
    readings = [
        Reading(asset=a.id, signal=a.signals[0].name, ts_ms=epoch_ms(ts), value=1.5, quality=4),
        Reading(asset=a.id, signal=a.signals[1].name, ts_ms=epoch_ms(ts), value=None, quality=8),
    ]
    assert cloud.post(Batch.of("gw-a", "q", readings), cloud.tokens["gw-a"]).status_code == 200
    cloud.settle()
    rsp = cloud.client.get(
        f"/api/v1/assets/{a.id}/latest", headers=cloud.auth(cloud.keys[Role.VIEWER])
    )
    got = {s["signal"]: (s["value"], s["quality"]) for s in rsp.json()["samples"]}
    assert got[a.signals[0].name] == (1.5, 4)
    assert got[a.signals[1].name] == (None, 8)
