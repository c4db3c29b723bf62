"""Statistics: a public summary of the market."""
from flask_smorest import Blueprint

from app.api import schemas as s
from app.api.auth import optional_token
from app.listings import queries

blp = Blueprint("api_statistics", __name__, url_prefix="/api/v1/statistics", description="统计：公开概要；科技局的分项统计和目标")


@blp.route("/summary", endpoint="summary", methods=["GET"])
@blp.doc(summary="市场概要（公开）")
@optional_token
@blp.response(200, s.SummaryOut)
def summary():
    return queries.headline_figures()


def blueprints():
    return [blp]
