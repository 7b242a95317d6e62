"""Packed batches at the ingest API: stored like JSON, the same contents whatever the encoding,
damage refused and counted, and the whole-array checks agreeing with the contract's."""

from __future__ import annotations

import hashlib
import struct
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloud.api.errors import Rejected
from cloud.api.ingest_bodies import parse_packed
from cloud.batch_digest import content_digest
from cloud.incoming import Incoming
from cloud.storage.base import SeriesTags
from cloud.tables import IngestedBatch
from kernel.contract import Batch, Quality, epoch_ms
from kernel.packed import MEDIA_TYPE, pack, unpack
from tests.cloud.conftest import Cloud, readings_for

NOW = datetime.now(UTC).replace(microsecond=0)


def _batch(cloud: Cloud, batch_id: str = "p-1") -> Batch:
    readings = readings_for(cloud.manifests["gw-a"], NOW - timedelta(hours=1), 2, seq0=100)
    # One reading without a value but flagged, one flagged with its value: both kept.
    readings[0] = readings[0]._replace(value=None, quality=int(Quality.DROPOUT))
    readings[1] = readings[1]._replace(quality=int(Quality.SPIKE))
    return Batch.of("gw-a", batch_id, readings)


def _samples(cloud: Cloud) -> list[tuple[str, str, int, float | None, int]]:
    cloud.settle()
    store = cloud.client.app.state.store  # type: ignore[attr-defined]
    tags = [
        SeriesTags(a.asset_class, a.site, a.building, a.room, a.id)
        for a in cloud.manifests["gw-a"].assets
    ]
    window = store.window(tags, None, NOW - timedelta(days=1), NOW + timedelta(days=1))
    return sorted((s.asset, s.signal, epoch_ms(s.ts), s.value, s.quality) for s in window)


def test_a_packed_batch_is_stored_as_its_json_would_be(cloud: Cloud) -> None:
    token = cloud.tokens["gw-a"]
    ack = cloud.client.put(
        "/api/v1/manifest",
        content=cloud.manifests["gw-a"].model_dump_json(),
        headers=cloud.auth(token),
    ).json()
    assert MEDIA_TYPE in ack["batch_media_types"]
    batch = _batch(cloud)
    rsp = cloud.post(pack(batch), token)  # gzipped, as a gateway sends it
    assert rsp.status_code == 200, rsp.text
    assert (rsp.json()["accepted"], rsp.json()["duplicate"]) == (len(batch), False)
    stored = _samples(cloud)
    assert stored == sorted(
        (r.asset, r.signal, r.ts_ms, r.value, r.quality) for r in batch.readings()
    )
    # The same contents as JSON, or packed again: acknowledged, not stored twice.
    for again in (cloud.post(batch, token), cloud.post(pack(batch), token, gz=False)):
        assert again.status_code == 200 and again.json()["duplicate"] is True
    assert _samples(cloud) == stored


def test_a_reused_id_with_other_contents_is_a_conflict_in_either_encoding(cloud: Cloud) -> None:
    token = cloud.tokens["gw-a"]
    batch = _batch(cloud)
    assert cloud.post(batch, token).status_code == 200
    changed = batch.model_copy(update={"value": [*batch.value[:-1], 99.0]})
    for rsp in (cloud.post(pack(changed), token), cloud.post(changed, token)):
        assert rsp.status_code == 409 and rsp.json()["reason"] == "batch_conflict"


def _rejects(cloud: Cloud) -> float:
    for line in cloud.client.get("/metrics").text.splitlines():
        if line.startswith('plantwatch_ingest_rejects_total{reason="malformed"}'):
            return float(line.split()[-1])
    return 0.0


def test_damaged_packed_bodies_are_refused_named_and_counted(cloud: Cloud) -> None:
    token = cloud.tokens["gw-a"]
    good = pack(_batch(cloud))
    head_end = 8 + struct.unpack_from("<I", good, 4)[0]
    n = len(_batch(cloud))
    value_at = head_end + 8 * n  # after ts (seq travels as a range)
    damaged = {
        "truncated": (good[:-3], "bytes of columns"),
        "not packed": (b'{"batch_id": 1}', "not b'PWB1'"),
        "infinite value": (
            good[:value_at] + struct.pack("<d", float("inf")) + good[value_at + 8 :],
            "value: row 0 is infinite",
        ),
        "index past the series": (good[: -8 * n] + b"\xff" * 4 + good[-8 * n + 4 :], "index"),
        "quality above 31 bits": (good[:-4] + b"\xff\xff\xff\xff", "quality"),
    }
    before = _rejects(cloud)
    for name, (body, problem) in damaged.items():
        rsp = cloud.post(body, token)
        assert rsp.status_code == 422, name
        assert rsp.json()["reason"] == "malformed"
        assert any(problem in item for item in rsp.json()["items"]), (name, rsp.json())
    assert _rejects(cloud) == before + len(damaged)
    assert cloud.post(good, token).status_code == 200  # and the service carries on


def test_a_batch_recorded_under_the_earlier_digest_is_still_recognised(cloud: Cloud) -> None:
    token = cloud.tokens["gw-a"]
    batch = _batch(cloud, "old-1")
    columns = (batch.series, batch.index, batch.ts, batch.value, batch.quality, batch.seq)
    with cloud.client.app.state.sessions() as session:  # type: ignore[attr-defined]
        session.add(
            IngestedBatch(
                gateway_id="gw-a",
                batch_id="old-1",
                readings=len(batch),
                historical=False,
                digest=hashlib.sha256(orjson.dumps(columns)).hexdigest(),
            )
        )
        session.commit()
    assert cloud.post(pack(batch), token).json()["duplicate"] is True
    changed = batch.model_copy(update={"ts": [t + 1 for t in batch.ts]})
    assert cloud.post(changed, token).status_code == 409


# Columns as a sender might write them, inside and outside what the contract allows.
_columns = st.integers(0, 6).flatmap(
    lambda n: st.fixed_dictionaries(
        {
            "index": st.lists(st.integers(0, 3), min_size=n, max_size=n),
            "ts": st.lists(st.integers(-(2**63), 2**63 - 1), min_size=n, max_size=n),
            "value": st.lists(
                st.none() | st.floats(allow_nan=False) | st.sampled_from([-0.0, 5e-324]),
                min_size=n,
                max_size=n,
            ),
            "quality": st.lists(
                st.integers(0, 2**32 - 1) | st.sampled_from([2**31 - 1, 2**31]),
                min_size=n,
                max_size=n,
            ),
            "seq": st.just([])
            | st.lists(st.integers(-(2**63), 2**63 - 1), min_size=n, max_size=n)
            | st.integers(0, 2**63 - 1 - n).map(lambda s: list(range(s, s + n))),
        }
    )
)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(columns=_columns, series=st.integers(1, 4))
def test_whole_array_checks_agree_with_the_contract(
    columns: dict[str, list[object]], series: int
) -> None:
    sent = Batch.model_construct(
        gateway_id="gw-a",
        batch_id="h-1",
        series=[("a-1", f"s{k}") for k in range(series)],
        historical=False,
        contract_version="1.0",
        spool_id=None,
        **columns,
    )
    body = pack(sent)
    try:
        reference = unpack(body)
    except ValueError:
        reference = None
    try:
        fast, digest = parse_packed(body)
    except Rejected:
        assert reference is None, "refused what the contract accepts"
        return
    assert reference is not None, "accepted what the contract refuses"
    assert fast.to_batch() == reference
    assert digest == content_digest(Incoming.of(reference))


@pytest.mark.parametrize("seq", [[], [3, 4, 5], [9, 2, 7]])
def test_json_and_packed_bodies_of_one_batch_have_one_digest(seq: list[int]) -> None:
    batch = Batch(
        gateway_id="gw-a",
        batch_id="d",
        series=[("a", "b")],
        index=[0, 0, 0],
        ts=[1, 2, 3],
        value=[None, 0.1, -0.0],
        quality=[0, 1, 2],
        seq=seq,
    )
    fast, digest = parse_packed(pack(batch))
    assert fast.to_batch() == batch
    assert digest == content_digest(Incoming.of(batch))
    other = batch.model_copy(update={"value": [None, 0.1, 0.0]})  # +0.0 is another value
    assert content_digest(Incoming.of(other)) != digest
