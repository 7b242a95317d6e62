"""Packed batches: the same batch back, byte order fixed, and damage named, not guessed at."""

from __future__ import annotations

import json
import struct

import pytest
from pydantic import ValidationError

from kernel.contract import Batch
from kernel.packed import MAGIC, PackedError, PackedHead, pack, split, unpack


def _batch(seq: list[int], values: list[float | None] | None = None) -> Batch:
    values = values if values is not None else [1.5, None, -0.0, 2e300]
    return Batch(
        gateway_id="gw-a",
        batch_id="b-1",
        historical=True,
        series=[("ahu-1", "supply_temp"), ("ahu-1", "fan_speed")],
        index=[0, 1, 0, 1],
        ts=[-(2**63), 0, 1_700_000_000_000, 2**63 - 1],
        value=values,
        quality=[0, 8, 2**31 - 1, 3],
        seq=seq,
        spool_id="s.1",
    )


@pytest.mark.parametrize(
    ("seq", "mode"),
    [([], "none"), ([7, 8, 9, 10], "range"), ([7, 9, 8, 2**63 - 1], "column")],
)
def test_a_batch_comes_back_as_it_was_sent(seq: list[int], mode: str) -> None:
    batch = _batch(seq)
    body = pack(batch)
    head, _ = split(body)
    assert head.seq == mode and head.count == 4
    assert unpack(body) == batch
    assert str(unpack(body).value[2]) == "-0.0"  # the sign of a zero survives


def test_an_empty_batch_and_the_columns_start_aligned() -> None:
    batch = Batch(gateway_id="gw-a", batch_id="e", series=[], index=[], ts=[], value=[], quality=[])
    body = pack(batch)
    assert unpack(body) == batch
    (head_len,) = struct.unpack_from("<I", body, 4)
    assert (8 + head_len) % 8 == 0 and len(body) == 8 + head_len


def test_columns_are_little_endian_whatever_the_machine() -> None:
    body = pack(_batch([5, 6, 7, 8]))
    _, columns = split(body)
    assert struct.unpack("<4q", columns["ts"]) == (-(2**63), 0, 1_700_000_000_000, 2**63 - 1)
    assert struct.unpack("<4I", columns["quality"]) == (0, 8, 2**31 - 1, 3)
    assert "seq" not in columns  # a contiguous range travels as its start


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda b: b[:5], "shorter than the packed prefix"),
        (lambda b: b"PWB9" + b[4:], "not b'PWB1'"),
        (lambda b: b[:4] + struct.pack("<I", 10**6) + b[8:], "does not fit the body"),
        (lambda b: b[:-1], "need 96 bytes of columns; the body has 95"),
        (lambda b: b + b"\0" * 8, "need 96 bytes of columns; the body has 104"),
    ],
)
def test_broken_framing_is_named(damage, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PackedError, match=message):
        split(damage(pack(_batch([1, 2, 3, 4]))))


@pytest.mark.parametrize(
    "bad", [{"gateway_id": "GW A"}, {"count": -1}, {"seq": "sometimes"}, {"extra": 1}]
)
def test_a_head_that_breaks_the_contract_is_a_validation_error(bad: dict[str, object]) -> None:
    head = {"gateway_id": "gw-a", "batch_id": "b", "series": [], "count": 0} | bad
    raw = json.dumps(head).encode()
    with pytest.raises(ValidationError, match=next(iter(bad))):
        split(MAGIC + struct.pack("<I", len(raw)) + raw)


def test_columns_that_break_the_contract_fail_as_json_would() -> None:
    batch = _batch([1, 2, 3, 4])
    for field, column in (("value", [1.0, float("inf"), 0.0, 0.0]), ("index", [0, 1, 2, 0])):
        body = pack(batch.model_construct(**{**dict(batch), field: column}))
        with pytest.raises(ValidationError, match=field if field == "value" else "index"):
            unpack(body)


def test_a_sequence_range_past_64_bits_is_refused() -> None:
    with pytest.raises(ValidationError, match="64 bits"):
        PackedHead(
            gateway_id="g", batch_id="b", series=[], count=2, seq="range", seq_start=2**63 - 1
        )
