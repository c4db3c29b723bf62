"""Contracts through the API: a party records, the bureau registers; stale ETag refused; the analyst's totals."""
from datetime import date

from app.contracts.models import Contract
from app.extensions import db
from tests.api.conftest import bearer, is_problem, token_for
from tests.conftest import make_org, make_user


def _body(buyer, seller, **kw):
    return {"title": "球阀密封技术许可合同", "contract_type": "license", "buyer_org_id": buyer.id,
            "seller_org_id": seller.id, "contract_amount_yuan": "500000.00", "tech_amount_yuan": "450000",
            "signed_on": date(2026, 3, 2).isoformat(), **kw}


def test_record_register_and_count(client):
    ent = make_user("enterprise")
    uni_org = make_org("university")
    h = bearer(token_for(ent))
    resp = client.post("/api/v1/contracts", json=_body(ent.organization, uni_org), headers=h)
    assert resp.status_code == 201, resp.get_json()
    c = resp.get_json()
    assert c["status"] == "submitted" and c["tech_amount_yuan"] == "450000.00" and c["buyer"]["org_id"] == ent.organization_id
    is_problem(client.post(f"/api/v1/contracts/{c['id']}/register", headers=h), 403)  # only the bureau
    is_problem(client.get(f"/api/v1/contracts/{c['id']}", headers=bearer(token_for(make_user("enterprise")))), 404)
    bureau = bearer(token_for(make_user("bureau")))
    before = client.get("/api/v1/statistics/contracts", headers=bureau).get_json()
    reg = client.post(f"/api/v1/contracts/{c['id']}/register", headers=bureau)
    assert reg.status_code == 200 and reg.get_json()["registration_number"]
    after = client.get("/api/v1/statistics/contracts", headers=bureau).get_json()
    assert after["count"] == before["count"] + 1
    assert int(after["tech_amount_yuan"].split(".")[0]) - int(before["tech_amount_yuan"].split(".")[0]) == 450_000
    assert after["by_type"]["license"]["count"] >= 1
    is_problem(client.get("/api/v1/statistics/contracts", headers=h), 403)
    listed = client.get("/api/v1/contracts", headers=h).get_json()
    assert c["id"] in [i["id"] for i in listed["items"]]


def test_stale_etag_on_contract_is_refused(client):
    ent = make_user("enterprise")
    uni_org = make_org("university")
    h = bearer(token_for(ent))
    c = client.post("/api/v1/contracts", json=_body(ent.organization, uni_org), headers=h).get_json()
    etag = client.get(f"/api/v1/contracts/{c['id']}", headers=h).headers["ETag"]
    ok = client.put(f"/api/v1/contracts/{c['id']}", json=_body(ent.organization, uni_org, title="甲改的名称"),
                    headers={**h, "If-Match": etag})
    assert ok.status_code == 200, ok.get_json()
    is_problem(client.put(f"/api/v1/contracts/{c['id']}", json=_body(ent.organization, uni_org, title="乙改的名称"),
                          headers={**h, "If-Match": etag}), 412)
    db.session.expire_all()
    assert db.session.get(Contract, c["id"]).title == "甲改的名称"


def test_bureau_returns_with_reason(client):
    ent = make_user("enterprise")
    h = bearer(token_for(ent))
    c = client.post("/api/v1/contracts", json=_body(ent.organization, make_org("institute")), headers=h).get_json()
    bureau = bearer(token_for(make_user("bureau")))
    is_problem(client.post(f"/api/v1/contracts/{c['id']}/return", json={"reason": ""}, headers=bureau), 422)
    resp = client.post(f"/api/v1/contracts/{c['id']}/return", json={"reason": "缺少技术交易额说明"}, headers=bureau)
    assert resp.status_code == 200 and resp.get_json()["status"] == "returned"


def test_notifications(client):
    ent = make_user("enterprise")
    h = bearer(token_for(ent))
    c = client.post("/api/v1/contracts", json=_body(ent.organization, make_org("institute")), headers=h).get_json()
    bureau_user = make_user("bureau")
    bh = bearer(token_for(bureau_user))
    client.post(f"/api/v1/contracts/{c['id']}/return", json={"reason": "缺少附件"}, headers=bh)
    data = client.get("/api/v1/notifications", headers=h).get_json()
    assert data["total"] >= 1 and data["unread"] >= 1
    n = data["items"][0]
    assert client.post(f"/api/v1/notifications/{n['id']}/read", headers=h).get_json()["read_at"]
    is_problem(client.post(f"/api/v1/notifications/{n['id']}/read", headers=bh), 403)
    assert client.post("/api/v1/notifications/read-all", headers=h).status_code == 200
    assert client.get("/api/v1/notifications", headers=h).get_json()["unread"] == 0
