"""The role × action matrix through the API equals the pages' matrix (tests/listings/test_permission_matrix.py).

The pages' expected statuses are translated into outcomes, and the same actions are done through /api/v1 with a
token of each role: allowed (page 200/302, API 2xx), login (page redirect to /login, API 401), forbidden (403),
hidden (404). The table is imported, so the two cannot drift apart.
"""
import pytest

from app.extensions import db
from tests.api.conftest import bearer, token_for
from tests.listings.test_permission_matrix import LOGIN, MATRIX, ROLES, world  # noqa: F401  (fixture)

# Page actions with no API counterpart: organization verification is a bureau page only.
NOT_IN_API = {"org_verification"}

NEED = {"title": "高温球阀密封改进", "description": "高温工况下球阀内漏，需要新的密封结构和材料方案。",
        "industry_code": "pump_valve", "cooperation_mode": "co_develop", "budget_yuan": "300000.00"}
ACH = {"title": "激光熔覆密封面技术", "abstract": "激光熔覆硬质合金密封面，耐磨耐蚀，适用于高温高压阀门。",
       "industry_code": "pump_valve", "maturity": "pilot", "transfer_mode": "license"}


def page_outcome(role: str, status: int) -> str:
    if role == "anonymous" and status == LOGIN:
        return "login"
    return {200: "allowed", 302: "allowed", 403: "forbidden", 404: "hidden"}[status]


def api_outcome(status: int) -> str:
    if 200 <= status < 300:
        return "allowed"
    return {401: "login", 403: "forbidden", 404: "hidden"}.get(status, f"unexpected {status}")


def _do(client, w, action, headers):
    n, p, d, a, pa = (w["approved_need"].id, w["pending_need"].id, w["draft_need"].id, w["approved_ach"].id,
                      w["pending_ach"].id)

    def put(url, body):
        etag = client.get(url, headers=headers).headers.get("ETag") or '"none"'
        return client.put(url, json=body, headers={**headers, "If-Match": etag})

    return {
        "browse_needs": lambda: client.get("/api/v1/needs", headers=headers),
        "browse_achievements": lambda: client.get("/api/v1/achievements", headers=headers),
        "view_approved_need": lambda: client.get(f"/api/v1/needs/{n}", headers=headers),
        "view_pending_need": lambda: client.get(f"/api/v1/needs/{p}", headers=headers),
        "view_draft_need": lambda: client.get(f"/api/v1/needs/{d}", headers=headers),
        "new_need_form": lambda: client.post("/api/v1/needs", json=NEED, headers=headers),
        "new_achievement_form": lambda: client.post("/api/v1/achievements", json=ACH, headers=headers),
        "edit_own_need_form": lambda: put(f"/api/v1/needs/{n}", NEED),
        "edit_achievement_form": lambda: put(f"/api/v1/achievements/{a}", ACH),
        "submit_draft_need": lambda: client.post(f"/api/v1/needs/{d}/submit", headers=headers),
        "withdraw_need": lambda: client.post(f"/api/v1/needs/{p}/withdraw", headers=headers),
        "archive_need": lambda: client.post(f"/api/v1/needs/{n}/archive", headers=headers),
        "approve_need": lambda: client.post(f"/api/v1/needs/{p}/approve", headers=headers),
        "reject_achievement": lambda: client.post(f"/api/v1/achievements/{pa}/reject", json={"reason": "材料不全"},
                                                  headers=headers),
        "review_queue": lambda: client.get("/api/v1/review-queue", headers=headers),
        "my_listings": lambda: client.get("/api/v1/me/needs", headers=headers),
        "add_patent": lambda: client.post(f"/api/v1/achievements/{a}/patents", headers=headers, json={
            "number": "ZL202310000001.1", "title": "一种球阀", "patent_type": "invention", "status": "granted"}),
    }[action]()


CASES = [(action, role, page_outcome(role, expected[i]))
         for action, expected in MATRIX.items() if action not in NOT_IN_API for i, role in enumerate(ROLES)]


@pytest.mark.parametrize(("action", "role", "expected"), CASES, ids=[f"{a}-{r}" for a, r, _ in CASES])
def test_api_matrix_equals_pages(client, world, action, role, expected):  # noqa: F811  (the pages' fixture)
    headers = bearer(token_for(world["users"][role])) if role != "anonymous" else {}
    resp = _do(client, world, action, headers)
    assert api_outcome(resp.status_code) == expected, resp.get_data(as_text=True)[:300]
    if resp.status_code >= 400:
        assert resp.mimetype == "application/problem+json"


def test_refused_approve_changes_nothing(client, world):  # noqa: F811
    pending = world["pending_need"]
    resp = client.post(f"/api/v1/needs/{pending.id}/approve", headers=bearer(token_for(world["users"]["enterprise"])))
    assert resp.status_code == 403
    db.session.refresh(pending)
    assert pending.status == "pending"
