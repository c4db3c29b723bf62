"""Pages kept for signed-in visitors (app/pageshell.py): rendered once per kind of user and address, each visitor's
own name, unread count, CSRF tokens and messages filled in per request, never another's, never stale."""
import re

import pytest
from flask import g

from app import pageshell
from app.extensions import db
from app.notifications import services as notifications
from tests.conftest import login, make_listing, make_user


@pytest.fixture
def kept(app, cached, monkeypatch):
    """The page cache on (tests/test_pagecache.py's `cached`), and a count of the browse pages actually rendered."""
    _, cache = cached
    app.extensions["pagecache"] = cache
    rendered = []
    from app.listings import views
    real = views.render_template

    def counting(name, **kw):
        if name == "listings/browse.html":
            rendered.append(name)
        return real(name, **kw)
    monkeypatch.setattr(views, "render_template", counting)
    try:
        yield rendered
    finally:
        del app.extensions["pagecache"]


def _get(client, path: str) -> str:
    g.pop("_login_user", None)  # tests share one app context: forget the previous request's user
    g.pop("csrf_token", None)  # and its CSRF token (Flask-WTF keeps it in g)
    html = client.get(path).get_data(as_text=True)
    assert "<!--hole:" not in html
    return html


def _signed_in(app, user):
    client = app.test_client()
    login(client, user)
    return client


def test_one_rendering_serves_every_visitor_of_a_kind_with_their_own_parts(app, kept):
    org_listing_owner = make_user("university")
    make_listing("achievement", org_listing_owner, title="保留页面成果")
    a, b = make_user("enterprise", name="企业用户甲"), make_user("enterprise", name="企业用户乙")
    notifications.notify(a, "test", "一条消息")
    notifications.notify(a, "test", "又一条消息")
    db.session.commit()
    first, second = _signed_in(app, a), _signed_in(app, b)
    page_a = _get(first, "/achievements?sort=newest")
    page_b = _get(second, "/achievements?sort=newest")
    assert len(kept) == 1  # the second visitor got the kept page
    assert "保留页面成果" in page_a and "保留页面成果" in page_b
    assert "企业用户甲（企业用户）" in page_a and "企业用户乙" not in page_a
    assert "企业用户乙（企业用户）" in page_b and "企业用户甲" not in page_b
    assert re.search(r'unread-badge">2<', page_a) and "unread-badge" not in page_b
    token_a = re.search(r'name="csrf_token" value="([^"]+)"', page_a).group(1)
    token_b = re.search(r'name="csrf_token" value="([^"]+)"', page_b).group(1)
    assert token_a != token_b
    # the token filled into the kept page is the visitor's own: it works for their next action
    g.pop("_login_user", None)
    assert first.post("/notifications/read-all", data={"csrf_token": token_a}).status_code == 302
    assert notifications.unread_count(a) == 0
    assert "unread-badge" not in _get(first, "/achievements?sort=newest")
    assert len(kept) == 1


def test_each_kind_of_user_has_its_own_kept_page(app, kept):
    ent, uni = make_user("enterprise"), make_user("university")
    db.session.commit()
    ent_page = _get(_signed_in(app, ent), "/needs")
    uni_page = _get(_signed_in(app, uni), "/needs")
    assert len(kept) == 2
    assert "发布技术需求" in ent_page and "发布技术需求" not in uni_page and "发布科技成果" in uni_page
    # and an anonymous visitor is never given a signed-in page
    anon = app.test_client()
    page = _get(anon, "/needs")
    assert "退出" not in page and "登录" in page


def test_a_flashed_message_is_shown_once_on_a_kept_page(app, kept):
    ent = make_user("enterprise")
    db.session.commit()
    client = _signed_in(app, ent)
    _get(client, "/needs")
    with client.session_transaction() as s:
        s["_flashes"] = [("success", "保留页面上的提示")]
    assert "保留页面上的提示" in _get(client, "/needs")
    assert "保留页面上的提示" not in _get(client, "/needs")
    assert len(kept) == 1


def test_a_public_change_or_another_address_renders_anew(app, kept):
    ent = make_user("enterprise")
    db.session.commit()
    client = _signed_in(app, ent)
    _get(client, "/needs?sort=newest")
    _get(client, "/needs?sort=newest&page=1")
    assert len(kept) == 2  # another query string is another page
    make_listing("need", ent, title="新发布的保留页需求")
    db.session.commit()
    assert "新发布的保留页需求" in _get(client, "/needs?sort=newest")
    assert len(kept) == 3


def test_without_the_page_cache_every_page_is_rendered(app, monkeypatch):
    """Tests and development: nothing kept, the personal parts rendered in place."""
    from app.listings import views
    calls = []
    real = views.render_template
    monkeypatch.setattr(views, "render_template", lambda name, **kw: calls.append(name) or real(name, **kw))
    ent = make_user("enterprise", name="无缓存用户")
    db.session.commit()
    client = _signed_in(app, ent)
    for _ in range(2):
        assert "无缓存用户（企业用户）" in _get(client, "/needs")
    assert calls.count("listings/browse.html") == 2


def test_an_error_page_rendered_with_holes_is_filled_and_not_kept(app, kept):
    """A view answering an error while its page was being kept: the visitor gets the holes filled, nothing is kept."""
    from flask import render_template_string
    from flask_login import login_user

    from app import pagecache
    user = make_user("enterprise", name="出错页面用户")
    db.session.commit()
    page = "<p>{{ personal('who') }}|{{ csrf_token() }}|{{ personal('flashes') }}</p>"
    view = pageshell.kept_for_signed_in("public")(lambda: (render_template_string(page), 400))
    with app.test_request_context("/an-error"):
        login_user(user)
        store = pagecache.kept("page_shells", pageshell.SHELL_MAX)
        before = len(store._rows)
        resp = view()
        body = resp.get_data(as_text=True)
        assert resp.status_code == 400 and "<!--hole:" not in body
        assert "出错页面用户（企业用户）" in body and len(body.split("|")[1]) > 20  # a real CSRF token
        assert len(store._rows) == before


def test_a_page_carrying_the_visitors_own_token_is_not_kept(app, kept):
    """A WTForms form writes the token itself, not through the csrf_token() hole: such a page is served, not kept."""
    from flask_login import login_user
    from flask_wtf.csrf import generate_csrf

    from app import pagecache
    user = make_user("enterprise")
    db.session.commit()
    view = pageshell.kept_for_signed_in("public")(lambda: f"<p>{generate_csrf()}</p>")
    with app.test_request_context("/with-a-form"):
        login_user(user)
        store = pagecache.kept("page_shells", pageshell.SHELL_MAX)
        before = len(store._rows)
        body = view().get_data(as_text=True)
        assert body == f"<p>{generate_csrf()}</p>" and len(store._rows) == before


def test_the_cockpit_is_kept_with_each_bureau_users_own_form_token(app, kept, monkeypatch):
    """The recompute button is a form in a macro (templates/macros.html): its token is a hole too, or the page could
    not be kept at all."""
    from app.stats import views
    calls = []
    real = views.render_template
    monkeypatch.setattr(views, "render_template", lambda name, **kw: calls.append(name) or real(name, **kw))
    a, b = make_user("bureau", name="科技局甲"), make_user("bureau", name="科技局乙")
    db.session.commit()
    first, second = _signed_in(app, a), _signed_in(app, b)
    page_a, page_b = _get(first, "/bureau/cockpit?year=2026"), _get(second, "/bureau/cockpit?year=2026")
    assert calls.count("stats/cockpit.html") == 1
    assert "科技局甲" in page_a and "科技局乙" in page_b and "科技局甲" not in page_b
    token = re.search(r'action="/bureau/cockpit/recompute".*?name="csrf_token" value="([^"]+)"', page_b, re.S).group(1)
    assert token not in page_a
    g.pop("_login_user", None)
    g.pop("csrf_token", None)
    assert second.post("/bureau/cockpit/recompute", data={"csrf_token": token, "year": "2026"}).status_code == 302


def test_a_kept_page_costs_an_organizations_user_no_query(app, kept, tmp_path, monkeypatch):
    """The site menu's key reads what the user may post (their organization): kept per user with the accounts and the
    units unchanged, so a kept page runs no SQL at all once the user's identity is kept too."""
    from app.pagecache import Generation
    from tests.conftest import recorded_statements
    generations = app.extensions["pagecache_generations"]
    for name in ("accounts", "notifications"):  # who is signed in and their unread count, kept as in production
        monkeypatch.setitem(generations, name, Generation(None, tmp_path / name, name))
    ent = make_user("enterprise")
    db.session.commit()
    client = _signed_in(app, ent)
    _get(client, "/needs")
    _get(client, "/needs")
    with recorded_statements() as statements:
        assert "发布技术需求" in _get(client, "/needs")
    assert [st for st in statements if "FROM organizations" in st] == []
    assert len(kept) == 1
    # and the kept menu follows a change of the unit or the account at once
    ent.organization.kind, ent.role = "university", "university"
    db.session.commit()
    page = _get(client, "/needs")
    assert "发布科技成果" in page and "发布技术需求" not in page
