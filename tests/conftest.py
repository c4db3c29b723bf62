"""Test setup (design.md §8.9): one app per session on the real database (TEST_DATABASE_URL, else SQLite),
schema built by the migrations, every test inside a transaction that is rolled back."""
import os
import re
from contextlib import contextmanager
from datetime import date
from itertools import count
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_migrate import downgrade, upgrade
from flask_sqlalchemy.session import Session as FsaSession

from app import create_app
from app.accounts.models import Organization, User
from app.accounts.services import hash_password
from app.extensions import db
from app.listings.models import Achievement, Need
from app.listings.services import _search_text
from app.models_base import utcnow
from config import TestConfig

# live_server, browser, page: one headless chromium for every browser test in the run
pytest_plugins = ["tests.browser_fixtures"]

PASSWORD = "Passw0rd2026"


class FreshContextClient(FlaskClient):
    """Each request in its own app context, as in production: the test's context (and its `g`, where
    Flask-Login caches the user) is not shared with the requests it makes."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app():
    url = TestConfig.SQLALCHEMY_DATABASE_URI
    sqlite_file = Path(url[len("sqlite:///"):]) if url.startswith("sqlite:///") else None
    if sqlite_file:
        sqlite_file.unlink(missing_ok=True)
    pg = _PrivatePostgres(url) if url.startswith("postgresql") else None

    class SessionConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = pg.url if pg else url

    app = create_app(SessionConfig)
    app.test_client_class = FreshContextClient
    with app.app_context():
        downgrade(revision="base")  # a clean schema even if an earlier run died half-way
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()
    if sqlite_file:
        sqlite_file.unlink(missing_ok=True)
    if pg:
        pg.drop()


class _PrivatePostgres:
    """A database of this test process's own next to TEST_DATABASE_URL, so parallel runs never collide."""

    def __init__(self, url: str):
        base = sa.engine.make_url(url)
        self.name = f"{base.database}_{os.getpid()}"
        self.admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            c.exec_driver_sql(f'CREATE DATABASE "{self.name}"')
        self.url = base.set(database=self.name).render_as_string(hide_password=False)

    def drop(self) -> None:
        with self.admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.admin.dispose()


class _PinnedSession(FsaSession):
    """Flask-SQLAlchemy picks the engine per model; in tests every query must use the test's connection."""

    def get_bind(self, *args, **kwargs):
        return self.bind if self.bind is not None else super().get_bind(*args, **kwargs)


@pytest.fixture(autouse=True)
def _db_transaction(request):
    if "matching" in request.node.path.parts[-3:-1] and "app" not in request.fixturenames:
        yield  # the matching library is tested without a database
        return
    if "live_server" in request.fixturenames:
        yield  # a browser test: the served app has its own database and ordinary sessions in its threads
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        conn = db.engine.connect()
        trans = conn.begin()
        original = db.session
        db.session = db._make_scoped_session(
            {"bind": conn, "join_transaction_mode": "create_savepoint", "class_": _PinnedSession})
        try:
            yield
        finally:
            db.session.remove()
            db.session = original
            trans.rollback()
            conn.close()


@pytest.fixture
def client(app):
    return app.test_client()


_seq = count(1)


def make_org(kind="enterprise", verified=True, **kw) -> Organization:
    n = next(_seq)
    org = Organization(name=kw.pop("name", f"测试单位{n}号"), kind=kind,
                       credit_code=kw.pop("credit_code", f"91330324MA{n:08d}"),
                       town_code=kw.pop("town_code", "oubei" if kind == "enterprise" else None),
                       industry_code=kw.pop("industry_code", "pump_valve"),
                       verified_at=utcnow() if verified else None, **kw)
    db.session.add(org)
    db.session.flush()
    return org


def make_user(role="enterprise", org=None, verified=True, **kw) -> User:
    n = next(_seq)
    if org is None and role in ("enterprise", "university", "institute", "service_agency"):
        org = make_org(kind=role, verified=verified)
    if org is None and role in ("bureau", "admin"):
        from app.accounts.services import bureau_organization
        org = bureau_organization()
    user = User(email=kw.pop("email", f"user{n}@example.cn"), name=kw.pop("name", f"用户{n}"),
                password_hash=hash_password(kw.pop("password", PASSWORD)), role=role, organization=org, **kw)
    db.session.add(user)
    db.session.flush()
    return user


NEED_FIELDS = {"title": "DN50球阀内漏问题攻关", "description": "我司生产的DN50球阀在高温工况下出现内漏，需要改进密封结构。",
               "industry_code": "pump_valve", "town_code": "oubei", "budget_yuan": 500_000,
               "deadline": date(2027, 6, 30), "cooperation_mode": "co_develop", "keywords": "球阀、内漏"}
ACH_FIELDS = {"title": "金属硬密封球阀密封副优化技术", "abstract": "采用激光熔覆硬质合金密封面，球体与阀座配研，泄漏等级达到ANSI VI级。",
              "industry_code": "pump_valve", "maturity": "pilot", "transfer_mode": "license", "price_yuan": 1_200_000,
              "keywords": "硬密封、球阀", "leader": "张工", "application": "电力、石化管线", "confidential": "熔覆层厚度0.8mm"}


def make_listing(kind="need", user=None, status="approved", **kw):
    if user is None:
        user = make_user("enterprise" if kind == "need" else "university")
    fields = {**(NEED_FIELDS if kind == "need" else ACH_FIELDS), **kw}
    model = Need if kind == "need" else Achievement
    listing = model(organization=user.organization, created_by_id=user.id, status=status, **fields)
    if status == "approved":
        listing.published_at = utcnow()
    if status in ("pending", "approved"):
        listing.submitted_at = utcnow()
    listing.search_text = _search_text(listing)
    db.session.add(listing)
    db.session.flush()
    return listing


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(client, url="/login") -> str:
    html = client.get(url).get_data(as_text=True)
    m = CSRF_RE.search(html)
    assert m, f"no CSRF token on {url}"
    return m.group(1) or m.group(2)


def login(client, user_or_email, password=PASSWORD):
    email = user_or_email if isinstance(user_or_email, str) else user_or_email.email
    token = csrf_token(client, "/login")
    resp = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    return resp


def post(client, url, data=None, token_from="/"):
    """POST a form with a valid CSRF token (taken from a page the user can see)."""
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client, token_from))
    return client.post(url, data=data)


@contextmanager
def recorded_statements(engine=None):
    """The SQL statements sent while the block runs (a list filled as they go); the listener is removed after, so
    later tests do not keep feeding it."""
    engine = engine or db.engine
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def cached(app, tmp_path):
    """The test app behind a public page cache of its own (app/pagecache.py; the tests' config has it off); commits
    bump this cache's generation (a file in tmp_path)."""
    from werkzeug.test import Client

    from app.pagecache import Generation, PublicPageCache
    generation = Generation(None, tmp_path / "generation")
    cache = PublicPageCache(app.wsgi_app, generation, ttl=30, check_every=0, max_bytes=8 * 1024 * 1024,
                            session_cookie=app.config.get("SESSION_COOKIE_NAME", "session"),
                            others={"stats": Generation(None, tmp_path / "stats", "stats")})
    app.extensions["pagecache_generations"] = {"public": generation,
                                               "stats": Generation(None, tmp_path / "stats", "stats")}
    try:
        yield Client(cache), cache
    finally:
        del app.extensions["pagecache_generations"]


def redis_or_skip(url: str):
    """A client of the real Redis at url (CI starts it), or the test is skipped when none answers there."""
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(url, socket_timeout=1)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"Redis not running at {url}")
    return client
