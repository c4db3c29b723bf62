"""The backup and restore procedure of the README, run once on PostgreSQL: a database filled through the app's
models (the demo market: every domain), `flask ops backup`, `flask ops restore` into a new database, and the
restored copy holds the same rows — counts, exact amounts, Chinese text — and takes new rows (sequences restored).
"""
import os
import shutil

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy.pool import NullPool

from app import create_app
from app.ops import backup
from config import TestConfig

ON_PG = TestConfig.SQLALCHEMY_DATABASE_URI.startswith("postgresql")


def test_backup_refuses_sqlite_and_keeps_passwords_off_the_command_line():
    with pytest.raises(backup.BackupError, match="只支持 PostgreSQL"):
        backup.libpq_env("sqlite:///instance/x.sqlite3")
    env = backup.libpq_env("postgresql+psycopg://yjtm:p%40ss@db.example:6432/market?sslmode=require")
    assert env == {"PGHOST": "db.example", "PGPORT": "6432", "PGUSER": "yjtm", "PGPASSWORD": "p@ss",
                   "PGDATABASE": "market", "PGSSLMODE": "require"}
    assert backup.libpq_env("postgresql://u@/market?host=/run/postgresql")["PGHOST"] == "/run/postgresql"


@pytest.fixture
def _db_transaction():
    """Overrides tests/conftest.py: pg_dump is another process and must see committed rows."""
    yield


@pytest.fixture
def databases():
    if not ON_PG:
        pytest.skip("backup and restore are PostgreSQL procedures (set TEST_DATABASE_URL)")
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump/pg_restore not installed (postgresql-client)")
    base = sa.engine.make_url(TestConfig.SQLALCHEMY_DATABASE_URI)
    src, dst = f"{base.database}_ops_src_{os.getpid()}", f"{base.database}_ops_dst_{os.getpid()}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)

    def drop():
        with admin.connect() as c:
            for name in (src, dst):
                c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    drop()
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{src}"')
    try:
        yield base.set(database=src), dst
    finally:
        drop()
        admin.dispose()


def _contracts(url):
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as c:
            return c.execute(sa.text(
                "SELECT id, title, status, contract_amount_yuan, tech_amount_yuan, signed_on, counted_on, "
                "registration_number FROM contracts ORDER BY id")).all()
    finally:
        engine.dispose()


def test_backup_restore_round_trip(databases, tmp_path):
    from app.contracts.models import Contract
    from app.demo import loader
    from app.extensions import db

    src_url, dst = databases
    src_cfg = type("SrcConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": src_url.render_as_string(False)})
    app = create_app(src_cfg)
    with app.app_context():
        upgrade()
        loader.load()
        contract = db.session.scalar(sa.select(Contract).where(Contract.status == "registered").order_by(Contract.id))
        contract.contract_amount_yuan = 9_876_543_219  # above 2**31 and not a float-friendly figure
        contract.tech_amount_yuan = 1_234_567_891
        contract.title = "金属硬密封球阀密封副优化技术转让合同（第②版）"
        db.session.commit()
        contract_id = contract.id
        db.session.remove()
        db.engine.dispose()

    before = backup.counts(src_url)
    assert before["revision"] and before["tables"]["contracts"] >= 700 and before["tables"]["organizations"] >= 60
    source_contracts = _contracts(src_url)

    runner = app.test_cli_runner()
    archive = tmp_path / "techmarket.dump"
    result = runner.invoke(args=["ops", "backup", "--out", str(archive)])
    assert result.exit_code == 0, result.output
    assert "已备份数据库" in result.output and archive.stat().st_size > 10_000
    assert not (tmp_path / "techmarket.dump.partial").exists()
    # a second backup never overwrites the first
    again = runner.invoke(args=["ops", "backup", "--out", str(archive)])
    assert again.exit_code != 0 and "已存在" in again.output

    result = runner.invoke(args=["ops", "restore", str(archive), "--database", dst])
    assert result.exit_code == 0, result.output
    assert f"contracts\t{before['tables']['contracts']}" in result.output

    dst_url = src_url.set(database=dst)
    assert backup.counts(dst_url) == before
    restored = _contracts(dst_url)
    assert restored == source_contracts
    row = next(r for r in restored if r.id == contract_id)
    assert (row.contract_amount_yuan, row.tech_amount_yuan) == (9_876_543_219, 1_234_567_891)
    assert row.title == "金属硬密封球阀密封副优化技术转让合同（第②版）"

    # restoring never touches an existing database
    result = runner.invoke(args=["ops", "restore", str(archive), "--database", dst])
    assert result.exit_code != 0 and "已存在" in result.output

    # switch: the app on the restored database works and its sequences continue after the restored rows
    dst_cfg = type("DstConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": dst_url.render_as_string(False)})
    switched = create_app(dst_cfg)
    with switched.app_context():
        from tests.conftest import make_org
        org = make_org()
        db.session.commit()
        assert org.id > max(r for r in db.session.scalars(sa.text("SELECT id FROM organizations WHERE id <> :i"),
                                                         {"i": org.id}))
        db.session.remove()
        db.engine.dispose()
    assert switched.test_client().get("/readyz").status_code == 200
