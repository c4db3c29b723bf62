"""Time rules and closing: extension window, open/close by the periodic service, idempotent closing, the deal it
opens, notifications, the CLI command."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.auctions import services
from app.auctions.models import Auction, AuctionEvent, Bid
from app.deals.models import Deal
from app.errors import InvalidTransition, PermissionDenied, ValidationError
from app.extensions import db
from app.models_base import utcnow
from app.notifications.models import Notification
from app.timeutil import as_utc
from tests.auctions.conftest import make_auction
from tests.conftest import make_listing, make_user


def _deals(auction):
    return db.session.scalar(select(func.count()).select_from(Deal).where(Deal.source == "auction",
                                                                         Deal.source_id == auction.id))


def _kinds(user):
    return db.session.scalars(select(Notification.kind).where(Notification.user_id == user.id)).all()


def test_bid_in_the_last_minutes_extends_the_end(world):
    auction = make_auction(world["achievement"], extension=5, ends_in=timedelta(minutes=30))
    end = as_utc(auction.ends_at)
    # outside the window: the end stays
    services.place_bid(world["bidder"], auction.id, 100_000, now=end - timedelta(minutes=10))
    assert as_utc(auction.ends_at) == end
    # inside the window: the end becomes bid time + 5 minutes
    t = end - timedelta(minutes=2)
    bid = services.place_bid(world["bidder2"], auction.id, 110_000, now=t)
    assert as_utc(auction.ends_at) == t + timedelta(minutes=5)
    assert bid.extended_end is True
    # a bid in the extended time extends again; the originally scheduled end is kept for the record
    t2 = as_utc(auction.ends_at) - timedelta(seconds=30)
    services.place_bid(world["bidder"], auction.id, 120_000, now=t2)
    assert as_utc(auction.ends_at) == t2 + timedelta(minutes=5)
    assert as_utc(auction.scheduled_end_at) == end


def test_no_extension_when_window_is_zero(world):
    auction = make_auction(world["achievement"], extension=0, ends_in=timedelta(minutes=30))
    end = as_utc(auction.ends_at)
    services.place_bid(world["bidder"], auction.id, 100_000, now=end - timedelta(seconds=5))
    assert as_utc(auction.ends_at) == end
    with pytest.raises(InvalidTransition, match="结束，不能再出价"):
        services.place_bid(world["bidder2"], auction.id, 110_000, now=end)


def test_service_refusals(world):
    auction = make_auction(world["achievement"])
    with pytest.raises(PermissionDenied, match="只有企业用户可以参与竞价"):
        services.place_bid(world["owner"], auction.id, 100_000)
    with pytest.raises(ValidationError, match="出价金额格式不正确"):
        services.place_bid(world["bidder"], auction.id, "100000")
    with pytest.raises(ValidationError, match="超出合理范围"):
        services.place_bid(world["bidder"], auction.id, 10**12)
    # an enterprise cannot bid on its own organization's auction (the bureau may list an achievement of any org)
    ent_owner = make_user("enterprise")
    ach = make_listing("achievement", make_user("university"), "approved", title="企业也持有的成果")
    ach.organization_id = ent_owner.organization_id
    db.session.flush()
    own = make_auction(ach)
    with pytest.raises(PermissionDenied, match="不能对本单位的成果出价"):
        services.place_bid(ent_owner, own.id, 100_000)
    assert db.session.scalar(select(func.count()).select_from(Bid)) == 0


def test_sold_auction_opens_one_deal_at_signed_even_when_closed_twice(world):
    auction = make_auction(world["achievement"], start=100_000, reserve=120_000, increment=10_000,
                           ends_in=timedelta(minutes=20))
    services.place_bid(world["bidder"], auction.id, 100_000)
    services.place_bid(world["bidder2"], auction.id, 110_000)
    services.place_bid(world["bidder"], auction.id, 130_000)
    # not yet ended: nothing happens
    assert services.close_due_auctions(utcnow())["sold"] == 0
    assert auction.status == "open" and _deals(auction) == 0

    later = as_utc(auction.ends_at) + timedelta(seconds=1)
    out = services.close_due_auctions(later)
    assert out["sold"] == 1
    db.session.refresh(auction)
    assert auction.status == "closed_sold" and auction.deal_id is not None
    deal = db.session.get(Deal, auction.deal_id)
    assert deal.stage == "signed" and deal.source == "auction" and deal.source_id == auction.id
    assert deal.buyer_org_id == world["bidder"].organization_id
    assert deal.seller_org_id == world["achievement"].organization_id
    assert deal.achievement_id == world["achievement"].id

    # closing again (the CLI twice, the task retried): still one deal, same status, no new notifications
    notes_before = db.session.scalar(select(func.count()).select_from(Notification))
    out = services.close_due_auctions(later + timedelta(minutes=1))
    assert out == {"opened": 0, "sold": 0, "unsold": 0, "failed": 0}
    assert services.close_auction(auction.id, later + timedelta(hours=1)) is None
    assert _deals(auction) == 1
    assert db.session.scalar(select(func.count()).select_from(Notification)) == notes_before
    assert db.session.scalar(select(func.count()).select_from(AuctionEvent).where(
        AuctionEvent.auction_id == auction.id, AuctionEvent.action == "close_sold")) == 1

    assert "auction_won" in _kinds(world["bidder"])
    assert "auction_outbid" in _kinds(world["bidder2"])
    assert "auction_closed" in _kinds(world["owner"]) and "auction_closed" in _kinds(world["colleague"])
    assert "auction_won" not in _kinds(world["bidder2"])


def test_unsold_when_reserve_not_met_or_no_bids(world):
    auction = make_auction(world["achievement"], start=100_000, reserve=500_000, ends_in=timedelta(minutes=5))
    services.place_bid(world["bidder"], auction.id, 100_000)
    empty = make_auction(make_listing("achievement", world["owner"], "approved", title="没人出价的成果"),
                         ends_in=timedelta(minutes=5))
    out = services.close_due_auctions(utcnow() + timedelta(minutes=6))
    assert out["unsold"] == 2 and out["sold"] == 0
    db.session.refresh(auction)
    db.session.refresh(empty)
    assert auction.status == empty.status == "closed_unsold"
    assert auction.deal_id is None and _deals(auction) == 0
    assert "auction_closed" in _kinds(world["bidder"])  # the highest bidder learns it did not sell
    assert services.close_due_auctions(utcnow() + timedelta(minutes=7))["unsold"] == 0


def test_scheduled_auction_opens_when_its_start_comes(world):
    auction = make_auction(world["achievement"], status="scheduled", starts_in=timedelta(minutes=10),
                           ends_in=timedelta(hours=2))
    assert services.close_due_auctions(utcnow())["opened"] == 0
    assert services.close_due_auctions(utcnow() + timedelta(minutes=11))["opened"] == 1
    db.session.refresh(auction)
    assert auction.status == "open"
    assert services.close_due_auctions(utcnow() + timedelta(minutes=12))["opened"] == 0


def test_a_scheduled_auction_nobody_opened_still_takes_bids_in_time_and_closes(world):
    """The task may lag: the clock, not the stored status, decides whether bidding is open."""
    auction = make_auction(world["achievement"], status="scheduled", starts_in=timedelta(minutes=-1),
                           ends_in=timedelta(hours=1))
    services.place_bid(world["bidder"], auction.id, 100_000)
    assert auction.status == "open"
    scheduled_past = make_auction(make_listing("achievement", world["owner"], "approved", title="过期未开"),
                                  status="scheduled", starts_in=timedelta(hours=-3), ends_in=timedelta(hours=-1))
    services.close_due_auctions(utcnow())
    db.session.refresh(scheduled_past)
    assert scheduled_past.status == "closed_unsold"


def test_cancelled_auction_is_never_closed_or_reopened(world):
    auction = make_auction(world["achievement"], ends_in=timedelta(minutes=5))
    services.cancel(world["bureau"], auction, "材料不全")
    services.close_due_auctions(utcnow() + timedelta(hours=1))
    db.session.refresh(auction)
    assert auction.status == "cancelled"
    with pytest.raises(InvalidTransition):
        services.cancel(world["owner"], auction)


def test_cli_close_due(app, world):
    auction = make_auction(world["achievement"], start=100_000, ends_in=timedelta(minutes=5))
    services.place_bid(world["bidder"], auction.id, 100_000)
    auction.ends_at = utcnow() - timedelta(seconds=1)
    db.session.flush()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["auctions", "close-due"])
    assert result.exit_code == 0, result.output
    assert "成交 1 场" in result.output
    result = runner.invoke(args=["auctions", "close-due"])
    assert "成交 0 场" in result.output
    db.session.refresh(auction)
    assert auction.status == "closed_sold" and _deals(auction) == 1


def test_sold_page_links_the_deal_for_the_parties_only(app, world):
    from tests.conftest import login
    auction = make_auction(world["achievement"], ends_in=timedelta(minutes=5))
    services.place_bid(world["bidder"], auction.id, 100_000)
    services.close_due_auctions(utcnow() + timedelta(minutes=6))
    db.session.refresh(auction)
    link = f"/deals/{auction.deal_id}"
    assert link not in app.test_client().get(f"/auctions/{auction.id}").get_data(as_text=True)
    c = app.test_client()
    login(c, world["bidder"])
    html = c.get(f"/auctions/{auction.id}").get_data(as_text=True)
    assert link in html and "已成交" in html
    st = c.get(f"/auctions/{auction.id}/state").get_json()
    assert st["status"] == "closed_sold" and st["seconds_left"] == 0


def test_database_refuses_inconsistent_rows(world):
    """Rules in the database too: a sale below reserve, a zero increment, a bid count without a leader."""
    from sqlalchemy.exc import IntegrityError
    auction = make_auction(world["achievement"], start=100_000, reserve=200_000)
    for change in ({"increment_yuan": 0}, {"bid_count": 1}, {"status": "closed_sold"},
                   {"reserve_price_yuan": 50_000}, {"status": "paused"}):
        sp = db.session.begin_nested()
        for k, v in change.items():
            setattr(auction, k, v)
        with pytest.raises(IntegrityError):
            db.session.flush()
        sp.rollback()
        db.session.refresh(auction)
    assert isinstance(auction, Auction)


def test_version_guard_refuses_a_bid_read_before_another_was_accepted(world, monkeypatch):
    """The SQLite guard (and PostgreSQL's second line): if another bid is accepted between reading the auction and
    writing this bid, the conditional UPDATE matches no row and the bid is refused, never written over the other."""
    from sqlalchemy import update
    auction = make_auction(world["achievement"], start=100_000, increment=10_000)
    real_locked = services._locked

    def stale_read(auction_id):
        a = real_locked(auction_id)
        # another connection accepts a bid right after our read (what SQLite without row locks allows)
        db.session.execute(update(Auction).where(Auction.id == auction_id).values(
            version=Auction.version + 1, bid_count=1, current_price_yuan=100_000,
            leader_org_id=world["bidder2"].organization_id, leader_user_id=world["bidder2"].id)
            .execution_options(synchronize_session=False))
        return a

    monkeypatch.setattr(services, "_locked", stale_read)
    with pytest.raises(services.BidConflict, match="请按最新价格重新出价"):
        services.place_bid(world["bidder"], auction.id, 100_000)
    monkeypatch.setattr(services, "_locked", real_locked)
    db.session.refresh(auction)
    assert auction.current_price_yuan == 100_000 and auction.leader_org_id == world["bidder2"].organization_id
    assert db.session.scalar(select(func.count()).select_from(Bid)) == 0
