"""Technology contracts through the API: record, edit (If-Match), register or return by the bureau; the bureau's
contract statistics. Calls app/contracts/services.py, the one service layer the pages use."""
from datetime import date

import marshmallow as ma
from marshmallow import fields, validate

from app.api import schemas as s
from app.api.auth import require_bureau_token, require_token, user
from app.api.blueprint import Blueprint
from app.api.fields import Money, UtcDateTime
from app.contracts import services
from app.contracts.models import CONTRACT_STATUSES, CONTRACT_TYPES
from app.extensions import db

ID = "int(max=2147483647)"


class ContractIn(s.Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200, error="合同名称1到200个字"))
    contract_type = fields.String(required=True, validate=s.one_of(CONTRACT_TYPES, "合同类型"))
    buyer_org_id = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=2147483647),
                                  metadata={"description": "平台上的买方单位；不在平台的单位改填 buyer_name 等"})
    buyer_name = fields.String(load_default="", validate=validate.Length(max=100))
    buyer_credit_code = fields.String(load_default="", validate=validate.Length(max=18))
    buyer_region = fields.String(load_default="", validate=validate.Length(max=100))
    seller_org_id = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=2147483647))
    seller_name = fields.String(load_default="", validate=validate.Length(max=100))
    seller_credit_code = fields.String(load_default="", validate=validate.Length(max=18))
    seller_region = fields.String(load_default="", validate=validate.Length(max=100))
    contract_amount_yuan = Money(required=True, metadata={"description": "合同金额（元）"})
    tech_amount_yuan = Money(required=True, metadata={"description": "技术交易额（元），不大于合同金额"})
    signed_on = fields.Date(required=True)
    deal_id = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=2147483647))
    achievement_id = fields.Integer(load_default=None, allow_none=True,
                                    validate=validate.Range(min=1, max=2147483647))
    broker_id = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=2147483647))
    patent_numbers = fields.List(fields.String(validate=validate.Length(min=1, max=32)), load_default=list,
                                 validate=validate.Length(max=50))


class Party(s.Schema):
    org_id = fields.Integer(required=True, allow_none=True)
    name = fields.String(required=True)
    credit_code = fields.String(required=True)
    region = fields.String(required=True)
    in_county = fields.Boolean(required=True)


class ContractOut(s.Schema):
    id = fields.Integer(required=True)
    version = fields.Integer(required=True)
    supersedes_id = fields.Integer(required=True, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(s.codes(CONTRACT_STATUSES)))
    title = fields.String(required=True)
    contract_type = fields.String(required=True)
    buyer = fields.Nested(Party, required=True)
    seller = fields.Nested(Party, required=True)
    contract_amount_yuan = Money(required=True)
    tech_amount_yuan = Money(required=True)
    signed_on = fields.Date(required=True)
    deal_id = fields.Integer(required=True, allow_none=True)
    achievement_id = fields.Integer(required=True, allow_none=True)
    broker_id = fields.Integer(required=True, allow_none=True)
    return_reason = fields.String(required=True)
    registration_number = fields.String(required=True, allow_none=True)
    registered_on = fields.Date(required=True, allow_none=True)
    submitted_at = UtcDateTime(required=True, allow_none=True)
    updated_at = UtcDateTime(required=True)

    @ma.pre_dump
    def _parties(self, c, **kw):
        from app.api.listings import Overlay
        side = {p: {f: getattr(c, f"{p}_{f}") for f in services.PARTY_FIELDS} for p in ("buyer", "seller")}
        return Overlay(c, **side)


class ContractPage(s.PageMeta):
    items = fields.List(fields.Nested(ContractOut), required=True)


class ReasonIn(s.Schema):
    reason = fields.String(required=True, validate=validate.Length(max=1000, error="原因不能超过1000个字"))


class Amounts(s.Schema):
    count = fields.Integer(required=True)
    contract_amount_yuan = Money(required=True)
    tech_amount_yuan = Money(required=True)


class TypeAmounts(Amounts):
    label = fields.String(required=True)


class ContractTotals(Amounts):
    year = fields.Integer(required=True, allow_none=True)
    by_type = fields.Dict(keys=fields.String(), values=fields.Nested(TypeAmounts), required=True)
    by_month = fields.Dict(keys=fields.String(), values=fields.Nested(Amounts), required=True,
                           metadata={"description": "按首次登记月份（YYYY-MM）"})
    absorbed = fields.Nested(Amounts, required=True, metadata={"description": "买方在县内：本县吸纳的技术"})
    supplied = fields.Nested(Amounts, required=True, metadata={"description": "卖方在县内：本县输出的技术"})


class YearArgs(s.Schema):
    year = fields.Integer(load_default=None, validate=validate.Range(min=2000, max=2100, error="年份须在2000到2100之间"))


blp = Blueprint("api_contracts", __name__, url_prefix="/api/v1/contracts",
                description="技术合同：当事方、经纪人录入；科技局认定登记或退回（只有已登记的合同计入统计）")


def to_service(data: dict) -> dict:
    out = dict(data)
    out["patent_numbers"] = "、".join(out.get("patent_numbers") or [])
    return out


def etag_data(c) -> dict:
    values = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in
              ((col.key, getattr(c, col.key)) for col in c.__table__.columns if col.key not in ("updated_at",
                                                                                             "created_at"))}
    values["submitted_at"] = str(values.get("submitted_at"))
    return {"contract": values, "patents": sorted(p.number for p in getattr(c, "patents", []) or [])}


def _visible(contract_id: int):
    c = services.get_contract(contract_id)
    services.require_view(user(), c)
    return c


@blp.route("", endpoint="list", methods=["GET"])
@blp.doc(summary="我能看到的技术合同（每份合同的最新版本；科技局为全部），新录入的在前")
@require_token
@blp.arguments(s.PageArgs, location="query", as_kwargs=True)
@blp.response(200, ContractPage)
def list_(page, per_page):
    return s.paginate(services.contracts_query(user()), page, per_page)


@blp.route("", endpoint="record", methods=["POST"])
@blp.doc(summary="录入技术合同（当事方、技术经纪人或科技局），进入待登记")
@require_token
@blp.arguments(ContractIn)
@blp.response(201, ContractOut)
def record(data):
    c = services.record(user(), to_service(data))
    db.session.commit()
    return c


@blp.route(f"/<{ID}:contract_id>", endpoint="detail", methods=["GET"])
@blp.doc(summary="单份技术合同；响应的 ETag 用于修改时的 If-Match")
@require_token
@blp.etag
@blp.response(200, ContractOut)
def detail(contract_id):
    c = _visible(contract_id)
    blp.set_etag(etag_data(c))
    return c


@blp.route(f"/<{ID}:contract_id>", endpoint="replace", methods=["PUT"])
@blp.doc(summary="修改尚未登记的合同（须带 If-Match）；被退回的合同修改后重新进入待登记")
@require_token
@blp.etag
@blp.arguments(ContractIn)
@blp.response(200, ContractOut)
def replace(data, contract_id):
    c = _visible(contract_id)
    blp.check_etag(etag_data(c))
    services.update(user(), c, to_service(data))
    db.session.commit()
    blp.set_etag(etag_data(c))
    return c


@blp.route(f"/<{ID}:contract_id>/register", endpoint="register", methods=["POST"])
@blp.doc(summary="认定登记（科技局）：分配登记号，计入统计")
@require_bureau_token
@blp.response(200, ContractOut)
def register(contract_id):
    c = services.get_contract(contract_id)
    services.register(user(), c)
    db.session.commit()
    return c


@blp.route(f"/<{ID}:contract_id>/return", endpoint="return", methods=["POST"])
@blp.doc(summary="退回并说明原因（科技局）")
@require_bureau_token
@blp.arguments(ReasonIn)
@blp.response(200, ContractOut)
def return_(data, contract_id):
    c = services.get_contract(contract_id)
    services.return_(user(), c, data["reason"])
    db.session.commit()
    return c


stats_blp = Blueprint("api_contract_statistics", __name__, url_prefix="/api/v1/statistics",
                      description="科技局的技术合同统计（只计已登记的合同，按首次登记日期）")


@stats_blp.route("/contracts", endpoint="contracts", methods=["GET"])
@stats_blp.doc(summary="技术合同成交统计：合计、按类型、按月份、县内吸纳与输出（科技局）")
@require_bureau_token
@stats_blp.arguments(YearArgs, location="query", as_kwargs=True)
@stats_blp.response(200, ContractTotals)
def contract_statistics(year):
    return services.contract_totals(year)


def blueprints():
    return [blp, stats_blp]
