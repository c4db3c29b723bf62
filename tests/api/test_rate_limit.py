"""Rate limits per token (per IP when anonymous): 429 problem with Retry-After; pages are not limited."""
import pytest

from tests.api.conftest import bearer, is_problem, token_for
from tests.conftest import make_user


@pytest.fixture
def low_limits(app, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT_TOKEN", "3 per minute")
    monkeypatch.setitem(app.config, "API_RATE_LIMIT_ANON", "2 per minute")
    app.extensions["api_limiter"].reset()
    yield
    app.extensions["api_limiter"].reset()


def test_token_limit_429_with_retry_after(client, low_limits):
    a, b = bearer(token_for(make_user("enterprise"))), bearer(token_for(make_user("enterprise")))
    for _ in range(3):
        assert client.get("/api/v1/needs", headers=a).status_code == 200
    resp = client.get("/api/v1/statistics/summary", headers=a)  # one budget across the whole API
    body = is_problem(resp, 429)
    assert "频繁" in body["detail"]
    assert 0 < int(resp.headers["Retry-After"]) <= 60  # the end of the minute window
    # another token has its own budget
    assert client.get("/api/v1/needs", headers=b).status_code == 200


def test_anonymous_limit_per_ip(client, low_limits):
    ip = {"REMOTE_ADDR": "127.0.0.7"}
    for _ in range(2):
        assert client.get("/api/v1/needs", environ_base=ip).status_code == 200
    resp = client.get("/api/v1/needs", environ_base=ip)
    is_problem(resp, 429)
    assert "Retry-After" in resp.headers
    assert client.get("/api/v1/needs", environ_base={"REMOTE_ADDR": "127.0.0.8"}).status_code == 200
    # the pages are not limited by the API's budget
    assert client.get("/needs", environ_base=ip).status_code == 200
