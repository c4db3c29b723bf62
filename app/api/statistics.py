"""Statistics: a public summary of the market; the bureau's cockpit (breakdowns, target, pace), the 专栏13 targets and
the 附件1 indicators.

The bureau's endpoints return what the pages compute (app/stats/services.cockpit and indicator_table,
app/targets/services.progress), renamed for the wire: amounts in 元 as exact decimal strings, indicator values as
exact decimal strings, dates ISO.
"""
from decimal import Decimal

import marshmallow as ma
from marshmallow import fields, validate

from app.api import schemas as s
from app.api.auth import optional_token, require_bureau_token
from app.api.blueprint import Blueprint
from app.api.fields import Money, UtcDateTime
from app.listings import queries
from app.stats import services as stats
from app.targets import services as targets
from app.timeutil import local_today

blp = Blueprint("api_statistics", __name__, url_prefix="/api/v1/statistics", description="统计：公开概要；科技局的分项统计和目标")


# --- schemas ---

class DecimalString(fields.String):
    """An exact decimal (Numeric column) as a string without trailing zeros: "20", "3.5", "0.0125"."""

    def __init__(self, **kw):
        meta = {"pattern": r"^-?[0-9]+(\.[0-9]+)?$", "example": "3.5"}
        meta.update(kw.pop("metadata", {}))
        super().__init__(metadata=meta, **kw)

    def _serialize(self, value, attr, obj, **kw):
        if value is None:
            return None
        d = Decimal(value).quantize(Decimal("0.0001"))
        text = format(d.normalize(), "f")
        return "0" if text in ("-0", "") else text


class CockpitArgs(s.Schema):
    year = fields.Integer(load_default=None, validate=validate.Range(min=2015, max=2100, error="年份须在2015到2100之间"),
                          metadata={"description": "年份，默认今年（北京时间）"})


class TargetArgs(s.Schema):
    year = fields.Integer(load_default=None, validate=validate.Range(min=2015, max=2100, error="年份须在2015到2100之间"),
                          metadata={"description": "技术合同成交额按该年计，默认今年（北京时间）"})


class Figures(s.Schema):
    count = fields.Integer(required=True, metadata={"description": "已登记合同份数"})
    contract_amount_yuan = Money(required=True, attribute="amount", metadata={"description": "合同金额（元）"})
    tech_amount_yuan = Money(required=True, attribute="tech", metadata={"description": "技术交易额（元）"})


class MonthFigures(Figures):
    month = fields.Integer(required=True, attribute="key", validate=validate.Range(min=1, max=12))


class BreakdownRow(Figures):
    key = fields.String(required=True, metadata={"description": "代码；空字符串为未分类/未知"})
    label = fields.String(required=True)

    @ma.pre_dump
    def _key(self, row, **kw):
        return {**row, "key": str(row["key"])}


class Breakdowns(s.Schema):
    industry = fields.List(fields.Nested(BreakdownRow), required=True, attribute="industry_code",
                           metadata={"description": "按产业领域（成果的领域，否则卖方、买方单位的领域）"})
    town = fields.List(fields.Nested(BreakdownRow), required=True, attribute="town_code",
                       metadata={"description": "按街道/乡镇（县内买方所在地，否则县内卖方所在地）"})
    contract_type = fields.List(fields.Nested(BreakdownRow), required=True, metadata={"description": "按合同类型"})
    seller_kind = fields.List(fields.Nested(BreakdownRow), required=True, metadata={"description": "按卖方单位类型"})
    source = fields.List(fields.Nested(BreakdownRow), required=True, metadata={"description": "按对接项目来源"})


class Pace(s.Schema):
    projection_yuan = Money(required=True, attribute="projection", metadata={"description": "按目前进度预计全年（元）"})
    remaining_yuan = Money(required=True, attribute="remaining", metadata={"description": "距目标还差（元）"})
    months_left = fields.Integer(required=True)
    monthly_needed_yuan = Money(required=True, attribute="monthly_needed",
                                metadata={"description": "完成目标每月还需（元）"})
    on_track = fields.Boolean(required=True)
    percent = fields.Float(required=True, metadata={"description": "已完成目标的百分比"})


class SeriesPoint(s.Schema):
    year = fields.Integer(required=True)
    amount_yuan = Money(required=True, attribute="amount")
    source = fields.String(required=True, metadata={"description": "规划基数 / 规划预计数 / 已登记合同"})


class CockpitOut(s.Schema):
    year = fields.Integer(required=True)
    totals = fields.Nested(Figures, required=True, metadata={"description": "当年已登记合同合计（按首次登记日期）"})
    target_yuan = Money(required=True, attribute="target", metadata={"description": "当年目标（元）"})
    target_note = fields.String(required=True, metadata={"description": "目标来源"})
    pace = fields.Nested(Pace, required=True)
    months = fields.List(fields.Nested(MonthFigures), required=True, metadata={"description": "1到12月"})
    breakdowns = fields.Nested(Breakdowns, required=True)
    flows = fields.List(fields.Nested(BreakdownRow), required=True,
                        metadata={"description": "absorbed 县内企业吸纳技术；supplied 县内单位输出技术"})
    series = fields.List(fields.Nested(SeriesPoint), required=True, metadata={"description": "历年成交额（含规划基数）"})
    computed_at = UtcDateTime(required=True, allow_none=True,
                              metadata={"description": "统计表最近一次重算的时间（后台任务）；null 为未记录"})


class TargetRow(s.Schema):
    key = fields.String(required=True, validate=validate.OneOf(list(targets.TARGETS)))
    name = fields.String(required=True)
    text = fields.String(required=True, metadata={"description": "专栏13原文"})
    unit = fields.String(required=True, metadata={"description": "元 / 名 / 项 / 家"})
    goal = fields.String(required=True, metadata={"description": "目标值：unit 为元时是两位小数的金额字符串，其余为整数字符串"})
    current = fields.String(required=True, metadata={"description": "当前值（由记录计算），格式同 goal"})
    percent = fields.Float(required=True, metadata={"description": "完成百分比（最多显示到1000%）"})
    done = fields.Boolean(required=True)

    @ma.pre_dump
    def _exact(self, row, **kw):
        fmt = (lambda v: f"{int(v)}.00") if row["unit"] == "元" else (lambda v: str(int(v)))
        return {**row, "goal": fmt(row["goal"]), "current": fmt(row["current"])}


class TargetsOut(s.Schema):
    year = fields.Integer(required=True, metadata={"description": "技术合同成交额所计的年份"})
    contract_count = fields.Integer(required=True, metadata={"description": "该年已登记合同份数"})
    tech_amount_yuan = Money(required=True, metadata={"description": "该年技术交易额（元）"})
    targets = fields.List(fields.Nested(TargetRow), required=True)


class IndicatorYear(s.Schema):
    year = fields.Integer(required=True)
    value = DecimalString(required=True, allow_none=True, metadata={"description": "科技局录入的值；null 为未录入"})
    note = fields.String(required=True)


class IndicatorRow(s.Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    unit = fields.String(required=True)
    note = fields.String(required=True)
    value_2015 = DecimalString(required=True, allow_none=True)
    value_2019 = DecimalString(required=True, allow_none=True)
    value_2020 = DecimalString(required=True, allow_none=True, metadata={"description": "2020年预计数"})
    target_2025 = DecimalString(required=True, allow_none=True)
    values = fields.List(fields.Nested(IndicatorYear), required=True, metadata={"description": "2021年起每年"})
    latest = fields.Nested(IndicatorYear, required=True, allow_none=True, metadata={"description": "最近录入的一年"})
    gap = DecimalString(required=True, allow_none=True, metadata={"description": "2025年目标减最近值"})


class IndicatorsOut(s.Schema):
    years = fields.List(fields.Integer(), required=True)
    indicators = fields.List(fields.Nested(IndicatorRow), required=True)


# --- routes ---

@blp.route("/summary", endpoint="summary", methods=["GET"])
@blp.doc(summary="市场概要（公开）")
@optional_token
@blp.response(200, s.SummaryOut)
def summary():
    return queries.headline_figures()


@blp.route("/cockpit", endpoint="cockpit", methods=["GET"])
@blp.doc(summary="科技局驾驶舱：当年成交额、目标与进度、按月、按产业/街道乡镇/合同类型/卖方类型/来源、县内吸纳与输出、历年（科技局）",
         description="与网页驾驶舱读同一张统计表（只计已登记的合同，按首次登记日期），数字相同")
@require_bureau_token
@blp.arguments(CockpitArgs, location="query", as_kwargs=True)
@blp.response(200, CockpitOut)
def cockpit(year):
    today = local_today()
    data = stats.cockpit(year or today.year, today)
    last = stats.last_recompute()
    return {**data, "computed_at": getattr(last, "finished_at", None) if last is not None else None}


@blp.route("/targets", endpoint="targets", methods=["GET"])
@blp.doc(summary="专栏13目标进度：技术合同成交额、技术经纪人、发明专利产业化、优秀科技服务机构、重大贡献发明专利（科技局）")
@require_bureau_token
@blp.arguments(TargetArgs, location="query", as_kwargs=True)
@blp.response(200, TargetsOut)
def targets_(year):
    rows = targets.progress(year or local_today().year)
    first = rows[0]
    return {"year": first["year"], "contract_count": first["contract_count"], "tech_amount_yuan": first["tech_amount"],
            "targets": rows}


@blp.route("/indicators", endpoint="indicators", methods=["GET"])
@blp.doc(summary="附件1指标：规划基数、2025年目标、2021年起每年的录入值、最近值与差距（科技局）")
@require_bureau_token
@blp.response(200, IndicatorsOut)
def indicators():
    years = list(range(targets.PLAN_FIRST_YEAR, local_today().year + 1))  # as the page: 2021 to this year
    out = []
    for row in stats.indicator_table(years):
        ind, latest = row["indicator"], row["latest"]
        out.append({
            "code": ind.code, "name": ind.name, "unit": ind.unit or "", "note": ind.note or "",
            "value_2015": ind.value_2015, "value_2019": ind.value_2019, "value_2020": ind.value_2020,
            "target_2025": ind.target_2025,
            "values": [{"year": y, "value": v.value if v else None, "note": (v.note or "") if v else ""}
                       for y, v in row["values"].items()],
            "latest": {"year": latest.year, "value": latest.value, "note": latest.note or ""} if latest else None,
            "gap": row["gap"],
        })
    return {"years": years, "indicators": out}


def blueprints():
    return [blp]
