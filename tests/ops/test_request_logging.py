"""Request ids and structured logs: the X-Request-ID header, one access record per request with its fields, the
request id on every record made while serving it, the task id on records made inside a task, JSON lines."""
import io
import json
import logging
import re

import pytest

from app import create_app
from app.ops import logs
from config import TestConfig
from tests.conftest import login, make_user, recorded_statements

HEX32 = re.compile(r"[0-9a-f]{32}")


def _access_records(caplog, path):
    return [r for r in caplog.records if r.name == "app.access" and r.fields["path"] == path]


@pytest.fixture
def own_app(app):
    """An app of our own, so that routes can be added before its first request."""
    cfg = type("LogConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    a = create_app(cfg)

    @a.get("/_test/log")
    def _log_something():
        logging.getLogger("app.something").warning("做了一件事")
        return "ok"

    @a.get("/_test/boom")
    def _boom():
        raise RuntimeError("boom")

    @a.get("/_test/slow")
    def _slow():
        import time
        time.sleep(0.05)
        return "ok"

    return a


def test_every_response_has_a_fresh_request_id(client):
    a = client.get("/login").headers["X-Request-ID"]
    b = client.get("/login").headers["X-Request-ID"]
    assert HEX32.fullmatch(a) and HEX32.fullmatch(b) and a != b


def test_a_sane_incoming_request_id_is_echoed(client):
    rid = "edge-7f3a.1:2024/abc=="
    assert client.get("/healthz", headers={"X-Request-ID": rid}).headers["X-Request-ID"] == rid


@pytest.mark.parametrize("bad", ["x" * 129, "has space", 'quo"te', "<script>", "-starts-with-dash", "中文"])
def test_an_odd_incoming_request_id_is_replaced(client, bad):
    got = client.get("/healthz", headers={"X-Request-ID": bad.encode("utf-8").decode("latin-1")}).headers["X-Request-ID"]
    assert got != bad and HEX32.fullmatch(got)


def test_one_access_record_per_request_with_its_fields(client, caplog):
    caplog.set_level(logging.INFO, logger="app.access")
    resp = client.get("/login?next=/secret-query", headers={"X-Request-ID": "req-123"})
    [rec] = _access_records(caplog, "/login")
    assert rec.levelno == logging.INFO
    assert rec.request_id == "req-123" == resp.headers["X-Request-ID"]
    f = rec.fields
    assert (f["method"], f["path"], f["status"], f["user_id"]) == ("GET", "/login", 200, None)
    assert f["remote_addr"] == "127.0.0.1"
    assert isinstance(f["duration_ms"], float) and f["duration_ms"] >= 0

    line = json.loads(logs.JsonFormatter().format(rec))
    for key in ("time", "level", "logger", "message", "request_id", "method", "path", "status", "duration_ms",
                "user_id", "remote_addr"):
        assert key in line, key
    assert line["request_id"] == "req-123" and line["status"] == 200 and line["level"] == "INFO"
    assert line["time"].endswith("+00:00")
    assert "secret-query" not in json.dumps(line)  # the path only, no query string


def test_access_record_names_the_signed_in_user_without_a_query(client, app, caplog):

    user = make_user("enterprise")
    login(client, user)
    caplog.set_level(logging.INFO, logger="app.access")
    with recorded_statements() as statements:
        client.get("/notifications")
    [rec] = _access_records(caplog, "/notifications")
    assert rec.fields["user_id"] == user.id and rec.fields["status"] == 200
    # the probe answers with the logged-in cookie without loading the user just for the log line
    with recorded_statements() as probe_statements:
        client.get("/healthz")
    assert probe_statements == [] and statements


def test_status_and_duration_are_real(own_app, caplog):
    caplog.set_level(logging.INFO, logger="app.access")
    c = own_app.test_client()
    c.get("/no-such-page")
    c.get("/_test/slow")
    [missing] = _access_records(caplog, "/no-such-page")
    [slow] = _access_records(caplog, "/_test/slow")
    assert missing.fields["status"] == 404 and missing.levelno == logging.INFO
    assert slow.fields["status"] == 200 and slow.fields["duration_ms"] >= 50


def test_records_made_during_a_request_carry_its_id(own_app, caplog):
    caplog.set_level(logging.INFO)
    resp = own_app.test_client().get("/_test/log")
    [rec] = [r for r in caplog.records if r.name == "app.something"]
    assert rec.request_id == resp.headers["X-Request-ID"]
    # and none is left behind once the request is over
    logging.getLogger("app.something").warning("之后")
    assert caplog.records[-1].request_id is None


def test_an_unhandled_error_is_logged_with_status_500(own_app, caplog):
    caplog.set_level(logging.INFO, logger="app.access")
    with pytest.raises(RuntimeError):  # TESTING propagates exceptions; the access line is still written
        own_app.test_client().get("/_test/boom")
    [rec] = _access_records(caplog, "/_test/boom")
    assert rec.fields["status"] == 500 and rec.levelno == logging.ERROR and rec.exc_info
    assert "RuntimeError: boom" in json.loads(logs.JsonFormatter().format(rec))["exc"]


def test_successful_probes_are_logged_at_debug(client, caplog):
    caplog.set_level(logging.INFO, logger="app.access")
    client.get("/healthz")
    assert _access_records(caplog, "/healthz") == []
    caplog.set_level(logging.DEBUG, logger="app.access")
    client.get("/healthz")
    [rec] = _access_records(caplog, "/healthz")
    assert rec.levelno == logging.DEBUG


def test_records_made_inside_a_task_carry_its_id(own_app, caplog):
    celery_app = own_app.extensions["celery"]

    @celery_app.task(name="ops.test_log_inside_task")
    def log_inside():
        logging.getLogger("tasks.something").warning("任务里")

    caplog.set_level(logging.INFO)
    with own_app.app_context():
        result = celery_app.tasks["ops.test_log_inside_task"].apply()
    [rec] = [r for r in caplog.records if r.name == "tasks.something"]
    assert rec.task_id == result.id and rec.task_name == "ops.test_log_inside_task"
    line = json.loads(logs.JsonFormatter().format(rec))
    assert line["task_id"] == result.id
    assert "[task=ops.test_log_inside_task:" in logs.TextFormatter().format(rec)


@pytest.fixture
def root_logging():
    """configure_logging changes the root logger: put it back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for h in list(root.handlers):
        if h not in handlers:
            root.removeHandler(h)
    root.setLevel(level)


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_configured_handler_writes_one_line_per_request(own_app, root_logging, fmt):
    buf = io.StringIO()
    logs.configure_logging(fmt, "INFO", logging.StreamHandler(buf))
    logs.configure_logging(fmt, "INFO", logging.StreamHandler(buf))  # idempotent: still one handler of ours
    assert sum(1 for h in logging.getLogger().handlers if getattr(h, "_yjtm", False)) == 1
    chatty = logging.getLogger("tests.chatty_library")
    chatty.setLevel(logging.DEBUG)  # as jieba does; its DEBUG records must not reach our INFO handler
    chatty.debug("noise")
    resp = own_app.test_client().get("/_test/log", headers={"X-Request-ID": "abc-42"})
    assert resp.status_code == 200
    lines = buf.getvalue().splitlines()
    assert len(lines) == 2, lines  # the view's own record and the access line
    if fmt == "json":
        view, access = (json.loads(line) for line in lines)
        assert view["message"] == "做了一件事" and view["request_id"] == "abc-42" and view["level"] == "WARNING"
        assert access["logger"] == "app.access" and access["request_id"] == "abc-42"
        assert (access["method"], access["path"], access["status"]) == ("GET", "/_test/log", 200)
    else:
        assert "[req=abc-42]" in lines[0] and "做了一件事" in lines[0]
        assert "[req=abc-42]" in lines[1] and "GET /_test/log 200" in lines[1]


def test_log_format_is_checked_at_start(app):
    cfg = type("BadLog", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                                         "LOG_FORMAT": "xml"})
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        create_app(cfg)


def test_production_logs_json_by_default():
    """Read in a fresh interpreter, so the environment is the one given here, not the test run's."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    def formats(**env) -> str:
        base = {k: v for k, v in os.environ.items() if k != "LOG_FORMAT"}
        code = "from config import DevelopmentConfig as D, ProductionConfig as P; print(P.LOG_FORMAT, D.LOG_FORMAT)"
        return subprocess.run([sys.executable, "-c", code], env={**base, **env}, capture_output=True, text=True,
                              check=True, cwd=Path(__file__).resolve().parents[2]).stdout.strip()
    assert formats() == "json text"
    assert formats(LOG_FORMAT="text") == "text text"
