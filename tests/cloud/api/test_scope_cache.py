"""The ingest scope cache: one registry read per gateway and manifest version."""

from __future__ import annotations

import threading
import time

from cloud.api.ingest_checks import GatewayScope, ScopeCache


def _scope(version: int) -> GatewayScope:
    return GatewayScope(version, {}, {"p-1": frozenset({"flow"})}, frozenset({("p-1", "flow")}))


def test_requests_arriving_during_a_load_wait_for_it_instead_of_loading_again() -> None:
    cache = ScopeCache()
    loads: list[int] = []
    got: list[GatewayScope] = []

    def load() -> GatewayScope:
        loads.append(1)
        time.sleep(0.2)  # a registry read in progress while the others arrive
        return _scope(3)

    threads = [
        threading.Thread(target=lambda: got.append(cache.get_or_load("gw", 3, load)))
        for _ in range(6)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert len(loads) == 1
    assert len(got) == 6 and all(s is got[0] for s in got)


def test_a_new_manifest_version_is_loaded_again() -> None:
    cache = ScopeCache()
    first = cache.get_or_load("gw", 1, lambda: _scope(1))
    assert cache.get_or_load("gw", 1, lambda: _scope(1)) is first
    second = cache.get_or_load("gw", 2, lambda: _scope(2))
    assert second is not first and second.version == 2
    assert cache.get("gw", 1) is None
