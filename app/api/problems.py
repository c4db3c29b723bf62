"""One error format for everything under /api/v1: application/problem+json (RFC 9457) with a Chinese detail.

{"type": "https://…/problems/validation", "title": "Unprocessable Content", "status": 422,
 "detail": "提交的信息有误…", "errors": {"field": ["message"]}}
"""
from flask import Response, json, request
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

PROBLEM_MIMETYPE = "application/problem+json"
API_PREFIX = "/api/v1"

# default Chinese detail per status, used when nothing more precise is known
DETAILS = {
    400: "请求格式有误",
    401: "需要有效的 API 令牌（Authorization: Bearer <令牌>）",
    403: "您没有权限执行此操作",
    404: "请求的资源不存在",
    405: "该地址不支持此请求方法",
    406: "无法提供所请求的内容格式",
    409: "当前状态不允许此操作",
    412: "资源已被他人修改，请重新获取后再提交（If-Match 与当前 ETag 不符）",
    413: "请求体过大",
    415: "请以 application/json 提交请求体",
    422: "提交的信息有误，请检查 errors 中的字段",
    428: "修改须带上 If-Match 请求头（取自该资源 GET 响应的 ETag）",
    429: "请求过于频繁，请稍后再试",
    500: "服务器出错了，请稍后再试",
}
# a stable type URI per kind of problem, so clients can branch on it without parsing text
TYPES = {
    400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found", 405: "method-not-allowed",
    409: "conflict", 412: "precondition-failed", 415: "unsupported-media-type", 422: "validation",
    428: "precondition-required", 429: "rate-limited", 500: "server-error",
}


def is_api_request() -> bool:
    return request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")


def problem(status: int, detail: str | None = None, errors: dict | None = None, headers=None) -> Response:
    body = {
        "type": f"/api/v1/problems/{TYPES.get(status, 'error')}",
        "title": HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
        "detail": detail or DETAILS.get(status) or DETAILS[500 if status >= 500 else 400],
    }
    if errors:
        body["errors"] = {k: v if isinstance(v, list) else [v] for k, v in _flatten(errors).items()}
    resp = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_MIMETYPE)
    for k, v in (headers or {}).items() if isinstance(headers, dict) else (headers or []):
        resp.headers[k] = v
    return resp


def _flatten(errors: dict, prefix: str = "") -> dict:
    """webargs nests errors by location ({"json": {"title": [...]}}); clients want field -> messages."""
    out: dict = {}
    for key, value in errors.items():
        if key in ("json", "query", "headers", "view_args", "form", "files") and isinstance(value, dict) and not prefix:
            out.update(_flatten(value, prefix))
            continue
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            out.update(_flatten(value, name))
        elif isinstance(value, list):
            out[name] = [str(v) for v in value]
        else:
            out[name] = [str(value)]
    return out


def from_http_exception(err: HTTPException) -> Response:
    status = err.code or 500
    data = getattr(err, "data", None) or {}
    errors = data.get("errors") or data.get("messages")
    detail = data.get("message") if isinstance(data.get("message"), str) else None
    if status == 422 and errors:
        detail = "提交的信息有误，请检查 errors 中的字段"
    headers = {}
    if isinstance(data.get("headers"), dict):
        headers.update(data["headers"])
    # keep headers werkzeug puts on the exception (Allow on 405, WWW-Authenticate on 401)
    for k, v in err.get_headers():
        if k.lower() not in ("content-type", "content-length"):
            headers[k] = v
    if status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="yjtm"')
    return problem(status, detail, errors if isinstance(errors, dict) else None, headers)


def from_domain_error(err) -> Response:
    status = err.status_code
    errors = err.field_errors or None
    if errors and status == 400:
        status = 422  # the API reports every field-level refusal as 422 with `errors`
    return problem(status, err.message, errors)
