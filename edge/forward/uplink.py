"""The uplink: manifest first, alarms ahead of telemetry, batches committed only on ack."""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
import time
from collections.abc import Callable

from edge.config import UplinkConfig
from edge.forward.chunks import Pending
from edge.forward.cloud_client import CloudClient, Refused, Retry
from edge.forward.spool import Spool
from edge.metrics import EdgeMetrics
from edge.tls import client_context
from kernel.aio import wait_set, within
from kernel.contract import AlarmBatch, Manifest

log = logging.getLogger("plantwatch.edge.uplink")
_MANIFEST_REASONS = ("asset_not_in_manifest", "unknown_signal")


class Uplink:
    """Moves the spool's contents to the cloud, one acknowledged batch at a time."""

    def __init__(
        self,
        cfg: UplinkConfig,
        gateway_id: str,
        spool: Spool,
        manifest: Callable[[], Manifest],
        metrics: EdgeMetrics,
    ) -> None:
        self.cfg = cfg
        self.gateway_id = gateway_id
        self.spool = spool
        self.manifest = manifest
        self.metrics = metrics
        self.need_manifest = True
        # After a config change: the newest reading read under the old config. Readings up
        # to it go out under the old manifest (which admits them) before the new one.
        self.manifest_after: int | None = None
        self.batch_max = cfg.batch_max
        self.backlog_batch_max = max(cfg.batch_max, cfg.backlog_batch_max)
        self.backoff = cfg.backoff_initial_s
        self.last_ok: float | None = None
        self.last_error: str | None = None
        self.wake = asyncio.Event()
        self._manifest_retried: str | None = None
        self.packed = False  # until the cloud's answer to the manifest says it reads them

    def _client(self) -> CloudClient:
        return CloudClient(
            self.cfg.url,
            self.cfg.secret(),
            client_context(self.cfg.ca_file, self.cfg.cert_file, self.cfg.key_file)
            if self.cfg.uses_tls
            else None,
            self.cfg.timeout_s,
        )

    async def run(self) -> None:
        """Send forever; failures back off exponentially with jitter and lose nothing."""
        async with self._client() as client:
            while True:
                try:
                    busy = await self.step(client)
                except Retry as exc:
                    await self._back_off(str(exc), exc.after_s)
                    continue
                except Refused as exc:
                    await self._back_off(str(exc), None)
                    continue
                except sqlite3.Error as exc:  # a full disk: the batch stays; try again later
                    self.metrics.uplink_errors.labels("spool").inc()
                    await self._back_off(f"spool: {exc}", None)
                    continue
                self.backoff = self.cfg.backoff_initial_s
                if not busy:
                    self.wake.clear()
                    await wait_set(self.wake, self.cfg.interval_s)

    async def _back_off(self, why: str, after_s: float | None) -> None:
        self.last_error = why
        delay = after_s if after_s is not None else self.backoff * random.uniform(0.5, 1.0)
        log.warning("uplink: %s; retrying in %.1f s", why, delay)
        await asyncio.sleep(delay)
        self.backoff = min(self.cfg.backoff_max_s, self.backoff * 2)

    def manifest_changed(self, after_seq: int) -> None:
        """The manifest changes once the readings up to ``after_seq`` have been sent."""
        if not self.need_manifest:
            self.manifest_after = after_seq

    async def step(self, client: CloudClient) -> bool:
        """Send the manifest, alarms, then one batch; True when there may be more to send."""
        if self.manifest_after is not None:
            old = await self.spool.run(self.spool.begin, self.batch_size(), self.manifest_after)
            if old is not None:
                await self._send_alarms(client)
                await self._send(client, old)
                return True
            self.manifest_after, self.need_manifest = None, True
        if self.need_manifest:
            try:
                reply = await client.put_manifest(self.manifest())
            except Refused as exc:
                self.metrics.uplink_errors.labels(f"manifest_{exc.status}").inc()
                raise
            self.need_manifest = False
            self.packed = reply.reads_packed and self.cfg.encoding == "auto"
            log.info(
                "uplink: manifest accepted (version %d); batches as %s",
                reply.version,
                "packed columns" if self.packed else "JSON",
            )
        await self._send_alarms(client)
        pending = await self.spool.run(self.spool.begin, self.batch_size())
        if pending is None:
            return False
        await self._send(client, pending)
        return True

    def batch_size(self) -> int:
        """Batches grow with a backlog (fewer requests per reading when it matters), in
        order all the same: one batch in flight, the next cut after its acknowledgement."""
        if self.spool.depth > 2 * self.batch_max:
            return self.backlog_batch_max
        return self.batch_max

    async def _send_alarms(self, client: CloudClient) -> None:
        alarms = await self.spool.run(self.spool.alarms.pending)
        if not alarms:
            return
        batch = AlarmBatch(gateway_id=self.gateway_id, events=[e for _, e in alarms])
        await client.post_alarms(batch)
        await self.spool.run(self.spool.alarms.ack, [i for i, _ in alarms])

    async def _send(self, client: CloudClient, pending: Pending) -> None:
        # A batch that waited (an outage, a backlog) is history, not live telemetry.
        waited_s = time.time() - pending.oldest_spooled_ms / 1000
        batch = pending.batch
        if waited_s > self.cfg.historical_after_s:
            batch = batch.model_copy(update={"historical": True})
        began = time.monotonic()
        try:
            ack = await client.post_batch(batch, self.packed)
        except Retry:
            self.metrics.uplink_errors.labels("retry").inc()
            raise
        except Refused as exc:
            self.metrics.uplink_errors.labels(f"refused_{exc.status}").inc()
            await self._refused(pending, exc)
            return
        self.metrics.uplink_seconds.observe(time.monotonic() - began)
        await self.spool.run(self.spool.commit, pending)
        self.metrics.sent.inc(len(batch))
        self.last_ok, self.last_error = time.time(), None
        if ack.duplicate:
            log.info("uplink: %s was already stored", batch.batch_id)
        if ack.rejected:
            self.metrics.refused.labels("cloud").inc(ack.rejected)
            log.warning(
                "uplink: the cloud stored %s without %d reading(s): %s",
                batch.batch_id,
                ack.rejected,
                "; ".join(ack.rejected_items),
            )

    async def _refused(self, pending: Pending, exc: Refused) -> None:
        if exc.status == 401:
            raise exc  # a token problem: keep everything and keep trying
        if exc.status == 409 and exc.reason == "batch_conflict":
            await self.spool.run(self.spool.reincarnate, pending)
            log.warning("uplink: the cloud holds %s with other contents; new batch ids", exc)
            return
        if exc.status == 413 and len(pending.batch) > 1:
            self.batch_max = max(1, min(self.batch_max, len(pending.batch) // 2))
            self.backlog_batch_max = max(1, len(pending.batch) // 2)
            await self.spool.run(self.spool.release, pending)
            log.warning("uplink: batch too large, now at most %d readings", self.batch_max)
            return
        if exc.reason in _MANIFEST_REASONS and self._manifest_retried != pending.batch.batch_id:
            # The cloud may hold an older manifest: send ours again, then retry once.
            self.need_manifest = True
            self._manifest_retried = pending.batch.batch_id
            raise exc
        log.error(
            "uplink: cloud refused %s (%s); parked in the spool's dead letters",
            pending.batch.batch_id,
            exc,
        )
        await self.spool.run(self.spool.park, pending, exc.status, str(exc))

    async def flush(self, deadline_s: float) -> None:
        """Send what is waiting until the spool is empty or the deadline passes.

        A cloud that answers "not now" (a restart, a 503) or asks for the manifest again is
        tried again within the deadline, unless it was already failing before the stop (then
        one attempt: a stop while the cloud is away is quick); a refused token or manifest,
        or a spool error, ends the flush at once. The spool keeps the rest.
        """
        patient = self.last_error is None
        stop = time.monotonic() + deadline_s
        first_pause = pause = min(0.2, self.cfg.backoff_initial_s)
        async with self._client() as client:
            while (left := stop - time.monotonic()) > 0:
                try:
                    if not await within(self.step(client), left):
                        return
                    pause = first_pause
                except (Retry, Refused) as exc:
                    if not patient or (
                        isinstance(exc, Refused) and exc.reason not in _MANIFEST_REASONS
                    ):
                        log.warning("uplink: flush stopped: %s (the spool keeps the rest)", exc)
                        return
                    wait = exc.after_s if isinstance(exc, Retry) and exc.after_s else pause
                    log.info("uplink: flush: %s; again in %.1f s", exc, wait)
                    await asyncio.sleep(min(wait, max(0.0, stop - time.monotonic())))
                    pause = min(2.0, pause * 2)
                except (TimeoutError, sqlite3.Error) as exc:
                    log.warning("uplink: flush stopped: %s (the spool keeps the rest)", exc)
                    return
            log.warning("uplink: flush deadline passed; the spool keeps %d", self.spool.depth)
