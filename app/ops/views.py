"""Probes for the process supervisor and the load balancer: /healthz (the process answers) and /readyz (its
database, Redis and Celery worker are there). Public, JSON, never cached."""
import json

from flask import Blueprint, current_app, jsonify

from app.ops import checks

bp = Blueprint("ops", __name__)


def _no_store(resp):
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/healthz")
def healthz():
    """Liveness: the process serves requests. Touches neither the database nor Redis."""
    return _no_store(jsonify(status="ok"))


@bp.get("/readyz")
def readyz():
    """Readiness: 200 when every required dependency answers, 503 with the failing check's reason otherwise."""
    ready, body = checks.readiness(current_app)
    resp = current_app.response_class(json.dumps(body, ensure_ascii=False), status=200 if ready else 503,
                                      mimetype="application/json")  # reasons readable in a terminal
    return _no_store(resp)
