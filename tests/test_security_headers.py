"""Security headers on every page; cookies flagged; production refuses to start without a SECRET_KEY."""
import pytest

from tests.conftest import login, make_user


def test_security_headers(client):
    resp = client.get("/")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"


def test_pages_have_no_inline_script_or_handlers(client):
    """The CSP forbids inline script; a page that relied on it would silently break."""
    import re
    user = make_user("enterprise")
    login(client, user)
    for url in ("/", "/needs", "/achievements", "/login", "/my/listings", "/needs/new"):
        html = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert not re.search(r"\son(submit|click|load|change)=", html), url


def test_session_cookie_flags(client):
    user = make_user("enterprise")
    resp = login(client, user)
    cookie = resp.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_requires_secret_key(monkeypatch):
    from app import create_app
    from config import ProductionConfig
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)
