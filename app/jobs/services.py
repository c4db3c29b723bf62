"""Job rows: created when long work is requested, updated by the task as it runs, read by a polling page."""
import json

from sqlalchemy import delete, select

from app.extensions import db
from app.jobs.models import Job
from app.models_base import utcnow

KEEP_PER_KIND = 50


def create(kind: str, user=None, **params) -> Job:
    job = Job(kind=kind, params=json.dumps(params, ensure_ascii=False), status="queued",
              created_by_id=getattr(user, "id", None))
    db.session.add(job)
    db.session.commit()
    return job


def _update(job_id: int, **values) -> None:
    # its own short transaction, so a page polling the job sees progress while the work goes on
    job = db.session.get(Job, job_id)
    if job is None:
        return
    for k, v in values.items():
        setattr(job, k, v)
    db.session.commit()


def started(job_id: int, total: int = 0) -> None:
    _update(job_id, status="running", total=total, progress=0)


def progress(job_id: int, done: int, total: int) -> None:
    _update(job_id, progress=done, total=total)


def finished(job_id: int, message: str = "", result_path: str = "") -> None:
    _update(job_id, status="done", message=message, result_path=result_path, finished_at=utcnow())


def failed(job_id: int, message: str) -> None:
    db.session.rollback()
    _update(job_id, status="failed", message=message[:2000], finished_at=utcnow())


def prune(kind: str) -> None:
    keep = select(Job.id).where(Job.kind == kind).order_by(Job.id.desc()).limit(KEEP_PER_KIND)
    db.session.execute(delete(Job).where(Job.kind == kind, Job.id.not_in(keep.scalar_subquery())))
    db.session.commit()
