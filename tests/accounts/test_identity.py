"""Who is signed in, kept per process (app/accounts/identity.py): no user or token query on a repeated request, and
every change to a user, a token or a notification holds from the very next request."""
import pytest

from app.api import tokens
from app.extensions import db
from app.notifications import services as notifications
from app.pagecache import WATCHED, Generation
from tests.api.conftest import bearer, token_for
from tests.conftest import login, make_user, recorded_statements


@pytest.fixture
def generations(app, tmp_path):
    """The generations the page cache would make (files here, as without Redis); the page cache itself stays off."""
    gens = {name: Generation(None, tmp_path / name, name) for name in WATCHED}
    before = app.extensions.get("pagecache_generations")
    app.extensions["pagecache_generations"] = gens
    app.extensions.pop("kept_copies", None)
    try:
        yield gens
    finally:
        app.extensions.pop("pagecache_generations")
        if before is not None:
            app.extensions["pagecache_generations"] = before
        app.extensions.pop("kept_copies", None)


def _signed_in(app, role: str, **kw):
    """A committed user of this role and a client where they are signed in."""
    user = make_user(role, **kw)
    db.session.commit()
    client = app.test_client()
    login(client, user)
    return user, client


def _selects(statements, table: str) -> list[str]:
    return [s for s in statements if s.lstrip().upper().startswith("SELECT") and f"FROM {table}" in s]


def test_a_repeated_page_asks_the_database_neither_for_the_user_nor_the_badge(app, generations):
    user, client = _signed_in(app, "bureau", name="缓存身份甲")
    assert "缓存身份甲" in client.get("/bureau/cockpit").get_data(as_text=True)  # loads and keeps
    with recorded_statements() as statements:
        page = client.get("/bureau/cockpit").get_data(as_text=True)
    assert "缓存身份甲" in page and "技术合同驾驶舱" in page
    assert not _selects(statements, "users") and not _selects(statements, "notifications"), statements


def test_a_role_change_holds_on_the_next_request(app, generations):
    user, client = _signed_in(app, "bureau")
    assert client.get("/bureau/cockpit").status_code == 200
    user.role = "enterprise"
    db.session.commit()
    assert client.get("/bureau/cockpit").status_code == 403


def test_a_deactivated_account_is_signed_out(app, generations):
    user, client = _signed_in(app, "enterprise")
    assert client.get("/my/listings").status_code == 200
    user.active = False
    db.session.commit()
    r = client.get("/my/listings")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_a_new_name_shows_at_once(app, generations):
    user, client = _signed_in(app, "enterprise", name="旧名字")
    assert "旧名字" in client.get("/my/listings").get_data(as_text=True)
    user.name = "新名字"
    db.session.commit()
    page = client.get("/my/listings").get_data(as_text=True)
    assert "新名字" in page and "旧名字" not in page


def test_the_badge_follows_new_and_read_notifications(app, generations):
    user, client = _signed_in(app, "enterprise")
    assert "unread-badge" not in client.get("/my/listings").get_data(as_text=True)
    notifications.notify(user, "test", "一条新消息")
    db.session.commit()
    assert 'unread-badge">1<' in client.get("/my/listings").get_data(as_text=True)
    notifications.mark_all_read(user)  # a bulk UPDATE: marks the generation itself
    db.session.commit()
    assert "unread-badge" not in client.get("/my/listings").get_data(as_text=True)


def test_an_api_token_is_kept_until_revoked(app, generations):
    user = make_user("enterprise")
    secret = token_for(user)
    db.session.commit()
    client = app.test_client()
    assert client.get("/api/v1/needs?per_page=1", headers=bearer(secret)).status_code == 200
    with recorded_statements() as statements:
        assert client.get("/api/v1/needs?per_page=1", headers=bearer(secret)).status_code == 200
    assert not _selects(statements, "api_tokens") and not _selects(statements, "users"), statements
    token = tokens.active_tokens(user)[0]
    tokens.revoke(user, token.id)
    db.session.commit()
    assert client.get("/api/v1/needs?per_page=1", headers=bearer(secret)).status_code == 401


def test_writing_a_tokens_last_use_keeps_everyones_copies(app, generations):
    """last_used_at is bookkeeping (written at most once a minute per process): it must not empty every process's
    identities, while any other change to a token does."""
    user = make_user("enterprise")
    token, _ = tokens.create(user, "记账")
    db.session.commit()
    before = generations["accounts"].read()
    token.last_used_at = tokens.utcnow()
    db.session.commit()
    assert generations["accounts"].read() == before
    token.name = "改名"
    db.session.commit()
    assert generations["accounts"].read() != before


def test_generation_unreadable_means_the_database_every_time(app, generations, tmp_path):
    generations["accounts"] = Generation("redis://127.0.0.1:1/0", tmp_path / "unused", "accounts")  # nothing there
    user, client = _signed_in(app, "bureau", name="无缓存身份")
    client.get("/bureau/cockpit")
    with recorded_statements() as statements:
        page = client.get("/bureau/cockpit").get_data(as_text=True)
    assert "无缓存身份" in page and _selects(statements, "users")
