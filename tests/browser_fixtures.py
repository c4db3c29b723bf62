"""Browser-test fixtures (a pytest plugin loaded by tests/conftest.py, so every browser test shares one
chromium):  the real app served on loopback by a WSGI server thread, driven by Playwright in Debian's
chromium. The served app has its own database file (a browser cannot join the per-test transaction)."""
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import create_app
from config import BASE_DIR, TestConfig

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = BASE_DIR / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    db_file: Path = tmp_path_factory.mktemp("e2e") / "e2e.sqlite3"

    class E2EConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{db_file}"
        # its own index and reports: the test app of the same process keeps its own (of another database)
        MATCHING_INDEX_PATH = str(db_file.parent / "matching.idx")
        REPORTS_DIR = str(db_file.parent / "reports")

    app = create_app(E2EConfig)
    from flask_migrate import upgrade
    with app.app_context():
        upgrade()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (make test installs it when run as root)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page, base: str, email: str, password: str) -> None:
    """Sign in through the login form, as a person does (cookies of an earlier user cleared first)."""
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.get_by_label("邮箱").fill(email)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def add_org(name: str, kind: str, code: str, industry_code: str = "pump_valve", **kw):
    """A verified unit of a browser journey's cast (in the served app's context; committed by the caller)."""
    from app.accounts.models import Organization
    from app.extensions import db
    from app.models_base import utcnow
    o = Organization(name=name, kind=kind, credit_code=code, industry_code=industry_code, verified_at=utcnow(), **kw)
    db.session.add(o)
    return o
