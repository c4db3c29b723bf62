"""Deals through /api/v1: the role × action matrix equals the pages' (tests/deals/test_transitions.py: each action is
done through the page and through the API on twin deals and the outcomes compared), every stage move as the
service allows it, the compare-and-set refusal as 409 problem+json, filters and stable paging, bad input 422 with
nothing saved."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.deals import services
from app.deals.models import DEAL_STAGES, Deal, DealEvent
from app.extensions import db
from tests.api.conftest import bearer, is_problem, token_for
from tests.conftest import csrf_token, login, make_listing, make_org, make_user
from tests.deals.test_transitions import ALLOWED
from tests.transaction_factories import make_broker, make_deal

STAGES = [s for s, _ in DEAL_STAGES]
ROLES = ["anonymous", "bureau", "admin", "assigned_broker", "other_broker", "uncertified_broker", "buyer", "seller",
         "unrelated_enterprise"]
ACTIONS = ["view", "advance", "terminate", "note", "follow_up", "assign", "claim"]


def _events(deal_id) -> int:
    return db.session.scalar(select(func.count()).select_from(DealEvent).where(DealEvent.deal_id == deal_id))


@pytest.fixture
def cast():
    broker = make_broker()
    buyer_org, seller_org = make_org("enterprise"), make_org("university")
    people = {
        "bureau": make_user("bureau"), "admin": make_user("admin"), "assigned_broker": broker,
        "other_broker": make_broker(), "uncertified_broker": make_broker(certified=False),
        "buyer": make_user("enterprise", org=buyer_org), "seller": make_user("university", org=seller_org),
        "unrelated_enterprise": make_user("enterprise"),
    }
    return people, buyer_org, seller_org, make_broker()


def _twin(people, buyer_org, seller_org, action):
    ach = make_listing("achievement", people["seller"])
    broker = None if action == "claim" else people["assigned_broker"]
    return make_deal("intent", broker=broker, buyer=buyer_org, seller=seller_org, achievement=ach)


def _state(deal_id):
    db.session.expire_all()
    d = db.session.get(Deal, deal_id)
    return d.stage, d.broker_id, d.next_follow_up, _events(deal_id)


def _page(client, action, deal, assignee):
    if action == "view":
        return client.get(f"/deals/{deal.id}")
    data = {"csrf_token": csrf_token(client, "/login")}
    body = {"advance": {"to_stage": "negotiating", "note": "推进"},
            "terminate": {"to_stage": "terminated", "reason": "买方预算取消"},
            "note": {"note": "已电话沟通"},
            "follow_up": {"next_follow_up": (services.local_today() + timedelta(days=7)).isoformat()},
            "assign": {"broker_id": str(assignee.id)}, "claim": {}}[action]
    path = {"terminate": "advance", "follow_up": "follow-up"}.get(action, action)
    return client.post(f"/deals/{deal.id}/{path}", data={**data, **body})


def _api(client, action, deal, assignee, headers):
    if action == "view":
        return client.get(f"/api/v1/deals/{deal.id}", headers=headers)
    body = {"advance": {"to_stage": "negotiating", "note": "推进"}, "terminate": {"reason": "买方预算取消"},
            "note": {"note": "已电话沟通"},
            "follow_up": {"next_follow_up": (services.local_today() + timedelta(days=7)).isoformat()},
            "assign": {"broker_id": assignee.id}, "claim": None}[action]
    path = {"note": "notes", "follow_up": "follow-up"}.get(action, action)
    return client.post(f"/api/v1/deals/{deal.id}/{path}", json=body, headers=headers)


def page_outcome(resp, before, after) -> str:
    if resp.status_code == 302 and "/login" in resp.headers.get("Location", ""):
        return "login"
    if resp.status_code in (403, 404):
        return {403: "forbidden", 404: "hidden"}[resp.status_code]
    assert resp.status_code in (200, 302), resp.status_code
    return "allowed" if before != after or resp.request.method == "GET" else "refused"


def api_outcome(resp) -> str:
    if 200 <= resp.status_code < 300:
        return "allowed"
    assert resp.mimetype == "application/problem+json"
    return {401: "login", 403: "forbidden", 404: "hidden", 409: "refused", 422: "refused"}[resp.status_code]


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", ROLES)
def test_api_matrix_equals_pages(app, cast, role, action):
    people, buyer_org, seller_org, assignee = cast
    page_deal = _twin(people, buyer_org, seller_org, action)
    api_deal = _twin(people, buyer_org, seller_org, action)
    user = people.get(role)

    page_client = app.test_client()
    if user is not None:
        login(page_client, user)
    before = _state(page_deal.id)
    expected = page_outcome(_page(page_client, action, page_deal, assignee), before, _state(page_deal.id))

    before = _state(api_deal.id)
    resp = _api(app.test_client(), action, api_deal, assignee, bearer(token_for(user)) if user else {})
    got = api_outcome(resp)
    if action == "assign" and expected == "hidden":
        # bureau-only: the API refuses by role before it looks the deal up (as listing reject), so a deal one
        # cannot see is 403, not 404 — neither tells whether the deal exists
        expected = "forbidden"
    assert got == expected, (role, action, resp.status_code, resp.get_data(as_text=True)[:300])
    if action != "view":
        assert (_state(api_deal.id) != before) is (got == "allowed")


@pytest.mark.parametrize("from_stage", STAGES)
@pytest.mark.parametrize("to_stage", STAGES)
def test_every_transition_as_the_service_allows_it(client, from_stage, to_stage):
    broker = make_broker()
    deal = make_deal(from_stage, broker=broker)
    before = _events(deal.id)
    body = {"to_stage": to_stage, "note": "推进", "reason": "对方放弃" if to_stage == "terminated" else ""}
    resp = client.post(f"/api/v1/deals/{deal.id}/advance", json=body, headers=bearer(token_for(broker)))
    db.session.expire_all()
    if (from_stage, to_stage) in ALLOWED:
        assert resp.status_code == 200, resp.get_data(as_text=True)
        out = resp.get_json()
        assert out["stage"] == to_stage and out["events"][-1]["to_stage"] == to_stage
        assert out["events"][-1]["actor"]["id"] == broker.id
        assert db.session.get(Deal, deal.id).stage == to_stage
    else:
        is_problem(resp, 409)
        assert db.session.get(Deal, deal.id).stage == from_stage and _events(deal.id) == before


def test_detail_has_the_log_and_what_the_caller_may_do(client):
    broker = make_broker()
    deal = make_deal("negotiating", broker=broker)
    h = bearer(token_for(broker))
    client.post(f"/api/v1/deals/{deal.id}/notes", json={"note": "已电话沟通，约定下周面谈"}, headers=h)
    d = client.get(f"/api/v1/deals/{deal.id}", headers=h).get_json()
    assert [e["kind"] for e in d["events"]] == ["open", "assign", "note"]
    assert d["events"][-1]["note"] == "已电话沟通，约定下周面谈"
    assert d["actions"] == {"manage": True, "stages": ["signed", "terminated"], "claim": False, "assign": False}
    assert d["contacts"] is None  # the deal page shows the parties' contacts to the bureau only
    bureau = client.get(f"/api/v1/deals/{deal.id}", headers=bearer(token_for(make_user("bureau")))).get_json()
    assert [c["organization"] for c in bureau["contacts"]] == [deal.buyer_org.name, deal.seller_org.name]
    assert bureau["actions"]["assign"] is True
    buyer = make_user("enterprise", org=deal.buyer_org)
    as_buyer = client.get(f"/api/v1/deals/{deal.id}", headers=bearer(token_for(buyer))).get_json()
    assert as_buyer["actions"] == {"manage": False, "stages": [], "claim": False, "assign": False}


def test_a_change_someone_made_first_is_409_and_nothing_is_logged(client, monkeypatch):
    """The service compares and sets: the caller read the deal at 意向, someone moved it before the UPDATE."""
    broker = make_broker()
    deal = make_deal("intent", broker=broker)
    before = _events(deal.id)
    real = services.get_deal

    def read_then_someone_else_moves_it(deal_id):
        d = real(deal_id)
        assert d.stage == "intent"
        db.session.execute(update(Deal).where(Deal.id == deal_id).values(stage="negotiating")
                           .execution_options(synchronize_session=False))
        return d

    monkeypatch.setattr(services, "get_deal", read_then_someone_else_moves_it)
    resp = client.post(f"/api/v1/deals/{deal.id}/advance", json={"to_stage": "negotiating"},
                       headers=bearer(token_for(broker)))
    problem = is_problem(resp, 409)
    assert problem["detail"] == services.STALE
    monkeypatch.undo()
    db.session.expire_all()
    assert db.session.get(Deal, deal.id).stage == "intent" and _events(deal.id) == before


def test_a_second_claim_loses_with_409(client):
    deal = make_deal("intent")
    first, second = make_broker(), make_broker()
    assert client.post(f"/api/v1/deals/{deal.id}/claim", headers=bearer(token_for(first))).status_code == 200
    # the second broker can no longer see an assigned deal that is not theirs: as the page, 404
    is_problem(client.post(f"/api/v1/deals/{deal.id}/claim", headers=bearer(token_for(second))), 404)
    db.session.expire_all()
    assert db.session.get(Deal, deal.id).broker_id == first.id


def test_bureau_assigns_certified_brokers_only(client):
    deal = make_deal("intent")
    h = bearer(token_for(make_user("bureau")))
    for broker_id in (make_broker(certified=False).id, make_user("enterprise").id, 999_999):
        problem = is_problem(client.post(f"/api/v1/deals/{deal.id}/assign", json={"broker_id": broker_id},
                                         headers=h), 422)
        assert "broker_id" in problem["errors"]
    broker = make_broker()
    out = client.post(f"/api/v1/deals/{deal.id}/assign", json={"broker_id": broker.id}, headers=h).get_json()
    assert out["broker"]["id"] == broker.id and out["events"][-1]["kind"] == "assign"
    is_problem(client.post(f"/api/v1/deals/{deal.id}/assign", json={"broker_id": broker.id}, headers=h), 409)


@pytest.mark.parametrize(("path", "body", "field"), [
    ("advance", {"to_stage": "won"}, "to_stage"),
    ("advance", {}, "to_stage"),
    ("advance", {"to_stage": "terminated"}, "reason"),
    ("advance", {"to_stage": "terminated", "reason": "   "}, "reason"),
    ("advance", {"to_stage": "negotiating", "note": "长" * 2001}, "note"),
    ("advance", {"to_stage": "negotiating", "extra": 1}, "extra"),
    ("terminate", {}, "reason"),
    ("terminate", {"reason": ""}, "reason"),
    ("terminate", {"reason": "长" * 1001}, "reason"),
    ("terminate", {"reason": "原因\x07"}, "reason"),
    ("notes", {"note": ""}, "note"),
    ("notes", {"note": "  "}, "note"),
    ("notes", {}, "note"),
    ("follow-up", {}, "next_follow_up"),
    ("follow-up", {"next_follow_up": "2026-13-01"}, "next_follow_up"),
    ("follow-up", {"next_follow_up": "2020-01-01"}, "next_follow_up"),
    ("follow-up", {"next_follow_up": "2099-01-01"}, "next_follow_up"),
    ("follow-up", {"next_follow_up": "明天"}, "next_follow_up"),
])
def test_bad_input_is_422_in_chinese_and_nothing_saved(client, path, body, field):
    broker = make_broker()
    deal = make_deal("negotiating", broker=broker)
    before = _state(deal.id)
    problem = is_problem(client.post(f"/api/v1/deals/{deal.id}/{path}", json=body, headers=bearer(token_for(broker))),
                         422)
    assert field in problem["errors"], problem
    assert _state(deal.id) == before


def test_follow_up_sets_the_date_and_overdue_shows(client):
    broker = make_broker()
    h = bearer(token_for(broker))
    deal = make_deal("intent", broker=broker)
    when = services.local_today() + timedelta(days=3)
    out = client.post(f"/api/v1/deals/{deal.id}/follow-up", json={"next_follow_up": when.isoformat(), "note": "面谈"},
                      headers=h).get_json()
    assert out["next_follow_up"] == when.isoformat() and out["overdue"] is False
    late = make_deal("negotiating", broker=broker, next_follow_up=services.local_today() - timedelta(days=2))
    listed = client.get("/api/v1/deals?overdue=true", headers=h).get_json()
    assert [d["id"] for d in listed["items"]] == [late.id] and listed["items"][0]["overdue"] is True


def test_lists_by_role_with_filters_and_stable_pages(client):
    broker = make_broker()
    mine = [make_deal("intent", broker=broker) for _ in range(3)]
    signed = make_deal("signed", broker=broker)
    unassigned = make_deal("intent")
    others = make_deal("intent", broker=make_broker())
    b = bearer(token_for(broker))
    ids = [d["id"] for d in client.get("/api/v1/deals", headers=b).get_json()["items"]]
    assert set(ids) == {d.id for d in [*mine, signed]}
    assert [d["id"] for d in client.get("/api/v1/deals?stage=signed", headers=b).get_json()["items"]] == [signed.id]
    claimable = client.get("/api/v1/deals?scope=claimable", headers=b).get_json()["items"]
    assert unassigned.id in {d["id"] for d in claimable} and others.id not in {d["id"] for d in claimable}
    paged = []
    for page in (1, 2):
        body = client.get(f"/api/v1/deals?per_page=2&page={page}", headers=b).get_json()
        assert (body["total"], body["pages"]) == (4, 2)
        paged += [d["id"] for d in body["items"]]
    assert paged == ids
    bureau = bearer(token_for(make_user("bureau")))
    assert {d["id"] for d in client.get(f"/api/v1/deals?broker_id={broker.id}&per_page=100",
                                        headers=bureau).get_json()["items"]} == {d.id for d in [*mine, signed]}
    assert unassigned.id in {d["id"] for d in client.get("/api/v1/deals?broker_id=0&per_page=100",
                                                         headers=bureau).get_json()["items"]}
    buyer = make_user("enterprise", org=others.buyer_org)
    assert [d["id"] for d in client.get("/api/v1/deals", headers=bearer(token_for(buyer))).get_json()["items"]] == [
        others.id]
    for bad in ("stage=won", "scope=all", "broker_id=-1", "overdue=maybe", "per_page=101"):
        is_problem(client.get(f"/api/v1/deals?{bad}", headers=b), 422)
    is_problem(client.get("/api/v1/deals"), 401)
