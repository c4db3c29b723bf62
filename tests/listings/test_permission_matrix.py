"""The role × action matrix of design.md §2, checked by HTTP status through the pages."""
import pytest

from app.extensions import db
from tests.conftest import login, make_listing, make_user

ROLES = ["anonymous", "enterprise", "other_enterprise", "university", "institute", "broker", "bureau", "admin"]


@pytest.fixture
def world():
    owner = make_user("enterprise")
    uni = make_user("university")
    w = {
        "users": {
            "enterprise": owner,
            "other_enterprise": make_user("enterprise"),
            "university": uni,
            "institute": make_user("institute"),
            "broker": make_user("broker", org=None),
            "bureau": make_user("bureau"),
            "admin": make_user("admin"),
        },
        "approved_need": make_listing("need", owner, "approved"),
        "pending_need": make_listing("need", owner, "pending", title="待审核的需求"),
        "draft_need": make_listing("need", owner, "draft", title="草稿需求"),
        "approved_ach": make_listing("achievement", uni, "approved"),
        "pending_ach": make_listing("achievement", uni, "pending", title="待审核成果"),
    }
    db.session.flush()
    return w


def _as(client, world, role):
    if role != "anonymous":
        login(client, world["users"][role])
    return client


LOGIN = 302  # anonymous users are sent to the login page
# action -> expected status per role, in ROLES order
MATRIX = {
    "browse_needs":        [200, 200, 200, 200, 200, 200, 200, 200],
    "browse_achievements": [200, 200, 200, 200, 200, 200, 200, 200],
    "view_approved_need":  [200, 200, 200, 200, 200, 200, 200, 200],
    "view_pending_need":   [404, 200, 404, 404, 404, 404, 200, 200],
    "view_draft_need":     [404, 200, 404, 404, 404, 404, 200, 200],
    "new_need_form":       [LOGIN, 200, 200, 403, 403, 403, 403, 403],
    "new_achievement_form": [LOGIN, 403, 403, 200, 200, 403, 403, 403],
    "edit_own_need_form":  [LOGIN, 200, 403, 403, 403, 403, 403, 403],
    "edit_achievement_form": [LOGIN, 403, 403, 200, 403, 403, 403, 403],
    "submit_draft_need":   [LOGIN, 302, 403, 403, 403, 403, 403, 403],
    "withdraw_need":       [LOGIN, 302, 403, 403, 403, 403, 403, 403],
    "archive_need":        [LOGIN, 302, 403, 403, 403, 403, 302, 302],
    "approve_need":        [LOGIN, 403, 403, 403, 403, 403, 302, 302],
    "reject_achievement":  [LOGIN, 403, 403, 403, 403, 403, 302, 302],
    "review_queue":        [LOGIN, 403, 403, 403, 403, 403, 200, 200],
    "org_verification":    [LOGIN, 403, 403, 403, 403, 403, 200, 200],
    "my_listings":         [LOGIN, 200, 200, 200, 200, 200, 200, 200],
    "add_patent":          [LOGIN, 403, 403, 302, 403, 403, 403, 403],
}


def _do(client, world, action):
    from tests.conftest import csrf_token
    w = world
    token = csrf_token(client, "/login") if True else None
    n, p, d, a, pa = (w["approved_need"].id, w["pending_need"].id, w["draft_need"].id, w["approved_ach"].id,
                      w["pending_ach"].id)
    post = lambda url, **data: client.post(url, data={"csrf_token": token, **data})  # noqa: E731
    return {
        "browse_needs": lambda: client.get("/needs"),
        "browse_achievements": lambda: client.get("/achievements"),
        "view_approved_need": lambda: client.get(f"/needs/{n}"),
        "view_pending_need": lambda: client.get(f"/needs/{p}"),
        "view_draft_need": lambda: client.get(f"/needs/{d}"),
        "new_need_form": lambda: client.get("/needs/new"),
        "new_achievement_form": lambda: client.get("/achievements/new"),
        "edit_own_need_form": lambda: client.get(f"/needs/{n}/edit"),
        "edit_achievement_form": lambda: client.get(f"/achievements/{a}/edit"),
        "submit_draft_need": lambda: post(f"/needs/{d}/submit"),
        "withdraw_need": lambda: post(f"/needs/{p}/withdraw"),
        "archive_need": lambda: post(f"/needs/{n}/archive"),
        "approve_need": lambda: post(f"/needs/{p}/approve"),
        "reject_achievement": lambda: post(f"/achievements/{pa}/reject", reason="材料不全"),
        "review_queue": lambda: client.get("/bureau/review"),
        "org_verification": lambda: client.get("/bureau/organizations"),
        "my_listings": lambda: client.get("/my/listings"),
        "add_patent": lambda: post(f"/achievements/{a}/patents", number="ZL202310000001.1", title="一种球阀",
                                   patent_type="invention", status="granted"),
    }[action]()


CASES = [(action, role, expected[i]) for action, expected in MATRIX.items() for i, role in enumerate(ROLES)]


@pytest.mark.parametrize(("action", "role", "expected"), CASES, ids=[f"{a}-{r}" for a, r, _ in CASES])
def test_matrix(client, world, action, role, expected):
    _as(client, world, role)
    resp = _do(client, world, action)
    assert resp.status_code == expected, resp.get_data(as_text=True)[:300]
    if expected == LOGIN and role == "anonymous":
        assert "/login" in resp.headers["Location"]


def test_refused_actions_change_nothing(client, world):
    """A refused approve leaves the listing exactly as it was."""
    login(client, world["users"]["enterprise"])
    from tests.conftest import csrf_token
    pending = world["pending_need"]
    resp = client.post(f"/needs/{pending.id}/approve", data={"csrf_token": csrf_token(client, "/")})
    assert resp.status_code == 403
    db.session.refresh(pending)
    assert pending.status == "pending"
