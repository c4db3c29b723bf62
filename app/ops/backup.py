"""Database backup and restore (PostgreSQL): pg_dump's custom format, restored with pg_restore into a database
created for it — never over an existing one — then checked by counting rows. README → Backup and restore.

Credentials go to pg_dump/pg_restore through the libpq environment (PGPASSWORD …), never on a command line."""
import os
import re
import shutil
import subprocess
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

_DB_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
# libpq environment variables for the URL query parameters people use
_QUERY_ENV = {"sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY",
              "connect_timeout": "PGCONNECT_TIMEOUT", "host": "PGHOST", "port": "PGPORT"}


class BackupError(Exception):
    """A refusal or a failure to show the operator (Chinese message)."""


def _pg_url(url: str | sa.URL) -> sa.URL:
    u = sa.engine.make_url(url)
    if u.get_backend_name() != "postgresql":
        raise BackupError(f"备份与恢复只支持 PostgreSQL，当前数据库为 {u.get_backend_name()}")
    return u


def libpq_env(url: str | sa.URL, database: str | None = None) -> dict[str, str]:
    """The environment that points pg_dump/pg_restore at `url` (or at `database` on the same server)."""
    u = _pg_url(url)
    env = {}
    for key, var in _QUERY_ENV.items():
        value = u.query.get(key)
        if value:
            env[var] = value if isinstance(value, str) else value[0]
    if u.host:
        env["PGHOST"] = u.host
    if u.port:
        env["PGPORT"] = str(u.port)
    if u.username:
        env["PGUSER"] = u.username
    if u.password:
        env["PGPASSWORD"] = u.password
    env["PGDATABASE"] = database or u.database or ""
    return env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise BackupError(f"找不到 {name}（Debian：apt-get install postgresql-client，版本不低于数据库服务器）")
    return path


def _run(args: list[str], env: dict[str, str]) -> str:
    proc = subprocess.run(args, env={**os.environ, **env}, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} 失败（退出码 {proc.returncode}）：{proc.stderr.strip()[-2000:]}")
    return proc.stdout


def backup(url: str | sa.URL, out: str | Path) -> dict:
    """pg_dump -Fc of the whole database to `out`. Written to a .partial file first and moved into place only
    when pg_restore can read its table of contents, so a file named `out` is always a complete archive."""
    out = Path(out)
    if out.exists():
        raise BackupError(f"{out} 已存在；请换一个文件名，备份不会覆盖已有文件")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    env = libpq_env(url)
    try:
        _run([_tool("pg_dump"), "--format=custom", "--file", str(partial)], env)
        toc = _run([_tool("pg_restore"), "--list", str(partial)], env)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    entries = sum(1 for line in toc.splitlines() if line and not line.startswith(";"))
    return {"file": str(out), "bytes": out.stat().st_size, "entries": entries, "database": env["PGDATABASE"]}


def _admin_engine(url: sa.URL) -> sa.Engine:
    return sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)


def restore(url: str | sa.URL, archive: str | Path, database: str) -> dict:
    """Create `database` on the server of `url` and restore `archive` into it in one transaction (all or
    nothing; on failure the new database is dropped again). Objects are owned by the restoring user. Returns
    counts(): compare them with the source's before switching DATABASE_URL over."""
    u = _pg_url(url)
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"找不到备份文件 {archive}")
    if not _DB_NAME.fullmatch(database):
        raise BackupError("数据库名只能由字母、数字和下划线组成，且不以数字开头")
    pg_restore = _tool("pg_restore")
    admin = _admin_engine(u)
    try:
        with admin.connect() as conn:
            if conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": database}).scalar():
                raise BackupError(f"数据库 {database} 已存在；恢复只写入新建的数据库，不会覆盖已有数据库")
            conn.exec_driver_sql(f"CREATE DATABASE \"{database}\" TEMPLATE template0 ENCODING 'UTF8'")
        try:
            _run([pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                  "--dbname", database, str(archive)], libpq_env(u, database))
        except BackupError:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}"')
            raise
    finally:
        admin.dispose()
    return counts(u.set(database=database))


def counts(url: str | sa.URL) -> dict:
    """The schema revision and the number of rows of every table: the check after a restore."""
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            names = sorted(sa.inspect(conn).get_table_names())
            rows = {name: conn.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one()
                    for name in names}
            revision = (conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
                        if "alembic_version" in names else None)
    finally:
        engine.dispose()
    return {"revision": revision, "tables": rows}
