"""Personal API tokens: created and revoked on /account/tokens, stored hashed, shown once, acting as their user."""
import hashlib
import re

from sqlalchemy import select

from app.api.models import ApiToken
from app.extensions import db
from tests.api.conftest import bearer, is_problem
from tests.conftest import csrf_token, login, make_user

SECRET_RE = re.compile(r'id="token-secret">(yjtm_[A-Za-z0-9_\-]+)<')


def _create_on_page(client, name="成果同步"):
    resp = client.post("/account/tokens", data={"name": name, "csrf_token": csrf_token(client, "/account/tokens")})
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store"
    m = SECRET_RE.search(resp.get_data(as_text=True))
    assert m, resp.get_data(as_text=True)[:2000]
    return m.group(1)


def test_create_show_once_hashed_and_usable(client):
    user = make_user("university")
    login(client, user)
    secret = _create_on_page(client)
    # stored hashed: the secret itself is nowhere in the table
    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {row.token_hash, row.prefix, row.name} and secret.startswith(row.prefix)
    # shown once: the list shows only the prefix
    page = client.get("/account/tokens").get_data(as_text=True)
    assert secret not in page and row.prefix in page and "成果同步" in page
    # the session cookie never carries it
    assert secret not in (client.get_cookie("session").value if client.get_cookie("session") else "")
    # acts as its user, with the user's role; last use is recorded
    anon = client.application.test_client()
    me = anon.get("/api/v1/me", headers=bearer(secret))
    assert me.status_code == 200
    assert me.get_json()["role"] == "university" and me.get_json()["id"] == user.id
    db.session.refresh(row)
    assert row.last_used_at is not None


def test_revoke_stops_the_token(client):
    user = make_user("enterprise")
    login(client, user)
    secret = _create_on_page(client)
    api = client.application.test_client()
    assert api.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    resp = client.post(f"/account/tokens/{row.id}/revoke", data={"csrf_token": csrf_token(client, "/account/tokens")})
    assert resp.status_code == 302
    db.session.refresh(row)
    assert row.revoked_at is not None
    body = is_problem(api.get("/api/v1/me", headers=bearer(secret)), 401)
    assert "吊销" in body["detail"]
    assert "Bearer" in api.get("/api/v1/me", headers=bearer(secret)).headers["WWW-Authenticate"]


def test_cannot_revoke_someone_elses_token(client):
    owner, other = make_user("enterprise"), make_user("enterprise")
    login(client, owner)
    _create_on_page(client)
    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == owner.id))
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, other)
    client.post(f"/account/tokens/{row.id}/revoke", data={"csrf_token": csrf_token(client, "/account/tokens")})
    db.session.refresh(row)
    assert row.revoked_at is None


def test_token_page_needs_login_and_keeps_csrf(client):
    assert client.get("/account/tokens").status_code == 302
    login(client, make_user("enterprise"))
    resp = client.post("/account/tokens", data={"name": "无令牌提交"})
    assert resp.status_code == 400  # the pages keep CSRF; only /api/v1 is exempt
    assert db.session.scalar(select(ApiToken).where(ApiToken.name == "无令牌提交")) is None


def test_empty_name_is_refused(client):
    login(client, make_user("enterprise"))
    resp = client.post("/account/tokens", data={"name": "  ", "csrf_token": csrf_token(client, "/account/tokens")})
    assert resp.status_code == 200 and "请填写令牌名称" in resp.get_data(as_text=True)
    assert not SECRET_RE.search(resp.get_data(as_text=True))


def test_api_ignores_session_cookie(client):
    """A logged-in browser without a token is anonymous to the API: cookies cannot act through it (no CSRF)."""
    login(client, make_user("enterprise"))
    is_problem(client.get("/api/v1/me"), 401)
    resp = client.post("/api/v1/needs", json={"title": "x"})
    is_problem(resp, 401)
    assert "Set-Cookie" not in resp.headers


def test_malformed_authorization_is_401_even_on_public_endpoints(client):
    is_problem(client.get("/api/v1/needs", headers={"Authorization": "Basic abc"}), 401)
    is_problem(client.get("/api/v1/needs", headers=bearer("yjtm_not-a-real-token")), 401)
    assert client.get("/api/v1/needs").status_code == 200


def test_inactive_user_token_is_refused(client):
    from tests.api.conftest import token_for
    user = make_user("enterprise")
    secret = token_for(user)
    user.active = False
    db.session.flush()
    is_problem(client.get("/api/v1/me", headers=bearer(secret)), 401)
