"""Audit log of security-relevant actions; login throttling and lockout; a repeated form post creates one record."""
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.extensions import db
from app.listings.models import Need
from tests.conftest import PASSWORD, csrf_token, login, make_user


def _login_attempt(client, email, password):
    return client.post("/login", data={"email": email, "password": password, "csrf_token": csrf_token(client, "/login")})


def test_lockout_after_repeated_failures(app):
    user = make_user("enterprise")
    client = app.test_client()
    for _ in range(5):
        assert "邮箱或密码不正确" in _login_attempt(client, user.email, "wrong-pass1").get_data(as_text=True)
    # even the right password is refused while locked
    resp = _login_attempt(client, user.email, PASSWORD)
    assert resp.status_code == 429 and "登录失败次数过多" in resp.get_data(as_text=True)
    assert client.get("/my/listings").status_code == 302
    # another account is not locked by this one's failures
    other = make_user("enterprise")
    assert _login_attempt(app.test_client(), other.email, PASSWORD).status_code == 302
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.subject == user.email)).all()
    assert actions.count("login_failed") == 5 and "login_locked" in actions


def test_audit_log_records_and_is_for_the_bureau(app, client):
    org_user = make_user("enterprise", verified=False)
    bureau = make_user("bureau")
    login(client, bureau)
    client.post(f"/bureau/organizations/{org_user.organization_id}/verify", data={"csrf_token": csrf_token(client, "/")})
    page = client.get("/bureau/audit").get_data(as_text=True)
    assert "认证单位" in page and org_user.organization.name in page and "登录成功" in page
    other = app.test_client()
    login(other, make_user("enterprise"))
    assert other.get("/bureau/audit").status_code == 403


def test_repeated_post_of_one_form_creates_one_need(client):
    login(client, make_user("enterprise"))
    html = client.get("/needs/new").get_data(as_text=True)
    import re
    key = re.search(r'name="submission_key" type="hidden" value="([0-9a-f]{32})"', html).group(1)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    data = {"csrf_token": token, "submission_key": key, "title": "重复提交测验需求", "description": "双击提交按钮时只应保存一条需求记录。",
            "industry_code": "pump_valve", "cooperation_mode": "service", "submit": "1"}
    first = client.post("/needs/new", data=data)
    second = client.post("/needs/new", data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(Need).where(Need.title == "重复提交测验需求")) == 1
