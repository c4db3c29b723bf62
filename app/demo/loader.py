"""Load the demo market from data/*.json. Deterministic: same files, same database."""
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from app.accounts.models import Organization, User
from app.accounts.services import bureau_organization, hash_password
from app.extensions import db
from app.listings.models import Achievement, Need, Patent, ReviewEvent
from app.listings.services import _search_text

DATA = Path(__file__).parent / "data"
PASSWORD = "Yongjia2026"
# One login per role; org keys are resolved to the first organization of the right kind.
ACCOUNTS = [
    ("bureau", "bureau@demo.yjtm.cn", "科技局审核员 陈晓燕", None),
    ("admin", "admin@demo.yjtm.cn", "系统管理员 王建国", None),
    ("enterprise", "enterprise@demo.yjtm.cn", "企业用户 李明", "enterprise"),
    ("university", "university@demo.yjtm.cn", "高校用户 周静", "university"),
    ("institute", "institute@demo.yjtm.cn", "院所用户 徐海峰", "institute"),
    ("service_agency", "agency@demo.yjtm.cn", "服务机构用户 黄丽", "service_agency"),
    ("broker", "broker@demo.yjtm.cn", "技术经纪人 郑伟", "service_agency"),
]
EPOCH = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


def _read(name: str) -> list[dict]:
    path = DATA / name
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


def has_data() -> bool:
    """The market has organizations (the bureau's own, made by `accounts create-bureau-admin`, does not count)."""
    return (db.session.scalar(select(func.count()).select_from(Organization)
                              .where(Organization.kind != "government")) or 0) > 0


def load() -> dict:
    orgs_data = _read("organizations.json")
    bureau_org = bureau_organization()
    pw = hash_password(PASSWORD)
    staff = {}
    for role, email, name, _ in ACCOUNTS[:2]:
        staff[role] = User(email=email, name=name, password_hash=pw, role=role, organization=bureau_org)
        db.session.add(staff[role])
    db.session.flush()
    reviewer = staff["bureau"]

    orgs: dict[str, Organization] = {}
    members: dict[str, User] = {}
    for i, o in enumerate(orgs_data):
        org = Organization(
            name=o["name"], kind=o["kind"], credit_code=o["credit_code"], town_code=o.get("town"),
            region=o.get("region") or "浙江省温州市永嘉县", industry_code=o.get("industry"),
            contact_person=o.get("contact_person", ""), contact_phone=o.get("contact_phone", ""),
            description=o.get("description", ""),
            # the last two registered organizations wait for verification, so the bureau has work to do
            verified_at=None if i >= len(orgs_data) - 2 else EPOCH + timedelta(days=i),
            verified_by_id=None if i >= len(orgs_data) - 2 else reviewer.id,
            created_at=EPOCH + timedelta(days=i), updated_at=EPOCH + timedelta(days=i),
        )
        orgs[o["key"]] = org
        db.session.add(org)
    db.session.flush()

    role_of = {"enterprise": "enterprise", "university": "university", "institute": "institute",
               "service_agency": "service_agency"}
    demo_emails = {}
    for role, email, name, kind in ACCOUNTS[2:]:
        org = next((x for x in orgs.values() if x.kind == kind and x.verified_at), None)
        if org is None:
            continue
        u = User(email=email, name=name, password_hash=pw, role=role, organization=org)
        db.session.add(u)
        demo_emails[role] = u
        if role != "broker":
            members.setdefault(org.name, u)
    for key, org in orgs.items():
        if org.name not in members:
            u = User(email=f"{key}@demo.yjtm.cn", name=org.contact_person or org.name[:10],
                     password_hash=pw, role=role_of[org.kind], organization=org)
            db.session.add(u)
            members[org.name] = u
    db.session.flush()

    counts = {"单位": len(orgs), "成果": 0, "需求": 0, "专利": 0}
    for i, a in enumerate(_read("achievements.json")):
        org = orgs[a["org"]]
        when = EPOCH + timedelta(days=(i * 7) % 680, hours=i % 9)
        ach = Achievement(
            title=a["title"], abstract=a["abstract"], industry_code=a["industry"], maturity=a["maturity"],
            transfer_mode=a["transfer_mode"], price_yuan=a.get("price_yuan"), keywords="、".join(a.get("keywords", [])),
            leader=a.get("leader", ""), application=a.get("application", ""), confidential=a.get("confidential", ""),
            organization=org, created_by_id=members[org.name].id, created_at=when, updated_at=when,
        )
        _place(ach, a.get("status", "approved"), org, when, reviewer)
        ach.search_text = _search_text(ach)
        db.session.add(ach)
        for p in a.get("patents", []):
            db.session.add(Patent(number=p["number"], title=p["title"], patent_type=p["type"], status=p["status"],
                                  industrialized=bool(p.get("industrialized")), organization=org, achievement=ach,
                                  created_at=when, updated_at=when))
            counts["专利"] += 1
        counts["成果"] += 1
    for i, n in enumerate(_read("needs.json")):
        org = orgs[n["org"]]
        when = EPOCH + timedelta(days=(i * 11) % 690, hours=i % 7)
        need = Need(
            title=n["title"], description=n["description"], industry_code=n["industry"],
            town_code=n.get("town") or org.town_code, budget_yuan=n.get("budget_yuan"),
            deadline=date.fromisoformat(n["deadline"]) if n.get("deadline") else None,
            cooperation_mode=n["cooperation_mode"], keywords="、".join(n.get("keywords", [])),
            organization=org, created_by_id=members[org.name].id, created_at=when, updated_at=when,
        )
        _place(need, n.get("status", "approved"), org, when, reviewer)
        need.search_text = _search_text(need)
        db.session.add(need)
        counts["需求"] += 1
    db.session.flush()
    _log_history(reviewer)
    from app.brokers import demo as transactions_demo
    counts.update(transactions_demo.load(reviewer, EPOCH))
    from app.demo.activities import load_activities
    counts.update(load_activities())
    from app.demo.contracts import load_contracts
    counts.update(load_contracts(reviewer))
    db.session.commit()
    # the dashboards read summary tables: fill them now rather than waiting for the periodic task
    from app.stats.brokers import recompute_broker_stats
    from app.stats.services import recompute_and_record
    recompute_and_record()
    recompute_broker_stats()
    return counts


def _place(listing, status: str, org: Organization, when: datetime, reviewer: User) -> None:
    if status == "approved" and org.verified_at is None:
        status = "pending"  # an unverified organization cannot be public
    listing.status = status
    if status in ("pending", "approved"):
        listing.submitted_at = when
    if status == "approved":
        listing.published_at = when + timedelta(days=1)
        listing.reviewed_by_id = reviewer.id


def _log_history(reviewer: User) -> None:
    for model in (Need, Achievement):
        for listing in db.session.scalars(select(model)):
            events = [("create", listing.created_by_id, listing.created_at)]
            if listing.submitted_at:
                events.append(("submit", listing.created_by_id, listing.submitted_at))
            if listing.published_at:
                events.append(("approve", reviewer.id, listing.published_at))
            for action, actor, at in events:
                db.session.add(ReviewEvent(listing_kind=listing.kind, listing_id=listing.id, action=action,
                                           actor_id=actor, created_at=at))


def print_accounts(echo) -> None:
    echo(f"演示账号（密码均为 {PASSWORD}）：")
    for _role, email, name, _ in ACCOUNTS:
        if db.session.scalar(select(User).where(User.email == email)):
            echo(f"  {name:<16} {email}")
