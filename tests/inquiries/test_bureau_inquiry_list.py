"""The bureau's list of every inquiry is paged in SQL (pages and API alike): broker requests first, then the latest
activity, each inquiry once across the pages."""
import re
from datetime import UTC, datetime, timedelta

from app.extensions import db
from tests.conftest import login, make_listing, make_user
from tests.transaction_factories import make_inquiry

LINK = re.compile(r'href="/inquiries/(\d+)"')


def _inquiries(n: int) -> tuple[list[int], int]:
    ent, ach = make_user("enterprise"), make_listing("achievement")
    made = []
    for i in range(n):
        inq = make_inquiry(ent, ach)
        inq.updated_at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=i)
        made.append(inq.id)
    flagged = made[0]  # the oldest, but a broker was asked for: first
    db.session.get(type(inq), flagged).broker_requested_at = datetime(2026, 2, 1, tzinfo=UTC)
    db.session.commit()
    return made, flagged


def test_bureau_page_is_paged_broker_requests_first(client):
    made, flagged = _inquiries(53)
    login(client, make_user("bureau"))
    first = [int(i) for i in LINK.findall(client.get("/bureau/inquiries").get_data(as_text=True))]
    second = [int(i) for i in LINK.findall(client.get("/bureau/inquiries?page=2").get_data(as_text=True))]
    assert len(first) == 50 and len(second) == 3
    assert first[0] == flagged and first[1] == made[-1]  # then newest activity first
    assert sorted(first + second) == sorted(made)


def test_bureau_api_list_pages_with_exact_totals(app):
    from tests.api.conftest import api_pages
    made, flagged = _inquiries(7)
    pages = api_pages(app, make_user("bureau"), "/api/v1/inquiries")
    assert [(p["total"], p["pages"]) for p in pages] == [(7, 2), (7, 2)]
    ids = [r["id"] for p in pages for r in p["items"]]
    assert ids[0] == flagged and sorted(ids) == sorted(made)
