"""Factories for brokers, inquiries and deals (shared by tests/brokers, tests/inquiries, tests/deals and others)."""
from datetime import date

from app.brokers.models import BrokerProfile, BrokerTraining
from app.deals import services as deals
from app.extensions import db
from app.inquiries.models import Inquiry
from app.models_base import utcnow
from app.reference import Industry
from tests.conftest import make_listing, make_org, make_user

_cert = iter(range(1, 100000))


def make_broker(certified: bool = True, industries=("pump_valve",), level: str = "intermediate", trained: bool = False,
                years: int = 5, user=None, status: str | None = None):
    """A service agency's user with a broker profile (certified by default). Returns the user."""
    if user is None:
        user = make_user("broker", org=make_org("service_agency"))
    status = status or ("certified" if certified else "pending")
    profile = BrokerProfile(user=user, user_id=user.id, organization_id=user.organization_id, years_experience=years,
                            introduction="十年泵阀行业技术转移经验，服务过多家企业。", status=status, decline_reason="",
                            submitted_at=utcnow())
    profile.industries = [db.session.get(Industry, c) for c in industries]
    if status == "certified":
        profile.certificate_no = f"ZJJJR{next(_cert):06d}"
        profile.level = level
        profile.reviewed_at = utcnow()
    db.session.add(profile)
    db.session.flush()
    if trained:
        bureau = make_user("bureau")
        db.session.add(BrokerTraining(profile=profile, course="技术经纪人初级培训", hours=48,
                                      training_date=date(2025, 3, 1), passed=True, recorded_by_id=bureau.id))
        db.session.flush()
    return user


def make_inquiry(enterprise_user=None, achievement=None, status: str = "open", message: str = "请问可否小批量试用？"):
    enterprise_user = enterprise_user or make_user("enterprise")
    achievement = achievement or make_listing("achievement")
    inq = Inquiry(achievement=achievement, enterprise_org_id=enterprise_user.organization_id,
                  created_by_id=enterprise_user.id, message=message, status=status, decline_reason="")
    db.session.add(inq)
    db.session.flush()
    return inq


def make_deal(stage: str = "intent", broker=None, buyer=None, seller=None, achievement=None, need=None,
              source: str = "direct", source_id=None, next_follow_up=None):
    """A deal opened by the platform, then placed at `stage` directly (setup, not the workflow under test)."""
    if achievement is None and seller is None:
        achievement = make_listing("achievement")
    if need is None and buyer is None:
        need = make_listing("need")
    buyer_org_id = buyer.id if buyer is not None else need.organization_id
    seller_org_id = seller.id if seller is not None else achievement.organization_id
    deal = deals.open_deal(None, achievement_id=achievement.id if achievement else None,
                           need_id=need.id if need else None, buyer_org_id=buyer_org_id, seller_org_id=seller_org_id,
                           source=source, source_id=source_id, broker_id=broker.id if broker else None)
    deal.stage = stage
    if stage == "terminated":
        deal.terminate_reason = "测试"
    deal.next_follow_up = next_follow_up
    db.session.flush()
    return deal
