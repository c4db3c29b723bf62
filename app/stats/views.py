"""The bureau's cockpit: contract volume toward the year's target, breakdowns, drill-down, targets, indicators."""
import io
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select

from app import pagecache
from app.accounts.permissions import require_bureau
from app.contracts.models import Contract
from app.extensions import db
from app.forms_common import ActionForm
from app.pageshell import kept_for_signed_in
from app.stats import exports, services
from app.stats.forms import IndicatorValueForm, YearlyTargetForm
from app.stats.models import Indicator, IndicatorValue, YearlyTarget
from app.web import paginate

bp = Blueprint("stats", __name__, url_prefix="/bureau")


def _today() -> date:
    from app.deals.services import local_today
    return local_today()


def _year() -> int:
    try:
        y = int(request.args.get("year", ""))
    except ValueError:
        return _today().year
    return y if 2015 <= y <= 2100 else _today().year


@bp.before_request
@login_required
def _bureau_only():
    require_bureau(current_user)


@bp.route("/cockpit")
@kept_for_signed_in("stats", vary=_today)  # alike for every bureau user: kept whole, their menu bar filled in
def cockpit():
    year = _year()
    today = _today()

    def figures():
        return Markup(render_template("stats/_cockpit_figures.html", c=services.cockpit(year, today)))

    def finished_at():
        run = services.last_recompute()
        return run.finished_at if run else None

    # The figures and when they were computed are the same for every bureau user until the summary or the targets
    # change: rendered once per "stats" generation (app/pagecache.memo). The page around them (the user's menu,
    # the recompute form's CSRF token) is rendered per request.
    key = f"cockpit:{year}:{today}:{request.script_root}"
    return render_template("stats/cockpit.html", year=year, figures=pagecache.memo(key, figures, generation="stats"),
                           last_run_at=pagecache.memo("cockpit:last_run", finished_at, generation="stats"),
                           years=range(today.year, 2020, -1))


@bp.route("/cockpit/contracts")
def contracts():
    d = services.Drill.from_args(request.args)
    stmt = services.drill_contracts(d)
    if request.args.get("format") == "xlsx":
        totals = services.drill_totals(d)
        if totals["count"] > exports.MAX_EXPORT_ROWS:
            flash(f"共{totals['count']}份合同，超过单次导出上限{exports.MAX_EXPORT_ROWS}份，请按月份或分类缩小范围后导出",
                  "warning")
            return redirect(url_for("stats.contracts", **request.args.to_dict() | {"format": None}))
        columns = [getattr(Contract, name) for name in exports.CONTRACT_COLUMNS]
        rows = db.session.execute(stmt.with_only_columns(*columns)).yield_per(2000)
        return _xlsx(exports.contracts_workbook(rows, services.describe(d)), "registered-contracts.xlsx")
    totals = services.drill_totals(d)  # its count is the list's: not counted twice
    return render_template("stats/contracts.html", d=d, page=paginate(stmt, total=totals["count"]), totals=totals,
                           description=services.describe(d))


@bp.route("/cockpit/export.xlsx")
def export():
    year = _year()
    return _xlsx(exports.cockpit_workbook(services.cockpit(year, _today())), f"cockpit-{year}.xlsx")


@bp.route("/cockpit/recompute", methods=["POST"])
def recompute():
    if ActionForm().validate_on_submit():
        from tasks import dispatch
        queued = dispatch("stats.recompute")
        flash("已开始在后台重新统计" if queued else "任务队列暂不可用，已直接重新统计", "success")
    return redirect(url_for("stats.cockpit", year=request.form.get("year") or None))


@bp.route("/yearly-targets", methods=["GET", "POST"])
def yearly_targets():
    form = YearlyTargetForm()
    if form.validate_on_submit():
        if not form.contract_volume_yuan.data:
            form.contract_volume_yuan.errors = [*form.contract_volume_yuan.errors, "请填写大于0的目标金额"]
        else:
            t = db.session.get(YearlyTarget, form.year.data) or YearlyTarget(year=form.year.data)
            t.contract_volume_yuan = form.contract_volume_yuan.data
            t.note = form.note.data or ""
            t.updated_by_id = current_user.id
            db.session.add(t)
            db.session.commit()
            flash(f"{form.year.data}年目标已保存", "success")
            return redirect(url_for("stats.yearly_targets"))
    rows = db.session.scalars(select(YearlyTarget).order_by(YearlyTarget.year.desc())).all()
    return render_template("stats/yearly_targets.html", form=form, rows=rows)


@bp.route("/indicators", methods=["GET", "POST"])
def indicators():
    form = IndicatorValueForm()
    years = list(range(2021, _today().year + 1))
    if request.method == "POST":
        code = request.form.get("indicator_code", "")
        ind = db.session.get(Indicator, code)
        if ind is None:
            abort(404)
        if form.validate_on_submit():
            v = db.session.scalar(select(IndicatorValue).where(IndicatorValue.indicator_code == code,
                                                               IndicatorValue.year == form.year.data))
            if v is None:
                v = IndicatorValue(indicator_code=code, year=form.year.data)
                db.session.add(v)
            v.value, v.note, v.entered_by_id = form.value.data, form.note.data or "", current_user.id
            db.session.commit()
            flash(f"已保存：{ind.name} {form.year.data}年", "success")
            return redirect(url_for("stats.indicators"))
        flash("；".join(e for errs in form.errors.values() for e in errs), "danger")
    return render_template("stats/indicators.html", rows=services.indicator_table(years), years=years, form=form)


def _xlsx(workbook, filename: str):
    buf = io.BytesIO()
    workbook.save(buf)
    buf.seek(0)
    return send_file(buf, as_attachment=True, download_name=filename,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

