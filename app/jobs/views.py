"""Following long work: `/jobs/<id>` (JSON, polled by static/js/jobs.js) and a page with a progress bar.

Only the job's creator and the bureau may read a job."""
from flask import Blueprint, jsonify, render_template, url_for
from flask_login import current_user, login_required

from app.accounts import permissions as perm
from app.errors import NotFound
from app.extensions import db
from app.jobs.models import JOB_STATUSES, Job

bp = Blueprint("jobs", __name__)

TITLES = {"reports.monthly": "生成月度报表", "matching.rebuild_all": "重建匹配索引与推荐",
          "stats.recompute": "重新统计技术合同"}
FINISHED = ("done", "failed")


def can_read(user, job: Job) -> bool:
    return perm.is_bureau(user) or (perm.is_authenticated(user) and job.created_by_id == user.id)


def result_url(job: Job, user) -> str | None:
    """Where the result of a finished job is, for this user (None when there is nothing to open)."""
    if job.status != "done":
        return None
    if job.kind == "reports.monthly" and job.result_path and perm.is_bureau(user):
        return url_for("reports.download", job_id=job.id)
    if job.kind == "matching.rebuild_all":
        return url_for("matches.unsolved")
    return None


def as_dict(job: Job, user) -> dict:
    return {"id": job.id, "kind": job.kind, "title": TITLES.get(job.kind, job.kind), "status": job.status,
            "status_label": dict(JOB_STATUSES).get(job.status, job.status), "percent": job.percent,
            "progress": job.progress, "total": job.total, "message": job.message,
            "finished": job.status in FINISHED, "result_url": result_url(job, user)}


@bp.route("/jobs/<int:job_id>")
def status(job_id: int):
    if not perm.is_authenticated(current_user):
        return jsonify(error="请先登录"), 401
    job = db.session.get(Job, job_id)
    if job is None:
        return jsonify(error="未找到该任务"), 404
    if not can_read(current_user, job):
        return jsonify(error="您没有权限查看该任务"), 403
    resp = jsonify(as_dict(job, current_user))
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/jobs/<int:job_id>/progress")
@login_required
def page(job_id: int):
    job = db.session.get(Job, job_id)
    if job is None:
        raise NotFound("未找到该任务")
    perm.require(can_read(current_user, job), "您没有权限查看该任务")
    from app.timeutil import fmt_local
    return render_template("jobs/progress.html", job=job, info=as_dict(job, current_user), local=fmt_local)
