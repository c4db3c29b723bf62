"""`flask ops backup|restore|counts`: the database backup procedure of README → Backup and restore."""
import click
from flask import Blueprint, current_app

from app.ops import backup as service

bp = Blueprint("ops_cli", __name__, cli_group="ops")


def _url():
    return current_app.config["SQLALCHEMY_DATABASE_URI"]


def _echo_counts(result: dict) -> None:
    click.echo(f"迁移版本：{result['revision'] or '（无）'}")
    for name, n in result["tables"].items():
        click.echo(f"{name}\t{n}")
    click.echo(f"共 {len(result['tables'])} 张表，{sum(result['tables'].values())} 行")


@bp.cli.command("backup")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="Archive to write (pg_dump -Fc).")
def backup_cmd(out: str) -> None:
    """Back up the app's database (DATABASE_URL) with pg_dump in custom format."""
    try:
        r = service.backup(_url(), out)
    except service.BackupError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"已备份数据库 {r['database']} 到 {r['file']}（{r['bytes']} 字节，{r['entries']} 项）")


@bp.cli.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
@click.option("--database", required=True, help="New database to create and restore into (must not exist).")
def restore_cmd(archive: str, database: str) -> None:
    """Restore ARCHIVE into a new database on the same server, then print its row counts."""
    try:
        result = service.restore(_url(), archive, database)
    except service.BackupError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"已恢复到新数据库 {database}。请与原库的 `flask ops counts` 核对后再切换 DATABASE_URL。")
    _echo_counts(result)


@bp.cli.command("counts")
@click.option("--database", default=None, help="Another database on the same server (default: the app's).")
def counts_cmd(database: str | None) -> None:
    """Print the schema revision and the row count of every table."""
    import sqlalchemy as sa
    url = sa.engine.make_url(_url())
    if database:
        url = url.set(database=database)
    _echo_counts(service.counts(url))
