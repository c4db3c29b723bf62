"""The full role × route matrix, generated from the route table (issue 7): every page and API route has a policy in
route_policy.py; each is requested by every role against the demo market; no route answers 5xx; public pages are
public, bureau pages refuse everyone else, signed-in pages send visitors to the login page; every form post without
a CSRF token is refused; every HTML page carries the Content-Security-Policy."""
import pytest
from sqlalchemy import select
from werkzeug.routing.converters import AnyConverter

from app.demo import loader
from app.extensions import db
from config import BASE_DIR
from tests.conftest import csrf_token
from tests.security.route_policy import API, PAGES

ROLES = {"anonymous": None, "enterprise": "enterprise@demo.yjtm.cn", "university": "university@demo.yjtm.cn",
         "institute": "institute@demo.yjtm.cn", "agency": "agency@demo.yjtm.cn", "broker": "broker@demo.yjtm.cn",
         "bureau": "bureau@demo.yjtm.cn"}
SKIP = {"static", "bootstrap.static"}


def _rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint not in SKIP]


def _is_api(rule) -> bool:
    return rule.rule.startswith("/api/v1")


def test_every_route_has_a_policy_and_a_test(app):
    pages = {r.endpoint for r in _rules(app) if not _is_api(r)}
    api = {r.endpoint for r in _rules(app) if _is_api(r)}
    assert pages - set(PAGES) == set(), "new page routes need a policy in tests/security/route_policy.py"
    assert api - set(API) == set(), "new API routes need a policy in tests/security/route_policy.py"
    assert set(PAGES) - pages == set() and set(API) - api == set(), "the policy lists routes that no longer exist"
    for endpoint, (_, covered_by) in PAGES.items():
        assert (BASE_DIR / covered_by).exists(), f"{endpoint}: {covered_by} does not exist"


def _ids():
    """Real ids from the demo market for every URL argument."""
    from app.accounts.models import Organization, User
    from app.api.models import ApiToken
    from app.auctions.models import Auction
    from app.brokers.models import BrokerProfile
    from app.calls.models import ChallengeCall
    from app.contracts.models import Contract
    from app.deals.models import Deal
    from app.events.models import EventPair, MatchmakingEvent
    from app.inquiries.models import Inquiry
    from app.jobs.models import Job
    from app.listings.models import Achievement, Need, Patent
    from app.matches.models import Match
    from app.notifications.models import Notification

    def first(stmt):
        return db.session.scalar(stmt.limit(1))

    ent = first(select(User).where(User.email == ROLES["enterprise"]))
    uni = first(select(User).where(User.email == ROLES["university"]))
    broker = first(select(User).where(User.email == ROLES["broker"]))
    need = first(select(Need.id).where(Need.organization_id == ent.organization_id, Need.status == "approved"))
    ach = first(select(Achievement.id).where(Achievement.organization_id == uni.organization_id,
                                             Achievement.status == "approved"))
    event = first(select(MatchmakingEvent.id).order_by(MatchmakingEvent.id))
    return {
        "need": need, "achievement": ach, "achievement_id": ach,
        "auction_id": first(select(Auction.id)), "event_id": event,
        "pair_id": first(select(EventPair.id).where(EventPair.event_id == event)),
        "call_id": first(select(ChallengeCall.id)), "contract_id": first(select(Contract.id)),
        "deal_id": first(select(Deal.id)), "inquiry_id": first(select(Inquiry.id)),
        "profile_id": first(select(BrokerProfile.id)), "broker_id": broker.id,
        "org_id": first(select(Organization.id).where(Organization.verified_at.is_(None))),
        "match_id": first(select(Match.id)), "patent_id": first(select(Patent.id).join(Achievement).where(
            Achievement.organization_id == uni.organization_id)),
        "notification_id": first(select(Notification.id)), "job_id": first(select(Job.id).order_by(Job.id.desc())),
        "token_id": first(select(ApiToken.id)) or 999_999,
    }


def _url(rule, ids) -> str:
    values = {}
    for name in rule.arguments:
        conv = rule._converters.get(name)
        if isinstance(conv, AnyConverter):
            values[name] = sorted(conv.items)[0]
        elif name == "listing_id":
            values[name] = ids["need"] if rule.rule.startswith(("/needs", "/api/v1/needs")) else ids["achievement"]
        else:
            values[name] = ids.get(name) or 999_999
    return rule.build(values, append_unknown=False)[1]


@pytest.fixture
def market(app):
    loader.load()
    return _ids()


def _clients(app):
    clients = {}
    for role, email in ROLES.items():
        c = app.test_client()
        if email:
            resp = c.post("/login", data={"email": email, "password": loader.PASSWORD,
                                          "csrf_token": csrf_token(c, "/login")})
            assert resp.status_code == 302, role
        clients[role] = c
    return clients


def test_page_matrix(app, market):
    clients = _clients(app)
    tokens = {role: csrf_token(c, "/login" if role == "anonymous" else "/") for role, c in clients.items()}
    problems = []
    for rule in sorted((r for r in _rules(app) if not _is_api(r)), key=lambda r: r.rule):
        kind, _ = PAGES[rule.endpoint]
        url = _url(rule, market)
        for method in sorted(m for m in rule.methods if m in ("GET", "POST")):
            for role, client in clients.items():
                if method == "GET":
                    resp = client.get(url)
                else:
                    resp = client.post(url, data={"csrf_token": tokens[role]})
                status = resp.status_code
                where = f"{method} {url} [{rule.endpoint}] as {role}: {status}"
                if status >= 500:
                    problems.append(where + " — server error")
                    continue
                if resp.mimetype == "text/html" and "Content-Security-Policy" not in resp.headers:
                    problems.append(where + " — no CSP header")
                if kind == "public" and method == "GET" and status != 200:
                    problems.append(where + " — public page not public")
                if kind == "guest" and method == "GET" and role == "anonymous" and status != 200:
                    problems.append(where + " — sign-in page not reachable")
                if kind in ("login", "bureau") and role == "anonymous":
                    if not (status in (302, 401) and (status == 401 or "/login" in resp.headers.get("Location", ""))):
                        problems.append(where + " — anonymous visitor not sent to log in")
                if kind == "bureau" and role not in ("anonymous", "bureau") and status != 403:
                    problems.append(where + " — bureau route not refused")
                if kind == "bureau" and role == "bureau" and method == "GET" and status not in (200, 302, 404):
                    problems.append(where + " — bureau cannot open its own page")
    assert problems == [], "\n".join(problems)


def test_every_form_post_needs_a_csrf_token(app, market):
    clients = _clients(app)
    problems = []
    for rule in _rules(app):
        if _is_api(rule) or "POST" not in rule.methods:
            continue
        url = _url(rule, market)
        for role in ("bureau", "enterprise", "anonymous"):
            resp = clients[role].post(url, data={})
            if resp.status_code != 400:
                problems.append(f"POST {url} [{rule.endpoint}] as {role} without token: {resp.status_code}")
    assert problems == [], "\n".join(problems)


def test_api_matrix(app, market):
    from app.accounts.models import User
    from app.api import tokens as api_tokens
    bearer = {}
    for role, email in ROLES.items():
        if email:
            user = db.session.scalar(select(User).where(User.email == email))
            bearer[role] = api_tokens.create(user, "route matrix")[1]
    client = app.test_client()
    problems = []
    for rule in (r for r in _rules(app) if _is_api(r)):
        kind = API[rule.endpoint]
        url = _url(rule, market)
        for method in sorted(m for m in rule.methods if m in ("GET", "POST", "PUT", "PATCH")):
            for role in ("anonymous", *bearer):
                headers = {"Authorization": f"Bearer {bearer[role]}"} if role in bearer else {}
                resp = client.open(url, method=method, headers=headers, json={} if method != "GET" else None)
                status = resp.status_code
                where = f"{method} {url} [{rule.endpoint}] as {role}: {status}"
                if status >= 500:
                    problems.append(where + " — server error")
                if status >= 400 and resp.mimetype != "application/problem+json" and rule.endpoint != "api_docs.index":
                    problems.append(where + f" — error as {resp.mimetype}, not problem+json")
                if kind == "api_public" and method == "GET" and status != 200:
                    problems.append(where + " — public API not public")
                if kind in ("api_token", "api_bureau") and role == "anonymous" and status != 401:
                    problems.append(where + " — no token, not 401")
                if kind == "api_bureau" and role not in ("anonymous", "bureau") and status != 403:
                    problems.append(where + " — bureau API not refused")
    assert problems == [], "\n".join(problems)

