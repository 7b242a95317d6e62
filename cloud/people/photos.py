"""Photos people attach to work orders: checked, size-limited, stored on disk. Plain functions."""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.errors import Invalid, NotFound
from cloud.tables import Attachment
from kernel.files import write_private

KINDS = {  # leading bytes -> content type, extension: only images a phone camera writes
    b"\xff\xd8\xff": ("image/jpeg", "jpg"),
    b"\x89PNG\r\n\x1a\n": ("image/png", "png"),
}


def kind_of(data: bytes) -> tuple[str, str]:
    """The image type of ``data`` from its first bytes (never from the name the sender gave)."""
    for magic, kind in KINDS.items():
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    raise Invalid("a photo must be a JPEG, PNG or WebP image", "not_an_image")


def attach(
    session: Session, folder: Path, order_id: int, by: str, data: bytes, limit: int, now: datetime
) -> Attachment:
    """Store a photo of an order (readable by the service's user only)."""
    if len(data) > limit:
        raise Invalid(f"a photo may have at most {limit // 1_000_000} MB", "photo_too_large")
    content_type, ext = kind_of(data)
    name = f"{secrets.token_hex(16)}.{ext}"
    write_private(folder / name, data)
    row = Attachment(
        order_id=order_id, by=by, at=now, content_type=content_type, size=len(data), stored_as=name
    )
    session.add(row)
    session.commit()
    return row


def photos_of(session: Session, order_id: int) -> list[Attachment]:
    """An order's photos, oldest first."""
    q = select(Attachment).where(Attachment.order_id == order_id).order_by(Attachment.id)
    return list(session.scalars(q))


def photo(session: Session, photo_id: int) -> Attachment:
    """One photo's record."""
    row = session.get(Attachment, photo_id)
    if row is None:
        raise NotFound(f"no photo {photo_id}", "unknown_photo")
    return row
