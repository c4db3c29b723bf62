"""Needs and achievements through the API: the same queries and services as the pages (app/listings)."""
from datetime import date

from flask import current_app, g
from sqlalchemy import func, select

from app import pagecache, signals
from app.accounts import permissions as perm
from app.api import schemas as s
from app.api.auth import optional_token, require_bureau_token, require_token, user
from app.api.blueprint import Blueprint
from app.errors import NotFound
from app.extensions import db
from app.listings import queries, services
from app.listings.models import Achievement, Need

KINDS = {
    "need": {"prefix": "needs", "label": "技术需求", "model": Need, "out": s.NeedOut, "detail": s.NeedDetail,
             "page": s.NeedPage, "args": s.NeedArgs, "create": s.NeedCreate, "put": s.NeedIn,
             "patch": s.NeedPatch, "updated": s.NeedUpdated},
    "achievement": {"prefix": "achievements", "label": "科技成果", "model": Achievement, "out": s.AchievementOut,
                    "detail": s.AchievementDetail, "page": s.AchievementPage, "args": s.AchievementArgs,
                    "create": s.AchievementCreate, "put": s.AchievementIn, "patch": s.AchievementPatch,
                    "updated": s.AchievementUpdated},
}


# --- helpers shared with the other API modules ---

def visible_listing(kind: str, listing_id: int):
    """The listing if this caller may see it; otherwise 404, as the pages (do not reveal that it exists)."""
    listing = services.get_listing(kind, listing_id)
    if not perm.can_view(user(), listing):
        raise NotFound("未找到该信息")
    return listing


def etag_data(listing) -> dict:
    """What an edit can change: content, held revision, workflow state. Same for every viewer."""
    values = {f: (v.isoformat() if isinstance(v, date) else v) for f, v in
              ((f, getattr(listing, f)) for f in listing.EDITABLE)}
    return {"kind": listing.kind, "id": listing.id, "values": values, "status": listing.status,
            "revision": listing.revision, "revision_status": listing.revision_status,
            "reject_reason": listing.reject_reason}


class Overlay:
    """An object seen through a schema with some attributes replaced (hidden fields, extra results)."""

    def __init__(self, obj, **overrides):
        self._obj, self._overrides = obj, overrides

    def __getattr__(self, name):
        if name in self._overrides:
            return self._overrides[name]
        return getattr(self._obj, name)


def detail_dump(listing, **extra) -> Overlay:
    """The listing as this caller may see it: the reason of a refusal and the confidential part only to those
    the pages show them to."""
    u = user()
    hidden = {}
    if not (perm.owns(u, listing) or perm.is_bureau(u)):
        hidden["reject_reason"] = None
    if listing.kind == "achievement" and not perm.can_see_confidential(u, listing):
        hidden["confidential"] = None
    return Overlay(listing, **hidden, **extra)


def to_service(data: dict) -> dict:
    """API values to what services.validate() takes (keywords as one 、-separated string)."""
    out = dict(data)
    if isinstance(out.get("keywords"), list):
        out["keywords"] = "、".join(out["keywords"])
    return out


def _changed(kind: str, listing_id: int, action: str) -> None:
    """As the pages' _after_change (after the commit, with ids): the matching refresh follows a transition."""
    signals.listing_changed.send(kind, listing_id=listing_id, action=action)


# --- one blueprint per kind ---

def _make(kind: str) -> Blueprint:
    k = KINDS[kind]
    label = k["label"]
    blp = Blueprint("api_" + k["prefix"], __name__ + "." + kind, url_prefix=f"/api/v1/{k['prefix']}",
                    description=f"{label}：公开浏览与检索；发布单位创建、修改、提交、撤回；科技局审核")

    page_schema = k["page"]()

    @blp.route("", endpoint="list", methods=["GET"])
    @blp.doc(summary=f"已发布的{label}（筛选条件、排序和中文关键词检索与网页相同）")
    @optional_token
    @blp.arguments(k["args"], location="query", as_kwargs=True)
    @blp.response(200, k["page"])
    def list_(page, per_page, q, industry, min, max, sort, **extra):  # noqa: A002
        f = queries.Filters(q=q, industry=industry, town=extra.get("town", ""), maturity=extra.get("maturity", ""),
                            transfer_mode=extra.get("transfer_mode", ""),
                            cooperation_mode=extra.get("cooperation_mode", ""), min_wan=min, max_wan=max,
                            sort=sort, page=page)
        # Public listings are the same for every caller: the page's JSON is kept until a public change
        # (app/pagecache.memo); the token, its rate limit and the 401s are still checked per request.
        body = pagecache.memo(f"api:{kind}:{f!r}:{per_page}", lambda: current_app.json.dumps(page_schema.dump(
            s.page_dump(queries.public_listings(kind, f, per_page=per_page), per_page))) + "\n")
        return current_app.response_class(body, mimetype=current_app.json.mimetype)

    @blp.route("", endpoint="create", methods=["POST"])
    @blp.doc(summary=f"发布{label}（草稿；submit=true 时同时提交审核）")
    @require_token
    @blp.arguments(k["create"])
    @blp.response(201, k["detail"])
    def create(data):
        submit = data.pop("submit", False)
        listing = services.create(user(), kind, to_service(data), submit=submit)
        db.session.commit()
        return detail_dump(listing)

    @blp.route("/<int(max=2147483647):listing_id>", endpoint="detail", methods=["GET"])
    @blp.doc(summary=f"单条{label}", description=f"未发布的{label}只有发布单位和科技局可见（其他人 404）。"
             "响应的 ETag 用于修改时的 If-Match")
    @optional_token
    @blp.etag
    @blp.response(200, k["detail"])
    def detail(listing_id):
        listing = visible_listing(kind, listing_id)
        blp.set_etag(etag_data(listing))
        return detail_dump(listing)

    def _update(listing_id, values, partial: bool):
        listing = services.get_listing(kind, listing_id)
        perm.require_owner(user(), listing)  # as the pages: 403 for anyone but the owner
        blp.check_etag(etag_data(listing))  # 412 when someone changed it since the caller's GET
        merged = {**listing.current_values(), **to_service(values)} if partial else to_service(values)
        outcome = services.update(user(), listing, merged)
        db.session.commit()
        blp.set_etag(etag_data(listing))
        return detail_dump(listing, outcome=outcome)

    @blp.route("/<int(max=2147483647):listing_id>", endpoint="replace", methods=["PUT"])
    @blp.doc(summary=f"修改{label}的全部可编辑字段（须带 If-Match）",
             description=f"已发布的{label}修改后待科技局审核，审核通过前公开内容不变（outcome=held）")
    @require_token
    @blp.etag
    @blp.arguments(k["put"])
    @blp.response(200, k["updated"])
    def replace(data, listing_id):
        return _update(listing_id, data, partial=False)

    @blp.route("/<int(max=2147483647):listing_id>", endpoint="patch", methods=["PATCH"])
    @blp.doc(summary=f"修改{label}的部分字段（须带 If-Match）")
    @require_token
    @blp.etag
    @blp.arguments(k["patch"](partial=True))
    @blp.response(200, k["updated"])
    def patch(data, listing_id):
        return _update(listing_id, data, partial=True)

    def _transition(action: str, reason: str | None = None):
        def view(listing_id, data=None):
            listing = services.get_listing(kind, listing_id)
            if action == "reject":
                services.reject(user(), listing, data["reason"])
            else:
                getattr(services, action)(user(), listing)
            db.session.commit()
            _changed(kind, listing_id, action)
            return detail_dump(listing)
        return view

    docs = {"submit": "提交审核（发布单位）", "withdraw": "撤回（发布单位）：审核中的回到草稿，已发布的下架",
            "archive": "归档（发布单位或科技局）", "approve": "审核通过（科技局）"}
    for action, doc in docs.items():
        view = _transition(action)

        def endpoint(listing_id, _view=view):
            return _view(listing_id)

        endpoint.__name__ = f"{kind}_{action}"
        endpoint.__doc__ = doc
        blp.route(f"/<int(max=2147483647):listing_id>/{action}", endpoint=action, methods=["POST"])(
            require_token(blp.response(200, k["detail"])(endpoint)))

    reject_view = _transition("reject")

    @blp.route("/<int(max=2147483647):listing_id>/reject", endpoint="reject", methods=["POST"])
    @require_bureau_token  # before the body is read: a refused caller learns nothing from validation errors
    @blp.arguments(s.RejectIn)
    @blp.response(200, k["detail"])
    def reject(data, listing_id):
        """退回并说明原因（科技局）"""
        return reject_view(listing_id, data)

    if kind == "achievement":
        @blp.route("/<int(max=2147483647):listing_id>/patents", endpoint="add_patent", methods=["POST"])
        @require_token
        @blp.arguments(s.PatentIn)
        @blp.response(201, s.PatentOut)
        def add_patent(data, listing_id):
            """为本单位的成果登记专利"""
            achievement = services.get_listing("achievement", listing_id)
            patent = services.add_patent(user(), achievement, data)
            db.session.commit()
            return patent

    return blp


needs_blp = _make("need")
achievements_blp = _make("achievement")


# --- the caller ---

me_blp = Blueprint("api_me", __name__ + ".me", url_prefix="/api/v1", description="令牌所属用户：身份、本单位发布的信息、审核队列")


@me_blp.route("/me", endpoint="me", methods=["GET"])
@require_token
@me_blp.response(200, s.MeOut)
def me():
    """令牌所属的用户、角色和单位"""
    u = user()
    return {"id": u.id, "name": u.name, "email": u.email, "role": u.role, "organization": u.organization,
            "token_name": g.api_token.name}


def _mine(kind: str, page: int, per_page: int):
    u = user()
    model = KINDS[kind]["model"]
    if not perm.can_post(u, kind):
        return {"items": [], "page": page, "per_page": per_page, "total": 0, "pages": 0}
    stmt = (select(model).where(model.organization_id == u.organization_id)
            .order_by(model.updated_at.desc(), model.id.desc()))
    return s.paginate(stmt, page, per_page)


@me_blp.route("/me/needs", endpoint="my_needs", methods=["GET"])
@require_token
@me_blp.arguments(s.PageArgs, location="query", as_kwargs=True)
@me_blp.response(200, s.NeedPage)
def my_needs(page, per_page):
    """本单位发布的技术需求（所有状态，最近修改的在前）"""
    return _mine("need", page, per_page)


@me_blp.route("/me/achievements", endpoint="my_achievements", methods=["GET"])
@require_token
@me_blp.arguments(s.PageArgs, location="query", as_kwargs=True)
@me_blp.response(200, s.AchievementPage)
def my_achievements(page, per_page):
    """本单位发布的科技成果（所有状态，最近修改的在前）"""
    return _mine("achievement", page, per_page)


@me_blp.route("/review-queue", endpoint="review_queue", methods=["GET"])
@require_bureau_token
@me_blp.response(200, s.ReviewQueue)
def review_queue():
    """待审核的新信息和已发布信息的修改，先提交的在前（科技局）"""
    return {"items": services.review_queue()}


def count_approved(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(model.status == "approved")) or 0


def blueprints():
    return [needs_blp, achievements_blp, me_blp]
