"""Demo data for brokers, inquiries and deals (called by app/demo/loader.py after listings are loaded).

Deterministic: the demo broker (broker@demo.yjtm.cn) gets a certified, trained profile; the demo enterprise has an
accepted inquiry about the demo university's first approved achievement, which became a deal the broker follows;
one more deal waits for a broker to claim it.
"""
from datetime import date, timedelta

from sqlalchemy import select

from app.accounts.models import User
from app.brokers.models import BrokerProfile, BrokerTraining
from app.deals.models import Deal, DealEvent
from app.extensions import db
from app.inquiries.models import Inquiry, InquiryMessage
from app.listings.models import Achievement, Need
from app.reference import Industry


def _user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def load(reviewer: User, epoch, today: date | None = None) -> dict:
    today = today or date.today()
    broker = _user("broker@demo.yjtm.cn")
    if broker is None:
        return {}
    profile = BrokerProfile(
        user=broker, user_id=broker.id, organization_id=broker.organization_id, years_experience=9,
        introduction="长期服务永嘉泵阀、鞋服企业的技术转移，熟悉技术合同认定登记，促成校企合作项目三十余项。",
        status="certified", certificate_no="ZJJJR-2024-0301", level="intermediate", decline_reason="",
        submitted_at=epoch, reviewed_at=epoch + timedelta(days=3), reviewed_by_id=reviewer.id,
        created_at=epoch, updated_at=epoch)
    profile.industries = [db.session.get(Industry, c) for c in ("pump_valve", "materials", "fashion")]
    db.session.add(profile)
    db.session.add(BrokerTraining(profile=profile, course="浙江省技术经纪人（初级）培训", hours=48,
                                  training_date=date(2024, 11, 20), passed=True, recorded_by_id=reviewer.id,
                                  created_at=epoch))
    counts = {"技术经纪人": 1}

    enterprise = _user("enterprise@demo.yjtm.cn")
    university = _user("university@demo.yjtm.cn")
    if enterprise is None or university is None:
        return counts
    ach = db.session.scalar(select(Achievement).where(
        Achievement.organization_id == university.organization_id, Achievement.status == "approved")
        .order_by(Achievement.id))
    if ach is None:
        return counts
    inq = Inquiry(achievement=ach, enterprise_org_id=enterprise.organization_id, created_by_id=enterprise.id,
                  message="我司想把这项技术用在现有产品线上，请问许可方式和费用？可否先到贵单位实验室交流？",
                  offered_price_yuan=300_000, status="accepted", decline_reason="", decided_at=epoch + timedelta(days=2),
                  decided_by_id=university.id, created_at=epoch, updated_at=epoch + timedelta(days=2))
    db.session.add(inq)
    db.session.add(InquiryMessage(inquiry=inq, author_id=university.id, body="欢迎来访，可提供中试样品和测试报告。",
                                  created_at=epoch + timedelta(days=1)))
    db.session.flush()
    deal = Deal(achievement_id=ach.id, buyer_org_id=enterprise.organization_id, seller_org_id=ach.organization_id,
                broker_id=broker.id, source="inquiry", source_id=inq.id, stage="negotiating", terminate_reason="",
                next_follow_up=today + timedelta(days=7), created_by_id=reviewer.id,
                created_at=epoch + timedelta(days=3), updated_at=epoch + timedelta(days=5))
    db.session.add(deal)
    db.session.flush()
    for kind, frm, to, note, actor, days in [
        ("open", None, "intent", "询价已接受，转为对接项目", reviewer.id, 3),
        ("assign", None, None, f"经纪人：{broker.name}", reviewer.id, 3),
        ("stage", "intent", "negotiating", "双方约定到实验室考察", broker.id, 5),
        ("follow_up", None, None, f"下次跟进：{deal.next_follow_up.isoformat()}", broker.id, 5),
    ]:
        db.session.add(DealEvent(deal=deal, actor_id=actor, kind=kind, from_stage=frm, to_stage=to, note=note,
                                 created_at=epoch + timedelta(days=days)))
    counts["对接项目"] = 1
    # one more pair waiting for a broker: the first approved need of the demo enterprise × another achievement
    need = db.session.scalar(select(Need).where(Need.organization_id == enterprise.organization_id,
                                                Need.status == "approved").order_by(Need.id))
    other = db.session.scalar(select(Achievement).where(Achievement.status == "approved", Achievement.id != ach.id,
                                                        Achievement.industry_code == (need.industry_code if need else None))
                              .order_by(Achievement.id))
    if need is not None and other is not None and other.organization_id != enterprise.organization_id:
        waiting = Deal(need_id=need.id, achievement_id=other.id, buyer_org_id=need.organization_id,
                       seller_org_id=other.organization_id, source="event", stage="intent", terminate_reason="",
                       created_by_id=reviewer.id, created_at=epoch + timedelta(days=10),
                       updated_at=epoch + timedelta(days=10))
        db.session.add(waiting)
        db.session.flush()
        db.session.add(DealEvent(deal=waiting, actor_id=reviewer.id, kind="open", to_stage="intent",
                                 note="2025年永嘉泵阀产业技术对接会现场登记", created_at=epoch + timedelta(days=10)))
        counts["对接项目"] += 1
    return counts
