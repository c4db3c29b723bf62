"""Who is calling /api/v1: the user of a Bearer token, or anonymous. Never the session cookie.

The API is exempt from CSRF because it does not read cookies at all: a browser that holds a session cannot be
tricked into acting through the API. Flask-Login's current_user is pinned to the token's user (or anonymous) for
API requests, so nothing downstream falls back to the session.
"""
from copy import deepcopy
from functools import wraps

from flask import current_app, g, request
from flask_login import AnonymousUserMixin

from app.accounts import permissions as perm
from app.api import tokens
from app.api.problems import is_api_request, problem
from app.errors import DomainError
from app.extensions import db


class Unauthenticated(DomainError):
    status_code = 401

    def __init__(self, message: str = "需要有效的 API 令牌（Authorization: Bearer <令牌>）"):
        super().__init__(message)


def identify() -> None:
    """before_request: resolve the token; remember a bad one, refused after the rate limit is counted."""
    if not is_api_request():
        return
    g.api_token = None
    g.api_auth_error = None
    g._login_user = AnonymousUserMixin()  # Flask-Login must not load the session's user
    header = request.headers.get("Authorization")
    if header is None:
        return
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        g.api_auth_error = "Authorization 请求头须为 “Bearer <令牌>”"
        return
    token, user = tokens.authenticate(secret.strip())
    if token is None:
        g.api_auth_error = "API 令牌无效或已吊销"
        return
    if db.session.dirty:
        db.session.commit()  # last_used_at
    g.api_token = token
    g._login_user = user


def refuse_bad_token():
    """before_request (after the rate limiter): a presented but invalid token is 401, even on public endpoints."""
    if is_api_request() and g.get("api_auth_error"):
        return problem(401, g.api_auth_error, headers={"WWW-Authenticate": 'Bearer realm="yjtm", error="invalid_token"'})
    return None


def rate_key() -> str:
    token = g.get("api_token")
    return f"token:{token.id}" if token is not None else f"ip:{request.remote_addr or 'unknown'}"


def rate_limit() -> str:
    cfg = current_app.config
    return cfg["API_RATE_LIMIT_TOKEN"] if g.get("api_token") is not None else cfg["API_RATE_LIMIT_ANON"]


def user():
    """The caller: a User, or an anonymous user object that every permission predicate understands."""
    return g._login_user if g.get("api_token") is not None else AnonymousUserMixin()


def _documented(wrapper, security):
    # flask-smorest reads the operation's documentation from _apidoc; copy it so the view's own is not shared
    wrapper._apidoc = deepcopy(getattr(wrapper, "_apidoc", {}))
    wrapper._apidoc.setdefault("manual_doc", {})["security"] = security
    return wrapper


def require_token(view):
    """The endpoint needs a token (401 without one). What the token's user may do is decided by the services."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.get("api_token") is None:
            raise Unauthenticated()
        return view(*args, **kwargs)

    return _documented(wrapper, [{"bearerAuth": []}])


def optional_token(view):
    """Public endpoint; a token may show more (e.g. one's own unpublished listings)."""
    return _documented(view, [{}, {"bearerAuth": []}])


def require_bureau_token(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.get("api_token") is None:
            raise Unauthenticated()
        perm.require_bureau(user())
        return view(*args, **kwargs)

    return _documented(wrapper, [{"bearerAuth": []}])
