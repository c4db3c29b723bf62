"""Demo market activities: matchmaking events and 揭榜挂帅 calls (issue 8). Call `load_activities()` after the
listings, organizations and demo accounts are loaded (app/demo/loader.py), inside the same transaction.

What it makes, with times relative to now so the demo stays alive:
- 2025秋季泵阀专场供需对接会, held 40 days ago: six listings on the programme, pairs with recorded outcomes (无意向,
  有合作意向, one deal opened whose contract is registered), registrations with attendance;
- 2026泵阀专场供需对接会, in two weeks, registration open: programme and pairs chosen, the demo university invited,
  the demo enterprise already registered (the demo institute can still register);
- 揭榜挂帅「阀门内漏在线检测技术攻关」, open, owned by the demo enterprise, one application from the demo university
  (the demo institute can apply; enterprise@demo reviews and selects);
- 揭榜挂帅「纽扣电镀废水镍回收与零排放」, awarded: an institute selected, the deal opened.
Returns counts for the loader's summary line.
"""
from datetime import date, timedelta

from sqlalchemy import select

from app.accounts.models import Organization, User
from app.calls.models import CallApplication, CallLog, ChallengeCall
from app.events.models import EventListing, EventLog, EventPair, EventRegistration, MatchmakingEvent
from app.extensions import db
from app.listings.models import Achievement, Need
from app.models_base import utcnow


def _user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def _approved(model, industry: str, words: tuple[str, ...], limit: int) -> list:
    rows = db.session.scalars(select(model).where(model.status == "approved", model.industry_code == industry)
                              .order_by(model.id)).all()
    hits = [r for r in rows if any(w in r.title for w in words)]
    return (hits + [r for r in rows if r not in hits])[:limit]


def _overlap(need: Need, ach: Achievement) -> list[str]:
    words = set(need.keyword_list) | {w for w in ("阀", "泵", "密封", "泄漏", "汽蚀", "铸件", "噪声") if w in need.title}
    text = ach.title + ach.keywords + ach.abstract
    return [w for w in words if w and w in text]


def _pairs(needs: list[Need], achs: list[Achievement], n: int) -> list[tuple[Need, Achievement, list[str]]]:
    out = []
    for need in needs:
        scored = sorted(((len(_overlap(need, a)), a) for a in achs if a.organization_id != need.organization_id),
                        key=lambda x: -x[0])
        if scored and scored[0][0] > 0:
            out.append((need, scored[0][1], _overlap(need, scored[0][1])))
    return out[:n]


def _event(bureau: User, title: str, starts, **kw) -> MatchmakingEvent:
    e = MatchmakingEvent(title=title, starts_at=starts, ends_at=starts + timedelta(hours=4), registered_count=0,
                         cancel_reason="", created_by_id=bureau.id, created_at=starts - timedelta(days=30),
                         updated_at=starts - timedelta(days=30), **kw)
    db.session.add(e)
    db.session.flush()
    db.session.add(EventLog(event_id=e.id, action="create", note=f"名额{e.capacity}家", actor_id=bureau.id,
                            created_at=e.created_at))
    return e


def _programme(event: MatchmakingEvent, bureau: User, listings: list, when) -> None:
    for n, listing in enumerate(listings, 1):
        db.session.add(EventListing(event=event, listing_kind=listing.kind, organization_id=listing.organization_id,
                                    need_id=listing.id if listing.kind == "need" else None,
                                    achievement_id=listing.id if listing.kind == "achievement" else None,
                                    roadshow_order=n, invited_at=when, invited_by_id=bureau.id))
    db.session.add(EventLog(event_id=event.id, action="invite", note=f"新增路演/发布{len(listings)}项",
                            actor_id=bureau.id, created_at=when))


def _register(event: MatchmakingEvent, org_id: int, user_id: int, when, attended=None, attendees=2) -> None:
    db.session.add(EventRegistration(event_id=event.id, organization_id=org_id, registered_by_id=user_id,
                                     status="registered", attendees=attendees, contact="", attended=attended,
                                     created_at=when))
    event.registered_count += 1


def _member(org_id: int) -> User | None:
    return db.session.scalar(select(User).where(User.organization_id == org_id).order_by(User.id))


def load_activities(now=None) -> dict:
    from app.contracts.models import Contract
    from app.contracts.services import next_registration_number
    from app.deals import services as deals

    now = now or utcnow()
    bureau = _user("bureau@demo.yjtm.cn")
    enterprise, university = _user("enterprise@demo.yjtm.cn"), _user("university@demo.yjtm.cn")
    if bureau is None or enterprise is None or university is None:
        return {}
    needs = _approved(Need, "pump_valve", ("阀", "泵"), 10)
    achs = _approved(Achievement, "pump_valve", ("阀", "泵", "密封"), 12)
    if len(needs) < 4 or len(achs) < 4:
        return {}
    counts = {"对接活动": 0, "揭榜榜单": 0}

    # --- a held 泵阀专场 ---
    starts = (now - timedelta(days=40)).replace(hour=1, minute=30, second=0, microsecond=0)  # 09:30 北京时间
    held = _event(bureau, "2025秋季泵阀专场供需对接会", starts, industry_code="pump_valve",
                  focus_keywords="阀门、密封、泵、泄漏",
                  description="聚焦阀门密封泄漏、泵汽蚀与能效，邀请省内高校院所与瓯北、乌牛泵阀企业面对面对接。",
                  venue="永嘉县科技创新中心三楼报告厅（瓯北街道）", online_url="", capacity=80,
                  registration_deadline=starts - timedelta(days=2), status="finished",
                  finished_at=starts + timedelta(hours=5))
    pairs = _pairs(needs[:6], achs, 4)
    on_stage = []
    for need, ach, _t in pairs:
        on_stage += [x for x in (ach, need) if x not in on_stage]
    _programme(held, bureau, on_stage, starts - timedelta(days=20))
    orgs = sorted({x.organization_id for x in on_stage} | {enterprise.organization_id, university.organization_id})
    for i, org_id in enumerate(orgs):
        member = _member(org_id)
        if member is not None:
            _register(held, org_id, member.id, starts - timedelta(days=10 - i % 5), attended=(i % 5 != 4))
    outcomes = ["deal_opened", "intent", "no_interest", "intent"]
    opened = None
    for (need, ach, terms), outcome in zip(pairs, outcomes, strict=False):
        pair = EventPair(event=held, need_id=need.id, achievement_id=ach.id, score=None, terms=terms,
                         outcome="pending", outcome_note="", created_at=starts - timedelta(days=20))
        db.session.add(pair)
        db.session.flush()
        pair.recorded_by_id, pair.recorded_at = bureau.id, starts + timedelta(hours=4)
        if outcome == "deal_opened":
            deal = deals.open_deal(bureau, need_id=need.id, achievement_id=ach.id,
                                   buyer_org_id=need.organization_id, seller_org_id=ach.organization_id,
                                   source="event", source_id=pair.id, note=f"来自对接活动「{held.title}」")
            pair.deal_id, pair.outcome, pair.outcome_note = deal.id, "deal_opened", "现场达成合作开发意向，已建立对接项目"
            opened = deal
        else:
            pair.outcome = outcome
            pair.outcome_note = "约定到高校实验室考察样机" if outcome == "intent" else "企业认为改造成本过高"
        db.session.add(EventLog(event_id=held.id, action="outcome", note=f"{need.title} × {ach.title}",
                                actor_id=bureau.id, created_at=starts + timedelta(hours=4)))
    db.session.flush()
    came = sum(1 for r in held.registrations if r.attended)
    db.session.add(EventLog(event_id=held.id, action="finish", note=f"报名{held.registered_count}家，出席{came}家",
                            actor_id=bureau.id, created_at=held.finished_at))
    if opened is not None:  # its contract was signed and registered since
        deals.mark_registered(opened, bureau, "技术合同已认定登记（演示）")
        signed = (starts + timedelta(days=25)).date()
        counted = min(signed + timedelta(days=7), date.today())
        db.session.add(Contract(
            title=f"{opened.need.title}技术开发合同", contract_type="development", buyer_org_id=opened.buyer_org_id,
            buyer_name=opened.buyer_org.name, buyer_credit_code=opened.buyer_org.credit_code,
            buyer_region=opened.buyer_org.region, buyer_in_county=True, seller_org_id=opened.seller_org_id,
            seller_name=opened.seller_org.name, seller_credit_code=opened.seller_org.credit_code,
            seller_region=opened.seller_org.region, seller_in_county="永嘉" in (opened.seller_org.region or ""),
            contract_amount_yuan=680_000, tech_amount_yuan=600_000, signed_on=signed, deal_id=opened.id,
            achievement_id=opened.achievement_id, recorded_by_id=bureau.id, status="registered", version=1,
            return_reason="", correction_reason="", submitted_at=starts + timedelta(days=26),
            registration_number=next_registration_number(counted.year), registered_on=counted, counted_on=counted,
            registered_by_id=bureau.id))
    counts["对接活动"] += 1

    # --- the coming 泵阀专场: registration open ---
    starts = (now + timedelta(days=14)).replace(hour=1, minute=30, second=0, microsecond=0)
    coming = _event(bureau, "2026泵阀专场供需对接会", starts, industry_code="pump_valve",
                    focus_keywords="阀门、内漏、智能定位器、离心泵",
                    description="2026年首场泵阀产业专场：成果路演、需求发布、一对一洽谈。每家单位限报一次，名额有限。",
                    venue="永嘉县瓯北街道科技大市场路演厅", online_url="https://meeting.yjtm.cn/2026-pump-valve",
                    capacity=60, registration_deadline=starts - timedelta(days=3), status="scheduled")
    pairs2 = _pairs(needs[4:], achs[4:] + achs[:4], 3)
    stage2 = []
    for need, ach, _t in pairs2:
        stage2 += [x for x in (ach, need) if x not in stage2]
    uni_ach = db.session.scalar(select(Achievement).where(Achievement.organization_id == university.organization_id,
                                                          Achievement.status == "approved").order_by(Achievement.id))
    if uni_ach is not None and uni_ach not in stage2:
        stage2.insert(0, uni_ach)
    _programme(coming, bureau, stage2, now - timedelta(days=2))
    for need, ach, terms in pairs2:
        db.session.add(EventPair(event=coming, need_id=need.id, achievement_id=ach.id, terms=terms,
                                 outcome="pending", outcome_note="", created_at=now - timedelta(days=2)))
    _register(coming, enterprise.organization_id, enterprise.id, now - timedelta(days=1), attendees=3)
    counts["对接活动"] += 1

    # --- 揭榜挂帅: open call from the demo enterprise's problem ---
    ent_need = db.session.scalar(select(Need).where(Need.organization_id == enterprise.organization_id,
                                                    Need.status == "approved").order_by(Need.id))
    call = ChallengeCall(
        title="阀门内漏在线检测技术攻关", need_id=ent_need.id if ent_need else None,
        owner_org_id=enterprise.organization_id, industry_code="pump_valve",
        problem="电站、石化管线上的闸阀和球阀关闭后常有微量内漏，介质损失大且有安全隐患。现有检测靠停机拆检或人工听诊，"
                "无法在线发现早期内漏。希望开发可在役安装的阀门内漏在线检测装置。",
        indicators="适用口径DN50–DN300、压力≤PN100；内漏检测灵敏度≤0.1 L/min（水介质）；报警响应时间≤10秒；"
                   "误报率≤2%；支持4G/LoRa数据上传并接入企业MES。",
        reward_yuan=800_000, deadline=now + timedelta(days=45), allow_enterprise=False, allow_university=True,
        allow_institute=True, status="open", close_reason="", created_by_id=bureau.id,
        created_at=now - timedelta(days=10), updated_at=now - timedelta(days=10))
    db.session.add(call)
    db.session.flush()
    db.session.add(CallLog(call_id=call.id, action="publish", note="榜额80万元", actor_id=bureau.id,
                           created_at=call.created_at))
    db.session.add(CallApplication(
        call_id=call.id, organization_id=university.organization_id, applicant_id=university.id,
        plan="基于声发射传感器阵列与深度学习的内漏识别：在阀体外壁布置4路声发射传感器，提取内漏湍流特征频段，"
             "实验台已实现DN80球阀0.05 L/min内漏识别。", team="机械工程学院流体机械团队：教授1名（负责人）、副教授2名、博士生3名",
        price_yuan=750_000, duration_months=12, status="submitted",
        created_at=now - timedelta(days=3), updated_at=now - timedelta(days=3)))
    db.session.add(CallLog(call_id=call.id, action="apply", note=university.organization.name,
                           actor_id=university.id, created_at=now - timedelta(days=3)))
    counts["揭榜榜单"] += 1

    # --- 揭榜挂帅: an awarded call (fashion chain) ---
    owner = db.session.scalar(select(Organization).where(Organization.kind == "enterprise",
                                                         Organization.industry_code == "fashion",
                                                         Organization.verified_at.is_not(None)).order_by(Organization.id))
    solver = db.session.scalar(select(Organization).where(Organization.kind == "institute",
                                                          Organization.verified_at.is_not(None)).order_by(Organization.id))
    if owner is not None and solver is not None and owner.id != solver.id:
        awarded = ChallengeCall(
            title="纽扣电镀废水镍回收与零排放", owner_org_id=owner.id, industry_code="fashion",
            problem="纽扣、拉链电镀线每天产生含镍、铬漂洗废水约60吨，委外处置成本高，环保要求趋严，需要就地回收与回用技术。",
            indicators="镍回收率≥95%；回用水电导率≤50 μS/cm；吨水运行成本≤30元；占地≤80平方米。",
            reward_yuan=1_200_000, deadline=now - timedelta(days=20), allow_enterprise=True, allow_university=True,
            allow_institute=True, status="open", close_reason="", created_by_id=bureau.id,
            created_at=now - timedelta(days=80), updated_at=now - timedelta(days=15))
        db.session.add(awarded)
        db.session.flush()
        db.session.add(CallLog(call_id=awarded.id, action="publish", note="榜额120万元", actor_id=bureau.id,
                               created_at=awarded.created_at))
        chosen = CallApplication(
            call_id=awarded.id, organization_id=solver.id, applicant_id=(_member(solver.id) or bureau).id,
            plan="电渗析+螯合树脂组合工艺回收镍，反渗透回用，已在温州两家电镀园区中试。", team="环境工程研究室：研究员1名、工程师4名",
            price_yuan=1_100_000, duration_months=10, status="selected",
            created_at=now - timedelta(days=40), updated_at=now - timedelta(days=15))
        db.session.add(chosen)
        db.session.add(CallLog(call_id=awarded.id, action="apply", note=solver.name,
                               actor_id=chosen.applicant_id, created_at=chosen.created_at))
        db.session.flush()
        deal = deals.open_deal(bureau, buyer_org_id=owner.id, seller_org_id=solver.id, source="call",
                               source_id=awarded.id, note=f"揭榜挂帅「{awarded.title}」选定揭榜方：{solver.name}")
        awarded.status, awarded.deal_id = "awarded", deal.id
        awarded.decided_by_id, awarded.decided_at = bureau.id, now - timedelta(days=15)
        db.session.add(CallLog(call_id=awarded.id, action="select", note=f"{solver.name}（报价110万元）",
                               actor_id=bureau.id, created_at=awarded.decided_at))
        counts["揭榜榜单"] += 1
    db.session.flush()
    return counts
