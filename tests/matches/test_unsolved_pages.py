"""The unsolved-needs lists (matching and 揭榜挂帅) show every unsolved need a page at a time, worst matched first."""
import re

import pytest

from app.extensions import db
from tests.conftest import login, make_listing, make_user

NEED_LINK = re.compile(r'href="/needs/(\d+)"')


@pytest.mark.parametrize("path", ["/bureau/unsolved-needs", "/calls/unsolved"])
def test_unsolved_needs_are_paged(client, path):
    ent = make_user("enterprise")
    made = [make_listing("need", ent, title=f"未解决需求{i}").id for i in range(53)]
    db.session.commit()
    login(client, make_user("bureau"))
    first = client.get(path).get_data(as_text=True)
    second = client.get(f"{path}?page=2").get_data(as_text=True)
    shown = [int(i) for i in NEED_LINK.findall(first)], [int(i) for i in NEED_LINK.findall(second)]
    assert len(shown[0]) == 50 and len(shown[1]) == 3
    assert sorted(shown[0] + shown[1]) == sorted(made)  # each once, none lost between the pages
    assert "53</span>" in first  # the count is of all of them, not of the page
