"""Integration tests on the real services: Redis as the Celery broker and a real `celery worker` process.

The worker is another process, so it cannot see the per-test transaction: these tests use a database file of
their own (committed data) and clean up after themselves."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from config import BASE_DIR, TestConfig

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_up() -> bool:
    import redis
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:
        return False


@pytest.fixture
def _db_transaction():
    """Overrides the rolled-back transaction of tests/conftest.py: the worker must see committed rows."""
    yield


@pytest.fixture
def stack(tmp_path, request):
    """Parametrize indirectly with False to start without a worker (call stack["start_worker"]() later)."""
    # An app on its own SQLite file with REDIS_URL set, and a Celery worker process serving it.
    if not redis_up():
        pytest.skip(f"Redis not reachable at {REDIS_URL} (CI starts it)")
    import redis
    redis.Redis.from_url(REDIS_URL).flushdb()
    db_file = tmp_path / "integration.sqlite3"
    index = tmp_path / "matching.idx"

    class IntegrationConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{db_file}"
        REDIS_URL = REDIS_URL
        MATCHING_INDEX_PATH = str(index)

    from flask_migrate import upgrade

    from app import create_app
    app = create_app(IntegrationConfig)
    with app.app_context():
        upgrade()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db_file}", "REDIS_URL": REDIS_URL,
           "MATCHING_INDEX_PATH": str(index), "APP_CONFIG": "development", "SECRET_KEY": "integration"}
    log = open(tmp_path / "worker.log", "w")
    workers = []

    def start_worker():
        w = subprocess.Popen(
            [str(Path(sys.executable).parent / "celery"), "-A", "tasks.worker", "worker", "--pool", "solo",
             "--concurrency", "1", "--loglevel", "info", "--without-heartbeat", "--without-gossip", "--without-mingle"],
            cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
        workers.append(w)
        deadline = time.time() + 60
        while time.time() < deadline and (tmp_path / "worker.log").read_text().count("ready") < len(workers):
            time.sleep(0.3)
        return w

    state = {"app": app, "log": tmp_path / "worker.log", "env": env, "db_file": db_file, "start_worker": start_worker}
    if request.param if hasattr(request, "param") else True:
        state["worker"] = start_worker()
    try:
        yield state
    finally:
        for w in workers:
            w.terminate()
            try:
                w.wait(timeout=20)
            except subprocess.TimeoutExpired:
                w.kill()
        log.close()
        with app.app_context():
            from app.extensions import db
            db.engine.dispose()


def wait_for(predicate, timeout=30.0, interval=0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
