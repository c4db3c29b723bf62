"""A page of listing cards costs the same few queries however many cards it shows (no query per card)."""
import pytest
from sqlalchemy import event, select

from app.extensions import db
from app.reference import Industry, Town
from tests.conftest import make_listing, make_user


def _statements(client, path: str) -> int:
    db.session.expunge_all()  # a fresh request: nothing already in the identity map
    seen = []

    def count(*_args):
        seen.append(1)
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


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
