"""Concurrent registration on PostgreSQL: 20 threads, each with its own session and connection, register at once.

Capacity and deadline hold (no overbooking), and one organization registers once even when two of its users click
at the same moment. The per-test rolled-back transaction cannot be shared between threads, so this test commits its
own rows and deletes them afterwards. On SQLite it is skipped (SQLite serialises writers; the rules are tested
through the services in test_events.py).
"""
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from app.accounts.models import User
from app.errors import DomainError
from app.events import services
from app.events.models import EventRegistration, MatchmakingEvent
from app.extensions import db
from config import TestConfig
from tests.conftest import _PinnedSession, make_org, make_user
from tests.events.conftest import make_event

pytestmark = pytest.mark.skipif(not TestConfig.SQLALCHEMY_DATABASE_URI.startswith("postgresql"),
                                reason="row locks are tested on PostgreSQL (TEST_DATABASE_URL)")

THREADS = 20
CAPACITY = 5


@pytest.fixture
def committed(app):
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"], pool_size=THREADS + 5, max_overflow=5)
    pinned = db.session
    db.session = db._make_scoped_session({"bind": engine, "class_": _PinnedSession})
    made = {"users": [], "orgs": [], "events": []}
    try:
        yield made
    finally:
        db.session.remove()
        db.session = pinned
        with engine.begin() as c:
            events, users, orgs = made["events"] or [0], made["users"] or [0], made["orgs"] or [0]
            c.execute(sa.text("DELETE FROM notifications WHERE user_id = ANY(:u)"), {"u": users})
            c.execute(sa.text("DELETE FROM event_logs WHERE event_id = ANY(:e)"), {"e": events})
            c.execute(sa.text("DELETE FROM event_registrations WHERE event_id = ANY(:e)"), {"e": events})
            c.execute(sa.text("DELETE FROM matchmaking_events WHERE id = ANY(:e)"), {"e": events})
            c.execute(sa.text("DELETE FROM users WHERE id = ANY(:u)"), {"u": users})
            c.execute(sa.text("DELETE FROM organizations WHERE id = ANY(:o)"), {"o": orgs})
        engine.dispose()


def _race(app, user_ids: list[int], event_id: int) -> tuple[list[int], list[str], list[BaseException]]:
    barrier = threading.Barrier(len(user_ids))
    ok: list[int] = []
    refused: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(uid: int) -> None:
        try:
            with app.app_context():
                user = db.session.get(User, uid)
                _ = user.organization.verified  # load before the race
                db.session.rollback()
                barrier.wait(timeout=30)
                try:
                    services.register(user, event_id)
                    db.session.commit()
                    with lock:
                        ok.append(uid)
                except DomainError as err:
                    db.session.rollback()
                    with lock:
                        refused.append(err.message)
                db.session.remove()
        except BaseException as exc:  # surfaced in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(uid,)) for uid in user_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(not t.is_alive() for t in threads)
    return ok, refused, errors


def test_twenty_organizations_race_for_five_seats(app, committed):
    with app.app_context():
        users = [make_user("enterprise") for _ in range(THREADS)]
        creator = users[0]
        full = make_event(creator, capacity=CAPACITY)
        late = make_event(creator, starts_in=timedelta(hours=20), deadline_before=timedelta(days=1),
                          title="报名已截止的专场")
        db.session.commit()
        committed["users"] += [u.id for u in users]
        committed["orgs"] += [u.organization_id for u in users]
        committed["events"] += [full.id, late.id]
        user_ids, full_id, late_id = [u.id for u in users], full.id, late.id
        db.session.remove()

    ok, refused, errors = _race(app, user_ids, full_id)
    assert not errors, errors
    assert len(ok) == CAPACITY and len(refused) == THREADS - CAPACITY
    assert all("名额已满" in m for m in refused), refused
    with app.app_context():
        event = db.session.get(MatchmakingEvent, full_id)
        rows = db.session.scalars(select(EventRegistration).where(EventRegistration.event_id == full_id)).all()
        assert event.registered_count == len(rows) == CAPACITY
        assert {r.registered_by_id for r in rows} == set(ok)
        db.session.remove()

    ok, refused, errors = _race(app, user_ids, late_id)
    assert not errors, errors
    assert ok == [] and all("截止" in m for m in refused)
    with app.app_context():
        assert db.session.get(MatchmakingEvent, late_id).registered_count == 0
        db.session.remove()


def test_two_users_of_one_organization_register_it_once(app, committed):
    with app.app_context():
        org = make_org("enterprise")
        users = [make_user("enterprise", org=org) for _ in range(4)]
        event = make_event(users[0], capacity=50)
        db.session.commit()
        committed["users"] += [u.id for u in users]
        committed["orgs"].append(org.id)
        committed["events"].append(event.id)
        user_ids, event_id = [u.id for u in users], event.id
        db.session.remove()

    ok, refused, errors = _race(app, user_ids, event_id)
    assert not errors, errors
    assert len(ok) == 1 and all("无需重复报名" in m for m in refused), refused
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(EventRegistration)
                              .where(EventRegistration.event_id == event_id))
        assert n == 1 == db.session.get(MatchmakingEvent, event_id).registered_count
        db.session.remove()
