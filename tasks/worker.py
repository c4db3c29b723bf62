"""Entry point for `celery -A tasks.worker worker` and `celery -A tasks.worker beat`."""
from celery.signals import setup_logging

from app import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]


@setup_logging.connect
def _app_logging(loglevel=None, **_kwargs):
    """Celery leaves logging to the app (a receiver here stops it from installing its own): the same handler and
    LOG_FORMAT as the web process; records made inside a task carry its task_id (app/ops/logs.py)."""
    from app.ops.logs import configure_logging
    configure_logging(flask_app.config["LOG_FORMAT"], loglevel or flask_app.config["LOG_LEVEL"])
