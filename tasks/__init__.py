"""Celery wired the way Flask's own example does (examples/celery): one Celery app per Flask app, tasks run
inside the Flask app context, JSON only, ids as arguments. Without REDIS_URL tasks run in-process (embedded)."""
import os

from celery import Celery, Task
from celery.schedules import crontab
from flask import Flask


def celery_init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    redis_url = app.config.get("REDIS_URL")
    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object({
        "broker_url": redis_url or "memory://",
        "result_backend": redis_url,
        "task_ignore_result": True,
        "task_always_eager": not redis_url,  # embedded default: run in the calling process
        "task_eager_propagates": True,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "task_acks_late": True,  # a task whose worker dies is delivered again; tasks are idempotent
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "broker_connection_retry_on_startup": True,
        # a web request must not hang when Redis is down: fail fast and fall back (tasks.dispatch)
        "broker_connection_timeout": 2,
        # visibility_timeout: a task whose worker died unacknowledged is delivered again after this long
        "broker_transport_options": {
            "max_retries": 0, "socket_connect_timeout": 2,
            "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600")),
            # how often the worker looks for such abandoned tasks (kombu: interval × throttle seconds)
            "unacked_restore_interval": int(os.environ.get("CELERY_RESTORE_INTERVAL", "10")),
            "unacked_restore_throttle": int(os.environ.get("CELERY_RESTORE_THROTTLE", "10")),
        },
        "timezone": "Asia/Shanghai",
        "beat_schedule": BEAT_SCHEDULE,
        **app.config.get("CELERY", {}),
    })
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    if redis_url:  # a worker records itself in Redis for /readyz (app/ops)
        from tasks.heartbeat import make_step
        celery_app.steps["consumer"].add(make_step(app))
    # import the task modules so their shared tasks are registered with this app
    from tasks import brokers, matching, periodic, reports, stats  # noqa: F401
    return celery_app


# Periodic work; each task is idempotent and guarded by a lock (tasks.locks).
BEAT_SCHEDULE: dict = {
    "rebuild-matching-index-nightly": {"task": "matching.rebuild_index", "schedule": 24 * 3600.0},
    "recompute-contract-stats": {"task": "stats.recompute", "schedule": 10 * 60.0},
    "recompute-broker-stats": {"task": "stats.recompute_brokers", "schedule": 30 * 60.0},
    # the month before, on the 1st at 06:00 (the app's Celery timezone is Asia/Shanghai)
    "monthly-report": {"task": "reports.monthly", "schedule": crontab(minute=0, hour=6, day_of_month=1)},
    "close-due-auctions": {"task": "auctions.close_due", "schedule": 60.0},
    "mark-overdue-deals": {"task": "deals.mark_overdue", "schedule": 3600.0},
    "expire-stale-listings": {"task": "listings.expire_stale", "schedule": 6 * 3600.0},
    "send-pending-mail": {"task": "mail.send_pending", "schedule": 60.0},
}


def dispatch(name: str, *args) -> bool:
    """Queue task `name` on the current Flask app's Celery app. Returns False when the broker is unreachable
    and the task was run in-process instead, so the caller can tell the user that the work was done now.

    Looked up on the current app (not through the shared_task proxy), so tests that create several apps never
    run a task in another app's context."""
    import logging

    from flask import current_app

    celery_app = current_app.extensions["celery"]
    task = celery_app.tasks[name]
    if celery_app.conf.task_always_eager:  # embedded default: in-process, errors reach the caller
        task.apply(args=args, throw=True)
        return True
    try:
        task.apply_async(args=args, retry=False)
        return True
    except Exception:  # broker down: do the work now rather than lose it
        logging.getLogger(__name__).exception("could not queue %s; running it in-process", name)
        task.apply(args=args, throw=True)
        return False
