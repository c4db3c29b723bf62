"""Marshmallow schemas: one definition validates requests and writes the OpenAPI document.

Error messages are Chinese (the `detail` and `errors` of a problem are read by people).
"""
import marshmallow as ma
from marshmallow import fields, validate

from app.api.fields import Money, UtcDateTime
from app.reference import (
    COOPERATION_MODES,
    INDUSTRIES,
    MATURITIES,
    PATENT_STATUSES,
    PATENT_TYPES,
    TOWNS,
    TRANSFER_MODES,
)

STATUSES = ["draft", "pending", "approved", "rejected", "withdrawn", "archived"]
ZH_FIELD_MESSAGES = {
    "required": "缺少必填字段",
    "null": "该字段不能为 null",
    "validator_failed": "取值无效",
}
ZH_TYPE_MESSAGES = {
    fields.String: "须为字符串",
    fields.Integer: "须为整数",
    fields.Boolean: "须为布尔值 true/false",
    fields.Date: "须为 ISO 日期，例如 2026-06-30",
    fields.DateTime: "须为 ISO 8601 日期时间",
    fields.List: "须为数组",
    fields.Nested: "须为 JSON 对象",
}


def codes(pairs) -> list[str]:
    return [c for c, _ in pairs]


def one_of(pairs, what: str):
    return validate.OneOf(codes(pairs), error=f"无效的{what}，可选值：{{choices}}")


def text(max_len: int, **kw):
    return fields.String(validate=validate.Length(max=max_len, error=f"不能超过{max_len}个字"), **kw)


class Schema(ma.Schema):
    """Base: unknown fields are refused, messages are Chinese."""

    class Meta:
        unknown = ma.RAISE

    error_messages = {"unknown": "不支持的字段", "type": "请求体须为 JSON 对象"}

    def on_bind_field(self, field_name, field_obj):
        msgs = dict(ZH_FIELD_MESSAGES)
        for cls, msg in ZH_TYPE_MESSAGES.items():
            if isinstance(field_obj, cls):
                msgs["invalid"] = msg
                msgs["type"] = msg
                break
        field_obj.error_messages.update(msgs)


# --- common ---

class ProblemSchema(Schema):
    type = fields.String(required=True, metadata={"description": "问题类型（相对 URI）"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True, metadata={"description": "中文说明"})
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         metadata={"description": "按字段列出的错误（400/422）"})


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000, error="页码须在1到100000之间"))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100, error="每页条数须在1到100之间"))


class PageMeta(Schema):
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)
    pages = fields.Integer(required=True)


class OrganizationRef(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    verified = fields.Boolean(required=True)


# --- listings ---

class ListingArgs(PageArgs):
    """The filters of the browse pages, with the same names (min/max in 万元 as people type them)."""

    q = fields.String(load_default="", validate=validate.Length(max=100, error="关键词不能超过100个字"),
                      metadata={"description": "中文关键词（jieba 分词，每个词都须出现）"})
    industry = fields.String(load_default="", validate=validate.OneOf(["", *codes(INDUSTRIES)], error="无效的产业领域"))
    min = fields.Integer(load_default=None, validate=validate.Range(min=0, max=1_000_000, error="须在0到1000000之间"),
                         metadata={"description": "最低金额（万元）"})
    max = fields.Integer(load_default=None, validate=validate.Range(min=0, max=1_000_000, error="须在0到1000000之间"),
                         metadata={"description": "最高金额（万元）"})


class NeedArgs(ListingArgs):
    town = fields.String(load_default="", validate=validate.OneOf(["", *codes(TOWNS)], error="无效的街道/乡镇"))
    cooperation_mode = fields.String(load_default="", validate=validate.OneOf(["", *codes(COOPERATION_MODES)],
                                                                               error="无效的合作方式"))
    sort = fields.String(load_default="newest", validate=validate.OneOf(["newest", "budget_desc", "budget_asc",
                                                                         "deadline"], error="无效的排序方式"))


class AchievementArgs(ListingArgs):
    maturity = fields.String(load_default="", validate=validate.OneOf(["", *codes(MATURITIES)], error="无效的成熟度"))
    transfer_mode = fields.String(load_default="", validate=validate.OneOf(["", *codes(TRANSFER_MODES)],
                                                                           error="无效的转化方式"))
    sort = fields.String(load_default="newest", validate=validate.OneOf(["newest", "price_desc", "price_asc"],
                                                                        error="无效的排序方式"))


class _ListingOut(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    industry_code = fields.String(required=True)
    keywords = fields.List(fields.String(), required=True, attribute="keyword_list")
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    revision_status = fields.String(required=True, allow_none=True,
                                    metadata={"description": "已发布信息的修改：pending 待审核 / rejected 被退回"})
    organization = fields.Nested(OrganizationRef, required=True)
    published_at = UtcDateTime(required=True, allow_none=True)
    updated_at = UtcDateTime(required=True)


class NeedOut(_ListingOut):
    description = fields.String(required=True)
    town_code = fields.String(required=True, allow_none=True)
    budget_yuan = Money(required=True, allow_none=True, metadata={"description": "预算（元）；null 为面议"})
    deadline = fields.Date(required=True, allow_none=True)
    cooperation_mode = fields.String(required=True)


class AchievementOut(_ListingOut):
    abstract = fields.String(required=True)
    maturity = fields.String(required=True)
    transfer_mode = fields.String(required=True)
    price_yuan = Money(required=True, allow_none=True, metadata={"description": "报价（元）；null 为面议"})
    leader = fields.String(required=True)
    application = fields.String(required=True)


class _Private(Schema):
    reject_reason = fields.String(required=True, allow_none=True,
                                  metadata={"description": "退回原因：仅发布单位和科技局可见，其他人为 null"})


class NeedDetail(NeedOut, _Private):
    pass


class AchievementDetail(AchievementOut, _Private):
    confidential = fields.String(required=True, allow_none=True,
                                 metadata={"description": "保密信息：仅成果单位、科技局和已被接受询价的企业可见，其他人为 null"})


class NeedPage(PageMeta):
    items = fields.List(fields.Nested(NeedOut), required=True)


class AchievementPage(PageMeta):
    items = fields.List(fields.Nested(AchievementOut), required=True)


KEYWORDS = fields.List(fields.String(validate=validate.Length(min=1, max=30, error="每个关键词1到30个字")),
                       load_default=list, validate=validate.Length(max=20, error="最多20个关键词"))


class NeedIn(Schema):
    title = text(100, required=True)
    description = text(5000, required=True)
    industry_code = fields.String(required=True, validate=one_of(INDUSTRIES, "产业领域"))
    town_code = fields.String(load_default=None, allow_none=True, validate=one_of(TOWNS, "街道/乡镇"))
    budget_yuan = Money(load_default=None, allow_none=True)
    deadline = fields.Date(load_default=None, allow_none=True)
    cooperation_mode = fields.String(required=True, validate=one_of(COOPERATION_MODES, "合作方式"))
    keywords = KEYWORDS


class AchievementIn(Schema):
    title = text(100, required=True)
    abstract = text(5000, required=True)
    industry_code = fields.String(required=True, validate=one_of(INDUSTRIES, "产业领域"))
    maturity = fields.String(required=True, validate=one_of(MATURITIES, "成熟度"))
    transfer_mode = fields.String(required=True, validate=one_of(TRANSFER_MODES, "转化方式"))
    price_yuan = Money(load_default=None, allow_none=True)
    keywords = KEYWORDS
    leader = text(50, load_default="")
    application = text(2000, load_default="")
    confidential = text(5000, load_default="")


class NeedCreate(NeedIn):
    submit = fields.Boolean(load_default=False, metadata={"description": "true：创建后立即提交审核"})


class AchievementCreate(AchievementIn):
    submit = fields.Boolean(load_default=False, metadata={"description": "true：创建后立即提交审核"})


class NeedPatch(NeedIn):
    class Meta:
        partial = True


class AchievementPatch(AchievementIn):
    class Meta:
        partial = True


class UpdateResult(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(["applied", "held"]),
                            metadata={"description": "applied：已修改；held：已发布信息的修改待科技局审核，公开内容暂不变"})


class NeedUpdated(NeedDetail, UpdateResult):
    pass


class AchievementUpdated(AchievementDetail, UpdateResult):
    pass


class RejectIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(max=1000, error="退回原因不能超过1000个字"))


class PatentIn(Schema):
    number = fields.String(required=True, validate=validate.Length(min=1, max=32, error="专利号1到32个字符"))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200, error="专利名称1到200个字"))
    patent_type = fields.String(required=True, validate=one_of(PATENT_TYPES, "专利类型"))
    status = fields.String(required=True, validate=one_of(PATENT_STATUSES, "法律状态"))
    industrialized = fields.Boolean(load_default=False)


class PatentOut(Schema):
    id = fields.Integer(required=True)
    number = fields.String(required=True)
    title = fields.String(required=True)
    patent_type = fields.String(required=True)
    status = fields.String(required=True)
    industrialized = fields.Boolean(required=True)
    achievement_id = fields.Integer(required=True, allow_none=True)


class ListingRef(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["need", "achievement"]))
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    status = fields.String(required=True)
    revision_status = fields.String(required=True, allow_none=True)
    organization = fields.Nested(OrganizationRef, required=True)
    submitted_at = UtcDateTime(required=True, allow_none=True)
    updated_at = UtcDateTime(required=True)


class ReviewQueue(Schema):
    items = fields.List(fields.Nested(ListingRef), required=True)


# --- matches ---

class MatchOut(Schema):
    id = fields.Integer(required=True)
    score = fields.Float(required=True)
    terms = fields.List(fields.String(), required=True, metadata={"description": "贡献最大的词：匹配的理由"})
    expanded_terms = fields.List(fields.String(), required=True,
                                 metadata={"description": "经同义词扩展后命中的词"})
    status = fields.String(required=True)
    verdict = fields.String(required=True, allow_none=True, metadata={"description": "我的反馈：useful / dismissed"})
    listing = fields.Nested(ListingRef, required=True, metadata={"description": "匹配到的另一方"})


class MatchList(Schema):
    items = fields.List(fields.Nested(MatchOut), required=True)


# --- me, tokens, statistics ---

class MeOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)
    role = fields.String(required=True)
    organization = fields.Nested(OrganizationRef, required=True, allow_none=True)
    token_name = fields.String(required=True)


class SummaryOut(Schema):
    needs = fields.Integer(required=True, metadata={"description": "已发布的技术需求"})
    achievements = fields.Integer(required=True, metadata={"description": "已发布的科技成果"})
    organizations = fields.Integer(required=True, metadata={"description": "已认证单位"})
    patents = fields.Integer(required=True, metadata={"description": "登记的专利"})
    need_budget_yuan = Money(required=True, metadata={"description": "已发布需求的预算合计（元）"})


# --- shared by the transaction modules (inquiries, deals) ---

def no_control_chars(value: str) -> None:
    """As the pages' forms (app/forms_common.no_control_chars): line breaks and tabs only."""
    if value and any(ord(c) < 32 and c not in "\r\n\t" for c in value):
        raise ma.ValidationError("包含不允许的控制字符")


def plain_text(max_len: int, min_len: int = 0, what: str = "", **kw):
    """A free-text field: length in characters, no control characters; Chinese messages."""
    if min_len:
        length = validate.Length(min=min_len, max=max_len, error=f"{what}须为{min_len}到{max_len}个字")
    else:
        length = validate.Length(max=max_len, error=f"{what}不能超过{max_len}个字")
    return fields.String(validate=[length, no_control_chars], **kw)


class UserRef(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class ContactOut(Schema):
    organization = fields.String(required=True)
    contact_person = fields.String(required=True)
    contact_phone = fields.String(required=True)


def contact(org) -> dict:
    return {"organization": org.name, "contact_person": org.contact_person or "", "contact_phone": org.contact_phone or ""}


def page_dump(pagination, per_page: int, items=None) -> dict:
    """A Flask-SQLAlchemy pagination as every list endpoint answers it (items, page, per_page, total, pages)."""
    return {"items": pagination.items if items is None else items, "page": pagination.page, "per_page": per_page,
            "total": pagination.total or 0, "pages": pagination.pages or 0}


def paginate(stmt, page: int, per_page: int) -> dict:
    """page_dump of the page of stmt (past the end: no items, not an error)."""
    from app.extensions import db
    return page_dump(db.paginate(stmt, page=page, per_page=per_page, error_out=False, max_per_page=per_page), per_page)
