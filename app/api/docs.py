"""The interactive documentation page: Swagger UI from our own static files (no CDN, no inline script for the CSP)."""
from flask import Blueprint, render_template

bp = Blueprint("api_docs", __name__)


@bp.route("/api/v1/docs")
def index():
    return render_template("api/docs.html")
