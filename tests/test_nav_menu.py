"""The site menu (templates/_nav_menu.html, app/web.nav_menu): rendered once per kind of user, each kind its own."""
from app.extensions import db
from tests.conftest import login, make_user


def _menu(app, user=None) -> str:
    client = app.test_client()
    if user is not None:
        login(client, user)
    html = client.get("/notifications" if user is not None else "/needs").get_data(as_text=True)
    return html[html.index('<ul class="navbar-nav me-auto">'):html.index('<ul class="navbar-nav">')]


def test_each_kind_of_user_gets_its_own_menu(app):
    enterprise, university = make_user("enterprise"), make_user("university")
    bureau, broker_a, broker_b = make_user("bureau"), make_user("broker"), make_user("broker")
    db.session.commit()
    for _ in range(2):  # the second round from the kept copies
        ent = _menu(app, enterprise)
        assert "发布技术需求" in ent and "发布科技成果" not in ent and "审核登记" not in ent
        bur = _menu(app, bureau)
        assert "审核登记" in bur and "统计驾驶舱" in bur and "我的工作" not in bur
        a, b = _menu(app, broker_a), _menu(app, broker_b)
        assert f"/brokers/performance/{broker_a.id}" in a and f"/brokers/performance/{broker_b.id}" in b
        assert f"/brokers/performance/{broker_b.id}" not in a
        uni = _menu(app, university)
        assert "发布科技成果" in uni and "发布技术需求" not in uni
    anon = _menu(app)
    assert "我的工作" not in anon and "审核登记" not in anon and "技术需求" in anon
