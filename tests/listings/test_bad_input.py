"""Bad input: a clear Chinese message, and nothing saved half-way."""
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.listings.models import Achievement, Need
from tests.conftest import csrf_token, login, make_listing, make_user

GOOD = {"title": "阀门内漏", "description": "DN80闸阀关闭后仍有介质渗出，需要改进密封结构。", "industry_code": "pump_valve",
        "town_code": "oubei", "budget_yuan": "20", "deadline": "", "cooperation_mode": "co_develop", "keywords": "内漏"}


def _count(model=Need):
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(("field", "value", "message"), [
    ("title", "", "请填写标题"),
    ("title", "阀" * 10_000, "标题不能超过100个字"),
    ("description", "太短", "描述应为10到5000个字"),
    ("budget_yuan", "-5", "金额不能为负数"),
    ("budget_yuan", "99999999999", "金额超出合理范围"),
    ("budget_yuan", "一百万", "请输入数字金额"),
    ("budget_yuan", "1.234567", "金额最多精确到元"),
    ("budget_yuan", "NaN", "请输入数字金额"),
    ("industry_code", "steel_mill", "不是有效的选择"),
    ("cooperation_mode", "bribe", "不是有效的选择"),
    ("deadline", "2027-13-45", "不是有效的日期"),
    ("title", "阀门\x00内漏", "包含不允许的控制字符"),
])
def test_need_form_refuses_bad_input(client, field, value, message):
    login(client, make_user("enterprise"))
    before = _count()
    resp = client.post("/needs/new", data={**GOOD, field: value, "csrf_token": csrf_token(client, "/needs/new")})
    assert resp.status_code == 200  # form shown again
    html = resp.get_data(as_text=True)
    assert message in html
    assert _count() == before



def test_html_and_script_are_shown_escaped(app, client):
    owner = make_user("enterprise")
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    login(client, owner)
    resp = client.post("/needs/new", data={**GOOD, "title": "标题" + evil[:60], "description": "描述" + evil,
                                          "keywords": evil[:50], "csrf_token": csrf_token(client, "/needs/new")})
    assert resp.status_code == 302
    need = db.session.scalar(select(Need).order_by(Need.id.desc()))
    need.status, need.published_at = "approved", need.created_at
    db.session.flush()
    for url in (f"/needs/{need.id}", "/needs", "/"):
        html = app.test_client().get(url).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html, url
        assert "&lt;script&gt;" in html, url


def test_form_without_csrf_token_is_refused(client):
    login(client, make_user("enterprise"))
    before = _count()
    resp = client.post("/needs/new", data=GOOD)
    assert resp.status_code == 400
    assert "安全令牌" in resp.get_data(as_text=True)
    assert _count() == before


def test_edit_with_bad_input_keeps_the_saved_listing(client):
    owner = make_user("enterprise")
    need = make_listing("need", owner, "draft")
    login(client, owner)
    resp = client.post(f"/needs/{need.id}/edit", data={**GOOD, "title": "", "budget_yuan": "-1",
                                                       "csrf_token": csrf_token(client, "/")})
    assert resp.status_code == 200
    db.session.refresh(need)
    assert need.title == "DN50球阀内漏问题攻关" and need.budget_yuan == 500_000


def test_achievement_price_absurd(client):
    login(client, make_user("university"))
    before = _count(Achievement)
    resp = client.post("/achievements/new", data={
        "title": "成果", "abstract": "一种用于阀门密封面的激光熔覆工艺。", "industry_code": "pump_valve", "maturity": "pilot",
        "transfer_mode": "license", "price_yuan": "1e12", "csrf_token": csrf_token(client, "/achievements/new")})
    assert "金额超出合理范围" in resp.get_data(as_text=True)
    assert _count(Achievement) == before


def test_database_refuses_negative_money_and_unknown_industry():
    """The rules hold in the database too, not only in forms."""
    from sqlalchemy.exc import IntegrityError
    owner = make_user("enterprise")
    for bad in ({"budget_yuan": -1}, {"industry_code": "no_such_industry"}, {"cooperation_mode": "x"}):
        with pytest.raises(IntegrityError):
            with db.session.begin_nested():
                make_listing("need", owner, "draft", **bad)


def test_filters_with_garbage_do_not_fail(client):
    for qs in ("min=abc&max=-3", "page=-1", "page=999999", "sort=drop table", "industry=<x>", "q=" + "阀" * 500,
               "q=%25%25%25_", "min=1e99"):
        assert client.get("/needs?" + qs).status_code == 200, qs
        assert client.get("/achievements?" + qs).status_code == 200, qs
