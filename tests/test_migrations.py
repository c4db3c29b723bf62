"""Migrations: one head; upgrade from empty, downgrade to base and up again, on SQLite and (in CI) PostgreSQL."""
import os
import uuid

import pytest
import sqlalchemy as sa
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from app import create_app
from app.extensions import db
from config import BASE_DIR, TestConfig


def test_one_head():
    cfg = AlembicConfig(str(BASE_DIR / "migrations" / "alembic.ini"))
    cfg.set_main_option("script_location", str(BASE_DIR / "migrations"))
    assert len(ScriptDirectory.from_config(cfg).get_heads()) == 1


def _urls(tmp_path):
    yield "sqlite", f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
    pg = os.environ.get("TEST_DATABASE_URL", "")
    if pg.startswith("postgres"):
        yield "postgresql", pg


def _fresh_pg(url: str):
    """A throw-away database next to the test database, so the round trip starts from nothing."""
    base = sa.engine.make_url(TestConfig.SQLALCHEMY_DATABASE_URI)
    name = f"migr_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    return base.set(database=name), admin, name


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_upgrade_downgrade_roundtrip(tmp_path, dialect):
    urls = dict(_urls(tmp_path))
    if dialect not in urls:
        pytest.skip("PostgreSQL round trip runs when TEST_DATABASE_URL points at PostgreSQL (CI)")
    admin = name = None
    url = urls[dialect]
    if dialect == "postgresql":
        url, admin, name = _fresh_pg(url)

    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = url.render_as_string(hide_password=False) if hasattr(url, "render_as_string") else url

    app = create_app(Cfg)
    try:
        with app.app_context():
            upgrade()
            insp = sa.inspect(db.engine)
            tables = set(insp.get_table_names())
            assert {"organizations", "users", "needs", "achievements", "patents", "industries", "towns"} <= tables
            with db.engine.connect() as c:
                assert c.execute(sa.text("select count(*) from industries")).scalar() == 8
                assert c.execute(sa.text("select count(*) from towns")).scalar() >= 20
            downgrade(revision="base")
            assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
            upgrade()
            assert "needs" in sa.inspect(db.engine).get_table_names()
            db.engine.dispose()
    finally:
        if admin is not None:
            with admin.connect() as c:
                c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_models_and_migrations_agree(tmp_path, dialect):
    """`flask db check`: after upgrading, autogenerate finds nothing to do — every model change has its migration."""
    urls = dict(_urls(tmp_path))
    if dialect not in urls:
        pytest.skip("PostgreSQL check runs when TEST_DATABASE_URL points at PostgreSQL (CI)")
    admin = name = None
    url = urls[dialect]
    if dialect == "postgresql":
        url, admin, name = _fresh_pg(url)

    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = url.render_as_string(hide_password=False) if hasattr(url, "render_as_string") else url

    app = create_app(Cfg)
    try:
        with app.app_context():
            upgrade()
            from flask_migrate import check
            check()  # raises (exits) when the models and the migrated schema differ
            db.engine.dispose()
    finally:
        if admin is not None:
            with admin.connect() as c:
                c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()
