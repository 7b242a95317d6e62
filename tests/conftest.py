"""Fixtures shared by every test folder, and the ``integration`` marker.

A test that starts a real server (Mosquitto, VictoriaMetrics, PostgreSQL, a cloud process)
is marked ``integration`` here, from what it uses, so ``pytest -m "not integration"`` is the
fast unit run; ``tests/servers.py`` refuses to start a server for an unmarked test, so the
marker cannot fall behind the tests.
"""

from pathlib import Path

import pytest

from plantwatch.quick_model import fit_quick, register
from tests import servers
from tests.cloud.conftest import pg_server

__all__ = ["pg_server", "quick_registry"]

SERVER_FIXTURES = {"pg_server", "broker"}
SERVER_STARTERS = {"mosquitto", "victoria_metrics", "postgres", "cloud_server"}
SERVER_PARAMS = {"postgres+victoriametrics"}


def starts_servers(item: pytest.Item) -> bool:
    """Whether a test starts a real server: by folder, fixture, parameter or module import."""
    if "integration" in item.path.parts:
        return True
    if SERVER_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    callspec = getattr(item, "callspec", None)
    if callspec is not None and SERVER_PARAMS & {str(v) for v in callspec.params.values()}:
        return True
    module = getattr(item, "module", None)
    return any(
        getattr(getattr(module, name, None), "__module__", "") == "tests.servers"
        for name in SERVER_STARTERS
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that starts a server as ``integration``."""
    for item in items:
        if starts_servers(item):
            item.add_marker(pytest.mark.integration)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Tell the server starters which test is running."""
    servers.CURRENT_TEST[:] = [item.nodeid, item.get_closest_marker("integration") is not None]


@pytest.fixture(scope="session")
def quick_registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A registry holding one model fitted quickly on a small simulated fleet."""
    root = tmp_path_factory.mktemp("quick-model")
    register(root / "registry", fit_quick(root))
    return root / "registry"
