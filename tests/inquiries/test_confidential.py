"""The confidential part of an achievement and its owner's contact details appear only for the owner, the bureau
and an enterprise whose inquiry the owner accepted — never on any other page, for anyone else."""
import pytest

from app.accounts import permissions as perm
from app.extensions import db
from app.inquiries import services
from tests.conftest import csrf_token, login, make_listing, make_org, make_user
from tests.transaction_factories import make_broker, make_deal, make_inquiry

SECRET = "熔覆层厚度0.8mm-机密ZX91"
PHONE = "0577-66998877"
PERSON = "联系人蒋保密"


@pytest.fixture
def world():
    owner_org = make_org("university", contact_person=PERSON, contact_phone=PHONE)
    owner = make_user("university", org=owner_org)
    ach = make_listing("achievement", owner, confidential=SECRET, title="金属硬密封球阀密封副优化技术",
                       keywords="硬密封、球阀")
    sibling = make_listing("achievement", owner, confidential=SECRET + "二", title="阀座激光熔覆工艺")
    accepted = make_user("enterprise")
    make_inquiry(accepted, ach, status="accepted")
    open_ = make_user("enterprise")
    open_inq = make_inquiry(open_, ach, status="open")
    declined = make_user("enterprise")
    make_inquiry(declined, ach, status="declined")
    sibling_only = make_user("enterprise")  # accepted inquiry about another achievement of the same owner
    make_inquiry(sibling_only, sibling, status="accepted")
    colleague_of_accepted = make_user("enterprise", org=accepted.organization)
    broker = make_broker()
    make_deal("negotiating", broker=broker, seller=owner_org, achievement=ach, buyer=open_.organization)
    return {"ach": ach, "sibling": sibling, "open_inq": open_inq, "users": {
        "owner": owner, "bureau": make_user("bureau"), "accepted": accepted,
        "colleague_of_accepted": colleague_of_accepted, "open": open_, "declined": declined,
        "sibling_only": sibling_only, "other_enterprise": make_user("enterprise"), "other_university": make_user("university"),
        "broker": broker, "agency": make_user("service_agency"), "admin": make_user("admin"),
    }}


ALLOWED = {"owner", "bureau", "admin", "accepted", "colleague_of_accepted"}
EVERYONE = ["anonymous", "owner", "bureau", "admin", "accepted", "colleague_of_accepted", "open", "declined",
            "sibling_only", "other_enterprise", "other_university", "broker", "agency"]


def _pages(world, client):
    a = world["ach"]
    urls = ["/", "/achievements", "/achievements?q=球阀", f"/achievements?q={a.keywords}", "/needs",
            f"/achievements/{a.id}", f"/achievements/{world['sibling'].id}"]
    if client is not None:
        urls += ["/my/listings", "/my/inquiries", "/deals", "/deals?scope=claimable", "/notifications",
                 "/broker/profile", f"/inquiries/{world['open_inq'].id}"]
        urls += [r.rule.replace("<int:deal_id>", "1") for r in client.application.url_map.iter_rules()
                 if r.rule.startswith("/deals/<int:deal_id>") and "GET" in r.methods]
    return urls


@pytest.mark.parametrize("who", EVERYONE)
def test_confidential_and_contacts_only_for_the_allowed(client, world, who):
    user = world["users"].get(who)
    if user is not None:
        login(client, user)
    ach = world["ach"]
    assert perm.can_see_confidential(user, ach) is (who in ALLOWED)
    detail = client.get(f"/achievements/{ach.id}").get_data(as_text=True)
    if who in ALLOWED:
        assert SECRET in detail
        if who != "owner":
            assert PHONE in detail
    if who in ("owner", "bureau", "admin"):
        return  # may see both anywhere
    for url in _pages(world, client):
        resp = client.get(url)
        html = resp.get_data(as_text=True)
        if url == f"/achievements/{ach.id}" and who in ALLOWED:
            continue
        if url == f"/achievements/{world['sibling'].id}" and who == "sibling_only":
            continue
        assert SECRET not in html, (who, url)
        assert PHONE not in html and PERSON not in html, (who, url)


def _api_urls(client, world):
    a = world["ach"]
    rules = [r.rule for r in client.application.url_map.iter_rules() if r.rule.startswith("/api/")
             and "achievements" in r.rule and "GET" in r.methods]
    return [r.replace("<int:listing_id>", str(a.id)) for r in rules if r.count("<") <= 1 and
            (r.endswith("achievements") or r.endswith("<int:listing_id>"))]


@pytest.mark.parametrize("who", ["anonymous", "open", "other_enterprise", "broker"])
def test_api_never_returns_the_confidential_part(client, world, who):
    urls = _api_urls(client, world)
    if not urls:
        pytest.skip("no achievements API")
    user = world["users"].get(who)
    headers = {}
    if user is not None:
        login(client, user)
    for url in urls:
        resp = client.get(url, headers=headers)
        assert resp.status_code < 500, url
        html = resp.get_data(as_text=True)
        assert SECRET not in html and PHONE not in html, (who, url)


def test_open_inquiry_thread_shows_neither_until_accepted(client, world):
    inq = world["open_inq"]
    login(client, world["users"]["open"])
    html = client.get(f"/inquiries/{inq.id}").get_data(as_text=True)
    assert SECRET not in html and PHONE not in html
    client.post("/logout", data={"csrf_token": csrf_token(client, "/login")})
    login(client, world["users"]["owner"])
    client.post(f"/inquiries/{inq.id}/accept", data={"csrf_token": csrf_token(client, "/login")})
    client.post("/logout", data={"csrf_token": csrf_token(client, "/login")})
    login(client, world["users"]["open"])
    html = client.get(f"/inquiries/{inq.id}").get_data(as_text=True)
    assert SECRET in html and PHONE in html and PERSON in html
    assert SECRET in client.get(f"/achievements/{world['ach'].id}").get_data(as_text=True)


def test_the_deal_broker_sees_no_confidential_part(client, world):
    login(client, world["users"]["broker"])
    deal_pages = [f"/deals/{d}" for d in range(1, 50)]
    for url in deal_pages:
        html = client.get(url).get_data(as_text=True)
        assert SECRET not in html and PHONE not in html


def test_predicate_for_needs_and_strangers():
    need = make_listing("need")
    assert not perm.can_see_confidential(make_user("enterprise"), need)
    assert not perm.can_see_confidential(None, make_listing("achievement"))
    assert services.has_accepted_inquiry(None, 1) is False
    db.session.flush()
