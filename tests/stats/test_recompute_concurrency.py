"""Two recomputes at the same time on PostgreSQL do not double-count (the summary table is locked)."""
import os
import threading
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.extensions import db
from app.stats import services
from app.stats.models import ContractStat


@pytest.fixture
def _db_transaction():
    """Threads need committed rows: this test manages its own data instead of the rolled-back transaction."""
    yield


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
                    reason="the race needs PostgreSQL (CI)")
def test_concurrent_recomputes_do_not_double_count(app):
    from tests.stats.factories import make_contract
    with app.app_context():
        for i in range(20):
            make_contract(1_000_000 + i, counted_on=date(2026, 1 + i % 12, 1))
        db.session.commit()
        expected = services.registered_volume_direct(2026)
        errors = []

        def run():
            try:
                with app.app_context():
                    services.recompute_contract_stats()
            except Exception as e:  # pragma: no cover - reported below
                errors.append(e)

        threads = [threading.Thread(target=run) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        try:
            assert not errors
            with Session(db.engine) as s:
                total = s.scalar(sa.select(sa.func.sum(ContractStat.contract_amount_yuan)))
            assert total == expected == sum(1_000_000 + i for i in range(20))
        finally:
            with db.engine.begin() as conn:
                for t in ("contract_stats", "contracts", "users", "organizations"):
                    conn.execute(sa.text(f"DELETE FROM {t}"))
