"""/healthz and /readyz: liveness without the database; readiness from the database, Redis and the worker's
heartbeat, 503 with a reason when a required one fails, and no secret in the answer."""
import logging

import pytest
import redis

from app import create_app
from app.ops import heartbeat
from config import TestConfig
from tests.conftest import recorded_statements

SECRET = "s3cret-pw"
BAD_DB = f"postgresql+psycopg://yjtm:{SECRET}@127.0.0.1:1/nowhere"  # nothing listens on port 1
BAD_REDIS = f"redis://:{SECRET}@127.0.0.1:1/0"
TEST_REDIS = "redis://127.0.0.1:6379/14"  # not 15: the integration tests flush that one


def _app(session_app, **config):
    cfg = type("ProbeConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI":
                                               session_app.config["SQLALCHEMY_DATABASE_URI"], **config})
    return create_app(cfg)


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(TEST_REDIS, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def test_healthz_answers_without_touching_the_database(client, app):
    with recorded_statements() as seen:
        resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok"}
    assert resp.headers["Cache-Control"] == "no-store"
    assert seen == []


def test_healthz_is_ok_even_when_the_database_is_unreachable(app):
    resp = _app(app, SQLALCHEMY_DATABASE_URI=BAD_DB).test_client().get("/healthz")
    assert resp.status_code == 200 and resp.get_json() == {"status": "ok"}


def test_readyz_ready_in_the_embedded_default(client):
    resp = client.get("/readyz")
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["database"]["latency_ms"] >= 0
    assert body["checks"]["redis"]["status"] == "not_configured"
    assert body["checks"]["worker"]["status"] == "in_process"
    assert resp.headers["Cache-Control"] == "no-store"


def test_readyz_503_when_the_database_is_unreachable(app, caplog):
    caplog.set_level(logging.INFO)
    resp = _app(app, SQLALCHEMY_DATABASE_URI=BAD_DB, READYZ_TIMEOUT=1).test_client().get("/readyz")
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["status"] == "fail"
    assert body["checks"]["database"]["status"] == "fail"
    assert "数据库不可用" in body["checks"]["database"]["reason"]
    text = resp.get_data(as_text=True)
    assert SECRET not in text and "127.0.0.1" not in text and "nowhere" not in text
    # the operator finds the cause in the log, next to a warning access line of the failed probe
    [cause] = [r for r in caplog.records if r.name == "app.ops.checks"]
    assert "database check failed" in cause.getMessage() and "port 1" in cause.getMessage()
    [access] = [r for r in caplog.records if r.name == "app.access"]
    assert access.levelno == logging.WARNING and access.fields["status"] == 503
    assert cause.request_id == access.request_id == resp.headers["X-Request-ID"]


def test_readyz_503_when_redis_is_configured_but_down(app):
    resp = _app(app, REDIS_URL=BAD_REDIS, READYZ_TIMEOUT=1).test_client().get("/readyz")
    assert resp.status_code == 503
    checks = resp.get_json()["checks"]
    assert checks["database"]["status"] == "ok"
    assert checks["redis"]["status"] == "fail" and "Redis 不可用" in checks["redis"]["reason"]
    assert checks["worker"]["status"] == "fail"  # its heartbeat cannot be read either
    assert SECRET not in resp.get_data(as_text=True)


@pytest.fixture
def redis_app(app):
    if not _redis_up():
        pytest.skip(f"Redis not reachable at {TEST_REDIS}")
    client = redis.Redis.from_url(TEST_REDIS)
    client.delete(heartbeat.KEY)
    probe_app = _app(app, REDIS_URL=TEST_REDIS, WORKER_HEARTBEAT_MAX_AGE=30)
    yield probe_app, client
    client.delete(heartbeat.KEY)
    client.close()


def test_readyz_follows_the_worker_heartbeat(redis_app):
    probe_app, r = redis_app
    c = probe_app.test_client()
    assert not probe_app.extensions["celery"].conf.task_always_eager  # tasks go to a worker

    resp = c.get("/readyz")
    assert resp.status_code == 503
    worker = resp.get_json()["checks"]["worker"]
    assert worker["status"] == "fail" and worker["age_s"] is None and worker["workers"] == 0
    assert "没有收到" in worker["reason"]
    assert resp.get_json()["checks"]["redis"]["status"] == "ok"

    heartbeat.beat(r, "celery@web-test")
    resp = c.get("/readyz")
    assert resp.status_code == 200, resp.get_json()
    worker = resp.get_json()["checks"]["worker"]
    assert worker["status"] == "ok" and worker["workers"] == 1 and 0 <= worker["age_s"] < 5

    seconds, _ = r.time()
    r.zadd(heartbeat.KEY, {"celery@web-test": seconds - 95})  # its last beat 95 s ago
    resp = c.get("/readyz")
    assert resp.status_code == 503
    worker = resp.get_json()["checks"]["worker"]
    assert worker["status"] == "fail" and worker["workers"] == 0 and 94 <= worker["age_s"] <= 100
    assert "秒前" in worker["reason"] and "超过 30 秒" in worker["reason"]
    assert "web-test" not in resp.get_data(as_text=True)  # host names stay private

    heartbeat.forget(r, "celery@web-test")
    assert c.get("/readyz").get_json()["checks"]["worker"]["age_s"] is None


def test_newest_of_several_workers_counts(redis_app):
    probe_app, r = redis_app
    seconds, _ = r.time()
    r.zadd(heartbeat.KEY, {"celery@old": seconds - 300, "celery@new": seconds - 2})
    resp = probe_app.test_client().get("/readyz")
    assert resp.status_code == 200
    worker = resp.get_json()["checks"]["worker"]
    assert worker["workers"] == 1 and worker["age_s"] < 10


def test_worker_can_be_made_optional(app):
    if not _redis_up():
        pytest.skip(f"Redis not reachable at {TEST_REDIS}")
    redis.Redis.from_url(TEST_REDIS).delete(heartbeat.KEY)
    resp = _app(app, REDIS_URL=TEST_REDIS, READYZ_REQUIRE_WORKER=False).test_client().get("/readyz")
    assert resp.status_code == 200
    assert resp.get_json()["checks"]["worker"]["status"] == "warn"
