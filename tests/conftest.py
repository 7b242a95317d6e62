"""Fixtures shared by every test folder, and the ``integration`` marker.

A test that starts a real server (Mosquitto, VictoriaMetrics, PostgreSQL, a cloud process)
is marked ``integration`` here, from what it uses, so ``pytest -m "not integration"`` is the
fast unit run; ``tests/servers.py`` refuses to start a server for an unmarked test, so the
marker cannot fall behind the tests.

``./dev test`` runs in one process; with ``-n 2 --dist loadscope --no-loadscope-reorder``
it runs on two pytest-xdist workers, scoped by ``worker_group``. Each file is one group, so
its module fixtures are built once; the
model-fitting files, which already use both cores (``models/threads.py``), form one group
that starts first on one worker while the other runs the servers' tests, which mostly wait;
the files sharing the session's quick model form another, so it is fitted once.
"""

from pathlib import Path
from typing import Any

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
# Files that use the session's quick model: one worker fits it once for all of them.
QUICK_MODEL = (
    "tests/cloud/dashboards/test_dashboards.py",
    "tests/cloud/scoring/test_loop.py",
    "tests/integration/test_warning_to_work_order.py",
    "tests/plantwatch/test_cli.py",
    "tests/plantwatch/test_demo.py",
)
FIRST = ("fitting", "quick-model")  # the longest groups start first


def worker_group(nodeid: str) -> str:
    """The group a test runs in on one xdist worker: fitting, quick-model, or its file."""
    path = nodeid.split("::")[0]
    if path.startswith(FITTING):
        return "fitting"
    return "quick-model" if path in QUICK_MODEL else path


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadscope`` with the groups of ``worker_group`` as its scopes."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return worker_group(nodeid)

    return GroupScheduling(config, log)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that starts a server as ``integration``; on xdist workers, the
    longest groups first."""
    for item in items:
        if starts_servers(item):
            item.add_marker(pytest.mark.integration)
        # schemathesis gives all of its cases one node id; xdist schedules by node id
        if not item.nodeid.endswith(item.name) and item.parent is not None:
            if hasattr(item, "_id"):  # pytest 9.2 keeps a structured id
                item._id = item.parent.id.child(item.name)
            else:
                item._nodeid = f"{item.parent.nodeid}::{item.name}"
    if len({item.nodeid for item in items}) != len(items):
        raise pytest.UsageError("two tests share a node id: xdist would run only one")
    for item in items:
        quick = "quick_registry" in getattr(item, "fixturenames", ())
        if quick and worker_group(item.nodeid) != "quick-model":
            raise pytest.UsageError(f"{item.nodeid} uses the quick model: add to QUICK_MODEL")

    def rank(item: pytest.Item) -> int:
        group = worker_group(item.nodeid)
        return FIRST.index(group) if group in FIRST else len(FIRST)

    if hasattr(config, "workerinput"):  # an xdist worker
        items.sort(key=rank)  # stable: file order within a rank


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Tell the server starters which test is running."""
    servers.CURRENT_TEST[:] = [item.nodeid, item.get_closest_marker("integration") is not None]


LOG_TAIL_LINES = 60


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failed test that started processes shows the end of their logs (``*.log`` in its
    folder: a cloud server's, a gateway's), which a CI run keeps nowhere else."""
    report = yield
    tmp = getattr(item, "funcargs", {}).get("tmp_path")
    if report.failed and isinstance(tmp, Path) and tmp.is_dir():
        for log in sorted(tmp.rglob("*.log"))[:10]:
            lines = log.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
            if lines:
                report.sections.append((f"log {log.relative_to(tmp)}", "\n".join(lines)))
    return report


@pytest.fixture(scope="session")
def quick_registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A registry holding one model fitted quickly on a small simulated fleet."""
    root = tmp_path_factory.mktemp("quick-model")
    register(root / "registry", fit_quick(root))
    return root / "registry"
