"""The demo activities load on top of the demo market: a held 泵阀专场 with outcomes and a registered contract, an
open one, an open 揭榜 call with an application and an awarded one; the pages show them."""
from sqlalchemy import func, select

from app.calls.models import ChallengeCall
from app.demo import loader
from app.events import figures
from app.events.models import MatchmakingEvent
from app.extensions import db
from tests.conftest import login


def test_demo_activities(client):
    counts = loader.load()  # the demo market includes the activities
    assert counts["对接活动"] == 2 and counts["揭榜榜单"] == 2
    held = db.session.scalar(select(MatchmakingEvent).where(MatchmakingEvent.status == "finished"))
    f = figures.event_figures(held)
    assert f["deals"] == 1 and f["intents"] == 2 and f["no_interest"] == 1 and 0 < f["attended"] <= f["registered"]
    assert figures.activity_contract_volume()["event"]["contract_amount_yuan"] == 680_000 == f["volume"]["contract_amount_yuan"]
    assert db.session.scalar(select(func.count()).select_from(ChallengeCall)) == 2
    assert "2026泵阀专场供需对接会" in client.get("/events").get_data(as_text=True)
    assert "阀门内漏在线检测技术攻关" in client.get("/calls").get_data(as_text=True)
    login(client, "institute@demo.yjtm.cn", loader.PASSWORD)
    call = db.session.scalar(select(ChallengeCall).where(ChallengeCall.status == "open"))
    assert "我要揭榜" in client.get(f"/calls/{call.id}").get_data(as_text=True)
    coming = db.session.scalar(select(MatchmakingEvent).where(MatchmakingEvent.status == "scheduled"))
    assert "报名参加" in client.get(f"/events/{coming.id}").get_data(as_text=True)


def test_demo_pages_for_the_bureau(client, fresh_index):
    loader.load()
    login(client, "bureau@demo.yjtm.cn", loader.PASSWORD)
    for e in db.session.scalars(select(MatchmakingEvent)):
        html = client.get(f"/events/{e.id}").get_data(as_text=True)
        assert "对接组合" in html and "活动记录" in html
        assert client.get(f"/events/{e.id}/agenda.xlsx").status_code == 200
    coming = db.session.scalar(select(MatchmakingEvent).where(MatchmakingEvent.status == "scheduled"))
    html = client.get(f"/events/{coming.id}/propose").get_data(as_text=True)
    assert 'name="pair"' in html and 'name="listing"' in html
    for url in ("/bureau/activities", "/calls/unsolved", "/events/new", "/calls/new"):
        assert client.get(url).status_code == 200, url
    for c in db.session.scalars(select(ChallengeCall)):
        assert client.get(f"/calls/{c.id}").status_code == 200
