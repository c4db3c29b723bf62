"""Public page cache (app/pagecache.py): anonymous copies are served, never stale after a change, never personal."""
import time
from datetime import date

import pytest
from flask import g
from werkzeug.test import Client

from app.pagecache import Generation, PublicPageCache
from tests.conftest import login, make_listing, make_user, recorded_statements


def test_second_anonymous_visit_is_a_copy(cached):
    client, _ = cached
    make_listing("need", make_user("enterprise"), title="缓存测试需求甲")
    first = client.get("/needs?sort=newest")
    second = client.get("/needs?sort=newest")
    assert first.headers["X-Page-Cache"] == "miss" and second.headers["X-Page-Cache"] == "hit"
    assert second.get_data() == first.get_data() and "缓存测试需求甲" in second.get_data(as_text=True)
    assert second.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
    assert second.headers["X-Request-ID"] and second.headers["X-Request-ID"] != first.headers.get("X-Request-ID")
    # another address is another page
    assert client.get("/needs?sort=budget_desc").headers["X-Page-Cache"] == "miss"


def test_public_pages_set_no_cookie_for_anonymous_visitors(cached):
    """Otherwise nothing would ever be stored: a page that sets a cookie is personal."""
    client, _ = cached
    ent, uni = make_user("enterprise"), make_user("university")
    need, ach = make_listing("need", ent), make_listing("achievement", uni)
    for path in ("/", "/needs", "/achievements?q=阀门", f"/needs/{need.id}", f"/achievements/{ach.id}"):
        r = client.get(path)
        assert r.status_code == 200 and "Set-Cookie" not in r.headers, path
        assert client.get(path).headers["X-Page-Cache"] == "hit", path


def test_a_committed_change_is_seen_at_once(cached):
    from app.extensions import db
    client, _ = cached
    ent = make_user("enterprise")
    need = make_listing("need", ent, title="旧标题需求")
    client.get(f"/needs/{need.id}")
    client.get("/")
    assert client.get(f"/needs/{need.id}").headers["X-Page-Cache"] == "hit"
    need.title = "新标题需求"
    db.session.commit()
    r = client.get(f"/needs/{need.id}")
    assert r.headers["X-Page-Cache"] == "miss" and "新标题需求" in r.get_data(as_text=True)
    assert client.get("/").headers["X-Page-Cache"] == "miss"  # every page: the home page lists the newest too


def test_rolled_back_or_unrelated_changes_keep_the_copies(cached):
    from app.extensions import db
    client, _ = cached
    need = make_listing("need", make_user("enterprise"), title="不变的需求")
    client.get(f"/needs/{need.id}")
    need.title = "回滚的标题"
    db.session.flush()
    db.session.rollback()
    make_user("broker")  # users are not shown on public pages
    r = client.get(f"/needs/{need.id}")
    assert r.headers["X-Page-Cache"] == "hit" and "不变的需求" in r.get_data(as_text=True)


def test_signed_in_users_never_get_or_make_copies(app, cached):
    client, cache = cached
    ent = make_user("enterprise")
    need = make_listing("need", ent, title="本单位的需求")
    anon = client.get(f"/needs/{need.id}")
    assert anon.headers["X-Page-Cache"] == "miss"
    flask_client = app.test_client()
    login(flask_client, ent)
    cookie = flask_client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    client.set_cookie(cookie.key, cookie.value)
    # tests push one app context around each test and Flask reuses it for requests: forget the user of the
    # previous request as a new request context would
    g.pop("_login_user", None)
    mine = client.get(f"/needs/{need.id}")
    assert "X-Page-Cache" not in mine.headers
    assert "编辑" in mine.get_data(as_text=True) and "编辑" not in anon.get_data(as_text=True)
    client.delete_cookie(cookie.key)
    assert client.get(f"/needs/{need.id}").headers["X-Page-Cache"] == "hit"
    assert client.get(f"/needs/{need.id}", headers={"Authorization": "Bearer x"}).headers.get("X-Page-Cache") is None


# --- the middleware alone, on a tiny WSGI app ----------------------------------------------------------------------

class Origin:
    def __init__(self, status="200 OK", headers=(("Content-Type", "text/html; charset=utf-8"),), body=b"page"):
        self.status, self.headers, self.body, self.calls = status, list(headers), body, 0

    def __call__(self, environ, start_response):
        self.calls += 1
        start_response(self.status, self.headers)
        return [self.body + str(self.calls).encode()]


def _cache(origin, tmp_path, **kw):
    opts = {"ttl": 30, "check_every": 0, "max_bytes": 1024 * 1024, "session_cookie": "session", **kw}
    return PublicPageCache(origin, Generation(None, tmp_path / "gen"), **opts)


@pytest.mark.parametrize("status,headers", [
    ("404 NOT FOUND", [("Content-Type", "text/html")]),
    ("200 OK", [("Content-Type", "text/html"), ("Set-Cookie", "session=abc")]),
    ("200 OK", [("Content-Type", "application/json")]),
    ("200 OK", [("Content-Type", "text/html"), ("Cache-Control", "no-store")]),
])
def test_only_plain_public_html_is_stored(tmp_path, status, headers):
    origin = Origin(status, headers)
    c = Client(_cache(origin, tmp_path))
    c.get("/needs")
    c.get("/needs")
    assert origin.calls == 2


def test_only_public_paths_and_gets(tmp_path):
    origin = Origin()
    c = Client(_cache(origin, tmp_path))
    for _ in range(2):
        c.get("/needs/12")
        c.get("/needs/12/edit")
        c.get("/bureau/cockpit")
        c.post("/needs")
    assert origin.calls == 1 + 2 * 3
    c.set_cookie("session", "xyz")
    c.get("/needs")
    c.get("/needs")
    assert origin.calls == 1 + 2 * 3 + 2
    c.delete_cookie("session")
    c.set_cookie("remember_token", "1|abc")  # "remember me": Flask-Login may sign this visitor in
    c.get("/needs")
    assert origin.calls == 1 + 2 * 3 + 3
    c.delete_cookie("remember_token")
    c.set_cookie("theme", "dark")
    c.get("/needs")
    assert c.get("/needs").headers["X-Page-Cache"] == "hit"  # other cookies do not make a page personal


def test_copies_expire_and_the_budget_evicts_the_oldest(tmp_path):
    origin = Origin(body=b"x" * 100)
    c = Client(_cache(origin, tmp_path, ttl=0.05))
    c.get("/needs")
    time.sleep(0.1)
    assert c.get("/needs").headers["X-Page-Cache"] == "miss"

    origin = Origin(body=b"x" * 300)
    cache = _cache(origin, tmp_path, max_bytes=8 * 400)  # room for about 10 pages of ~300 bytes
    c = Client(cache)
    for i in range(1, 21):
        c.get(f"/needs/{i}")
    assert cache._bytes <= 8 * 400
    assert c.get("/needs/20").headers["X-Page-Cache"] == "hit"
    assert c.get("/needs/1").headers["X-Page-Cache"] == "miss"


def test_unreadable_generation_means_no_cache(tmp_path):
    origin = Origin()
    cache = PublicPageCache(origin, Generation("redis://127.0.0.1:1/0", tmp_path / "gen"), ttl=30, check_every=0,
                            max_bytes=1024 * 1024, session_cookie="session")
    c = Client(cache)
    r1, r2 = c.get("/needs"), c.get("/needs")
    assert origin.calls == 2 and "X-Page-Cache" not in r2.headers and r1.get_data() != r2.get_data()


def test_redis_generation_is_shared_by_processes(tmp_path):
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/14"
    try:
        redis.Redis.from_url(url, socket_timeout=0.5).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis not running")
    origin = Origin()
    a = Client(PublicPageCache(origin, Generation(url, tmp_path / "a"), ttl=30, check_every=0,
                               max_bytes=1024 * 1024, session_cookie="session"))
    other_process = Generation(url, tmp_path / "b")
    a.get("/needs")
    assert a.get("/needs").headers["X-Page-Cache"] == "hit"
    other_process.bump()
    assert a.get("/needs").headers["X-Page-Cache"] == "miss"


def test_a_copy_is_logged_like_a_rendered_page(cached, caplog):
    import logging
    client, _ = cached
    client.get("/needs")
    with caplog.at_level(logging.INFO, logger="app.access"):
        r = client.get("/needs", headers={"X-Request-ID": "trace-123"})
    assert r.headers["X-Page-Cache"] == "hit" and r.headers["X-Request-ID"] == "trace-123"
    hits = [rec for rec in caplog.records if rec.name == "app.access" and rec.fields.get("cache") == "hit"]
    assert len(hits) == 1
    assert hits[0].request_id == "trace-123"
    assert hits[0].fields["path"] == "/needs" and hits[0].fields["status"] == 200
    bad = client.get("/needs", headers={"X-Request-ID": "bad id <x>"}).headers["X-Request-ID"]
    assert bad != "bad id <x>" and " " not in bad


def test_memo_keeps_a_value_until_a_public_change(app, cached):
    from app import pagecache
    from app.extensions import db
    _, cache = cached
    calls = []

    def compute():
        calls.append(1)
        return len(calls)
    app.extensions["pagecache"] = cache
    try:
        assert pagecache.memo("figures", compute) == 1
        assert pagecache.memo("figures", compute) == 1
        make_listing("need", make_user("enterprise"))
        db.session.commit()  # a public change
        assert pagecache.memo("figures", compute) == 2
    finally:
        del app.extensions["pagecache"]
    assert pagecache.memo("figures", compute) == 3  # cache off: computed every time


def test_cockpit_figures_are_kept_until_a_recompute_or_a_target_changes(app, cached):
    """memo(generation="stats"): the cockpit's figures come from one computation until the summary is recomputed
    (bulk statements, marked by the recompute) or a yearly target is edited."""
    from app import pagecache
    from app.extensions import db
    from app.stats import services
    from app.stats.models import YearlyTarget
    _, cache = cached
    calls = []

    def compute():
        calls.append(1)
        return services.target_for(2031)[0]
    app.extensions["pagecache"] = cache
    try:
        first = pagecache.memo("cockpit-test", compute, generation="stats")
        assert pagecache.memo("cockpit-test", compute, generation="stats") == first and len(calls) == 1
        make_listing("need", make_user("enterprise"))  # a public change does not touch the figures
        db.session.commit()
        assert pagecache.memo("cockpit-test", compute, generation="stats") == first and len(calls) == 1
        services.recompute_contract_stats()
        pagecache.memo("cockpit-test", compute, generation="stats")
        assert len(calls) == 2
        db.session.add(YearlyTarget(year=2031, contract_volume_yuan=first + 1))
        db.session.commit()
        assert pagecache.memo("cockpit-test", compute, generation="stats") == first + 1 and len(calls) == 3
    finally:
        del app.extensions["pagecache"]


def test_api_list_pages_are_kept_per_public_generation(app, cached):
    """The API's public list is dumped once per public change; every call still passes the token checks."""
    from app.extensions import db
    _, cache = cached
    app.extensions["api_limiter"].reset()  # other tests' anonymous calls count against the same address
    client = app.test_client()
    ent = make_user("enterprise")
    make_listing("need", ent, title="接口缓存需求一")
    app.extensions["pagecache"] = cache
    try:
        r = client.get("/api/v1/needs?per_page=5")
        assert r.status_code == 200, r.get_data(as_text=True)
        first = r.get_json()
        assert client.get("/api/v1/needs?per_page=5").get_json() == first
        assert first["items"][0]["title"] == "接口缓存需求一"
        bad = client.get("/api/v1/needs?per_page=5", headers={"Authorization": "Bearer yjtm_not-a-real-token-000000"})
        assert bad.status_code == 401  # a kept page is never a way around the token checks
        make_listing("need", ent, title="接口缓存需求二")
        db.session.commit()
        second = client.get("/api/v1/needs?per_page=5").get_json()
        assert second["total"] == first["total"] + 1 and second["items"][0]["title"] == "接口缓存需求二"
    finally:
        del app.extensions["pagecache"]


def test_cockpit_page_keeps_its_figures_but_not_the_users_form(app, cached):
    """The cockpit's rendered figures are kept per "stats" generation; the page around them is each user's own: a
    second bureau user gets a recompute form whose CSRF token works in their session, and a recompute shows the new
    total and time at once."""
    import re
    from datetime import date

    from app.extensions import db
    from app.stats import services
    from tests.stats.factories import make_contract
    _, cache = cached
    app.extensions["pagecache"] = cache
    try:
        make_contract(30_000_000, counted_on=date(2026, 3, 1))
        services.recompute_and_record()
        first, second = app.test_client(), app.test_client()
        login(first, make_user("bureau", name="驾驶舱甲"))
        db.session.commit()
        g.pop("_login_user", None)
        a = first.get("/bureau/cockpit?year=2026").get_data(as_text=True)
        assert "3000万元" in a and "驾驶舱甲" in a and "尚未统计" not in a
        login(second, make_user("bureau", name="驾驶舱乙"))
        db.session.commit()
        g.pop("_login_user", None)
        b = second.get("/bureau/cockpit?year=2026").get_data(as_text=True)
        assert "3000万元" in b and "驾驶舱乙" in b and "驾驶舱甲" not in b
        token = re.search(r'name="csrf_token" value="([^"]+)"', b).group(1)
        g.pop("_login_user", None)
        assert second.post("/bureau/cockpit/recompute", data={"csrf_token": token, "year": "2026"}).status_code == 302
        make_contract(12_000_000, counted_on=date(2026, 4, 1))
        services.recompute_and_record()
        g.pop("_login_user", None)
        assert "4200万元" in first.get("/bureau/cockpit?year=2026").get_data(as_text=True)
    finally:
        del app.extensions["pagecache"]


# --- the shared second level (Redis) -------------------------------------------------------------------------------

def _redis_url():
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/14"
    try:
        client = redis.Redis.from_url(url, socket_timeout=0.5)
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis not running")
    for k in client.scan_iter("yjtm:page:*"):
        client.delete(k)
    return url


def _process(origin, url, tmp_path, name, shared_url=None, ttl=30):
    """One web process: its own memory, the shared generation and (optionally) the shared copies."""
    from app.pagecache import SharedCopies
    return Client(PublicPageCache(origin, Generation(url, tmp_path / name), ttl=ttl, check_every=0,
                                  max_bytes=1024 * 1024, session_cookie="session",
                                  shared=SharedCopies(shared_url or url, max_body=64 * 1024)))


def test_a_page_rendered_by_one_process_is_served_by_the_others(tmp_path):
    url = _redis_url()
    first, second = Origin(), Origin()
    a, b = _process(first, url, tmp_path, "a"), _process(second, url, tmp_path, "b")
    rendered = a.get("/needs?page=2").get_data()
    copy = b.get("/needs?page=2")
    assert copy.headers["X-Page-Cache"] == "hit" and copy.get_data() == rendered and second.calls == 0
    assert copy.headers["Content-Type"].startswith("text/html")
    assert b.get("/needs?page=3").headers["X-Page-Cache"] == "miss"  # another address is its own copy
    Generation(url, tmp_path / "c").bump()  # a change anywhere: the shared copy is never served again
    assert b.get("/needs?page=2").headers["X-Page-Cache"] == "miss" and second.calls == 2


def test_a_shared_copy_older_than_the_ttl_is_not_taken(tmp_path):
    url = _redis_url()
    first, second = Origin(), Origin()
    a = _process(first, url, tmp_path, "a", ttl=0.2)
    b = _process(second, url, tmp_path, "b", ttl=0.2)
    a.get("/needs")
    time.sleep(0.3)
    assert b.get("/needs").headers["X-Page-Cache"] == "miss" and second.calls == 1


def test_shared_copies_unreachable_means_each_process_renders(tmp_path):
    url = _redis_url()
    first, second = Origin(), Origin()
    a = _process(first, url, tmp_path, "a", shared_url="redis://127.0.0.1:1/0")
    b = _process(second, url, tmp_path, "b", shared_url="redis://127.0.0.1:1/0")
    assert a.get("/needs").status_code == 200 and b.get("/needs").status_code == 200
    assert (first.calls, second.calls) == (1, 1)
    assert a.get("/needs").headers["X-Page-Cache"] == "hit"  # each process still keeps its own


def test_signed_in_browse_shares_the_results_until_a_public_change(app, cached):
    """The results of a browse address are rendered once for everyone (memo), also for signed-in visitors whom the
    page cache never serves; their own menu stays theirs, and a new listing is listed at once."""
    from app.extensions import db
    _, cache = cached
    app.extensions["pagecache"] = cache
    try:
        ent = make_user("enterprise", name="浏览者甲")
        make_listing("need", ent, title="共享结果需求一")
        db.session.commit()
        client = app.test_client()
        login(client, ent)
        g.pop("_login_user", None)
        first = client.get("/needs?sort=newest").get_data(as_text=True)
        assert "共享结果需求一" in first and "浏览者甲" in first
        with recorded_statements() as statements:
            g.pop("_login_user", None)
            again = client.get("/needs?sort=newest").get_data(as_text=True)
        # the kept results: no listing query
        assert "共享结果需求一" in again and not [st for st in statements if "FROM needs" in st]
        g.pop("_login_user", None)
        assert "共享结果需求一" not in client.get("/needs?sort=newest&industry=fashion").get_data(as_text=True)
        make_listing("need", ent, title="共享结果需求二")
        db.session.commit()  # a public change
        g.pop("_login_user", None)
        assert "共享结果需求二" in client.get("/needs?sort=newest").get_data(as_text=True)
    finally:
        del app.extensions["pagecache"]


def test_a_shared_memo_is_computed_once_for_all_processes(app, tmp_path):
    """memo(share=True): the second process takes the first one's rendered value from Redis; a change computes it
    again."""
    from markupsafe import Markup

    from app.pagecache import SharedCopies, memo
    url = _redis_url()
    generation = Generation(url, tmp_path / "unused", "memo-test")
    generation.bump()  # a generation of this test's own

    def process():
        return PublicPageCache(Origin(), generation, ttl=30, check_every=0, max_bytes=1024 * 1024,
                               session_cookie="session", shared=SharedCopies(url, max_body=64 * 1024))

    calls = []

    def compute():
        calls.append(1)
        return Markup(f"<b>结果{len(calls)}</b>")

    try:
        for expected, runs in (("<b>结果1</b>", 1), ("<b>结果1</b>", 1)):
            app.extensions["pagecache"] = process()  # a process with empty memory each time
            value = memo("shared-test", compute, share=True)
            assert value == Markup(expected) and isinstance(value, Markup) and len(calls) == runs
        generation.bump()
        app.extensions["pagecache"] = process()
        assert memo("shared-test", compute, share=True) == Markup("<b>结果2</b>") and len(calls) == 2
    finally:
        del app.extensions["pagecache"]


def test_a_restarted_redis_never_brings_back_an_old_generation(tmp_path):
    """Counters begin at a random value when missing (new or restarted Redis): a copy kept under a number from
    before the restart does not become valid again when the new counter counts up to it."""
    import redis
    url = _redis_url()
    client = redis.Redis.from_url(url)
    gen = Generation(url, tmp_path / "unused", "restart-test")
    client.delete(gen.key)
    first = gen.read()
    assert first > 1000 and Generation.read_many([gen, Generation(url, tmp_path / "u2", "restart-test")]) == [first] * 2
    gen.bump()
    assert gen.read() == first + 1
    client.delete(gen.key)  # what a restart without persistence does
    gen.bump()  # a bump on the missing counter starts at random too, not at 1
    again = gen.read()
    assert again not in (1, first, first + 1) and again > 1000
    client.delete(gen.key)


def test_kept_copies_are_per_generation_and_bounded_in_age():
    from app.pagecache import KeptCopies
    kept = KeptCopies(max_entries=2, max_age=0.2)
    kept.put(1, "a", "甲")
    assert kept.get(1, "a") == "甲" and kept.get(2, "a") is None  # another generation: not this copy
    kept.put(1, "b", "乙")
    kept.put(1, "c", "丙")  # over max_entries: the least recently used ("a") out
    assert kept.get(1, "a") is None and kept.get(1, "c") == "丙"
    time.sleep(0.25)
    assert kept.get(1, "c") is None  # older than max_age (a bump lost while Redis was away cannot keep it)


def test_contract_totals_are_kept_until_a_contract_changes(app, tmp_path):
    """contracts.services.contract_totals reads every registered contract (all years: ~430 ms on a million); it is
    summed once per change of the contracts table, and any contract committed is counted at the next call."""
    from app.contracts import services
    from app.extensions import db
    from tests.stats.factories import make_contract
    gens = {name: Generation(None, tmp_path / name, name) for name in ("public", "contracts")}
    cache = PublicPageCache(app.wsgi_app, gens["public"], ttl=30, check_every=0, max_bytes=1024 * 1024,
                            session_cookie="session", others={"contracts": gens["contracts"]})
    app.extensions["pagecache"], app.extensions["pagecache_generations"] = cache, gens
    try:
        make_contract(3_000_000, counted_on=date(2026, 5, 1))
        db.session.commit()
        first = services.contract_totals(2026)
        with recorded_statements() as statements:
            assert services.contract_totals(2026) == first
        assert not [s for s in statements if "FROM contracts" in s], statements
        # registration is an UPDATE statement (compare-and-set), not an ORM change: it must bump the generation too
        submitted = make_contract(1_000_000, counted_on=date(2026, 6, 1), status="submitted")
        db.session.commit()
        assert services.contract_totals(2026) == first  # kept again, under the generation after that insert
        services.register(make_user("bureau"), submitted, today=date(2026, 6, 1))
        db.session.commit()
        after = services.contract_totals(2026)
        assert after["count"] == first["count"] + 1
        assert after["contract_amount_yuan"] == first["contract_amount_yuan"] + 1_000_000
        assert after == services.contract_totals_now(2026)
        assert services.contract_totals(None)["count"] == services.contract_totals_now(None)["count"]
    finally:
        del app.extensions["pagecache"], app.extensions["pagecache_generations"]
