"""/readyz against a real `celery worker` on Redis (tests/integration's stack): not ready without a worker, ready
once it beats, not ready when it stops beating (paused) or shuts down; the worker's task logs carry the task id."""
import os
import signal

import pytest

from tests.integration import conftest as integration
from tests.integration.conftest import wait_for

# the real Redis + worker stack of tests/integration, and its committed (not rolled back) database
stack = integration.stack
_db_transaction = integration._db_transaction


def _readyz(app):
    resp = app.test_client().get("/readyz")
    return resp.status_code, resp.get_json()["checks"]


@pytest.mark.parametrize("stack", [False], indirect=True)
def test_readyz_follows_a_real_worker(stack):
    app = stack["app"]
    app.config["WORKER_HEARTBEAT_MAX_AGE"] = 3
    stack["env"]["WORKER_HEARTBEAT_INTERVAL"] = "0.5"

    status, checks = _readyz(app)
    assert status == 503
    assert checks["redis"]["status"] == "ok" and checks["database"]["status"] == "ok"
    assert checks["worker"]["status"] == "fail" and checks["worker"]["age_s"] is None

    worker = stack["start_worker"]()
    log = stack["log"]
    assert wait_for(lambda: _readyz(app)[0] == 200, timeout=30), log.read_text()[-3000:]
    status, checks = _readyz(app)
    assert checks["worker"]["status"] == "ok" and checks["worker"]["workers"] == 1
    assert checks["worker"]["age_s"] < 3

    os.kill(worker.pid, signal.SIGSTOP)  # a hung worker: alive, but its loop no longer runs
    try:
        assert wait_for(lambda: _readyz(app)[0] == 503, timeout=15)
        status, checks = _readyz(app)
        assert checks["worker"]["status"] == "fail" and checks["worker"]["age_s"] > 3
        assert "秒前" in checks["worker"]["reason"]
    finally:
        os.kill(worker.pid, signal.SIGCONT)
    assert wait_for(lambda: _readyz(app)[0] == 200, timeout=15), log.read_text()[-3000:]

    # a task's log records carry its id in the worker's log (tasks.worker hands logging to the app)
    with app.app_context():
        from tasks import dispatch
        assert dispatch("stats.recompute")
    assert wait_for(lambda: "succeeded" in log.read_text() and "[task=stats.recompute:" in log.read_text(),
                    timeout=30), log.read_text()[-3000:]

    worker.terminate()  # warm shutdown: the worker takes its heartbeat away at once
    worker.wait(timeout=20)
    status, checks = _readyz(app)
    assert status == 503 and checks["worker"]["age_s"] is None, checks
