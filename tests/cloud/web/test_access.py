"""Who may open which page and take which action: every role against every screen.

In-process (the app under a test client, SQLite); the browser tests cover the same rules
in Chromium for the main paths. Cookies here travel over plain http, so the session
cookie is not marked Secure for this client (browsers accept Secure cookies on loopback).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cloud.app import create_app
from cloud.people.users import PersonRole, put_user
from cloud.settings import Settings
from cloud.workorders import order_records as orders
from cloud.workorders import teams
from cloud.workorders.sla import Priority
from tests.cloud.conftest import SECRET, fleet_manifests

PASSWORD = "a-long-password-1"
PEOPLE = {
    "rita": ([PersonRole.REQUESTER], []),
    "rob": ([PersonRole.REQUESTER], []),
    "tom": ([PersonRole.TECHNICIAN], ["mech"]),
    "oli": ([PersonRole.TECHNICIAN], ["elec"]),
    "dina": ([PersonRole.DISPATCHER], []),
    "sam": ([PersonRole.SUPERVISOR], []),
    "ada": ([PersonRole.ADMIN], []),
}
OVERSEERS = {"dina", "sam", "ada"}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, int]]:
    from cloud import crud
    from simulators.config import synthetic_fleet
    from simulators.engine import Simulation

    tmp: Path = tmp_path_factory.mktemp("access")
    settings = Settings(
        secret_key=SECRET,
        database_url=f"sqlite:///{tmp}/pw.db",
        embedded_tsdb_path=str(tmp / "ts.db"),
        background=False,
        web_secure_cookies=False,
        _env_file=None,
    )
    with TestClient(create_app(settings)) as client:
        factory = client.app.state.sessions  # type: ignore[attr-defined]
        sim = Simulation(synthetic_fleet(2, seed=5), horizon_days=1)
        manifest = fleet_manifests(sim, ("gw-a",))["gw-a"]
        now = datetime.now(UTC)
        with factory() as s:
            crud.apply_manifest(s, crud.create_gateway(s, "gw-a"), manifest)
            teams.put_team(s, "mech", "Mechanical", "tom", "sam")
            teams.put_team(s, "elec", "Electrical", "oli", "sam")
            teams.replace_routes(s, [("*", "*", "mech")])
            teams.add_shift(s, "tom", "mech", now - timedelta(hours=1), now + timedelta(hours=8))
            for name, (roles, team) in PEOPLE.items():
                put_user(s, name, roles=roles, teams=team, password=PASSWORD)
            rep = orders.Report(manifest.assets[0].id, "request", "x", "Leak", Priority.HIGH)
            order = orders.report(s, rep, "rita", now)
            order_id = order.id
        yield client, order_id


def _signed_in(client: TestClient, user: str) -> str:
    """Sign ``user`` in on the shared client; their CSRF token."""
    client.cookies.clear()
    form = client.get("/app/sign-in").text
    presign = re.search(r'name="presign" value="([^"]+)"', form)
    assert presign is not None
    rsp = client.post(
        "/app/sign-in",
        data={"username": user, "password": PASSWORD, "presign": presign.group(1)},
        follow_redirects=False,
    )
    assert rsp.status_code == 303, rsp.text[:200]
    page = client.get("/app/requests").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf is not None
    return csrf.group(1)


def _expected(user: str, path: str, order_sees: set[str]) -> int:
    if path in ("/app/board", "/app/roster", "/app/kpis"):
        return 200 if user in OVERSEERS else 403
    if path == "/app/labels":
        return 200 if user in ("dina", "ada") else 403
    if path.startswith("/app/admin/"):
        return 200 if user == "ada" else 403
    if path.startswith("/app/orders/"):
        return 200 if user in order_sees else 403
    return 200


@pytest.mark.parametrize("user", sorted(PEOPLE))
def test_every_role_against_every_page(app: tuple[TestClient, int], user: str) -> None:
    client, order_id = app
    _signed_in(client, user)
    sees = {"rita", "tom", *OVERSEERS}  # the reporter, the routed team, the overseers
    paths = [
        "/app/orders",
        "/app/report",
        "/app/requests",
        "/app/board",
        "/app/roster",
        "/app/kpis",
        "/app/labels",
        "/app/admin/users",
        "/app/admin/assets",
        "/app/admin/assets/export?format=xlsx",
        f"/app/orders/{order_id}",
        f"/app/orders/{order_id}/chart.svg",
    ]
    got = {p: client.get(p, follow_redirects=False).status_code for p in paths}
    assert got == {p: _expected(user, p, sees) for p in paths}


@pytest.mark.parametrize(
    ("user", "action", "allowed"),
    [
        ("rob", "acknowledge", False),  # another requester
        ("oli", "acknowledge", False),  # a technician of another team
        ("rita", "acknowledge", False),  # the reporter does not work on it
        ("tom", "dispatch", False),  # a technician does not dispatch
        ("sam", "acknowledge", True),  # supervisors may act on their sites' orders
        ("dina", "dispatch", True),
        ("rita", "rate", False),  # not completed: refused by the state machine (409)
    ],
)
def test_actions_follow_the_same_rule_as_the_pages(
    app: tuple[TestClient, int], user: str, action: str, allowed: bool
) -> None:
    client, order_id = app
    csrf = _signed_in(client, user)
    rsp = client.post(
        f"/app/orders/{order_id}/act",
        data={"csrf": csrf, "action": action, "assignee": "tom", "rating": "5"},
        follow_redirects=False,
    )
    if allowed:
        assert rsp.status_code in (303, 409), rsp.text[:200]  # done, or not from this state
    elif user == "rita" and action == "rate":
        assert rsp.status_code == 409 and "only a completed order" in rsp.text
    else:
        assert rsp.status_code == 403, rsp.text[:200]


def test_signed_out_every_page_asks_to_sign_in(app: tuple[TestClient, int]) -> None:
    client, order_id = app
    client.cookies.clear()
    for path in ("/app/orders", "/app/board", f"/app/orders/{order_id}", "/app/changes"):
        rsp = client.get(path, follow_redirects=False)
        assert rsp.status_code == 303 and rsp.headers["location"].startswith("/app/sign-in")
    rsp = client.post(
        f"/app/orders/{order_id}/act",
        data={"action": "acknowledge", "csrf": "x"},
        follow_redirects=False,
    )
    assert rsp.status_code == 303 and rsp.headers["location"].startswith("/app/sign-in")


def test_screens_carry_security_headers_and_the_api_does_not(app: tuple[TestClient, int]) -> None:
    client, _ = app
    screen = client.get("/app/sign-in")
    assert screen.status_code == 200
    assert "frame-ancestors 'none'" in screen.headers["content-security-policy"]
    assert screen.headers["x-frame-options"] == "DENY"
    assert screen.headers["cache-control"] == "no-store"
    api = client.get("/healthz")
    assert api.status_code == 200
    assert "content-security-policy" not in api.headers
