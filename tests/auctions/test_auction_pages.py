"""The auction state machine through the pages, by role: schedule, bid, cancel; refusals in Chinese, nothing saved."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.auctions.models import Auction, Bid
from app.extensions import db
from app.models_base import utcnow
from app.notifications.models import Notification
from app.timeutil import to_local
from tests.auctions.conftest import make_auction
from tests.conftest import csrf_token, login, make_listing, post

ROLES = ["anonymous", "bidder", "unverified", "owner", "colleague", "other_university", "institute", "broker",
         "bureau", "admin"]


def _as(client, world, role):
    if role != "anonymous":
        login(client, world[role])
    return client


def _local(dt):
    return to_local(dt).strftime("%Y-%m-%dT%H:%M")


def _schedule_form(**over):
    now = utcnow()
    data = {"start_price_yuan": "10", "reserve_price_yuan": "15", "increment_yuan": "0.5",
            "starts_at": _local(now + timedelta(hours=1)), "ends_at": _local(now + timedelta(days=2)),
            "extension_minutes": "5", "description": "线上竞价，成交后签订技术转让合同"}
    data.update(over)
    return data


def _auctions():
    return db.session.scalar(select(func.count()).select_from(Auction))


def _bids(auction=None):
    stmt = select(func.count()).select_from(Bid)
    if auction is not None:
        stmt = stmt.where(Bid.auction_id == auction.id)
    return db.session.scalar(stmt)


# --- scheduling ---

SCHEDULE = {"anonymous": 302, "bidder": 403, "unverified": 403, "owner": 302, "colleague": 302,
            "other_university": 403, "institute": 403, "broker": 403, "bureau": 302, "admin": 302}


@pytest.mark.parametrize("role", ROLES)
def test_schedule_by_role(client, world, role):
    ach = world["achievement"]
    _as(client, world, role)
    before = _auctions()
    resp = client.post(f"/achievements/{ach.id}/auction", data={**_schedule_form(), "csrf_token": csrf_token(client, "/login")})
    assert resp.status_code == SCHEDULE[role], role
    if role == "anonymous":
        assert "/login" in resp.headers["Location"]
    if SCHEDULE[role] == 302 and role != "anonymous":
        auction = db.session.scalar(select(Auction).where(Auction.achievement_id == ach.id))
        assert auction.status == "scheduled"
        # typed in 万元, kept as integer 元
        assert (auction.start_price_yuan, auction.reserve_price_yuan, auction.increment_yuan) == (100_000, 150_000, 5_000)
        assert auction.created_by_id == world[role].id
        assert auction.organization_id == ach.organization_id
    else:
        assert _auctions() == before


def test_schedule_form_page_for_owner_only(client, world):
    ach = world["achievement"]
    login(client, world["owner"])
    html = client.get(f"/achievements/{ach.id}/auction").get_data(as_text=True)
    assert "发起竞价拍卖" in html and "起拍价（万元）" in html
    other = client.application.test_client()
    login(other, world["bidder"])
    assert other.get(f"/achievements/{ach.id}/auction").status_code == 403


def test_schedule_starting_now_opens_at_once(client, world):
    login(client, world["owner"])
    now = utcnow()
    resp = post(client, f"/achievements/{world['achievement'].id}/auction",
                _schedule_form(starts_at=_local(now), ends_at=_local(now + timedelta(hours=3))))
    assert resp.status_code == 302
    auction = db.session.scalar(select(Auction).where(Auction.achievement_id == world["achievement"].id))
    assert auction.status == "open"


@pytest.mark.parametrize(("field", "value", "message"), [
    ("start_price_yuan", "0", "起拍价必须大于0"),
    ("start_price_yuan", "-3", "金额不能为负数"),
    ("start_price_yuan", "", "请填写起拍价"),
    ("start_price_yuan", "十万", "请输入数字金额"),
    ("increment_yuan", "0", "加价幅度必须大于0"),
    ("reserve_price_yuan", "5", "保留价不能低于起拍价"),
    ("extension_minutes", "999", "延时周期应为0到120分钟"),
    ("starts_at", "2020-01-01T09:00", "开始时间不能早于当前时间"),
    ("starts_at", "明天上午", "不是有效的日期与时间值"),
])
def test_schedule_refuses_bad_input(client, world, field, value, message):
    login(client, world["owner"])
    before = _auctions()
    resp = post(client, f"/achievements/{world['achievement'].id}/auction", _schedule_form(**{field: value}))
    assert resp.status_code == 200
    assert message in resp.get_data(as_text=True)
    assert _auctions() == before


def test_schedule_refuses_end_before_start_and_too_short(client, world):
    login(client, world["owner"])
    now = utcnow()
    url = f"/achievements/{world['achievement'].id}/auction"
    resp = post(client, url, _schedule_form(starts_at=_local(now + timedelta(hours=2)),
                                            ends_at=_local(now + timedelta(hours=1))))
    assert "结束时间必须晚于开始时间" in resp.get_data(as_text=True)
    resp = post(client, url, _schedule_form(starts_at=_local(now + timedelta(hours=2)),
                                            ends_at=_local(now + timedelta(hours=2, minutes=5))))
    assert "竞价时长不能少于10分钟" in resp.get_data(as_text=True)
    assert _auctions() == 0


def test_schedule_refuses_unapproved_achievement_and_a_second_running_auction(client, world):
    owner = world["owner"]
    draft = make_listing("achievement", owner, "pending", title="待审核成果")
    login(client, owner)
    resp = post(client, f"/achievements/{draft.id}/auction", _schedule_form())
    assert resp.status_code == 200 and "只有已发布的科技成果可以拍卖" in resp.get_data(as_text=True)
    make_auction(world["achievement"])
    resp = post(client, f"/achievements/{world['achievement'].id}/auction", _schedule_form())
    assert "该成果已有进行中或待开始的拍卖" in resp.get_data(as_text=True)
    assert _auctions() == 1


# --- bidding, by role ---

BID = {"anonymous": 302, "bidder": 302, "unverified": 403, "owner": 403, "colleague": 403, "other_university": 403,
       "institute": 403, "broker": 403, "bureau": 403, "admin": 403}


@pytest.mark.parametrize("role", ROLES)
def test_bid_by_role(client, world, role):
    auction = make_auction(world["achievement"])
    _as(client, world, role)
    resp = client.post(f"/auctions/{auction.id}/bid", data={"amount_yuan": "10", "csrf_token": csrf_token(client, "/login")})
    assert resp.status_code == BID[role], role
    if role == "anonymous":
        assert "/login" in resp.headers["Location"]
    db.session.refresh(auction)
    if role == "bidder":
        assert auction.bid_count == 1 and auction.current_price_yuan == 100_000
        assert auction.leader_org_id == world["bidder"].organization_id
    else:
        assert auction.bid_count == 0 and _bids() == 0
    if role == "unverified":
        assert "尚未通过科技局认证" in resp.get_data(as_text=True)


def _bid(client, auction, wan, follow=True):
    resp = client.post(f"/auctions/{auction.id}/bid", data={"amount_yuan": wan, "csrf_token": csrf_token(client, "/login")},
                       follow_redirects=follow)
    return resp.get_data(as_text=True)


def test_bidding_rules_through_the_page(app, world):
    auction = make_auction(world["achievement"], start=100_000, increment=10_000, reserve=150_000)
    a, b = app.test_client(), app.test_client()
    login(a, world["bidder"])
    login(b, world["bidder2"])

    html = _bid(a, auction, "9.99")
    assert "出价不能低于起拍价10万元" in html and _bids(auction) == 0
    html = _bid(a, auction, "10")  # first bid may equal the start price
    assert "出价成功" in html
    html = _bid(a, auction, "20")
    assert "您所在企业已是当前最高出价者" in html and _bids(auction) == 1
    html = _bid(b, auction, "10.5")
    assert "出价不能低于当前价10万元加最小加价幅度1万元，即至少11万元" in html and _bids(auction) == 1
    html = _bid(b, auction, "10")  # equal is not increasing
    assert "即至少11万元" in html
    html = _bid(b, auction, "11")  # exactly current + increment
    assert "出价成功" in html
    html = _bid(a, auction, "0")
    assert "出价金额必须大于0" in html
    html = _bid(a, auction, "-1")
    assert "金额不能为负数" in html
    html = _bid(a, auction, "abc")
    assert "请输入数字金额" in html
    html = _bid(a, auction, "")
    assert "请填写出价金额" in html
    assert _bids(auction) == 2
    db.session.refresh(auction)
    assert auction.current_price_yuan == 110_000 and auction.bid_count == 2
    assert auction.leader_org_id == world["bidder2"].organization_id
    amounts = db.session.scalars(select(Bid.amount_yuan).where(Bid.auction_id == auction.id).order_by(Bid.seq)).all()
    assert amounts == [100_000, 110_000]
    # the one outbid is told so
    n = db.session.scalar(select(Notification).where(Notification.user_id == world["bidder"].id,
                                                     Notification.kind == "auction_outbid"))
    assert n is not None and "已被超越" in n.message and n.url == f"/auctions/{auction.id}"


def test_bid_before_start_and_after_end_are_refused(client, world):
    early = make_auction(world["achievement"], status="scheduled", starts_in=timedelta(hours=2),
                         ends_in=timedelta(hours=5))
    other_ach = make_listing("achievement", world["owner"], "approved", title="另一项成果")
    late = make_auction(other_ach, starts_in=timedelta(hours=-5), ends_in=timedelta(minutes=-1))
    login(client, world["bidder"])
    html = _bid(client, early, "10")
    assert "拍卖尚未开始，开始时间为" in html
    html = _bid(client, late, "10")
    assert "结束，不能再出价" in html
    assert _bids() == 0
    db.session.refresh(early)
    db.session.refresh(late)
    assert early.bid_count == late.bid_count == 0


def test_bid_on_cancelled_or_closed_auction_is_refused(client, world):
    auction = make_auction(world["achievement"])
    auction.status = "cancelled"
    db.session.flush()
    login(client, world["bidder"])
    assert "该拍卖已取消，不能出价" in _bid(client, auction, "10")
    auction.status = "closed_unsold"
    db.session.flush()
    assert "拍卖已结束，不能再出价" in _bid(client, auction, "10")
    assert _bids() == 0


def test_bid_on_unknown_auction_is_404(client, world):
    login(client, world["bidder"])
    resp = client.post("/auctions/999999/bid", data={"amount_yuan": "10", "csrf_token": csrf_token(client, "/login")})
    assert resp.status_code == 404


def test_bid_without_csrf_token_is_refused(client, world):
    auction = make_auction(world["achievement"])
    login(client, world["bidder"])
    resp = client.post(f"/auctions/{auction.id}/bid", data={"amount_yuan": "10"})
    assert resp.status_code == 400
    assert _bids() == 0


# --- cancelling, by role ---

CANCEL = {"anonymous": 302, "bidder": 403, "unverified": 403, "owner": 302, "colleague": 302,
          "other_university": 403, "institute": 403, "broker": 403, "bureau": 302, "admin": 302}


@pytest.mark.parametrize("role", ROLES)
def test_cancel_by_role(client, world, role):
    auction = make_auction(world["achievement"], status="scheduled", starts_in=timedelta(hours=1),
                           ends_in=timedelta(hours=3))
    _as(client, world, role)
    resp = client.post(f"/auctions/{auction.id}/cancel", data={"reason": "成果权属需要复核",
                                                               "csrf_token": csrf_token(client, "/login")})
    assert resp.status_code == CANCEL[role], role
    db.session.refresh(auction)
    expected = "cancelled" if CANCEL[role] == 302 and role != "anonymous" else "scheduled"
    assert auction.status == expected
    if expected == "cancelled":
        assert auction.cancelled_reason == "成果权属需要复核"


def test_cancel_refused_after_first_bid_and_when_already_over(client, world):
    auction = make_auction(world["achievement"])
    bc = client.application.test_client()
    login(bc, world["bidder"])
    _bid(bc, auction, "10")
    login(client, world["owner"])
    resp = client.post(f"/auctions/{auction.id}/cancel", data={"reason": "不卖了", "csrf_token": csrf_token(client, "/login")},
                       follow_redirects=True)
    assert "已有竞买人出价，拍卖不能取消" in resp.get_data(as_text=True)
    db.session.refresh(auction)
    assert auction.status == "open" and auction.cancelled_reason == ""

    other = make_listing("achievement", world["owner"], "approved", title="第三项成果")
    done = make_auction(other)
    done.status = "cancelled"
    db.session.flush()
    resp = client.post(f"/auctions/{done.id}/cancel", data={"csrf_token": csrf_token(client, "/login")},
                       follow_redirects=True)
    assert "拍卖已结束或已取消，不能再取消" in resp.get_data(as_text=True)
    ended = make_auction(make_listing("achievement", world["owner"], "approved", title="第四项成果"),
                         ends_in=timedelta(minutes=-1))
    resp = client.post(f"/auctions/{ended.id}/cancel", data={"csrf_token": csrf_token(client, "/login")},
                       follow_redirects=True)
    assert "拍卖已到结束时间，不能再取消" in resp.get_data(as_text=True)
    db.session.refresh(ended)
    assert ended.status == "open"


# --- the page and its live state ---

def test_detail_page_shows_live_figures_and_no_inline_script(app, world):
    auction = make_auction(world["achievement"], reserve=300_000)
    bc = app.test_client()
    login(bc, world["bidder"])
    _bid(bc, auction, "12")
    html = app.test_client().get(f"/auctions/{auction.id}").get_data(as_text=True)
    assert "12万元" in html and 'data-field="bid_count">1<' in html
    assert f'data-state-url="/auctions/{auction.id}/state"' in html
    assert "js/auction.js" in html
    # no inline script: every <script> has a src
    import re
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag, tag
    # reserve price and bidder names are not public
    assert "保留价" not in html and "30万元" not in html
    assert world["bidder"].organization.name not in html and "竞买人1" in html
    owner = app.test_client()
    login(owner, world["owner"])
    assert "30万元" in owner.get(f"/auctions/{auction.id}").get_data(as_text=True)


def test_state_endpoint(app, world):
    auction = make_auction(world["achievement"], start=100_000, increment=10_000, reserve=500_000)
    anon = app.test_client()
    st = anon.get(f"/auctions/{auction.id}/state").get_json()
    assert st["phase"] == "open" and st["bid_count"] == 0 and st["current_price_yuan"] is None
    assert st["min_next_bid_yuan"] == 100_000 and st["current_price_text"] == "暂无出价"
    bc = app.test_client()
    login(bc, world["bidder"])
    _bid(bc, auction, "10")
    st = anon.get(f"/auctions/{auction.id}/state").get_json()
    assert st["bid_count"] == 1 and st["current_price_yuan"] == 100_000 and st["min_next_bid_yuan"] == 110_000
    assert st["you_lead"] is False
    assert bc.get(f"/auctions/{auction.id}/state").get_json()["you_lead"] is True
    body = anon.get(f"/auctions/{auction.id}/state").get_data(as_text=True)
    assert "500000" not in body and world["bidder"].organization.name not in body  # no reserve, no names
    resp = anon.get(f"/auctions/{auction.id}/state")
    assert resp.headers["Cache-Control"] == "no-store"
    assert anon.get("/auctions/999999/state").status_code == 404


def test_static_poller_exists(app):
    resp = app.test_client().get("/static/js/auction.js")
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert "data-state-url" in body and "fetch(" in body
    resp.close()


def test_auction_list_tabs(app, world):
    auction = make_auction(world["achievement"])
    closed = make_auction(make_listing("achievement", world["owner"], "approved", title="已流拍成果"))
    closed.status = "closed_unsold"
    closed.closed_at = utcnow()
    db.session.flush()
    c = app.test_client()
    html = c.get("/auctions").get_data(as_text=True)
    assert f"/auctions/{auction.id}" in html and f"/auctions/{closed.id}\"" not in html
    html = c.get("/auctions?show=closed").get_data(as_text=True)
    assert f"/auctions/{closed.id}" in html
    login(c, world["owner"])
    html = c.get("/auctions?show=mine").get_data(as_text=True)
    assert f"/auctions/{auction.id}" in html


def test_schedule_box_on_the_auction_list(app, world):
    ach = world["achievement"]  # priced at 120万元
    c = app.test_client()
    login(c, world["owner"])
    html = c.get("/auctions").get_data(as_text=True)
    assert 'id="schedule-box"' in html and f'<option value="{ach.id}">' in html
    resp = c.get(f"/auctions/new?achievement_id={ach.id}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/achievements/{ach.id}/auction")
    # the form starts from the listed price, shown exactly in 万元
    assert 'value="120"' in c.get(f"/achievements/{ach.id}/auction").get_data(as_text=True)
    make_auction(ach)  # a running auction: no longer offered
    assert f'<option value="{ach.id}">' not in c.get("/auctions").get_data(as_text=True)
    bidder = app.test_client()
    login(bidder, world["bidder"])
    assert 'id="schedule-box"' not in bidder.get("/auctions").get_data(as_text=True)
    bureau = app.test_client()
    login(bureau, world["bureau"])
    assert "代成果单位发起" in bureau.get("/auctions").get_data(as_text=True)


def test_schedule_box_offers_a_large_organization_the_first_ones_and_a_search(app, world, monkeypatch):
    """A university with thousands of achievements gets the first SCHEDULABLE_SHOWN by title and a keyword search,
    not a select of every one."""
    from app.auctions import views
    monkeypatch.setattr(views, "SCHEDULABLE_SHOWN", 2)
    for title in ("阀门密封成果", "泵体铸造成果", "电机控制成果"):
        make_listing("achievement", world["owner"], "approved", title=title)
    db.session.flush()
    c = app.test_client()
    login(c, world["owner"])
    html = c.get("/auctions").get_data(as_text=True)
    assert html.count("<option value=") == 2 and 'id="schedulable-search"' in html and "请输入关键词查找" in html
    html = c.get("/auctions?achievement_q=阀门").get_data(as_text=True)
    assert html.count("<option value=") == 1 and "阀门密封成果" in html and "请输入关键词查找" not in html
    html = c.get("/auctions?achievement_q=没有这个").get_data(as_text=True)
    assert "没有名称含“没有这个”的可拍卖成果" in html and "发起拍卖</button>" not in html
