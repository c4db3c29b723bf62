"""The contract list is cut into pages in SQL (the bureau's holds every contract of the county): latest versions only,
newest first, filterable by state; the API list pages the same way with exact totals."""
import re

from app.extensions import db
from tests.conftest import login, make_user
from tests.stats.factories import make_contract

IDS = re.compile(r'href="/contracts/(\d+)"')


def _ids(html: str) -> list[int]:
    return [int(i) for i in IDS.findall(html)]


def test_bureau_list_pages_newest_first_and_filters_by_state(client):
    bureau = make_user("bureau")
    made = [make_contract(1_000_000 + i, recorder=bureau).id for i in range(55)]
    waiting = make_contract(2_000_000, status="submitted", recorder=bureau).id
    db.session.commit()
    login(client, bureau)
    first = client.get("/contracts").get_data(as_text=True)
    assert 'id="contract-count">共 56 份' in first
    assert _ids(first) == [waiting, *sorted(made, reverse=True)][:50]
    second = client.get("/contracts?page=2").get_data(as_text=True)
    assert _ids(second) == sorted(made, reverse=True)[49:]
    assert "page=1" in second  # links back to the first page
    only = client.get("/contracts?status=submitted").get_data(as_text=True)
    assert _ids(only) == [waiting] and "共 1 份" in only
    # an unknown state or page is not an error
    assert client.get("/contracts?status=nonsense").status_code == 200
    assert _ids(client.get("/contracts?page=99").get_data(as_text=True)) == []


def test_a_party_sees_only_its_own_contracts(client):
    ent = make_user("enterprise")
    mine = make_contract(500_000, buyer=ent.organization).id
    make_contract(700_000)  # someone else's
    db.session.commit()
    login(client, ent)
    html = client.get("/contracts").get_data(as_text=True)
    assert _ids(html) == [mine] and "共 1 份" in html


def test_api_list_pages_with_exact_totals(app):
    from tests.api.conftest import api_pages
    bureau = make_user("bureau")
    made = [make_contract(1_000_000 + i, recorder=bureau).id for i in range(7)]
    pages = api_pages(app, bureau, "/api/v1/contracts")
    assert [(p["total"], p["pages"]) for p in pages] == [(7, 2), (7, 2)]
    assert [r["id"] for p in pages for r in p["items"]] == sorted(made, reverse=True)
