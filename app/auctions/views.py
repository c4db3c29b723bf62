"""Auction pages: list, detail (polls /state), schedule, bid, cancel. Thin: load → check → service → one commit."""
import click
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import or_, select

from app.accounts import permissions as perm
from app.auctions import services
from app.auctions.forms import AuctionForm, BidForm, CancelForm
from app.auctions.models import (
    ACTIVE_STATUSES,
    AUCTION_ACTION_LABELS,
    CLOSED_STATUSES,
    Auction,
    AuctionEvent,
    Bid,
)
from app.errors import DomainError
from app.extensions import db
from app.listings import services as listings
from app.listings.models import Achievement
from app.models_base import utcnow
from app.timeutil import fmt_local, from_local
from app.web import field_errors_to_form

bp = Blueprint("auctions", __name__)
cli = Blueprint("auctions_cli", __name__, cli_group="auctions")


@bp.app_template_filter("dt_local")
def dt_local(value, pattern: str = "%Y-%m-%d %H:%M") -> str:
    return fmt_local(value, pattern)


@bp.route("/auctions")
def index():
    show = request.args.get("show", "active")
    stmt = select(Auction)
    if show == "closed":
        stmt = stmt.where(Auction.status.in_(CLOSED_STATUSES)).order_by(Auction.closed_at.desc(), Auction.id.desc())
    elif show == "mine" and current_user.is_authenticated and current_user.organization_id:
        org = current_user.organization_id
        stmt = stmt.where(or_(Auction.organization_id == org, Auction.id.in_(
            select(Bid.auction_id).where(Bid.organization_id == org)))).order_by(Auction.id.desc())
    else:
        show = "active"
        stmt = stmt.where(Auction.status.in_(ACTIVE_STATUSES)).order_by(Auction.ends_at, Auction.id)
    auctions = db.session.scalars(stmt.limit(200)).all()
    q = (request.args.get("achievement_q") or "").strip()[:50]
    schedulable = _schedulable(current_user, q)
    return render_template("auctions/index.html", auctions=auctions, show=show, now=utcnow(),
                           schedulable=schedulable[:SCHEDULABLE_SHOWN], more=len(schedulable) > SCHEDULABLE_SHOWN,
                           achievement_q=q)


# A university may have thousands of achievements: the box offers this many (a keyword narrows them), not all.
SCHEDULABLE_SHOWN = 50


def _schedulable(user, q: str = "") -> list:
    """Approved achievements of the user's organization without a running auction (for the 发起拍卖 box): id and
    title only, at most one more than SCHEDULABLE_SHOWN (to tell that there are more)."""
    if not perm.can_post(user, "achievement"):
        return []
    running = select(Auction.achievement_id).where(Auction.status.in_(ACTIVE_STATUSES))
    stmt = select(Achievement.id, Achievement.title).where(
        Achievement.organization_id == user.organization_id, Achievement.status == "approved",
        Achievement.id.not_in(running))
    if q:
        stmt = stmt.where(Achievement.title.contains(q, autoescape=True))
    return list(db.session.execute(stmt.order_by(Achievement.title, Achievement.id).limit(SCHEDULABLE_SHOWN + 1)))


@bp.route("/auctions/new")
@login_required
def new():
    """The 发起拍卖 box posts an achievement number here (the bureau types any number, an owner picks one)."""
    achievement_id = request.args.get("achievement_id", type=int)
    if achievement_id is None:
        flash("请选择要拍卖的科技成果", "warning")
        return redirect(url_for("auctions.index"))
    return redirect(url_for("auctions.schedule", achievement_id=achievement_id))


@bp.route("/auctions/<int:auction_id>")
def detail(auction_id: int):
    auction = db.get_or_404(Auction, auction_id)
    manage = current_user.is_authenticated and services.can_manage(current_user, auction)
    events = []
    if manage:
        events = db.session.scalars(select(AuctionEvent).where(AuctionEvent.auction_id == auction.id)
                                    .order_by(AuctionEvent.id)).all()
    return render_template(
        "auctions/detail.html", auction=auction, state=services.state(auction, current_user),
        can_manage=manage, can_bid=services.can_bid(current_user) and auction.organization_id
        != current_user.organization_id, bid_form=BidForm(), cancel_form=CancelForm(), events=events,
        action_labels=AUCTION_ACTION_LABELS, bidder_labels=services.bidder_labels(auction), now=utcnow())


@bp.route("/auctions/<int:auction_id>/state")
def state(auction_id: int):
    auction = db.session.get(Auction, auction_id)
    if auction is None:
        return jsonify(error="未找到该拍卖"), 404
    resp = jsonify(services.state(auction, current_user))
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/achievements/<int:achievement_id>/auction", methods=["GET", "POST"])
@login_required
def schedule(achievement_id: int):
    achievement = listings.get_listing("achievement", achievement_id)
    perm.require(services.can_manage(current_user, achievement), "只有成果所属单位或科技局可以发起拍卖")
    form = AuctionForm()
    if request.method == "GET" and achievement.price_yuan:
        form.start_price_yuan.data = achievement.price_yuan
    if form.validate_on_submit():
        data = dict(form.data)
        data["starts_at"] = from_local(form.starts_at.data)
        data["ends_at"] = from_local(form.ends_at.data)
        try:
            auction = services.schedule(current_user, achievement, data)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            field_errors_to_form(form, err)
        else:
            flash("拍卖已发布" + ("，竞价已开始" if auction.status == "open" else
                                  f"，将于{fmt_local(auction.starts_at)}开始"), "success")
            return redirect(url_for("auctions.detail", auction_id=auction.id))
    return render_template("auctions/form.html", form=form, achievement=achievement)


@bp.route("/auctions/<int:auction_id>/bid", methods=["POST"])
@login_required
def bid(auction_id: int):
    form = BidForm()
    target = redirect(url_for("auctions.detail", auction_id=auction_id))
    if not form.validate_on_submit():
        flash("；".join(e for errs in form.errors.values() for e in errs) or "请求已过期，请刷新页面后重试", "danger")
        return target
    try:
        placed = services.place_bid(current_user, auction_id, form.amount_yuan.data)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        if err.status_code == 404:
            abort(404)
        if err.status_code == 403:
            raise
        flash(err.message, "danger")
        return target
    from app import money
    flash(f"出价成功：{money(placed.amount_yuan)}，您目前是最高出价者", "success")
    return target


@bp.route("/auctions/<int:auction_id>/cancel", methods=["POST"])
@login_required
def cancel(auction_id: int):
    auction = db.get_or_404(Auction, auction_id)
    perm.require(services.can_manage(current_user, auction), "只有成果所属单位或科技局可以取消拍卖")
    form = CancelForm()
    if not form.validate_on_submit():
        flash("；".join(e for errs in form.errors.values() for e in errs) or "请求已过期，请刷新页面后重试", "danger")
        return redirect(url_for("auctions.detail", auction_id=auction_id))
    try:
        services.cancel(current_user, auction, form.reason.data)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "warning")
    else:
        flash("拍卖已取消", "success")
    return redirect(url_for("auctions.detail", auction_id=auction_id))


@cli.cli.command("close-due")
def close_due_command() -> None:
    """Open auctions whose start has come and close those whose end has passed (idempotent)."""
    out = services.close_due_auctions()
    db.session.commit()
    click.echo(f"开拍 {out['opened']} 场，成交 {out['sold']} 场，流拍 {out['unsold']} 场，失败 {out['failed']} 场")
