"""Issue 5 on the real stack: a contract registered in the web app reaches the cockpit through the worker; a task
queued while no worker runs is done when one comes back."""
from datetime import date

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.stats.models import ContractStat
from tests.conftest import FreshContextClient, csrf_token, login, make_user
from tests.integration.conftest import wait_for
from tests.stats.factories import make_contract


def _stat_total():
    db.session.rollback()
    return db.session.scalar(select(func.coalesce(func.sum(ContractStat.contract_amount_yuan), 0)))


def test_registration_in_the_web_app_reaches_the_cockpit_via_the_worker(stack):
    app = stack["app"]
    app.test_client_class = FreshContextClient
    with app.app_context():
        bureau = make_user("bureau")
        c = make_contract(88_000_000, status="submitted", counted_on=date.today())
        c.registration_number = c.registered_on = c.counted_on = None
        cid, email = c.id, bureau.email
        db.session.commit()
        db.session.close()
        client = app.test_client()
        login(client, email)
        resp = client.post(f"/contracts/{cid}/register", data={"csrf_token": csrf_token(client, f"/contracts/{cid}")})
        assert resp.status_code == 302
        assert wait_for(lambda: _stat_total() == 88_000_000), stack["log"].read_text()[-3000:]
        html = client.get(f"/bureau/cockpit?year={date.today().year}").get_data(as_text=True)
        assert "8800万元" in html
    assert "stats.recompute" in stack["log"].read_text()


@pytest.mark.parametrize("stack", [False], indirect=True)
def test_task_queued_while_worker_down_runs_when_it_comes_back(stack):
    app = stack["app"]
    with app.app_context():
        make_contract(5_000_000)
        db.session.commit()
        from tasks import dispatch
        assert dispatch("stats.recompute") is True  # queued on Redis; no worker yet
        assert _stat_total() == 0
        stack["start_worker"]()
        assert wait_for(lambda: _stat_total() == 5_000_000), stack["log"].read_text()[-3000:]
