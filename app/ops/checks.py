"""Readiness checks for /readyz: the database, Redis and the Celery worker's heartbeat.

Each check returns a small dict with a `status` (ok, fail, warn, not_configured, in_process) and never a URL,
host name or error message that could carry a secret: failures name the exception class only; the full error
goes to the log.
"""
import logging
import threading
import time

import redis
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.pool import NullPool

from app.ops import heartbeat

log = logging.getLogger(__name__)
_lock = threading.Lock()
_db_slots = threading.BoundedSemaphore(3)

OK, FAIL, WARN = "ok", "fail", "warn"
NOT_CONFIGURED, IN_PROCESS = "not_configured", "in_process"


def _timeout(app: Flask) -> float:
    return float(app.config["READYZ_TIMEOUT"])


def _probe_engine(app: Flask) -> sa.Engine:
    """An engine of the probe's own, apart from the pool the pages use: short connect and statement timeouts,
    and a fresh connection per probe (nothing held open between probes, nothing shared across a fork)."""
    engine = app.extensions.get("ops_probe_engine")
    if engine is not None:
        return engine
    with _lock:
        engine = app.extensions.get("ops_probe_engine")
        if engine is None:
            url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
            timeout = _timeout(app)
            if url.get_backend_name() == "postgresql":
                # libpq counts connect_timeout in whole seconds, at least 2
                engine = sa.create_engine(url, poolclass=NullPool,
                                          connect_args={"connect_timeout": max(2, round(timeout))})

                @sa.event.listens_for(engine, "connect")
                def _statement_timeout(dbapi_conn, _rec):
                    with dbapi_conn.cursor() as cur:
                        cur.execute(f"SET statement_timeout = {int(timeout * 1000)}")
                    dbapi_conn.commit()
            else:
                engine = sa.create_engine(url, poolclass=NullPool, connect_args={"timeout": timeout})
            app.extensions["ops_probe_engine"] = engine
    return engine


def database(app: Flask) -> dict:
    timeout = _timeout(app)
    started = time.perf_counter()
    # a flood of probes opens at most this many connections per process
    if not _db_slots.acquire(timeout=timeout):
        return {"status": FAIL, "reason": "同时进行的数据库检查过多"}
    try:
        with _probe_engine(app).connect() as conn:
            conn.exec_driver_sql("SELECT 1").scalar_one()
    except Exception as err:
        log.warning("readyz: database check failed: %s", err)
        return {"status": FAIL, "reason": f"数据库不可用（{type(err).__name__}）"}
    finally:
        _db_slots.release()
    return {"status": OK, "latency_ms": round((time.perf_counter() - started) * 1000, 1)}


def redis_client(app: Flask) -> redis.Redis | None:
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    client = app.extensions.get("ops_redis")
    if client is None:
        t = _timeout(app)
        client = redis.Redis.from_url(url, socket_connect_timeout=t, socket_timeout=t)
        app.extensions["ops_redis"] = client
    return client


def redis_check(app: Flask) -> dict:
    client = redis_client(app)
    if client is None:
        return {"status": NOT_CONFIGURED, "reason": "未配置 REDIS_URL"}
    started = time.perf_counter()
    try:
        client.ping()
    except Exception as err:
        log.warning("readyz: Redis check failed: %s", err)
        return {"status": FAIL, "reason": f"Redis 不可用（{type(err).__name__}）"}
    return {"status": OK, "latency_ms": round((time.perf_counter() - started) * 1000, 1)}


def worker(app: Flask) -> dict:
    """The newest heartbeat of a Celery worker (tasks/heartbeat.py). In the embedded default tasks run in the
    web process and there is no worker to wait for."""
    celery_app = app.extensions.get("celery")
    client = redis_client(app)
    if client is None or celery_app is None or celery_app.conf.task_always_eager:
        return {"status": IN_PROCESS, "reason": "未配置 REDIS_URL，后台任务在 Web 进程内执行"}
    max_age = float(app.config["WORKER_HEARTBEAT_MAX_AGE"])
    bad = FAIL if app.config.get("READYZ_REQUIRE_WORKER", True) else WARN
    try:
        seen = heartbeat.newest(client, max_age)
    except Exception as err:
        log.warning("readyz: could not read worker heartbeats: %s", err)
        return {"status": bad, "reason": f"Redis 不可用，无法读取工作进程心跳（{type(err).__name__}）"}
    result = {"age_s": seen["age_s"], "workers": seen["workers"], "max_age_s": max_age}
    if seen["age_s"] is None:
        return {"status": bad, "reason": "没有收到 Celery 工作进程的心跳：工作进程未运行或连不上 Redis", **result}
    if seen["age_s"] > max_age:
        return {"status": bad, "reason": f"最近一次工作进程心跳在 {seen['age_s']:g} 秒前，超过 {max_age:g} 秒",
                **result}
    return {"status": OK, **result}


def readiness(app: Flask) -> tuple[bool, dict]:
    checks = {"database": database(app), "redis": redis_check(app), "worker": worker(app)}
    ready = all(c["status"] != FAIL for c in checks.values())
    return ready, {"status": "ok" if ready else "fail", "checks": checks}
