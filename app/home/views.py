from flask import Blueprint, render_template

from app.listings import queries

bp = Blueprint("home", __name__)


@bp.route("/")
def index():
    return render_template("home/index.html", figures=queries.headline_figures(),
                           needs=queries.newest("need"), achievements=queries.newest("achievement"))
