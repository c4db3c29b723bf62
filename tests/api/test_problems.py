"""Every 4xx/5xx under /api/v1 is application/problem+json with a Chinese detail; the pages keep HTML errors."""
import pytest

from tests.api.conftest import bearer, is_problem, token_for
from tests.conftest import make_listing, make_user


def test_unknown_route_404(client):
    is_problem(client.get("/api/v1/no-such-thing"), 404)
    is_problem(client.get("/api/v1/needs/999999999"), 404)


def test_405_keeps_allow_header(client):
    resp = client.delete("/api/v1/needs")
    is_problem(resp, 405)
    assert "GET" in resp.headers["Allow"]


def test_401_and_403(client):
    is_problem(client.post("/api/v1/needs", json={}), 401)
    n = make_listing("need", make_user("enterprise"), "pending")
    is_problem(client.post(f"/api/v1/needs/{n.id}/approve", headers=bearer(token_for(make_user("enterprise")))), 403)
    is_problem(client.get("/api/v1/review-queue", headers=bearer(token_for(make_user("broker")))), 403)


def test_framework_validation_errors_per_field(client):
    h = bearer(token_for(make_user("enterprise")))
    body = is_problem(client.post("/api/v1/needs", json={"title": 5, "industry_code": "nope", "extra": 1}, headers=h), 422)
    assert {"title", "industry_code", "extra", "description", "cooperation_mode"} <= set(body["errors"])
    assert all(isinstance(v, list) and v for v in body["errors"].values())
    is_problem(client.get("/api/v1/needs", query_string={"page": "abc"}), 422)


def test_malformed_json_and_wrong_content_type(client):
    h = bearer(token_for(make_user("enterprise")))
    resp = client.post("/api/v1/needs", data="{not json", headers={**h, "Content-Type": "application/json"})
    assert resp.status_code in (400, 422)
    is_problem(resp, resp.status_code)
    resp = client.post("/api/v1/needs", data="title=x", headers={**h, "Content-Type": "application/x-www-form-urlencoded"})
    is_problem(resp, resp.status_code)


def test_500_is_a_problem_too(client, app, monkeypatch):
    from app.listings import queries

    def boom():
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(queries, "headline_figures", boom)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    body = is_problem(client.get("/api/v1/statistics/summary"), 500)
    assert "simulated" not in body["detail"]  # no internals leak


@pytest.mark.parametrize("url", ["/no-such-page", "/needs/999999999"])
def test_pages_keep_html_errors(client, url):
    resp = client.get(url)
    assert resp.status_code == 404 and resp.mimetype == "text/html"


def test_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    # errors documented as problems, so clients (and schemathesis) know the format
    default = doc["components"]["responses"]["DEFAULT_ERROR"]["content"]
    assert list(default) == ["application/problem+json"]
    put = doc["paths"]["/api/v1/needs/{listing_id}"]["put"]
    assert {"412", "428"} <= set(put["responses"])
    assert client.get("/api/v1/docs").status_code == 200
