"""The demo command fills an empty database with the realistic market and is deterministic."""
import json
from collections import Counter

from sqlalchemy import func, select

from app.accounts.models import Organization, User
from app.demo import loader
from app.extensions import db
from app.listings.models import Achievement, Need
from app.reference import INDUSTRIES, TOWNS, codes


def _json(name):
    return json.loads((loader.DATA / name).read_text(encoding="utf-8"))


def test_demo_files_are_rich_and_consistent():
    orgs = _json("organizations.json")
    achs, needs = _json("achievements.json"), _json("needs.json")
    assert len(orgs) >= 40 and len(achs) >= 250 and len(needs) >= 120
    kinds = {o["key"]: o["kind"] for o in orgs}
    assert all(kinds[a["org"]] in ("university", "institute") for a in achs)
    assert all(kinds[n["org"]] == "enterprise" for n in needs)
    assert set(a["industry"] for a in achs) == set(codes(INDUSTRIES))
    assert set(n["industry"] for n in needs) == set(codes(INDUSTRIES))
    assert len({n["town"] for n in needs}) >= 10 and {n["town"] for n in needs} <= set(codes(TOWNS))
    titles = [x["title"] for x in achs + needs]
    assert len(titles) == len(set(titles))
    assert not any("测试" in t or "lorem" in t.lower() for t in titles)


def test_demo_load_into_empty_database(app):
    # the per-test transaction makes this run on an empty schema and leaves nothing behind
    assert not loader.has_data()
    counts = loader.load()
    assert counts["成果"] == db.session.scalar(select(func.count()).select_from(Achievement)) >= 250
    assert counts["需求"] == db.session.scalar(select(func.count()).select_from(Need)) >= 120
    assert db.session.scalar(select(func.count()).select_from(Organization)) >= 41
    roles = Counter(db.session.scalars(select(User.role)).all())
    for role in ("enterprise", "university", "institute", "service_agency", "broker", "bureau", "admin"):
        assert roles[role] >= 1, role
    public = db.session.scalar(select(func.count()).select_from(Need).where(Need.status == "approved"))
    assert public >= 100
    # one printed login per role works
    client = app.test_client()
    from tests.conftest import csrf_token
    resp = client.post("/login", data={"email": "enterprise@demo.yjtm.cn", "password": loader.PASSWORD,
                                       "csrf_token": csrf_token(client, "/login")})
    assert resp.status_code == 302
    assert client.get("/needs?q=阀").status_code == 200
