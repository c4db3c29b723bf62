"""Matchmaking events: creation and bad input, proposals from the matcher, invitations, registration (once, within
capacity, before the deadline), the agenda workbook, outcomes per pair, deals from pairs, attendance and figures."""
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.deals.models import Deal
from app.errors import InvalidTransition, PermissionDenied, ValidationError
from app.events import figures, services
from app.events.models import EventLog, EventPair, EventRegistration, MatchmakingEvent
from app.extensions import db
from app.models_base import utcnow
from app.notifications.models import Notification
from app.timeutil import to_local
from tests.conftest import csrf_token, login, make_listing, make_org, make_user
from tests.events.conftest import make_event


def _local(delta: timedelta) -> str:
    return to_local(utcnow() + delta).strftime("%Y-%m-%dT%H:%M")


GOOD = {"title": "2026泵阀专场供需对接会", "industry_code": "pump_valve", "focus_keywords": "阀门、密封",
        "description": "邀请省内高校院所与县内泵阀企业面对面对接。", "venue": "永嘉县科技创新中心", "online_url": "",
        "capacity": "60"}


def _good_times():
    return {"starts_at": _local(timedelta(days=10)), "ends_at": _local(timedelta(days=10, hours=4)),
            "registration_deadline": _local(timedelta(days=8))}


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- creation and bad input ---

def test_bureau_creates_an_event_through_the_page(client):
    login(client, make_user("bureau"))
    resp = client.post("/events/new", data={**GOOD, **_good_times(), "csrf_token": csrf_token(client, "/events/new")})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    event = db.session.scalar(select(MatchmakingEvent).order_by(MatchmakingEvent.id.desc()))
    assert event.title == GOOD["title"] and event.capacity == 60 and event.status == "scheduled"
    assert event.registered_count == 0 and event.focus_keywords == "阀门、密封"
    # typed in Beijing time, kept in UTC: 10 days ahead
    assert timedelta(days=9) < event.starts_at.replace(tzinfo=None) - utcnow().replace(tzinfo=None) < timedelta(days=11)
    assert db.session.scalar(select(EventLog.action).where(EventLog.event_id == event.id)) == "create"


@pytest.mark.parametrize(("change", "field_message"), [
    ({"ends_at": "START-1h"}, "结束时间必须晚于开始时间"),
    ({"ends_at": "START"}, "结束时间必须晚于开始时间"),
    ({"capacity": "0"}, "名额应为1到2000家单位"),
    ({"capacity": "-3"}, "名额应为1到2000家单位"),
    ({"capacity": "很多"}, "Not a valid integer value."),
    ({"registration_deadline": "PAST"}, "报名截止时间已过，请填写将来的时间"),
    ({"registration_deadline": "AFTER_START"}, "报名截止时间不能晚于活动开始时间"),
    ({"starts_at": "PAST", "ends_at": "PAST+1h", "registration_deadline": "PAST-1h"}, "开始时间已过"),
    ({"venue": "", "online_url": ""}, "请填写活动地点或线上会议链接"),
    ({"online_url": "javascript:alert(1)"}, "线上会议链接应以 http:// 或 https:// 开头"),
    ({"title": ""}, "请填写活动名称"),
    ({"industry_code": "steel"}, "不是有效的选择"),
])
def test_bad_input_is_refused_with_a_chinese_message_and_nothing_saved(client, change, field_message):
    login(client, make_user("bureau"))
    times = _good_times()
    start = timedelta(days=10)
    symbolic = {"START": _local(start), "START-1h": _local(start - timedelta(hours=1)),
                "PAST": _local(-timedelta(days=1)), "PAST+1h": _local(-timedelta(days=1) + timedelta(hours=1)),
                "PAST-1h": _local(-timedelta(days=1, hours=1)), "AFTER_START": _local(start + timedelta(hours=1))}
    data = {**GOOD, **times, **{k: symbolic.get(v, v) for k, v in change.items()}}
    before = _count(MatchmakingEvent), _count(EventLog)
    resp = client.post("/events/new", data={**data, "csrf_token": csrf_token(client, "/events/new")})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    if field_message == "Not a valid integer value.":
        assert "整数" in html or "有效" in html  # WTForms' own Chinese catalogue
    else:
        assert field_message in html
    assert (_count(MatchmakingEvent), _count(EventLog)) == before


def test_service_refuses_bad_input_too():
    bureau = make_user("bureau")
    now = utcnow()
    data = {"title": "专场", "industry_code": "pump_valve", "starts_at": now + timedelta(days=3),
            "ends_at": now + timedelta(days=2), "registration_deadline": now - timedelta(hours=1), "capacity": 0,
            "venue": "报告厅"}
    with pytest.raises(ValidationError) as exc:
        services.create(bureau, data)
    errs = exc.value.field_errors
    assert errs["ends_at"] == "结束时间必须晚于开始时间"
    assert errs["capacity"] == "名额至少为1家单位"
    assert errs["registration_deadline"] == "报名截止时间已过，请填写将来的时间"
    assert _count(MatchmakingEvent) == 0


@pytest.mark.parametrize("role", ["enterprise", "university", "broker"])
def test_only_the_bureau_creates_events(client, role):
    user = make_user(role, org=make_org("service_agency") if role == "broker" else None)
    login(client, user)
    assert client.get("/events/new").status_code == 403
    with pytest.raises(PermissionDenied):
        services.create(user, {})


# --- proposals and invitations ---

@pytest.fixture
def pump_market():
    ent, ent2, uni, inst = make_user("enterprise"), make_user("enterprise"), make_user("university"), make_user("institute")
    needs = [
        make_listing("need", ent, title="球阀高温内漏", description="DN50球阀在高温蒸汽工况下关闭不严出现内漏，密封面磨损。",
                     keywords="球阀、内漏、密封"),
        make_listing("need", ent2, title="离心泵汽蚀噪声大", description="化工离心泵运行时汽蚀严重，叶轮出现麻点，噪声大。",
                     keywords="离心泵、汽蚀"),
        make_listing("need", ent, title="童鞋鞋底防滑", description="童鞋鞋底在湿滑地面容易打滑，需要新的橡胶配方。",
                     keywords="鞋底、防滑", industry_code="fashion"),
    ]
    achs = [
        make_listing("achievement", uni, title="金属硬密封球阀密封副优化", abstract="激光熔覆硬质合金密封面，球阀高温工况泄漏量显著降低。",
                     keywords="球阀、密封、内漏"),
        make_listing("achievement", inst, title="离心泵叶轮抗汽蚀设计", abstract="优化叶片进口角，降低汽蚀余量，减少叶轮麻点与噪声。",
                     keywords="离心泵、汽蚀、叶轮"),
        make_listing("achievement", uni, title="高防滑鞋底橡胶配方", abstract="提高鞋底湿态摩擦系数，防滑性能优于国标。",
                     keywords="防滑、鞋底", industry_code="fashion"),
    ]
    return {"ent": ent, "ent2": ent2, "uni": uni, "inst": inst, "needs": needs, "achs": achs,
            "bureau": make_user("bureau")}


def test_matcher_proposes_listings_of_the_focus_and_pairs_worth_a_meeting(fresh_index, pump_market):
    m = pump_market
    event = make_event(m["bureau"])
    props = services.propose(event)
    need_ids = {p.listing.id for p in props["need"]}
    ach_ids = {p.listing.id for p in props["achievement"]}
    assert need_ids == {m["needs"][0].id, m["needs"][1].id}  # the shoe need is not in a 泵阀专场
    assert ach_ids == {m["achs"][0].id, m["achs"][1].id}
    pairs = {(p.need.id, p.achievement.id): p for p in props["pairs"]}
    valve = (m["needs"][0].id, m["achs"][0].id)
    pump = (m["needs"][1].id, m["achs"][1].id)
    assert valve in pairs and pump in pairs
    assert pairs[valve].score > 0 and ("球阀" in pairs[valve].terms or "密封" in pairs[valve].terms)
    # the best pair of each need comes first among that need's pairs
    assert max((p for p in props["pairs"] if p.need.id == valve[0]), key=lambda p: p.score).achievement.id == valve[1]


def test_invite_puts_listings_and_pairs_on_the_event_and_notifies_their_organizations(fresh_index, pump_market):
    m = pump_market
    event = make_event(m["bureau"])
    need, ach = m["needs"][0], m["achs"][0]
    added = services.invite(m["bureau"], event, [f"A{m['achs'][1].id}"], [f"{need.id}-{ach.id}"])
    db.session.flush()
    assert added == {"listings": 3, "pairs": 1}
    assert [(i.listing_kind, i.roadshow_order) for i in event.items] == [("achievement", 1), ("need", 2),
                                                                          ("achievement", 3)]
    pair = event.pairs[0]
    assert (pair.need_id, pair.achievement_id, pair.outcome) == (need.id, ach.id, "pending")
    assert pair.score and pair.terms
    invited = db.session.scalars(select(Notification.user_id).where(Notification.kind == "event_invited")).all()
    assert set(invited) == {m["ent"].id, m["uni"].id, m["inst"].id}
    # inviting again adds nothing and sends nothing
    again = services.invite(m["bureau"], event, [f"A{ach.id}"], [f"{need.id}-{ach.id}"])
    assert again == {"listings": 0, "pairs": 0}
    # a listing that is not public cannot be invited
    draft = make_listing("achievement", m["uni"], "draft")
    with pytest.raises(ValidationError):
        services.invite(m["bureau"], event, [f"A{draft.id}"])
    with pytest.raises(ValidationError):
        services.invite(m["bureau"], event, ["X1"])


def test_propose_and_invite_through_the_pages(client, fresh_index, pump_market):
    m = pump_market
    event = make_event(m["bureau"])
    login(client, m["bureau"])
    html = client.get(f"/events/{event.id}/propose").get_data(as_text=True)
    assert "球阀高温内漏" in html and "金属硬密封球阀密封副优化" in html and "童鞋鞋底防滑" not in html
    pair = f"{m['needs'][0].id}-{m['achs'][0].id}"
    assert f'value="{pair}"' in html
    resp = client.post(f"/events/{event.id}/invite", data={
        "csrf_token": csrf_token(client, f"/events/{event.id}/propose"), "pair": pair})
    assert resp.status_code == 302
    assert len(event.pairs) == 1 and len(event.items) == 2


# --- registration ---

def test_register_once_within_capacity_and_before_the_deadline():
    bureau = make_user("bureau")
    event = make_event(bureau, capacity=2)
    a, a_colleague = make_user("enterprise"), None
    a_colleague = make_user("enterprise", org=a.organization)
    b, c = make_user("university"), make_user("institute")
    services.register(a, event.id, attendees=2, contact="李明 13800000000")
    with pytest.raises(InvalidTransition, match="已报名该活动"):
        services.register(a_colleague, event.id)  # once per organization
    services.register(b, event.id)
    with pytest.raises(InvalidTransition, match="名额已满"):
        services.register(c, event.id)
    db.session.refresh(event)
    assert event.registered_count == 2 == _count(EventRegistration)
    notes = db.session.scalars(select(Notification).where(Notification.kind == "event_registered")).all()
    assert {n.user_id for n in notes} == {a.id, a_colleague.id, b.id}
    # the deadline
    late = make_event(bureau, starts_in=timedelta(days=1), deadline_before=timedelta(days=2))
    with pytest.raises(InvalidTransition, match="报名已于.*截止"):
        services.register(c, late.id)
    assert services.registration_of(late, c.organization_id) is None


@pytest.mark.parametrize("who", ["bureau", "unverified", "anonymous"])
def test_who_may_not_register(client, who):
    event = make_event(make_user("bureau"))
    if who == "anonymous":
        resp = client.post(f"/events/{event.id}/register", data={"attendees": "1"})
        assert resp.status_code in (302, 400)
        return
    user = make_user("bureau") if who == "bureau" else make_user("enterprise", verified=False)
    with pytest.raises(PermissionDenied):
        services.register(user, event.id)
    login(client, user)
    resp = client.post(f"/events/{event.id}/register",
                       data={"attendees": "1", "csrf_token": csrf_token(client, f"/events/{event.id}")})
    assert resp.status_code == 403
    assert _count(EventRegistration) == 0


def test_register_through_the_page_and_download_the_agenda(client, fresh_index, pump_market):
    m = pump_market
    event = make_event(m["bureau"])
    services.invite(m["bureau"], event, [], [f"{m['needs'][0].id}-{m['achs'][0].id}",
                                             f"{m['needs'][1].id}-{m['achs'][1].id}"])
    db.session.flush()
    visitor = make_user("enterprise")
    login(client, visitor)
    assert client.get(f"/events/{event.id}/agenda.xlsx").status_code == 403  # not registered, not invited
    resp = client.post(f"/events/{event.id}/register", data={
        "attendees": "3", "contact": "王工", "csrf_token": csrf_token(client, f"/events/{event.id}")})
    assert resp.status_code == 302
    assert "报名成功" in client.get(f"/events/{event.id}").get_data(as_text=True)
    resp = client.post(f"/events/{event.id}/register", data={
        "attendees": "1", "csrf_token": csrf_token(client, f"/events/{event.id}")})
    assert "已报名该活动" in client.get(f"/events/{event.id}").get_data(as_text=True)
    assert _count(EventRegistration) == 1

    resp = client.get(f"/events/{event.id}/agenda.xlsx")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(resp.data))
    assert wb.sheetnames[0] == "议程" and len(wb.sheetnames) == 1 + len(event.items) == 5
    cells = [str(c.value) for row in wb["议程"].iter_rows() for c in row if c.value is not None]
    titles = [i.listing.title for i in event.items]
    order = [cells.index(t) for t in titles]
    assert order == sorted(order)  # roadshow order
    summary = wb[wb.sheetnames[2]]
    text = " ".join(str(c.value) for row in summary.iter_rows() for c in row if c.value)
    assert event.items[1].listing.title in text and event.items[1].organization.name in text
    everything = " ".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value)
    assert "熔覆层厚度0.8mm" not in everything  # the confidential part of an achievement never leaves


# --- outcomes, deals, attendance, figures ---

@pytest.fixture
def held(pump_market):
    """A 泵阀专场 that took place yesterday, with two pairs and three registered organizations."""
    m = pump_market
    event = make_event(m["bureau"], starts_in=-timedelta(days=1), deadline_before=timedelta(days=2))
    pairs = []
    for need, ach in ((m["needs"][0], m["achs"][0]), (m["needs"][1], m["achs"][1]), (m["needs"][0], m["achs"][1])):
        p = EventPair(event=event, need_id=need.id, achievement_id=ach.id, terms=[], outcome="pending",
                      outcome_note="")
        db.session.add(p)
        pairs.append(p)
    for u in (m["ent"], m["ent2"], m["uni"]):
        db.session.add(EventRegistration(event_id=event.id, organization_id=u.organization_id,
                                         registered_by_id=u.id, status="registered", attendees=2, contact=""))
    event.registered_count = 3
    db.session.flush()
    return event, pairs


def test_outcomes_deals_attendance_and_figures_equal_what_was_recorded(client, pump_market, held):
    m = pump_market
    event, (p1, p2, p3) = held
    bureau = m["bureau"]
    services.record_outcome(bureau, p1, "intent", "双方约定下周到实验室考察")
    services.record_outcome(bureau, p3, "no_interest")
    deal = services.open_deal_from_pair(bureau, p2)
    db.session.flush()
    assert (deal.source, deal.source_id, deal.stage) == ("event", p2.id, "intent")
    assert (deal.need_id, deal.achievement_id) == (p2.need_id, p2.achievement_id)
    assert deal.buyer_org_id == m["ent2"].organization_id and deal.seller_org_id == m["inst"].organization_id
    assert p2.outcome == "deal_opened" and p2.deal_id == deal.id
    with pytest.raises(InvalidTransition, match="已建立对接项目"):
        services.open_deal_from_pair(bureau, p2)
    with pytest.raises(InvalidTransition, match="结果不能再修改"):
        services.record_outcome(bureau, p2, "no_interest")
    with pytest.raises(ValidationError):
        services.record_outcome(bureau, p1, "deal_opened")
    # the intent of p1 turns into a deal later, from the page
    login(client, bureau)
    resp = client.post(f"/events/{event.id}/pairs/{p1.id}/deal",
                       data={"csrf_token": csrf_token(client, f"/events/{event.id}"), "note": "签订意向书"})
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/deals/")
    assert db.session.scalar(select(func.count()).select_from(Deal).where(Deal.source == "event")) == 2

    db.session.expire_all()  # the page ran in its own session
    services.finish(bureau, event, [m["ent"].organization_id, m["uni"].organization_id])
    db.session.flush()
    f = figures.event_figures(event)
    outcomes = [p.outcome for p in (p1, p2, p3)]
    assert f["pairs"] == 3
    assert f["deals"] == outcomes.count("deal_opened") == 2
    assert f["intents"] == outcomes.count("intent") == 0
    assert f["no_interest"] == outcomes.count("no_interest") == 1
    assert (f["registered"], f["attended"]) == (3, 2)
    summary = figures.events_summary()
    assert summary["totals"]["events_held"] == 1
    assert summary["totals"]["deals"] == 2 and summary["totals"]["attended"] == 2
    # the public list of past events shows attendance and what came of it
    html = client.get("/events").get_data(as_text=True)
    assert event.title in html
    with pytest.raises(InvalidTransition):
        services.finish(bureau, event, [])


def test_outcomes_wait_for_the_event_and_only_the_bureau_records_them(pump_market):
    m = pump_market
    event = make_event(m["bureau"])
    pair = EventPair(event=event, need_id=m["needs"][0].id, achievement_id=m["achs"][0].id, terms=[],
                     outcome="pending", outcome_note="")
    db.session.add(pair)
    db.session.flush()
    with pytest.raises(InvalidTransition, match="活动开始后"):
        services.record_outcome(m["bureau"], pair, "intent")
    with pytest.raises(InvalidTransition, match="活动开始后"):
        services.open_deal_from_pair(m["bureau"], pair)
    with pytest.raises(PermissionDenied):
        services.record_outcome(m["ent"], pair, "intent")
    with pytest.raises(InvalidTransition, match="活动开始后"):
        services.finish(m["bureau"], event, [])
    assert pair.outcome == "pending" and _count(Deal) == 0


def test_cancel_needs_a_reason_and_tells_registered_organizations():
    bureau = make_user("bureau")
    event = make_event(bureau)
    ent = make_user("enterprise")
    services.register(ent, event.id)
    with pytest.raises(ValidationError, match="必须填写原因"):
        services.cancel(bureau, event, " ")
    services.cancel(bureau, event, "场地临时检修，改期另行通知")
    db.session.flush()
    assert event.status == "cancelled"
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == "event_cancelled", Notification.user_id == ent.id)) == 1
    with pytest.raises(InvalidTransition, match="已取消"):
        services.register(make_user("university"), event.id)
