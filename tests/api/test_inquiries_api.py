"""Inquiries through /api/v1: the role × action matrix equals the pages' (each action is done through the page and
through the API on twin inquiries and the outcomes compared), the confidential part and contact details appear in
exactly the responses whose page shows them, bad input is 422 problem+json and saves nothing."""
import json

import pytest
from sqlalchemy import func, select

from app.deals.models import Deal
from app.extensions import db
from app.inquiries import services
from app.inquiries.models import Inquiry, InquiryMessage
from app.notifications.models import Notification
from tests.api.conftest import bearer, is_problem, token_for
from tests.conftest import csrf_token, login, make_listing, make_user
from tests.inquiries.test_confidential import EVERYONE, PERSON, PHONE, SECRET
from tests.inquiries.test_confidential import world as confidential_world  # noqa: F401  (fixture)
from tests.transaction_factories import make_broker, make_inquiry


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


ROLES = ["anonymous", "inquirer", "inquirer_colleague", "owner", "owner_colleague", "other_enterprise",
         "unverified_enterprise", "other_university", "broker", "uncertified_broker", "bureau", "admin"]
ACTIONS = ["view", "reply", "accept", "decline", "request_broker", "to_deal", "create"]


@pytest.fixture
def twins():
    """Two identical inquiry set-ups: one is acted on through the pages, the other through the API."""
    owner = make_user("university")
    inquirer = make_user("enterprise")
    users = {
        "inquirer": inquirer, "inquirer_colleague": make_user("enterprise", org=inquirer.organization),
        "owner": owner, "owner_colleague": make_user("university", org=owner.organization),
        "other_enterprise": make_user("enterprise"), "unverified_enterprise": make_user("enterprise", verified=False),
        "other_university": make_user("university"), "broker": make_broker(),
        "uncertified_broker": make_broker(certified=False), "bureau": make_user("bureau"), "admin": make_user("admin"),
    }
    return owner, inquirer, users


def _setup(owner, inquirer, action):
    ach = make_listing("achievement", owner, confidential="机密参数")
    fresh = make_listing("achievement", owner)  # for `create`: nobody has asked about it yet
    inq = make_inquiry(inquirer, ach, status="accepted" if action == "to_deal" else "open")
    return inq, fresh


def _effect(action, inq, fresh) -> bool:
    db.session.expire_all()
    inq = db.session.get(Inquiry, inq.id)
    return {
        "reply": lambda: _count(InquiryMessage, InquiryMessage.inquiry_id == inq.id) > 0,
        "accept": lambda: inq.status == "accepted",
        "decline": lambda: inq.status == "declined",
        "request_broker": lambda: inq.broker_requested_at is not None,
        "to_deal": lambda: _count(Deal, Deal.source == "inquiry", Deal.source_id == inq.id) > 0,
        "create": lambda: _count(Inquiry, Inquiry.achievement_id == fresh.id) > 0,
    }[action]()


def _page(client, action, inq, fresh):
    if action == "view":
        return client.get(f"/inquiries/{inq.id}")
    data = {"csrf_token": csrf_token(client, "/login")}
    if action == "create":
        return client.post(f"/achievements/{fresh.id}/inquire", data={**data, "message": "请问可否试用？"})
    if action == "reply":
        return client.post(f"/inquiries/{inq.id}/reply", data={**data, "body": "可以提供样品"})
    if action == "decline":
        return client.post(f"/inquiries/{inq.id}/decline", data={**data, "reason": "已独家许可"})
    return client.post(f"/inquiries/{inq.id}/{action.replace('_', '-')}", data=data)


def _api(client, action, inq, fresh, headers):
    if action == "view":
        return client.get(f"/api/v1/inquiries/{inq.id}", headers=headers)
    if action == "create":
        return client.post(f"/api/v1/achievements/{fresh.id}/inquiries", json={"message": "请问可否试用？"},
                           headers=headers)
    if action == "reply":
        return client.post(f"/api/v1/inquiries/{inq.id}/messages", json={"body": "可以提供样品"}, headers=headers)
    if action == "decline":
        return client.post(f"/api/v1/inquiries/{inq.id}/decline", json={"reason": "已独家许可"}, headers=headers)
    return client.post(f"/api/v1/inquiries/{inq.id}/{action.replace('_', '-')}", headers=headers)


def page_outcome(resp, action, inq, fresh) -> str:
    if resp.status_code == 302 and "/login" in resp.headers.get("Location", ""):
        return "login"
    if resp.status_code in (403, 404):
        return {403: "forbidden", 404: "hidden"}[resp.status_code]
    assert resp.status_code in (200, 302, 400), resp.status_code
    if action == "view":
        return "allowed"
    # the page redirects both after success and after a refusal it flashes: the record tells them apart
    return "allowed" if _effect(action, inq, fresh) else "refused"


def api_outcome(resp) -> str:
    if 200 <= resp.status_code < 300:
        return "allowed"
    assert resp.mimetype == "application/problem+json"
    return {401: "login", 403: "forbidden", 404: "hidden", 409: "refused", 422: "refused"}[resp.status_code]


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", ROLES)
def test_api_matrix_equals_pages(app, twins, role, action):
    owner, inquirer, users = twins
    page_inq, page_fresh = _setup(owner, inquirer, action)
    api_inq, api_fresh = _setup(owner, inquirer, action)
    user = users.get(role)

    page_client = app.test_client()
    if user is not None:
        login(page_client, user)
    expected = page_outcome(_page(page_client, action, page_inq, page_fresh), action, page_inq, page_fresh)

    headers = bearer(token_for(user)) if user is not None else {}
    resp = _api(app.test_client(), action, api_inq, api_fresh, headers)
    assert api_outcome(resp) == expected, (role, action, resp.status_code, resp.get_data(as_text=True)[:300])
    if action != "view":
        assert _effect(action, api_inq, api_fresh) is (expected == "allowed")


def test_the_matrix_holds_what_the_inquiry_pages_promise(app, twins):
    """A few fixed points, so the two channels cannot be wrong together."""
    owner, inquirer, users = twins
    inq, fresh = _setup(owner, inquirer, "accept")
    c = app.test_client()
    for who, status in [("inquirer", 403), ("other_enterprise", 404), ("broker", 404), ("owner_colleague", 200)]:
        assert c.post(f"/api/v1/inquiries/{inq.id}/accept", headers=bearer(token_for(users[who]))).status_code == status
    assert c.post(f"/api/v1/inquiries/{inq.id}/accept").status_code == 401
    for who in ("unverified_enterprise", "other_university", "broker", "bureau"):
        resp = c.post(f"/api/v1/achievements/{fresh.id}/inquiries", json={"message": "请问价格"},
                      headers=bearer(token_for(users[who])))
        is_problem(resp, 403)
    assert _count(Inquiry, Inquiry.achievement_id == fresh.id) == 0


def test_an_enterprise_asks_the_owner_answers_and_it_becomes_a_deal(client):
    owner = make_user("university")
    colleague = make_user("university", org=owner.organization)
    ach = make_listing("achievement", owner, price_yuan=1_200_000)
    ent = make_user("enterprise")
    e, o = bearer(token_for(ent)), bearer(token_for(colleague))
    resp = client.post(f"/api/v1/achievements/{ach.id}/inquiries", headers=e,
                       json={"message": "我司想在DN100球阀上试用，请问授权费用？", "offered_price_yuan": "355000.00"})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    body = resp.get_json()
    assert (body["status"], body["offered_price_yuan"], body["achievement"]["price_yuan"]) == (
        "open", "355000.00", "1200000.00")
    assert body["contacts"] is None and body["confidential"] is None
    assert body["actions"] == {"reply": True, "accept": False, "decline": False, "request_broker": True,
                               "to_deal": False}
    iid = body["id"]
    assert _count(Notification, Notification.user_id == owner.id, Notification.kind == "inquiry_new") == 1
    # asking again: the open inquiry is named
    again = is_problem(client.post(f"/api/v1/achievements/{ach.id}/inquiries", headers=e, json={"message": "再问"}),
                       409)
    assert str(iid) in again["detail"]

    reply = client.post(f"/api/v1/inquiries/{iid}/messages", headers=o, json={"body": "可以提供样品"})
    assert reply.status_code == 201 and reply.get_json()["organization"] == owner.organization.name
    assert client.get(f"/api/v1/inquiries/{iid}", headers=o).get_json()["actions"]["accept"] is True
    accepted = client.post(f"/api/v1/inquiries/{iid}/accept", headers=o).get_json()
    assert accepted["status"] == "accepted" and accepted["decided_at"]
    seen = client.get(f"/api/v1/inquiries/{iid}", headers=e).get_json()
    assert [m["body"] for m in seen["messages"]] == ["可以提供样品"]
    assert {c["organization"] for c in seen["contacts"]} == {owner.organization.name, ent.organization.name}
    assert seen["actions"]["to_deal"] is True
    is_problem(client.post(f"/api/v1/inquiries/{iid}/decline", headers=o, json={}), 409)  # already accepted

    mine = client.get("/api/v1/inquiries?box=sent", headers=e).get_json()
    assert [i["id"] for i in mine["items"]] == [iid] and mine["total"] == 1
    assert client.get("/api/v1/inquiries?box=sent", headers=o).get_json()["total"] == 0
    assert client.get("/api/v1/inquiries?box=received&status=accepted", headers=o).get_json()["total"] == 1

    deal = client.post(f"/api/v1/inquiries/{iid}/to-deal", headers=e)
    assert deal.status_code == 201, deal.get_data(as_text=True)
    d = deal.get_json()
    assert (d["source"], d["source_id"], d["stage"], d["buyer"]["id"], d["seller"]["id"]) == (
        "inquiry", iid, "intent", ent.organization_id, owner.organization_id)
    assert d["contacts"] is None  # a party does not see contacts on the deal, as on the deal page
    assert client.get(f"/api/v1/inquiries/{iid}", headers=e).get_json()["deal"]["id"] == d["id"]
    is_problem(client.post(f"/api/v1/inquiries/{iid}/to-deal", headers=o), 409)


def test_broker_request_and_decline(client):
    owner = make_user("university")
    inq = make_inquiry(make_user("enterprise"), make_listing("achievement", owner))
    bureau = make_user("bureau")
    o = bearer(token_for(owner))
    resp = client.post(f"/api/v1/inquiries/{inq.id}/request-broker", headers=o)
    assert resp.status_code == 200 and resp.get_json()["broker_requested_at"]
    assert _count(Notification, Notification.kind == "broker_requested", Notification.user_id == bureau.id) == 1
    is_problem(client.post(f"/api/v1/inquiries/{inq.id}/request-broker", headers=o), 409)
    listed = client.get("/api/v1/inquiries?broker_requested=true", headers=bearer(token_for(bureau))).get_json()
    assert [i["id"] for i in listed["items"]] == [inq.id]
    declined = client.post(f"/api/v1/inquiries/{inq.id}/decline", headers=o, json={"reason": "已独家许可"}).get_json()
    assert (declined["status"], declined["decline_reason"]) == ("declined", "已独家许可")
    assert declined["actions"]["reply"] is False
    is_problem(client.post(f"/api/v1/inquiries/{inq.id}/messages", headers=o, json={"body": "再考虑？"}), 409)


def test_a_broker_who_converts_follows_the_deal_and_reads_the_thread(client):
    inq = make_inquiry(status="accepted")
    broker = make_broker()
    b = bearer(token_for(broker))
    # as the page: an inquiry a broker does not follow is not theirs to see, so not theirs to convert
    is_problem(client.post(f"/api/v1/inquiries/{inq.id}/to-deal", headers=b), 404)
    deal = services.to_deal(broker, inq)  # the bureau's desk or a task hands it over (tests/inquiries does the same)
    assert deal.broker_id == broker.id
    thread = client.get(f"/api/v1/inquiries/{inq.id}", headers=b).get_json()
    assert thread["deal"]["id"] == deal.id
    assert thread["contacts"] is None and thread["confidential"] is None  # as the page: not for the deal's broker
    d = client.get(f"/api/v1/deals/{deal.id}", headers=b).get_json()
    assert d["broker"]["id"] == broker.id and d["actions"]["manage"] is True


@pytest.mark.parametrize(("body", "field"), [
    ({"message": ""}, "message"),
    ({"message": "   "}, "message"),
    ({}, "message"),
    ({"message": "长" * 2001}, "message"),
    ({"message": "请问价格\x00"}, "message"),
    ({"message": 5}, "message"),
    ({"message": "请问价格", "offered_price_yuan": "-5"}, "offered_price_yuan"),
    ({"message": "请问价格", "offered_price_yuan": "十万"}, "offered_price_yuan"),
    ({"message": "请问价格", "offered_price_yuan": 100000}, "offered_price_yuan"),
    ({"message": "请问价格", "offered_price_yuan": "10000000001.00"}, "offered_price_yuan"),
    ({"message": "请问价格", "offered_price_yuan": "12.50"}, "offered_price_yuan"),
    ({"message": "请问价格", "status": "accepted"}, "status"),
])
def test_bad_input_is_422_in_chinese_and_nothing_saved(client, body, field):
    ach = make_listing("achievement")
    resp = client.post(f"/api/v1/achievements/{ach.id}/inquiries", json=body,
                       headers=bearer(token_for(make_user("enterprise"))))
    problem = is_problem(resp, 422)
    assert field in problem["errors"], problem
    assert _count(Inquiry) == 0 and _count(Notification) == 0


@pytest.mark.parametrize(("path", "body"), [
    ("messages", {"body": ""}), ("messages", {"body": "  "}), ("messages", {"body": "长" * 2001}), ("messages", {}),
    ("decline", {"reason": "长" * 1001}), ("decline", {"reason": 1}),
])
def test_bad_thread_input_is_422_and_changes_nothing(client, path, body):
    owner = make_user("university")
    inq = make_inquiry(make_user("enterprise"), make_listing("achievement", owner))
    is_problem(client.post(f"/api/v1/inquiries/{inq.id}/{path}", json=body, headers=bearer(token_for(owner))), 422)
    db.session.expire_all()
    assert _count(InquiryMessage) == 0 and db.session.get(Inquiry, inq.id).status == "open"


def test_no_inquiry_about_an_unpublished_achievement(client):
    pending = make_listing("achievement", status="pending")
    is_problem(client.post(f"/api/v1/achievements/{pending.id}/inquiries", json={"message": "请问价格"},
                           headers=bearer(token_for(make_user("enterprise")))), 404)
    is_problem(client.post("/api/v1/achievements/999999/inquiries", json={"message": "请问价格"},
                           headers=bearer(token_for(make_user("enterprise")))), 404)
    assert _count(Inquiry) == 0


def test_the_list_pages_in_a_stable_order(client):
    owner = make_user("university")
    ent = make_user("enterprise")
    ids = [make_inquiry(ent, make_listing("achievement", owner)).id for _ in range(5)]
    h = bearer(token_for(owner))
    seen = []
    for page in (1, 2, 3):
        body = client.get(f"/api/v1/inquiries?per_page=2&page={page}", headers=h).get_json()
        assert (body["total"], body["pages"]) == (5, 3)
        seen += [i["id"] for i in body["items"]]
    assert sorted(seen) == sorted(ids) and len(set(seen)) == 5
    assert seen == [i["id"] for i in client.get("/api/v1/inquiries?per_page=100", headers=h).get_json()["items"]]
    is_problem(client.get("/api/v1/inquiries?box=all", headers=h), 422)
    is_problem(client.get("/api/v1/inquiries?status=won", headers=h), 422)


# --- the confidential part and contact details: exactly where the pages show them ---

def _leaks(text: str) -> set:
    return {name for name, s in (("secret", SECRET), ("phone", PHONE), ("person", PERSON)) if s in text}


@pytest.mark.parametrize("who", [w for w in EVERYONE if w != "anonymous"])
def test_confidential_and_contacts_as_on_the_pages(app, confidential_world, who):  # noqa: F811
    user = confidential_world["users"][who]
    page = app.test_client()
    login(page, user)
    api = app.test_client()
    h = bearer(token_for(user))
    inquiry_ids = list(db.session.scalars(select(Inquiry.id)))
    deal_ids = list(db.session.scalars(select(Deal.id)))
    for iid in inquiry_ids:
        html = page.get(f"/inquiries/{iid}")
        resp = api.get(f"/api/v1/inquiries/{iid}", headers=h)
        assert (resp.status_code == 200) is (html.status_code == 200), (who, iid)
        text = json.dumps(resp.get_json(), ensure_ascii=False)
        # the page may show the owner's phone on the owner's own listing elsewhere; on the thread both agree
        assert _leaks(text) == _leaks(html.get_data(as_text=True)), (who, iid)
    for did in deal_ids:
        html = page.get(f"/deals/{did}")
        resp = api.get(f"/api/v1/deals/{did}", headers=h)
        assert (resp.status_code == 200) is (html.status_code == 200), (who, did)
        assert _leaks(json.dumps(resp.get_json(), ensure_ascii=False)) == _leaks(html.get_data(as_text=True)), (who, did)
    for url in ("/api/v1/inquiries", "/api/v1/deals", "/api/v1/deals?scope=claimable"):
        # the lists carry neither, for anyone: they are in the detail of a thread or deal only
        assert _leaks(json.dumps(api.get(url, headers=h).get_json(), ensure_ascii=False)) == set(), (who, url)


def test_contacts_and_confidential_appear_on_acceptance(client):
    owner = make_user("university")
    owner.organization.contact_phone = PHONE
    ach = make_listing("achievement", owner, confidential=SECRET)
    ent = make_user("enterprise")
    inq = make_inquiry(ent, ach)
    e = bearer(token_for(ent))
    before = json.dumps(client.get(f"/api/v1/inquiries/{inq.id}", headers=e).get_json(), ensure_ascii=False)
    assert SECRET not in before and PHONE not in before
    client.post(f"/api/v1/inquiries/{inq.id}/accept", headers=bearer(token_for(owner)))
    after = client.get(f"/api/v1/inquiries/{inq.id}", headers=e).get_json()
    assert after["confidential"] == SECRET and PHONE in json.dumps(after["contacts"], ensure_ascii=False)
    assert _count(Deal) == 0
