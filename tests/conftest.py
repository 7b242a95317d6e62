"""Fixtures shared by every test folder, and the ``integration`` marker.

A test that starts a real server (Mosquitto, VictoriaMetrics, PostgreSQL, a cloud process)
is marked ``integration`` here, from what it uses, so ``pytest -m "not integration"`` is the
fast unit run; ``tests/servers.py`` refuses to start a server for an unmarked test, so the
marker cannot fall behind the tests.

``./dev test`` runs two pytest-xdist workers (``--dist loadgroup``). Each file is one group,
so its module fixtures are built once; the model-fitting files, which already use both cores
(``models/threads.py``), form one group that starts first on one worker while the other
runs the servers' tests, which mostly wait; the files sharing the session's quick model form
another, so it is fitted once.
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


# Files that fit models on both cores: one worker runs them one after another.
FITTING = ("tests/models/", "tests/integration/test_retraining.py")
# Groups that take longest go first (with --no-loadscope-reorder), the rest in file order.
FIRST = ("fitting", "quick-model")


def _groups(items: list[pytest.Item]) -> dict[str, str]:
    """Each test file's xdist group: fitting, the quick model's users, or the file itself."""
    files = {item.nodeid.split("::")[0] for item in items}
    quick = {
        item.nodeid.split("::")[0]
        for item in items
        if "quick_registry" in getattr(item, "fixturenames", ())
    }
    return {
        f: "fitting" if f.startswith(FITTING) else "quick-model" if f in quick else f for f in files
    }


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that starts a server as ``integration``; group tests for xdist."""
    groups = _groups(items)
    for item in items:
        if starts_servers(item):
            item.add_marker(pytest.mark.integration)
        # schemathesis gives all of its cases one node id; xdist's groups need distinct ones
        if not item.nodeid.endswith(item.name) and item.parent is not None:
            item._id = item.parent.id.child(item.name)  # how pytest names any other item
    for item in items:
        item.add_marker(pytest.mark.xdist_group(groups[item.nodeid.split("::")[0]]))

    def rank(item: pytest.Item) -> int:
        group = groups[item.nodeid.split("::")[0]]
        return FIRST.index(group) if group in FIRST else len(FIRST)

    items.sort(key=rank)  # stable: file order within a rank


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
