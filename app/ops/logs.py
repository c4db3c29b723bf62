"""Structured logs: a request id on every request and on every log record made while serving it, the Celery task id
on records made inside a task, and one access line per request.

Kept cheap on purpose (the pages are load-tested): the request id lives in a context variable, the record factory
reads it and the current Celery task, the access line is one log call and, in JSON, one json.dumps. No database
access: the user id is read from the user Flask-Login already loaded for the request, if any.
"""
import contextvars
import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from celery._state import get_current_task  # the same lookup as Celery's own TaskFormatter
from flask import Flask, g, request
from flask.logging import default_handler
from sqlalchemy import inspect as sa_inspect

REQUEST_ID_HEADER = "X-Request-ID"
# an id from a proxy or client is kept when it is short and plain (no spaces, quotes or line breaks)
_SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+/=-]{0,127}", re.ASCII)
# successful probes are logged at DEBUG (a load balancer asks every few seconds), failed ones at WARNING
_PROBE_PATHS = frozenset({"/healthz", "/readyz"})

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
access_log = logging.getLogger("app.access")


# -- log records ---------------------------------------------------------------------------------------------------

def _install_record_factory() -> None:
    """Every LogRecord made in this process gets request_id and task_id (None outside a request / task)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "_yjtm_context", False):
        return

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        record.request_id = request_id_var.get()
        task = get_current_task()
        if task is not None and task.request is not None and task.request.id:
            record.task_id = task.request.id
            record.task_name = task.name
        else:
            record.task_id = record.task_name = None
        return record

    factory._yjtm_context = True
    logging.setLogRecordFactory(factory)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ms), level, logger, message, request_id/task_id when set, the access
    fields of an access line, exc (traceback) when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None)
        if rid:
            out["request_id"] = rid
        tid = getattr(record, "task_id", None)
        if tid:
            out["task_id"] = tid
            out["task_name"] = record.task_name
        fields = getattr(record, "fields", None)
        if fields:
            out.update(fields)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            out["exc"] = record.exc_text
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        return json.dumps(out, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """For people at a terminal: `time LEVEL logger [req=… | task=…]: message`."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s%(context)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        rid = getattr(record, "request_id", None)
        tid = getattr(record, "task_id", None)
        if rid:
            record.context = f" [req={rid}]"
        elif tid:
            record.context = f" [task={getattr(record, 'task_name', '')}:{tid}]"
        else:
            record.context = ""
        return super().format(record)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (as logging.lastResort), never to a stream closed since."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


def make_formatter(fmt: str) -> logging.Formatter:
    if fmt == "json":
        return JsonFormatter()
    if fmt == "text":
        return TextFormatter()
    raise ValueError(f"LOG_FORMAT must be json or text, not {fmt!r}")


def configure_logging(fmt: str, level: str | int = "INFO", stream_handler: logging.Handler | None = None) -> None:
    """Route every logger through one root handler in `fmt` (json or text). Idempotent: a second call replaces
    the handler it installed before (tests and the Celery worker create more than one app)."""
    _install_record_factory()
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_yjtm", False):
            root.removeHandler(h)
    level = level.upper() if isinstance(level, str) else level
    handler = stream_handler or _StderrHandler()
    handler._yjtm = True
    handler.setFormatter(make_formatter(fmt))
    # on the handler too: records that propagate from a logger set lower (jieba logs DEBUG) stop here
    handler.setLevel(level)
    root.addHandler(handler)
    root.setLevel(level)


# -- requests ------------------------------------------------------------------------------------------------------

def request_id_for(incoming: str | None) -> str:
    """The incoming id when it is plain, else a new one (also used by the page cache, app/pagecache.py)."""
    if incoming and _SANE_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def _incoming_or_new_id() -> str:
    return request_id_for(request.headers.get(REQUEST_ID_HEADER))


def _user_id():
    """The id of the user Flask-Login has already loaded for this request; never loads one (no query)."""
    user = g.get("_login_user")
    if user is None or not hasattr(user, "_sa_instance_state"):
        return None  # not loaded, or anonymous
    identity = sa_inspect(user).identity  # from the identity key: no refresh even if the row was expired
    return identity[0] if identity else None


def _log_access(status: int, level: int | None = None, exc_info=None) -> None:
    if g.get("_ops_logged"):
        return
    g._ops_logged = True
    if level is None:
        if request.path in _PROBE_PATHS:  # a failing probe is a warning, its cause is logged by the check
            level = logging.DEBUG if status < 400 else logging.WARNING
        elif status >= 500:
            level = logging.ERROR
        else:
            level = logging.INFO
    if not access_log.isEnabledFor(level):
        return
    started = g.get("_ops_started")
    ms = round((time.perf_counter() - started) * 1000, 1) if started is not None else None
    write_access_line(level, request.method, request.path, status, ms, _user_id(), request.remote_addr,
                      exc_info=exc_info)


def write_access_line(level: int, method: str, path: str, status: int, ms, user_id, remote_addr, exc_info=None,
                      **extra) -> None:
    """The one access line per request, in one shape for rendered requests and page-cache hits (`extra` fields
    such as cache="hit" are added to it)."""
    fields = {"method": method, "path": path, "status": status, "duration_ms": ms, "user_id": user_id,
              "remote_addr": remote_addr, **extra}
    suffix = " (cache)" if extra.get("cache") else ""
    access_log.log(level, "%s %s %s %sms%s", method, path, status, ms, suffix, extra={"fields": fields},
                   exc_info=exc_info)


def init_request_logging(app: Flask) -> None:
    @app.teardown_request
    def _end(exc):
        if exc is not None:  # the exception escaped every handler (e.g. PROPAGATE_EXCEPTIONS in tests)
            _log_access(500, logging.ERROR, exc_info=exc)
        request_id_var.set(None)

    def _start():
        g._ops_started = time.perf_counter()
        request_id_var.set(_incoming_or_new_id())

    def _finish(response):
        rid = request_id_var.get()
        if rid:
            response.headers[REQUEST_ID_HEADER] = rid
        _log_access(response.status_code)
        return response

    # first before_request (so the others' records carry the id), last after_request (after_request runs in
    # reverse order of registration)
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request_funcs.setdefault(None, []).insert(0, _finish)


def init_app(app: Flask) -> None:
    _install_record_factory()
    if app.config["LOG_STDERR"]:
        configure_logging(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
        app.logger.removeHandler(default_handler)  # the root handler writes app.logger's records
    else:
        make_formatter(app.config["LOG_FORMAT"])  # a wrong value fails at start, not at the first line
    init_request_logging(app)
