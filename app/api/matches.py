"""Matches of a listing with the terms that explain them (app/matches/services.suggestions)."""
from app.api import schemas as s
from app.api.auth import require_token, user
from app.api.blueprint import Blueprint
from app.api.listings import visible_listing
from app.errors import PermissionDenied
from app.matches import services as matches

blp = Blueprint("api_matches", __name__, url_prefix="/api/v1", description="匹配：需求与成果的推荐对，附匹配理由（关键词）")


def _matches(kind: str, listing_id: int):
    listing = visible_listing(kind, listing_id)
    u = user()
    if not matches.can_see_matches(u, listing):
        raise PermissionDenied("只有发布单位、技术经纪人和科技局可以查看匹配结果")
    rows = matches.suggestions(u, listing) if listing.status == "approved" else []
    return {"items": [{**_row(r["match"]), "verdict": r["verdict"], "listing": r["listing"]} for r in rows]}


def _row(m) -> dict:
    return {"id": m.id, "score": m.score, "terms": list(m.terms or []), "expanded_terms": list(m.expanded_terms or []),
            "status": m.status}


@blp.route("/needs/<int(max=2147483647):listing_id>/matches", endpoint="need_matches", methods=["GET"])
@blp.doc(summary="技术需求的推荐成果（附匹配理由）")
@require_token
@blp.response(200, s.MatchList)
def need_matches(listing_id):
    return _matches("need", listing_id)


@blp.route("/achievements/<int(max=2147483647):listing_id>/matches", endpoint="achievement_matches", methods=["GET"])
@blp.doc(summary="科技成果的推荐需求（附匹配理由）")
@require_token
@blp.response(200, s.MatchList)
def achievement_matches(listing_id):
    return _matches("achievement", listing_id)


def blueprints():
    return [blp]
