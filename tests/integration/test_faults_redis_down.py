"""Redis unreachable: pages and form posts still work, the work is done in-process and the user is told."""
import time

import pytest
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.matches.models import Match
from config import TestConfig
from tests.conftest import csrf_token, login, make_listing, make_user

DEAD_REDIS = "redis://127.0.0.1:6390/0"  # nothing listens here: the same as a stopped Redis for the client


@pytest.mark.parametrize("cache_seconds", [0, 30], ids=["caches-off", "caches-on"])
def test_pages_and_posts_work_without_redis(tmp_path, cache_seconds):
    """With the caches on, their generations (and the signed-in identities) live in Redis too: unreadable, every
    page is rendered and every user loaded from the database, without waiting on Redis each time."""
    class NoRedis(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'noredis.sqlite3'}"
        REDIS_URL = DEAD_REDIS
        MATCHING_INDEX_PATH = str(tmp_path / "m.idx")
        PUBLIC_PAGE_CACHE_SECONDS = cache_seconds

    app = create_app(NoRedis)
    from flask_migrate import upgrade

    from tests.conftest import FreshContextClient
    app.test_client_class = FreshContextClient
    with app.app_context():
        upgrade()
        uni = make_user("university")
        make_listing("achievement", uni, title="金属硬密封球阀", abstract="激光熔覆密封面，球阀泄漏等级达到VI级。")
        need = make_listing("need", make_user("enterprise"), "pending", title="球阀内漏", description="球阀关不严一直漏。")
        bureau = make_user("bureau")
        need_id, bureau_email = need.id, bureau.email
        db.session.commit()
        db.session.close()  # SQLite: no open read transaction while the requests write
        client = app.test_client()
        assert client.get("/").status_code == 200
        login(client, bureau_email)
        started = time.time()
        resp = client.post(f"/needs/{need_id}/approve", data={"csrf_token": csrf_token(client, "/")},
                           follow_redirects=True)
        assert resp.status_code == 200
        assert time.time() - started < 15  # no hanging on the dead broker
        html = resp.get_data(as_text=True)
        assert "已审核通过" in html and "后台任务服务暂不可用" in html
        started = time.time()
        for _ in range(5):  # signed-in pages: the user from the database, the menu and badge still there
            page = client.get("/bureau/cockpit")
            assert page.status_code == 200 and "退出" in page.get_data(as_text=True)
        assert time.time() - started < 5
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Match).where(Match.need_id == need_id)) > 0
        db.engine.dispose()
