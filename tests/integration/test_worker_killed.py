"""A worker killed in the middle of a task: the task is delivered again and its effect happens once."""
import os
import re
import signal
import time

from sqlalchemy import insert

from app.extensions import db
from app.listings.models import Achievement, Need
from app.models_base import utcnow
from tests.conftest import make_user
from tests.integration.conftest import wait_for

N = 1500


def test_killed_worker_task_runs_again_with_one_effect(stack, monkeypatch):
    app = stack["app"]
    # redeliver quickly after the kill (production: an hour, swept every ~100 s)
    stack["env"].update(CELERY_VISIBILITY_TIMEOUT="8", CELERY_RESTORE_INTERVAL="1", CELERY_RESTORE_THROTTLE="1")
    stack["worker"].terminate()
    stack["worker"].wait(20)
    with app.app_context():
        ent, uni = make_user("enterprise"), make_user("university")
        now = utcnow()
        words = ["球阀", "密封", "泄漏", "离心泵", "汽蚀", "鞋底", "防滑", "拉链", "注塑", "电机", "茶叶", "传感器"]
        db.session.execute(insert(Need), [dict(
            title=f"{words[i % 12]}问题{i}", description=f"{words[i % 12]}和{words[(i * 7) % 12]}相关的生产难题，编号{i}。",
            industry_code="pump_valve", cooperation_mode="service", status="approved", published_at=now,
            organization_id=ent.organization_id, created_by_id=ent.id, keywords="", search_text="",
            reject_reason="", created_at=now, updated_at=now) for i in range(N)])
        db.session.execute(insert(Achievement), [dict(
            title=f"{words[i % 12]}技术{i}", abstract=f"面向{words[(i * 5) % 12]}的{words[i % 12]}改进方法，编号{i}。",
            industry_code="pump_valve", maturity="pilot", transfer_mode="license", status="approved",
            published_at=now, organization_id=uni.organization_id, created_by_id=uni.id, keywords="",
            search_text="", reject_reason="", leader="", application="", confidential="", created_at=now,
            updated_at=now) for i in range(N)])
        db.session.commit()
        worker = stack["start_worker"]()
        from tasks import dispatch
        dispatch("matching.rebuild_index")
        dispatch("stats.recompute")
        # wait until the worker is inside the long rebuild, then kill it without any chance to ack
        assert wait_for(lambda: "Task matching.rebuild_index[" in stack["log"].read_text(), timeout=30)
        time.sleep(1.0)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
        killed_at = time.time()
        stack["start_worker"]()
        log = stack["log"]
        done = re.compile(r"Task matching\.rebuild_index\[([0-9a-f-]+)\] succeeded")
        assert wait_for(lambda: done.search(log.read_text()), timeout=150), log.read_text()[-4000:]
        received = re.findall(r"Task matching\.rebuild_index\[([0-9a-f-]+)\] received", log.read_text())
        # the same task (one id) was received by the killed worker and again after redelivery
        assert len(received) == 2 and received[0] == received[1] == done.search(log.read_text()).group(1)
        assert time.time() - killed_at >= 5  # it came back through redelivery, not a second dispatch
        from app.matches import services
        services._process.update(matcher=None, key=None)
        m = services.engine()
        assert len(m) == 2 * N  # every approved listing indexed exactly once
