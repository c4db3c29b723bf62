"""Broker performance pages: the bureau's leaderboard and one broker's page (the broker sees their own)."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.accounts import permissions as perm
from app.accounts.models import User
from app.brokers.models import BrokerProfile
from app.extensions import db
from app.forms_common import ActionForm
from app.stats import brokers as services
from app.stats.models import BrokerStat
from app.timeutil import fmt_local

bp = Blueprint("broker_stats", __name__)


@bp.route("/bureau/brokers/performance")
@login_required
def leaderboard():
    perm.require_bureau(current_user)
    sort = request.args.get("sort", "score")
    if sort not in services.SORTS:
        sort = "score"
    return render_template("stats/broker_leaderboard.html", rows=services.leaderboard(sort), sort=sort,
                           sorts=services.SORTS, rules=services.SCORE_RULES, computed_at=services.last_computed(),
                           rate=services.rate, local=fmt_local)


@bp.route("/bureau/brokers/performance/recompute", methods=["POST"])
@login_required
def recompute():
    perm.require_bureau(current_user)
    if ActionForm().validate_on_submit():
        from tasks import dispatch
        db.session.commit()  # end this request's read transaction: the task may run in-process and write
        queued = dispatch("stats.recompute_brokers")
        flash("已开始在后台重新统计经纪人业绩" if queued else "任务队列暂不可用，已直接重新统计", "success")
    return redirect(url_for("broker_stats.leaderboard"))


@bp.route("/brokers/performance/<int:broker_id>")
@login_required
def detail(broker_id: int):
    # a broker sees their own page, the bureau every broker's; anyone else is refused before anything is looked up
    perm.require(perm.is_bureau(current_user) or current_user.id == broker_id, "只能查看本人的业绩")
    user = db.session.get(User, broker_id)
    if user is None or user.role != "broker":
        abort(404)
    stat = db.session.get(BrokerStat, broker_id)
    profile = db.session.scalar(db.select(BrokerProfile).where(BrokerProfile.user_id == broker_id))
    from app.contracts.services import can_view as can_view_contract
    from app.deals.services import local_today, open_deals_of_broker
    contracts = db.session.scalars(services.credited_contracts(broker_id).limit(100)).all()
    return render_template("stats/broker_detail.html", broker=user, profile=profile, s=stat,
                           parts=services.score_parts(stat) if stat else None,
                           funnel=services.funnel(stat) if stat else [], rules=services.SCORE_RULES,
                           open_deals=open_deals_of_broker(broker_id), today=local_today(), contracts=contracts,
                           can_view_contract=can_view_contract, local=fmt_local)
