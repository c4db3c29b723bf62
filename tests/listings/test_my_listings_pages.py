"""「我的发布」 shows each kind a page at a time, each list with its own page number."""
import re

from app.extensions import db
from tests.conftest import login, make_listing, make_user

ACH = re.compile(r'href="/achievements/(\d+)"')


def test_my_achievements_are_paged(client):
    uni = make_user("university")
    made = [make_listing("achievement", uni, title=f"我的成果{i}", status="draft").id for i in range(53)]
    db.session.commit()
    login(client, uni)
    first = client.get("/my/listings").get_data(as_text=True)
    second = client.get("/my/listings?achievement_page=2").get_data(as_text=True)
    shown = [int(i) for i in ACH.findall(first)], [int(i) for i in ACH.findall(second)]
    assert len(shown[0]) == 50 and len(shown[1]) == 3 and sorted(shown[0] + shown[1]) == sorted(made)
    assert "achievement_page=2" in first and ">53</span>" in first
