"""Pages for needs and achievements. One set of view functions serves both kinds (URL prefix picks the kind)."""
import uuid
from typing import NamedTuple

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import pagecache
from app.accounts import permissions as perm
from app.errors import DomainError, InvalidTransition
from app.extensions import db
from app.forms_common import ActionForm
from app.listings import queries, services
from app.listings.forms import AchievementForm, NeedForm, PatentForm, RejectForm
from app.listings.models import ACTION_LABELS, Achievement, Need, Patent, ReviewEvent
from app.pageshell import kept_for_signed_in
from app.reference import COOPERATION_MODES, MATURITIES, TRANSFER_MODES, Industry, Town
from app.web import back, field_errors_to_form, paginate

bp = Blueprint("listings", __name__)

PREFIX = {"need": "needs", "achievement": "achievements"}
FORMS = {"need": NeedForm, "achievement": AchievementForm}


class Ref(NamedTuple):
    code: str
    name: str


def _reference_lists() -> dict:
    return {
        "industries": [Ref(i.code, i.name) for i in db.session.scalars(select(Industry).order_by(Industry.sort_order))],
        "towns": [Ref(t.code, t.name) for t in db.session.scalars(select(Town).order_by(Town.sort_order))],
    }


def _refs():
    # the same lists on every browse page and form: kept until a reference table changes (app/pagecache.py)
    return {**pagecache.memo("reference_lists", _reference_lists),
            "maturities": MATURITIES, "transfer_modes": TRANSFER_MODES, "cooperation_modes": COOPERATION_MODES}


def _form(kind: str, **kw):
    form = FORMS[kind](**kw)
    refs = _refs()
    form.industry_code.choices = [("", "请选择")] + [(i.code, i.name) for i in refs["industries"]]
    if kind == "need":
        form.town_code.choices = [("", "不限/县外")] + [(t.code, t.name) for t in refs["towns"]]
    return form


@kept_for_signed_in("public")  # the whole page, for signed-in visitors too (only their menu bar differs)
def browse(kind: str):
    f = queries.Filters.from_args(request.args)

    def results():
        return Markup(render_template("listings/_results.html", page=queries.public_listings(kind, f)))

    # The results (count, cards, page links) are public and alike for everyone: kept per address until a public
    # change, so a signed-in visitor — whom the page cache never serves — does not pay the queries and the cards
    # again (the page links repeat the address's arguments, hence the whole query string in the key). Shared
    # through Redis: rendered once per change for the whole server, not once in each worker process.
    key = f"browse:{kind}:{request.script_root}:{request.query_string.decode('latin-1')}"
    return render_template("listings/browse.html", kind=kind, results=pagecache.memo(key, results, share=True), f=f,
                           sorts=queries.SORTS[kind], **_refs())


def detail(kind: str, listing_id: int):
    listing = services.get_listing(kind, listing_id, options=queries.detail_options(kind))
    if not perm.can_view(current_user, listing):
        abort(404)  # not public: do not reveal that it exists
    events = []
    if perm.owns(current_user, listing) or perm.is_bureau(current_user):
        events = db.session.scalars(select(ReviewEvent).where(
            ReviewEvent.listing_kind == kind, ReviewEvent.listing_id == listing.id).order_by(ReviewEvent.id)).all()
    from app.matches import services as matches
    is_owner, is_bureau = perm.owns(current_user, listing), perm.is_bureau(current_user)
    # Forms only for those who see them: building one puts a CSRF token in the session, and an anonymous visitor
    # given a session cookie could no longer be served from the public page cache (app/pagecache.py).
    return render_template(
        "listings/detail.html", kind=kind, listing=listing, events=events, action_labels=ACTION_LABELS,
        show_suggestions=matches.can_see_matches(current_user, listing),
        suggestions=matches.suggestions(current_user, listing) if listing.status == "approved" else [],
        is_owner=is_owner, is_bureau=is_bureau,
        show_confidential=perm.can_see_confidential(current_user, listing),
        patent_form=PatentForm() if kind == "achievement" and is_owner else None,
        reject_form=RejectForm() if is_bureau else None,
    )


@login_required
def create(kind: str):
    perm.require_post(current_user, kind)
    form = _form(kind)
    if request.method == "GET":
        form.submission_key.data = uuid.uuid4().hex
    if kind == "need" and request.method == "GET" and current_user.organization:
        form.town_code.data = current_user.organization.town_code
        form.industry_code.data = current_user.organization.industry_code
    if form.validate_on_submit():
        try:
            listing = services.create(current_user, kind, form.data, submit="submit" in request.form)
            db.session.commit()
        except IntegrityError:
            # two posts of the same form at once: the unique submission key let one through; show that one
            db.session.rollback()
            listing = services.find_submission(kind, current_user, form.submission_key.data)
            if listing is None:
                raise
            return redirect(url_for(f"listings.{kind}_detail", listing_id=listing.id))
        except DomainError as err:
            db.session.rollback()
            field_errors_to_form(form, err)
        else:
            flash("已提交，等待科技局审核" if listing.status == "pending" else "已保存为草稿", "success")
            return redirect(url_for(f"listings.{kind}_detail", listing_id=listing.id))
    return render_template("listings/form.html", kind=kind, form=form, listing=None)


@login_required
def edit(kind: str, listing_id: int):
    listing = services.get_listing(kind, listing_id)
    perm.require_owner(current_user, listing)
    form = _form(kind, data=listing.current_values()) if request.method == "GET" else _form(kind)
    if form.validate_on_submit():
        try:
            outcome = services.update(current_user, listing, form.data)
            if "submit" in request.form and listing.status in ("draft", "rejected", "withdrawn"):
                services.submit(current_user, listing)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            field_errors_to_form(form, err)
        else:
            flash("修改已提交审核，审核通过前公开页面仍显示原内容" if outcome == "held" else "已保存", "success")
            return redirect(url_for(f"listings.{kind}_detail", listing_id=listing.id))
    return render_template("listings/form.html", kind=kind, form=form, listing=listing)


def _transition(kind: str, listing_id: int, action: str):
    listing = services.get_listing(kind, listing_id)
    form = RejectForm() if action == "reject" else ActionForm()
    if not form.validate_on_submit():
        if action == "reject" and form.reason.errors:
            flash(form.reason.errors[0], "danger")
        else:
            flash("请求已过期，请刷新页面后重试", "danger")
        return back(f"listings.{kind}_detail", listing_id=listing_id)
    try:
        if action == "reject":
            services.reject(current_user, listing, form.reason.data)
        elif action == "confirm":
            from app.listings.staleness import confirm
            confirm(current_user, listing)
        else:
            getattr(services, action)(current_user, listing)
        db.session.commit()
    except InvalidTransition as err:
        db.session.rollback()
        flash(err.message, "warning")
    else:
        messages = {"submit": "已提交审核", "withdraw": "已撤回", "archive": "已归档", "approve": "已审核通过",
                    "reject": "已退回", "confirm": "已确认信息仍然有效"}
        flash(messages[action], "success")
        _after_change(kind, listing_id, action)
    if action in ("approve", "reject") and request.form.get("from") == "queue":
        return redirect(url_for("listings.review_queue"))
    return redirect(url_for(f"listings.{kind}_detail", listing_id=listing_id)) if listing.status != "archived" \
        or perm.is_bureau(current_user) or perm.owns(current_user, listing) else redirect(url_for("listings.mine"))


def _after_change(kind: str, listing_id: int, action: str) -> None:
    """Hook for work that follows a committed change (matching refresh); never fails the user's request.
    Sends ids, not the object: touching the expired object would open a read transaction that, on SQLite,
    blocks the in-process task's write."""
    from app import signals
    signals.listing_changed.send(kind, listing_id=listing_id, action=action)


@login_required
def transition(kind: str, listing_id: int, action: str):
    if action not in ("submit", "withdraw", "archive", "approve", "reject", "confirm"):
        abort(404)
    return _transition(kind, listing_id, action)


for _kind, _prefix in PREFIX.items():
    bp.add_url_rule(f"/{_prefix}", f"{_kind}_browse", browse, defaults={"kind": _kind})
    bp.add_url_rule(f"/{_prefix}/<int:listing_id>", f"{_kind}_detail", detail, defaults={"kind": _kind})
    bp.add_url_rule(f"/{_prefix}/new", f"{_kind}_create", create, defaults={"kind": _kind}, methods=["GET", "POST"])
    bp.add_url_rule(f"/{_prefix}/<int:listing_id>/edit", f"{_kind}_edit", edit, defaults={"kind": _kind},
                    methods=["GET", "POST"])
    bp.add_url_rule(f"/{_prefix}/<int:listing_id>/<any(submit, withdraw, archive, approve, reject, confirm):action>",
                    f"{_kind}_transition", transition, defaults={"kind": _kind}, methods=["POST"])


@bp.route("/achievements/<int:listing_id>/patents", methods=["POST"])
@login_required
def add_patent(listing_id: int):
    achievement = services.get_listing("achievement", listing_id)
    perm.require_owner(current_user, achievement)
    form = PatentForm()
    if form.validate_on_submit():
        try:
            services.add_patent(current_user, achievement, form.data)
            db.session.commit()
            flash("专利已添加", "success")
        except DomainError as err:
            db.session.rollback()
            flash("；".join(err.field_errors.values()) or err.message, "danger")
    else:
        flash("；".join(e for errs in form.errors.values() for e in errs), "danger")
    return redirect(url_for("listings.achievement_detail", listing_id=listing_id))


@bp.route("/patents/<int:patent_id>/unlink", methods=["POST"])
@login_required
def unlink_patent(patent_id: int):
    patent = db.get_or_404(Patent, patent_id)
    listing_id = patent.achievement_id
    if ActionForm().validate_on_submit():
        try:
            services.unlink_patent(current_user, patent)
            db.session.commit()
            flash("已取消关联该专利", "success")
        except InvalidTransition as err:
            db.session.rollback()
            flash(err.message, "warning")
    return redirect(url_for("listings.achievement_detail", listing_id=listing_id) if listing_id
                    else url_for("listings.mine"))


@bp.route("/my/listings")
@login_required
def mine():
    # each kind a page at a time (a university can hold thousands of achievements), each with its own page number
    org_id = current_user.organization_id
    pages = {}
    for kind, model in (("need", Need), ("achievement", Achievement)):
        if perm.can_post(current_user, kind):
            pages[kind] = paginate(select(model).where(model.organization_id == org_id)
                                   .order_by(model.updated_at.desc(), model.id.desc()), page_arg=f"{kind}_page")
    return render_template("listings/mine.html", pages=pages)


@bp.route("/bureau/review")
@login_required
def review_queue():
    perm.require_bureau(current_user)
    return render_template("listings/review_queue.html", items=services.review_queue(), action_form=ActionForm(),
                           reject_form=RejectForm())
