"""Concurrent bidding: 20 threads, each with its own session and connection, bid on one auction at once.

On PostgreSQL (CI) the auction row is locked (SELECT … FOR UPDATE): bids queue up and each sees its predecessor. On
SQLite there are no row locks; the conditional UPDATE on `version` (and SQLite's own write lock) refuses a bid that
read a price another bid has since replaced, with a message to bid again: still nothing lost, nothing out of order.

The per-test rolled-back transaction cannot be shared between threads, so this test commits its own rows and deletes
them afterwards.
"""
import random
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from app.accounts.models import User
from app.auctions import services
from app.auctions.models import Auction, Bid
from app.deals.models import Deal
from app.errors import DomainError
from app.extensions import db
from app.models_base import utcnow
from config import TestConfig
from tests.auctions.conftest import make_auction
from tests.conftest import _PinnedSession, make_listing, make_user

POSTGRES = TestConfig.SQLALCHEMY_DATABASE_URI.startswith("postgresql")

THREADS = 20
START, INCREMENT = 100_000, 1_000
ALLOWED_REFUSALS = ("出价不能低于", "已是当前最高出价者")
# SQLite only: the guard's refusal (never on PostgreSQL, where the row lock makes every bid see its predecessor)
GUARD_REFUSALS = () if POSTGRES else ("请按最新价格重新出价",)


@pytest.fixture
def committed(app):
    """Real sessions on a pool big enough for every thread; the rows made here are committed, then deleted."""
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"], pool_size=THREADS + 5, max_overflow=5)
    pinned = db.session
    db.session = db._make_scoped_session({"bind": engine, "class_": _PinnedSession})
    made = {"users": [], "orgs": [], "achievements": [], "auctions": []}
    try:
        yield made
    finally:
        db.session.remove()
        db.session = pinned
        _cleanup(engine, made)
        engine.dispose()


def _cleanup(engine, made) -> None:
    t = {name: sa.table(name, sa.column("id")) for name in ("auctions", "achievements", "users", "organizations")}
    auctions, users = made["auctions"], made["users"]
    with engine.begin() as c:
        deals = sa.table("deals", sa.column("id"), sa.column("source"), sa.column("source_id"))
        deal_ids = list(c.execute(sa.select(deals.c.id).where(deals.c.source == "auction",
                                                                deals.c.source_id.in_(auctions))).scalars())
        urls = [f"/auctions/{a}" for a in auctions] + [f"/deals/{d}" for d in deal_ids]
        notes = sa.table("notifications", sa.column("user_id"), sa.column("url"))
        c.execute(sa.delete(notes).where(sa.or_(notes.c.user_id.in_(users), notes.c.url.in_(urls))))
        c.execute(sa.update(sa.table("auctions", sa.column("id"), sa.column("deal_id")))
                  .where(sa.column("id").in_(auctions)).values(deal_id=None))
        c.execute(sa.delete(sa.table("deal_events", sa.column("deal_id"))).where(sa.column("deal_id").in_(deal_ids)))
        c.execute(sa.delete(sa.table("deals", sa.column("id"))).where(sa.column("id").in_(deal_ids)))
        for child in ("auction_events", "bids"):
            c.execute(sa.delete(sa.table(child, sa.column("auction_id"))).where(sa.column("auction_id").in_(auctions)))
        c.execute(sa.delete(t["auctions"]).where(t["auctions"].c.id.in_(auctions)))
        c.execute(sa.delete(t["achievements"]).where(t["achievements"].c.id.in_(made["achievements"])))
        c.execute(sa.delete(t["users"]).where(t["users"].c.id.in_(users)))
        c.execute(sa.delete(t["organizations"]).where(t["organizations"].c.id.in_(made["orgs"])))


def _setup(made):
    owner = make_user("university")
    ach = make_listing("achievement", owner, "approved", title="并发竞价测试成果")
    bidders = [make_user("enterprise") for _ in range(THREADS)]
    auction = make_auction(ach, start=START, reserve=START, increment=INCREMENT, extension=5,
                           ends_in=timedelta(hours=1))
    db.session.commit()
    made["users"] += [owner.id] + [b.id for b in bidders]
    made["orgs"] += [owner.organization_id] + [b.organization_id for b in bidders]
    made["achievements"].append(ach.id)
    made["auctions"].append(auction.id)
    return auction.id, [b.id for b in bidders]


def test_twenty_threads_bid_at_once(app, committed):
    with app.app_context():
        auction_id, bidder_ids = _setup(committed)
        db.session.remove()

    barrier = threading.Barrier(THREADS)
    accepted: list[tuple[int, int, int]] = []  # (bid id, amount, user id)
    refused: list[tuple[int, str]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def bidder(i: int) -> None:
        rnd = random.Random(i)
        try:
            with app.app_context():
                user = db.session.get(User, bidder_ids[i])
                _ = user.organization.verified  # load before the race
                db.session.rollback()
                barrier.wait(timeout=30)
                # round 0: everyone at once, each a different amount, most of them stale by the time they land
                amount = START + i * INCREMENT
                for _round in range(6):
                    try:
                        bid = services.place_bid(user, auction_id, amount)
                        db.session.commit()
                        with lock:
                            accepted.append((bid.id, amount, user.id))
                    except DomainError as err:
                        db.session.rollback()
                        with lock:
                            refused.append((amount, err.message))
                    price = db.session.scalar(select(Auction.current_price_yuan).where(Auction.id == auction_id))
                    db.session.rollback()
                    amount = (price or START) + INCREMENT * rnd.randint(1, 3)
                db.session.remove()
        except BaseException as exc:  # surfaced in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=bidder, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert all(not t.is_alive() for t in threads)

    with app.app_context():
        auction = db.session.get(Auction, auction_id)
        bids = db.session.scalars(select(Bid).where(Bid.auction_id == auction_id).order_by(Bid.seq)).all()
        # every accepted bid recorded exactly once, nothing else recorded
        assert sorted(b.id for b in bids) == sorted(a[0] for a in accepted)
        assert len(bids) == len(accepted) == auction.bid_count >= THREADS // 2
        assert [b.seq for b in bids] == list(range(1, len(bids) + 1))
        # in order: no accepted bid below its predecessor plus the increment; time never goes back
        assert bids[0].amount_yuan >= START
        for prev, cur in zip(bids, bids[1:], strict=False):
            assert cur.amount_yuan >= prev.amount_yuan + INCREMENT, (prev.amount_yuan, cur.amount_yuan)
            assert cur.created_at >= prev.created_at
            assert cur.organization_id != prev.organization_id  # nobody outbids themselves
        # the highest accepted bid leads and is the current price
        top = max(bids, key=lambda b: b.amount_yuan)
        assert top.seq == len(bids)
        assert auction.current_price_yuan == top.amount_yuan == max(a[1] for a in accepted)
        assert auction.leader_org_id == top.organization_id and auction.leader_user_id == top.bidder_id
        # refusals are the rule's, in Chinese, never a database error
        assert refused, "with 20 bidders racing, some bids must have been too low by the time they landed"
        for _amount, message in refused:
            assert any(r in message for r in ALLOWED_REFUSALS + GUARD_REFUSALS), message
        winner_org, final_price = top.organization_id, top.amount_yuan
        ends_at = auction.ends_at
        db.session.remove()

    # two closers at the same moment (say, beat fired twice): one sale, one deal, with the highest bidder
    after = ends_at + timedelta(seconds=1)
    results: list[dict] = []
    close_barrier = threading.Barrier(2)

    def closer() -> None:
        try:
            with app.app_context():
                close_barrier.wait(timeout=30)
                out = services.close_due_auctions(after)
                db.session.commit()
                results.append(out)
                db.session.remove()
        except BaseException as exc:
            errors.append(exc)

    closers = [threading.Thread(target=closer) for _ in range(2)]
    for t in closers:
        t.start()
    for t in closers:
        t.join(timeout=60)
    assert not errors, errors
    assert sum(r["sold"] for r in results) == 1

    with app.app_context():
        auction = db.session.get(Auction, auction_id)
        assert auction.status == "closed_sold" and auction.current_price_yuan == final_price
        deals = db.session.scalars(select(Deal).where(Deal.source == "auction", Deal.source_id == auction_id)).all()
        assert len(deals) == 1 and deals[0].id == auction.deal_id
        assert deals[0].buyer_org_id == winner_org and deals[0].stage == "signed"
        # and a bid after the end is refused
        late_user = db.session.get(User, bidder_ids[0])
        with pytest.raises(DomainError, match="拍卖已结束"):
            services.place_bid(late_user, auction_id, final_price + 10 * INCREMENT, now=utcnow())
        db.session.rollback()
        db.session.remove()
