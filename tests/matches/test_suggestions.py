"""Explained suggestions in the app: refreshed on approval through the task, both directions, feedback, unsolved."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.listings import services as listings
from app.matches import services
from app.matches.models import Match, MatchFeedback
from matching import Matcher
from tests.conftest import csrf_token, login, make_listing, make_user


@pytest.fixture(autouse=True)
def fresh_index(app, tmp_path):
    """The index lives next to the test; it is rebuilt from this test's (rolled-back) database."""
    old = app.config["MATCHING_INDEX_PATH"]
    app.config["MATCHING_INDEX_PATH"] = str(tmp_path / "matching.idx")
    services._process.update(matcher=None, key=None)
    yield
    app.config["MATCHING_INDEX_PATH"] = old
    services._process.update(matcher=None, key=None)


@pytest.fixture
def market():
    uni = make_user("university")
    ent = make_user("enterprise")
    bureau = make_user("bureau")
    achs = [
        make_listing("achievement", uni, title="金属硬密封球阀密封副优化", abstract="通过激光熔覆硬质合金密封面，球阀在高温工况下泄漏量显著降低，达到ANSI VI级密封。",
                     keywords="球阀、密封、泄漏"),
        make_listing("achievement", uni, title="高防滑鞋底橡胶配方", abstract="提高鞋底湿态摩擦系数，防滑性能优于国标要求。",
                     keywords="防滑、鞋底", industry_code="fashion"),
        make_listing("achievement", uni, title="离心泵叶轮抗汽蚀设计", abstract="优化叶片进口角，降低汽蚀余量，减少叶轮麻点与噪声。",
                     keywords="离心泵、汽蚀"),
    ]
    return {"uni": uni, "ent": ent, "bureau": bureau, "achs": achs}


def _approve_new_need(market, **fields):
    need = make_listing("need", market["ent"], "pending", **fields)
    listings.approve(market["bureau"], need)
    db.session.commit()
    services.on_listing_changed("need", need.id, "approve")  # what the view's signal does after commit
    return need


def test_approval_refreshes_suggestions_with_explanations(app, client, market):
    need = _approve_new_need(market, title="阀门关不严一直漏", description="厂里的球阀关不严，管道一直滴，高温时泄漏更严重。",
                             keywords="漏、球阀")
    rows = db.session.scalars(select(Match).where(Match.need_id == need.id).order_by(Match.score.desc())).all()
    assert rows, "approval must produce suggestions"
    assert rows[0].achievement_id == market["achs"][0].id
    assert rows[0].in_need_top and rows[0].terms
    shoe = market["achs"][1].id  # shares no meaning with a leaking valve: never above the valve seal
    assert all(r.score < rows[0].score for r in rows if r.achievement_id == shoe)

    login(client, market["ent"])
    html = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "推荐成果" in html and "金属硬密封球阀密封副优化" in html
    assert "匹配词" in html
    # the public does not see another organization's suggestions
    anon = app.test_client().get(f"/needs/{need.id}").get_data(as_text=True)
    assert "推荐成果" not in anon


def test_other_direction_on_achievement_page(client, market):
    need = _approve_new_need(market, title="离心泵噪声大叶轮有麻点", description="水泵运行噪声大，叶轮用三个月就有麻点，怀疑是汽蚀。")
    ach = market["achs"][2]
    services.refresh_listing("achievement", ach.id)
    login(client, market["uni"])
    html = client.get(f"/achievements/{ach.id}").get_data(as_text=True)
    assert "潜在需求" in html and need.title in html


def test_withdraw_and_archive_retire_suggestions(market):
    need = _approve_new_need(market, title="球阀泄漏", description="球阀密封面磨损后泄漏，需要耐磨密封方案。")
    assert db.session.scalar(select(Match).where(Match.need_id == need.id, Match.in_need_top.is_(True)))
    listings.archive(market["ent"], need)
    db.session.commit()
    services.on_listing_changed("need", need.id, "archive")
    assert db.session.scalar(select(Match).where(Match.need_id == need.id, Match.in_need_top.is_(True))) is None
    assert f"N{need.id}" not in services.engine()


def test_index_persisted_and_loaded_by_another_process(app, market):
    need = _approve_new_need(market, title="阀门内漏", description="闸阀关闭后仍有内漏，需要检测和修复办法。")
    m = Matcher.load(app.config["MATCHING_INDEX_PATH"])  # what a second worker does at start-up
    assert f"N{need.id}" in m and f"A{market['achs'][0].id}" in m


def test_refresh_is_idempotent(market):
    need = _approve_new_need(market, title="球阀内漏", description="球阀关不严，介质内漏，需要改进密封。")
    before = [(r.achievement_id, r.score) for r in db.session.scalars(select(Match).where(Match.need_id == need.id))]
    services.refresh_listing("need", need.id)
    services.refresh_listing("need", need.id)
    after = [(r.achievement_id, r.score) for r in db.session.scalars(select(Match).where(Match.need_id == need.id))]
    assert sorted(before) == sorted(after)


def test_feedback_stored_and_dismissed_hidden_for_that_org(app, client, market):
    need = _approve_new_need(market, title="阀门漏水", description="球阀关不严漏水，需要更好的密封方案。")
    top = services.suggestions(market["ent"], need)[0]["match"]
    login(client, market["ent"])
    token = csrf_token(client, f"/needs/{need.id}")
    client.post(f"/matches/{top.id}/feedback", data={"csrf_token": token, "verdict": "dismissed"})
    fb = db.session.scalar(select(MatchFeedback).where(MatchFeedback.match_id == top.id))
    assert fb.verdict == "dismissed" and fb.organization_id == market["ent"].organization_id
    assert top.id not in [s["match"].id for s in services.suggestions(market["ent"], need)]
    # the bureau still sees it, and sees the feedback
    assert top.id in [s["match"].id for s in services.suggestions(market["bureau"], need)]
    b = app.test_client()
    login(b, market["bureau"])
    assert need.title in b.get("/bureau/match-feedback").get_data(as_text=True)
    # an unrelated enterprise may not give feedback
    other = app.test_client()
    login(other, make_user("enterprise"))
    resp = other.post(f"/matches/{top.id}/feedback", data={"csrf_token": csrf_token(other, "/"), "verdict": "useful"})
    assert resp.status_code == 403
    bad = client.post(f"/matches/{top.id}/feedback", data={"csrf_token": token, "verdict": "maybe"})
    assert bad.status_code == 302
    assert db.session.scalar(select(MatchFeedback).where(MatchFeedback.match_id == top.id)).verdict == "dismissed"


def test_unsolved_needs_list(app, market):
    solved = _approve_new_need(market, title="球阀内漏严重", description="球阀密封面泄漏，需要硬密封改造。", keywords="球阀、密封")
    unsolved = _approve_new_need(market, title="茶叶揉捻机能耗高", description="名优绿茶加工揉捻工序耗电多，想降低能耗并保持条索紧结。",
                                 industry_code="agriculture", keywords="茶叶、揉捻")
    ids = [n.id for n, _ in db.session.execute(services.unsolved_needs_query())]
    assert unsolved.id in ids and solved.id not in ids
    c = app.test_client()
    login(c, market["bureau"])
    assert "茶叶揉捻机能耗高" in c.get("/bureau/unsolved-needs").get_data(as_text=True)


def test_rebuild_cli(app, market):
    _approve_new_need(market, title="水泵汽蚀", description="离心泵汽蚀严重，叶轮损坏快。")
    result = app.test_cli_runner().invoke(args=["matching", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "已重建索引（4 条）" in result.output


def test_celery_tasks_registered(app):
    celery = app.extensions["celery"]
    assert {"matching.refresh_listing", "matching.rebuild_index"} <= set(celery.tasks)
    assert celery.conf.task_serializer == "json" and celery.conf.task_always_eager
