"""Broker profiles: apply, certify or decline (bureau), training records, and the 100-trained-broker target."""
from datetime import date

from sqlalchemy import exists, func, select
from sqlalchemy.orm import contains_eager

from app.accounts import permissions as perm
from app.brokers.models import LEVELS, BrokerProfile, BrokerTraining
from app.errors import InvalidTransition, NotFound, ValidationError
from app.extensions import db
from app.models_base import utcnow
from app.notifications.services import bureau_staff, notify
from app.reference import Industry

# Who may apply: staff of a service agency (科技服务机构) and users who already have the broker role.
APPLICANT_ROLES = ("service_agency", "broker")
TRAINED_BROKER_TARGET = 100
INTRO_MAX = 2000
CERT_MAX = 32


def profile_of(user) -> BrokerProfile | None:
    if not perm.is_authenticated(user):
        return None
    return db.session.scalar(select(BrokerProfile).where(BrokerProfile.user_id == user.id))


def certified_profile(user) -> BrokerProfile | None:
    p = profile_of(user)
    return p if p is not None and p.status == "certified" else None


def certified_profiles() -> list[BrokerProfile]:
    from app.accounts.models import User
    # the joined user comes with each profile (callers list names: one query, not one per broker)
    return list(db.session.scalars(select(BrokerProfile).join(BrokerProfile.user).where(
        BrokerProfile.status == "certified", User.role == "broker", User.active.is_(True))
        .options(contains_eager(BrokerProfile.user)).order_by(BrokerProfile.id)))


def get_profile(profile_id: int) -> BrokerProfile:
    p = db.session.get(BrokerProfile, profile_id)
    if p is None:
        raise NotFound("未找到该经纪人档案")
    return p


def can_apply(user) -> bool:
    return perm.is_authenticated(user) and user.role in APPLICANT_ROLES


def _validate(data: dict) -> dict:
    errors = {}
    codes = [c for c in (data.get("industry_codes") or []) if c]
    industries = list(db.session.scalars(select(Industry).where(Industry.code.in_(codes)))) if codes else []
    if not codes:
        errors["industry_codes"] = "请至少选择一个擅长的产业领域"
    elif len(industries) != len(set(codes)):
        errors["industry_codes"] = "请选择有效的产业领域"
    years = data.get("years_experience")
    if isinstance(years, bool) or not isinstance(years, int):
        errors["years_experience"] = "请填写从业年限（整数）"
    elif years < 0 or years > 60:
        errors["years_experience"] = "从业年限应在0到60年之间"
    intro = (data.get("introduction") or "").strip()
    if len(intro) < 10:
        errors["introduction"] = "请至少用10个字介绍服务经历"
    elif len(intro) > INTRO_MAX:
        errors["introduction"] = f"个人简介不能超过{INTRO_MAX}个字"
    if errors:
        raise ValidationError("申请信息有误，请检查标红的字段", errors)
    return {"industries": industries, "years_experience": years, "introduction": intro}


def apply(user, data: dict) -> BrokerProfile:
    """Submit (or, after a decline, resubmit) a broker application. The organization is the applicant's own."""
    perm.require(can_apply(user), "只有科技服务机构的用户可以申请成为技术经纪人")
    values = _validate(data)
    profile = profile_of(user)
    if profile is not None and profile.status == "pending":
        raise InvalidTransition("您的申请正在审核中，请等待科技局认证")
    if profile is not None and profile.status == "certified":
        raise InvalidTransition("您已是认证技术经纪人")
    if profile is None:
        profile = BrokerProfile(user_id=user.id, user=user, decline_reason="")
        db.session.add(profile)
    profile.organization_id = user.organization_id
    profile.industries = values["industries"]
    profile.years_experience = values["years_experience"]
    profile.introduction = values["introduction"]
    profile.status = "pending"
    profile.decline_reason = ""
    profile.submitted_at = utcnow()
    db.session.flush()
    notify(bureau_staff(), "broker_applied", f"{user.name}申请技术经纪人认证", "/bureau/brokers")
    return profile


def update_profile(user, data: dict) -> BrokerProfile:
    """A certified broker keeps expertise and introduction current (certification stays)."""
    profile = certified_profile(user)
    if profile is None:
        raise InvalidTransition("只有已认证的经纪人可以修改档案；请先提交申请")
    values = _validate(data)
    profile.industries = values["industries"]
    profile.years_experience = values["years_experience"]
    profile.introduction = values["introduction"]
    return profile


def certify(actor, profile: BrokerProfile, certificate_no: str, level: str) -> BrokerProfile:
    perm.require_bureau(actor)
    if profile.status != "pending":
        raise InvalidTransition("只有待认证的申请可以认证")
    certificate_no = (certificate_no or "").strip().upper()
    errors = {}
    if not certificate_no:
        errors["certificate_no"] = "请填写证书编号"
    elif len(certificate_no) > CERT_MAX:
        errors["certificate_no"] = f"证书编号不能超过{CERT_MAX}个字符"
    elif db.session.scalar(select(BrokerProfile.id).where(BrokerProfile.certificate_no == certificate_no,
                                                          BrokerProfile.id != profile.id)) is not None:
        errors["certificate_no"] = "该证书编号已被使用"
    if level not in dict(LEVELS):
        errors["level"] = "请选择经纪人等级（初级/中级/高级）"
    if errors:
        raise ValidationError("；".join(errors.values()), errors)
    profile.status = "certified"
    profile.certificate_no = certificate_no
    profile.level = level
    profile.decline_reason = ""
    profile.reviewed_at = utcnow()
    profile.reviewed_by_id = actor.id
    profile.user.role = "broker"  # a service agency's user becomes (or stays) a broker
    notify(profile.user, "broker_certified",
           f"您已通过技术经纪人认证（{profile.level_label}，证书编号{certificate_no}）", "/broker/profile")
    return profile


def decline(actor, profile: BrokerProfile, reason: str) -> BrokerProfile:
    perm.require_bureau(actor)
    if profile.status != "pending":
        raise InvalidTransition("只有待认证的申请可以不予认证")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("不予认证时必须填写原因", {"reason": "请填写原因"})
    if len(reason) > 1000:
        raise ValidationError("原因不能超过1000个字", {"reason": "原因不能超过1000个字"})
    profile.status = "declined"
    profile.decline_reason = reason
    profile.reviewed_at = utcnow()
    profile.reviewed_by_id = actor.id
    notify(profile.user, "broker_declined", f"您的技术经纪人申请未通过：{reason}", "/broker/profile")
    return profile


def add_training(actor, profile: BrokerProfile, data: dict, today: date | None = None) -> BrokerTraining:
    perm.require_bureau(actor)
    from app.deals.services import local_today
    today = today or local_today()
    course = (data.get("course") or "").strip()
    hours = data.get("hours")
    when = data.get("training_date")
    errors = {}
    if not course:
        errors["course"] = "请填写课程名称"
    elif len(course) > 100:
        errors["course"] = "课程名称不能超过100个字"
    if isinstance(hours, bool) or not isinstance(hours, int):
        errors["hours"] = "请填写学时（整数）"
    elif hours <= 0 or hours > 1000:
        errors["hours"] = "学时应在1到1000之间"
    if not isinstance(when, date):
        errors["training_date"] = "请填写培训日期"
    elif when > today:
        errors["training_date"] = "培训日期不能晚于今天"
    if errors:
        raise ValidationError("；".join(errors.values()), errors)
    t = BrokerTraining(profile=profile, course=course, hours=hours, training_date=when,
                       passed=bool(data.get("passed")), recorded_by_id=actor.id, created_at=utcnow())
    db.session.add(t)
    return t


def trained_broker_count() -> int:
    """Certified brokers with at least one passed training: the plan's target of 100 trained brokers."""
    passed = exists().where(BrokerTraining.profile_id == BrokerProfile.id, BrokerTraining.passed.is_(True))
    return db.session.scalar(select(func.count()).select_from(BrokerProfile)
                             .where(BrokerProfile.status == "certified", passed)) or 0


def profiles_for_review(status: str | None = "pending") -> list[BrokerProfile]:
    stmt = select(BrokerProfile)
    if status:
        stmt = stmt.where(BrokerProfile.status == status)
    return list(db.session.scalars(stmt.order_by(BrokerProfile.submitted_at.desc(), BrokerProfile.id.desc())))
