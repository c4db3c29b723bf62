from flask import Blueprint, render_template

from app import pagecache
from app.listings import queries

bp = Blueprint("home", __name__)


@bp.route("/")
def index():
    # five counts over every public listing: the same for everyone, so computed once per change (app/pagecache.py)
    return render_template("home/index.html", figures=pagecache.memo("headline_figures", queries.headline_figures),
                           needs=queries.newest("need"), achievements=queries.newest("achievement"))
