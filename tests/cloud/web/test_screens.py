"""The people's screens in a real headless Chromium (Debian's), on a phone's viewport.

A cloud process with an SMTP server beside it; a requester reports a fault from her phone,
the technician on duty is paged by e-mail, acknowledges from the message's link, proves he
is on site with the equipment's label, completes with codes and a verdict; the requester
rates the repair. Then what each role may not do, CSRF, and spent or expired links.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import segno
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy.orm import Session

from cloud import crud
from cloud.db import make_engine, migrate
from cloud.people.users import PersonRole, put_user
from cloud.tables import RiskStateRow, WarningRow
from cloud.warnings import warning_records
from cloud.workorders import teams
from simulators.config import synthetic_fleet
from simulators.engine import Simulation
from tests.cloud.conftest import SECRET, fleet_manifests
from tests.servers import Process, cloud_server, free_port

pytestmark = pytest.mark.integration
CHROMIUM = "/usr/bin/chromium"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
SCREENS = Path(__file__).resolve().parents[3] / "docs" / "screens"
PASSWORD = "correct-horse-battery"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)  # the signature is what is checked


class Inbox:
    """An SMTP server's received messages."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def wait(self, n: int, timeout_s: float = 15.0) -> list[Any]:
        """The first ``n`` messages, waiting (bounded) for them."""
        deadline = time.monotonic() + timeout_s
        while len(self.messages) < n:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.messages)} of {n} messages arrived")
            time.sleep(0.1)
        return self.messages[:n]


SITE_ZONE = "Asia/Shanghai"  # every time on the screens is the site's


@dataclass
class Site:
    """A running cloud with people, a team, a route, a roster and equipment."""

    server: Process
    inbox: Inbox
    asset: str
    other_asset: str
    db: Path

    @property
    def url(self) -> str:
        """Base URL."""
        return self.server.url


def _people(db: str) -> tuple[str, str]:
    migrate(db)
    sim = Simulation(synthetic_fleet(4, seed=5), horizon_days=1)
    manifest = fleet_manifests(sim, ("gw-a",))["gw-a"]
    with Session(make_engine(db)) as s:
        gw = crud.create_gateway(s, "gw-a")
        crud.apply_manifest(s, gw, manifest)
        teams.put_team(s, "mech", "Mechanical", "lena", "sam")
        teams.replace_routes(s, [("*", "*", "mech")])
        now = datetime.now(UTC)
        teams.add_shift(s, "tom", "mech", now - timedelta(hours=1), now + timedelta(hours=8))
        for name, roles, team, email in (
            ("tom", [PersonRole.TECHNICIAN], ["mech"], "tom@example.test"),
            ("lena", [PersonRole.TECHNICIAN], ["mech"], "lena@example.test"),
            ("rita", [PersonRole.REQUESTER], [], "rita@example.test"),
            ("dina", [PersonRole.DISPATCHER], [], "dina@example.test"),
            ("rob", [PersonRole.REQUESTER], [], "rob@example.test"),
            ("sam", [PersonRole.SUPERVISOR], [], "sam@example.test"),
            ("wei", [PersonRole.TECHNICIAN], ["mech"], "wei@example.test"),
            ("ada", [PersonRole.ADMIN], [], "ada@example.test"),
        ):
            chinese = name == "wei"
            put_user(
                s,
                name,
                name=name.title(),
                email=email,
                roles=roles,
                teams=team,
                password=PASSWORD,
                language="zh" if chinese else "en",
                timezone="Asia/Shanghai" if chinese else "UTC",
            )
    return manifest.assets[0].id, manifest.assets[1].id


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """The cloud process, its SMTP server and the people."""
    inbox = Inbox()
    smtp_port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    db = f"sqlite:///{tmp_path}/pw.db"
    asset, other = _people(db)
    port = free_port()
    env = {
        "PLANTWATCH_SECRET_KEY": SECRET,
        "PLANTWATCH_DATABASE_URL": db,
        "PLANTWATCH_EMBEDDED_TSDB_PATH": str(tmp_path / "ts.db"),
        "PLANTWATCH_BACKGROUND": "false",
        "PLANTWATCH_ALERT_SMTP_HOST": "127.0.0.1",
        "PLANTWATCH_ALERT_SMTP_PORT": str(smtp_port),
        "PLANTWATCH_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "PLANTWATCH_UPLOAD_DIR": str(tmp_path / "uploads"),
        "PLANTWATCH_SITE_TIMEZONE": SITE_ZONE,
    }
    try:
        with cloud_server(env, tmp_path, port=port) as server:
            yield Site(server, inbox, asset, other, tmp_path / "pw.db")
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless (nothing is downloaded)."""
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def sign_in(page: Page, url: str, user: str) -> None:
    """Sign in through the form."""
    page.goto(f"{url}/app/sign-in")
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name=re.compile("Sign out|退出"))).to_be_visible()


def shot(page: Page, name: str) -> None:
    """Screenshots for the documentation: the page on a phone and on a desktop."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    before = page.viewport_size
    for form, size in (("phone", PHONE["viewport"]), ("desktop", DESKTOP["viewport"])):
        page.set_viewport_size(size)  # type: ignore[arg-type]
        page.screenshot(path=str(SCREENS / f"{name}-{form}.png"), full_page=True)
    if before is not None:
        page.set_viewport_size(before)


def test_the_1530_path_from_report_to_rating(site: Site, browser: Browser, tmp_path: Path) -> None:
    rita = browser.new_context(**PHONE).new_page()
    sign_in(rita, site.url, "rita")
    rita.goto(f"{site.url}/app/report?asset={site.asset}")
    rita.get_by_label("What is wrong?").fill("Loud grinding from the pump, water on the floor")
    rita.get_by_label("Urgency").select_option("urgent")
    picture = tmp_path / "leak.png"
    segno.make("a picture of the leak").save(str(picture), kind="png", scale=8)
    rita.get_by_label("Photo (optional)").set_input_files(str(picture))
    shot(rita, "report")
    rita.get_by_role("button", name="Send report").click()
    expect(rita.get_by_test_id("state")).to_have_text("dispatched")  # routed to tom on duty
    order_id = int(rita.url.rsplit("/", 1)[-1])

    # the technician on duty is paged with a link that acknowledges in one tap
    (mail,) = site.inbox.wait(1)
    assert mail["To"] == "tom@example.test" and f"work order {order_id}" in mail["Subject"]
    body = mail.get_content()
    ack = re.search(r"http://127\.0\.0\.1:\d+/app/l/\S+", body)
    assert ack is not None, body
    tom_phone = browser.new_context(**PHONE)
    tom = tom_phone.new_page()
    tom.goto(ack.group(0))
    tom.get_by_role("button", name=f"Acknowledge order {order_id}").click()
    expect(tom.get_by_role("heading")).to_have_text(f"Order {order_id} acknowledged")
    tom.goto(ack.group(0))  # a link works once
    expect(tom.get_by_role("status")).to_contain_text("used already")

    # on site: the label of another asset is refused, the right one accepted
    sign_in(tom, site.url, "tom")
    tom.goto(f"{site.url}/app/orders")
    expect(tom.locator(".clock").first).to_contain_text(re.compile(r"Arrive in \d+ min"))
    with sqlite3.connect(site.db) as db:
        (on_site_by,) = db.execute(
            "SELECT on_site_by FROM work_orders WHERE id = ?", (order_id,)
        ).fetchone()
    due = datetime.fromisoformat(on_site_by).replace(tzinfo=UTC).astimezone(ZoneInfo(SITE_ZONE))
    # as served, before the countdown takes over: the deadline in the site's time zone
    served = tom.context.request.get(f"{site.url}/app/orders").text()
    assert f"Arrive by {due:%Y-%m-%d %H:%M}" in served, served
    expect(tom.locator("footer")).to_have_text(f"Times in {SITE_ZONE}")
    tom.goto(f"{site.url}/app/orders")
    shot(tom, "technician-orders")
    tom.goto(f"{site.url}/app/orders/{order_id}")
    photo = tom.get_by_role("img", name=re.compile("Photo by rita"))
    expect(photo).to_be_visible()
    assert photo.evaluate("img => img.naturalWidth") > 100  # served to the team's technician
    tom.get_by_label("Equipment label (scan or type)").fill(site.other_asset)
    tom.get_by_role("button", name="I am on site").click()
    expect(tom.get_by_role("alert")).to_contain_text(f"not {site.asset}'s")
    tom.get_by_label("Equipment label (scan or type)").fill(site.asset)
    tom.get_by_role("button", name="I am on site").click()
    expect(tom.get_by_test_id("state")).to_have_text("on site")
    tom.get_by_role("button", name="Start work").click()
    expect(tom.get_by_test_id("state")).to_have_text("in progress")
    shot(tom, "technician-order")
    tom.get_by_label("Verdict on the prediction").select_option("not_predictive")
    tom.get_by_label("Labour hours").fill("1.5")
    tom.get_by_label("Parts used").fill("mechanical seal 35 mm")
    tom.get_by_label("Notes", exact=True).fill("seal replaced, pump run for 10 min, dry")
    tom.get_by_role("button", name="Complete").click()
    expect(tom.get_by_test_id("state")).to_have_text("completed")
    expect(tom.get_by_test_id("labour")).to_have_text("1.5")

    # the requester hears by e-mail that it is done, sees it in her requests, and rates it
    done = site.inbox.wait(2)[1]
    assert done["To"] == "rita@example.test" and f"work order {order_id}" in done["Subject"]
    text = done.get_content()
    assert "Rate the repair" in text
    link = re.search(r"http://127\.0\.0\.1:\d+/app/orders/\d+", text)
    assert link is not None and link.group(0).endswith(f"/orders/{order_id}"), text
    rita.goto(f"{site.url}/app/requests")
    expect(rita.get_by_role("status")).to_contain_text("please rate it")
    rita.goto(link.group(0))
    rita.get_by_label("4").check()
    rita.get_by_role("button", name="Send rating").click()
    expect(rita.get_by_test_id("state")).to_have_text("closed")
    sam = browser.new_context(**DESKTOP).new_page()
    sign_in(sam, site.url, "sam")
    sam.goto(f"{site.url}/app/kpis")
    expect(sam.get_by_test_id("bad-mech")).to_have_text("0.0 % of 1")
    shot(sam, "supervisor-teams")
    with sqlite3.connect(site.db) as db:
        steps = [
            r[0]
            for r in db.execute(
                "SELECT action FROM work_order_steps WHERE order_id = ? ORDER BY id", (order_id,)
            )
        ]
    assert steps == [
        "report",
        "dispatch",
        "acknowledge",
        "arrive",
        "start",
        "complete",
        "comment",
        "rate",
    ]


def test_the_board_keeps_an_incident_a_person_ruled_out_in_sight(
    site: Site, browser: Browser
) -> None:
    """A dispatcher dismisses a warning while the risk stays high: the rule holds the
    incident (no new warning opens), and the board lists it with the ruling."""
    now = datetime.now(UTC)
    with Session(make_engine(f"sqlite:///{site.db}")) as s:
        s.add(
            RiskStateRow(
                asset_id=site.other_asset,
                evaluated_at=now,
                data_until=now,
                probability=0.83,
                health=0.4,
                risk_band="high",
                high_run=3,
                low_run=0,
                model_version="m1",
            )
        )
        w = WarningRow(
            asset_id=site.other_asset,
            state="open",
            opened_at=now - timedelta(hours=3),
            updated_at=now,
            probability=0.83,
            peak_probability=0.9,
            risk_band="high",
            model_version="m1",
        )
        s.add(w)
        s.commit()
        warning_records.dismiss(s, w.id, "sensor swapped last week", "dina", now)
    dina = browser.new_context(**DESKTOP).new_page()
    sign_in(dina, site.url, "dina")
    dina.goto(f"{site.url}/app/board")
    held = dina.get_by_role("region", name="Held after a ruling")
    row = held.get_by_test_id(f"held-{site.other_asset}")
    expect(row).to_contain_text("83 % · high")
    expect(row).to_contain_text("Warning dismissed: sensor swapped last week")
    local = now.astimezone(ZoneInfo(SITE_ZONE)).strftime("%Y-%m-%d %H:%M")
    expect(row).to_contain_text(local)
    expect(held.get_by_role("row")).to_have_count(2)  # the heading's and the incident's
    shot(dina, "dispatcher-held")
    # a requester never sees it
    rita = browser.new_context(**PHONE).new_page()
    sign_in(rita, site.url, "rita")
    rsp = rita.goto(f"{site.url}/app/board")
    assert rsp is not None and rsp.status == 403


def test_the_board_follows_changes_live_and_each_role_stays_in_its_lane(
    site: Site, browser: Browser
) -> None:
    rita = browser.new_context(**PHONE).new_page()
    sign_in(rita, site.url, "rita")
    rita.goto(f"{site.url}/app/report?asset={site.asset}")
    rita.get_by_label("What is wrong?").fill("No hot water in the east wing")
    rita.get_by_role("button", name="Send report").click()
    order_id = int(rita.url.rsplit("/", 1)[-1])

    dina = browser.new_context(**DESKTOP).new_page()
    sign_in(dina, site.url, "dina")
    dina.goto(f"{site.url}/app/board")
    cell = dina.get_by_test_id(f"state-{order_id}")
    expect(cell).to_have_text("dispatched")
    shot(dina, "dispatcher-board")
    # the technician acknowledges on his phone; the board shows it without a reload
    tom = browser.new_context(**PHONE).new_page()
    sign_in(tom, site.url, "tom")
    tom.goto(f"{site.url}/app/orders")
    began = time.monotonic()
    tom.get_by_role("button", name=f"Acknowledge #{order_id}").click()
    expect(cell).to_have_text("acknowledged", timeout=5000)
    assert time.monotonic() - began < 3.0

    # a second report of the same equipment is merged into the first by the dispatcher
    rob = browser.new_context(**PHONE).new_page()
    sign_in(rob, site.url, "rob")
    rob.goto(f"{site.url}/app/report?asset={site.asset}")
    rob.get_by_label("What is wrong?").fill("The hot water is off")
    rob.get_by_role("button", name="Send report").click()
    dup_id = int(rob.url.rsplit("/", 1)[-1])
    dina.goto(f"{site.url}/app/orders/{order_id}")
    dina.get_by_label("Merge a duplicate report of this equipment").select_option(str(dup_id))
    dina.get_by_role("button", name=f"Merge into #{order_id}").click()
    expect(dina.get_by_role("region", name="History")).to_contain_text(
        f"merged order {dup_id} (The hot water is off), reported by rob"
    )
    rob.goto(f"{site.url}/app/orders/{dup_id}")
    expect(rob.get_by_test_id("state")).to_have_text("cancelled")
    # the roster is the dispatcher's to edit
    dina.goto(f"{site.url}/app/roster")
    dina.get_by_label("Technician").select_option("lena")
    dina.get_by_label(f"From ({SITE_ZONE})").fill("2030-01-01T08:00")
    dina.get_by_label("Until").fill("2030-01-01T16:00")
    dina.get_by_role("button", name="Add to the roster").click()
    expect(dina.locator("tr", has_text="2030-01-01 08:00")).to_contain_text("lena")
    with sqlite3.connect(site.db) as db:  # entered and shown in the site's zone, kept in UTC
        (starts,) = db.execute("SELECT starts_at FROM shifts WHERE technician = 'lena'").fetchone()
    assert datetime.fromisoformat(starts).hour == 0  # 08:00 in Shanghai
    dina.get_by_role("button", name="Remove lena's shift").click()
    expect(dina.locator("tr", has_text="2030-01-01 08:00")).to_have_count(0)
    assert rob.goto(f"{site.url}/app/roster").status == 403  # type: ignore[union-attr]

    # a requester may not see the board, nor act on the order as a technician
    rsp = rita.goto(f"{site.url}/app/board")
    assert rsp is not None and rsp.status == 403
    rita.goto(f"{site.url}/app/requests")
    csrf = rita.locator("input[name=csrf]").first.get_attribute("value")
    rsp2 = rita.request.post(
        f"{site.url}/app/orders/{order_id}/act",
        form={"csrf": csrf or "", "action": "arrive", "label": site.asset},
    )
    assert rsp2.status == 403
    # a photo is an image, or it is refused; and it is served only to who sees its order
    rsp_bad = rita.request.post(
        f"{site.url}/app/orders/{order_id}/notes",
        multipart={
            "csrf": csrf or "",
            "photo": {"name": "x.jpg", "mimeType": "image/jpeg", "buffer": b"not an image"},
        },
    )
    assert rsp_bad.status == 422 and "JPEG, PNG or WebP" in rsp_bad.text()
    rsp_ok = rita.request.post(
        f"{site.url}/app/orders/{order_id}/notes",
        multipart={
            "csrf": csrf or "",
            "text": "it is getting worse",
            "photo": {"name": "p.png", "mimeType": "image/png", "buffer": PNG},
        },
    )
    assert rsp_ok.status == 200  # after the redirect to the order
    assert tom.request.get(f"{site.url}/app/photos/1").status == 200
    assert dina.request.get(f"{site.url}/app/photos/1").status == 200
    lena_requester = browser.new_context(**PHONE).new_page()
    sign_in(lena_requester, site.url, "rob")
    assert lena_requester.request.get(f"{site.url}/app/photos/1").status == 403
    # a form without the session's CSRF token is refused, even from the right person
    rsp3 = tom.request.post(
        f"{site.url}/app/orders/{order_id}/act", form={"action": "arrive", "label": site.asset}
    )
    assert rsp3.status == 422  # the token is a required field
    rsp4 = tom.request.post(
        f"{site.url}/app/orders/{order_id}/act",
        form={"csrf": "forged", "action": "arrive", "label": site.asset},
    )
    assert rsp4.status == 403
    # signed out, nothing is shown
    anon = browser.new_context(**PHONE).new_page()
    anon.goto(f"{site.url}/app/orders/{order_id}")
    expect(anon.get_by_role("heading")).to_have_text("Sign in")
    # an expired link is refused
    (page_mail,) = site.inbox.wait(1)
    link = re.search(r"/app/l/\S+", page_mail.get_content())
    assert link is not None
    with sqlite3.connect(site.db) as db:
        db.execute("UPDATE action_links SET expires_at = '2000-01-01 00:00:00'")
    rsp5 = anon.goto(f"{site.url}{link.group(0)}")
    assert rsp5 is not None and rsp5.status == 410
    expect(anon.get_by_role("status")).to_contain_text("expired")


def test_sign_in_is_rate_limited_and_cookies_are_guarded(site: Site, browser: Browser) -> None:
    page = browser.new_context(**PHONE).new_page()
    page.goto(f"{site.url}/app/sign-in")
    shot(page, "sign-in")
    for _ in range(5):
        page.get_by_label("User name").fill("tom")
        page.get_by_label("Password").fill("wrong-password-123")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_contain_text("wrong password")
    page.get_by_label("User name").fill("tom")
    page.get_by_label("Password").fill(PASSWORD)  # right, but too late
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("too many failed sign-ins")
    # a Chinese browser gets the sign-in page in Chinese; a Chinese user, every page
    zh = browser.new_context(**PHONE, locale="zh-CN").new_page()
    zh.goto(f"{site.url}/app/sign-in")
    expect(zh.get_by_role("heading")).to_have_text("登录")
    expect(zh.get_by_label("用户名")).to_be_visible()
    wei = browser.new_context(**PHONE).new_page()
    sign_in(wei, site.url, "wei")
    wei.goto(f"{site.url}/app/report?asset={site.asset}")
    expect(wei.get_by_role("heading")).to_have_text("报修")
    wei.get_by_label("故障描述").fill("冷却塔风机异响")
    wei.get_by_role("button", name="提交报修").click()
    expect(wei.get_by_test_id("state")).to_have_text("已派单")
    shot(wei, "order-zh")
    # a forgotten password: a single-use link by e-mail, the old password gone
    rob = browser.new_context(**PHONE).new_page()
    rob.goto(f"{site.url}/app/sign-in")
    rob.get_by_role("link", name="Forgot your password?").click()
    rob.get_by_label("User name").fill("rob")
    rob.get_by_role("button", name="Send me a link").click()
    expect(rob.get_by_role("status")).to_contain_text("on its way")
    deadline = time.monotonic() + 10
    while not any("reset your password" in m["Subject"] for m in site.inbox.messages):
        assert time.monotonic() < deadline, "no reset mail"
        time.sleep(0.1)
    (mail,) = [m for m in site.inbox.messages if "reset your password" in m["Subject"]]
    assert mail["To"] == "rob@example.test"
    reset = re.search(r"http://\S+/app/reset/\S+", mail.get_content())
    assert reset is not None
    rob.goto(reset.group(0))
    rob.get_by_label("New password (at least 10 characters)").fill("a-brand-new-password")
    rob.get_by_role("button", name="Set the password").click()
    expect(rob.get_by_role("heading")).to_have_text("Password changed")
    assert rob.goto(reset.group(0)).status == 410  # type: ignore[union-attr]
    rob.goto(f"{site.url}/app/sign-in")
    rob.get_by_label("User name").fill("rob")
    rob.get_by_label("Password").fill(PASSWORD)
    rob.get_by_role("button", name="Sign in").click()
    expect(rob.get_by_role("alert")).to_contain_text("wrong password")
    rob.get_by_label("User name").fill("rob")
    rob.get_by_label("Password").fill("a-brand-new-password")
    rob.get_by_role("button", name="Sign in").click()
    expect(rob.get_by_role("button", name=re.compile("Sign out"))).to_be_visible()

    # an admin adds a person, who can then sign in
    ada = browser.new_context(**DESKTOP).new_page()
    sign_in(ada, site.url, "ada")
    ada.goto(f"{site.url}/app/admin/users")
    ada.get_by_label("User name").fill("nina")
    ada.get_by_label("Name", exact=True).fill("Nina Park")
    ada.get_by_label("E-mail").fill("nina@example.test")
    ada.get_by_label("technician").check()
    ada.get_by_label("Mechanical").check()
    ada.get_by_label("New password (at least 10 characters; empty: unchanged)").fill(PASSWORD)
    ada.get_by_role("button", name="Save").click()
    expect(ada.locator("tr[data-user=nina]")).to_contain_text("technician")
    shot(ada, "admin-people")
    nina = browser.new_context(**PHONE).new_page()
    sign_in(nina, site.url, "nina")
    assert nina.goto(f"{site.url}/app/admin/users").status == 403  # type: ignore[union-attr]
    other = browser.new_context(**PHONE)
    sign_in(other.new_page(), site.url, "rita")
    (cookie,) = [c for c in other.cookies() if c["name"] == "pw_session"]
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Lax"
