"""Contract workflow: record, edit/resubmit, return, register (认定登记), correct; totals from registered contracts.

Services never commit; views commit once. Each function checks permission first and raises a DomainError with a
Chinese message on refusal.
"""
import re
from datetime import date, datetime

from sqlalchemy import exists, func, or_, select
from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from app import pagecache
from app.accounts import permissions as perm
from app.accounts.models import Organization, User
from app.contracts.models import (
    CONTRACT_TYPES,
    COUNTY_NAME,
    EDITABLE_STATUSES,
    REGION_PREFIX,
    Contract,
    ContractEvent,
)
from app.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from app.extensions import db
from app.listings.models import MAX_MONEY_YUAN, Achievement, Patent
from app.models_base import utcnow
from app.reference import codes
from app.timeutil import local_today

CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
EARLIEST_SIGNING = date(2000, 1, 1)
PARTY_FIELDS = ("org_id", "name", "credit_code", "region", "in_county")
SIDES = {"buyer": "买方", "seller": "卖方"}


def get_contract(contract_id: int) -> Contract:
    c = db.session.get(Contract, contract_id)
    if c is None:
        raise NotFound("未找到该合同")
    return c


# --- permissions ---

def is_party(user, c: Contract) -> bool:
    return (perm.is_authenticated(user) and user.organization_id is not None
            and user.organization_id in (c.buyer_org_id, c.seller_org_id))


def can_manage(user, c: Contract) -> bool:
    """Edit, resubmit and correct: whoever recorded it, its broker, or a user of either party."""
    return perm.is_authenticated(user) and (c.recorded_by_id == user.id or c.broker_id == user.id or is_party(user, c))


def can_view(user, c: Contract) -> bool:
    return perm.is_bureau(user) or can_manage(user, c)


def can_record(user) -> bool:
    return perm.is_authenticated(user) and (perm.is_bureau(user) or user.role == "broker"
                                            or user.organization_id is not None)


def require_view(user, c: Contract) -> None:
    if not can_view(user, c):
        raise NotFound("未找到该合同")  # do not reveal that another party's contract exists


def _certified_broker(user) -> bool:
    from app.deals.services import is_certified_broker
    return is_certified_broker(user)


def can_link_deal(user, deal) -> bool:
    return perm.is_bureau(user) or deal.broker_id == user.id or (
        user.organization_id is not None and user.organization_id in (deal.buyer_org_id, deal.seller_org_id))


# --- validation ---

def in_county(region: str, town_code: str | None = None) -> bool:
    return bool(town_code) or COUNTY_NAME in (region or "")


def _party(side: str, data: dict, errors: dict) -> dict:
    who = SIDES[side]
    org_id = data.get(f"{side}_org_id")
    if org_id not in (None, ""):
        org = db.session.get(Organization, org_id) if isinstance(org_id, int) and not isinstance(org_id, bool) else None
        if org is None or org.kind == "government":
            errors[f"{side}_org_id"] = f"{who}单位不存在；未在平台注册的单位请选择“手工填写”并填写名称、信用代码和地区"
            return {}
        return {"org_id": org.id, "name": org.name, "credit_code": org.credit_code, "region": org.region or "",
                "in_county": in_county(org.region, org.town_code)}
    name = (data.get(f"{side}_name") or "").strip()
    code = (data.get(f"{side}_credit_code") or "").strip().upper()
    region = (data.get(f"{side}_region") or "").strip()
    if not name:
        errors[f"{side}_name"] = f"请选择平台单位，或填写{who}单位名称"
    elif len(name) > 100:
        errors[f"{side}_name"] = "单位名称不能超过100个字"
    if not code:
        errors[f"{side}_credit_code"] = f"请填写{who}的统一社会信用代码"
    elif not CREDIT_CODE.match(code):
        errors[f"{side}_credit_code"] = "统一社会信用代码应为18位数字或大写字母"
    if not region:
        errors[f"{side}_region"] = f"请填写{who}所在地区（如：浙江省温州市永嘉县、浙江省杭州市）"
    elif len(region) > 100:
        errors[f"{side}_region"] = "地区不能超过100个字"
    if errors.keys() & {f"{side}_name", f"{side}_credit_code", f"{side}_region"}:
        return {}
    # an organization that is on the platform after all is linked, whatever name was typed
    org = db.session.scalar(select(Organization).where(Organization.credit_code == code))
    if org is not None and org.kind != "government":
        return {"org_id": org.id, "name": org.name, "credit_code": org.credit_code, "region": org.region or region,
                "in_county": in_county(org.region, org.town_code)}
    return {"org_id": None, "name": name, "credit_code": code, "region": region, "in_county": in_county(region)}


def _amount(value, field: str, what: str, errors: dict) -> int | None:
    if value is None or value == "":
        errors[field] = f"请填写{what}"
    elif isinstance(value, bool) or not isinstance(value, int):
        errors[field] = f"{what}格式不正确"
    elif value <= 0:
        errors[field] = f"{what}必须大于0"
    elif value > MAX_MONEY_YUAN:
        errors[field] = f"{what}超出合理范围（不超过100亿元）"
    else:
        return value
    return None


def _optional_id(value):
    if value in (None, "", 0):
        return None
    return value


def validate(user, data: dict, today: date | None = None, current: Contract | None = None) -> dict:
    """Check and normalise a contract form. Raises ValidationError with Chinese messages per field. `current` is
    the contract being edited or corrected: what it already links stays linkable."""
    today = today or local_today()
    errors: dict[str, str] = {}
    clean: dict = {}
    title = (data.get("title") or "").strip()
    if not title:
        errors["title"] = "请填写合同名称"
    elif len(title) > 200:
        errors["title"] = "合同名称不能超过200个字"
    clean["title"] = title
    if data.get("contract_type") not in codes(CONTRACT_TYPES):
        errors["contract_type"] = "请选择合同类型（技术开发/技术转让/技术许可/技术咨询/技术服务）"
    clean["contract_type"] = data.get("contract_type")
    buyer, seller = _party("buyer", data, errors), _party("seller", data, errors)
    if buyer and seller and (
            (buyer["org_id"] is not None and buyer["org_id"] == seller["org_id"])
            or buyer["credit_code"] == seller["credit_code"]):
        errors["seller_org_id"] = "买方和卖方不能是同一单位"
    for side, party in (("buyer", buyer), ("seller", seller)):
        for f in PARTY_FIELDS:
            clean[f"{side}_{f}"] = party.get(f)
    amount = _amount(data.get("contract_amount_yuan"), "contract_amount_yuan", "合同金额", errors)
    tech = _amount(data.get("tech_amount_yuan"), "tech_amount_yuan", "技术交易额", errors)
    if amount is not None and tech is not None and tech > amount:
        errors["tech_amount_yuan"] = "技术交易额不能大于合同金额"
    clean["contract_amount_yuan"], clean["tech_amount_yuan"] = amount, tech
    signed = data.get("signed_on")
    if signed is None or signed == "":
        errors["signed_on"] = "请填写签订日期"
    elif not isinstance(signed, date) or isinstance(signed, datetime):
        errors["signed_on"] = "签订日期格式不正确"
    elif signed > today:
        errors["signed_on"] = "签订日期不能晚于今天"
    elif signed < EARLIEST_SIGNING:
        errors["signed_on"] = "签订日期不能早于2000年"
    clean["signed_on"] = signed

    deal = None
    deal_id = _optional_id(data.get("deal_id"))
    if deal_id is not None:
        from app.deals.models import Deal
        deal = db.session.get(Deal, deal_id) if isinstance(deal_id, int) else None
        if deal is None:
            errors["deal_id"] = "关联的对接项目不存在"
        elif not can_link_deal(user, deal):
            errors["deal_id"] = "只能关联本人或本单位参与的对接项目"
        elif deal.stage == "terminated":
            errors["deal_id"] = "已终止的对接项目不能关联合同"
        elif buyer and seller and (buyer["org_id"], seller["org_id"]) != (deal.buyer_org_id, deal.seller_org_id):
            errors["deal_id"] = "合同买卖双方与关联对接项目的双方不一致"
    clean["deal_id"] = deal.id if deal is not None and "deal_id" not in errors else None

    ach_id = _optional_id(data.get("achievement_id"))
    clean["achievement_id"] = None
    if ach_id is not None:
        ach = db.session.get(Achievement, ach_id) if isinstance(ach_id, int) else None
        if ach is None:
            errors["achievement_id"] = "关联的科技成果不存在"
        elif ach.status != "approved" and ach.id not in (
                current.achievement_id if current is not None else None,
                deal.achievement_id if deal is not None and "deal_id" not in errors else None):
            errors["achievement_id"] = "只能关联已发布的科技成果"
        else:
            clean["achievement_id"] = ach.id
    elif deal is not None and deal.achievement_id:
        clean["achievement_id"] = deal.achievement_id

    numbers = [n.strip().upper() for n in re.split(r"[,，、;；\s]+", data.get("patent_numbers") or "") if n.strip()]
    patents = []
    if numbers:
        found = {p.number: p for p in db.session.scalars(select(Patent).where(Patent.number.in_(numbers)))}
        missing = [n for n in numbers if n not in found]
        if missing:
            errors["patent_numbers"] = f"专利号不存在：{'、'.join(missing[:5])}"
        patents = [found[n] for n in dict.fromkeys(numbers) if n in found]
    clean["patents"] = patents

    broker_id = _optional_id(data.get("broker_id"))
    clean["broker_id"] = None
    if broker_id is not None:
        broker = db.session.get(User, broker_id) if isinstance(broker_id, int) else None
        if broker is None or not _certified_broker(broker):
            errors["broker_id"] = "所选技术经纪人不存在或未经科技局认证"
        else:
            clean["broker_id"] = broker.id
    elif _certified_broker(user):
        clean["broker_id"] = user.id
    elif deal is not None and deal.broker_id:
        clean["broker_id"] = deal.broker_id

    if (not errors and not perm.is_bureau(user) and not _certified_broker(user)
            and user.organization_id not in (clean["buyer_org_id"], clean["seller_org_id"])):
        errors["buyer_org_id"] = "您所在单位须为合同的买方或卖方（经认证的技术经纪人和科技局可代为录入）"
    if errors:
        raise ValidationError("合同信息有误，请检查标红的字段", errors)
    return clean


def _apply(c: Contract, values: dict) -> None:
    for k, v in values.items():
        setattr(c, k, v)


def _log(c: Contract, user, action: str, note: str = "") -> None:
    db.session.add(ContractEvent(contract_id=c.id, action=action, note=note, actor_id=user.id, created_at=utcnow()))


# --- workflow ---

def record(user, data: dict, today: date | None = None) -> Contract:
    if not can_record(user):
        raise PermissionDenied("只有合同当事方、技术经纪人或科技局可以录入技术合同")
    values = validate(user, data, today)
    c = Contract(version=1, status="submitted", recorded_by_id=user.id, submitted_at=utcnow())
    _apply(c, values)
    db.session.add(c)
    db.session.flush()
    _log(c, user, "record")
    if c.deal_id is not None:
        _mark_deal_signed(c, user)
    _notify_bureau(c, "待登记")
    return c


def update(user, c: Contract, data: dict, today: date | None = None) -> str:
    """Fix a contract before it is registered. A returned one goes back into the queue. Returns the action."""
    if not can_manage(user, c):
        raise PermissionDenied("只有录入人、技术经纪人或合同当事方可以修改该合同")
    if c.status == "registered":
        raise InvalidTransition("已登记的合同不能修改；如需更正，请提交更正版本")
    if c.status == "superseded":
        raise InvalidTransition("该版本已被更正，不能修改")
    if c.status not in EDITABLE_STATUSES:
        raise InvalidTransition("当前状态不能修改")
    values = validate(user, data, today, current=c)
    _apply(c, values)
    db.session.flush()
    if c.deal_id is not None:
        _mark_deal_signed(c, user)
    action = "edit"
    if c.status == "returned":
        c.status = "submitted"
        c.submitted_at = utcnow()
        action = "resubmit"
        _notify_bureau(c, "已修改并重新提交")
    _log(c, user, action)
    return action


def correct(user, c: Contract, data: dict, reason: str, today: date | None = None) -> Contract:
    """A correction of a registered contract: a new version that goes through registration again."""
    if not can_manage(user, c):
        raise PermissionDenied("只有录入人、技术经纪人或合同当事方可以提交更正")
    if c.status == "superseded":
        raise InvalidTransition("该版本已被更正，请在最新版本上提交更正")
    if c.status != "registered":
        raise InvalidTransition("只有已登记的合同需要提交更正；未登记的合同可直接修改")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请填写更正原因", {"correction_reason": "请填写更正原因"})
    if len(reason) > 1000:
        raise ValidationError("更正原因不能超过1000个字", {"correction_reason": "更正原因不能超过1000个字"})
    pending = db.session.scalar(select(Contract.id).where(Contract.supersedes_id == c.id))
    if pending is not None:
        raise InvalidTransition("该合同已有待登记的更正版本，请修改那一版本")
    values = validate(user, data, today, current=c)
    new = Contract(version=c.version + 1, root_id=c.family_id, supersedes_id=c.id, status="submitted",
                   recorded_by_id=user.id, submitted_at=utcnow(), correction_reason=reason)
    _apply(new, values)
    db.session.add(new)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise InvalidTransition("该合同已有待登记的更正版本，请修改那一版本") from None
    _log(new, user, "correct", reason)
    _notify_bureau(new, "提交了更正")
    return new


def _locked(c: Contract) -> Contract:
    return db.session.scalar(select(Contract).where(Contract.id == c.id).with_for_update()
                             .execution_options(populate_existing=True))


def next_registration_number(year: int) -> str:
    prefix = f"{REGION_PREFIX}{year}"
    last = db.session.scalar(select(func.max(Contract.registration_number))
                             .where(Contract.registration_number.like(f"{prefix}%")))
    seq = int(last[len(prefix):]) + 1 if last else 1
    if seq > 99_999:
        raise InvalidTransition(f"{year}年的登记号已用完")
    return f"{prefix}{seq:05d}"


def register(actor, c: Contract, today: date | None = None) -> Contract:
    """认定登记: a unique registration number 330324 + year + 5-digit sequence, and the registration date."""
    perm.require_bureau(actor)
    today = today or local_today()
    c = _locked(c)
    if c.status != "submitted":
        raise InvalidTransition("只有待登记的合同可以登记" if c.status != "registered" else "该合同已登记")
    old = None
    if c.supersedes_id is not None:
        old = db.session.scalar(select(Contract).where(Contract.id == c.supersedes_id).with_for_update()
                                .execution_options(populate_existing=True))
        if old is None or old.status != "registered":
            raise InvalidTransition("被更正的版本不是当前有效的登记版本，不能登记")
    for _attempt in range(5):
        number = next_registration_number(today.year)
        try:
            with db.session.begin_nested():
                result = db.session.execute(
                    sql_update(Contract).where(Contract.id == c.id, Contract.status == "submitted")
                    .values(status="registered", registration_number=number, registered_on=today,
                            counted_on=old.counted_on if old is not None else today, registered_by_id=actor.id,
                            return_reason="", updated_at=utcnow())
                    .execution_options(synchronize_session=False))
                if result.rowcount != 1:
                    raise InvalidTransition("该合同已被他人处理，请刷新页面")
        except IntegrityError:
            continue  # another registration took this number at the same moment: take the next one
        break
    else:
        raise InvalidTransition("登记号生成冲突，请稍后重试")
    db.session.refresh(c)
    if old is not None:
        old.status = "superseded"
        _log(old, actor, "superseded", f"被第{c.version}版更正")
    _log(c, actor, "register", c.registration_number)
    if c.deal_id is not None:
        _mark_deal_registered(c, actor)
    from app.notifications.services import notify
    notify(_people(c), "contract_registered",
           f"技术合同「{c.title}」已完成认定登记，登记号 {c.registration_number}", f"/contracts/{c.id}",
           exclude=actor)
    return c


def _deal(c: Contract):
    from app.deals.models import Deal
    return db.session.get(Deal, c.deal_id) if c.deal_id is not None else None


def _mark_deal_signed(c: Contract, user) -> None:
    from app.deals.services import mark_signed
    deal = _deal(c)
    if deal is not None:
        mark_signed(deal, user, f"技术合同「{c.title}」已录入")


def _mark_deal_registered(c: Contract, actor) -> None:
    from app.deals.services import mark_registered
    deal = _deal(c)
    # a deal terminated after its contract was signed keeps its state; the contract still counts
    if deal is not None and deal.stage != "terminated":
        mark_registered(deal, actor)


def return_(actor, c: Contract, reason: str) -> None:
    perm.require_bureau(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("退回时必须填写原因", {"reason": "请填写退回原因"})
    if len(reason) > 1000:
        raise ValidationError("退回原因不能超过1000个字", {"reason": "退回原因不能超过1000个字"})
    c = _locked(c)
    if c.status != "submitted":
        raise InvalidTransition("只有待登记的合同可以退回")
    c.status = "returned"
    c.return_reason = reason
    _log(c, actor, "return", reason)
    from app.notifications.services import notify
    notify(_people(c), "contract_returned", f"技术合同「{c.title}」被退回：{reason[:100]}", f"/contracts/{c.id}",
           exclude=actor)


def _people(c: Contract) -> list[int]:
    return [i for i in dict.fromkeys([c.recorded_by_id, c.broker_id]) if i is not None]


def _notify_bureau(c: Contract, what: str) -> None:
    from app.notifications.services import bureau_staff, notify
    notify(bureau_staff(), "contract_submitted", f"技术合同「{c.title}」{what}，请进行认定登记",
           f"/contracts/{c.id}")


# --- reading ---

def family(c: Contract) -> list[Contract]:
    root = c.family_id
    return list(db.session.scalars(select(Contract).where(or_(Contract.id == root, Contract.root_id == root))
                                   .order_by(Contract.version)))


def family_events(c: Contract) -> list[ContractEvent]:
    ids = [v.id for v in family(c)]
    return list(db.session.scalars(select(ContractEvent).where(ContractEvent.contract_id.in_(ids))
                                   .order_by(ContractEvent.created_at, ContractEvent.id)))


def pending_correction(c: Contract) -> Contract | None:
    return db.session.scalar(select(Contract).where(Contract.supersedes_id == c.id))


def registration_queue() -> list[Contract]:
    return list(db.session.scalars(select(Contract).where(Contract.status == "submitted")
                                   .order_by(Contract.submitted_at, Contract.id)))


def contracts_query(user, status: str = ""):
    """The latest version of every contract the user may manage (every one, for the bureau), newest first, as a
    statement to page through: the bureau's list holds every contract of the county (a million in bench/load.py),
    so the page is cut in SQL, never in Python."""
    newer = aliased(Contract)
    stmt = select(Contract).where(~exists().where(newer.supersedes_id == Contract.id))
    if not perm.is_bureau(user):
        conds = [Contract.recorded_by_id == user.id, Contract.broker_id == user.id]
        if user.organization_id is not None:
            conds += [Contract.buyer_org_id == user.organization_id, Contract.seller_org_id == user.organization_id]
        stmt = stmt.where(or_(*conds))
    if status:
        stmt = stmt.where(Contract.status == status)
    return stmt.order_by(Contract.id.desc())


# --- totals: the only figures the bureau reports, computed from registered contracts ---

def _zero() -> dict:
    return {"count": 0, "contract_amount_yuan": 0, "tech_amount_yuan": 0}


def _add(bucket: dict, count: int, amount: int, tech: int) -> None:
    bucket["count"] += count
    bucket["contract_amount_yuan"] += amount
    bucket["tech_amount_yuan"] += tech


def contract_totals(year: int | None = None) -> dict:
    """contract_totals_now, kept per process until a contract changes (generation "contracts"; pagecache.memo):
    summed over every year it reads all registered contracts (about 430 ms for a million). Read-only for callers."""
    return pagecache.memo(f"contract_totals:{year}", lambda: contract_totals_now(year), generation="contracts")


def contract_totals_now(year: int | None = None) -> dict:
    """Totals of registered contracts (the current registered version of each), by the date each contract was
    first registered. Never typed in: a contract changes the figures only when the bureau registers it.

    Returns count, contract_amount_yuan, tech_amount_yuan (integer 元) and breakdowns: by_type (every type, zeros
    included), by_month ("YYYY-MM"; all twelve months when a year is given), absorbed (buyer in the county:
    technology taken up by county enterprises) and supplied (seller in the county)."""
    # summed in the database by type, day and side (a year holds hundreds of thousands of contracts; on PostgreSQL
    # an index-only scan of migration 0012); the few thousand groups are added up here, in integer 元. Grouped by the
    # day, not EXTRACT(month): the same on SQLite and PostgreSQL, and four times faster there.
    stmt = (select(Contract.contract_type, Contract.counted_on, Contract.buyer_in_county, Contract.seller_in_county,
                   func.count(), func.sum(Contract.contract_amount_yuan), func.sum(Contract.tech_amount_yuan))
            .where(Contract.status == "registered")
            .group_by(Contract.contract_type, Contract.counted_on, Contract.buyer_in_county, Contract.seller_in_county))
    if year is not None:
        stmt = stmt.where(Contract.counted_on >= date(year, 1, 1), Contract.counted_on <= date(year, 12, 31))
    out = {"year": year, **_zero(),
           "by_type": {code: {"label": name, **_zero()} for code, name in CONTRACT_TYPES},
           "by_month": {f"{year}-{m:02d}": _zero() for m in range(1, 13)} if year is not None else {},
           "absorbed": _zero(), "supplied": _zero()}
    for ctype, counted_on, buyer_in, seller_in, n, amount, tech in db.session.execute(stmt):
        group = (int(n), int(amount), int(tech))
        _add(out, *group)
        _add(out["by_type"][ctype], *group)
        _add(out["by_month"].setdefault(f"{counted_on.year}-{counted_on.month:02d}", _zero()), *group)
        if buyer_in:
            _add(out["absorbed"], *group)
        if seller_in:
            _add(out["supplied"], *group)
    out["by_month"] = dict(sorted(out["by_month"].items()))
    return out
