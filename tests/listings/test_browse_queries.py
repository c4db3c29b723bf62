"""A page of listing cards costs the same few queries however many cards it shows (no query per card)."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.reference import Industry, Town
from tests.conftest import make_listing, make_user, recorded_statements


def _statements(client, path: str) -> int:
    db.session.expunge_all()  # a fresh request: nothing already in the identity map
    with recorded_statements() as seen:
        assert client.get(path).status_code == 200
    # queries only: the test harness wraps each request in a SAVEPOINT of its own
    return sum(1 for st in seen if st.lstrip().upper().startswith("SELECT"))


def _post(n: int, kind: str) -> None:
    towns = db.session.scalars(select(Town.code).order_by(Town.code)).all()
    industries = db.session.scalars(select(Industry.code).order_by(Industry.code)).all()
    for i in range(n):
        # every card from its own organization, town and industry: a lazy load per card would show
        extra = {"town_code": towns[i % len(towns)]} if kind == "need" else {}
        make_listing(kind, make_user("enterprise" if kind == "need" else "university"),
                     industry_code=industries[i % len(industries)], title=f"查询计数{kind}{i}", **extra)
    db.session.commit()


@pytest.mark.parametrize("kind,path", [("need", "/needs?sort=newest"), ("need", "/"),
                                       ("achievement", "/achievements?sort=newest"),
                                       ("need", "/needs?q=查询计数"), ("achievement", "/")])
def test_queries_do_not_grow_with_the_cards(client, kind, path):
    _post(2, kind)
    few = _statements(client, path)
    _post(10, kind)
    many = _statements(client, path)
    assert many == few, f"{path}: {few} queries for 2 cards, {many} for 12"


def test_a_detail_page_reads_the_listing_with_what_it_shows(client):
    """A visitor's detail page: the listing with its organization, industry and town in one query (an achievement's
    patents in a second), not one round trip per related row."""
    from app.listings.models import Patent
    need = make_listing("need", make_user("enterprise"))
    ach = make_listing("achievement", make_user("university"))
    for i in range(3):
        db.session.add(Patent(number=f"ZL20201000000{i}.{i}", title=f"专利{i}", patent_type="invention",
                              status="granted", organization_id=ach.organization_id, achievement_id=ach.id))
    db.session.commit()
    need_page, ach_page = f"/needs/{need.id}", f"/achievements/{ach.id}"
    assert _statements(client, need_page) == 1
    assert _statements(client, ach_page) == 2
