"""Users through the API: admins only, validated, never a password shown."""

from __future__ import annotations

from cloud.security import Role
from tests.cloud.conftest import Cloud


def test_admins_manage_users_and_nobody_sees_a_password(cloud: Cloud) -> None:
    admin = cloud.auth(cloud.keys[Role.ADMIN])
    cloud.client.put("/api/v1/teams/hvac", json={"name": "HVAC"}, headers=admin)
    body = {
        "name": "Wei Zhang",
        "email": "wei@campus.example",
        "language": "zh",
        "timezone": "Asia/Shanghai",
        "roles": ["technician"],
        "teams": ["hvac"],
        "password": "a-long-password-1",
    }
    rsp = cloud.client.put("/api/v1/users/wei", json=body, headers=admin)
    assert rsp.status_code == 200, rsp.text
    assert rsp.json() == {
        "username": "wei",
        "name": "Wei Zhang",
        "email": "wei@campus.example",
        "phone": "",
        "language": "zh",
        "timezone": "Asia/Shanghai",
        "roles": ["technician"],
        "teams": ["hvac"],
        "sites": [],
        "page_webhook": "",
        "page_topic": "",
        "page_apprise_set": False,
        "can_sign_in": True,
    }
    # an Apprise URL may hold a token: set, it is never shown back, and a change that does
    # not name it leaves it as it was
    token = "ntfy://user:s3cret@127.0.0.1/pages"
    rsp = cloud.client.put("/api/v1/users/wei", json=body | {"page_apprise": token}, headers=admin)
    assert rsp.json()["page_apprise_set"] is True and "s3cret" not in rsp.text
    rsp = cloud.client.put("/api/v1/users/wei", json=body, headers=admin)
    assert rsp.json()["page_apprise_set"] is True
    rsp = cloud.client.put("/api/v1/users/wei", json=body | {"page_apprise": ""}, headers=admin)
    assert rsp.json()["page_apprise_set"] is False
    listed = cloud.client.get("/api/v1/users", headers=admin).json()
    assert [u["username"] for u in listed] == ["wei"] and "password" not in str(listed)
    for change, reason in (
        ({"teams": ["nope"]}, "unknown_team"),
        ({"timezone": "Mars/Olympus"}, "bad_timezone"),
        ({"password": "short"}, "malformed"),
        ({"page_apprise": "not a url"}, "bad_apprise"),
    ):
        rsp = cloud.client.put("/api/v1/users/wei", json=body | change, headers=admin)
        assert rsp.status_code == 422 and rsp.json()["reason"] == reason, rsp.text
    disp = cloud.auth(cloud.keys[Role.DISPATCHER])
    assert cloud.client.get("/api/v1/users", headers=disp).status_code == 403
    assert cloud.client.put("/api/v1/users/x", json=body, headers=disp).status_code == 403
