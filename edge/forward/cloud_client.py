"""The gateway's HTTP client for the cloud ingest service, built on the shared data contract."""

from __future__ import annotations

import gzip
import ssl
from dataclasses import dataclass
from types import TracebackType

import httpx

from kernel.contract import AlarmBatch, Batch, Manifest
from kernel.packed import MEDIA_TYPE, pack


@dataclass(frozen=True)
class Ack:
    """The cloud stored the batch (or had it already)."""

    accepted: int
    duplicate: bool
    rejected: int = 0  # readings the cloud left out (an unknown signal, an impossible time)
    rejected_items: tuple[str, ...] = ()


class Retry(Exception):
    """The cloud could not take the batch now; keep it and try again after ``after_s``."""

    def __init__(self, reason: str, after_s: float | None = None) -> None:
        super().__init__(reason)
        self.after_s = after_s


class Refused(Exception):
    """The cloud refused the batch for what it is (4xx): resending it unchanged will not help."""

    def __init__(self, status: int, reason: str, detail: str, items: list[str]) -> None:
        super().__init__(f"{status} {reason}: {detail}")
        self.status, self.reason, self.detail, self.items = status, reason, detail, items


def encode(model: Batch | Manifest | AlarmBatch) -> bytes:
    """Gzipped JSON of a contract object (level 1: most of the gain for a fraction of the CPU)."""
    return gzip.compress(model.model_dump_json().encode(), compresslevel=1)


def encode_packed(batch: Batch) -> bytes:
    """A batch as gzipped packed columns (``kernel.packed``)."""
    return gzip.compress(pack(batch), compresslevel=1)


@dataclass(frozen=True)
class ManifestReply:
    """The cloud's answer to a manifest: its version, and the batch encodings it reads."""

    version: int
    reads_packed: bool


class CloudClient:
    """Posts batches and manifests with the gateway's token; an async context manager."""

    def __init__(
        self,
        base_url: str,
        token: str,
        tls: ssl.SSLContext | None = None,
        timeout_s: float = 30.0,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Encoding": "gzip",
            },
            timeout=timeout_s,
            verify=tls if tls is not None else True,
        )

    async def __aenter__(self) -> CloudClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close connections."""
        await self._http.aclose()

    async def _send(
        self, method: str, path: str, body: bytes, media_type: str = "application/json"
    ) -> httpx.Response:
        try:
            rsp = await self._http.request(
                method, path, content=body, headers={"Content-Type": media_type}
            )
        except httpx.HTTPError as exc:
            raise Retry(f"cloud unreachable: {type(exc).__name__}: {exc}") from exc
        if rsp.status_code in (200, 201):
            return rsp
        if rsp.status_code in (408, 429) or rsp.status_code >= 500:
            after = rsp.headers.get("retry-after")
            raise Retry(
                f"cloud answered {rsp.status_code}",
                float(after) if after and after.isdigit() else None,
            )
        try:
            problem = rsp.json()
        except ValueError:
            problem = {"detail": rsp.text[:200]}
        raise Refused(
            rsp.status_code,
            str(problem.get("reason", "refused")),
            str(problem.get("detail", "")),
            list(problem.get("items", [])),
        )

    async def post_batch(self, batch: Batch | bytes, packed: bool = False) -> Ack:
        """Send a batch (or its gzipped JSON), as packed columns when ``packed``; returns once
        the cloud has it durably."""
        if isinstance(batch, bytes):
            body, media = batch, "application/json"
        elif packed:
            body, media = encode_packed(batch), MEDIA_TYPE
        else:
            body, media = encode(batch), "application/json"
        data = (await self._send("POST", "/api/v1/ingest", body, media)).json()
        return Ack(
            accepted=int(data["accepted"]),
            duplicate=bool(data["duplicate"]),
            rejected=int(data.get("rejected", 0)),  # absent from an older cloud's answer
            rejected_items=tuple(str(i) for i in data.get("rejected_items", ())),
        )

    async def post_alarms(self, alarms: AlarmBatch) -> int:
        """Send alarm events; returns how many the cloud had not seen."""
        data = (await self._send("POST", "/api/v1/alarms", encode(alarms))).json()
        return int(data["stored"])

    async def put_manifest(self, manifest: Manifest) -> ManifestReply:
        """Register the gateway's assets; returns the manifest version the cloud holds and
        whether it reads packed batches (an older cloud does not say, and does not)."""
        data = (await self._send("PUT", "/api/v1/manifest", encode(manifest))).json()
        return ManifestReply(
            int(data["manifest_version"]), MEDIA_TYPE in data.get("batch_media_types", ())
        )
