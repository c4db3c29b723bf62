"""Listings through the API: same search as the pages, stable pagination, money and dates, ETag/If-Match."""
from datetime import date

from app.extensions import db
from app.listings.models import Need
from app.models_base import utcnow
from tests.api.conftest import bearer, is_problem, token_for
from tests.conftest import make_listing, make_user


def test_same_filters_and_chinese_search_as_pages(client):
    owner = make_user("enterprise")
    hit = make_listing("need", owner, "approved", title="阀门密封件寿命提升", keywords="阀门、密封")
    make_listing("need", owner, "approved", title="童鞋鞋底防滑", description="需要提高童鞋鞋底的防滑性能和耐磨性能。",
                 keywords="鞋底", industry_code="fashion")
    make_listing("need", owner, "pending", title="阀门密封待审核")
    data = client.get("/api/v1/needs", query_string={"q": "阀门密封"}).get_json()
    assert [i["id"] for i in data["items"]] == [hit.id]
    page = client.get("/needs", query_string={"q": "阀门密封"}).get_data(as_text=True)
    assert hit.title in page and "童鞋" not in page  # the page finds the same
    data = client.get("/api/v1/needs", query_string={"industry": "fashion"}).get_json()
    assert [i["title"] for i in data["items"]] == ["童鞋鞋底防滑"]


def test_money_dates_and_shape(client):
    owner = make_user("enterprise")
    n = make_listing("need", owner, "approved", budget_yuan=1_250_000, deadline=date(2027, 6, 30))
    make_listing("need", owner, "approved", title="面议的需求", budget_yuan=None)
    items = {i["id"]: i for i in client.get("/api/v1/needs").get_json()["items"]}
    assert items[n.id]["budget_yuan"] == "1250000.00"
    assert items[n.id]["deadline"] == "2027-06-30"
    assert items[n.id]["published_at"].endswith("+00:00")
    assert [i["budget_yuan"] for i in items.values() if i["title"] == "面议的需求"] == [None]
    assert items[n.id]["keywords"] == ["球阀", "内漏"]
    # a budget filter in 万元, as on the pages
    ids = [i["id"] for i in client.get("/api/v1/needs", query_string={"min": 100}).get_json()["items"]]
    assert ids == [n.id]


def test_pagination_is_stable_and_complete(client):
    owner = make_user("enterprise")
    same_time = utcnow()
    made = []
    for i in range(23):
        n = make_listing("need", owner, "approved", title=f"分页需求{i}")
        n.published_at = same_time  # ties: the order must still be total (id breaks them)
        made.append(n.id)
    db.session.flush()
    seen = []
    first = client.get("/api/v1/needs", query_string={"per_page": 5}).get_json()
    assert first["total"] == 23 and first["pages"] == 5 and first["per_page"] == 5
    for page in range(1, 6):
        data = client.get("/api/v1/needs", query_string={"per_page": 5, "page": page}).get_json()
        seen += [i["id"] for i in data["items"]]
    assert sorted(seen) == sorted(made) and len(seen) == len(set(seen))
    again = []
    for page in range(1, 6):
        again += [i["id"] for i in client.get("/api/v1/needs", query_string={"per_page": 5, "page": page}).get_json()["items"]]
    assert again == seen
    assert client.get("/api/v1/needs", query_string={"per_page": 5, "page": 99}).get_json()["items"] == []
    body = is_problem(client.get("/api/v1/needs", query_string={"per_page": 1000}), 422)
    assert "per_page" in body["errors"]


def test_university_publishes_and_updates_an_achievement(client):
    """The issue's 'done when': a university's system publishes and updates its achievements with a token."""
    uni = make_user("university")
    h = bearer(token_for(uni))
    body = {"title": "高效永磁同步电机控制技术", "abstract": "基于模型预测控制的永磁同步电机驱动，效率提升3%，适用于泵阀驱动。",
            "industry_code": "electrical", "maturity": "pilot", "transfer_mode": "license", "price_yuan": "800000",
            "keywords": ["永磁同步电机", "模型预测控制"], "confidential": "控制参数表", "submit": True}
    resp = client.post("/api/v1/achievements", json=body, headers=h)
    assert resp.status_code == 201, resp.get_json()
    created = resp.get_json()
    assert created["status"] == "pending" and created["price_yuan"] == "800000.00"
    assert created["confidential"] == "控制参数表"  # the owner sees it
    got = client.get(f"/api/v1/achievements/{created['id']}", headers=h)
    resp = client.patch(f"/api/v1/achievements/{created['id']}", json={"price_yuan": "750000.00"},
                        headers={**h, "If-Match": got.headers["ETag"]})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["price_yuan"] == "750000.00" and resp.get_json()["outcome"] == "applied"
    assert resp.headers["ETag"] != got.headers["ETag"]
    # anyone else: not visible until approved
    is_problem(client.get(f"/api/v1/achievements/{created['id']}"), 404)


def test_edit_of_approved_listing_is_held_for_review(client):
    owner = make_user("enterprise")
    n = make_listing("need", owner, "approved")
    h = bearer(token_for(owner))
    etag = client.get(f"/api/v1/needs/{n.id}", headers=h).headers["ETag"]
    resp = client.patch(f"/api/v1/needs/{n.id}", json={"title": "新标题：高温球阀内漏"}, headers={**h, "If-Match": etag})
    assert resp.status_code == 200 and resp.get_json()["outcome"] == "held"
    public = client.get(f"/api/v1/needs/{n.id}").get_json()
    assert public["title"] == "DN50球阀内漏问题攻关" and public["revision_status"] == "pending"


def test_stale_etag_is_refused_and_nothing_is_lost(client):
    owner = make_user("enterprise")
    n = make_listing("need", owner, "draft")
    alice, bob = bearer(token_for(owner, "甲")), bearer(token_for(owner, "乙"))
    etag_a = client.get(f"/api/v1/needs/{n.id}", headers=alice).headers["ETag"]
    etag_b = client.get(f"/api/v1/needs/{n.id}", headers=bob).headers["ETag"]
    assert etag_a == etag_b  # one version, the same tag for every viewer
    ok = client.patch(f"/api/v1/needs/{n.id}", json={"budget_yuan": "650000.00"}, headers={**alice, "If-Match": etag_a})
    assert ok.status_code == 200
    stale = client.patch(f"/api/v1/needs/{n.id}", json={"budget_yuan": "1.00", "title": "乙的标题"},
                         headers={**bob, "If-Match": etag_b})
    body = is_problem(stale, 412)
    assert "修改" in body["detail"]
    db.session.expire_all()
    kept = db.session.get(Need, n.id)
    assert kept.budget_yuan == 650_000 and kept.title == "DN50球阀内漏问题攻关"  # Alice's edit stands, Bob's is refused
    # Bob re-reads and succeeds
    fresh = client.get(f"/api/v1/needs/{n.id}", headers=bob).headers["ETag"]
    assert client.patch(f"/api/v1/needs/{n.id}", json={"title": "乙的标题"},
                        headers={**bob, "If-Match": fresh}).status_code == 200
    # PUT without If-Match: 428, nothing changed
    is_problem(client.put(f"/api/v1/needs/{n.id}", json={}, headers=bob), 428)


def test_put_replaces_all_fields_and_validates_in_chinese(client):
    owner = make_user("enterprise")
    n = make_listing("need", owner, "draft")
    h = bearer(token_for(owner))
    etag = client.get(f"/api/v1/needs/{n.id}", headers=h).headers["ETag"]
    body = is_problem(client.put(f"/api/v1/needs/{n.id}", json={"title": "短", "description": "太短",
                                                                  "industry_code": "pump_valve",
                                                                  "cooperation_mode": "co_develop",
                                                                  "budget_yuan": "12.50"},
                                 headers={**h, "If-Match": etag}), 422)
    assert "budget_yuan" in body["errors"]
    body = is_problem(client.put(f"/api/v1/needs/{n.id}", json={"title": "短", "description": "太短",
                                                                  "industry_code": "pump_valve",
                                                                  "cooperation_mode": "co_develop"},
                                 headers={**h, "If-Match": etag}), 422)
    assert "description" in body["errors"]  # the service's own rule (at least 10 characters)
    db.session.refresh(n)
    assert n.title == "DN50球阀内漏问题攻关"


def test_confidential_and_reject_reason_only_for_those_allowed(client):
    uni = make_user("university")
    a = make_listing("achievement", uni, "approved")
    assert client.get(f"/api/v1/achievements/{a.id}").get_json()["confidential"] is None
    other = bearer(token_for(make_user("enterprise")))
    assert client.get(f"/api/v1/achievements/{a.id}", headers=other).get_json()["confidential"] is None
    bureau = bearer(token_for(make_user("bureau")))
    assert client.get(f"/api/v1/achievements/{a.id}", headers=bureau).get_json()["confidential"] == "熔覆层厚度0.8mm"


def test_bureau_review_through_the_api(client):
    owner = make_user("enterprise")
    n = make_listing("need", owner, "pending")
    bureau = bearer(token_for(make_user("bureau")))
    queue = client.get("/api/v1/review-queue", headers=bureau).get_json()["items"]
    assert {"kind": "need", "id": n.id} in [{"kind": i["kind"], "id": i["id"]} for i in queue]
    body = is_problem(client.post(f"/api/v1/needs/{n.id}/reject", json={"reason": ""}, headers=bureau), 422)
    assert "reason" in body["errors"]
    resp = client.post(f"/api/v1/needs/{n.id}/approve", headers=bureau)
    assert resp.status_code == 200 and resp.get_json()["status"] == "approved"
    is_problem(client.post(f"/api/v1/needs/{n.id}/approve", headers=bureau), 409)


def test_matches_need_a_token_and_a_stake(client):
    owner = make_user("enterprise")
    n = make_listing("need", owner, "approved")
    is_problem(client.get(f"/api/v1/needs/{n.id}/matches"), 401)
    is_problem(client.get(f"/api/v1/needs/{n.id}/matches", headers=bearer(token_for(make_user("enterprise")))), 403)
    resp = client.get(f"/api/v1/needs/{n.id}/matches", headers=bearer(token_for(owner)))
    assert resp.status_code == 200 and isinstance(resp.get_json()["items"], list)


def test_public_summary(client):
    make_listing("need", make_user("enterprise"), "approved", budget_yuan=300_000)
    data = client.get("/api/v1/statistics/summary").get_json()
    assert data["needs"] >= 1 and data["need_budget_yuan"].endswith(".00")
