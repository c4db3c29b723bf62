"""Stored and reflected XSS: every free-text column of every table is given a script payload, then every page is
opened by every role; no page may carry the payload unescaped. Query strings are tried on every page as well."""
import sqlalchemy as sa
from sqlalchemy import select

from app.demo import loader
from app.extensions import db
from tests.security.test_route_matrix import _clients, _ids, _is_api, _rules, _url

PAYLOAD = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
RAW = ("<script>alert(1)</script>", "<img src=x onerror=alert(2)>")
# identifiers, secrets and machine values that no form lets a person type freely
NOT_FREE_TEXT = {"email", "password_hash", "credit_code", "registration_number", "result_path", "params",
                 "token_hash", "prefix", "number", "certificate_no", "url", "ip", "subject", "search_text",
                 "online_link", "buyer_credit_code", "seller_credit_code", "to_address"}


def _poison() -> int:
    n = 0
    for table in db.metadata.sorted_tables:
        for col in table.columns:
            if col.name in NOT_FREE_TEXT or col.foreign_keys or col.primary_key:
                continue
            if isinstance(col.type, sa.Text) and not isinstance(col.type, sa.JSON):
                limit = None
            elif isinstance(col.type, sa.String) and (col.type.length or 0) >= 60:
                limit = col.type.length
            else:
                continue
            keep = sa.func.substr(col, 1, limit - len(PAYLOAD)) if limit else col
            db.session.execute(table.update().where(col.is_not(None)).values({col.name: keep + PAYLOAD}))
            n += 1
    db.session.flush()
    return n


def test_stored_payload_is_never_rendered_raw(app):
    loader.load()
    ids = _ids()
    assert _poison() > 40  # titles, descriptions, names, notes, messages, reasons … across the domains
    from app.listings.models import Need
    assert PAYLOAD in db.session.scalar(select(Need.title).where(Need.id == ids["need"]))
    clients = _clients(app)
    # the payload does reach the pages — escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in clients["anonymous"].get(f"/needs/{ids['need']}").get_data(True)
    problems = []
    for rule in _rules(app):
        if "GET" not in rule.methods:
            continue
        url = _url(rule, ids)
        for role, client in clients.items():
            resp = client.get(url)
            if resp.status_code >= 500:
                problems.append(f"GET {url} as {role}: {resp.status_code}")
            body = resp.get_data(as_text=True) if resp.mimetype in ("text/html", "text/plain") else ""
            if any(r in body for r in RAW):
                problems.append(f"GET {url} [{rule.endpoint}] as {role}: payload rendered raw")
    assert problems == [], "\n".join(problems)


def test_reflected_payload_is_escaped(app):
    loader.load()
    ids = _ids()
    clients = _clients(app)
    problems = []
    for rule in _rules(app):
        if "GET" not in rule.methods or _is_api(rule):
            continue
        url = _url(rule, ids)
        sep = "&" if "?" in url else "?"
        for role in ("anonymous", "bureau", "enterprise"):
            resp = clients[role].get(f"{url}{sep}q={PAYLOAD}&next={PAYLOAD}&year={PAYLOAD}&page={PAYLOAD}")
            body = resp.get_data(as_text=True) if resp.mimetype == "text/html" else ""
            if resp.status_code >= 500 or any(r in body for r in RAW):
                problems.append(f"GET {url} [{rule.endpoint}] as {role}: {resp.status_code}")
    assert problems == [], "\n".join(problems)

