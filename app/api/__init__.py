"""The open JSON API, /api/v1 (flask-smorest: marshmallow schemas validate requests and write the OpenAPI document).

init_api(app) wires it: the Api object and its document (/api/v1/openapi.json, Swagger UI at /api/v1/docs served
from static/vendor/swagger-ui, app/api/docs.py), token identification, rate limits (Flask-Limiter; Redis when
REDIS_URL is set, in leases for fast callers, app/api/ratelimit.py; memory otherwise), CSRF exemption. Errors become
application/problem+json in app/__init__.py::_register_errors.
"""
import http
import time

from flask_limiter import Limiter
from flask_smorest import Api as _Api
from flask_smorest.utils import prepare_response
from itsdangerous import BadSignature

from app import pagecache
from app.api import ratelimit  # registers the redis+leased:// storage with limits
from app.api.problems import PROBLEM_MIMETYPE, is_api_request
from app.api.schemas import ProblemSchema

API_DESCRIPTION = """永嘉科技大市场开放接口。

* 认证：在“账号 → API 令牌”页面创建个人令牌，请求时带 `Authorization: Bearer <令牌>`；令牌具有其用户的角色和权限。
  公开的读取接口（已发布的需求、成果、统计概要）无需令牌。
* 金额：以元为单位的精确小数字符串，两位小数，例如 `"125000.00"`；`null` 表示面议。
* 日期：ISO 8601（`2026-06-30`，`2026-06-30T08:00:00+00:00`）。
* 分页：`page`、`per_page`（最大100），响应含 `total`、`pages`；顺序稳定。
* 并发修改：GET 单条需求/成果返回 `ETag`；PUT/PATCH 必须带 `If-Match`，不一致返回 412，缺少返回 428。
* 对接项目的推进、认领、指派为“比较并设置”：他人已先修改时返回 409，请重新获取后再操作。
* 错误：所有 4xx/5xx 均为 `application/problem+json`（`type`、`title`、`status`、中文 `detail`，字段错误在 `errors`）。
* 限流：按令牌（匿名按 IP）计数，超出返回 429 并带 `Retry-After`。
"""


class Api(_Api):
    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        """Not app-wide: the pages keep their HTML errors; app/__init__.py routes /api/v1 errors to problems."""

    def _register_responses(self):
        """As flask-smorest, but error responses are documented as application/problem+json."""
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            content_type = self.DEFAULT_RESPONSE_CONTENT_TYPE
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                content_type = PROBLEM_MIMETYPE
            prepare_response(response, self.spec, content_type)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "错误（application/problem+json）", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_MIMETYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def _rate_key() -> str:
    from app.api.auth import rate_key
    return rate_key()


def _rate_limit() -> str:
    from app.api.auth import rate_limit
    return rate_limit()


def init_api(app) -> None:
    from app.api import auth
    from app.extensions import csrf

    cfg = app.config
    cfg.setdefault("API_TITLE", "永嘉科技大市场开放接口")
    cfg.setdefault("API_VERSION", "v1")
    cfg.setdefault("OPENAPI_VERSION", "3.0.3")
    cfg.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    cfg.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    cfg.setdefault("API_SPEC_OPTIONS", {
        "info": {"description": API_DESCRIPTION},
        "components": {"securitySchemes": {"bearerAuth": {
            "type": "http", "scheme": "bearer", "description": "个人 API 令牌（账号 → API 令牌）"}}},
    })
    cfg.setdefault("API_RATE_LIMIT_TOKEN", "600 per minute")
    cfg.setdefault("API_RATE_LIMIT_ANON", "120 per minute")
    # counts in Redis, taken in small leases by fast callers (app/api/ratelimit.py); memory without Redis
    cfg.setdefault("RATELIMIT_STORAGE_URI", ratelimit.leased_uri(cfg.get("REDIS_URL")) or "memory://")
    cfg.setdefault("RATELIMIT_KEY_PREFIX", "yjtm-api")
    # Redis down: serve the request rather than fail it; limits resume when it is back
    cfg.setdefault("RATELIMIT_SWALLOW_ERRORS", True)

    # identify before the limiter counts, so the count is per token
    app.before_request(auth.identify)
    # One shared budget per token (or per IP when anonymous) across every /api/v1 route; the pages are not limited.
    # No X-RateLimit-* on every answer: they cost two more Redis round trips per call (half the API's, bench/load.py)
    # and are not promised; the documented Retry-After is set on the 429 itself (retry_after below).
    limiter = Limiter(key_func=_rate_key, default_limits=[], application_limits=[_rate_limit],
                      application_limits_exempt_when=lambda: not is_api_request(), headers_enabled=False)
    limiter.init_app(app)
    limiter.request_filter(lambda: not is_api_request())  # pages: skip the limiter's bookkeeping at once
    app.extensions["api_limiter"] = limiter
    app.before_request(auth.refuse_bad_token)

    app.session_interface = _without_api_sessions(app.session_interface)

    api = Api(app)  # one per app: create_app may be called several times in one process (tests)
    from app.api import contracts, deals, docs, inquiries, listings, matches, notifications, statistics
    app.register_blueprint(docs.bp)
    for module in (listings, matches, inquiries, deals, statistics, contracts, notifications):
        for blp in module.blueprints():
            csrf.exempt(blp)
            api.register_blueprint(blp)


def _without_api_sessions(interface):
    """/api/v1 neither reads nor writes the session cookie: token auth only, so CSRF exemption is safe.

    A fresh, throw-away session stands in (code shared with the pages may still flash()); it is never saved.
    """
    base = type(interface)

    class ApiAwareSessionInterface(base):
        def open_session(self, app, request):
            if is_api_request():
                return self.session_class()
            return _verified_once(self, app, request) or super().open_session(app, request)

        def save_session(self, app, session, response):
            if is_api_request():
                return None
            return super().save_session(app, session, response)

    new = ApiAwareSessionInterface.__new__(ApiAwareSessionInterface)
    new.__dict__.update(interface.__dict__)
    return new


def _verified_once(interface, app, request):
    """The session of a cookie this app verified lately (pagecache.kept: per app, so per secret key; LRU, each copy
    at most PUBLIC_PAGE_CACHE_SECONDS), without verifying its signature again: the same bytes carry the same data,
    and the signature's age is still checked. A signed-in page otherwise spent about a tenth of its time on the HMAC,
    zlib and JSON of its cookie. None: not seen lately (then Flask's own open_session)."""
    val = request.cookies.get(interface.get_cookie_name(app))
    if not val or not app.secret_key:
        return None
    max_age = int(app.permanent_session_lifetime.total_seconds())
    verified = pagecache.kept("verified_sessions", 10_000)  # cookie -> (signed at, payload as the serializer's JSON)
    hit = verified.get(None, val)
    if hit is not None and time.time() - hit[0] <= max_age:
        return interface.session_class(interface.serializer.loads(hit[1]))  # a fresh copy: the request may change it
    try:
        data, signed_at = interface.get_signing_serializer(app).loads(val, max_age=max_age, return_timestamp=True)
    except BadSignature:
        return interface.session_class()
    verified.put(None, val, (signed_at.timestamp(), interface.serializer.dumps(data)))
    return interface.session_class(data)


def retry_after(app) -> int:
    """Seconds until the breached limit's window ends (for a 429's Retry-After); 60 when Redis cannot tell."""
    limiter = app.extensions.get("api_limiter")
    try:
        return max(1, int(limiter.current_limit.reset_at - time.time()))
    except Exception:  # no limit breached in this request, or the store unreachable
        return 60
