import click
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.accounts.permissions import require_bureau
from app.errors import DomainError
from app.extensions import db
from app.forms_common import ActionForm
from app.matches import services
from app.matches.models import Match
from app.web import back, paginate_rows

bp = Blueprint("matches", __name__, cli_group="matching")


@bp.route("/matches/<int:match_id>/feedback", methods=["POST"])
@login_required
def feedback(match_id: int):
    match = db.get_or_404(Match, match_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    verdict = request.form.get("verdict", "")
    try:
        services.give_feedback(current_user, match, verdict)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        if err.status_code == 403:
            raise
        flash(err.message, "danger")
    else:
        flash("已标记为有用" if verdict == "useful" else "已标记为不相关，不再向本单位推荐", "success")
    return back("home.index")


@bp.route("/bureau/unsolved-needs")
@login_required
def unsolved():
    require_bureau(current_user)
    threshold = services.UNSOLVED_BELOW
    return render_template("matches/unsolved.html", page=paginate_rows(services.unsolved_needs_query(threshold)),
                           threshold=threshold)


@bp.route("/bureau/match-feedback")
@login_required
def feedback_list():
    require_bureau(current_user)
    return render_template("matches/feedback.html", rows=services.feedback_summary())


@bp.route("/bureau/matching/rebuild", methods=["POST"])
@login_required
def rebuild():
    require_bureau(current_user)
    if ActionForm().validate_on_submit():
        from app.jobs import services as jobs
        from tasks import dispatch
        job_id = jobs.create("matching.rebuild_all", current_user).id
        db.session.commit()  # end this request's transaction: the task may run in-process and write
        if not dispatch("matching.rebuild_all_job", job_id):
            flash("任务队列暂不可用，已直接重建匹配索引", "info")
        return redirect(url_for("jobs.page", job_id=job_id))  # a progress bar that follows the job
    return redirect(url_for("matches.unsolved"))


@bp.cli.command("rebuild")
def rebuild_cli() -> None:
    """Rebuild the matching index and every listing's suggestions, with a progress bar."""
    state = {}

    def progress(done, total):
        bar = state.get("bar")
        if bar is None:
            bar = state["bar"] = click.progressbar(length=total, label="重新计算推荐")
            bar.__enter__()
        bar.update(done - bar.pos)

    n = services.rebuild_all(progress=progress)
    if state.get("bar"):
        state["bar"].__exit__(None, None, None)
    click.echo(f"已重建索引（{len(services.engine())} 条），更新 {n} 条信息的推荐。")
