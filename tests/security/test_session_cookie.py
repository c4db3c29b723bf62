"""The session cookie verified once per app (app/api/__init__.py::_verified_once) and a session's CSRF token signed
once per kept-copy age (app/pageshell.py::_csrf): faster, and no weaker — a changed cookie is verified again, an old one
still expires, a request's changes never leak into the next, a token is only ever its own session's."""
import re

from flask import request

from app.api import _verified_once
from tests.conftest import login, make_user


def _signed_in_cookie(app):
    """(a user, the session cookie of their login)."""
    user = make_user("enterprise")
    client = app.test_client()
    login(client, user)
    return user, client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session")).value


def _open(app, cookie: str):
    with app.test_request_context("/", headers={"Cookie": f"{app.config.get('SESSION_COOKIE_NAME', 'session')}={cookie}"}):
        return _verified_once(app.session_interface, app, request)


def test_a_verified_cookie_gives_the_same_session_and_each_request_its_own_copy(app):
    user, cookie = _signed_in_cookie(app)
    first = _open(app, cookie)
    assert first["_user_id"] == user.get_id()
    flashed = len(first.get("_flashes", []))
    first.setdefault("_flashes", []).append(("info", "改动"))  # what one request does to its session…
    first["probe"] = 1
    second = _open(app, cookie)  # …the next request with the same cookie (from the kept copy) does not see
    assert second["_user_id"] == user.get_id() and "probe" not in second
    assert len(second.get("_flashes", [])) == flashed


def test_a_changed_cookie_is_verified_again(app):
    _, cookie = _signed_in_cookie(app)
    assert _open(app, cookie)["_user_id"]
    payload, stamp, signature = cookie.rsplit(".", 2)
    forged = f"{payload}.{stamp}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    assert dict(_open(app, forged)) == {}


def test_a_kept_cookie_still_expires(app, monkeypatch):
    import time

    from app import api
    _, cookie = _signed_in_cookie(app)
    assert _open(app, cookie)["_user_id"]
    later = time.time() + app.permanent_session_lifetime.total_seconds() + 60
    monkeypatch.setattr(api.time, "time", lambda: later)
    import itsdangerous.timed
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: later)
    assert dict(_open(app, cookie)) == {}


def test_csrf_tokens_are_reused_within_a_session_only_and_stay_valid(app, monkeypatch):
    import time

    from flask import g
    a, b = make_user("enterprise"), make_user("enterprise")
    first, second = app.test_client(), app.test_client()
    login(first, a)
    login(second, b)
    tokens, real = [], time.time
    for i, client in enumerate((first, first, second)):
        # seconds apart: a token signed afresh would carry another timestamp
        monkeypatch.setattr(time, "time", lambda i=i: real() + 5 * i)
        g.pop("csrf_token", None)
        g.pop("_login_user", None)
        html = client.get("/notifications").get_data(as_text=True)
        tokens.append(re.search(r'name="csrf_token" value="([^"]+)"', html).group(1))
    assert tokens[0] == tokens[1] and tokens[2] != tokens[0]
    g.pop("csrf_token", None)
    g.pop("_login_user", None)
    assert first.post("/notifications/read-all", data={"csrf_token": tokens[1]}).status_code == 302
    g.pop("_login_user", None)
    assert second.post("/notifications/read-all", data={"csrf_token": tokens[0]}).status_code == 400  # not b's


def test_a_cookie_verified_by_one_app_is_verified_again_by_an_app_with_another_key(app):
    """The kept verifications belong to the app (its secret key), not to the process."""
    from app import create_app
    from config import TestConfig
    _, cookie = _signed_in_cookie(app)
    assert _open(app, cookie)["_user_id"]

    class OtherKey(TestConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        SECRET_KEY = "another-secret-key-for-this-test-only"

    assert dict(_open(create_app(OtherKey), cookie)) == {}
