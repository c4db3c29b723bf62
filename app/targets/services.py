"""The plan's 专栏13 targets: record what counts, and compute progress from records (never typed-in counts)."""
from datetime import date

from sqlalchemy import func, select

from app.accounts import permissions as perm
from app.accounts.models import Organization
from app.errors import InvalidTransition, ValidationError
from app.extensions import db
from app.listings.models import Patent
from app.models_base import utcnow
from app.targets.models import MajorPatentSelection, PatentIndustrialization, ServiceAgencyCertification
from app.timeutil import local_today

PLAN_FIRST_YEAR = 2021  # 十四五 plan: 2021–2025; cumulative targets count from its start

# 专栏13: 技术市场建设行动计划 (goal, unit; money in 元)
TARGETS = {
    "contract_amount": {"name": "技术合同成交额", "goal": 2_000_000_000, "unit": "元",
                        "text": "到2025年，技术合同成交额突破20亿元（当年认定登记的技术合同）"},
    "trained_brokers": {"name": "培育技术经纪人", "goal": 100, "unit": "名", "text": "到2025年，累计培育技术经纪人100名"},
    "industrialized_patents": {"name": "授权发明专利产业化", "goal": 200, "unit": "项",
                               "text": "到2025年，累计实施授权发明专利成果产业化项目200项"},
    "certified_agencies": {"name": "优秀科技服务机构", "goal": 5, "unit": "家", "text": "到2025年，累计认定5家优秀科技服务机构"},
    "major_patents": {"name": "重大贡献发明专利", "goal": 10, "unit": "项", "text": "到2025年，累计评选10项企业重大贡献发明专利"},
}


def find_patent(number: str) -> Patent:
    number = (number or "").strip().upper()
    if not number:
        raise ValidationError("请填写专利号", {"patent_number": "请填写专利号"})
    patent = db.session.scalar(select(Patent).where(Patent.number == number))
    if patent is None:
        raise ValidationError(f"专利号不存在：{number}", {"patent_number": f"专利号不存在：{number}"})
    return patent


def _require_granted_invention(patent: Patent, field: str = "patent_number") -> None:
    if patent.patent_type != "invention" or patent.status != "granted":
        msg = f"{patent.number} 不是已授权的发明专利，不计入该目标"
        raise ValidationError(msg, {field: msg})


def _year(value, field: str = "year") -> int:
    this_year = local_today().year
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError("请填写年份", {field: "请填写年份"})
    if not PLAN_FIRST_YEAR <= value <= this_year:
        msg = f"年份应在{PLAN_FIRST_YEAR}到{this_year}之间"
        raise ValidationError(msg, {field: msg})
    return value


def _text(value, field: str, what: str, required: bool, limit: int = 2000) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError(f"请填写{what}", {field: f"请填写{what}"})
    if len(text) > limit:
        raise ValidationError(f"{what}不能超过{limit}个字", {field: f"{what}不能超过{limit}个字"})
    return text


def record_industrialization(actor, patent_number: str, evidence: str, on: date | None) -> PatentIndustrialization:
    """The bureau confirms that an invention patent was put into production, with evidence and date."""
    perm.require_bureau(actor)
    patent = find_patent(patent_number)
    _require_granted_invention(patent)
    evidence = _text(evidence, "evidence", "产业化证明材料", required=True)
    if on is None:
        raise ValidationError("请填写产业化日期", {"industrialized_on": "请填写产业化日期"})
    if on > local_today():
        raise ValidationError("产业化日期不能晚于今天", {"industrialized_on": "产业化日期不能晚于今天"})
    if db.session.scalar(select(PatentIndustrialization.id).where(PatentIndustrialization.patent_id == patent.id)):
        raise InvalidTransition(f"专利 {patent.number} 已登记产业化")
    rec = PatentIndustrialization(patent_id=patent.id, industrialized_on=on, evidence=evidence,
                                  recorded_by_id=actor.id, created_at=utcnow())
    patent.industrialized = True  # the owner-facing flag agrees with the record
    db.session.add(rec)
    db.session.flush()
    return rec


def certify_agency(actor, organization_id, year, note: str = "") -> ServiceAgencyCertification:
    perm.require_bureau(actor)
    org = db.session.get(Organization, organization_id) if isinstance(organization_id, int) else None
    if org is None:
        raise ValidationError("所选机构不存在", {"organization_id": "所选机构不存在"})
    if org.kind != "service_agency":
        raise ValidationError("只有科技服务机构可以认定为优秀科技服务机构", {"organization_id": "该单位不是科技服务机构"})
    if not org.verified:
        raise ValidationError("该机构尚未通过单位认证", {"organization_id": "该机构尚未通过单位认证"})
    year = _year(year)
    note = _text(note, "note", "认定说明", required=False)
    exists = db.session.scalar(select(ServiceAgencyCertification.id).where(
        ServiceAgencyCertification.organization_id == org.id, ServiceAgencyCertification.year == year))
    if exists:
        raise InvalidTransition(f"{org.name} 已于{year}年认定")
    rec = ServiceAgencyCertification(organization_id=org.id, year=year, note=note, certified_by_id=actor.id,
                                     created_at=utcnow())
    db.session.add(rec)
    db.session.flush()
    return rec


def select_major_patent(actor, patent_number: str, year, citation: str) -> MajorPatentSelection:
    perm.require_bureau(actor)
    patent = find_patent(patent_number)
    _require_granted_invention(patent)
    year = _year(year)
    citation = _text(citation, "citation", "评选理由", required=True)
    if db.session.scalar(select(MajorPatentSelection.id).where(MajorPatentSelection.patent_id == patent.id)):
        raise InvalidTransition(f"专利 {patent.number} 已入选重大贡献发明专利")
    rec = MajorPatentSelection(patent_id=patent.id, year=year, citation=citation, selected_by_id=actor.id,
                               created_at=utcnow())
    db.session.add(rec)
    db.session.flush()
    return rec


# --- counts ---

def industrialized_patent_count() -> int:
    return db.session.scalar(
        select(func.count(PatentIndustrialization.id)).join(Patent, Patent.id == PatentIndustrialization.patent_id)
        .where(Patent.patent_type == "invention", Patent.status == "granted")) or 0


def certified_agency_count() -> int:
    return db.session.scalar(select(func.count(func.distinct(ServiceAgencyCertification.organization_id)))) or 0


def major_patent_count() -> int:
    return db.session.scalar(select(func.count(MajorPatentSelection.id))) or 0


def trained_broker_count() -> int:
    from app.brokers.services import trained_broker_count as count
    return count()


def progress(year: int | None = None) -> list[dict]:
    """One row per 专栏13 target: current value, goal, percentage (capped display is the template's business)."""
    from app.contracts.services import contract_totals
    year = year or local_today().year
    totals = contract_totals(year)
    current = {
        "contract_amount": totals["contract_amount_yuan"],
        "trained_brokers": trained_broker_count(),
        "industrialized_patents": industrialized_patent_count(),
        "certified_agencies": certified_agency_count(),
        "major_patents": major_patent_count(),
    }
    rows = []
    for key, t in TARGETS.items():
        value = current[key]
        rows.append({"key": key, **t, "current": value,
                     "percent": round(min(value / t["goal"], 10) * 100, 2) if t["goal"] else 0.0,
                     "done": value >= t["goal"]})
    rows[0]["year"] = year
    rows[0]["tech_amount"] = totals["tech_amount_yuan"]
    rows[0]["contract_count"] = totals["count"]
    return rows


def unverified_claims(limit: int = 100) -> list[Patent]:
    """Patents their owners marked 已实施产业化 that the bureau has not confirmed with evidence yet."""
    recorded = select(PatentIndustrialization.patent_id)
    return list(db.session.scalars(select(Patent).where(Patent.industrialized.is_(True), Patent.id.not_in(recorded))
                                   .order_by(Patent.id).limit(limit)))

