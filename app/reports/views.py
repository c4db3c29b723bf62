"""The bureau's reports page: generated monthly reports with downloads, and a form that builds one with a
progress bar that follows the job (static/js/jobs.js)."""
import json

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app.accounts.permissions import require_bureau
from app.errors import DomainError
from app.extensions import db
from app.jobs import services as jobs
from app.jobs.models import Job
from app.jobs.views import as_dict
from app.reports import services
from app.reports.forms import MonthlyReportForm
from app.timeutil import fmt_local, local_today
from app.web import field_errors_to_form

bp = Blueprint("reports", __name__, url_prefix="/bureau/reports")


@bp.before_request
@login_required
def _bureau_only():
    require_bureau(current_user)


def _params(job: Job) -> dict:
    try:
        return json.loads(job.params or "{}")
    except ValueError:
        return {}


@bp.route("", methods=["GET", "POST"])
def index():
    today = local_today()
    form = MonthlyReportForm(today=today)
    if request.method == "GET":
        form.year.data, form.month.data = services.previous_month(today)
    if form.validate_on_submit():
        try:
            services.check_month(form.year.data, form.month.data, today)
        except DomainError as err:
            field_errors_to_form(form, err)
        else:
            job_id = jobs.create(services.KIND, current_user, year=form.year.data, month=form.month.data).id
            db.session.commit()  # end this request's transaction: the task may run in-process and write
            from tasks import dispatch
            if not dispatch(services.KIND, form.year.data, form.month.data, job_id):
                flash("任务队列暂不可用，报表已直接生成", "info")
            return redirect(url_for("reports.index", job=job_id))
    rows = db.session.scalars(select(Job).where(Job.kind == services.KIND).order_by(Job.id.desc()).limit(50)).all()
    from app.accounts.models import User
    users = {u.id: u for u in db.session.scalars(select(User).where(
        User.id.in_({j.created_by_id for j in rows if j.created_by_id})))} if rows else {}
    return render_template("reports/index.html", form=form, rows=[(j, _params(j), as_dict(j, current_user)) for j in rows],
                           users=users, local=fmt_local, current_job=request.args.get("job", type=int))


@bp.route("/<int:job_id>/download")
def download(job_id: int):
    job = db.session.get(Job, job_id)
    path = services.report_path(job)
    if path is None:
        abort(404)
    p = _params(job)
    return send_file(path, as_attachment=True, download_name=services.download_name(p.get("year", 0), p.get("month", 0)),
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", max_age=0)
