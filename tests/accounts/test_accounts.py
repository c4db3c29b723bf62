from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from app.accounts.models import Organization, User
from app.extensions import db
from tests.conftest import PASSWORD, csrf_token, login, make_user

REG = {"org_kind": "enterprise", "org_name": "永嘉县新阀科技有限公司", "credit_code": "91330324MA2HXXXX1B",
       "town_code": "sanjiang", "region": "浙江省温州市永嘉县", "industry_code": "pump_valve", "name": "林小军",
       "phone": "13857700000", "email": "Lin@Xinfa.cn", "password": "Valve2026ok", "password2": "Valve2026ok",
       "description": ""}


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_register_creates_unverified_org_and_user(client):
    resp = client.post("/register", data={**REG, "csrf_token": csrf_token(client, "/register")})
    assert resp.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "lin@xinfa.cn"))
    assert user.role == "enterprise" and user.organization.name == "永嘉县新阀科技有限公司"
    assert not user.organization.verified
    assert user.password_hash != "Valve2026ok" and check_password_hash(user.password_hash, "Valve2026ok")
    assert "待科技局认证" in client.get("/my/listings").get_data(as_text=True)


def test_duplicate_registration_refused_and_nothing_saved(app, client):
    client.post("/register", data={**REG, "csrf_token": csrf_token(client, "/register")})
    orgs, users = _count(Organization), _count(User)
    other = app.test_client()
    resp = other.post("/register", data={**REG, "org_name": "另一家公司", "credit_code": "91330324MA2HYYYY2C",
                                         "csrf_token": csrf_token(other, "/register")})
    assert resp.status_code == 200 and "该邮箱已注册" in resp.get_data(as_text=True)
    resp = other.post("/register", data={**REG, "email": "new@xinfa.cn", "csrf_token": csrf_token(other, "/register")})
    html = resp.get_data(as_text=True)
    assert "该统一社会信用代码已注册" in html and "该单位名称已注册" in html
    assert (_count(Organization), _count(User)) == (orgs, users)


def test_register_bad_input(client):
    for over, msg in [({"password": "short", "password2": "short"}, "密码至少8位"),
                      ({"password2": "Different1"}, "两次输入的密码不一致"),
                      ({"credit_code": "123"}, "统一社会信用代码应为18位"),
                      ({"email": "not-an-email"}, "邮箱格式不正确"),
                      ({"org_kind": "bureau"}, "不是有效的选择")]:
        resp = client.post("/register", data={**REG, **over, "csrf_token": csrf_token(client, "/register")})
        assert msg in resp.get_data(as_text=True), msg
    assert db.session.scalar(select(User).where(User.email == "lin@xinfa.cn")) is None


def test_login_logout_and_wrong_password(client):
    user = make_user("enterprise")
    resp = client.post("/login", data={"email": user.email, "password": "wrong-pass1",
                                       "csrf_token": csrf_token(client, "/login")})
    assert "邮箱或密码不正确" in resp.get_data(as_text=True)
    assert client.get("/my/listings").status_code == 302
    login(client, user)
    assert client.get("/my/listings").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert client.get("/my/listings").status_code == 302


def test_open_redirect_refused(client):
    user = make_user("enterprise")
    resp = client.post("/login?next=https://evil.example/", data={
        "email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client, "/login")})
    assert resp.status_code == 302 and "evil.example" not in resp.headers["Location"]


def test_inactive_user_cannot_log_in(client):
    user = make_user("enterprise", active=False)
    resp = client.post("/login", data={"email": user.email, "password": PASSWORD,
                                       "csrf_token": csrf_token(client, "/login")})
    assert resp.status_code == 200 and "邮箱或密码不正确" in resp.get_data(as_text=True)


def test_password_change(client):
    user = make_user("university")
    login(client, user)
    resp = client.post("/account/password", data={"current": "bad", "password": "NewPass2027", "password2": "NewPass2027",
                                                   "csrf_token": csrf_token(client, "/account/password")})
    assert "当前密码不正确" in resp.get_data(as_text=True)
    client.post("/account/password", data={"current": PASSWORD, "password": "NewPass2027", "password2": "NewPass2027",
                                            "csrf_token": csrf_token(client, "/account/password")})
    db.session.refresh(user)
    assert check_password_hash(user.password_hash, "NewPass2027")


def test_a_new_password_signs_out_the_other_sessions(app, client):
    user = make_user("enterprise")
    db.session.commit()
    other = app.test_client()  # the same account in another browser
    login(client, user)
    login(other, user)
    assert other.get("/my/listings").status_code == 200
    r = client.post("/account/password", data={"current": PASSWORD, "password": "NewPass2027",
                                                 "password2": "NewPass2027",
                                                 "csrf_token": csrf_token(client, "/account/password")})
    assert r.status_code == 302
    assert client.get("/my/listings").status_code == 200  # the browser that changed it stays signed in
    r = other.get("/my/listings")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    login(other, user.email, "NewPass2027")
    assert other.get("/my/listings").status_code == 200


def test_bureau_verifies_organization(client):
    org_user = make_user("enterprise", verified=False)
    login(client, make_user("bureau"))
    assert org_user.organization.name in client.get("/bureau/organizations").get_data(as_text=True)
    client.post(f"/bureau/organizations/{org_user.organization_id}/verify", data={"csrf_token": csrf_token(client, "/")})
    db.session.refresh(org_user.organization)
    assert org_user.organization.verified


def test_cli_creates_bureau_admin(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["accounts", "create-bureau-admin", "--email", "chief@yjkj.gov.cn", "--name", "局长",
                                 "--password", "Admin2026x"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "chief@yjkj.gov.cn"))
    assert user.role == "admin" and user.organization.kind == "government"
    result = runner.invoke(args=["accounts", "create-bureau-admin", "--email", "chief@yjkj.gov.cn", "--name", "x",
                                 "--password", "Admin2026x"])
    assert result.exit_code != 0 and "该邮箱已注册" in result.output
