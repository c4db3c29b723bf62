"""API test helpers: a token for a user, Authorization headers, a fresh rate-limit budget per test."""
import pytest

from app.api import tokens


@pytest.fixture(autouse=True)
def _fresh_rate_limits(app):
    app.extensions["api_limiter"].reset()
    yield


def token_for(user, name="测试令牌") -> str:
    _, secret = tokens.create(user, name)
    return secret


def bearer(secret: str | None) -> dict:
    return {"Authorization": f"Bearer {secret}"} if secret else {}


def is_problem(resp, status: int) -> dict:
    assert resp.status_code == status, resp.get_data(as_text=True)[:500]
    assert resp.mimetype == "application/problem+json", resp.mimetype
    body = resp.get_json(force=True)
    assert body["status"] == status and body["type"] and body["title"] and body["detail"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["detail"]), body["detail"]  # Chinese for people
    return body
