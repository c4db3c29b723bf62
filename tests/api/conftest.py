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


def api_pages(app, user, path: str, per_page: int = 5) -> list[dict]:
    """Every page of an API list as `user` sees it (a token of theirs; what the test made is committed first)."""
    from app.extensions import db
    secret = token_for(user, "分页")
    db.session.commit()
    app.extensions["api_limiter"].reset()
    client, pages = app.test_client(), []
    while not pages or len(pages) < pages[0]["pages"]:
        sep = "&" if "?" in path else "?"
        pages.append(client.get(f"{path}{sep}per_page={per_page}&page={len(pages) + 1}", headers=bearer(secret))
                     .get_json())
    return pages


def bearer(secret: str | None) -> dict:
    return {"Authorization": f"Bearer {secret}"} if secret else {}


def is_problem(resp, status: int) -> dict:
    assert resp.status_code == status, resp.get_data(as_text=True)[:500]
    assert resp.mimetype == "application/problem+json", resp.mimetype
    body = resp.get_json(force=True)
    assert body["status"] == status and body["type"] and body["title"] and body["detail"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["detail"]), body["detail"]  # Chinese for people
    return body
