"""Factories for auction tests: an approved achievement, its owner, bidders of every kind, and auctions in any state."""
from datetime import timedelta

import pytest

from app.auctions.models import Auction
from app.extensions import db
from app.models_base import utcnow
from tests.conftest import make_listing, make_user


def make_auction(achievement, creator=None, *, status="open", starts_in=timedelta(hours=-1),
                 ends_in=timedelta(hours=1), start=100_000, reserve=None, increment=10_000, extension=5) -> Auction:
    now = utcnow()
    a = Auction(achievement_id=achievement.id, organization_id=achievement.organization_id,
                created_by_id=(creator.id if creator else achievement.created_by_id), status=status,
                start_price_yuan=start, reserve_price_yuan=reserve if reserve is not None else start,
                increment_yuan=increment, starts_at=now + starts_in, ends_at=now + ends_in,
                scheduled_end_at=now + ends_in, extension_minutes=extension, description="", bid_count=0, version=0,
                cancelled_reason="")
    db.session.add(a)
    db.session.flush()
    return a


@pytest.fixture
def world():
    owner = make_user("university")
    ach = make_listing("achievement", owner, "approved")
    w = {
        "owner": owner,
        "achievement": ach,
        "bidder": make_user("enterprise"),
        "bidder2": make_user("enterprise"),
        "bidder3": make_user("enterprise"),
        "unverified": make_user("enterprise", verified=False),
        "other_university": make_user("university"),
        "institute": make_user("institute"),
        "broker": make_user("broker", org=None),
        "bureau": make_user("bureau"),
        "admin": make_user("admin"),
    }
    # a colleague in the owner's organization
    w["colleague"] = make_user("university", org=owner.organization)
    return w
