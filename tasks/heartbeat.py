"""The worker's heartbeat for /readyz: a consumer bootstep (Celery "Extensions and Bootsteps") that records the
worker in Redis (app/ops/heartbeat.py) when its consumer starts and then every WORKER_HEARTBEAT_INTERVAL seconds.

It runs on the consumer's timer, as Celery's own event heartbeat (celery.worker.consumer.heart) does: it starts
once the broker connection is up, stops while the consumer is down and is armed again on reconnect, so a beat
means "this worker is connected and its loop is running". With the default prefork pool tasks run in child
processes and never hold the loop; with --pool solo a task longer than WORKER_HEARTBEAT_MAX_AGE would."""
import logging

from celery import bootsteps
from flask import Flask

from app.ops import checks, heartbeat

log = logging.getLogger(__name__)


def make_step(app: Flask) -> type[bootsteps.StartStopStep]:
    interval = float(app.config["WORKER_HEARTBEAT_INTERVAL"])

    class WorkerHeartbeat(bootsteps.StartStopStep):
        requires = ("celery.worker.consumer.connection:Connection",)

        def __init__(self, c, **kwargs):
            self.tref = None
            self.client = None
            super().__init__(c, **kwargs)

        def _beat(self, hostname: str) -> None:
            try:
                heartbeat.beat(self.client, hostname)
            except Exception as err:  # Redis away: the consumer notices too; the next beat tries again
                log.warning("worker heartbeat not written: %s", err)

        def start(self, c):
            self.client = checks.redis_client(app)  # the app's own client (READYZ_TIMEOUT), as /readyz reads it
            self._beat(c.hostname)
            self.tref = c.timer.call_repeatedly(interval, self._beat, (c.hostname,))

        def stop(self, c):
            if self.tref is not None:
                c.timer.cancel(self.tref)
                self.tref = None

        def shutdown(self, c):
            self.stop(c)
            if self.client is not None:
                try:
                    heartbeat.forget(self.client, c.hostname)
                except Exception as err:
                    log.warning("worker heartbeat not removed: %s", err)
                self.client = None

    return WorkerHeartbeat
