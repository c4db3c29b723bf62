"""The demo market gives broker@demo.yjtm.cn a certified, trained profile with a deal to follow."""
from app.accounts.services import find_user
from app.brokers import services
from app.demo import loader
from tests.conftest import csrf_token


def test_demo_broker_is_certified_and_follows_a_deal(app, client):
    loader.load()
    broker = find_user("broker@demo.yjtm.cn")
    profile = services.certified_profile(broker)
    assert profile is not None and profile.trained and profile.level == "intermediate"
    assert services.trained_broker_count() >= 1
    resp = client.post("/login", data={"email": broker.email, "password": loader.PASSWORD,
                                       "csrf_token": csrf_token(client, "/login")})
    assert resp.status_code == 302
    page = client.get("/broker/profile").get_data(as_text=True)
    assert "ZJJJR-2024-0301" in page and "/deals/" in page
    assert "/deals/" in client.get("/deals?scope=claimable").get_data(as_text=True)
