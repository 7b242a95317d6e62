"""Who a work order pages, in which language, with a link that works once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cloud import crud
from cloud.db import make_engine, migrate, session_factory
from cloud.errors import Forbidden
from cloud.people.paging import Pager
from cloud.people.sessions import peek_link, spend_link
from cloud.people.users import PersonRole, put_user
from cloud.settings import Settings
from cloud.workorders import order_records as orders
from cloud.workorders import teams
from cloud.workorders.sla import Priority
from simulators.config import synthetic_fleet
from simulators.engine import Simulation
from tests.cloud.conftest import SECRET, fleet_manifests

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path) -> tuple[Settings, object]:
    url = f"sqlite:///{tmp_path}/pw.db"
    migrate(url)
    factory = session_factory(make_engine(url))
    sim = Simulation(synthetic_fleet(2, seed=5), horizon_days=1)
    manifest = fleet_manifests(sim, ("gw-a",))["gw-a"]
    with factory() as s:
        crud.apply_manifest(s, crud.create_gateway(s, "gw-a"), manifest)
        teams.put_team(s, "mech", "Mechanical", "lena", "sam")
        teams.replace_routes(s, [("*", "*", "mech")])
        teams.add_shift(s, "tom", "mech", NOW - timedelta(hours=1), NOW + timedelta(hours=8))
        for name, lang, tz, roles in (
            ("tom", "zh", "Asia/Shanghai", [PersonRole.TECHNICIAN]),
            ("lena", "en", "Europe/London", [PersonRole.TECHNICIAN]),
            ("sam", "en", "UTC", [PersonRole.SUPERVISOR]),
        ):
            put_user(
                s,
                name,
                email=f"{name}@example.test",
                language=lang,
                timezone=tz,
                roles=roles,
                teams=["mech"] if name != "sam" else [],
            )
        rep = orders.Report(manifest.assets[0].id, "manual", "x", "Pump leaking", Priority.URGENT)
        orders.report(s, rep, "rita", NOW)
    settings = Settings(secret_key=SECRET, database_url=url, _env_file=None)
    return settings, factory


def test_the_person_on_duty_then_the_lead_then_the_supervisor(db) -> None:  # type: ignore[no-untyped-def]
    settings, factory = db
    pager = Pager(settings, factory)
    with factory() as s:
        first = pager.compose(s, 1, NOW)
        lead = pager.compose(s, 1, NOW, level=1)
        boss = pager.compose(s, 1, NOW, level=2)
    assert first is not None and lead is not None and boss is not None
    assert (first.email, lead.email, boss.email) == (
        "tom@example.test",
        "lena@example.test",
        "sam@example.test",
    )
    assert "工单 1：Pump leaking" in first.body  # noqa: RUF001 (the Chinese colon)
    assert "16:05 CST" in first.body  # 08:05 UTC in Shanghai
    assert lead.subject.startswith("ESCALATED") and "you are level 1" in lead.body
    secret = first.body.split("/app/l/")[1].split()[0]
    with factory() as s:
        assert peek_link(s, secret, SECRET, NOW).order_id == 1
        spend_link(s, secret, SECRET, NOW)
        s.commit()
        with pytest.raises(Forbidden, match="used already"):
            spend_link(s, secret, SECRET, NOW)
        with pytest.raises(Forbidden, match="expired"):
            other = lead.body.split("/app/l/")[1].split()[0]
            peek_link(s, other, SECRET, NOW + timedelta(minutes=31))


def test_an_operators_template_replaces_the_built_in_one(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings, factory = db
    (tmp_path / "page_en.txt").write_text("Order {{ order.id }} for you: {{ ack_url }}\n")
    pager = Pager(settings.model_copy(update={"page_templates": str(tmp_path)}), factory)
    with factory() as s:
        page = pager.compose(s, 1, NOW, level=1)
    assert page is not None and page.body.startswith("Order 1 for you: http://")


def _password_file(user: str, password: str) -> Path:
    """A Mosquitto password file in a folder the broker's own user can read."""
    import subprocess
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="pw-passwd-"))
    folder.chmod(0o755)
    path = folder / "passwd"
    subprocess.run(["mosquitto_passwd", "-b", "-c", str(path), user, password], check=True)
    path.chmod(0o644)  # hashed passwords of a test broker
    return path


@pytest.mark.integration
async def test_a_page_reaches_the_persons_webhook_mqtt_topic_and_apprise(
    db, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Their own Alertmanager-format webhook, their topic on a broker that wants a login, and
    their Apprise URL (Apprise's json:// service, to a real receiver); a channel that fails
    holds up none of the others."""
    import asyncio
    import json
    import shutil

    import paho.mqtt.client as mqtt

    from tests.cloud.alerts.test_alerts import Receiver, webhook_server
    from tests.servers import mosquitto

    settings, factory = db
    passwords = await asyncio.to_thread(_password_file, "pager", "pager-secret-1")
    folder = passwords.parent
    with (
        webhook_server() as url,
        mosquitto(tmp_path, f"password_file {passwords}\n", anonymous=False) as broker,
    ):
        with factory() as s:
            put_user(
                s,
                "tom",
                email="",
                language="en",
                roles=[PersonRole.TECHNICIAN],
                teams=["mech"],
                page_webhook=url,
                page_topic="pages/tom",
                page_apprise=url.replace("http://", "json://"),
            )
        got: list[bytes] = []
        sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        sub.username_pw_set("pager", "pager-secret-1")
        sub.on_message = lambda c, u, m: got.append(m.payload)
        sub.connect("127.0.0.1", broker.port)
        sub.subscribe("pages/#", qos=1)
        sub.loop_start()
        await asyncio.sleep(0.5)
        pager = Pager(
            settings.model_copy(
                update={
                    "alert_mqtt_host": "127.0.0.1",
                    "alert_mqtt_port": broker.port,
                    "alert_mqtt_username": "pager",
                    "alert_mqtt_password": "pager-secret-1",
                }
            ),
            factory,
        )
        page = await pager.page(1)
        for _ in range(50):
            if got:
                break
            await asyncio.sleep(0.1)
        sub.loop_stop()
        wrong = Pager(
            settings.model_copy(
                update={
                    "alert_mqtt_host": "127.0.0.1",
                    "alert_mqtt_port": broker.port,
                    "alert_mqtt_username": "pager",
                    "alert_mqtt_password": "wrong",
                }
            ),
            factory,
        )
        # refused by the broker: logged, not raised, and the other channels still went
        assert await wrong.page(1) is not None
    shutil.rmtree(folder)
    assert page is not None and page.email == ""
    hooks = [b for b in Receiver.bodies if "alerts" in b]
    by_apprise = [b for b in Receiver.bodies if "title" in b]
    assert len(hooks) == 2 and len(by_apprise) == 2  # both pagers, MQTT refused or not
    assert by_apprise[0]["title"] == page.subject and page.open_url in by_apprise[0]["message"]
    alert = hooks[0]["alerts"][0]
    assert alert["labels"]["recipient"] == "tom" and alert["labels"]["work_order"] == "1"
    assert alert["annotations"]["acknowledge_url"] == page.ack_url
    (message,) = got
    assert json.loads(message)["alerts"][0]["annotations"]["summary"] == page.subject
